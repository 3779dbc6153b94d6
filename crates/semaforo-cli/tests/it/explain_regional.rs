//! The explanation's verdict equals the evaluator's on the regional example:
//! for every declaration of `examples/regional/declarations.jsonl`, the
//! fired and monitored rules (with their draws, points, lane draws and
//! lanes), the undetermined rules, the score and
//! the lane of `Ruleset::explain` are those of `Ruleset::evaluate`, and the
//! explanation says so itself (`verdict_agrees`, the flag `semaforo explain`
//! trusts before printing).

use semaforo::{Compiler, Context, Date, SamplingKey, Truth};
use std::path::PathBuf;

/// A fired or monitored entry: id, draw, points, lane draw, lane.
type Entry = (String, Option<u32>, i64, Option<u32>, Option<String>);

fn of_view(f: semaforo::FiredRule<'_>) -> Entry {
    (
        f.id.to_string(),
        f.draw,
        f.points,
        f.lane_draw,
        f.lane.map(str::to_string),
    )
}

fn of_explanation(r: &semaforo::RuleExplanation) -> Entry {
    (
        r.id.clone(),
        r.sample.map(|s| s.draw),
        r.points.unwrap_or(0),
        r.lane_draw,
        r.lane.clone(),
    )
}

fn regional() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/regional")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(regional().join(path)).unwrap()
}

/// The regional package alone, and with each national ruleset on it.
#[test]
fn explanations_agree_with_evaluation_on_the_regional_example() {
    let mut overridden = 0;
    for national in [None, Some("gt/sat-gt.sem"), Some("cr/dga-cr.sem")] {
        overridden += agree_on(national);
    }
    // The national rulesets' overrides changed some declarations.
    assert!(overridden > 0);
}

