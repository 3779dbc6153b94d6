//! The explanation's verdict equals the evaluator's on the regional example:
//! for every declaration of `examples/regional/declarations.jsonl`, the
//! fired rules (with their draws), the undetermined rules, the score and
//! the lane of `Ruleset::explain` are those of `Ruleset::evaluate`, and the
//! explanation says so itself (`verdict_agrees`, the flag `semaforo explain`
//! trusts before printing).

use semaforo::{Compiler, Context, Date, SamplingKey, Truth};
use std::path::PathBuf;

fn regional() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/regional")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(regional().join(path)).unwrap()
}

#[test]
fn explanations_agree_with_evaluation_on_the_regional_example() {
    let mut c = Compiler::new();
    c.add_source("regional.sem", read("regional.sem"));
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
            let fired_ids: Vec<(String, Option<u32>)> =
                view.fired().map(|f| (f.id.to_string(), f.draw)).collect();
            let undetermined_ids: Vec<String> = view.undetermined().map(str::to_string).collect();
            let (score, lane) = (view.score(), view.lane().to_string());
            let e = ruleset.explain(ev.declaration(), &ctx);
            assert!(e.verdict_agrees, "line {}: verdict_agrees", i + 1);
            let mine: Vec<(String, Option<u32>)> = e
                .fired()
                .map(|r| (r.id.clone(), r.sample.map(|s| s.draw)))
                .collect();
            assert_eq!(mine, fired_ids, "line {}: fired", i + 1);
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
}
