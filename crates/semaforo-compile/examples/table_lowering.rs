//! Measures lowering an external table of numbers: time, bytes allocated
//! while lowering, and bytes the plan keeps, per entry.
//!
//! ```text
//! cargo run --release -p semaforo-compile --example table_lowering -- 100000 1000000
//! cargo run --release -p semaforo-compile --example table_lowering -- --list 100000 1000000
//! ```
//!
//! The table is read by `lookup` and by `lookup_prefix`, so it is built in
//! both shapes. Keys are 10-character codes (`HS00000000`), values numbers
//! with two decimals.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring example: it prints its figures and stops on input it made itself"
)]

use std::alloc::System;
use std::time::Instant;

use semaforo_compile::check::check;
use semaforo_compile::hir::Const;
use semaforo_compile::lower::{Externals, TableRows, lower};
use semaforo_plan::Decimal;
use semaforo_syntax::{FileId, parse};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const RULES: &str = r#"ruleset "t" version "1"
schema declaration {
  key id: text
  hs: text
}
table prices: number
rule R1 "exact" { when lookup(prices, hs) > 100 then score 1 }
rule R2 "prefix" { when lookup_prefix(prices, hs) > 100 then score 1 }
"#;

/// With `--list`: an external list of the same codes, read by `in` and by
/// `starts with`.
const LIST_RULES: &str = r#"ruleset "t" version "1"
schema declaration {
  key id: text
  hs: text
}
list codes: text
rule R1 "in" { when hs in codes then score 1 }
rule R2 "prefix" { when hs starts with codes then score 1 }
"#;

fn main() {
    let list = std::env::args().any(|a| a == "--list");
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| a != "--list")
        .map(|a| a.parse().expect("a table size"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let file = parse(if list { LIST_RULES } else { RULES }, FileId(0)).unwrap();
    let program = check(std::slice::from_ref(&file)).program.unwrap();
    for n in sizes {
        let entries: Vec<(String, Const)> = (0..n)
            .map(|i| {
                let value = Decimal::parse(&format!("{}.{:02}", i % 100_000, i % 100))
                    .unwrap()
                    .value;
                (format!("HS{i:08}"), Const::Number(value))
            })
            .collect();
        let mut externals = Externals::default();
        if list {
            let codes = entries
                .into_iter()
                .map(|(k, _)| Const::Text(k.into()))
                .collect();
            externals.lists.insert("codes".into(), codes);
        } else {
            externals
                .tables
                .insert("prices".into(), TableRows::values(entries));
        }
        let mut best = f64::MAX;
        let mut allocated = 0;
        let mut kept = 0;
        for _ in 0..3 {
            let region = Region::new(GLOBAL);
            let start = Instant::now();
            let plan = lower(&program, &externals).unwrap();
            best = best.min(start.elapsed().as_secs_f64());
            let stats = region.change();
            allocated = stats.bytes_allocated;
            kept = stats.bytes_allocated as isize - stats.bytes_deallocated as isize;
            drop(plan);
        }
        println!(
            "{n} entries: lower {:.1} ms ({:.0} ns/entry), allocated {:.0} B/entry, plan keeps {:.0} B/entry",
            best * 1e3,
            best * 1e9 / n as f64,
            allocated as f64 / n as f64,
            kept as f64 / n as f64,
        );
    }
}
