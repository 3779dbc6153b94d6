//! Builds every C test in `tests/c/` against the real library and header
//! with `cc -std=c99 -Wall -Wextra -Werror -pedantic`, runs it, and asserts
//! it exits 0. The outcomes the C tests compare against are computed here
//! through the Rust facade (`tests/common/mod.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding `libsemaforo.so` and `libsemaforo.a`: the test
/// binary lives in `<target>/<profile>/deps`.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    assert!(
        dir.join("libsemaforo.so").exists() || dir.join("libsemaforo.a").exists(),
        "libsemaforo not found in {}",
        dir.display()
    );
    dir
}

fn run_c_test(name: &str) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("semaforo-ffi");
    let expected = tmp.join(format!("expected-{name}"));
    common::write_expected(&common::repo_root(), &expected).unwrap();
    let lib = lib_dir();
    let exe = tmp.join(name);
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
            "-I",
        ])
        .arg(manifest.join("include"))
        .arg(manifest.join("tests/c").join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lsemaforo", "-lpthread", "-ldl", "-lm"])
        .status()
        .expect("a C compiler (`cc`, or $CC) is needed for the C tests");
    assert!(status.success(), "{name}.c does not compile");
    let out = Command::new(&exe)
        .arg(common::repo_root())
        .arg(&expected)
        .output()
        .unwrap();
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} failed: {:?}", out.status);
}

#[test]
fn c_json_path_matches_rust() {
    run_c_test("test_json");
}

#[test]
fn c_direct_path_matches_rust() {
    run_c_test("test_direct");
}

#[test]
fn c_error_paths() {
    run_c_test("test_errors");
}

#[test]
fn c_four_threads_share_a_ruleset() {
    run_c_test("test_threads");
}
