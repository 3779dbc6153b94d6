//! Writing to stdout through the real binary: a write error other than a
//! closed pipe (here `/dev/full`, "no space left on device") is reported
//! on stderr with exit status 2, never taken for success; a closed pipe
//! ends the command quietly.

use crate::support;

use support::{GOOD, Run, run_to_closed_pipe, run_to_dev_full, scratch, write};

const KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn data(sub: &str, name: &str) -> String {
    format!("{}/tests/data/{sub}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn assert_reported(r: &Run, what: &str) {
    assert_eq!(r.code, 2, "{what}: exit status; stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("cannot write to stdout"),
        "{what}: stderr names the failure: {}",
        r.stderr
    );
}

fn eval_dir(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(&dir, "good.sem", GOOD);
    write(&dir, "watched.txt", "IMP-7\n");
    write(&dir, "rate.csv", "key,value\n64,10\n");
    write(
        &dir,
        "in.jsonl",
        r#"{"id": "D1", "origin": "CN", "importer": "IMP-7", "items": []}"#,
    );
    dir
}

const EVAL: [&str; 12] = [
    "eval",
    "good.sem",
    "--input",
    "in.jsonl",
    "--list",
    "watched=watched.txt",
    "--table",
    "rate=rate.csv",
    "--today",
    "2026-06-01",
    "--sampling-key",
    KEY,
];

#[test]
fn eval_reports_a_full_disk() {
    let dir = eval_dir("out-eval");
    assert_reported(&run_to_dev_full(&dir, &EVAL), "eval");
}

#[test]
fn eval_into_a_closed_pipe_ends_quietly() {
    let dir = eval_dir("out-pipe");
    let r = run_to_closed_pipe(&dir, &EVAL);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("cannot write"), "{}", r.stderr);
}

#[test]
fn backtest_reports_a_full_disk() {
    let dir = scratch("out-backtest");
    let rules = data("backtest", "rules.sem");
    let input = data("backtest", "history.jsonl");
    for format in ["human", "json"] {
        let r = run_to_dev_full(
            &dir,
            &[
                "backtest",
                &rules,
                "--input",
                &input,
                "--today",
                "2026-06-01",
                "--sampling-key",
                KEY,
                "--format",
                format,
            ],
        );
        assert_reported(&r, &format!("backtest --format {format}"));
    }
}

#[test]
fn explain_reports_a_full_disk() {
    let dir = scratch("out-explain");
    for format in ["human", "json"] {
        let r = run_to_dev_full(
            &dir,
            &[
                "explain",
                &data("explain", "rules.sem"),
                "--list",
                &format!(
                    "watched_importers={}",
                    data("explain", "watched_importers.txt")
                ),
                "--table",
                &format!("reference_price={}", data("explain", "reference_price.csv")),
                "--input",
                &data("explain", "declarations.jsonl"),
                "--today",
                "2026-11-15",
                "--sampling-key",
                KEY,
                "--format",
                format,
            ],
        );
        assert_reported(&r, &format!("explain --format {format}"));
    }
}

#[test]
fn check_json_reports_a_full_disk() {
    let dir = scratch("out-check");
    // An unknown field: one diagnostic to write.
    write(
        &dir,
        "bad.sem",
        "ruleset \"x\" version \"1\"\nschema d { key id: text }\nrule R \"t\" { when orign == \"CN\" then score 1 }\n",
    );
    let r = run_to_dev_full(&dir, &["check", "bad.sem", "--format", "json"]);
    assert_reported(&r, "check --format json");
}

#[test]
fn lists_derive_reports_a_full_disk() {
    let dir = scratch("out-lists");
    let r = run_to_dev_full(
        &dir,
        &[
            "lists",
            "derive",
            "--input",
            &data("backtest", "history.csv"),
            "--outcome",
            "Found",
            "--by",
            "Importer",
            "--min-count",
            "1",
        ],
    );
    assert_reported(&r, "lists derive");
}
