//! `semaforo lists derive` through the real binary, on a small history
//! whose expected lists are worked out in the comments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_semaforo");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/backtest")
        .join(name)
}

fn derive(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(BIN)
        .args(["lists", "derive", "--input"])
        .arg(data("history.csv"))
        .args(["--outcome", "Found", "--key", "Decl"])
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

fn entries(list: &str) -> Vec<&str> {
    list.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn importers_meeting_both_thresholds() {
    // IMP-1: 2 of 3 (kept); IMP-2: 1 of 2; IMP-3: 1 of 1 inspected (A7 has
    // no result); IMP-4: 1 of 1 (A8's two rows are one declaration).
    let (out, err, code) = derive(&["--by", "Importer", "--min-count", "2", "--min-rate", "0.6"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(entries(&out), ["IMP-1"]);
    assert!(out.starts_with("# Derived by `semaforo lists derive`"));
    assert!(out.contains("# by: Importer\n"));
    assert!(out.contains("# outcome: Found\n"));
    assert!(out.contains("at least 2 inspected declarations, finding rate at least 0.6"));
    assert!(
        out.contains(
            "# counts: 8 declarations, 7 with a result, 5 with a finding; 4 distinct values, 1 kept"
        ),
        "{out}"
    );
    // Lower thresholds keep more, in sorted order.
    let (out, _, _) = derive(&["--by", "Importer", "--min-count", "1", "--min-rate", "0.5"]);
    assert_eq!(entries(&out), ["IMP-1", "IMP-2", "IMP-3", "IMP-4"]);
}

#[test]
fn item_column_counts_each_declaration_once_per_value() {
    // 6403: A1, A2, A5 all found; 6402: A6 and A8 found (A7 not
    // inspected); 8471: 1 of 3.
    let (out, _, code) = derive(&["--by", "HS", "--min-count", "2", "--min-rate", "0.6"]);
    assert_eq!(code, Some(0));
    assert_eq!(entries(&out), ["6402", "6403"]);
}

#[test]
fn by_can_name_a_mapped_field_path_and_write_a_file() {
    let dir = std::env::temp_dir().join(format!("semaforo-lists-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("risky.txt");
    let (out, err, code) = derive(&[
        "--by",
        "importer",
        "--map",
        "Importer=importer",
        "--min-count",
        "3",
        "--min-rate",
        "0.6",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(entries(&written), ["IMP-1"]);
}

#[test]
fn unknown_column_is_an_error() {
    let (_, err, code) = derive(&["--by", "Nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("`Nope`"), "{err}");
}

#[test]
fn json_lines_by_top_level_member_and_by_item_member() {
    let run = |by: &str| {
        let out = Command::new(BIN)
            .args(["lists", "derive", "--input"])
            .arg(data("history.jsonl"))
            .args(["--outcome", "found", "--by", by])
            .args(["--min-count", "2", "--min-rate", "0.6"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    // IMP-1: J1, J2 found, J5 not: 2 of 3. IMP-2: 0 of 1 (J4 not inspected).
    let importers = run("importer");
    assert_eq!(entries(&importers), ["IMP-1"]);
    assert!(importers.contains("5 declarations, 4 with a result, 2 with a finding"));
    // 6403: J1 (twice, counted once) and J2, both found; 8471: 1 of 2.
    assert_eq!(entries(&run("items.hs")), ["6403"]);
}
