//! Direct binding (field handles), JSON binding ([`Evaluator::eval_json`])
//! and [`Ruleset::evaluate`] perform no heap allocation after warm-up
//! (SPEC §5). Counts allocations with `stats_alloc`
//! (the workspace forbids `unsafe`), so it stays alone in its test binary:
//! other tests running on other threads would be counted too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "tests unwrap, index and panic: a failure is the test's report; this harness prints its progress"
)]

use semaforo::{
    Compiler, Context, Date, Decimal, Declaration, FieldHandle, Outcome, Ruleset, SamplingKey,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::path::Path;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ROUNDS: usize = 10_000;

fn regional() -> Ruleset {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/regional");
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    let mut c = Compiler::new();
    c.add_source("regional.sem", read("regional.sem"));
    for l in ["watched_importers", "watched_declarants"] {
        let file = format!("lists/{l}.txt");
        c.add_list_file(l, file.clone(), read(&file));
    }
    c.add_table_file(
        "reference_price",
        "tables/reference_price.csv",
        read("tables/reference_price.csv"),
    );
    c.compile().unwrap()
}

/// Every kind of expression, action and clause of the language.
const FEATURES: &str = r#"
ruleset "features" version "1"
lanes green, blue, yellow, red
threshold blue 10
threshold yellow 40
threshold red 70
schema declaration {
  key id: text
  importer: text
  origin: text
  declared_on: date
  aeo: bool
  freight: number?
  items: [item]
}
record item {
  hs: text
  description: text
  net_kg: number
  value: number
  parts: [part]
}
record part {
  serial: text
  weight: number?
}
list risky = ["CN", "VN"]
list words = ["usado", "réplica"]
list watched: text
table price: number
rule R1 "in a list" { tags a when origin in risky and not aeo then score 15, note "origin" }
rule R2 "watched" { when importer in watched then lane red }
rule R3 "price" { active 2026-01-01 to 2026-12-31
  when any(it in items: it.value / it.net_kg < lookup_prefix(price, it.hs) * 0.5)
  then score 40, note "price" }
rule R4 "words" { when any(it in items: it.description contains words) then score 20 }
rule R5 "count" { when count(it in items: it.hs starts with ["64", "61"]) >= 2 then lane yellow }
rule R6 "sum" { when sum(it in items: it.value) > 1000 or freight is missing then score 5 }
rule R7 "min max" { when min(it in items: it.net_kg) < 1 and max(it in items: it.net_kg) > 100 then score -5 }
rule R8 "nested" { when any(it in items: all(p in it.parts: p.weight > 0.5)) then note "nested" }
rule R9 "dates" { when today - declared_on > 30 and len(importer) > 3 then score 1 }
rule R10 "exact lookup" { when lookup(price, "6402") == 20 and freight * 2 / 3 > 10 then score 2 }
rule R11 "sample" { when origin != "US" sample 50% then lane blue, note "random" }
rule R12 "always" { sample 100% then score 0 }
rule R13 "composite keys" {
  when key(importer, origin) in watched_pairs
    or any(it in items: lookup(points, key(it.hs, origin, key(importer, "x"))) > 1)
  then score lookup(points, key(origin, importer)) * 1.5, lane red 50%, yellow 25%
}
rule R14 "shadow" monitor {
  when any(it in items: it.value / it.net_kg < lookup_prefix(control, key(origin, it.hs)).low)
  sample 50%
  then score sum(it in items: lookup(points, it.hs)), lane red 10%
}
rule R15 "columns" {
  when lookup(control, origin).low is present and len(key(origin, importer)) > 4
  then score max(it in items: lookup_prefix(control, it.hs).high)
}
list watched_pairs = ["IMP-7|CN", "IMP-1234|VN"]
table points: number
table control: { low: number, high: number }
threshold red 60 for origin "CN"
uses "pkg" version "1"
override pkg/P1 { disable reason "disabled nationally" }
override pkg/P2 {
  active from 2026-01-01
  then score sum(it in items: it.value) * 0.01, lane yellow 50%, blue 50%, note "adjusted"
  reason "adjusted nationally"
  until 2099-12-31
}
"#;

/// A package the features ruleset uses and overrides.
const PACKAGE: &str = r#"
package "pkg" version "1"
rule P1 "disabled" { when origin in risky then lane red }
rule P2 "adjusted" { when any(it in items: it.value > 10) then score 3 }
rule P3 "draft" { profile status draft then lane red }
"#;

fn features() -> Ruleset {
    let mut c = Compiler::new();
    c.add_source("pkg.sem", PACKAGE);
    c.add_source("features.sem", FEATURES);
    c.add_list("watched", ["IMP-7", "IMP-9"]);
    c.add_table("price", [("64", "10"), ("6402", "20"), ("61", "5")]);
    c.add_table(
        "points",
        [
            ("CN|IMP-7", "2.5"),
            ("6402990000", "3"),
            ("6110200000|VN|IMP-1234|x", "4"),
        ],
    );
    c.add_table_rows(
        "control",
        ["low", "high"],
        [
            ("CN", vec![Some("5"), None]),
            ("VN|64", vec![Some("1000"), Some("9")]),
            ("61", vec![None, Some("12.5")]),
        ],
    );
    c.compile().unwrap()
}

/// Field handles resolved once, by name: top-level fields, the item list and
/// the item fields.
struct Handles {
    top: Vec<(FieldHandle, &'static str)>,
    items: FieldHandle,
    item: Vec<(FieldHandle, &'static str)>,
    /// `items.parts.serial` and `items.parts.weight`, when the schema has them.
    parts: Option<[FieldHandle; 2]>,
}

impl Handles {
    fn new(r: &Ruleset, top: &[&'static str], item: &[&'static str]) -> Handles {
        Handles {
            top: top.iter().map(|n| (r.field(n).unwrap(), *n)).collect(),
            items: r.field("items").unwrap(),
            item: item
                .iter()
                .map(|n| (r.field(&format!("items.{n}")).unwrap(), *n))
                .collect(),
            parts: r
                .field("items.parts.serial")
                .ok()
                .map(|s| [s, r.field("items.parts.weight").unwrap()]),
        }
    }
}

const IDS: [&str; 4] = [
    "GT01-2026-000001",
    "SV01-2026-000002",
    "HN01-2026-000003",
    "CR01-2026-000004",
];
const ORIGINS: [&str; 3] = ["CN", "US", "VN"];
const HS: [&str; 4] = ["6402990000", "6110200000", "8471300000", "9503000000"];
const DESCRIPTIONS: [&str; 3] = ["ZAPATOS DEPORTIVOS", "camisas usado", "RÉPLICA de bolsos"];

/// Fills `d` with the `round`-th declaration by field handle: values vary
/// with the round so that different rules fire, but nothing is formatted
/// (that would allocate in the test, not in the engine).
fn fill(d: &mut Declaration, h: &Handles, round: usize, dates: &[Date]) {
    d.clear();
    let root = d.root();
    for &(f, name) in &h.top {
        match name {
            "id" => d.set_text(root, f, IDS[round % 4]),
            "origin" | "provenance" => d.set_text(root, f, ORIGINS[round % 3]),
            "importer" => d.set_text(
                root,
                f,
                if round.is_multiple_of(5) {
                    "IMP-7"
                } else {
                    "IMP-1234"
                },
            ),
            "aeo" => d.set_bool(root, f, round.is_multiple_of(2)),
            "declared_on" => d.set_date(root, f, dates[round % dates.len()]),
            "freight" if round.is_multiple_of(3) => d.set_missing(root, f),
            "freight" | "transport_mode" => {
                d.set_number(root, f, Decimal::from_i64((round % 7) as i64 * 100 + 1))
            }
            _ => d.set_text(root, f, "IM4"),
        }
        .unwrap();
    }
    d.start_list(root, h.items).unwrap();
    for i in 0..(1 + round % 4) {
        let it = d.push(root, h.items).unwrap();
        for &(f, name) in &h.item {
            match name {
                "hs" => d.set_text(it, f, HS[(round + i) % 4]),
                "description" => d.set_text(it, f, DESCRIPTIONS[(round + i) % 3]),
                "origin" => d.set_text(it, f, ORIGINS[(round + i) % 3]),
                "net_kg" => d.set_number(
                    it,
                    f,
                    Decimal::from_i64(((round * 7 + i * 13) % 200) as i64),
                ),
                "gross_kg" => {
                    d.set_number(it, f, Decimal::from_i64(((round * 5 + i) % 210) as i64))
                }
                "value" => d.set_number(
                    it,
                    f,
                    Decimal::from_units(12_345 + (round as i64 % 1000) * 100, 2).unwrap(),
                ),
                "parts" => d.start_list(it, f).and_then(|()| {
                    let [serial, weight] = h.parts.unwrap();
                    for (j, sn) in IDS.iter().enumerate().take((round + i) % 3) {
                        let p = d.push(it, f)?;
                        d.set_text(p, serial, sn)?;
                        d.set_number(
                            p,
                            weight,
                            Decimal::from_units(((round + j) % 10) as i64, 1).unwrap(),
                        )?;
                    }
                    Ok(())
                }),
                _ => d.set_missing(it, f),
            }
            .unwrap();
        }
    }
}

fn count_rounds(ruleset: &Ruleset, handles: &Handles) {
    let dates = [
        Date::parse("2026-01-15").unwrap(),
        Date::parse("2026-05-31").unwrap(),
        Date::parse("2026-06-01").unwrap(),
    ];
    let ctx = Context::new(
        Date::parse("2026-06-01").unwrap(),
        SamplingKey([7; 16]),
        "k1",
    );
    let mut decl = ruleset.new_declaration();
    let mut scratch = ruleset.new_scratch();
    let mut out = Outcome::default();
    let mut fired_total = 0usize;
    let mut lanes_seen = [false; 8];
    // Per rule id: how often it fired (or, a shadow rule, was monitored),
    // so the test knows the scoring forms were exercised.
    let mut by_rule = [0usize; 4];
    let tracked = ["R13", "R14", "R15", "pkg/P2"];
    let mut overridden = 0usize;
    // Warm-up: the largest declaration sizes every buffer.
    for round in 0..64 {
        fill(&mut decl, handles, round, &dates);
        decl.validate().unwrap();
        ruleset
            .evaluate(&decl, &ctx, &mut scratch, &mut out)
            .unwrap();
    }
    let region = Region::new(GLOBAL);
    for round in 0..ROUNDS {
        fill(&mut decl, handles, round, &dates);
        decl.validate().unwrap();
        ruleset
            .evaluate(&decl, &ctx, &mut scratch, &mut out)
            .unwrap();
        let view = ruleset.view(&decl, &ctx, &out);
        fired_total += view.fired().count() + view.notes().count() + view.undetermined().count();
        for f in view.fired().chain(view.monitored()) {
            if let Some(i) = tracked.iter().position(|t| *t == f.id) {
                by_rule[i] += 1;
            }
        }
        overridden += view.overridden().count();
        if let Some(seen) = lanes_seen.get_mut(out.lane as usize) {
            *seen = true;
        }
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "{} allocations and {} reallocations in {ROUNDS} rounds of `{}`",
        stats.allocations,
        stats.reallocations,
        ruleset.name()
    );
    // The rounds did real work: rules fired and more than one lane was decided.
    assert!(fired_total > ROUNDS, "only {fired_total} fired entries");
    if ruleset.name() == "features" {
        assert!(
            by_rule.iter().all(|&n| n > 0),
            "the scoring rules {tracked:?} fired {by_rule:?} times"
        );
        assert!(overridden > 0, "no override applied");
    }
    assert!(
        lanes_seen.iter().filter(|s| **s).count() >= 2,
        "one lane only: {lanes_seen:?}"
    );
}

fn the_counter_counts() {
    let region = Region::new(GLOBAL);
    let v: Vec<u64> = (0..100).collect();
    assert!(region.change().allocations >= 1);
    drop(v);
}

fn regional_example_allocates_nothing_after_warm_up() {
    let r = regional();
    let h = Handles::new(
        &r,
        &[
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
        ],
        &[
            "hs",
            "description",
            "origin",
            "net_kg",
            "gross_kg",
            "value",
            "quantity",
            "preference",
        ],
    );
    count_rounds(&r, &h);
}

/// The JSON path a host takes (`Evaluator::eval_json`, the binder
/// included) over every declaration of the regional example: after one
/// pass to warm up, further passes allocate nothing.
fn regional_json_path_allocates_nothing_after_warm_up() {
    let r = regional();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/regional");
    let jsonl = std::fs::read_to_string(dir.join("declarations.jsonl")).unwrap();
    let lines: Vec<&[u8]> = jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::as_bytes)
        .collect();
    assert!(lines.len() >= 400, "{} declarations", lines.len());
    let ctx = Context::new(
        Date::parse("2026-11-20").unwrap(),
        SamplingKey([7; 16]),
        "k1",
    );
    let mut ev = r.evaluator();
    for line in &lines {
        ev.eval_json(line, &ctx).unwrap();
    }
    let mut fired = 0usize;
    let region = Region::new(GLOBAL);
    for _ in 0..5 {
        for line in &lines {
            fired += ev.eval_json(line, &ctx).unwrap().fired().count();
        }
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "{} allocations and {} reallocations in {} JSON evaluations",
        stats.allocations,
        stats.reallocations,
        5 * lines.len()
    );
    assert!(fired > lines.len(), "only {fired} fired entries");
}

fn feature_complete_ruleset_allocates_nothing_after_warm_up() {
    let r = features();
    let h = Handles::new(
        &r,
        &["id", "importer", "origin", "declared_on", "aeo", "freight"],
        &["hs", "description", "net_kg", "value", "parts"],
    );
    count_rounds(&r, &h);
}

/// This binary runs without libtest's harness (`harness = false` in
/// Cargo.toml), one check after the other: the allocation counter is
/// process-wide, and the harness's own threads allocate.
fn main() {
    let checks: [(&str, fn()); 4] = [
        ("the_counter_counts", the_counter_counts),
        (
            "regional_example_allocates_nothing_after_warm_up",
            regional_example_allocates_nothing_after_warm_up,
        ),
        (
            "regional_json_path_allocates_nothing_after_warm_up",
            regional_json_path_allocates_nothing_after_warm_up,
        ),
        (
            "feature_complete_ruleset_allocates_nothing_after_warm_up",
            feature_complete_ruleset_allocates_nothing_after_warm_up,
        ),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    println!("{} passed, 0 failed", checks.len());
}
