//! External lists: fuzzed text given as a list file loads or fails with
//! diagnostics, and a loaded list is searched without a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
rule W "watched" { when origin in watched or any(it in items: it.hs in watched) then score 5 }
rule S "prefix" { when any(it in items: it.hs starts with watched) then score 3 }
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut c = semaforo::Compiler::new();
    c.add_source("prelude.sem", common::PRELUDE);
    c.add_source("rules.sem", RULES);
    c.add_list_file("watched", "fuzz.txt", text);
    c.add_table("reference_price", [("64", "1")]);
    c.add_table("codes", [("CN", "asia")]);
    if let Ok(ruleset) = c.compile() {
        common::evaluate_all(&ruleset, None);
    }
});
