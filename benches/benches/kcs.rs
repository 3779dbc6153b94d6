//! The KCS scorecard (`examples/kcs/scorecard.sem`, 11 points tables on
//! composite keys and two value controls) on the 8,134 declarations of
//! `examples/kcs/valid.csv`: one declaration bound through field handles
//! (numbers and dates parsed beforehand, as a host that already holds
//! typed values) and evaluated, and one bound from its JSON bytes and
//! evaluated. See `docs/performance.md`.
//!
//! Before timing, the setup checks that both paths give every declaration
//! the same score and the same fired rules with the same points, and
//! counts heap allocations over a full pass of each path with a counting
//! allocator: both must be 0 (the run stops otherwise).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs
)]

use std::alloc::System;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use semaforo::{Compiler, Context, Date, Decimal, Declaration, FieldHandle, Outcome, Ruleset};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn read(path: &str) -> String {
    let full = format!("{}/../examples/kcs/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The scorecard with every table it declares (`tables/NAME.csv`).
fn ruleset() -> Ruleset {
    let src = read("scorecard.sem");
    let mut c = Compiler::new();
    for line in src.lines() {
        if let Some(rest) = line.strip_prefix("table ") {
            let name = rest.split(':').next().unwrap().trim();
            let path = format!("tables/{name}.csv");
            c.add_table_file(name, &path, read(&path));
        }
    }
    c.add_source("scorecard.sem", src);
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

/// Text fields of the schema, in the order of `TEXT_COLUMNS`.
const TEXT_FIELDS: [&str; 16] = [
    "id",
    "office",
    "process_type",
    "import_type",
    "import_use",
    "payment_type",
    "transport_mode",
    "declarant",
    "importer",
    "seller",
    "courier",
    "departure",
    "origin",
    "tax_type",
    "origin_indicator",
    "items.hs6",
];
const TEXT_COLUMNS: [&str; 16] = [
    "Declaration ID",
    "Office ID",
    "Process Type",
    "Import Type",
    "Import Use",
    "Payment Type",
    "Mode of Transport",
    "Declarant ID",
    "Importer ID",
    "Seller ID",
    "Courier ID",
    "Country of Departure",
    "Country of Origin",
    "Tax Type",
    "Country of Origin Indicator",
    "HS6 Code",
];

/// One row of `valid.csv`, typed: texts (empty = absent), the date and
/// the numbers already parsed.
struct Row {
    text: Vec<String>,
    date: Date,
    tax_rate: Decimal,
    net_kg: Decimal,
    price: Decimal,
    json: String,
    found: bool,
}

fn rows() -> Vec<Row> {
    let text = read("valid.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let num = |s: &str| Decimal::parse(s).unwrap().value;
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let text: Vec<String> = TEXT_COLUMNS
                .iter()
                .map(|c| cells[col(c)].to_owned())
                .collect();
            let date = cells[col("Date")];
            let (tax, kg, price) = (
                cells[col("Tax Rate")],
                cells[col("Net Mass")],
                cells[col("Item Price")],
            );
            // The same declaration as JSON; no KCS cell needs escaping.
            let mut json = format!("{{\"declared_on\":\"{date}\",\"tax_rate\":{tax}");
            for (f, v) in TEXT_FIELDS.iter().zip(&text).take(15) {
                if !v.is_empty() {
                    json.push_str(&format!(",\"{f}\":\"{v}\""));
                }
            }
            json.push_str(&format!(
                ",\"items\":[{{\"hs6\":\"{}\",\"net_kg\":{kg},\"price\":{price}}}]}}",
                text[15]
            ));
            Row {
                date: Date::parse(date).unwrap(),
                tax_rate: num(tax),
                net_kg: num(kg),
                price: num(price),
                found: cells[col("Fraud")] == "1",
                json,
                text,
            }
        })
        .collect()
}

struct Direct {
    ruleset: Ruleset,
    text: Vec<FieldHandle>,
    declared_on: FieldHandle,
    tax_rate: FieldHandle,
    items: FieldHandle,
    net_kg: FieldHandle,
    price: FieldHandle,
    decl: Declaration,
    scratch: semaforo::Scratch,
    out: Outcome,
}

impl Direct {
    fn new(ruleset: Ruleset) -> Direct {
        let f = |p: &str| ruleset.field(p).unwrap();
        Direct {
            text: TEXT_FIELDS.iter().map(|p| f(p)).collect(),
            declared_on: f("declared_on"),
            tax_rate: f("tax_rate"),
            items: f("items"),
            net_kg: f("items.net_kg"),
            price: f("items.price"),
            decl: ruleset.new_declaration(),
            scratch: ruleset.new_scratch(),
            out: Outcome::default(),
            ruleset,
        }
    }

    /// Binds through field handles, validates and evaluates.
    #[inline]
    fn run(&mut self, r: &Row, ctx: &Context) -> &Outcome {
        let d = &mut self.decl;
        d.clear();
        let root = d.root();
        for (h, v) in self.text.iter().zip(&r.text).take(15) {
            if !v.is_empty() {
                d.set_text(root, *h, v).unwrap();
            }
        }
        d.set_date(root, self.declared_on, r.date).unwrap();
        d.set_number(root, self.tax_rate, r.tax_rate).unwrap();
        let it = d.push(root, self.items).unwrap();
        d.set_text(it, self.text[15], &r.text[15]).unwrap();
        d.set_number(it, self.net_kg, r.net_kg).unwrap();
        d.set_number(it, self.price, r.price).unwrap();
        d.validate().unwrap();
        self.ruleset
            .evaluate(d, ctx, &mut self.scratch, &mut self.out)
            .unwrap();
        &self.out
    }
}

fn summary(o: &Outcome) -> (i64, Vec<(u32, i64)>) {
    (
        o.score,
        o.fired.iter().map(|f| (f.rule, f.points)).collect(),
    )
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let rs = ruleset();
    let rows = rows();
    let ctx = Context::new(Date::parse("2021-03-31").unwrap(), Default::default(), "k0");
    let mut direct = Direct::new(rs.clone());
    let mut ev = rs.evaluator();

    // Both paths agree on every declaration; precision at 5% as a check
    // that this is the scorecard of docs/backtesting.md.
    let mut scores = Vec::with_capacity(rows.len());
    for r in &rows {
        let a = summary(direct.run(r, &ctx));
        let b = summary(ev.eval_json(r.json.as_bytes(), &ctx).unwrap().raw());
        assert_eq!(a, b, "direct and JSON disagree on {}", r.text[0]);
        scores.push(a.0);
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(scores[i]), i));
    let n5 = rows.len().div_ceil(20);
    let hits = order[..n5].iter().filter(|&&i| rows[i].found).count();

    // Allocations: a second full pass of each path, buffers warm.
    let region = Region::new(GLOBAL);
    for r in &rows {
        black_box(direct.run(r, &ctx).score);
    }
    let direct_allocs = region.change();
    let region = Region::new(GLOBAL);
    for r in &rows {
        black_box(ev.eval_json(r.json.as_bytes(), &ctx).unwrap().score());
    }
    let json_allocs = region.change();
    eprintln!(
        "[kcs] {} declarations, {} rules, precision at 5%: {hits}/{n5} = {:.4}; heap allocations \
         in {} evaluations: direct {} (reallocs {}), JSON {} (reallocs {})",
        rows.len(),
        rs.stats().rules,
        hits as f64 / n5 as f64,
        rows.len(),
        direct_allocs.allocations,
        direct_allocs.reallocations,
        json_allocs.allocations,
        json_allocs.reallocations,
    );
    assert_eq!(
        (direct_allocs.allocations, direct_allocs.reallocations),
        (0, 0),
        "direct binding allocated"
    );
    assert_eq!(
        (json_allocs.allocations, json_allocs.reallocations),
        (0, 0),
        "JSON binding allocated"
    );

    let mut g = c.benchmark_group("kcs_scorecard");
    g.throughput(Throughput::Elements(1));
    let mut k = 0;
    g.bench_function("direct_bind_evaluate", |b| {
        b.iter(|| {
            k = (k + 1) % rows.len();
            black_box(direct.run(&rows[k], &ctx).score)
        })
    });
    let mut k = 0;
    g.bench_function("json_bind_evaluate", |b| {
        b.iter(|| {
            k = (k + 1) % rows.len();
            black_box(ev.eval_json(rows[k].json.as_bytes(), &ctx).unwrap().score())
        })
    });
    g.finish();
    c.final_summary();
}
