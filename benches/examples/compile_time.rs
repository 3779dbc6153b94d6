//! Compile time of the issue-6 workload, by phase, for wall-clock medians
//! and `valgrind --tool=callgrind` instruction counts. See the "Compile
//! time" section of `docs/performance.md`.
//!
//! ```text
//! cargo build --profile profiling -p semaforo-benches --example compile_time
//! target/profiling/examples/compile_time 10000 7        # 7 runs, min/median
//! valgrind --tool=callgrind --toggle-collect='*phase_*' \
//!     target/profiling/examples/compile_time 10000 1
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

use semaforo::Compiler;
use semaforo_benches::Workload;

#[inline(never)]
fn phase_parse(source: &str) -> semaforo_syntax::ast::SourceFile {
    semaforo_syntax::parse(source, semaforo_syntax::FileId(0)).unwrap()
}

#[inline(never)]
fn phase_check(file: &semaforo_syntax::ast::SourceFile) -> semaforo_compile::hir::Program {
    semaforo_compile::check::check(std::slice::from_ref(file))
        .program
        .unwrap()
}

#[inline(never)]
fn phase_lower(program: &semaforo_compile::hir::Program) -> impl Sized {
    semaforo_compile::lower::lower(program, &Default::default()).unwrap()
}

#[inline(never)]
fn phase_compile(source: &str) -> semaforo::Ruleset {
    let mut c = Compiler::new();
    c.add_source("bench.sem", source);
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(10_000, |a| a.parse().unwrap());
    let runs: usize = args.get(2).map_or(7, |a| a.parse().unwrap());
    let source = Workload::generate(n, 1, 1).source();
    let mut rows: Vec<[f64; 4]> = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let file = phase_parse(&source);
        let parse = ms(t);
        let t = Instant::now();
        let program = phase_check(&file);
        let check = ms(t);
        drop(file);
        let t = Instant::now();
        let plan = phase_lower(&program);
        let lower = ms(t);
        black_box(plan);
        drop(program);
        let t = Instant::now();
        let rs = phase_compile(&source);
        let compile = ms(t);
        black_box(rs);
        rows.push([parse, check, lower, compile]);
    }
    // One more pass, counting heap allocations per phase (not timed: the
    // counting allocator's atomics would add to the figures above).
    let count = |region: Region<'_, System>| {
        let c = region.change();
        (c.allocations, c.bytes_allocated)
    };
    let region = Region::new(GLOBAL);
    let file = phase_parse(&source);
    let a_parse = count(region);
    let region = Region::new(GLOBAL);
    let program = phase_check(&file);
    let a_check = count(region);
    let region = Region::new(GLOBAL);
    black_box(phase_lower(&program));
    let a_lower = count(region);
    let region = Region::new(GLOBAL);
    black_box(phase_compile(&source));
    let a_compile = count(region);
    let allocations = [a_parse, a_check, a_lower, a_compile];
    // `Compiler::compile` again, every ruleset kept until the end, so each
    // compile gets fresh memory (page faults included), as a one-shot
    // compile in a new process does and as criterion's
    // `iter_with_large_drop` measures it.
    let mut kept = Vec::with_capacity(runs);
    let mut fresh: Vec<f64> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        kept.push(phase_compile(&source));
        fresh.push(ms(t));
    }
    drop(kept);
    fresh.sort_by(f64::total_cmp);
    println!(
        "{:>18}: min {:7.1} ms  median {:7.1} ms  ({} runs, N={n}), each ruleset kept",
        "fresh memory",
        fresh[0],
        fresh[fresh.len() / 2],
        fresh.len()
    );
    let names = ["parse", "check", "lower", "Compiler::compile"];
    for (i, name) in names.iter().enumerate() {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        println!(
            "{name:>18}: min {:7.1} ms  median {:7.1} ms  ({} runs, N={n}), {} allocations, {:.1} MB",
            v[0],
            v[v.len() / 2],
            v.len(),
            allocations[i].0,
            allocations[i].1 as f64 / 1e6
        );
    }
}
