//! `semaforo diff` through the real binary, on the fixture in
//! `tests/data/diff/`: `old.sem` (live) against `new.sem` (candidate) over
//! nine hand-written declarations. The expected numbers are worked out
//! by hand, declaration by declaration:
//!
//! | id | office | date       | origin | value | found | old lane     | new lane     |
//! | -- | ------ | ---------- | ------ | ----- | ----- | ------------ | ------------ |
//! | D1 | GT01   | 2026-05-04 | CN     | 1200  | 1     | red (70)     | red (70)     |
//! | D2 | GT01   | 2026-05-05 | CN     | 800   | 0     | yellow (30)  | red (70)     |
//! | D3 | GT01   | 2026-05-11 | US     | 800   | 1     | green        | yellow (40)  |
//! | D4 | GT02   | 2026-05-12 | US     | 200   | 0     | green        | red NEW-ONLY |
//! | D5 | GT02   | 2026-06-01 | VN     | 100   | null  | yellow OLD-ONLY | red NEW-ONLY |
//! | D6 | GT02   | 2026-06-02 | US     | -     | 0     | green        | red NEW-ONLY |
//! | D7 | GT01   | 2026-06-03 | VN     | 300   | 0     | yellow OLD-ONLY | green     |
//! | D8 | GT01   | 2026-06-15 | US     | 100   | -     | green        | green        |
//! | D9 | GT01   | 2026-06-16 | CN     | 1500  | 1     | red (70)     | red (70)     |

use crate::support::{Run, run, scratch};
use serde_json::Value;
use std::path::{Path, PathBuf};

const KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

/// `semaforo diff --old OLD --new NEW --input INPUT ...` in the data
/// directory, on the fixture's date and key.
fn diff(old: &str, new: &str, input: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "diff",
        "--old",
        old,
        "--new",
        new,
        "--input",
        input,
        "--today",
        "2026-06-30",
        "--sampling-key",
        KEY,
    ];
    if input.ends_with(".csv") {
        args.extend(["--map-file", "map.txt"]);
    }
    args.extend_from_slice(extra);
    run(&data_dir(), &args)
}

/// The JSON report of a run that must succeed (or fail a gate: `code`).
fn json(r: &Run, code: i32) -> Value {
    assert_eq!(r.code, code, "stderr: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", r.stdout))
}

fn report(old: &str, new: &str, input: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    json(&diff(old, new, input, &args), 0)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A lane's row in `lanes` (or a group's `lanes`).
fn lane<'v>(lanes: &'v Value, name: &str) -> &'v Value {
    lanes
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lane"] == name)
        .unwrap_or_else(|| panic!("no lane {name} in {lanes}"))
}

fn group<'v>(breakdown: &'v Value, key: &[&str]) -> &'v Value {
    breakdown["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == serde_json::json!(key))
        .unwrap_or_else(|| panic!("no group {key:?} in {breakdown}"))
}

#[test]
fn diff_a_ruleset_against_itself_changes_nothing() {
    let v = report("old.sem", "old.sem", "history.jsonl", &["--by", "office"]);
    assert_eq!(u(&v["declarations"]["compared"]), 9);
    assert_eq!(u(&v["moved"]), 0);
    let counts = v["transitions"]["counts"].as_array().unwrap();
    for (i, row) in counts.iter().enumerate() {
        for (j, c) in row.as_array().unwrap().iter().enumerate() {
            if i != j {
                assert_eq!(u(c), 0, "off-diagonal cell {i},{j}");
            }
        }
    }
    for l in v["lanes"].as_array().unwrap() {
        assert_eq!(l["old"], l["new"]);
        assert!(close(f(&l["change_pp"]), 0.0));
    }
    for r in v["rules"].as_array().unwrap() {
        assert_eq!(r["status"], "kept");
        assert_eq!(r["old_fired"], r["new_fired"]);
        assert_eq!(r["old_undetermined"], r["new_undetermined"]);
    }
    for g in v["breakdowns"][0]["groups"].as_array().unwrap() {
        assert_eq!(u(&g["moved"]), 0);
    }
}

#[test]
fn diff_the_regional_example_against_itself_changes_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ex = |p: &str| root.join("examples/regional").join(p).display().to_string();
    let (rules, input) = (ex("regional.sem"), ex("declarations.jsonl"));
    let lists = [
        format!("watched_importers={}", ex("lists/watched_importers.txt")),
        format!("watched_declarants={}", ex("lists/watched_declarants.txt")),
    ];
    let table = format!("reference_price={}", ex("tables/reference_price.csv"));
    let key = ex("sampling.key");
    let r = run(
        &data_dir(),
        &[
            "diff",
            "--old",
            &rules,
            "--new",
            &rules,
            "--input",
            &input,
            "--list",
            &lists[0],
            "--list",
            &lists[1],
            "--table",
            &table,
            "--today",
            "2026-11-15",
            "--sampling-key-file",
            &key,
            "--by",
            "office",
            "--format",
            "json",
            "--fail-if",
            "moved > 0",
            "--fail-if",
            "red.share > +0pp at office",
        ],
    );
    let v = json(&r, 0);
    assert_eq!(u(&v["declarations"]["compared"]), 420);
    assert_eq!(u(&v["moved"]), 0);
    assert!(
        v["gates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["failed"] == false)
    );
}

