//! `semaforo backtest` throughput end to end (issue 5): the real binary on
//! a generated 1,000,000-declaration history of the regional example, as
//! JSON Lines and as CSV (one row per item), in declarations per second.
//! Reading, binding, evaluating on every core and writing the report are
//! all timed. See `docs/performance.md`.
//!
//! The inputs are made at run time in a temporary folder (about 500 MB of
//! JSON Lines and a few hundred MB of CSV) from the 420 declarations of
//! `examples/regional/declarations.jsonl`, each repeated with a new key, and
//! removed at the end. The binary is built first with
//! `cargo build --release -p semaforo-cli` (or taken from `SEMAFORO_BIN`).
//! Set `SEMAFORO_BACKTEST_DECLARATIONS` to time another count.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `semaforo` binary, built in release mode unless `SEMAFORO_BIN` names one.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SEMAFORO_BIN") {
        return PathBuf::from(p);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "semaforo-cli",
            "--bin",
            "semaforo",
        ])
        .current_dir(root())
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build --release -p semaforo-cli failed"
    );
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    target.join("release").join("semaforo")
}

/// The CSV columns: every schema field by path, header fields first.
const HEADER: [&str; 14] = [
    "id",
    "regime",
    "office",
    "declared_on",
    "importer",
    "declarant",
    "aeo",
    "origin",
    "provenance",
    "transport_mode",
    "incoterm",
    "freight",
    "insurance",
    "exchange_rate",
];
const ITEM: [&str; 8] = [
    "hs",
    "description",
    "origin",
    "net_kg",
    "gross_kg",
    "quantity",
    "value",
    "preference",
];

/// One CSV cell: empty for missing, quoted when needed.
fn cell(out: &mut String, v: Option<&Value>) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            if s.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Some(v) => {
            let _ = write!(out, "{v}");
        }
    }
}

/// Writes `n` declarations as JSON Lines and as CSV into `dir`.
fn generate(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let text =
        std::fs::read_to_string(root().join("examples/regional/declarations.jsonl")).unwrap();
    let decls: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let jsonl = dir.join("history.jsonl");
    let csv = dir.join("history.csv");
    let mut j = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
    let mut c = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    let mut head = HEADER.join(",");
    for f in ITEM {
        head.push_str(",items.");
        head.push_str(f);
    }
    writeln!(c, "{head}").unwrap();
    let mut row = String::new();
    for i in 0..n {
        let mut d = decls[i % decls.len()].clone();
        let id = format!("{}-{i:07}", d["id"].as_str().unwrap());
        d["id"] = Value::String(id);
        serde_json::to_writer(&mut j, &d).unwrap();
        j.write_all(b"\n").unwrap();
        for item in d["items"].as_array().unwrap() {
            row.clear();
            for (k, f) in HEADER.iter().enumerate() {
                if k > 0 {
                    row.push(',');
                }
                cell(&mut row, d.get(*f));
            }
            for f in ITEM {
                row.push(',');
                cell(&mut row, item.get(f));
            }
            row.push('\n');
            c.write_all(row.as_bytes()).unwrap();
        }
    }
    j.flush().unwrap();
    c.flush().unwrap();
    (jsonl, csv)
}

/// `semaforo backtest` on the regional example over `input`.
fn backtest(bin: &Path, input: &Path, format: &str) -> Command {
    let r = root().join("examples/regional");
    let mut cmd = Command::new(bin);
    cmd.arg("backtest")
        .arg(r.join("regional.sem"))
        .arg("--list")
        .arg(format!(
            "watched_importers={}",
            r.join("lists/watched_importers.txt").display()
        ))
        .arg("--list")
        .arg(format!(
            "watched_declarants={}",
            r.join("lists/watched_declarants.txt").display()
        ))
        .arg("--table")
        .arg(format!(
            "reference_price={}",
            r.join("tables/reference_price.csv").display()
        ))
        .arg("--input")
        .arg(input)
        .args(["--today", "2026-11-15", "--format", format])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Runs once and checks that every declaration was evaluated.
fn check(bin: &Path, input: &Path, n: usize) {
    let out = backtest(bin, input, "json").output().unwrap();
    assert!(
        out.status.success(),
        "backtest failed on {}",
        input.display()
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let evaluated = report["declarations"]["evaluated"].as_u64().unwrap();
    assert_eq!(evaluated, n as u64, "{}: {report}", input.display());
    eprintln!(
        "[backtest] {}: {evaluated} declarations evaluated, {} rejected",
        input.display(),
        report["declarations"]["rejected"]
    );
}

fn main() {
    let n: usize = std::env::var("SEMAFORO_BACKTEST_DECLARATIONS")
        .ok()
        .map_or(1_000_000, |s| s.parse().unwrap());
    let bin = binary();
    let dir = std::env::temp_dir().join(format!("semaforo-bench-backtest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let (jsonl, csv) = generate(&dir, n);
    eprintln!(
        "[backtest] generated {n} declarations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    check(&bin, &jsonl, n);
    check(&bin, &csv, n);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    let mut g = c.benchmark_group("backtest_regional");
    g.throughput(Throughput::Elements(n as u64));
    for (name, input) in [("jsonl", &jsonl), ("csv", &csv)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let status = backtest(&bin, input, "json")
                    .stdout(Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success());
            })
        });
    }
    g.finish();
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
}
