//! A fixed amount of work for `valgrind --tool=callgrind`, whose
//! instruction counts are stable on a noisy machine where wall-clock
//! medians are not. See `docs/performance.md`.
//!
//! ```text
//! cargo build --profile profiling -p semaforo-benches --example profile
//! valgrind --tool=callgrind --toggle-collect='*timed_*' \
//!     target/profiling/examples/profile issue6 1000 20000
//! ```
//!
//! With `--toggle-collect='*timed_*'` only the timed calls are counted:
//! K bind-validate-and-evaluate calls (`issue6 N K`: the issue 6 workload
//! with N rules, direct binding, the host path of `docs/embedding.md`;
//! `flat N K`: the same on the flat schema, `hs` a top-level field) or K JSON bind-and-evaluate calls
//! (`regional 0 K`: the regional example; `guards N K`: its declarations
//! through N rules guarded only inside quantifiers,
//! `semaforo_benches::element_guard_source`; `form NAME K`: through one
//! rule of `semaforo_benches::FORMS`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::hint::black_box;

use semaforo::{Compiler, Context, Date, Decimal, Outcome};
use semaforo_benches::{
    COUNTRIES, FORMS, Workload, element_guard_source, form_source, jsonl_lines,
    regional_file as read, regional_ruleset,
};

/// The timed part of `issue6`, a symbol for `--toggle-collect`.
#[inline(never)]
fn timed_issue6(f: impl FnOnce() -> u64) -> u64 {
    f()
}

/// The timed part of `flat`, a symbol for `--toggle-collect`.
#[inline(never)]
fn timed_flat(f: impl FnOnce() -> u64) -> u64 {
    f()
}

/// The timed part of `regional`, a symbol for `--toggle-collect`.
#[inline(never)]
fn timed_regional(f: impl FnOnce() -> u64) -> u64 {
    f()
}

fn issue6(n: usize, k: usize) -> u64 {
    let w = Workload::generate(n, 1, 1);
    let mut c = Compiler::new();
    c.add_source("bench.sem", w.source());
    let rs = c.compile().unwrap_or_else(|e| panic!("{e}"));
    let f = |p: &str| rs.field(p).unwrap();
    let (id, origin, importer, items, hs, value, net_kg) = (
        f("id"),
        f("origin"),
        f("importer"),
        f("items"),
        f("items.hs"),
        f("items.value"),
        f("items.net_kg"),
    );
    let nums: Vec<Vec<(Decimal, Decimal)>> = w
        .decls
        .iter()
        .map(|d| {
            d.items
                .iter()
                .map(|it| {
                    (
                        Decimal::from_i64(it.value as i64),
                        Decimal::from_i64(it.net_kg as i64),
                    )
                })
                .collect()
        })
        .collect();
    let mut d = rs.new_declaration();
    let mut scratch = rs.new_scratch();
    let mut out = Outcome::default();
    let ctx = Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "k0");
    let mut acc = 0u64;
    let started = std::time::Instant::now();
    for i in 0..k {
        let at = i % w.decls.len();
        let b = &w.decls[at];
        acc += timed_issue6(|| {
            d.clear();
            let root = d.root();
            d.set_text(root, id, &b.id).unwrap();
            d.set_text(root, origin, COUNTRIES[b.origin]).unwrap();
            d.set_text(root, importer, &b.importer).unwrap();
            for (it, &(v, kg)) in b.items.iter().zip(&nums[at]) {
                let e = d.push(root, items).unwrap();
                d.set_text(e, hs, &it.hs).unwrap();
                d.set_number(e, value, v).unwrap();
                d.set_number(e, net_kg, kg).unwrap();
            }
            d.validate().unwrap();
            rs.evaluate(&d, &ctx, &mut scratch, &mut out).unwrap();
            out.fired.len() as u64 + out.score as u64
        });
    }
    report(started, k);
    acc
}

