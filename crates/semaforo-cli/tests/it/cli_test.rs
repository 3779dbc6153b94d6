//! `semaforo test` through the real binary.

use crate::support;

use support::{run, scratch, write};

const RULES: &str = r#"ruleset "x" version "1"
schema d {
  key id: text
  origin: text
  freight: number?
}
rule R1 "Chinese origin" { when origin == "CN" then score 30, note "origin" }
rule R2 "High freight" { when freight > 100 then lane red }
rule R3 "Window" { active 2026-01-01 to 2026-03-31 then score 5 }
"#;

const PASSING: &str = r#"
test "cn scores" {
  today 2026-06-01
  given { "id": "A", "origin": "CN" }
  expect score 30
  expect fired R1
  expect not fired R3
  expect undetermined R2
  expect note "origin"
  expect lane green
}
test "window on its last day" {
  today 2026-03-31
  given { "id": "B", "origin": "US", "freight": 200 }
  expect fired R3
  expect lane red
}
"#;

const FAILING: &str = r#"
test "wrong expectations" {
  today 2026-06-01
  given { "id": "C", "origin": "CN" }
  expect score 31
  expect fired R2
}
"#;

#[test]
fn passing_tests_exit_0_with_summary() {
    let dir = scratch("test-pass");
    write(&dir, "r.sem", &format!("{RULES}{PASSING}"));
    let r = run(&dir, &["test", "r.sem"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("test cn scores ... ok"), "{}", r.stdout);
    assert!(
        r.stdout.contains("test window on its last day ... ok"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 passed, 0 failed"), "{}", r.stdout);
}

#[test]
fn failing_test_exits_1_showing_expectation_actual_and_location() {
    let dir = scratch("test-fail");
    write(&dir, "r.sem", &format!("{RULES}{PASSING}{FAILING}"));
    let r = run(&dir, &["test", "r.sem"]);
    assert_eq!(r.code, 1);
    let o = &r.stdout;
    assert!(o.contains("test wrong expectations ... FAILED"), "{o}");
    assert!(o.contains("2 passed, 1 failed"), "{o}");
    let text = format!("{RULES}{PASSING}{FAILING}");
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let score = o
        .lines()
        .find(|l| l.contains("expected score 31"))
        .expect("score failure");
    let at = format!("r.sem:{}:3", line_of("expect score 31"));
    assert!(score.contains(&at), "{at}: {score}");
    assert!(score.contains("found 30"), "{score}");
    let fired = o
        .lines()
        .find(|l| l.contains("`R2`"))
        .expect("fired failure");
    let at = format!("r.sem:{}:3", line_of("expect fired R2"));
    assert!(fired.contains(&at), "{at}: {fired}");
    assert!(
        fired.contains("undetermined"),
        "R2's data is missing: {fired}"
    );
}

#[test]
fn given_that_cannot_be_bound_is_reported_before_any_test_runs() {
    // A `given` object that does not match the schema is an error of the
    // ruleset (E0413), found by the checker, so no test runs.
    let dir = scratch("test-bind");
    let t = "\ntest \"bad given\" {\n  today 2026-06-01\n  given { \"id\": \"D\", \"origin\": 7 }\n  expect score 0\n}\n";
    write(&dir, "r.sem", &format!("{RULES}{t}"));
    let r = run(&dir, &["test", "r.sem"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0413"), "{}", r.stderr);
    assert!(
        r.stderr.contains("origin: expected text, found number"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("passed"), "{}", r.stdout);
}

#[test]
fn compile_error_exits_1() {
    let dir = scratch("test-compile");
    write(
        &dir,
        "r.sem",
        "ruleset \"x\" version \"1\"\nschema d { key id: text }\nrule R1 \"t\" { when nope then score 1 }\n",
    );
    let r = run(&dir, &["test", "r.sem"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0202"), "{}", r.stderr);
}

#[test]
fn filter_runs_only_tests_whose_name_contains_the_text() {
    let dir = scratch("test-filter");
    write(&dir, "r.sem", &format!("{RULES}{PASSING}{FAILING}"));
    let r = run(&dir, &["test", "r.sem", "--filter", "window"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("test window on its last day ... ok"));
    assert!(!r.stdout.contains("cn scores"), "{}", r.stdout);
    assert!(!r.stdout.contains("wrong"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 passed, 0 failed, 2 filtered out"),
        "{}",
        r.stdout
    );
    // Several filters: a test runs when its name contains any of them.
    let r = run(
        &dir,
        &["test", "r.sem", "--filter", "window", "--filter", "wrong"],
    );
    assert_eq!(r.code, 1, "the failing test ran: {}", r.stdout);
    assert!(
        r.stdout.contains("1 passed, 1 failed, 1 filtered out"),
        "{}",
        r.stdout
    );
    // A filter that matches nothing runs nothing, says so, and succeeds.
    let r = run(&dir, &["test", "r.sem", "--filter", "no such test"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("no test name contains"), "{}", r.stderr);
    assert!(r.stdout.contains("0 passed, 0 failed, 3 filtered out"));
}

#[test]
fn json_format_has_one_object_per_test_and_a_summary() {
    let dir = scratch("test-json");
    let text = format!("{RULES}{PASSING}{FAILING}");
    write(&dir, "r.sem", &text);
    let r = run(&dir, &["test", "r.sem", "--format", "json"]);
    assert_eq!(r.code, 1, "exit status as for human output");
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let ok = &lines[0];
    assert_eq!(ok["type"], "test");
    assert_eq!(ok["name"], "cn scores");
    assert_eq!(ok["passed"], true);
    assert_eq!(ok["file"], "r.sem");
    assert_eq!(ok["line"], line_of("test \"cn scores\""));
    assert_eq!(ok["today"], "2026-06-01");
    assert_eq!(ok["failures"], serde_json::json!([]));
    let bad = &lines[2];
    assert_eq!(bad["name"], "wrong expectations");
    assert_eq!(bad["passed"], false);
    let f = &bad["failures"];
    assert_eq!(f.as_array().unwrap().len(), 2, "{f}");
    assert_eq!(f[0]["expected"], "score 31");
    assert!(f[0]["actual"].as_str().unwrap().starts_with("30"), "{f}");
    assert_eq!(f[0]["line"], line_of("expect score 31"));
    assert_eq!(f[0]["column"], 3);
    assert_eq!(f[1]["expected"], "fired R2");
    assert!(f[1]["message"].as_str().unwrap().contains("undetermined"));
    let s = &lines[3];
    assert_eq!(s["type"], "summary");
    assert_eq!((&s["passed"], &s["failed"]), (&2.into(), &1.into()));
    assert_eq!(s["filtered_out"], 0);
    // The human summary has no "filtered out" part without a filter.
    let r = run(&dir, &["test", "r.sem"]);
    assert!(r.stdout.contains("2 passed, 1 failed\n"), "{}", r.stdout);
}

#[test]
fn utc_offset_moves_the_default_date() {
    let dir = scratch("test-utc-offset");
    write(
        &dir,
        "r.sem",
        &format!(
            "{RULES}\ntest \"dateless\" {{\n  given {{ \"id\": \"A\", \"origin\": \"CN\" }}\n  expect score 30\n}}\n"
        ),
    );
    let today = |extra: &[&str]| {
        let mut args = vec!["test", "r.sem", "--format", "json", "--filter", "dateless"];
        args.extend_from_slice(extra);
        let r = run(&dir, &args);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let v: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
        v["today"].as_str().unwrap().to_string()
    };
    // 26 hours apart: never the same date.
    let east = today(&["--utc-offset", "+14:00"]);
    let west = today(&["--utc-offset", "-12:00"]);
    assert!(west < east, "{west} {east}");
    let utc = today(&[]);
    assert!(west <= utc && utc <= east, "{west} {utc} {east}");
    for bad in ["6", "-6:00", "+15:00", "-06:60", "UTC"] {
        let r = run(&dir, &["test", "r.sem", &format!("--utc-offset={bad}")]);
        assert_eq!(r.code, 2, "{bad}");
        assert!(r.stderr.contains("--utc-offset"), "{}", r.stderr);
    }
    let r = run(
        &dir,
        &[
            "test",
            "r.sem",
            "--today",
            "2026-01-01",
            "--utc-offset",
            "-06:00",
        ],
    );
    assert_eq!(r.code, 2, "`--today` and `--utc-offset` exclude each other");
}

/// The national rulesets of the regional example: their own tests pass,
/// and the package's 19 tests are reported as not run (they test the
/// package as published), while the package alone runs them.
#[test]
fn national_rulesets_run_their_tests_and_say_the_package_s_are_not_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = [
        "--list",
        "watched_importers=examples/regional/lists/watched_importers.txt",
        "--list",
        "watched_declarants=examples/regional/lists/watched_declarants.txt",
        "--table",
        "reference_price=examples/regional/tables/reference_price.csv",
    ];
    for (national, count) in [
        ("examples/regional/gt/sat-gt.sem", 2),
        ("examples/regional/cr/dga-cr.sem", 1),
    ] {
        let mut args = vec!["test", "examples/regional/regional.sem", national];
        args.extend(data);
        let r = run(&root, &args);
        assert_eq!(r.code, 0, "{national}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(&format!("{count} passed, 0 failed")),
            "{}",
            r.stdout
        );
        assert!(
            r.stderr
                .contains("19 test(s) of the packages used were not run"),
            "{}",
            r.stderr
        );
    }
    let mut args = vec!["test", "examples/regional/regional.sem"];
    args.extend(data);
    let r = run(&root, &args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("19 passed, 0 failed"), "{}", r.stdout);
    assert!(!r.stderr.contains("not run"), "{}", r.stderr);
}
