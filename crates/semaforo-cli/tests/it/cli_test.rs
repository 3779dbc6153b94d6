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
