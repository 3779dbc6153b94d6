//! `semaforo explain` through the real binary: a stored expectation for a
//! fixed declaration (`SEMAFORO_BLESS=1` rewrites it), the JSON form, and
//! the error exits.

use std::path::PathBuf;
use std::process::{Command, Output};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/explain")
}

/// Runs `semaforo explain` on the fixture ruleset with a fixed date and key,
/// from the fixture directory so that paths in messages are relative.
fn explain(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .current_dir(data())
        .args([
            "explain",
            "rules.sem",
            "--list",
            "watched_importers=watched_importers.txt",
            "--table",
            "reference_price=reference_price.csv",
            "--today",
            "2026-11-15",
            "--sampling-key",
            "000102030405060708090a0b0c0d0e0f",
            "--sampling-key-id",
            "test-key",
        ])
        .args(extra)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Compares `actual` with `tests/data/explain/NAME`, or rewrites the file
/// when `SEMAFORO_BLESS=1`. The engine version is written `engine {ENGINE}`
/// in the file, so a release does not change the expectations.
fn expect_file(name: &str, actual: &str) {
    let engine = format!("engine {}", semaforo::ENGINE_VERSION);
    assert!(actual.contains(&engine), "no `{engine}` in:\n{actual}");
    let actual = actual.replace(&engine, "engine {ENGINE}");
    let path = data().join(name);
    if std::env::var("SEMAFORO_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with SEMAFORO_BLESS=1)", path.display()));
    assert!(
        expected == actual,
        "output differs from {} (run with SEMAFORO_BLESS=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn human_output_of_the_first_declaration_matches_the_expectation() {
    let o = explain(&["--input", "declarations.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    // A few facts the expectation must show, so a bad bless is caught.
    assert!(out.contains("declaration \"D1\""), "{out}");
    // The verdict comes first: lane and score, then the fired rules with
    // their points, draws and lanes, the shadow rules, the undetermined.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.get(3), Some(&"lane red, score 86"), "{out}");
    let verdict = out.split("\n\n").nth(1).unwrap_or_default();
    for line in [
        "fired:",
        "  ORIG-001  \"Origin with a high fraud history\": +30 points",
        "  RND-001   \"Random control of imports\": 0 points, draw 107287 (sample 50%), lane yellow",
        "  PTS-001   \"Points per kilogram from a high-risk origin\": +16 points",
        "  SPLIT-001 \"Non-AEO importers: split between red and yellow\": 0 points, lane draw 510928 -> yellow (split red 50%, yellow 30%)",
        "monitored (shadow rules: would have fired, change nothing):",
        "  SHADOW-001 \"Candidate: any footwear item\": +25 points, lane red",
        "undetermined (condition unknown: data missing):",
        "  FRT-001 \"Freight implausibly low\"",
    ] {
        assert!(
            verdict.lines().any(|l| l == line),
            "no `{line}` in:\n{verdict}"
        );
    }
    // Then the conditions of those rules, and only of those.
    assert!(out.contains("origin = \"CN\""), "{out}");
    assert!(out.contains("true for items[1], items[2]"), "{out}");
    assert!(out.contains("freight = missing"), "{out}");
    assert!(
        out.contains("FRT-001 \"Freight implausibly low\": UNDETERMINED"),
        "{out}"
    );
    assert!(
        out.contains(
            "SHADOW-001 \"Candidate: any footwear item\": SHADOW, would have fired (changes nothing)"
        ),
        "{out}"
    );
    assert!(
        out.contains("sample 50%: draw 107287 < cut-off 500000"),
        "{out}"
    );
    // The score expression with its values, and how it became points.
    assert!(
        out.contains(
            "  score sum(it in items: it.net_kg) * 0.1375 = 16.5 -> +16 points  (rounded half to even)\n    sum(it in items: it.net_kg) = 120\n"
        ),
        "{out}"
    );
    // The split's cut-offs and where the draw fell.
    assert!(
        out.contains(
            "lane split red 50%, yellow 30%: cut-offs red below 500000, yellow below 800000; lane draw 510928, 500000 <= 510928 < 800000 -> yellow"
        ),
        "{out}"
    );
    assert!(!out.contains("DESC-001 \"Used goods\""), "{out}");
    assert!(!out.contains("not active on"), "{out}");
    assert!(
        out.trim_end().ends_with(
            "not fired: DESC-001, OLD-001, PTS-002, SPLIT-002 (`--all` shows their conditions)"
        ),
        "{out}"
    );
    expect_file("d1.expected", &out);
}

#[test]
fn all_shows_every_rule() {
    let o = explain(&["--input", "declarations.jsonl", "--all"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("DESC-001 \"Used goods\": not fired"), "{out}");
    assert!(out.contains("not active on 2026-11-15"), "{out}");
    assert!(!out.contains("`--all` shows"), "{out}");
    // The default form is the same verdict and the same rule blocks, in
    // the same order, with the others left out.
    let short = stdout(&explain(&["--input", "declarations.jsonl"]));
    let blocks = |s: &str| -> Vec<String> { s.split("\n\n").map(str::to_string).collect() };
    let all = blocks(&out);
    for b in blocks(&short)
        .iter()
        .filter(|b| !b.starts_with("not fired:"))
    {
        assert!(all.contains(b), "missing from --all:\n{b}");
    }
}

#[test]
fn id_selects_the_declaration() {
    let o = explain(&["--input", "declarations.jsonl", "--id", "D2", "--all"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("declaration \"D2\""), "{out}");
    assert!(out.contains("lane green, score 5"), "{out}");
    // `all` over no items is true; a sampled rule whose condition is false
    // still shows its draw, and does not fire.
    assert!(
        out.contains("all(it in items: it.description contains \"usad\") -> true"),
        "{out}"
    );
    assert!(out.contains("DESC-001 \"Used goods\": FIRED"), "{out}");
    assert!(
        out.contains("RND-001 \"Random control of imports\": not fired"),
        "{out}"
    );
    // A score expression without a value scores 0, and says why.
    assert!(
        out.contains(
            "score lookup(reference_price, origin) = missing -> 0 points  (no key of `reference_price` matched; missing scores 0)"
        ),
        "{out}"
    );
    // A split whose draw fell past the last cut-off fires without a lane;
    // one that did not fire has no draw.
    assert!(
        out.contains("  SPLIT-002 \"Exports: a small share to yellow\": 0 points, lane draw 476915 -> no lane (split yellow 10%)"),
        "{out}"
    );
    assert!(
        out.contains("lane split yellow 10%: cut-offs yellow below 100000; lane draw 476915 >= 100000 -> no lane"),
        "{out}"
    );
    assert!(
        out.contains(
            "cut-offs red below 500000, yellow below 800000; drawn only when the rule fires"
        ),
        "{out}"
    );
    assert!(
        out.contains("SHADOW-001 \"Candidate: any footwear item\": shadow rule, not fired"),
        "{out}"
    );
    assert!(
        out.contains("monitored (shadow rules: would have fired, change nothing): (none)"),
        "{out}"
    );
    expect_file("d2.expected", &out);
}

/// `semaforo eval` on the fixture, first output line.
fn eval_first() -> serde_json::Value {
    let e = Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .current_dir(data())
        .args([
            "eval",
            "rules.sem",
            "--list",
            "watched_importers=watched_importers.txt",
            "--table",
            "reference_price=reference_price.csv",
            "--today",
            "2026-11-15",
            "--sampling-key",
            "000102030405060708090a0b0c0d0e0f",
            "--input",
            "declarations.jsonl",
        ])
        .output()
        .unwrap();
    let first = stdout(&e).lines().next().unwrap().to_string();
    serde_json::from_str(&first).unwrap()
}

#[test]
fn json_output_parses_and_has_the_fields() {
    let o = explain(&["--input", "declarations.jsonl", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(v["id"], "D1");
    assert_eq!(v["today"], "2026-11-15");
    assert_eq!(v["sampling_key_id"], "test-key");
    assert_eq!(v["ruleset"]["name"], "explain-demo");
    assert_eq!(v["ruleset"]["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(v["ruleset"]["engine"], semaforo::ENGINE_VERSION);
    assert_eq!(v["lane"], "red");
    assert_eq!(v["score"], 86);
    // `fired` and `monitored` are the entries `eval` writes, exactly.
    let ev = eval_first();
    assert_eq!(v["fired"], ev["fired"]);
    assert_eq!(v["monitored"], ev["monitored"]);
    assert_eq!(v["undetermined"], ev["undetermined"]);
    assert_eq!(v["score"], ev["score"]);
    let ids: Vec<&str> = v["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "VAL-001",
            "ORIG-001",
            "WATCH-001",
            "RND-001",
            "PTS-001",
            "SPLIT-001"
        ]
    );
    assert_eq!(v["fired"][4]["points"], 16);
    assert_eq!(v["monitored"][0]["id"], "SHADOW-001");
    assert_eq!(v["monitored"][0]["points"], 25);
    assert_eq!(v["undetermined"], serde_json::json!(["FRT-001"]));
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 12);
    let orig = &rules[1];
    assert_eq!(orig["id"], "ORIG-001");
    assert_eq!(orig["condition"], "true");
    assert_eq!(orig["points"], 30);
    assert_eq!(orig["when"]["text"], "origin in high_risk_origins");
    assert_eq!(orig["when"]["operands"][0]["text"], "origin");
    assert_eq!(orig["when"]["operands"][0]["value"], "CN");
    let val = &rules[0]["when"];
    let elements = val["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 3);
    assert_eq!(elements[1]["label"], "items[1]");
    assert_eq!(elements[1]["body"]["value"], "true");
    let frt = &rules[3];
    assert_eq!(frt["undetermined"], true);
    assert_eq!(frt["points"], serde_json::Value::Null);
    assert_eq!(frt["when"]["operands"][0]["value"], serde_json::Value::Null);
    let old = &rules[5];
    assert_eq!(old["active"], false);
    assert_eq!(old["active_to"], "2026-06-30");
    assert_eq!(old["when"], serde_json::Value::Null);
    let rnd = &rules[6]["sample"];
    assert_eq!(rnd["cutoff"], 500_000);
    let draw = rnd["draw"].as_u64().unwrap();
    assert_eq!(rnd["selected"], draw < 500_000);
    // The draw is the one `eval` reports for the fired sampled rule.
    assert_eq!(ev["draws"]["RND-001"].as_u64(), Some(draw));
    // The score expression, traced, with its value and the points.
    let pts = &rules[7];
    assert_eq!(pts["score_text"], "sum(it in items: it.net_kg) * 0.1375");
    assert_eq!(pts["score_expr"]["value"], "16.5");
    assert_eq!(pts["score_expr"]["operands"][0]["value"], "120");
    assert_eq!(pts["points"], 16);
    // A score expression of a rule that did not fire is not evaluated.
    assert_eq!(rules[8]["score_expr"], serde_json::Value::Null);
    assert_eq!(rules[8]["score_text"], "lookup(reference_price, origin)");
    let shadow = &rules[9];
    assert_eq!(shadow["monitor"], true);
    assert_eq!(shadow["fired"], true);
    assert_eq!(shadow["points"], 25);
    let split = &rules[10];
    assert_eq!(
        split["lane_split"],
        serde_json::json!([
            {"lane": "red", "percent": "50", "cutoff": 500_000},
            {"lane": "yellow", "percent": "30", "cutoff": 800_000},
        ])
    );
    assert_eq!(split["lane_draw"], 510_928);
    assert_eq!(split["lane"], "yellow");
    assert_eq!(ev["fired"][5]["lane_draw"], 510_928);
}

#[test]
fn unknown_id_is_a_clear_error() {
    let o = explain(&["--input", "declarations.jsonl", "--id", "NOPE"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("no declaration with key `NOPE` in `declarations.jsonl`"),
        "{err}"
    );
    // D3 cannot be bound, and the message says so.
    assert!(err.contains("1 declarations could not be bound"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn binding_error_of_the_declaration_asked_for_names_the_path() {
    let o = explain(&["--input", "declarations.jsonl", "--id", "D3"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("declarations.jsonl:3: freight"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn binding_error_names_the_path() {
    let dir = std::env::temp_dir().join(format!("semaforo-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("bad.jsonl");
    let line = std::fs::read_to_string(data().join("declarations.jsonl"))
        .unwrap()
        .lines()
        .nth(2)
        .unwrap()
        .to_string();
    std::fs::write(&input, format!("{line}\n")).unwrap();
    let o = explain(&["--input", input.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.jsonl:1:"), "{err}");
    assert!(err.contains("freight"), "{err}");
    assert!(stdout(&o).is_empty());
}

use crate::support;

const MANY: &str = r#"ruleset "many" version "1"

schema declaration {
  key id: text
  items: [item]
}

record item {
  hs: text
  kg: number?
}

list watched_hs: text

rule ANY "Some item is watched" {
  when any(it in items: it.hs in watched_hs)
  then score 10
}

rule ALL "Every item is heavy" {
  when all(it in items: it.kg > 10)
  then score 10
}

rule COUNT "Many footwear items" {
  when count(it in items: it.hs starts with "64") > 3
  then score 10
}

rule SUM "Heavy in all" {
  when sum(it in items: it.kg) > 100 and max(it in items: it.kg) > 5
  then score 10
}
"#;

/// A declaration with `n` items: every third one watched, every fifth one
/// without a mass.
fn many_items(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            let hs = if i % 3 == 0 { "640299" } else { "847130" };
            if i % 5 == 4 {
                format!(r#"{{"hs": "{hs}"}}"#)
            } else {
                format!(r#"{{"hs": "{hs}", "kg": {}}}"#, 1 + i % 50)
            }
        })
        .collect();
    format!(r#"{{"id": "BIG", "items": [{}]}}"#, items.join(","))
}

fn explain_many(dir: &std::path::Path, n: usize, format: &str) -> support::Run {
    support::write(dir, &format!("d{n}.json"), &many_items(n));
    support::run(
        dir,
        &[
            "explain",
            "many.sem",
            "--list",
            "watched_hs=watched.txt",
            "--input",
            &format!("d{n}.json"),
            "--today",
            "2026-06-01",
            "--sampling-key",
            "000102030405060708090a0b0c0d0e0f",
            "--format",
            format,
        ],
    )
}

/// Every `elements` array in a JSON explanation, with its step's counts.
fn element_arrays<'v>(
    v: &'v serde_json::Value,
    out: &mut Vec<(&'v Vec<serde_json::Value>, &'v serde_json::Value)>,
) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(serde_json::Value::Array(e)), Some(c)) =
                (m.get("elements"), m.get("element_counts"))
            {
                out.push((e, c));
            }
            for x in m.values() {
                element_arrays(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| element_arrays(x, out)),
        _ => {}
    }
}

#[test]
fn explanations_of_many_items_are_bounded() {
    let dir = support::scratch("explain-many");
    support::write(&dir, "many.sem", MANY);
    support::write(&dir, "watched.txt", "640299\n640399\n");
    let small = explain_many(&dir, 300, "json");
    let large = explain_many(&dir, 30_000, "json");
    assert_eq!(small.code, 0, "{}", small.stderr);
    assert_eq!(large.code, 0, "{}", large.stderr);
    // A hundred times the items: the same size, give or take the digits of
    // the counts and indices (before, every element was traced: about 22 KB
    // of memory and 2 KB of output per item).
    assert!(
        large.stdout.len() < small.stdout.len() + 2_000,
        "{} bytes for 30,000 items, {} for 300",
        large.stdout.len(),
        small.stdout.len()
    );
    let v: serde_json::Value = serde_json::from_str(&large.stdout).unwrap();
    let mut arrays = Vec::new();
    element_arrays(&v, &mut arrays);
    assert_eq!(arrays.len(), 5, "one per quantifier");
    for (elements, counts) in arrays {
        assert_eq!(counts["total"], 30_000);
        // At most ten traces per result (plus the max's own element).
        assert!(elements.len() <= 31, "{} traces", elements.len());
        let indices: Vec<u64> = elements
            .iter()
            .map(|e| e["index"].as_u64().unwrap())
            .collect();
        assert!(
            indices.windows(2).all(|w| w[0] < w[1]),
            "in order: {indices:?}"
        );
    }
    // Counts are exact: 10,000 watched items, 6,000 without a mass.
    let any = &v["rules"][0]["when"];
    assert_eq!(any["value"], "true");
    assert_eq!(any["element_counts"]["true"], 10_000);
    assert_eq!(any["element_counts"]["false"], 20_000);
    let all = &v["rules"][1]["when"];
    assert_eq!(all["element_counts"]["unknown"], 6_000);
    // The readable form is bounded too, and says how many there were.
    let human = explain_many(&dir, 30_000, "human");
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(human.stdout.len() < 20_000, "{} bytes", human.stdout.len());
    assert!(
        human.stdout.contains("(10000 elements in all)"),
        "{}",
        human.stdout
    );
}

/// The README's `explain` command explains a declaration that was
/// selected, with the key of its `eval` command, and docs/cli.md shows
/// what it prints (but for the line naming the engine version).
#[test]
fn the_readme_explanation_is_of_a_selected_declaration_and_documented() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let command = |sub: &str| -> Vec<String> {
        let prefix = format!("cargo run --release -p semaforo-cli -- {sub} ");
        let line = readme
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no `{sub}` command in the README"));
        line[prefix.len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let option = |args: &[String], name: &str| -> String {
        let i = args.iter().position(|a| a == name).unwrap();
        args[i + 1].clone()
    };
    let (eval, explain) = (command("eval"), command("explain"));
    for o in ["--sampling-key-file", "--today"] {
        assert_eq!(option(&eval, o), option(&explain, o), "{o}");
    }
    let run = |sub: &str, args: &[String]| {
        let o = Command::new(env!("CARGO_BIN_EXE_semaforo"))
            .current_dir(&root)
            .arg(sub)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let id = option(&explain, "--id");
    let outcomes = run("eval", &eval);
    let outcome: serde_json::Value = outcomes
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == id.as_str())
        .unwrap_or_else(|| panic!("`{id}` is not among the README's declarations"));
    assert_ne!(outcome["lane"], "green", "`{id}` was not selected");
    let text = run("explain", &explain);
    assert!(
        text.contains(&format!(
            "lane {}, score {}",
            outcome["lane"].as_str().unwrap(),
            outcome["score"]
        )),
        "{text}"
    );
    let docs = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let rest = text.splitn(3, '\n').nth(2).unwrap();
    assert!(docs.contains(rest), "docs/cli.md does not show:\n{text}");
}
