//! Compiler and evaluator: fuzzed rule text after a fixed schema compiles or
//! fails with diagnostics; a compiled ruleset evaluates fixed declarations
//! without a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rules) = std::str::from_utf8(data) else {
        return;
    };
    let mut c = semaforo::Compiler::new();
    c.add_source("prelude.sem", common::PRELUDE);
    c.add_source("fuzz.sem", rules);
    common::add_data(&mut c);
    let _ = c.check();
    if let Ok(ruleset) = c.compile() {
        common::evaluate_all(&ruleset, None);
    }
});
