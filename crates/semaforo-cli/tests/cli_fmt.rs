//! `semaforo fmt` through the real binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "data/cli/support.rs"]
mod support;

use support::{GOOD, run, scratch, write};

const UGLY: &str = "ruleset   \"x\"   version \"1\"\nschema d {   key id: text\n origin:text }\nrule R1 \"t\" {when origin==\"CN\"   then score 1}\n";

#[test]
fn formats_in_place_and_is_idempotent() {
    let dir = scratch("fmt-in-place");
    write(&dir, "u.sem", UGLY);
    let r = run(&dir, &["fmt", "u.sem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let once = std::fs::read_to_string(dir.join("u.sem")).unwrap();
    assert_ne!(once, UGLY);
    assert!(once.contains("when origin == \"CN\""), "{once}");
    // Formatting again changes nothing, and `--check` agrees.
    let r = run(&dir, &["fmt", "u.sem"]);
    assert_eq!(r.code, 0);
    assert_eq!(std::fs::read_to_string(dir.join("u.sem")).unwrap(), once);
    let r = run(&dir, &["fmt", "--check", "u.sem"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.is_empty());
    // The formatted file still checks clean.
    assert_eq!(run(&dir, &["check", "u.sem"]).code, 0);
}

#[test]
fn check_lists_files_that_would_change_and_changes_nothing() {
    let dir = scratch("fmt-check");
    write(&dir, "u.sem", UGLY);
    write(&dir, "g.sem", GOOD);
    run(&dir, &["fmt", "g.sem"]);
    let g = std::fs::read_to_string(dir.join("g.sem")).unwrap();
    let r = run(&dir, &["fmt", "--check", "u.sem", "g.sem"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), ["u.sem"]);
    assert_eq!(std::fs::read_to_string(dir.join("u.sem")).unwrap(), UGLY);
    assert_eq!(std::fs::read_to_string(dir.join("g.sem")).unwrap(), g);
}

#[test]
fn keeps_comments() {
    let dir = scratch("fmt-comments");
    let text = "# header comment\nruleset \"x\" version \"1\"\nschema d {\n  key id: text # the key\n  origin: text\n}\n";
    write(&dir, "c.sem", text);
    assert_eq!(run(&dir, &["fmt", "c.sem"]).code, 0);
    let out = std::fs::read_to_string(dir.join("c.sem")).unwrap();
    assert!(
        out.contains("# header comment") && out.contains("# the key"),
        "{out}"
    );
}

#[test]
fn syntax_error_exits_1_and_leaves_file() {
    let dir = scratch("fmt-syntax");
    write(&dir, "s.sem", "ruleset \"x\" version\n");
    let r = run(&dir, &["fmt", "s.sem"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("s.sem:"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("s.sem")).unwrap(),
        "ruleset \"x\" version\n"
    );
}

#[test]
fn unreadable_file_exits_2() {
    let dir = scratch("fmt-missing");
    let r = run(&dir, &["fmt", "nowhere.sem"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`nowhere.sem`"), "{}", r.stderr);
}