#[test]
fn diff_a_known_change_gives_the_hand_counted_transitions() {
    let v = report("old.sem", "new.sem", "history.jsonl", &[]);
    assert_eq!(
        v["transitions"]["old_lanes"],
        serde_json::json!(["green", "yellow", "red"])
    );
    assert_eq!(
        v["transitions"]["new_lanes"],
        serde_json::json!(["green", "yellow", "red"])
    );
    assert_eq!(
        v["transitions"]["counts"],
        serde_json::json!([[1, 1, 2], [1, 0, 2], [0, 0, 2]])
    );
    assert_eq!(u(&v["moved"]), 6);
    let lanes = &v["lanes"];
    for (name, old, new) in [("green", 4, 2), ("yellow", 3, 1), ("red", 2, 6)] {
        assert_eq!(u(&lane(lanes, name)["old"]), old, "{name}");
        assert_eq!(u(&lane(lanes, name)["new"]), new, "{name}");
    }
    assert!(close(f(&lane(lanes, "red")["change_pp"]), 400.0 / 9.0));
    let rules: Vec<(String, String, Value, Value, Value, Value)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["old_fired"].clone(),
                r["new_fired"].clone(),
                r["old_undetermined"].clone(),
                r["new_undetermined"].clone(),
            )
        })
        .collect();
    let j = |x: Option<u64>| x.map_or(Value::Null, Value::from);
    let want = [
        ("ORIG", "kept", Some(3), Some(3), Some(0), Some(0)),
        ("HIGH", "kept", Some(2), Some(4), Some(1), Some(1)),
        ("OLD-ONLY", "removed", Some(2), None, Some(0), None),
        ("NEW-ONLY", "added", None, Some(3), None, Some(0)),
    ];
    assert_eq!(rules.len(), want.len());
    for (got, w) in rules.iter().zip(want) {
        assert_eq!(
            got,
            &(
                w.0.to_string(),
                w.1.to_string(),
                j(w.2),
                j(w.3),
                j(w.4),
                j(w.5)
            )
        );
    }
}

#[test]
fn diff_csv_and_jsonl_agree() {
    let a = report(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &["--by", "office", "--outcome", "found"],
    );
    let b = report(
        "old.sem",
        "new.sem",
        "history.csv",
        &["--by", "office", "--outcome", "Found"],
    );
    for k in [
        "declarations",
        "moved",
        "lanes",
        "transitions",
        "rules",
        "breakdowns",
    ] {
        assert_eq!(a[k], b[k], "{k}");
    }
    assert_eq!(a["outcome"]["lanes"], b["outcome"]["lanes"]);
    assert_eq!(u(&b["rows"]), 9);
}

#[test]
fn diff_with_other_lanes_matches_lanes_by_name() {
    let v = report(
        "old.sem",
        "blue.sem",
        "history.jsonl",
        &["--outcome", "found"],
    );
    assert_eq!(
        v["transitions"]["new_lanes"],
        serde_json::json!(["green", "blue", "red"])
    );
    assert_eq!(
        v["transitions"]["counts"],
        serde_json::json!([[4, 0, 0], [0, 3, 0], [0, 0, 2]])
    );
    // yellow -> blue is a move: the lanes have different names.
    assert_eq!(u(&v["moved"]), 3);
    let names: Vec<&str> = v["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lane"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["green", "yellow", "red", "blue"]);
    let yellow = lane(&v["lanes"], "yellow");
    assert_eq!(
        (yellow["in_old"].clone(), yellow["in_new"].clone()),
        (true.into(), false.into())
    );
    assert_eq!(u(&yellow["new"]), 0);
    let blue = lane(&v["lanes"], "blue");
    assert_eq!((u(&blue["old"]), u(&blue["new"])), (0, 3));
    let sel = lane(&v["outcome"]["lanes"], "blue");
    assert!(sel["old"].is_null());
    assert_eq!(u(&sel["new"]["selected"]), 4);
}

