//! Runs the evaluation vectors of `tests/data/eval/` through the real
//! `semaforo eval` binary and compares each outcome line with the expected
//! one (JSON-equal modulo key order, on the keys the vectors fix).

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const KEYS: [&str; 8] = [
    "id",
    "lane",
    "score",
    "fired",
    "monitored",
    "undetermined",
    "notes",
    "draws",
];

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/eval")
}

fn project(v: &Value) -> Map<String, Value> {
    KEYS.iter()
        .map(|k| ((*k).to_string(), v.get(*k).cloned().unwrap_or(Value::Null)))
        .collect()
}

fn check(name: &str) {
    let dir = eval_dir().join(name);
    let mut args: Vec<String> = vec![
        "eval".into(),
        "rules.sem".into(),
        "--input".into(),
        "input.jsonl".into(),
    ];
    for (sub, flag) in [("lists", "--list"), ("tables", "--table")] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for p in paths {
                let stem = p.file_stem().unwrap().to_str().unwrap();
                let file = p.file_name().unwrap().to_str().unwrap();
                args.push(flag.into());
                args.push(format!("{stem}={sub}/{file}"));
            }
        }
    }
    let flags = std::fs::read_to_string(dir.join("args")).unwrap();
    args.extend(flags.split_whitespace().map(String::from));
    let out = Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .args(&args)
        .current_dir(&dir)
        .env_remove("SEMAFORO_SAMPLING_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let got: Vec<&str> = stdout.lines().collect();
    let want: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: one outcome per input line\n{stdout}"
    );
    let mut failures = Vec::new();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let g: Value = serde_json::from_str(g).unwrap();
        let w: Value = serde_json::from_str(w).unwrap();
        if project(&g) != project(&w) {
            failures.push(format!(
                "{name} line {}:\n  expected {w}\n  actual   {g}",
                i + 1
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One test per vector directory, named after it, and a test that no
/// directory is left out of the list.
macro_rules! vectors {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*

        #[test]
        fn every_vector_directory_runs_through_the_cli() {
            let listed = [$(stringify!($name)),*];
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/eval");
            let mut dirs: Vec<String> = std::fs::read_dir(&root)
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            assert_eq!(dirs, listed, "add every directory of tests/data/eval to `vectors!`");
        }
    };
}

vectors!(
    aggregates,
    builtins,
    casefold,
    comparisons,
    composite_keys,
    dates,
    decimal,
    draws,
    kleene,
    lane_splits,
    lanes,
    logic,
    lookups,
    membership,
    missing,
    ops,
    prefix_lookup,
    prefixes,
    quantifiers,
    records,
    rounding,
    sampling,
    score_points,
    scores,
    shadow_rules,
    sharing,
    table_columns,
    text,
    text_lookups,
    threshold_groups,
    thresholds,
    windows,
);
