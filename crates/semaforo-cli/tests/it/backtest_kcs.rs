//! The KCS example stays runnable: the ruleset compiles with its derived
//! lists, every row of `valid.csv` binds through the mapping, the outcome
//! counts match a count made here from the CSV text, and the lists record
//! that they come from `train.csv`. The scorecard (`scorecard.sem`) passes
//! its tests and reaches 0.95 precision at 5% on `valid.csv`, computed here
//! from `semaforo eval`'s outcomes.

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

/// The scorecard's tables (`table NAME: ...` in `scorecard.sem`), each
/// given as `--table NAME=examples/kcs/tables/NAME.csv`.
fn scorecard_tables(c: &mut Command) {
    let src = std::fs::read_to_string(kcs("scorecard.sem")).unwrap();
    let mut n = 0;
    for line in src.lines() {
        let Some(rest) = line.strip_prefix("table ") else {
            continue;
        };
        let name = rest.split(':').next().unwrap().trim();
        c.arg("--table").arg(format!(
            "{name}={}",
            kcs(&format!("tables/{name}.csv")).display()
        ));
        n += 1;
    }
    assert_eq!(n, 12, "11 points tables and the unit price statistics");
}

/// `valid.csv` as JSON Lines through `kcs.map`, written here from the CSV
/// text (no KCS cell is quoted; an empty cell is an absent field), with
/// the `Fraud` result of each declaration in input order.
fn valid_as_json_lines() -> (String, Vec<bool>) {
    let map: Vec<(String, String)> = std::fs::read_to_string(kcs("kcs.map"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let (c, p) = l.split_once('=').unwrap();
            (c.trim().to_owned(), p.trim().to_owned())
        })
        .collect();
    let text = std::fs::read_to_string(kcs("valid.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let fraud = col("Fraud");
    let numbers = ["tax_rate", "net_kg", "price"];
    let (mut jsonl, mut found) = (String::new(), Vec::new());
    for l in lines.filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = l.split(',').collect();
        let mut decl = serde_json::Map::new();
        let mut item = serde_json::Map::new();
        for (c, path) in &map {
            let cell = cells[col(c)];
            if cell.is_empty() {
                continue;
            }
            let (target, field) = match path.strip_prefix("items.") {
                Some(f) => (&mut item, f),
                None => (&mut decl, path.as_str()),
            };
            let value = if numbers.contains(&field) {
                Value::Number(cell.parse::<serde_json::Number>().unwrap())
            } else {
                Value::String(cell.to_owned())
            };
            target.insert(field.to_owned(), value);
        }
        decl.insert("items".into(), Value::Array(vec![Value::Object(item)]));
        jsonl.push_str(&Value::Object(decl).to_string());
        jsonl.push('\n');
        found.push(cells[fraud] == "1");
    }
    (jsonl, found)
}

/// The scorecard of `examples/kcs/scorecard.sem` (tables from `train.csv`
/// only) reaches a precision of 0.95 or more when the top 5% of
/// `valid.csv` by score are inspected. Computed here from `semaforo eval`'s
/// outcomes and the `Fraud` column, not from the backtest report: ranked by
/// score, highest first, ties in input order, `ceil(n * 5 / 100)` inspected.
/// Each outcome's score is the sum of its fired rules' points (the reasons
/// a selection is explained by), and the red lane is about 5%.
#[test]
fn kcs_scorecard_precision_at_5_percent_on_valid() {
    use std::io::Write;
    let (jsonl, found) = valid_as_json_lines();
    let mut c = Command::new(BIN);
    c.arg("eval")
        .arg(kcs("scorecard.sem"))
        .args(["--input", "-", "--today", "2021-03-31"])
        .args(["--sampling-key", "000102030405060708090a0b0c0d0e0f"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    scorecard_tables(&mut c);
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(jsonl.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(outcomes.len(), found.len());
    assert_eq!(found.len(), 8134);

    let mut scores = Vec::with_capacity(outcomes.len());
    let mut red = 0usize;
    for o in &outcomes {
        let score = o["score"].as_i64().unwrap();
        let points: i64 = o["fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["points"].as_i64().unwrap())
            .sum();
        assert_eq!(points, score, "{o}");
        red += usize::from(o["lane"] == "red");
        scores.push(score);
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(scores[i]), i));
    let precision = |k: usize| {
        let n = (scores.len() * k).div_ceil(100);
        let hits = order[..n].iter().filter(|&&i| found[i]).count();
        hits as f64 / n as f64
    };
    let base = found.iter().filter(|&&f| f).count() as f64 / found.len() as f64;
    let p5 = precision(5);
    assert!(
        p5 >= 0.95,
        "precision at 5%: {p5:.4} (1%: {:.4}, 2%: {:.4}, 10%: {:.4}; base rate {base:.4})",
        precision(1),
        precision(2),
        precision(10)
    );
    let share = red as f64 / scores.len() as f64;
    assert!((0.03..=0.07).contains(&share), "red share {share:.4}");
}

/// The `test` blocks of the scorecard pass with its tables, and the
/// ruleset checks without warnings.
#[test]
fn kcs_scorecard_tests_pass() {
    for cmd in [&["test"][..], &["check", "--deny-warnings"][..]] {
        let mut c = Command::new(BIN);
        c.args(cmd).arg(kcs("scorecard.sem"));
        if cmd[0] == "test" {
            scorecard_tables(&mut c);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