#[test]
fn diff_by_office_and_date_buckets() {
    let v = report(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &[
            "--by",
            "office",
            "--by",
            "declared_on:week",
            "--by",
            "declared_on:month",
            "--by",
            "office,declared_on:month",
        ],
    );
    let b = &v["breakdowns"];
    assert_eq!(b[0]["by"], "office");
    let gt01 = group(&b[0], &["GT01"]);
    assert_eq!((u(&gt01["count"]), u(&gt01["moved"])), (6, 3));
    let red = lane(&gt01["lanes"], "red");
    assert_eq!((u(&red["old"]), u(&red["new"])), (2, 3));
    assert!(close(f(&red["change_pp"]), 100.0 / 6.0));
    let gt02 = group(&b[0], &["GT02"]);
    assert_eq!((u(&gt02["count"]), u(&gt02["moved"])), (3, 3));
    assert!(close(f(&lane(&gt02["lanes"], "red")["change_pp"]), 100.0));
    let weeks: Vec<(String, u64, u64)> = b[1]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"][0].as_str().unwrap().to_string(),
                u(&g["count"]),
                u(&g["moved"]),
            )
        })
        .collect();
    let want = [
        ("2026-W19", 2, 1),
        ("2026-W20", 2, 2),
        ("2026-W23", 3, 3),
        ("2026-W25", 2, 0),
    ];
    assert_eq!(weeks, want.map(|(k, c, m)| (k.to_string(), c, m)).to_vec());
    let may = group(&b[2], &["2026-05"]);
    assert_eq!((u(&may["count"]), u(&may["moved"])), (4, 3));
    let june = group(&b[2], &["2026-06"]);
    assert_eq!((u(&june["count"]), u(&june["moved"])), (5, 3));
    assert_eq!(
        b[3]["columns"],
        serde_json::json!(["office", "declared_on:month"])
    );
    let cell = group(&b[3], &["GT02", "2026-06"]);
    assert_eq!((u(&cell["count"]), u(&cell["moved"])), (2, 2));
    assert_eq!(b[3]["groups"].as_array().unwrap().len(), 4);
}

#[test]
fn diff_max_groups_puts_the_rest_in_other() {
    let v = report(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &["--by", "declared_on:day", "--max-groups", "3"],
    );
    let b = &v["breakdowns"][0];
    assert_eq!(b["groups"].as_array().unwrap().len(), 4);
    assert_eq!(u(&b["overflow"]), 6);
    assert_eq!(u(&group(b, &["(other)"])["count"]), 6);
}

#[test]
fn diff_precision_and_recall_per_lane_match_hand_counts() {
    let v = report(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &["--outcome", "found"],
    );
    let o = &v["outcome"];
    // D5 (null) and D8 (no member) are not labelled; D1, D3, D9 found.
    assert_eq!((u(&o["labelled"]), u(&o["positives"])), (7, 3));
    // (lane, old selected, old hits, new selected, new hits)
    for (name, os, oh, ns, nh) in [
        ("green", 7, 3, 7, 3),
        ("yellow", 4, 2, 6, 3),
        ("red", 2, 2, 5, 2),
    ] {
        let l = lane(&o["lanes"], name);
        for (side, sel, hits) in [("old", os, oh), ("new", ns, nh)] {
            let s = &l[side];
            assert_eq!(
                (u(&s["selected"]), u(&s["hits"])),
                (sel, hits),
                "{name} {side}"
            );
            assert!(
                close(f(&s["precision"]), hits as f64 / sel as f64),
                "{name} {side}"
            );
            assert!(close(f(&s["recall"]), hits as f64 / 3.0), "{name} {side}");
        }
    }
}

