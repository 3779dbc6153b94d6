//! Field handles bind through a fast path when they were resolved in the
//! declaration's own layout, and through the checked path otherwise; both
//! must bind the same values and report the same errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use semaforo::{Compiler, Context, Date, Decimal, InputError, Outcome, Ruleset};

const RULES: &str = r#"ruleset "handles" version "1"
schema declaration {
  key id: text
  origin: text
  items: [item]
}
record item {
  hs: text
  value: number
}
rule A "origin and value" { when origin in ["CN", "VN"] and any(it in items: it.hs starts with "84" and it.value > 100) then score 7 }
rule B "origin alone" { when origin == "MX" then score 3 }
"#;

fn ruleset() -> Ruleset {
    let mut c = Compiler::new();
    c.add_source("handles.sem", RULES);
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

/// Binds one declaration with the handles of `handles` into a declaration
/// of `rs` and returns its score.
fn score(rs: &Ruleset, handles: &Ruleset, origin: &str, hs: &str, value: i64) -> i64 {
    let f = |p: &str| handles.field(p).unwrap();
    let mut d = rs.new_declaration();
    let root = d.root();
    d.set_text(root, f("id"), "D1").unwrap();
    d.set_text(root, f("origin"), origin).unwrap();
    let e = d.push(root, f("items")).unwrap();
    d.set_text(e, f("items.hs"), hs).unwrap();
    d.set_number(e, f("items.value"), Decimal::from_i64(value))
        .unwrap();
    let ctx = Context::new(Date::parse("2026-01-01").unwrap(), Default::default(), "k");
    let mut out = Outcome::default();
    rs.evaluate(&d, &ctx, &mut rs.new_scratch(), &mut out)
        .unwrap();
    out.score
}

#[test]
fn own_and_foreign_handles_bind_the_same_values() {
    let rs = ruleset();
    let other = ruleset();
    for (origin, hs, value) in [
        ("CN", "8471000000", 150),
        ("CN", "8471000000", 50),
        ("VN", "6403000000", 150),
        ("MX", "8471000000", 150),
        ("US", "8471000000", 150),
    ] {
        let own = score(&rs, &rs, origin, hs, value);
        let foreign = score(&rs, &other, origin, hs, value);
        assert_eq!(own, foreign, "{origin} {hs} {value}");
    }
    assert_eq!(score(&rs, &rs, "CN", "8471000000", 150), 7);
    assert_eq!(score(&rs, &rs, "MX", "8471000000", 150), 3);
    assert_eq!(score(&rs, &other, "US", "8471000000", 150), 0);
}

#[test]
fn the_fast_path_still_checks_types_and_records() {
    let rs = ruleset();
    let mut d = rs.new_declaration();
    let root = d.root();
    let origin = rs.field("origin").unwrap();
    let value = rs.field("items.value").unwrap();
    // A text handle used for a number, and a number handle for text.
    assert!(d.set_number(root, origin, Decimal::from_i64(1)).is_err());
    let e = d.push(root, rs.field("items").unwrap()).unwrap();
    assert!(d.set_text(e, value, "x").is_err());
    // An item field on the declaration itself.
    assert!(matches!(
        d.set_number(root, value, Decimal::from_i64(1)),
        Err(InputError::WrongRecord)
    ));
    // The right types on the right records bind.
    d.set_text(root, origin, "CN").unwrap();
    d.set_number(e, value, Decimal::from_i64(1)).unwrap();
}
