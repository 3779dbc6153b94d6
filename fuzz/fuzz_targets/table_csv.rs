//! External tables: fuzzed CSV text given as a table file loads or fails with
//! diagnostics, and a loaded table is looked up without a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
table vc: { min: number, unit: text, since: date, strict: bool }
rule P "price" { when any(it in items: it.value < lookup_prefix(reference_price, it.hs) * 2) then score 5 }
rule C "code" { when lookup(codes, origin) == "asia" then score 7 }
rule V "columns" {
  when any(it in items: it.value < lookup_prefix(vc, key(it.hs, origin)).min
                        or lookup(vc, it.hs).strict and lookup(vc, origin).unit == "kg")
  then score lookup_prefix(vc, origin).min, lane red 50%, yellow 25%
}
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first byte of the input picks the table, so every value type
    // and the multi-column reader are exercised with the same corpus.
    let which = data.first().map_or(0, |b| b % 3);
    let mut c = semaforo::Compiler::new();
    c.add_source("prelude.sem", common::PRELUDE);
    c.add_source("rules.sem", RULES);
    c.add_list("watched", ["IMP-1"]);
    let row = |k: &'static str| (k, vec![Some("1"), None, Some("2026-01-01"), Some("true")]);
    match which {
        0 => {
            c.add_table_file("reference_price", "fuzz.csv", text);
            c.add_table("codes", [("CN", "asia")]);
            c.add_table_rows("vc", ["min", "unit", "since", "strict"], [row("CN")]);
        }
        1 => {
            c.add_table("reference_price", [("64", "1")]);
            c.add_table_file("codes", "fuzz.csv", text);
            c.add_table_rows("vc", ["min", "unit", "since", "strict"], [row("64")]);
        }
        _ => {
            c.add_table("reference_price", [("64", "1")]);
            c.add_table("codes", [("CN", "asia")]);
            c.add_table_file("vc", "fuzz.csv", text);
        }
    }
    if let Ok(ruleset) = c.compile() {
        common::evaluate_all(&ruleset, None);
    }
});
