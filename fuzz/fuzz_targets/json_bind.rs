//! JSON binding: fuzzed bytes bound against a fixed ruleset bind or fail with
//! an error, and a bound declaration evaluates without a panic.
#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
rule HIGH "high value" { when value > 10000 and not aeo then score 40 }
rule ORIG "origin" { when origin in high_risk or origin in watched then score 30, note "origin" }
rule SHOE "shoes" {
  when any(it in items: it.hs starts with "6403"
    and it.value / it.net_kg < lookup_prefix(reference_price, it.hs) * 0.5)
  then lane red
}
rule SUM "sum" { when sum(it in items: it.value) > value or count(it in items: it.ok) > 2 then score 5 }
rule DATE "date" { when date is present and date < today then score 1 }
rule ORIGIN_OK "item origin" { when all(it in items: it.origin is missing or it.origin == origin) then score -5 }
"#;

fn ruleset() -> Option<&'static semaforo::Ruleset> {
    static R: OnceLock<Option<semaforo::Ruleset>> = OnceLock::new();
    R.get_or_init(|| {
        let mut c = semaforo::Compiler::new();
        c.add_source("prelude.sem", common::PRELUDE);
        c.add_source("rules.sem", RULES);
        common::add_data(&mut c);
        c.compile().ok()
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(r) = ruleset() else {
        panic!("the fixed ruleset does not compile");
    };
    common::evaluate_all(r, Some(data));
});
