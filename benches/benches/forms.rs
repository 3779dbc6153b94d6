//! What each rule form costs on the JSON path: the regional declarations
//! bound from JSON and evaluated through one rule of
//! `semaforo_benches::FORMS` at a time, over the regional header. `none`
//! (the header alone) is binding plus an evaluation without rules; a
//! form's cost is its median minus `none`'s. `docs/performance.md` ("What
//! each form costs") reports them. A form that suddenly costs ten times
//! its neighbours is a performance bug: session 12 found that
//! `contains "text"` cost 1,000 ns a declaration this way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use semaforo::{Context, Date};
use semaforo_benches::{FORMS, form_source, regional_file, regional_ruleset};

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let source = regional_file("regional.sem");
    let jsonl = regional_file("declarations.jsonl");
    let lines: Vec<&[u8]> = jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::as_bytes)
        .collect();
    let ctx = Context::new(Date::parse("2026-11-20").unwrap(), Default::default(), "k0");
    let mut g = c.benchmark_group("forms");
    g.throughput(Throughput::Elements(1));
    for form in FORMS {
        let rs = regional_ruleset(form_source(&source, form));
        let mut ev = rs.evaluator();
        let mut k = 0;
        g.bench_function(form.name, |b| {
            b.iter(|| {
                k = (k + 1) % lines.len();
                let out = ev.eval_json(lines[k], &ctx).unwrap();
                black_box(out.score())
            })
        });
    }
    g.finish();
    c.final_summary();
}