#[test]
fn diff_json_has_the_documented_shape() {
    let v = report(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &[
            "--by",
            "office",
            "--outcome",
            "found",
            "--fail-if",
            "moved > 100",
        ],
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = [
        "old",
        "new",
        "input",
        "input_format",
        "today",
        "rows",
        "rows_rejected",
        "declarations",
        "warnings",
        "moved",
        "moved_share",
        "lanes",
        "transitions",
        "rules",
        "breakdowns",
        "outcome",
        "gates",
    ];
    let mut keys = keys;
    keys.sort_unstable();
    want.sort_unstable();
    assert_eq!(keys, want);
    for side in ["old", "new"] {
        for k in ["files", "name", "version", "fingerprint", "engine"] {
            assert!(!v[side][k].is_null(), "{side}.{k}");
        }
    }
    assert_eq!(v["old"]["version"], "1");
    assert_eq!(v["new"]["version"], "2");
    assert_eq!(v["input_format"], "jsonl");
    assert!(v["rows"].is_null());
    for k in [
        "read",
        "rejected",
        "rejected_old",
        "rejected_new",
        "compared",
    ] {
        assert!(v["declarations"][k].is_u64(), "declarations.{k}");
    }
    let l = &v["lanes"][0];
    for k in [
        "lane",
        "in_old",
        "in_new",
        "old",
        "new",
        "old_share",
        "new_share",
        "change_pp",
    ] {
        assert!(!l[k].is_null(), "lanes[].{k}");
    }
    let g = &v["breakdowns"][0];
    for k in ["by", "columns", "overflow", "groups"] {
        assert!(!g[k].is_null(), "breakdowns[].{k}");
    }
    for k in ["key", "count", "moved", "lanes"] {
        assert!(!g["groups"][0][k].is_null(), "groups[].{k}");
    }
    let gate = &v["gates"][0];
    assert_eq!(gate["gate"], "moved > 100");
    assert_eq!(gate["failed"], false);
    assert_eq!(gate["failures"], serde_json::json!([]));
}

#[test]
fn diff_text_output_names_both_rulesets_and_moves() {
    let r = diff("old.sem", "new.sem", "history.jsonl", &["--by", "office"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("old: ruleset `diff-fixture` version `1`"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("new: ruleset `diff-fixture` version `2`"));
    assert!(
        r.stdout
            .contains("moved: 6 declarations changed lane (66.7%)")
    );
    assert!(r.stdout.contains("OLD-ONLY removed"));
    assert!(r.stdout.contains("by office"));
}

#[test]
fn diff_writes_a_self_contained_html_report() {
    let dir = scratch("diff-html");
    let out = dir.join("diff.html");
    let out_s = out.display().to_string();
    let r = diff(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &[
            "--by",
            "office",
            "--outcome",
            "found",
            "--report",
            &out_s,
            "--fail-if",
            "moved > 1",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for part in [
        "Lane transitions",
        "<svg",
        "Precision and recall",
        "by <code>office</code>",
        "NEW-ONLY",
        "failed",
        // Rule ids and numbers never wrap; the terms are explained.
        "td code{white-space:nowrap}",
        "<dt>undetermined</dt><dd>",
        "<dt>status</dt><dd>",
    ] {
        assert!(html.contains(part), "missing {part}");
    }
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    // No temporary file is left next to it.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

/// Runs the fixture diff with one gate; returns the run.
fn gate(g: &str) -> Run {
    diff(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &[
            "--by",
            "office",
            "--by",
            "declared_on:month",
            "--outcome",
            "found",
            "--fail-if",
            g,
        ],
    )
}

#[test]
fn diff_gates_pass_and_fail_at_their_bounds() {
    // (gate, fails): each bound sits at or next to the hand-computed value.
    let cases = [
        ("moved > 5", true),
        ("moved > 6", false),
        ("moved >= 6", true),
        ("moved > 66%", true),
        ("moved > 67%", false),
        ("red.share > +44pp", true), // 22.2% -> 66.7%: +44.4pp
        ("red.share > +44.5pp", false),
        ("red.share > +0.5pp at office", true),
        ("red.share > +100pp at office", false), // GT02: exactly +100pp
        ("red.share >= +100pp at office", true),
        ("green.share < -45pp at declared_on:month", true), // May: 50% -> 0%
        ("green.share < -50pp at declared_on:month", false),
        ("green.count < -2", false), // 4 -> 2: exactly -2
        ("green.count <= -2", true),
        ("yellow.count < -50%", true), // 3 -> 1: -66.7%
        ("yellow.count < -70%", false),
        ("rule.HIGH.fired > +100%", false), // 2 -> 4: exactly +100%
        ("rule.HIGH.fired >= +100%", true),
        ("rule.HIGH.fired > +1", true),
        ("rule.HIGH.undetermined > +0", false),
        ("rule.NEW-ONLY.fired > +2", true),     // added: 0 -> 3
        ("rule.NEW-ONLY.fired > +1000%", true), // from zero
        ("rule.OLD-ONLY.fired < -1", true),     // removed: 2 -> 0
        ("red.precision < -60pp", false),       // 100% -> 40%: exactly -60pp
        ("red.precision <= -60pp", true),
        ("yellow.recall < -1pp", false), // 66.7% -> 100%
        ("yellow.recall > +33pp", true),
        ("moved > 2 at office", true), // GT01 3, GT02 3
        ("moved > 3 at office", false),
    ];
    for (g, fails) in cases {
        let r = gate(g);
        let want = if fails { 1 } else { 0 };
        assert_eq!(r.code, want, "`{g}`: stderr {}", r.stderr);
        assert_eq!(
            r.stderr.contains(&format!("gate failed: `{g}`")),
            fails,
            "`{g}`: {}",
            r.stderr
        );
        let verdict = if fails { "FAILED" } else { "passed" };
        assert!(
            r.stdout.contains(&format!("gate `{g}`: {verdict}")),
            "`{g}`: {}",
            r.stdout
        );
    }
}

#[test]
fn diff_a_failed_gate_says_where() {
    let r = gate("red.share > +20pp at office");
    assert_eq!(r.code, 1);
    // Only GT02 (+100pp) fails; GT01 grows by 16.67pp.
    assert!(
        r.stderr.contains(
            "gate failed: `red.share > +20pp at office`: office GT02: 0.00% -> 100.00% (+100pp)"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("GT01"), "{}", r.stderr);
    let v = json(
        &diff(
            "old.sem",
            "new.sem",
            "history.jsonl",
            &[
                "--by",
                "office",
                "--format",
                "json",
                "--fail-if",
                "red.share > +20pp at office",
            ],
        ),
        1,
    );
    let failures = v["gates"][0]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["group"], serde_json::json!(["GT02"]));
    assert!(close(f(&failures[0]["value"]), 100.0));
}

#[test]
fn diff_bad_gate_text_is_a_usage_error_naming_the_problem() {
    for (g, want) in [
        ("red.share +1pp", "expected a comparison"),
        ("red.share > 1pp", "needs a sign"),
        ("red.count > +1pp", "`pp`"),
        ("purple.share > +1pp", "no lane `purple`"),
        ("rule.NOPE.fired > +1", "no rule `NOPE`"),
        (
            "red.share > +1pp at region",
            "`at region` names no `--by` option",
        ),
        ("red.frequency > +1pp", "unknown measure `frequency`"),
        ("red.share > +1pp sometimes", "expected `at BY`"),
        ("red.share > +1..5pp", "bad bound"),
        (
            "rule.ORIG.overridden > +0",
            "has a national `override` in neither ruleset",
        ),
        ("rule.NOPE.overridden > +0", "no rule `NOPE`"),
    ] {
        let r = gate(g);
        assert_eq!(r.code, 2, "`{g}`: {}", r.stderr);
        assert!(r.stderr.contains(want), "`{g}`: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let r = diff(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &["--fail-if", "red.precision < -1pp"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("need `--outcome`"), "{}", r.stderr);
}

#[test]
fn diff_reports_every_declaration_it_cannot_compare() {
    let r = diff("old.sem", "strict.sem", "bad.jsonl", &["--format", "json"]);
    let v = json(&r, 1);
    let d = &v["declarations"];
    assert_eq!(
        (
            u(&d["read"]),
            u(&d["rejected"]),
            u(&d["rejected_old"]),
            u(&d["rejected_new"]),
            u(&d["compared"])
        ),
        (3, 2, 1, 2, 1)
    );
    // Both sides reject line 2 for the same reason: said once.
    assert!(
        r.stderr
            .contains("error: bad.jsonl:2: value: expected number, found string"),
        "{}",
        r.stderr
    );
    // Only the new schema requires `value`.
    assert!(
        r.stderr.contains("error: bad.jsonl:3: new ruleset: value"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("2 of 3 declarations could not be evaluated"),
        "{}",
        r.stderr
    );
}

#[test]
fn diff_new_list_replaces_a_list_on_the_new_side_only() {
    let dir = scratch("diff-new-list");
    std::fs::write(
        dir.join("rules.sem"),
        "ruleset \"l\" version \"1\"\nschema declaration {\n  key id: text\n  office: text\n}\nlist offices: text\nrule W \"watched office\" {\n  when office in offices\n  then lane red\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("a.txt"), "GT02\n").unwrap();
    std::fs::write(dir.join("b.txt"), "GT01\n").unwrap();
    std::fs::copy(data_dir().join("history.jsonl"), dir.join("h.jsonl")).unwrap();
    let r = run(
        &dir,
        &[
            "diff",
            "--old",
            "rules.sem",
            "--new",
            "rules.sem",
            "--input",
            "h.jsonl",
            "--list",
            "offices=a.txt",
            "--new-list",
            "offices=b.txt",
            "--today",
            "2026-06-30",
            "--sampling-key",
            KEY,
            "--format",
            "json",
        ],
    );
    let v = json(&r, 0);
    // Old: GT02's 3 declarations red; new: GT01's 6.
    assert_eq!(
        v["transitions"]["counts"],
        serde_json::json!([[0, 0, 6], [0, 0, 0], [3, 0, 0]])
    );
    assert_ne!(v["old"]["fingerprint"], v["new"]["fingerprint"]);
}

#[test]
fn diff_groups_sort_numbers_as_numbers() {
    let dir = scratch("diff-natural");
    let mut text = String::new();
    for (i, office) in ["10", "9", "100", "A"].iter().enumerate() {
        text.push_str(&format!(
            "{{\"id\":\"X{i}\",\"office\":\"{office}\",\"declared_on\":\"2026-05-04\",\"origin\":\"US\",\"value\":1}}\n"
        ));
    }
    std::fs::write(dir.join("h.jsonl"), text).unwrap();
    let input = dir.join("h.jsonl").display().to_string();
    let v = report("old.sem", "new.sem", &input, &["--by", "office"]);
    let keys: Vec<&str> = v["breakdowns"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"][0].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["9", "10", "100", "A"]);
}

#[test]
fn diff_reports_a_full_disk_and_an_unwritable_report() {
    let dir = scratch("diff-full");
    for format in ["text", "json"] {
        let r = crate::support::run_to_dev_full(
            &data_dir(),
            &[
                "diff",
                "--old",
                "old.sem",
                "--new",
                "new.sem",
                "--input",
                "history.jsonl",
                "--today",
                "2026-06-30",
                "--sampling-key",
                KEY,
                "--format",
                format,
            ],
        );
        assert_eq!(r.code, 2, "{format}: {}", r.stderr);
        assert!(
            r.stderr.contains("cannot write to stdout"),
            "{format}: {}",
            r.stderr
        );
    }
    let report_path = dir.join("no-such-dir").join("r.html").display().to_string();
    let r = diff(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &["--report", &report_path],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn diff_output_does_not_depend_on_the_thread_count() {
    let dir = scratch("diff-threads");
    let offices = ["GT01", "GT02", "SV01", "HN01", "CR01"];
    let origins = ["CN", "US", "VN", "MX"];
    let mut text = String::new();
    for i in 0..3000u32 {
        if i % 397 == 5 {
            // Unreadable: rejected by both sides, reported with its line.
            text.push_str("{\"id\":\n");
            continue;
        }
        let value = if i % 11 == 0 {
            String::new()
        } else {
            format!(",\"value\":{}", (i * 37) % 1600)
        };
        let date = if i % 501 == 7 {
            "\"declared_at\":\"soon\"".to_string()
        } else {
            format!(
                "\"declared_on\":\"2026-{:02}-{:02}\"",
                1 + i % 12,
                1 + i % 28
            )
        };
        text.push_str(&format!(
            "{{\"id\":\"T{i}\",\"office\":\"{}\",{date},\"origin\":\"{}\"{value},\"found\":{}}}\n",
            offices[(i % 5) as usize],
            origins[(i % 4) as usize],
            i % 3 == 0
        ));
    }
    std::fs::write(dir.join("h.jsonl"), text).unwrap();
    let input = dir.join("h.jsonl").display().to_string();
    let runs: Vec<Run> = ["1", "2", "3"]
        .iter()
        .map(|n| {
            diff(
                "old.sem",
                "new.sem",
                &input,
                &[
                    "--threads",
                    n,
                    "--format",
                    "json",
                    "--outcome",
                    "found",
                    "--by",
                    "office,declared_on:week",
                    "--max-groups",
                    "40",
                    "--fail-if",
                    "red.share > +30pp at office,declared_on:week",
                ],
            )
        })
        .collect();
    let v = json(&runs[0], 1);
    assert!(u(&v["declarations"]["rejected"]) > 0);
    assert!(u(&v["declarations"]["compared"]) > 2900);
    assert!(u(&v["breakdowns"][0]["overflow"]) > 0);
    for r in &runs[1..] {
        assert_eq!(r.code, runs[0].code);
        assert_eq!(r.stdout, runs[0].stdout);
        assert_eq!(r.stderr, runs[0].stderr);
    }
}

#[test]
fn diff_by_values_that_are_not_dates_are_grouped_and_reported() {
    let dir = scratch("diff-not-a-date");
    let lines = [
        r#"{"id":"A","office":"GT01","declared_on":"2026-05-04","origin":"US","inspected_on":"2026-05-06"}"#,
        r#"{"id":"B","office":"GT01","declared_on":"2026-05-04","origin":"US","inspected_on":"tomorrow"}"#,
        r#"{"id":"C","office":"GT01","declared_on":"2026-05-04","origin":"US"}"#,
        r#"{"id":"D","office":"GT01","declared_on":"2026-05-04","origin":"US","inspected_on":["x"]}"#,
    ];
    std::fs::write(dir.join("h.jsonl"), lines.join("\n")).unwrap();
    let input = dir.join("h.jsonl").display().to_string();
    let r = diff(
        "old.sem",
        "new.sem",
        &input,
        &["--by", "inspected_on:month", "--format", "json"],
    );
    let v = json(&r, 0);
    let b = &v["breakdowns"][0];
    for key in ["2026-05", "(not a date)", "(missing)", "(not a value)"] {
        assert_eq!(u(&group(b, &[key])["count"]), 1, "{key}");
    }
    assert_eq!(u(&v["warnings"]), 2);
    assert!(
        r.stderr.contains(
            "h.jsonl:2: `--by inspected_on:month`: column `inspected_on`: `tomorrow` is not a date"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("h.jsonl:4: `--by inspected_on:month`"),
        "{}",
        r.stderr
    );
}

#[test]
fn diff_bad_by_options_are_usage_errors() {
    for (by, input, want) in [
        (
            "declared_on:year",
            "history.jsonl",
            "unknown date bucket `year`",
        ),
        ("office,", "history.jsonl", "a column name is empty"),
        (
            "Region",
            "history.csv",
            "the CSV header has no `--by` column `Region`",
        ),
    ] {
        let r = diff("old.sem", "new.sem", input, &["--by", by]);
        assert_eq!(r.code, 2, "{by}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{by}: {}", r.stderr);
    }
    let r = diff(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &["--max-groups", "0"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn diff_gate_at_matches_a_by_option_however_it_is_spaced() {
    let r = diff(
        "old.sem",
        "new.sem",
        "history.jsonl",
        &[
            "--by",
            "office, declared_on:month",
            "--fail-if",
            "moved > 1 at office ,declared_on:month",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Moved: GT01 May D2, D3 (of D1-D3); GT01 June D7 alone; GT02 May D4
    // alone; GT02 June D5, D6.
    assert!(
        r.stderr
            .contains("office,declared_on:month GT01, 2026-05: 2 of 3 declarations moved"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("GT02, 2026-06: 2 of 2"), "{}", r.stderr);
    assert!(!r.stderr.contains("GT02, 2026-05"), "{}", r.stderr);
    assert!(
        r.stdout.contains("by office,declared_on:month"),
        "{}",
        r.stdout
    );
}

#[test]
fn diff_old_list_serves_a_list_the_candidate_dropped() {
    let dir = scratch("diff-old-list");
    let schema = "schema declaration {\n  key id: text\n  office: text\n}\n";
    std::fs::write(
        dir.join("old.sem"),
        format!("ruleset \"l\" version \"1\"\n{schema}list offices: text\nrule W \"watched office\" {{\n  when office in offices\n  then lane red\n}}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("new.sem"),
        format!("ruleset \"l\" version \"2\"\n{schema}rule W \"office GT02\" {{\n  when office == \"GT02\"\n  then lane red\n}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("a.txt"), "GT02\n").unwrap();
    std::fs::copy(data_dir().join("history.jsonl"), dir.join("h.jsonl")).unwrap();
    let args = |list: &'static str| {
        [
            "diff",
            "--old",
            "old.sem",
            "--new",
            "new.sem",
            "--input",
            "h.jsonl",
            list,
            "offices=a.txt",
            "--today",
            "2026-06-30",
            "--sampling-key",
            KEY,
            "--format",
            "json",
        ]
    };
    // Given to both, the list is one the new ruleset does not declare.
    let r = run(&dir, &args("--list"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("the new ruleset does not compile"),
        "{}",
        r.stderr
    );
    let v = json(&run(&dir, &args("--old-list")), 0);
    assert_eq!(u(&v["moved"]), 0);
    assert_eq!(
        v["transitions"]["counts"],
        serde_json::json!([[6, 0, 0], [0, 0, 0], [0, 0, 3]])
    );
}

#[test]
fn diff_csv_history_serves_a_candidate_with_a_new_field() {
    let dir = scratch("diff-csv-schemas");
    std::fs::write(
        dir.join("a.sem"),
        "ruleset \"a\" version \"1\"\nschema declaration {\n  key id: text\n  office: text\n}\nrule R \"r\" {\n  when office == \"GT02\"\n  then lane red\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.sem"),
        "ruleset \"a\" version \"2\"\nschema declaration {\n  key id: text\n  office: text\n  value: number\n}\nrule R \"r\" {\n  when value > 500\n  then lane red\n}\n",
    )
    .unwrap();
    // `value` is named after the new field: only the new ruleset reads it.
    std::fs::write(
        dir.join("h.csv"),
        "Decl,Office,value\nD1,GT01,600\nD2,GT02,100\n",
    )
    .unwrap();
    let base = [
        "diff",
        "--old",
        "a.sem",
        "--new",
        "b.sem",
        "--input",
        "h.csv",
        "--map",
        "Decl=id",
        "--map",
        "Office=office",
        "--today",
        "2026-06-30",
        "--sampling-key",
        KEY,
        "--format",
        "json",
    ];
    let v = json(&run(&dir, &base), 0);
    assert_eq!(
        v["transitions"]["counts"],
        serde_json::json!([[0, 0, 1], [0, 0, 0], [1, 0, 0]])
    );
    // Mapped to a field the old schema lacks, the column is an error.
    let mut mapped = base.to_vec();
    mapped.extend(["--map", "value=value"]);
    let r = run(&dir, &mapped);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("old ruleset: column `value` maps to `value`"),
        "{}",
        r.stderr
    );
}

#[test]
fn diff_counts_shadow_rules_old_and_new() {
    // `shadow-old.sem`: ORIG, and CAND as a shadow rule; `shadow-new.sem`:
    // CAND live, and NEWSHADOW, a shadow rule only it has.
    let with = |extra: &[&str]| diff("shadow-old.sem", "shadow-new.sem", "history.jsonl", extra);
    let v = json(&with(&["--format", "json"]), 0);
    let rule = |id: &str| {
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no rule {id}"))
            .clone()
    };
    // By hand: value above 500 in D1, D2, D3, D9 (D6 has none); office
    // GT02 in D4, D5, D6; origin CN in D1, D2, D9.
    let cand = rule("CAND");
    assert_eq!(cand["status"], "kept");
    assert_eq!(cand["old_monitor"], true);
    assert_eq!(cand["new_monitor"], false);
    assert_eq!((u(&cand["old_monitored"]), u(&cand["old_fired"])), (4, 0));
    assert_eq!((u(&cand["new_monitored"]), u(&cand["new_fired"])), (0, 4));
    assert_eq!(
        (u(&cand["old_undetermined"]), u(&cand["new_undetermined"])),
        (0, 1)
    );
    let added = rule("NEWSHADOW");
    assert_eq!(added["status"], "added");
    assert_eq!(added["old_monitored"], Value::Null);
    assert_eq!(added["old_monitor"], Value::Null);
    assert_eq!(added["new_monitor"], true);
    assert_eq!((u(&added["new_monitored"]), u(&added["new_fired"])), (3, 0));
    let orig = rule("ORIG");
    assert_eq!((u(&orig["old_fired"]), u(&orig["new_fired"])), (3, 3));
    assert_eq!(
        (u(&orig["old_monitored"]), u(&orig["new_monitored"])),
        (0, 0)
    );
    // The shadow rule decided nothing in the old ruleset (D1, D2, D9 are
    // yellow by ORIG's 30 points, D3 green); live, it sends all four to
    // red. NEWSHADOW's 50 points change nothing.
    assert_eq!(u(&v["moved"]), 4);
    assert_eq!(u(&v["transitions"]["counts"][1][2]), 3);
    assert_eq!(u(&v["transitions"]["counts"][0][2]), 1);
    // Text: the shadow columns and each rule's kind.
    let text = with(&[]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let line = |id: &str| {
        text.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no {id} in:\n{}", text.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        text.stdout.contains("old shadow new shadow"),
        "{}",
        text.stdout
    );
    // D6 has no value: the live rule is undetermined there; the shadow
    // rule was listed nowhere.
    assert_eq!(line("CAND"), "CAND kept 0 4 +4 0 1 4 0 -4 shadow -> live");
    assert_eq!(
        line("NEWSHADOW"),
        "NEWSHADOW added - 0 +0 - 0 - 3 +3 shadow"
    );
    assert_eq!(line("ORIG"), "ORIG kept 3 3 +0 0 0 0 0 +0 live");
    // HTML: the same columns.
    let dir = scratch("diff-shadow");
    let report = dir.join("r.html");
    let html = with(&["--report", report.to_str().unwrap()]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("<th>old shadow</th><th>new shadow</th>"));
    assert!(page.contains("shadow -&gt; live"), "the kind, escaped");
    // A gate on what a shadow rule would have fired on.
    let g = with(&["--fail-if", "rule.NEWSHADOW.monitored > +2"]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    assert!(
        g.stderr
            .contains("gate failed: `rule.NEWSHADOW.monitored > +2`"),
        "{}",
        g.stderr
    );
    let g = with(&["--fail-if", "rule.NEWSHADOW.monitored > +3"]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    // ... which must name a shadow rule.
    let g = with(&["--fail-if", "rule.ORIG.monitored > +0"]);
    assert_eq!(g.code, 2, "{}", g.stderr);
    assert!(
        g.stderr
            .contains("is a shadow rule (`monitor`) in neither ruleset"),
        "{}",
        g.stderr
    );
}

#[test]
fn diff_without_shadow_rules_has_no_shadow_columns() {
    let r = diff("old.sem", "new.sem", "history.jsonl", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("shadow"), "{}", r.stdout);
}

/// The package alone against the package with Guatemala's national
/// ruleset: the rules the national file overrides get `new_overridden`
/// counts, equal to the `overridden` entries `eval` writes with the
/// national ruleset (counted here independently); rules it does not
/// override, and the old side, have none; the text and HTML reports show
/// the columns; a gate can bound them.
#[test]
fn diff_counts_the_declarations_each_national_override_touches() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ex = |p: &str| root.join("examples/regional").join(p).display().to_string();
    let (package, national, input) = (
        ex("regional.sem"),
        ex("gt/sat-gt.sem"),
        ex("declarations.jsonl"),
    );
    let data = [
        "--list".to_string(),
        format!("watched_importers={}", ex("lists/watched_importers.txt")),
        "--list".to_string(),
        format!("watched_declarants={}", ex("lists/watched_declarants.txt")),
        "--table".to_string(),
        format!("reference_price={}", ex("tables/reference_price.csv")),
        "--today".to_string(),
        "2026-11-15".to_string(),
        "--sampling-key-file".to_string(),
        ex("sampling.key"),
    ];
    let data: Vec<&str> = data.iter().map(String::as_str).collect();
    let mut eval = vec![
        "eval",
        national.as_str(),
        package.as_str(),
        "--input",
        &input,
    ];
    eval.extend_from_slice(&data);
    let e = run(&data_dir(), &eval);
    let mut want: std::collections::BTreeMap<String, u64> = Default::default();
    for line in e.stdout.lines() {
        let o: Value = serde_json::from_str(line).unwrap();
        for x in o["overridden"].as_array().unwrap() {
            *want
                .entry(x["id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    assert!(
        !want.is_empty(),
        "the example's overrides touch some declaration"
    );
    let html = scratch("diff-overridden").join("report.html");
    let html = html.to_str().unwrap();
    for format in ["json", "text"] {
        let mut args = vec![
            "diff", "--old", &package, "--new", &national, &package, "--input", &input, "--format",
            format, "--report", html,
        ];
        args.extend_from_slice(&data);
        let fail_if = format!(
            "rule.{}.overridden > +{}",
            want.keys().next().unwrap(),
            want.values().next().unwrap() - 1
        );
        if format == "json" {
            args.extend_from_slice(&["--fail-if", &fail_if]);
        }
        let r = run(&data_dir(), &args);
        match format {
            "json" => {
                // The gate's bound is one below the count: it fails.
                let v: Value = serde_json::from_str(&r.stdout).unwrap();
                assert_eq!(r.code, 1, "{}", r.stderr);
                assert_eq!(v["gates"][0]["failed"], true);
                let mut got = std::collections::BTreeMap::new();
                for rule in v["rules"].as_array().unwrap() {
                    assert!(rule.get("old_overridden").is_none(), "{rule}");
                    if let Some(n) = rule.get("new_overridden") {
                        got.insert(rule["id"].as_str().unwrap().to_string(), u(n));
                    }
                }
                // Every overridden rule is listed, with 0 if it touched none.
                let touched: std::collections::BTreeMap<_, _> = got
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                assert_eq!(touched, want);
                assert_eq!(got.len(), 2, "sat-gt.sem overrides two rules: {got:?}");
            }
            _ => assert!(r.stdout.contains("new overr."), "{}", r.stdout),
        }
        let page = std::fs::read_to_string(html).unwrap();
        assert!(page.contains("<th>new overridden</th>"), "{format}");
    }
}
