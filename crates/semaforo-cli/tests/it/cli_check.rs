//! `semaforo check` through the real binary.

use crate::support;

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

/// A ruleset whose inline list is one line of `unique` values with `dups`
/// duplicates spread along it (each repeats the value 50 entries before).
fn long_list_ruleset(unique: usize, dups: usize) -> String {
    let mut values = Vec::new();
    let every = unique / dups;
    for i in 0..unique {
        values.push(format!("\"V{i:06}\""));
        if i % every == every - 1 && i >= 50 {
            values.push(format!("\"V{:06}\"", i - 50));
        }
    }
    format!(
        "ruleset \"x\" version \"1\"\nschema d {{\n  key id: text\n  origin: text\n}}\nrule R \"t\" {{\n  when origin in [{}]\n  then score 1\n}}\n",
        values.join(", ")
    )
}

#[test]
fn warnings_on_a_very_long_line_show_a_window_of_it() {
    let dir = scratch("check-long-line");
    let text = long_list_ruleset(20_000, 200);
    let line = text.lines().nth(6).unwrap();
    assert!(line.len() > 200_000);
    write(&dir, "long.sem", &text);
    let r = run(&dir, &["check", "long.sem"]);
    assert_eq!(r.code, 0, "warnings only");
    let warnings = r.stderr.matches("warning[W0004]").count();
    assert_eq!(warnings, 200, "every duplicate is still reported");
    // Each warning shows a bounded part of the line: the whole output stays
    // within a fixed size per warning (before, each reprinted the 200 KB
    // line: 40 MB in all).
    assert!(
        r.stderr.len() < warnings * 1_000,
        "{} bytes for {warnings} warnings",
        r.stderr.len()
    );
    // The window holds the duplicate, with its real line and column, and
    // says which part of the line it is; the first entry, far away,
    // becomes a note with its location.
    let first = r.stderr.split("\n\n").next().unwrap();
    let dup = text.find("\"V000099\", \"V000049\"").unwrap() + 11;
    let col = dup - text[..dup].rfind('\n').unwrap();
    assert!(first.contains(&format!("long.sem:7:{col}")), "{first}");
    assert!(first.contains("\"V000049\""), "{first}");
    assert!(
        first.contains("is shown") || first.contains("are shown"),
        "{first}"
    );
    assert!(first.contains("first listed here: long.sem:7:"), "{first}");

    // The JSON form locates every warning the same way.
    let j = run(&dir, &["check", "long.sem", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(j.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["line"], 7);
    assert_eq!(v["column"], col);
}

#[test]
fn short_lines_are_shown_whole_with_every_label() {
    let dir = scratch("check-short-line");
    write(
        &dir,
        "short.sem",
        "ruleset \"x\" version \"1\"\nschema d {\n  key id: text\n  origin: text\n}\nrule R \"t\" { when origin in [\"CN\", \"VN\", \"CN\"] then score 1 }\n",
    );
    let r = run(&dir, &["check", "short.sem"]);
    assert_eq!(
        r.stderr.matches("warning[W0004]").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(" first listed here\n"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("6 │ rule R \"t\" { when origin in [\"CN\", \"VN\", \"CN\"] then score 1 }"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("are shown"), "{}", r.stderr);
}

#[test]
fn dash_reads_the_ruleset_from_stdin_named_stdin() {
    let dir = scratch("check-stdin");
    let r = support::run_with(&dir, &["check", "-"], BAD.as_bytes(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("<stdin>:6:20"), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot read"), "{}", r.stderr);
    let r = support::run_with(
        &dir,
        &["check", "--format", "json", "-"],
        BAD.as_bytes(),
        &[],
    );
    assert_eq!(r.code, 1);
    let d: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(d["file"], "<stdin>");
    let r = support::run_with(&dir, &["check", "-"], GOOD.as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Standard input is read once: naming it twice is a usage error,
    // found before reading (so nothing is fed: the pipe may be closed).
    let r = support::run_with(&dir, &["check", "-", "-"], b"", &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("only once"), "{}", r.stderr);
}

/// Rules with and without a guard the rule index uses, one of each kind
/// the index learnt in session 8, and a draft rule (never evaluated).
const INDEXED: &str = r#"ruleset "ix" version "1"
schema declaration {
  key id: text
  origin: text
  value: number
  items: [item]
}
record item {
  hs: text
  origin: text
  value: number
}
list watched: text
rule R1 "value guard" { when origin in ["CN", "VN"] then score 1 }
rule R2 "no guard: an or" { when origin == "CN" or value > 10 then score 1 }
rule R3 "element key guard" { when any(it in items: key(it.origin, it.hs) in watched) then score 1 }
rule R4 "element range guard" { when any(it in items: it.value > 1000) then score 1 }
rule R5 "no guard: two fields" { when any(it in items: it.value > value) then score 1 }
rule R6 "draft" {
  profile owner "unit", status draft
  when value > 0 or true
  then score 1
}
"#;

#[test]
fn index_lists_the_rules_evaluated_for_every_declaration() {
    let dir = scratch("check-index");
    write(&dir, "ix.sem", INDEXED);
    write(&dir, "watched.txt", "CN|6403990000\n");
    let args = [
        "check",
        "ix.sem",
        "--index",
        "--list",
        "watched=watched.txt",
    ];
    let r = run(&dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("index: 2 of 6 rules are evaluated for every declaration"),
        "{}",
        r.stdout
    );
    let listed: Vec<&str> = r.stdout.lines().skip(1).map(str::trim).collect();
    assert_eq!(listed, ["R2", "R5"], "{}", r.stdout);

    let r = run(&dir, &[&args[..], &["--format", "json"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last: serde_json::Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["index"]["rules"], 6);
    assert_eq!(
        last["index"]["every_declaration"],
        serde_json::json!(["R2", "R5"])
    );
}

#[test]
fn index_needs_the_data_a_compile_needs() {
    let dir = scratch("check-index-data");
    write(&dir, "ix.sem", INDEXED);
    // Without `--index`, the list's data is not needed; with it, the
    // ruleset is compiled, and the missing list is an error.
    assert_eq!(run(&dir, &["check", "ix.sem"]).code, 0);
    let r = run(&dir, &["check", "ix.sem", "--index"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("watched"), "{}", r.stderr);
    assert!(!r.stdout.contains("index:"), "{}", r.stdout);
}
