//! `semaforo check` through the real binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "data/cli/support.rs"]
mod support;

use support::{GOOD, run, scratch, write};

const BAD: &str = "ruleset \"x\" version \"1\"\nschema d {\n  key id: text\n  origin: text\n}\nrule R1 \"t\" { when orign == \"CN\" then score 1 }\n";

#[test]
fn clean_ruleset_exits_0() {
    let dir = scratch("check-clean");
    write(&dir, "good.sem", GOOD);
    let r = run(&dir, &["check", "good.sem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("0 errors, 0 warnings"), "{}", r.stderr);
}

#[test]
fn errors_exit_1_with_rustc_style_output() {
    let dir = scratch("check-human");
    write(&dir, "bad.sem", BAD);
    let r = run(&dir, &["check", "bad.sem"]);
    assert_eq!(r.code, 1);
    let e = &r.stderr;
    assert!(e.contains("error[E0202]"), "code: {e}");
    assert!(e.contains("unknown name `orign`"), "message: {e}");
    assert!(e.contains("bad.sem:6:20"), "file:line:col: {e}");
    assert!(
        e.contains("rule R1 \"t\" { when orign == \"CN\" then score 1 }"),
        "source line: {e}"
    );
    // The caret line underlines `orign` (5 characters) under its column.
    let caret = e
        .lines()
        .find(|l| l.contains("^^^^^"))
        .expect("a caret line");
    let src = e.lines().find(|l| l.contains("when orign")).unwrap();
    assert_eq!(
        caret.find('^'),
        src.find("orign"),
        "caret under the name: {e}"
    );
    assert!(e.contains("help: did you mean `origin`?"), "help: {e}");
}

#[test]
fn json_format_has_every_field() {
    let dir = scratch("check-json");
    write(&dir, "bad.sem", BAD);
    let r = run(&dir, &["check", "--format", "json", "bad.sem"]);
    assert_eq!(r.code, 1);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    let d = &lines[0];
    assert_eq!(d["code"], "E0202");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "unknown name `orign`");
    assert_eq!(d["file"], "bad.sem");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(6), Some(20))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(6), Some(25))
    );
    assert_eq!(d["help"], "did you mean `origin`?");
}

#[test]
fn errors_in_several_files_name_each_file() {
    let dir = scratch("check-two-files");
    write(
        &dir,
        "a.sem",
        "ruleset \"x\" version \"1\"\nschema d {\n  key id: text\n  origin: text\n}\n",
    );
    write(
        &dir,
        "b.sem",
        "rule R1 \"t\" {\n  when origin == 3\n  then score 1\n}\n",
    );
    let r = run(&dir, &["check", "--format", "json", "a.sem", "b.sem"]);
    assert_eq!(r.code, 1);
    let d: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(d["file"], "b.sem");
    assert_eq!(d["line"], 2);
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let dir = scratch("check-warn");
    // A literal with more than 6 decimals is rounded, with a warning.
    let text = "ruleset \"x\" version \"1\"\nschema d {\n  key id: text\n  n: number\n}\nrule R1 \"t\" { when n > 0.0000001 then score 1 }\n";
    write(&dir, "w.sem", text);
    let plain = run(&dir, &["check", "--format", "json", "w.sem"]);
    assert_eq!(plain.code, 0, "{}{}", plain.stdout, plain.stderr);
    let d: serde_json::Value =
        serde_json::from_str(plain.stdout.lines().next().expect("a warning")).unwrap();
    assert_eq!(d["severity"], "warning");
    let denied = run(&dir, &["check", "--deny-warnings", "w.sem"]);
    assert_eq!(denied.code, 1, "{}", denied.stderr);
}

#[test]
fn unreadable_file_exits_2_naming_it() {
    let dir = scratch("check-missing");
    let r = run(&dir, &["check", "nowhere.sem"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`nowhere.sem`"), "{}", r.stderr);
}

#[test]
fn non_utf8_file_exits_2_naming_it() {
    let dir = scratch("check-utf8");
    std::fs::write(
        dir.join("latin1.sem"),
        b"ruleset \"caf\xe9\" version \"1\"\n",
    )
    .unwrap();
    let r = run(&dir, &["check", "latin1.sem"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`latin1.sem`"), "{}", r.stderr);
    assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
}

#[test]
fn external_data_errors_point_into_the_data_file() {
    let dir = scratch("check-data");
    write(&dir, "good.sem", GOOD);
    write(&dir, "watched.txt", "IMP-7\n");
    write(&dir, "rate.csv", "key,value\n64,10\n6402,ten\n");
    let r = run(
        &dir,
        &[
            "check",
            "--format",
            "json",
            "good.sem",
            "--list",
            "watched=watched.txt",
            "--table",
            "rate=rate.csv",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let d: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(d["file"], "rate.csv");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(6))
    );
    assert!(d["message"].as_str().unwrap().contains("`ten`"), "{d}");
}
