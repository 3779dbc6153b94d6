//! Linear time in the size of external data: reading and compiling a list
//! or table ten times larger must cost about ten times more, never a
//! hundred (a quadratic step would). Measured with
//! `semaforo_testkit::complexity` (thread CPU time, fastest of several
//! runs, sizes grown until the small run takes 20 ms).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

use semaforo::Compiler;
use semaforo_testkit::complexity::assert_linear;

const RULES: &str = r#"ruleset "big" version "1"
schema declaration { key id: text
  importer: text
  hs: text }
list watched: text
table price: number
rule W "watched" { when importer in watched then lane red }
rule P "price" { when lookup_prefix(price, hs) > 10 then score 5 }
"#;

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
    let make = |n: usize| {
        let mut list = String::from("\u{feff}# watched importers\r\n");
        for i in 0..n {
            list.push_str(&format!("IMP-{i:08}\r\n"));
        }
        list
    };
    assert_linear("list file", 1_000, 200_000, make, |list| {
        compile_with(list, "key,value\n")
    });
}

#[test]
fn table_files_compile_in_linear_time() {
    let make = |n: usize| {
        let mut table = String::from("key,value\n");
        for i in 0..n {
            let key = i * 7919 % 1_000_000_007;
            table.push_str(&format!("{key:010},{}.{:02}\n", i % 500, i % 100));
        }
        table
    };
    assert_linear("table file", 1_000, 200_000, make, |table| {
        compile_with("", table)
    });
}

/// Every line of the list is bad (a zero-width space): one diagnostic per
/// line, each placed in the file as a renderer would.
#[test]
fn bad_entries_are_all_reported_and_placed_in_linear_time() {
    let make = |n: usize| {
        let mut list = String::new();
        for i in 0..n {
            list.push_str(&format!("IMP-{i}\u{200b}\n"));
        }
        (n, list)
    };
    assert_linear("bad list entries", 500, 100_000, make, |(n, list)| {
        let mut c = Compiler::new();
        c.add_source("big.sem", RULES);
        c.add_list_file("watched", "watched.txt", list.as_str());
        c.add_table_file("price", "price.csv", "key,value\n");
        let e = c.compile().err().unwrap();
        assert_eq!(e.diagnostics.len(), *n);
        for (i, d) in e.diagnostics.iter().enumerate() {
            assert_eq!(e.sources.locate(d.span).1, i as u32 + 1);
        }
    });
}

/// `explain` on a declaration with many goods items: its time is linear in
/// the items (the element detail it keeps is bounded; every element is
/// still evaluated and counted).
#[test]
fn explain_is_linear_in_goods_items() {
    const ITEMS: &str = r#"ruleset "items" version "1"
schema declaration { key id: text
  items: [item] }
record item { hs: text
  value: number }
list footwear = ["6401", "6402", "6403"]
rule F "footwear" { when any(it in items: it.hs starts with footwear and it.value > 100) then score 10 }
rule S "sum" { when sum(it in items: it.value) > 1000000 then lane red }
rule C "count" { when count(it in items: it.hs starts with "84") > 3 then score 5 }
"#;
    let mut c = Compiler::new();
    c.add_source("items.sem", ITEMS);
    let rs = c.compile().unwrap();
    let ctx = semaforo::Context::new(
        semaforo::Date::parse("2026-06-01").unwrap(),
        Default::default(),
        "k",
    );
    let make = |n: usize| {
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"hs": "{}", "value": {}}}"#, 6401 + i % 2000, i % 150))
            .collect();
        let json = format!(r#"{{"id": "D1", "items": [{}]}}"#, items.join(","));
        let mut ev = rs.evaluator();
        ev.eval_json(json.as_bytes(), &ctx).unwrap();
        ev
    };
    assert_linear("explain over goods items", 100, 200_000, make, |ev| {
        let e = rs.explain(ev.declaration(), &ctx);
        assert!(e.verdict_agrees);
    });
}