/// The same workload on the flat schema (`Workload::source_flat`: the one
/// item's fields are top-level fields), bound the same way.
fn flat(n: usize, k: usize) -> u64 {
    let w = Workload::generate(n, 1, 1);
    let mut c = Compiler::new();
    c.add_source("bench.sem", w.source_flat());
    let rs = c.compile().unwrap_or_else(|e| panic!("{e}"));
    let f = |p: &str| rs.field(p).unwrap();
    let (id, origin, importer, hs, value, net_kg) = (
        f("id"),
        f("origin"),
        f("importer"),
        f("hs"),
        f("value"),
        f("net_kg"),
    );
    let nums: Vec<(Decimal, Decimal)> = w
        .decls
        .iter()
        .map(|d| {
            let it = &d.items[0];
            (
                Decimal::from_i64(it.value as i64),
                Decimal::from_i64(it.net_kg as i64),
            )
        })
        .collect();
    let mut d = rs.new_declaration();
    let mut scratch = rs.new_scratch();
    let mut out = Outcome::default();
    let ctx = Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "k0");
    let mut acc = 0u64;
    let started = std::time::Instant::now();
    for i in 0..k {
        let at = i % w.decls.len();
        let b = &w.decls[at];
        let (v, kg) = nums[at];
        acc += timed_flat(|| {
            d.clear();
            let root = d.root();
            d.set_text(root, id, &b.id).unwrap();
            d.set_text(root, origin, COUNTRIES[b.origin]).unwrap();
            d.set_text(root, importer, &b.importer).unwrap();
            d.set_text(root, hs, &b.items[0].hs).unwrap();
            d.set_number(root, value, v).unwrap();
            d.set_number(root, net_kg, kg).unwrap();
            d.validate().unwrap();
            rs.evaluate(&d, &ctx, &mut scratch, &mut out).unwrap();
            out.fired.len() as u64 + out.score as u64
        });
    }
    report(started, k);
    acc
}

/// Prints the wall-clock time per call (a rough figure next to the
/// instruction counts).
fn report(started: std::time::Instant, k: usize) {
    let ns = started.elapsed().as_nanos() as f64 / k.max(1) as f64;
    eprintln!("{ns:.0} ns per declaration");
}

/// K JSON bind-and-evaluate calls of the regional declarations through
/// the rules of `source` (over the regional header).
fn regional(source: String, k: usize) -> u64 {
    let rs = regional_ruleset(source);
    // `PROFILE_DECLS=file.jsonl` replaces the regional declarations (for
    // declarations of many lines, say).
    let jsonl = match std::env::var("PROFILE_DECLS") {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        Err(_) => read("declarations.jsonl"),
    };
    let lines = jsonl_lines(&jsonl);
    let ctx = Context::new(Date::parse("2026-11-20").unwrap(), Default::default(), "k0");
    let mut ev = rs.evaluator();
    // `PROFILE_SAME=N`: declaration N every time, whose branches the
    // processor learns; against the run over all of them, the time the
    // mispredicted branches cost (`docs/performance.md`, session 13).
    let same: Option<usize> = std::env::var("PROFILE_SAME")
        .ok()
        .map(|n| n.parse().unwrap());
    let mut acc = 0u64;
    let started = std::time::Instant::now();
    for i in 0..k {
        let line = lines[same.unwrap_or(i) % lines.len()];
        acc += timed_regional(|| ev.eval_json(line, &ctx).unwrap().score() as u64);
    }
    report(started, k);
    acc
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("issue6", |s| s);
    let arg = args.get(2).map_or("1000", |s| s);
    let n = || -> usize { arg.parse().unwrap() };
    let k: usize = args.get(3).map_or(10_000, |s| s.parse().unwrap());
    // `PROFILE_SRC=file.sem` replaces the regional rules (same header,
    // lists and table), to count what one rule or a subset costs.
    let regional_source = || match std::env::var("PROFILE_SRC") {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        Err(_) => read("regional.sem"),
    };
    let acc = match mode {
        "issue6" => issue6(n(), k),
        "flat" => flat(n(), k),
        "regional" => regional(regional_source(), k),
        "guards" => regional(
            element_guard_source(&regional_source(), &read("declarations.jsonl"), n()),
            k,
        ),
        "form" => {
            let form = FORMS
                .iter()
                .find(|f| f.name == arg)
                .unwrap_or_else(|| panic!("no form `{arg}` in semaforo_benches::FORMS"));
            regional(form_source(&read("regional.sem"), form), k)
        }
        _ => panic!("unknown mode `{mode}`"),
    };
    println!("{}", black_box(acc));
}
