//! Linear time in the size of external data: reading and compiling a list
//! or table ten times larger must take about ten times longer, never a
//! hundred (a quadratic step would). Wall time is compared as a ratio of
//! the fastest of several runs, with sizes where the smaller run takes tens
//! of milliseconds, so a busy machine does not make the test flaky; a
//! quadratic implementation exceeds the bound by a factor of four or more.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use semaforo::Compiler;
use std::time::{Duration, Instant};

const RULES: &str = r#"ruleset "big" version "1"
schema declaration { key id: text
  importer: text
  hs: text }
list watched: text
table price: number
rule W "watched" { when importer in watched then lane red }
rule P "price" { when lookup_prefix(price, hs) > 10 then score 5 }
"#;

/// The fastest of `runs` timings of `f`.
fn fastest(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

/// Asserts that `cost(10 n)` is less than `bound` times `cost(n)`.
fn assert_linear(what: &str, n: usize, bound: f64, cost: impl Fn(usize) -> Duration) {
    let small = cost(n);
    let large = cost(10 * n);
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    assert!(
        ratio < bound,
        "{what}: {n} -> {small:?}, {} -> {large:?}: ratio {ratio:.1} (bound {bound})",
        10 * n
    );
}

fn compile_with(list: &str, table: &str) {
    let mut c = Compiler::new();
    c.add_source("big.sem", RULES);
    c.add_list_file("watched", "watched.txt", list);
    c.add_table_file("price", "price.csv", table);
    let r = c.compile();
    assert!(r.is_ok(), "{:?}", r.err().map(|e| e.to_string()));
}

#[test]
fn list_files_compile_in_linear_time() {
    assert_linear("list file", 20_000, 30.0, |n| {
        let mut list = String::from("\u{feff}# watched importers\r\n");
        for i in 0..n {
            list.push_str(&format!("IMP-{i:08}\r\n"));
        }
        fastest(3, || compile_with(&list, "key,value\n"))
    });
}

#[test]
fn table_files_compile_in_linear_time() {
    assert_linear("table file", 10_000, 30.0, |n| {
        let mut table = String::from("key,value\n");
        for i in 0..n {
            table.push_str(&format!("{:010},{}.{:02}\n", i * 7919 % 1_000_000_007, i % 500, i % 100));
        }
        fastest(3, || compile_with("", &table))
    });
}

#[test]
fn bad_entries_are_all_reported_in_linear_time() {
    // Every line of the list is bad (a zero-width space): one diagnostic
    // per line, each located in the file.
    assert_linear("bad list entries", 2_000, 30.0, |n| {
        let mut list = String::new();
        for i in 0..n {
            list.push_str(&format!("IMP-{i}\u{200b}\n"));
        }
        fastest(3, || {
            let mut c = Compiler::new();
            c.add_source("big.sem", RULES);
            c.add_list_file("watched", "watched.txt", list.as_str());
            c.add_table_file("price", "price.csv", "key,value\n");
            let e = c.compile().err().unwrap();
            assert_eq!(e.diagnostics.len(), n);
            // What a renderer does: locate every diagnostic.
            for (i, d) in e.diagnostics.iter().enumerate() {
                assert_eq!(e.sources.locate(d.span).1, i as u32 + 1);
            }
        })
    });
}
