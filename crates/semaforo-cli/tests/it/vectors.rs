//! Runs every evaluation vector of `tests/data/eval/` through the real
//! `semaforo eval` binary and compares each outcome line with the expected
//! one (on the keys the vectors fix). The vectors are read by the shared
//! loader of `semaforo-testkit`, included here by path so that the CLI's
//! manifest names no project crate but the facade.

#[allow(
    dead_code,
    unreachable_pub,
    reason = "testkit's public module, of which this runner uses a part"
)]
#[path = "../../../semaforo-testkit/src/vectors.rs"]
mod shared;

use serde_json::Value;
use shared::Vector;
use std::process::Command;

/// Runs one vector through `semaforo eval`; a message per mismatching line.
fn run_vector(v: &Vector) -> Vec<String> {
    let mut args: Vec<String> = vec!["eval".into()];
    args.extend(v.packages.iter().map(|p| p.display().to_string()));
    args.extend([
        v.rules_path.display().to_string(),
        "--input".into(),
        "input.jsonl".into(),
    ]);
    for (flag, files) in [("--list", &v.lists), ("--table", &v.tables)] {
        for (name, path) in files {
            args.push(flag.into());
            args.push(format!("{name}={}", path.display()));
        }
    }
    // As written: a vector without a key runs on the CLI's own default.
    args.extend(v.args.iter().cloned());
    let out = Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .args(&args)
        .current_dir(&v.dir)
        .env_remove("SEMAFORO_SAMPLING_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}: {stderr}", v.name);
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        got.len(),
        v.expected.len(),
        "{}: one outcome per input line\n{stdout}",
        v.name
    );
    got.iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let got: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: {e}: {line}", v.name, i + 1));
            v.compare(i, "cli", &got)
        })
        .collect()
}

/// Every directory of `tests/data/eval/`, through the binary; one failure
/// report naming every vector and line that differs.
#[test]
fn every_vector_through_the_cli() {
    shared::run_all(run_vector);
}
