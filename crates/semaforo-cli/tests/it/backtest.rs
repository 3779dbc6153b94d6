//! `semaforo backtest` through the real binary: counts checked against an
//! independent computation of the fixture ruleset, CSV and JSON Lines
//! agreeing, malformed input reported by line, thread-count independence
//! and the HTML report.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_semaforo");
const KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/backtest")
        .join(name)
}

fn scratch_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("semaforo-backtest-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn backtest(input: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.arg("backtest")
        .arg(data("rules.sem"))
        .arg("--input")
        .arg(input)
        .args(["--today", "2026-06-01", "--sampling-key", KEY]);
    if input.extension().is_some_and(|e| e == "csv") {
        c.arg("--map-file").arg(data("map.txt"));
    }
    c.args(extra).output().unwrap()
}

fn json_report(input: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = backtest(input, &args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}); stderr: {stderr}"));
    (v, stderr)
}

/// One generated declaration.
#[derive(Clone, Debug)]
struct Decl {
    id: String,
    origin: &'static str,
    aeo: bool,
    freight: Option<u32>,
    /// (hs, value in cents, kg, found)
    items: Vec<(&'static str, u64, u32, bool)>,
}

/// A deterministic generator (xorshift), so the fixture needs no files.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn generate(n: usize) -> Vec<Decl> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let origins = ["CN", "US", "MX", "GT", "VN"];
    let hs = ["6403", "8471", "6402", "0901"];
    (0..n)
        .map(|i| {
            let items = (0..r.below(4))
                .map(|_| {
                    // Values around 1000.00 so `> 1000` is exercised at the edge.
                    let value = 90_000 + r.below(20_000);
                    (
                        hs[r.below(4) as usize],
                        value,
                        1 + r.below(50) as u32,
                        r.below(4) == 0,
                    )
                })
                .collect();
            Decl {
                id: format!("D{i:05}"),
                origin: origins[r.below(5) as usize],
                aeo: r.below(3) == 0,
                freight: if r.below(2) == 0 {
                    None
                } else {
                    Some(r.below(200) as u32)
                },
                items,
            }
        })
        .collect()
}

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn write_csv(decls: &[Decl], path: &Path) {
    let mut s = String::from("Decl,Origin,AEO,Date,Freight,HS,Value,Kg,Found\n");
    for d in decls {
        let freight = d.freight.map(|f| f.to_string()).unwrap_or_default();
        let aeo = if d.aeo { "1" } else { "0" };
        if d.items.is_empty() {
            s.push_str(&format!(
                "{},{},{aeo},2026-05-01,{freight},,,,0\n",
                d.id, d.origin
            ));
        }
        for (hs, v, kg, found) in &d.items {
            s.push_str(&format!(
                "{},{},{aeo},2026-05-01,{freight},{hs},{},{kg},{}\n",
                d.id,
                d.origin,
                money(*v),
                u8::from(*found)
            ));
        }
    }
    std::fs::write(path, s).unwrap();
}

