//! Lowering an external table costs a bounded number of bytes per entry:
//! its keys go into one text table and its values into one column, with no
//! allocation per entry and no copy of the entries (a regression test: a
//! table of 100,000 numbers used to allocate 369 bytes per entry while
//! lowering and keep 148 in the plan, and 1,000,000 took 30 times as long
//! as 100,000).
//!
//! The bytes are counted by a global allocator, so this file holds one
//! test: nothing else allocates while it measures.

use std::alloc::System;

use semaforo_compile::check::check;
use semaforo_compile::hir::Const;
use semaforo_compile::lower::{Externals, TableRows, lower};
use semaforo_plan::Decimal;
use semaforo_syntax::{FileId, parse};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn lowering_a_table_costs_a_few_dozen_bytes_per_entry() {
    const N: usize = 100_000;
    let rules = r#"ruleset "t" version "1"
schema declaration {
  key id: text
  hs: text
}
table prices: number
rule R1 "exact" { when lookup(prices, hs) > 100 then score 1 }
rule R2 "prefix" { when lookup_prefix(prices, hs) > 100 then score 1 }
"#;
    let file = parse(rules, FileId(0)).unwrap();
    let program = check(std::slice::from_ref(&file)).program.unwrap();
    let mut externals = Externals::default();
    let entries: Vec<(String, Const)> = (0..N)
        .map(|i| {
            let value = Decimal::from_i64(i as i64);
            (format!("HS{i:08}"), Const::Number(value))
        })
        .collect();
    externals
        .tables
        .insert("prices".into(), TableRows::values(entries));

    let region = Region::new(GLOBAL);
    let plan = lower(&program, &externals).unwrap();
    let stats = region.change();
    let allocated = stats.bytes_allocated / N;
    let kept = (stats.bytes_allocated - stats.bytes_deallocated) / N;
    // 10-byte keys: about 48 bytes allocated and 43 kept per entry (the
    // key's bytes, 4 for its end, 5 per slot of an index at most half
    // full, 16 for the number), both shapes sharing the data.
    assert!(allocated < 80, "{allocated} bytes allocated per entry");
    assert!(kept < 64, "{kept} bytes kept per entry");
    assert!(plan.heap_bytes() / N < 64, "{}", plan.heap_bytes() / N);
    drop(plan);
}
