//! `semaforo results` and `backtest --outcomes` through the real binary.
//!
//! Outcomes come from `semaforo eval` on `tests/data/results/rules.sem`
//! over declarations generated here, in two runs a month apart; the
//! result file is generated here from those outcomes with known findings,
//! revenue and overrides. The expected counts are recomputed in the test
//! from the outcome lines and the results it wrote, independently of the
//! command's code.

use crate::support::{Run, run, scratch, write};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results/rules.sem")
}

/// `n` declarations starting at number `from`, varied origins and values.
fn declarations(from: usize, n: usize) -> String {
    let origins = ["CN", "US", "VN", "MX", "DE"];
    (from..from + n)
        .map(|i| {
            format!(
                "{{\"id\":\"D{i:04}\",\"origin\":\"{}\",\"value\":{}}}\n",
                origins[i % origins.len()],
                (i * 373) % 9000
            )
        })
        .collect()
}

/// Runs `eval` on `input` (in `dir`) on `today`; the outcome lines.
fn eval(dir: &Path, rules: &Path, input: &str, today: &str) -> String {
    let r = run(
        dir,
        &[
            "eval",
            rules.to_str().unwrap(),
            "--input",
            input,
            "--today",
            today,
            "--sampling-key",
            KEY,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

/// One result the test wrote.
#[derive(Clone, Debug)]
struct Res {
    override_reason: Option<&'static str>,
    /// `None`: not controlled (override without a control).
    finding: Option<bool>,
    office: &'static str,
}

/// Revenue of every hit, in thousandths.
const REVENUE_MILLI: u64 = 12_345;

/// Writes the results for `outcomes` to `dir/results.csv`: every
/// declaration not on green, and every fourth on green, has a result.
/// Findings: never for VAL-001's selections, else every third id; every
/// seventh controlled declaration overridden to red ("intelligence"),
/// every eleventh released to green without a control ("capacity").
fn write_results(dir: &Path, outcomes: &[Value]) -> BTreeMap<String, Res> {
    let mut csv = String::from(
        "id,lane,override_lane,override_reason,finding,finding_type,revenue,office,date\n",
    );
    let mut map = BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        let id = o["id"].as_str().unwrap().to_string();
        let lane = o["lane"].as_str().unwrap();
        if lane == "green" && i % 4 != 0 {
            continue;
        }
        let val = fired(o).iter().any(|f| f == "VAL-001");
        let n: usize = id[1..].parse().unwrap();
        let office = if n.is_multiple_of(2) { "GT01" } else { "GT02" };
        let (ov, reason, finding) = if i % 11 == 0 {
            ("green", Some("capacity"), None)
        } else if i % 7 == 0 {
            (
                "red",
                Some("intelligence"),
                Some(!val && n.is_multiple_of(3)),
            )
        } else {
            ("", None, Some(!val && n.is_multiple_of(3)))
        };
        let f = match finding {
            None => "",
            Some(true) => "yes",
            Some(false) => "no",
        };
        let (ftype, revenue) = if finding == Some(true) {
            ("valuation", "12.345")
        } else {
            ("", "")
        };
        let date = &o["today"].as_str().unwrap()[..8];
        csv.push_str(&format!(
            "{id},{lane},{ov},{},{f},{ftype},{revenue},{office},{date}25\n",
            reason.unwrap_or("")
        ));
        map.insert(
            id,
            Res {
                override_reason: reason,
                finding,
                office,
            },
        );
    }
    write(dir, "results.csv", &csv);
    map
}

fn fired(o: &Value) -> Vec<String> {
    o["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Expected counters, computed from the outcomes and results directly.
#[derive(Default, Debug, PartialEq)]
struct Exp {
    selections: u64,
    controls: u64,
    hits: u64,
    overrides: u64,
    capacity: u64,
    intelligence: u64,
}

impl Exp {
    fn add(&mut self, r: Option<&Res>) {
        self.selections += 1;
        let Some(r) = r else { return };
        match r.override_reason {
            Some("capacity") => {
                self.overrides += 1;
                self.capacity += 1;
            }
            Some(_) => {
                self.overrides += 1;
                self.intelligence += 1;
            }
            None => {}
        }
        if let Some(f) = r.finding {
            self.controls += 1;
            self.hits += u64::from(f);
        }
    }

    fn of(v: &Value) -> Exp {
        let reason = |k: &str| v["overrides_by_reason"][k].as_u64().unwrap_or(0);
        Exp {
            selections: v["selections"].as_u64().unwrap(),
            controls: v["controls"].as_u64().unwrap(),
            hits: v["hits"].as_u64().unwrap(),
            overrides: v["overrides"].as_u64().unwrap(),
            capacity: reason("capacity"),
            intelligence: reason("intelligence"),
        }
    }
}

/// Revenue per control in cents, rounded half to even, as text.
fn per_control(hits: u64, controls: u64) -> String {
    // thousandths / controls -> cents: divide by 10 * controls.
    let num = hits * REVENUE_MILLI;
    let den = 10 * controls;
    let (q, r) = (num / den, num % den);
    let q = if 2 * r > den || (2 * r == den && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    format!("{}.{:02}", q / 100, q % 100)
}

/// The fixture: two months of outcomes and their results in a scratch dir.
struct Fixture {
    dir: PathBuf,
    outcomes: Vec<Value>,
    results: BTreeMap<String, Res>,
}

fn fixture(name: &str) -> Fixture {
    let dir = scratch(name);
    write(&dir, "may.jsonl", &declarations(0, 200));
    write(&dir, "june.jsonl", &declarations(200, 200));
    let mut text = eval(&dir, &rules(), "may.jsonl", "2026-05-20");
    text.push_str(&eval(&dir, &rules(), "june.jsonl", "2026-06-20"));
    write(&dir, "outcomes.jsonl", &text);
    let outcomes = parse_lines(&text);
    let results = write_results(&dir, &outcomes);
    Fixture {
        dir,
        outcomes,
        results,
    }
}

fn results_json(dir: &Path, extra: &[&str], code: i32) -> (Value, Run) {
    let mut args = vec![
        "results",
        "--outcomes",
        "outcomes.jsonl",
        "--results",
        "results.csv",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let r = run(dir, &args);
    assert_eq!(r.code, code, "stderr: {}", r.stderr);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (v, r)
}

#[test]
fn results_reproduce_hit_rates_revenue_overrides_and_base_rate() {
    let f = fixture("results-rates");
    let (v, _) = results_json(&f.dir, &[], 0);
    let mut per_rule: BTreeMap<String, Exp> = BTreeMap::new();
    let mut rows: BTreeMap<(String, Option<String>, String), Exp> = BTreeMap::new();
    let mut base = Exp::default();
    for o in &f.outcomes {
        let r = f.results.get(o["id"].as_str().unwrap());
        let month = o["today"].as_str().unwrap()[..7].to_string();
        let office = r.map(|r| r.office.to_string());
        let entries = o["fired"]
            .as_array()
            .unwrap()
            .iter()
            .chain(o["monitored"].as_array().unwrap());
        for e in entries {
            let id = e["id"].as_str().unwrap().to_string();
            per_rule.entry(id.clone()).or_default().add(r);
            rows.entry((id, office.clone(), month.clone()))
                .or_default()
                .add(r);
        }
        if o["fired"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.get("draw").is_some())
        {
            base.add(r);
        }
    }
    let g = &v["rulesets"][0];
    assert_eq!(v["rulesets"].as_array().unwrap().len(), 1);
    assert_eq!(g["outcomes"], 400);
    assert_eq!(g["with_result"].as_u64().unwrap(), f.results.len() as u64);
    // Per rule: every counter, the hit rate, revenue per control, lift.
    let base_rate = base.hits as f64 / base.controls as f64;
    assert!(
        base.controls > 10,
        "the sample must have controls: {base:?}"
    );
    for rr in g["rules"].as_array().unwrap() {
        let id = rr["rule"].as_str().unwrap();
        let exp = per_rule.remove(id).unwrap_or_default();
        assert_eq!(Exp::of(rr), exp, "rule {id}");
        if exp.controls > 0 {
            let rate = exp.hits as f64 / exp.controls as f64;
            assert!(
                (rr["hit_rate"].as_f64().unwrap() - rate).abs() < 1e-12,
                "{id}"
            );
            assert_eq!(
                rr["revenue_per_control"],
                per_control(exp.hits, exp.controls).as_str()
            );
            assert!(
                (rr["lift"].as_f64().unwrap() - rate / base_rate).abs() < 1e-9,
                "{id}"
            );
        } else {
            assert!(rr["hit_rate"].is_null(), "{id}");
        }
        assert_eq!(rr["shadow"], id == "SHADOW-001", "{id}");
    }
    assert!(
        per_rule.is_empty(),
        "rules missing from the report: {per_rule:?}"
    );
    // Rows by rule, office and month.
    for row in g["rows"].as_array().unwrap() {
        let key = (
            row["rule"].as_str().unwrap().to_string(),
            row["office"].as_str().map(str::to_string),
            row["month"].as_str().unwrap().to_string(),
        );
        let exp = rows.remove(&key).unwrap_or_default();
        assert_eq!(Exp::of(row), exp, "row {key:?}");
    }
    assert!(rows.is_empty(), "rows missing: {rows:?}");
    // The unbiased base rate: only declarations a sampled rule fired on.
    let b = &g["base_rate"];
    assert_eq!(Exp::of(b), base);
    assert_eq!(b["rules"], serde_json::json!(["RND-001"]));
    assert!((b["hit_rate"].as_f64().unwrap() - base_rate).abs() < 1e-12);
    // Revenue is exact.
    let orig = g["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "ORIG-001")
        .unwrap();
    let hits = orig["hits"].as_u64().unwrap();
    let milli = hits * REVENUE_MILLI;
    let exact = format!("{}.{:03}", milli / 1000, milli % 1000);
    assert_eq!(
        orig["revenue"],
        exact.trim_end_matches('0').trim_end_matches('.')
    );
    assert_eq!(orig["findings_by_type"]["valuation"], hits);
}

#[test]
fn results_flag_stale_rules() {
    let f = fixture("results-stale");
    let (v, _) = results_json(&f.dir, &["--ruleset", rules().to_str().unwrap()], 0);
    let g = &v["rulesets"][0];
    assert_eq!(v["as_of"], "2026-06-25");
    assert_eq!(v["stale_before"], "2025-12-25");
    // VAL-001 never finds anything; NEVER-001 never fires (listed only
    // because the ruleset was given); the others had hits.
    assert_eq!(g["stale"], serde_json::json!(["VAL-001", "NEVER-001"]));
    let never = g["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "NEVER-001")
        .unwrap();
    assert_eq!(never["selections"], 0);
    assert!(never["last_hit"].is_null());
    // With the ruleset given, a rule's profile is beside its results (and
    // absent for a rule without one).
    let rule = |id: &str| {
        g["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        rule("VAL-001")["governance"],
        serde_json::json!({"owner": "Unidad de Riesgo", "level": "national", "status": "active", "review": "2027-01-31"})
    );
    assert!(rule("ORIG-001").get("governance").is_none());
    // Measured from a date a year on, every rule seen is stale.
    let (v, _) = results_json(&f.dir, &["--as-of", "2027-06-30", "--stale-months", "6"], 0);
    assert_eq!(
        v["rulesets"][0]["stale"].as_array().unwrap().len(),
        4,
        "{}",
        v["rulesets"][0]["stale"]
    );
}

#[test]
fn results_never_mix_fingerprints() {
    let f = fixture("results-fingerprints");
    // A second ruleset (another version, so another fingerprint) decided
    // some more declarations.
    let other = f.dir.join("other.sem");
    let text = std::fs::read_to_string(rules()).unwrap();
    std::fs::write(&other, text.replace("version \"1\"", "version \"2\"")).unwrap();
    write(&f.dir, "july.jsonl", &declarations(400, 30));
    let more = eval(&f.dir, &other, "july.jsonl", "2026-07-20");
    let mut all = std::fs::read_to_string(f.dir.join("outcomes.jsonl")).unwrap();
    all.push_str(&more);
    write(&f.dir, "outcomes.jsonl", &all);
    let other_fp = parse_lines(&more)[0]["ruleset"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    // With the ruleset given, the other fingerprint is counted apart.
    let (v, _) = results_json(&f.dir, &["--ruleset", rules().to_str().unwrap()], 0);
    assert_eq!(v["outcomes"]["other_fingerprint"], 30);
    assert_eq!(v["other_fingerprints"][0]["fingerprint"], other_fp.as_str());
    assert_eq!(v["rulesets"].as_array().unwrap().len(), 1);
    assert_eq!(v["rulesets"][0]["outcomes"], 400);
    // The same with --fingerprint (a prefix).
    let fp = f.outcomes[0]["ruleset"]["fingerprint"].as_str().unwrap();
    let (w, _) = results_json(&f.dir, &["--fingerprint", &fp[..16]], 0);
    assert_eq!(w["outcomes"]["other_fingerprint"], 30);
    // The same numbers (rules come in id order without the ruleset,
    // NEVER-001, which never fired, is unknown, and so are the profiles,
    // which only the ruleset has).
    let by_id = |v: &Value| -> BTreeMap<String, Value> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] != "NEVER-001")
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("governance");
                }
                (r["rule"].as_str().unwrap().to_string(), r)
            })
            .collect()
    };
    assert_eq!(
        by_id(&w["rulesets"][0]["rules"]),
        by_id(&v["rulesets"][0]["rules"])
    );
    // Without either, each fingerprint is reported on its own.
    let (u, _) = results_json(&f.dir, &[], 0);
    let groups = u["rulesets"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["outcomes"], 400);
    assert_eq!(groups[1]["outcomes"], 30);
    assert_eq!(groups[1]["fingerprint"], other_fp.as_str());
    assert_eq!(groups[1]["with_result"], 0);
}

#[test]
fn results_report_bad_lines_with_file_and_line() {
    let f = fixture("results-bad");
    let mut outcomes = std::fs::read_to_string(f.dir.join("outcomes.jsonl")).unwrap();
    outcomes.push_str("{\"id\": \"broken\"\n");
    outcomes.push_str("{\"index\":3,\"line\":4,\"error\":\"items: expected a list\"}\n");
    write(&f.dir, "outcomes.jsonl", &outcomes);
    let mut results = std::fs::read_to_string(f.dir.join("results.csv")).unwrap();
    let first_bad = results.lines().count() + 1;
    results.push_str("X1,red,,,maybe,,,GT01,2026-06-01\n");
    results.push_str("X2,red,,,yes,,12.5.0,GT01,2026-06-01\n");
    results.push_str("X3,red,,,no,,,GT01,2026-13-01\n");
    results.push_str("X4,red\n");
    results.push_str("NOWHERE,red,,,no,,,GT01,2026-06-01\n");
    write(&f.dir, "results.csv", &results);
    let (v, r) = results_json(&f.dir, &[], 1);
    assert!(
        r.stderr.contains("error: outcomes.jsonl:401: "),
        "{}",
        r.stderr
    );
    for line in first_bad..first_bad + 4 {
        assert!(
            r.stderr.contains(&format!("error: results.csv:{line}: ")),
            "line {line}: {}",
            r.stderr
        );
    }
    assert!(
        r.stderr.contains("`NOWHERE` has a result but no outcome"),
        "{}",
        r.stderr
    );
    assert_eq!(v["outcomes"]["lines"], 402);
    assert_eq!(v["outcomes"]["rejected"], 1);
    assert_eq!(v["outcomes"]["eval_errors"], 1);
    assert_eq!(v["results"]["rejected"], 4);
    assert_eq!(v["results"]["without_outcome"], 1);
    assert_eq!(
        v["results"]["joined"].as_u64().unwrap(),
        f.results.len() as u64
    );
}

#[test]
fn results_json_shape_text_and_html() {
    let f = fixture("results-shape");
    let (v, _) = results_json(&f.dir, &["--report", "report.html"], 0);
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let mut top = keys(&v);
    top.sort();
    assert_eq!(
        top,
        [
            "as_of",
            "by",
            "expected_fingerprint",
            "other_fingerprints",
            "outcome_files",
            "outcomes",
            "result_files",
            "results",
            "rulesets",
            "stale_before",
            "stale_months"
        ]
    );
    let mut row = keys(&v["rulesets"][0]["rows"][0]);
    row.sort();
    assert_eq!(
        row,
        [
            "controls",
            "findings_by_type",
            "hit_rate",
            "hits",
            "lift",
            "month",
            "office",
            "overrides",
            "overrides_by_reason",
            "revenue",
            "revenue_per_control",
            "rule",
            "selections",
            "shadow"
        ]
    );
    let html = std::fs::read_to_string(f.dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<style>")
            && html.contains("ORIG-001")
            && html.contains("Unbiased base rate")
    );
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    // Rule ids are code that never wraps; the terms are explained.
    assert!(html.contains("<code>ORIG-001</code>") && html.contains("td code"));
    for term in ["controls", "lift", "overrides", "stale"] {
        assert!(html.contains(&format!("<dt>{term}</dt><dd>")), "no {term}");
    }
    // `--by rule` drops the office and month members; the text form names
    // the rules and the base rate.
    let (w, _) = results_json(&f.dir, &["--by", "rule"], 0);
    let row = &w["rulesets"][0]["rows"][0];
    assert!(row.get("office").is_none() && row.get("month").is_none());
    assert_eq!(w["rulesets"][0]["rows"].as_array().unwrap().len(), 4);
    let t = run(
        &f.dir,
        &[
            "results",
            "--outcomes",
            "outcomes.jsonl",
            "--results",
            "results.csv",
        ],
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(
        t.stdout.contains("base rate (random sample: RND-001)"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("SHADOW-001  shadow"), "{}", t.stdout);
    let bad = run(
        &f.dir,
        &[
            "results",
            "--outcomes",
            "outcomes.jsonl",
            "--results",
            "results.csv",
            "--by",
            "week",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn backtest_outcomes_are_eval_output() {
    let dir = scratch("results-backtest-outcomes");
    let mut input = declarations(0, 150);
    input.push_str("{\"id\":\"BAD\",\"origin\":\"CN\",\"value\":\"a lot\"}\n");
    write(&dir, "decl.jsonl", &input);
    let rules = rules();
    let common = [
        "--input",
        "decl.jsonl",
        "--today",
        "2026-05-20",
        "--sampling-key",
        KEY,
    ];
    let mut e = vec!["eval", rules.to_str().unwrap()];
    e.extend(common);
    let ev = run(&dir, &e);
    assert_eq!(ev.code, 1, "{}", ev.stderr);
    let mut b = vec![
        "backtest",
        rules.to_str().unwrap(),
        "--outcomes",
        "out.jsonl",
    ];
    b.extend(common);
    let bt = run(&dir, &b);
    assert_eq!(bt.code, 1, "{}", bt.stderr);
    let written = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 151);
    assert_eq!(written, ev.stdout);
}

#[test]
fn results_in_json_lines_with_conflicts_and_lane_differences() {
    let dir = scratch("results-jsonl");
    write(&dir, "decl.jsonl", &declarations(0, 3));
    let out = eval(&dir, &rules(), "decl.jsonl", "2026-05-20");
    write(&dir, "outcomes.jsonl", &out);
    let o = parse_lines(&out);
    let fp = o[0]["ruleset"]["fingerprint"].as_str().unwrap();
    // D0000: the right fingerprint (a prefix), a hit with exact revenue
    // given as text; D0001: another fingerprint, a conflict; D0002: a
    // lane other than the outcome's.
    let results = format!(
        "{{\"id\":\"D0000\",\"fingerprint\":\"{}\",\"lane\":\"{}\",\"finding\":true,\"revenue\":\"0.000001\",\"office\":\"GT01\",\"date\":\"2026-05-21\"}}\n\
         \n\
         {{\"id\":\"D0001\",\"fingerprint\":\"ffffffffffff\",\"lane\":\"{}\",\"finding\":\"no\",\"office\":\"GT01\",\"date\":\"2026-05-21\"}}\n\
         {{\"id\":\"D0002\",\"lane\":\"purple\",\"finding\":0,\"office\":\"GT02\",\"date\":\"2026-05-22\",\"revenue\":null}}\n",
        &fp[..12],
        o[0]["lane"].as_str().unwrap(),
        o[1]["lane"].as_str().unwrap()
    );
    write(&dir, "results.jsonl", &results);
    let r = run(
        &dir,
        &[
            "results",
            "--outcomes",
            "outcomes.jsonl",
            "--results",
            "results.jsonl",
            "--format",
            "json",
            "--by",
            "rule,office",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("error: outcomes.jsonl:2: declaration `D0001`")
            && r.stderr
                .contains("(line 3 of its file) names fingerprint ffffffffffff"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("warning: outcomes.jsonl:3: declaration `D0002`")
            && r.stderr.contains("`purple` was applied"),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["results"]["lines"], 3);
    assert_eq!(v["results"]["fingerprint_conflicts"], 1);
    assert_eq!(v["results"]["joined"], 2);
    let g = &v["rulesets"][0];
    assert_eq!(g["with_result"], 2);
    assert_eq!(g["lane_differs"], 1);
    let revenue: Vec<&Value> = g["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["hits"] == 1)
        .map(|r| &r["revenue"])
        .collect();
    assert!(!revenue.is_empty());
    assert!(revenue.iter().all(|r| *r == "0.000001"), "{revenue:?}");
}
