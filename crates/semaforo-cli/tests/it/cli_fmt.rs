//! `semaforo fmt` through the real binary.

use crate::support;

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

/// A ruleset of about 20 KB that formatting changes.
fn big_ugly() -> String {
    let mut s = String::from(
        "ruleset   \"big\"   version \"1\"\nschema d {   key id: text\n origin:text }\n",
    );
    for i in 0..300 {
        s.push_str(&format!(
            "rule R{i:03} \"rule number {i}\" {{when origin==\"C{i:03}\"   then score 1}}\n"
        ));
    }
    s
}

/// Names in `dir` other than `keep`: leftover temporary files.
fn others(dir: &std::path::Path, keep: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != keep)
        .collect()
}

/// Runs `semaforo fmt big.sem` in `dir` under a file size limit of a few
/// KB, so that writing the formatted file fails part-way, as on a full
/// disk. With `ignore_signal`, the write fails with an error the command
/// sees; without, the kernel kills the command in the middle of writing.
fn fmt_with_size_limit(dir: &std::path::Path, ignore_signal: bool) -> std::process::Output {
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{trap}ulimit -f 4 && exec \"$0\" fmt big.sem"))
        .arg(env!("CARGO_BIN_EXE_semaforo"))
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn a_failed_write_leaves_the_original_intact() {
    let dir = scratch("fmt-failed-write");
    let original = big_ugly();
    assert!(original.len() > 16 * 1024);
    write(&dir, "big.sem", &original);
    let out = fmt_with_size_limit(&dir, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write `big.sem`") && stderr.contains("left as it was"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("big.sem")).unwrap(),
        original
    );
    assert_eq!(
        others(&dir, "big.sem"),
        Vec::<String>::new(),
        "temp removed"
    );
}

#[test]
fn a_write_killed_part_way_leaves_the_original_intact() {
    let dir = scratch("fmt-killed-write");
    let original = big_ugly();
    write(&dir, "big.sem", &original);
    let out = fmt_with_size_limit(&dir, false);
    assert!(!out.status.success());
    // Killed: at most a temporary file is left beside it, never a torn
    // original.
    assert_eq!(
        std::fs::read_to_string(dir.join("big.sem")).unwrap(),
        original
    );
    // Without the limit, formatting succeeds and leaves one file.
    assert_eq!(run(&dir, &["fmt", "big.sem"]).code, 0);
    assert_ne!(
        std::fs::read_to_string(dir.join("big.sem")).unwrap(),
        original
    );
}

#[test]
fn a_read_only_directory_leaves_the_original_intact() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("fmt-read-only-dir");
    let sub = dir.join("ro");
    std::fs::create_dir_all(&sub).unwrap();
    write(&sub, "u.sem", UGLY);
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes into read-only directories: nothing to test then.
    let probe = sub.join("probe");
    let writable = std::fs::write(&probe, "").is_ok();
    let r = run(&dir, &["fmt", "ro/u.sem"]);
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    if writable {
        let _ = std::fs::remove_file(&probe);
        return;
    }
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write `ro/u.sem`"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(sub.join("u.sem")).unwrap(), UGLY);
}

#[test]
fn keeps_permissions_and_symbolic_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("fmt-permissions");
    write(&dir, "u.sem", UGLY);
    std::fs::set_permissions(dir.join("u.sem"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("u.sem", dir.join("link.sem")).unwrap();
    let r = run(&dir, &["fmt", "link.sem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let meta = std::fs::symlink_metadata(dir.join("link.sem")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link is kept");
    let target = std::fs::metadata(dir.join("u.sem")).unwrap();
    assert_eq!(target.permissions().mode() & 0o777, 0o640);
    let text = std::fs::read_to_string(dir.join("u.sem")).unwrap();
    assert!(text.contains("when origin == \"CN\""), "{text}");
    let mut names = others(&dir, "");
    names.sort();
    assert_eq!(names, ["link.sem", "u.sem"]);
}

#[test]
fn dash_formats_stdin_to_stdout() {
    let dir = scratch("fmt-stdin");
    write(&dir, "u.sem", UGLY);
    assert_eq!(run(&dir, &["fmt", "u.sem"]).code, 0);
    let formatted = std::fs::read_to_string(dir.join("u.sem")).unwrap();
    // The formatted text on stdout, whether or not it changed.
    let r = support::run_with(&dir, &["fmt", "-"], UGLY.as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, formatted);
    let r = support::run_with(&dir, &["fmt", "-"], formatted.as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, formatted);
    // `--check -`: exit 1 and name `<stdin>` when it would change.
    let r = support::run_with(&dir, &["fmt", "--check", "-"], UGLY.as_bytes(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "<stdin>\n");
    let r = support::run_with(&dir, &["fmt", "--check", "-"], formatted.as_bytes(), &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // A syntax error: diagnostics name `<stdin>`, nothing on stdout.
    let r = support::run_with(&dir, &["fmt", "-"], b"ruleset \"x\" version\n", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("<stdin>:"), "{}", r.stderr);
}