fn write_jsonl(decls: &[Decl], path: &Path) {
    let mut s = String::new();
    for d in decls {
        let items: Vec<String> = d
            .items
            .iter()
            .map(|(hs, v, kg, _)| format!(r#"{{"hs":"{hs}","value":{},"kg":{kg}}}"#, money(*v)))
            .collect();
        let freight = d
            .freight
            .map(|f| format!(r#","freight":{f}"#))
            .unwrap_or_default();
        let found = d.items.iter().any(|i| i.3);
        s.push_str(&format!(
            r#"{{"id":"{}","origin":"{}","aeo":{},"declared_on":"2026-05-01"{freight},"items":[{}],"found":{}}}"#,
            d.id,
            d.origin,
            d.aeo,
            items.join(","),
            u8::from(found)
        ));
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// What the fixture ruleset decides, computed by hand.
struct Expected {
    lanes: [u64; 3],
    fired: [u64; 4],
    undetermined: [u64; 4],
    hits: [u64; 4],
    lane_hits: [u64; 3],
    positives: u64,
    top: Vec<(u64, f64)>,
}

fn expected(decls: &[Decl]) -> Expected {
    let mut e = Expected {
        lanes: [0; 3],
        fired: [0; 4],
        undetermined: [0; 4],
        hits: [0; 4],
        lane_hits: [0; 3],
        positives: 0,
        top: Vec::new(),
    };
    let mut ranked = Vec::new();
    for d in decls {
        let found = d.items.iter().any(|i| i.3);
        let orig = d.origin == "CN";
        let high = d.items.iter().any(|i| i.1 > 100_000);
        let freight = d.freight.map(|f| f > 100);
        let fired = [orig, high, freight == Some(true), d.aeo];
        let score = 30 * i64::from(orig) + 40 * i64::from(high) - 10 * i64::from(d.aeo);
        let mut lane = if score >= 60 {
            2
        } else if score >= 30 {
            1
        } else {
            0
        };
        if fired[2] {
            lane = 2;
        }
        e.lanes[lane] += 1;
        if found {
            e.lane_hits[lane] += 1;
            e.positives += 1;
        }
        for (i, f) in fired.iter().enumerate() {
            if *f {
                e.fired[i] += 1;
                if found {
                    e.hits[i] += 1;
                }
            }
        }
        if freight.is_none() {
            e.undetermined[2] += 1;
        }
        ranked.push((score, found));
    }
    // Top k%: the n best-scored; of those tied at the cut score (the n-th
    // best), the hits expected from a uniformly random pick of the ones
    // still needed (the report must not depend on the input's order).
    ranked.sort_by_key(|x| std::cmp::Reverse(x.0));
    for k in [1u64, 2, 5, 10] {
        let n = (decls.len() as u64 * k).div_ceil(100);
        let cut = ranked[n as usize - 1].0;
        let above: Vec<_> = ranked.iter().filter(|x| x.0 > cut).collect();
        let tied: Vec<_> = ranked.iter().filter(|x| x.0 == cut).collect();
        let above_hits = above.iter().filter(|x| x.1).count() as f64;
        let tied_hits = tied.iter().filter(|x| x.1).count() as f64;
        let taken = (n as usize - above.len()) as f64;
        let hits = above_hits + tied_hits * taken / tied.len() as f64;
        e.top.push((n, hits));
    }
    e
}

fn check_against(v: &Value, e: &Expected, n: usize) {
    assert_eq!(v["declarations"]["read"], n as u64);
    assert_eq!(v["declarations"]["rejected"], 0);
    assert_eq!(v["declarations"]["evaluated"], n as u64);
    for (i, lane) in ["green", "yellow", "red"].iter().enumerate() {
        assert_eq!(v["lanes"][i]["lane"], *lane);
        assert_eq!(v["lanes"][i]["count"], e.lanes[i], "lane {lane}");
        assert_eq!(v["lanes"][i]["hits"], e.lane_hits[i], "lane {lane} hits");
    }
    for (i, id) in ["ORIG", "HIGH", "FREIGHT", "AEO"].iter().enumerate() {
        let r = &v["rules"][i];
        assert_eq!(r["id"], *id);
        assert_eq!(r["fired"], e.fired[i], "{id} fired");
        assert_eq!(r["undetermined"], e.undetermined[i], "{id} undetermined");
        assert_eq!(r["hits"], e.hits[i], "{id} hits");
    }
    // FREIGHT sets lane red, so every declaration it fires on was forced red.
    assert_eq!(v["rules"][2]["forced"], e.fired[2]);
    let o = &v["outcome"];
    assert_eq!(o["labelled"], n as u64);
    assert_eq!(o["positives"], e.positives);
    for (i, (inspected, hits)) in e.top.iter().enumerate() {
        assert_eq!(o["top"][i]["inspected"], *inspected);
        let got = o["top"][i]["hits"].as_f64().unwrap();
        assert!((got - hits).abs() < 1e-9, "top {i}: {got} != {hits}");
        // Whole numbers of hits are written as integers.
        assert_eq!(o["top"][i]["hits"].is_u64(), hits.fract() == 0.0, "top {i}");
    }
}

#[test]
fn csv_counts_match_an_independent_computation() {
    let dir = scratch_dir("csv");
    let decls = generate(3000);
    let csv = dir.join("decls.csv");
    write_csv(&decls, &csv);
    let (v, stderr) = json_report(&csv, &["--outcome", "Found"]);
    check_against(&v, &expected(&decls), decls.len());
    assert_eq!(v["ruleset"]["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(v["ruleset"]["engine"], semaforo::ENGINE_VERSION);
    let rows: usize = decls.iter().map(|d| d.items.len().max(1)).sum();
    assert_eq!(v["rows"], rows as u64);
    assert_eq!(v["warnings"], 0, "{stderr}");
}

#[test]
fn jsonl_counts_match_and_agree_with_csv() {
    let dir = scratch_dir("jsonl");
    let decls = generate(3000);
    let jsonl = dir.join("decls.jsonl");
    let csv = dir.join("decls.csv");
    write_jsonl(&decls, &jsonl);
    write_csv(&decls, &csv);
    let (j, _) = json_report(&jsonl, &["--outcome", "found"]);
    check_against(&j, &expected(&decls), decls.len());
    let (c, _) = json_report(&csv, &["--outcome", "Found"]);
    assert_eq!(j["lanes"], c["lanes"]);
    assert_eq!(j["rules"], c["rules"]);
    assert_eq!(j["scores"], c["scores"]);
    assert_eq!(j["outcome"]["top"], c["outcome"]["top"]);
}

#[test]
fn thread_count_does_not_change_the_report() {
    let dir = scratch_dir("threads");
    // More than one batch, so batching and chunking are both exercised.
    let decls = generate(20_000);
    let csv = dir.join("decls.csv");
    let jsonl = dir.join("decls.jsonl");
    write_csv(&decls, &csv);
    write_jsonl(&decls, &jsonl);
    for (input, outcome) in [(&csv, "Found"), (&jsonl, "found")] {
        let one = backtest(
            input,
            &["--format", "json", "--outcome", outcome, "--threads", "1"],
        );
        let two = backtest(
            input,
            &["--format", "json", "--outcome", outcome, "--threads", "2"],
        );
        let three = backtest(
            input,
            &["--format", "json", "--outcome", outcome, "--threads", "3"],
        );
        assert!(one.status.success());
        assert!(!one.stdout.is_empty());
        assert_eq!(one.stdout, two.stdout);
        assert_eq!(one.stdout, three.stdout);
    }
}

#[test]
fn malformed_csv_rows_are_reported_by_line_and_counted() {
    let (v, stderr) = json_report(&data("bad.csv"), &["--outcome", "Found"]);
    assert_eq!(v["declarations"]["read"], 7);
    assert_eq!(v["declarations"]["rejected"], 4);
    assert_eq!(v["declarations"]["evaluated"], 3);
    assert_eq!(v["warnings"], 1);
    for (line, what) in [
        (3, "`Value`"),
        (5, "expected 9 cells"),
        (6, "`Date`"),
        (7, "`Found`"),
    ] {
        let needle = format!("bad.csv:{line}: ");
        let l = stderr
            .lines()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("no message for line {line} in:\n{stderr}"));
        assert!(l.starts_with("error:") && l.contains(what), "{l}");
    }
    assert!(
        stderr.lines().any(|l| l.starts_with("warning:")
            && l.contains("bad.csv:9:")
            && l.contains("`Origin`")),
        "{stderr}"
    );
    let out = backtest(&data("bad.csv"), &["--outcome", "Found"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn malformed_json_lines_are_reported_by_line_and_counted() {
    let (v, stderr) = json_report(&data("bad.jsonl"), &["--outcome", "found"]);
    assert_eq!(v["declarations"]["read"], 5);
    assert_eq!(v["declarations"]["rejected"], 2);
    assert_eq!(v["declarations"]["evaluated"], 3);
    assert!(stderr.contains("bad.jsonl:3: "), "{stderr}");
    assert!(stderr.contains("bad.jsonl:4: "), "{stderr}");
    assert!(!stderr.contains("bad.jsonl:1: "), "{stderr}");
    // J5's freight of 200 sends it red; J1 (CN, 1200.50) scores 70, red too.
    assert_eq!(v["lanes"][2]["count"], 2);
    assert_eq!(v["outcome"]["positives"], 2);
}

#[test]
fn max_errors_stops_early() {
    let (v, stderr) = json_report(&data("bad.csv"), &["--max-errors", "1"]);
    assert_eq!(v["stopped_early"], true);
    assert_eq!(v["declarations"]["rejected"], 1);
    assert_eq!(v["declarations"]["read"], 2);
    assert_eq!(
        stderr.lines().filter(|l| l.contains("bad.csv:")).count(),
        1,
        "{stderr}"
    );
    let (v, _) = json_report(&data("bad.csv"), &["--max-errors", "100"]);
    assert_eq!(v["stopped_early"], false);
}

#[test]
fn html_report_is_self_contained_with_charts() {
    let dir = scratch_dir("html");
    let decls = generate(500);
    let csv = dir.join("decls.csv");
    write_csv(&decls, &csv);
    let html = dir.join("report.html");
    let out = backtest(
        &csv,
        &["--outcome", "Found", "--report", html.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    for chart in [
        "lane distribution",
        "rule hits and hit rates",
        "score distribution",
        "precision at k percent",
    ] {
        assert!(
            text.contains(&format!("aria-label=\"{chart}\"")),
            "missing chart {chart}"
        );
    }
    assert_eq!(text.matches("<svg").count(), 4);
    assert!(!text.contains("<script"));
    assert!(!text.contains("http://") && !text.contains("https://"));
    // The human table goes to stdout at the same time.
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("top k%"), "{stdout}");
    // Both name the engine beside the fingerprint.
    let engine = semaforo::ENGINE_VERSION;
    assert!(
        stdout.contains(&format!(", engine {engine}), evaluated on 2026-06-01")),
        "{stdout}"
    );
    assert!(
        text.contains(&format!("engine <code>{engine}</code>")),
        "no engine in the HTML report"
    );
}

/// The `<svg>` element whose `aria-label` is `label`.
fn chart<'a>(html: &'a str, label: &str) -> &'a str {
    let at = html
        .find(&format!("aria-label=\"{label}\""))
        .unwrap_or_else(|| panic!("no chart {label}"));
    let start = html[..at].rfind("<svg").unwrap();
    let end = at + html[at..].find("</svg>").unwrap();
    &html[start..end]
}

#[test]
fn html_report_explains_its_terms_and_labels_its_axes_truthfully() {
    let dir = scratch_dir("html-labels");
    let decls = generate(500);
    let csv = dir.join("decls.csv");
    write_csv(&decls, &csv);
    let html = dir.join("report.html");
    let (v, stderr) = json_report(
        &csv,
        &["--outcome", "Found", "--report", html.to_str().unwrap()],
    );
    let text = std::fs::read_to_string(&html).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    // Rule ids stay on one line.
    assert!(text.contains("td code{white-space:nowrap}"));
    assert!(text.contains("<td class=\"id\"><code>ORIG</code></td>"));
    // A glossary for the terms that are not everyday words.
    for term in ["undetermined", "forced", "lift"] {
        assert!(
            text.contains(&format!("<dt>{term}</dt><dd>")),
            "no glossary entry for {term}"
        );
    }
    // The score histogram's horizontal axis is a scale: the fixture's
    // scores leave gaps, and each bar stands at its score's position
    // (equal score differences, equal distances), the gaps left empty.
    let scores = chart(&text, "score distribution");
    let bins = v["scores"]["histogram"].as_array().unwrap();
    let at = |b: &Value| b["from"].as_i64().unwrap();
    let gapless = bins.windows(2).all(|p| at(&p[0]) + 1 == at(&p[1]));
    assert!(!gapless, "the fixture's scores leave gaps: {bins:?}");
    assert!(bins.iter().all(|b| b["from"] == b["to"]), "{bins:?}");
    assert!(!scores.contains("not to scale"), "{scores}");
    assert!(text.contains("the horizontal axis is to scale"));
    let bar_x = |score: i64| -> f64 {
        let title = format!("<title>score {score}: ");
        let end = scores
            .find(&title)
            .unwrap_or_else(|| panic!("no bar for {score}"));
        let rect = &scores[scores[..end].rfind("<rect x=\"").unwrap() + 9..];
        rect[..rect.find('"').unwrap()].parse().unwrap()
    };
    let (s0, s1) = (at(&bins[0]), at(bins.last().unwrap()));
    let per_point = (bar_x(s1) - bar_x(s0)) / (s1 - s0) as f64;
    for b in bins {
        let expected = bar_x(s0) + (at(b) - s0) as f64 * per_point;
        assert!(
            (bar_x(at(b)) - expected).abs() < 0.2,
            "bar for {} at {} not {expected}",
            at(b),
            bar_x(at(b))
        );
    }
    // The axis is labelled with scores, the lowest among them.
    assert!(scores.contains(&format!(">{s0}</text>")), "{scores}");
    // Precision at k: the axis ends just above the highest bar or base
    // rate, and the base-rate line is labelled.
    let base = v["outcome"]["base_rate"].as_f64().unwrap();
    let highest = v["outcome"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["precision"].as_f64())
        .fold(base, f64::max);
    let top = chart(&text, "precision at k percent");
    let ticks: Vec<f64> = top
        .split("text-anchor=\"end\">")
        .skip(1)
        .map(|t| t[..t.find("%</text>").unwrap()].parse::<f64>().unwrap() / 100.0)
        .collect();
    let axis_max = ticks.iter().copied().fold(0.0, f64::max);
    assert!(
        axis_max >= highest && axis_max < highest + 0.2,
        "axis to {axis_max} for bars up to {highest}: {ticks:?}"
    );
    let base_label = format!("base rate {:.1}%</text>", base * 100.0);
    assert!(top.contains(&base_label), "{top}");
    assert!(chart(&text, "rule hits and hit rates").contains(&base_label));
}

#[test]
fn missing_mapping_for_a_required_field_is_a_clear_error() {
    let out = Command::new(BIN)
        .arg("backtest")
        .arg(data("rules.sem"))
        .arg("--input")
        .arg(data("bad.csv"))
        .args(["--today", "2026-06-01", "--sampling-key", KEY])
        .args(["--map", "Decl=id", "--map", "Origin=origin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("required field `aeo`"), "{stderr}");
}

#[test]
fn a_stray_quote_rejects_one_row_and_every_other_row_is_read() {
    // Row 12 (line 13) opens a quote it never closes. Rows read plus rows
    // rejected is every row of the file.
    let dir = scratch_dir("stray-quote");
    let mut text = String::from("Decl,Origin,AEO,Date,Freight,HS,Value,Kg,Found\n");
    for i in 1..=2_000 {
        let origin = if i == 12 { "\"CN" } else { "CN" };
        text.push_str(&format!("D{i},{origin},0,2026-01-02,,6403,10,1,0\n"));
    }
    // A row with one cell too many, and one with one too few.
    text.push_str("E1,CN,0,2026-01-02,,6403,1,000,1,0\nE2,CN,0\n");
    let path = dir.join("quote.csv");
    std::fs::write(&path, text).unwrap();
    let (v, stderr) = json_report(&path, &["--outcome", "Found"]);
    assert_eq!(v["rows"], 2_002);
    assert_eq!(v["rows_rejected"], 3);
    assert_eq!(v["declarations"]["read"], 2_002);
    assert_eq!(v["declarations"]["rejected"], 3);
    assert_eq!(v["declarations"]["evaluated"], 1_999);
    assert!(
        stderr.contains(
            "quote.csv:13: column `Origin` opens a quote that is not closed on this line"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("quote.csv:2002: expected 9 cells as in the header, found 10"),
        "{stderr}"
    );
    assert!(
        stderr.contains("quote.csv:2003: expected 9 cells as in the header, found 3"),
        "{stderr}"
    );
    let out = backtest(&path, &["--outcome", "Found"]);
    assert_eq!(out.status.code(), Some(1));
    let human = String::from_utf8(out.stdout).unwrap();
    assert!(
        human.contains("2002 rows (1999 read, 3 rejected)"),
        "{human}"
    );
}

/// `x / 2` (`x` in halves) rounded half to even.
fn half_even_of_halves(x: i64) -> i64 {
    let (q, r) = (x.div_euclid(2), x.rem_euclid(2));
    if r == 1 && q % 2 != 0 { q + 1 } else { q }
}

/// `x / 10` rounded half to even.
fn half_even_of_tenths(x: i64) -> i64 {
    let (q, r) = (x.div_euclid(10), x.rem_euclid(10));
    if r > 5 || (r == 5 && q % 2 != 0) {
        q + 1
    } else {
        q
    }
}

/// The lane the split `red 25%, yellow 50%` chooses for a lane draw:
/// 2 (red) below 250,000, 1 (yellow) below 750,000, none above.
fn split_lane(draw: u64) -> Option<usize> {
    if draw < 250_000 {
        Some(2)
    } else if draw < 750_000 {
        Some(1)
    } else {
        None
    }
}

#[test]
fn points_shadow_rules_and_lane_splits_are_counted() {
    let dir = scratch_dir("scorecard");
    let decls = generate(2000);
    let jsonl = dir.join("decls.jsonl");
    write_jsonl(&decls, &jsonl);
    let rules = data("scorecard.sem");
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .arg("backtest")
            .arg(&rules)
            .arg("--input")
            .arg(&jsonl)
            .args([
                "--today",
                "2026-06-01",
                "--sampling-key",
                KEY,
                "--outcome",
                "found",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    // The lane draws come from `eval` (they are keyed hashes); everything
    // else is computed here from the declarations.
    let eval = Command::new(BIN)
        .arg("eval")
        .arg(&rules)
        .arg("--input")
        .arg(&jsonl)
        .args(["--today", "2026-06-01", "--sampling-key", KEY])
        .output()
        .unwrap();
    let draws: Vec<Option<u64>> = String::from_utf8(eval.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["fired"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == "SPLIT")
                .map(|f| f["lane_draw"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(draws.len(), decls.len());
    let (mut kg_fired, mut kg_points, mut kg_hits) = (0u64, 0i64, 0u64);
    let (mut frt_fired, mut frt_points) = (0u64, 0i64);
    let (mut cand, mut cand_hits, mut cand_raises) = (0u64, 0u64, 0u64);
    let (mut split_fired, mut split) = (0u64, [0u64; 3]);
    let mut lanes = [0u64; 3];
    for (d, draw) in decls.iter().zip(&draws) {
        let found = d.items.iter().any(|i| i.3);
        let mut score = 0;
        if d.origin == "CN" {
            let kg: i64 = d.items.iter().map(|i| i64::from(i.2)).sum();
            let p = half_even_of_halves(kg);
            kg_fired += 1;
            kg_points += p;
            kg_hits += u64::from(found);
            score += p;
        }
        if d.items.iter().any(|i| i.0.starts_with("64")) {
            let p = d.freight.map_or(0, |f| half_even_of_tenths(i64::from(f)));
            frt_fired += 1;
            frt_points += p;
            score += p;
        }
        let mut lane = if score >= 60 {
            2
        } else if score >= 30 {
            1
        } else {
            0
        };
        // The split fires exactly on the non-AEO declarations.
        assert_eq!(draw.is_some(), !d.aeo, "{}", d.id);
        if let Some(draw) = draw {
            split_fired += 1;
            match split_lane(*draw) {
                Some(l) => {
                    split[2 - l] += 1;
                    lane = lane.max(l);
                }
                None => split[2] += 1,
            }
        }
        lanes[lane] += 1;
        if d.freight.is_some_and(|f| f > 150) {
            cand += 1;
            cand_hits += u64::from(found);
            cand_raises += u64::from(lane < 2);
        }
    }
    let out = run(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, n) in lanes.iter().enumerate() {
        assert_eq!(v["lanes"][i]["count"], *n, "lane {i}");
    }
    // Shadow rules are not among the rules; they are listed apart.
    let ids: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["KG", "FRT", "SPLIT"]);
    let kg = &v["rules"][0];
    assert_eq!(kg["fired"], kg_fired);
    assert_eq!(kg["points"], kg_points);
    assert_eq!(kg["hits"], kg_hits);
    let mean = kg["mean_points"].as_f64().unwrap();
    assert!((mean - kg_points as f64 / kg_fired as f64).abs() < 1e-9);
    assert_eq!(kg["split"], Value::Null);
    let frt = &v["rules"][1];
    assert_eq!(frt["fired"], frt_fired);
    assert_eq!(frt["points"], frt_points);
    let sp = &v["rules"][2];
    assert_eq!(sp["fired"], split_fired);
    assert_eq!(sp["points"], 0);
    assert_eq!(
        sp["split"],
        serde_json::json!([
            {"lane": "red", "count": split[0]},
            {"lane": "yellow", "count": split[1]},
            {"lane": null, "count": split[2]},
        ])
    );
    // The split's lane is the final lane when it is the most severe: its
    // red choices always are.
    assert!(sp["forced"].as_u64().unwrap() >= split[0]);
    let shadow = v["shadow_rules"].as_array().unwrap();
    assert_eq!(shadow.len(), 1);
    let c = &shadow[0];
    assert_eq!(c["id"], "CAND");
    assert_eq!(c["monitor"], true);
    assert_eq!(c["fired"], cand);
    assert_eq!(c["points"], 20 * cand as i64);
    assert_eq!(c["hits"], cand_hits);
    assert_eq!(c["raises_lane"], cand_raises);
    // Every count is non-trivial, so the test checks something.
    assert!(kg_fired > 0 && frt_fired > 0 && cand > 0 && cand_raises > 0);
    assert!(split.iter().all(|n| *n > 0), "{split:?}");
    // The readable form: points columns, the shadow table and the splits.
    let text = String::from_utf8(run(&[]).stdout).unwrap();
    assert!(
        text.contains("shadow rules (monitor): would have fired, changed nothing"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "SPLIT red {}, yellow {}, no lane {}",
            split[0], split[1], split[2]
        )),
        "{text}"
    );
    let kg_line = text.lines().find(|l| l.starts_with("KG ")).unwrap();
    assert!(kg_line.contains(&format!(" {kg_points} ")), "{kg_line}");
    let cand_line = text.lines().find(|l| l.starts_with("CAND ")).unwrap();
    assert!(
        cand_line.starts_with(&format!("CAND  {cand:>10}")),
        "{cand_line}"
    );
    // The HTML report lists the shadow rules apart, and the splits.
    let html = dir.join("r.html");
    let out = run(&["--report", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("<h2>Shadow rules (<code>monitor</code>)</h2>"));
    assert!(html.contains(&format!(
        "red {}, yellow {}, no lane {}",
        split[0], split[1], split[2]
    )));
    assert!(html.contains("<th>points</th><th>mean points</th>"));
}

/// The scorecard example of docs/cli.md is what `backtest` prints (but for
/// its first line, which names the engine version).
#[test]
fn the_documented_scorecard_report_is_real() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(BIN)
        .current_dir(&root)
        .args([
            "backtest",
            "crates/semaforo-cli/tests/data/backtest/scorecard.sem",
            "--input",
            "crates/semaforo-cli/tests/data/backtest/scorecard.jsonl",
            "--outcome",
            "found",
            "--today",
            "2026-06-01",
            "--sampling-key-file",
            "examples/regional/sampling.key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let (_, rest) = text.split_once('\n').unwrap();
    let docs = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    assert!(
        docs.contains(rest),
        "docs/cli.md does not show this report:\n{text}"
    );
}
