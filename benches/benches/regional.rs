//! The JSON path on the regional example (`examples/regional/`): bind one
//! declaration from JSON bytes and evaluate it, and end to end, a whole
//! JSON Lines file of declarations -> one JSON outcome line each; the
//! same declarations through 200 rules guarded only inside quantifiers
//! (`element_guard_source`); and through each rule form of `FORMS` alone
//! (the `forms` group). See `docs/performance.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use semaforo::{Context, Date};
use semaforo_benches::{
    FORMS, element_guard_source, form_source, jsonl_lines, regional_file as read,
    regional_ruleset as ruleset,
};

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let rs = ruleset(read("regional.sem"));
    let jsonl = read("declarations.jsonl");
    let lines = jsonl_lines(&jsonl);
    let ctx = Context::new(Date::parse("2026-11-20").unwrap(), Default::default(), "k0");
    let mut ev = rs.evaluator();
    let mut fired = 0;
    for l in &lines {
        fired += ev.eval_json(l, &ctx).unwrap().fired().count();
    }
    eprintln!(
        "[regional] {} declarations, {} rules, {fired} rule firings, {} bytes of JSON",
        lines.len(),
        rs.stats().rules,
        jsonl.len()
    );

    let mut g = c.benchmark_group("regional");
    g.throughput(Throughput::Elements(1));
    let mut k = 0;
    g.bench_function("json_bind_evaluate", |b| {
        b.iter(|| {
            k = (k + 1) % lines.len();
            let out = ev.eval_json(lines[k], &ctx).unwrap();
            black_box((out.score(), out.raw().fired.len()))
        })
    });
    // Rules guarded only inside `any`: `key(it.origin, it.hs) in [..]`
    // and `it.value > V`, which the index skips since session 8.
    let guarded = ruleset(element_guard_source(&read("regional.sem"), &jsonl, 200));
    let mut gev = guarded.evaluator();
    g.bench_function("element_guards_200", |b| {
        b.iter(|| {
            k = (k + 1) % lines.len();
            let out = gev.eval_json(lines[k], &ctx).unwrap();
            black_box((out.score(), out.raw().fired.len()))
        })
    });
    g.throughput(Throughput::Elements(lines.len() as u64));
    let mut text = String::with_capacity(1 << 20);
    g.bench_function("jsonl_to_outcome_lines", |b| {
        b.iter(|| {
            text.clear();
            for l in &lines {
                let out = ev.eval_json(l, &ctx).unwrap();
                out.write_json(&mut text);
                text.push('\n');
            }
            black_box(text.len())
        })
    });
    g.finish();

    // What each rule form costs: the same declarations through one rule
    // of `FORMS` at a time; a form's cost is its median minus `none`'s.
    // A form that costs ten times its neighbours is a performance bug
    // (session 12 found `contains "text"` at 1,000 ns a declaration so).
    let mut g = c.benchmark_group("forms");
    g.measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(1));
    let source = read("regional.sem");
    for form in FORMS {
        let mut ev = ruleset(form_source(&source, form)).evaluator();
        g.bench_function(form.name, |b| {
            b.iter(|| {
                k = (k + 1) % lines.len();
                black_box(ev.eval_json(lines[k], &ctx).unwrap().score())
            })
        });
    }
    g.finish();
    c.final_summary();
}
