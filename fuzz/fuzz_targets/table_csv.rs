//! External tables: fuzzed CSV text given as a table file loads or fails with
//! diagnostics, and a loaded table is looked up without a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
rule P "price" { when any(it in items: it.value < lookup_prefix(reference_price, it.hs) * 2) then score 5 }
rule C "code" { when lookup(codes, origin) == "asia" then score 7 }
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line of the input picks the table, so both value types are
    // exercised with the same corpus.
    let numeric = data.first().is_some_and(|b| b % 2 == 0);
    let mut c = semaforo::Compiler::new();
    c.add_source("prelude.sem", common::PRELUDE);
    c.add_source("rules.sem", RULES);
    c.add_list("watched", ["IMP-1"]);
    if numeric {
        c.add_table_file("reference_price", "fuzz.csv", text);
        c.add_table("codes", [("CN", "asia")]);
    } else {
        c.add_table("reference_price", [("64", "1")]);
        c.add_table_file("codes", "fuzz.csv", text);
    }
    if let Ok(ruleset) = c.compile() {
        common::evaluate_all(&ruleset, None);
    }
});
