//! The KCS example stays runnable: the ruleset compiles with its derived
//! lists, every row of `valid.csv` binds through the mapping, the outcome
//! counts match a count made here from the CSV text, and the lists record
//! that they come from `train.csv`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_semaforo");

fn kcs(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/kcs")
        .join(name)
}

const LISTS: [&str; 5] = [
    "risky_importers",
    "risky_declarants",
    "risky_sellers",
    "risky_hs6",
    "risky_origins",
];

#[test]
fn kcs_backtest_binds_every_row_and_counts_findings() {
    let mut c = Command::new(BIN);
    c.arg("backtest")
        .arg(kcs("kcs.sem"))
        .arg("--input")
        .arg(kcs("valid.csv"))
        .arg("--map-file")
        .arg(kcs("kcs.map"))
        .args([
            "--outcome",
            "Fraud",
            "--format",
            "json",
            "--today",
            "2021-03-31",
        ])
        .args(["--sampling-key", "000102030405060708090a0b0c0d0e0f"]);
    for l in LISTS {
        c.arg("--list")
            .arg(format!("{l}={}", kcs(&format!("lists/{l}.txt")).display()));
    }
    c.arg("--table").arg(format!(
        "reference_price={}",
        kcs("tables/reference_price.csv").display()
    ));
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();

    // Count rows and findings straight from the text: `Fraud` is the
    // second-to-last column and no KCS cell is quoted.
    let text = std::fs::read_to_string(kcs("valid.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let fraud = header.iter().position(|h| *h == "Fraud").unwrap();
    let (mut rows, mut found) = (0u64, 0u64);
    for l in lines.filter(|l| !l.is_empty()) {
        rows += 1;
        found += u64::from(l.split(',').nth(fraud).unwrap() == "1");
    }
    assert_eq!(v["rows"], rows);
    assert_eq!(v["declarations"]["evaluated"], rows);
    assert_eq!(v["declarations"]["rejected"], 0);
    assert_eq!(v["outcome"]["labelled"], rows);
    assert_eq!(v["outcome"]["positives"], found);
    let lanes: u64 = v["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["count"].as_u64().unwrap())
        .sum();
    assert_eq!(lanes, rows);
    assert_eq!(v["rules"].as_array().unwrap().len(), 13);
}

#[test]
fn kcs_lists_come_from_train_only() {
    for l in LISTS {
        let text = std::fs::read_to_string(kcs(&format!("lists/{l}.txt"))).unwrap();
        assert!(text.contains("# input: train.csv\n"), "{l}");
        assert!(!text.contains("valid.csv"), "{l}");
    }
}
