//! Builds every C test in `tests/c/` against the real library and header
//! with `cc -std=c99 -Wall -Wextra -Werror -pedantic`, runs it, and asserts
//! it exits 0. The outcomes the C tests compare against are computed here
//! through the Rust facade (`tests/common/mod.rs`).
//!
//! The crate builds only a cdylib and a staticlib (an rlib named `semaforo`
//! would collide with the facade's), and cargo does not build those for
//! integration tests, so the first test to need the library builds it with
//! `cargo build -p semaforo-ffi --lib` into this test's own target
//! directory and profile. Cargo releases its build lock before running
//! tests, so the nested build does not wait on the outer one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "tests unwrap, index and panic: a failure is the test's report; this harness prints its progress"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory holding `libsemaforo.so` and `libsemaforo.a`, built once
/// per test run.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(build_library)
}

/// Builds the C library in the profile and target directory of this test
/// binary (which lives in `<target>/<profile>/deps`) and returns the
/// profile directory.
fn build_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target = dir.parent().unwrap();
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-q",
            "-p",
            "semaforo-ffi",
            "--lib",
            "--profile",
            profile,
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p semaforo-ffi failed");
    let so = format!(
        "{}semaforo{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    assert!(
        dir.join(&so).exists() && dir.join("libsemaforo.a").exists(),
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
    std::fs::create_dir_all(&tmp).unwrap();
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
        .arg(lib)
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
fn c_diagnostics_render_in_linear_time() {
    run_c_test("test_diag_scale");
}

#[test]
fn c_bundle_load_refusals_and_conformance() {
    run_c_test("test_bundle");
}

#[test]
fn c_four_threads_share_a_ruleset() {
    run_c_test("test_threads");
}

#[test]
fn c_eight_workers_evaluate_while_the_ruleset_is_reloaded() {
    run_c_test("test_reload");
}

/// The direct path allocates nothing once warm (`tests/c/test_alloc.c`
/// interposes the C allocator, which needs glibc).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn c_direct_path_does_not_allocate_after_warm_up() {
    run_c_test("test_alloc");
}

/// Freeing a context or an evaluator wipes the sampling key
/// (`tests/c/test_key_wipe.c` interposes `free`, which needs glibc).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn c_sampling_key_is_wiped_on_free() {
    run_c_test("test_key_wipe");
}
