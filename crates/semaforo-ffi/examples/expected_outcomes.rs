//! Writes the outcomes the C tests expect, computed through the Rust facade:
//! `cargo run -p semaforo-ffi --example expected_outcomes -- ROOT OUT_DIR`
//! writes `OUT_DIR/regional.expected.jsonl` (every declaration of
//! `examples/regional/declarations.jsonl`) and
//! `OUT_DIR/direct.expected.jsonl` (`crates/semaforo-ffi/tests/data/direct.jsonl`).
//! The C tests evaluate the same declarations through the C ABI (JSON and
//! direct paths) and compare byte for byte.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a test tool"
)]

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (root, out) = match args.as_slice() {
        [_, root, out] => (
            std::path::PathBuf::from(root),
            std::path::PathBuf::from(out),
        ),
        _ => {
            eprintln!("usage: expected_outcomes ROOT OUT_DIR");
            std::process::exit(2);
        }
    };
    common::write_expected(&root, &out).expect("writes the expected outcomes");
}