/// Checks every declaration (two keys) and returns how many `overridden`
/// entries the outcomes had.
fn agree_on(national: Option<&str>) -> usize {
    let mut overridden = 0;
    let mut c = Compiler::new();
    c.add_source("regional.sem", read("regional.sem"));
    if let Some(n) = national {
        c.add_source(n, read(n));
    }
    for name in ["watched_importers", "watched_declarants"] {
        let file = format!("lists/{name}.txt");
        c.add_list_file(name, file.clone(), read(&file));
    }
    c.add_table_file(
        "reference_price",
        "tables/reference_price.csv",
        read("tables/reference_price.csv"),
    );
    let ruleset = c.compile().map_err(|e| format!("{e:?}")).unwrap();
    let today = Date::parse("2026-11-15").unwrap();
    let mut checked = 0;
    let (mut fired, mut undetermined, mut inactive) = (0, 0, 0);
    for (k, key) in [SamplingKey::default(), SamplingKey(*b"0123456789abcdef")]
        .into_iter()
        .enumerate()
    {
        let ctx = Context::new(today, key, format!("k{k}"));
        let mut ev = ruleset.evaluator();
        for (i, line) in read("declarations.jsonl").lines().enumerate() {
            let view = ev
                .eval_json(line.as_bytes(), &ctx)
                .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            let fired_ids: Vec<Entry> = view.fired().map(of_view).collect();
            let monitored_ids: Vec<Entry> = view.monitored().map(of_view).collect();
            let undetermined_ids: Vec<String> = view.undetermined().map(str::to_string).collect();
            let (score, lane) = (view.score(), view.lane().to_string());
            let overrides: Vec<(String, bool, bool, bool)> = view
                .overridden()
                .map(|o| (o.id.to_string(), o.disabled, o.original, o.applied))
                .collect();
            overridden += overrides.len();
            let e = ruleset.explain(ev.declaration(), &ctx);
            let explained: Vec<(String, bool, bool, bool)> = e
                .overridden
                .iter()
                .map(|o| (o.id.clone(), o.disabled, o.original, o.applied))
                .collect();
            assert_eq!(explained, overrides, "line {}: overridden", i + 1);
            assert!(e.verdict_agrees, "line {}: verdict_agrees", i + 1);
            let mine: Vec<Entry> = e.fired().map(of_explanation).collect();
            assert_eq!(mine, fired_ids, "line {}: fired", i + 1);
            let monitored: Vec<Entry> = e.monitored().map(of_explanation).collect();
            assert_eq!(monitored, monitored_ids, "line {}: monitored", i + 1);
            let mine: Vec<String> = e.undetermined().map(|r| r.id.clone()).collect();
            assert_eq!(mine, undetermined_ids, "line {}: undetermined", i + 1);
            assert_eq!(e.score, score, "line {}: score", i + 1);
            assert_eq!(e.lane, lane, "line {}: lane", i + 1);
            assert_eq!(e.id, ev.declaration().key());
            // Every traced condition agrees with the rule's verdict.
            for r in &e.rules {
                if let (Some(w), Some(c)) = (&r.when, r.condition) {
                    assert_eq!(w.truth(), c, "line {}: {}", i + 1, r.id);
                    assert!(!w.text.is_empty(), "{}: the condition's text", r.id);
                }
                inactive += usize::from(!r.active);
            }
            fired += e.fired().count();
            undetermined += e
                .undetermined()
                .filter(|r| r.condition == Some(Truth::Unknown))
                .count();
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 420);
    // The example exercises every verdict.
    assert!(fired > 0 && undetermined > 0 && inactive > 0);
    overridden
}

/// The regional example has no score expressions, shadow rules or lane
/// splits: the explain fixture has all three. Over many keys (so the lane
/// draws fall in every part of the splits), the explanation's entries are
/// the evaluator's.
#[test]
fn explanations_agree_on_points_shadow_rules_and_splits() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/explain");
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    let mut c = Compiler::new();
    c.add_source("rules.sem", read("rules.sem"));
    c.add_list_file(
        "watched_importers",
        "watched_importers.txt",
        read("watched_importers.txt"),
    );
    c.add_table_file(
        "reference_price",
        "reference_price.csv",
        read("reference_price.csv"),
    );
    let ruleset = c.compile().map_err(|e| format!("{e:?}")).unwrap();
    let ctx = Context::new(
        Date::parse("2026-11-15").unwrap(),
        SamplingKey(*b"0123456789abcdef"),
        "k",
    );
    let bodies: Vec<String> = read("declarations.jsonl")
        .lines()
        .take(2)
        .map(str::to_string)
        .collect();
    let mut ev = ruleset.evaluator();
    let (mut monitored, mut lanes, mut no_lane) = (0, std::collections::BTreeSet::new(), 0);
    for n in 0..400 {
        let body = &bodies[n % 2];
        let line = body.replacen(&format!("\"D{}\"", n % 2 + 1), &format!("\"K{n}\""), 1);
        let view = ev.eval_json(line.as_bytes(), &ctx).unwrap();
        let fired: Vec<Entry> = view.fired().map(of_view).collect();
        let shadow: Vec<Entry> = view.monitored().map(of_view).collect();
        let score = view.score();
        let e = ruleset.explain(ev.declaration(), &ctx);
        assert!(e.verdict_agrees, "K{n}");
        assert_eq!(e.id, format!("K{n}"));
        assert_eq!(
            e.fired().map(of_explanation).collect::<Vec<_>>(),
            fired,
            "K{n}"
        );
        assert_eq!(
            e.monitored().map(of_explanation).collect::<Vec<_>>(),
            shadow,
            "K{n}"
        );
        assert_eq!(e.score, score, "K{n}");
        monitored += shadow.len();
        for f in fired.iter().filter(|f| f.3.is_some()) {
            match &f.4 {
                Some(l) => {
                    lanes.insert(l.clone());
                }
                None => no_lane += 1,
            }
        }
    }
    assert_eq!(monitored, 200, "SHADOW-001 on every D1-shaped declaration");
    assert_eq!(lanes.into_iter().collect::<Vec<_>>(), ["red", "yellow"]);
    assert!(no_lane > 0);
}
