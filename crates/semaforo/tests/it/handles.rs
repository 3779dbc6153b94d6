//! Field handles belong to the ruleset they were resolved on: they bind
//! there (with types and record kinds still checked), and every setter
//! refuses them on any other ruleset.

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
fn own_handles_bind() {
    let rs = ruleset();
    assert_eq!(score(&rs, &rs, "CN", "8471000000", 150), 7);
    assert_eq!(score(&rs, &rs, "CN", "8471000000", 50), 0);
    assert_eq!(score(&rs, &rs, "MX", "8471000000", 150), 3);
    assert_eq!(score(&rs, &rs, "US", "8471000000", 150), 0);
}

const RELOADED: &str = r#"ruleset "handles" version "2"
schema declaration {
  key id: text
  importer: text
  origin: text
  items: [item]
}
record item {
  hs: text
  value: number
}
list watched: text
rule W "watched importer" { when importer in watched then lane red }
"#;

/// A host that keeps its handles across a reload in which a field was
/// added: `origin` has index 1 in the old schema, and index 1 is
/// `importer` in the new one. Writing through the old handle would put
/// the origin into the importer field (and could make a watched importer
/// look clean, or a clean one watched); every setter refuses it.
#[test]
fn a_handle_from_another_ruleset_is_refused_by_every_setter() {
    let old = ruleset();
    let mut c = Compiler::new();
    c.add_source("reloaded.sem", RELOADED);
    c.add_list("watched", ["IMP-7"]);
    let new = c.compile().unwrap();
    let mut d = new.new_declaration();
    let root = d.root();
    let foreign = |p: &str| old.field(p).unwrap();
    assert!(matches!(
        d.set_text(root, foreign("origin"), "IMP-7"),
        Err(InputError::ForeignHandle)
    ));
    assert!(matches!(
        d.set_missing(root, foreign("origin")),
        Err(InputError::ForeignHandle)
    ));
    assert!(matches!(
        d.push(root, foreign("items")),
        Err(InputError::ForeignHandle)
    ));
    assert!(matches!(
        d.start_list(root, foreign("items")),
        Err(InputError::ForeignHandle)
    ));
    let e = d.push(root, new.field("items").unwrap()).unwrap();
    assert!(matches!(
        d.set_number(e, foreign("items.value"), Decimal::from_i64(1)),
        Err(InputError::ForeignHandle)
    ));
    // Nothing was written through the foreign handles.
    assert_eq!(d.key(), "");
    // Even a ruleset compiled from the very same sources has handles of
    // its own: a handle belongs to the ruleset it was resolved on.
    let twin = ruleset();
    let mut d = twin.new_declaration();
    let root = d.root();
    assert!(matches!(
        d.set_text(root, foreign("id"), "D1"),
        Err(InputError::ForeignHandle)
    ));
    let err = d.set_text(root, foreign("id"), "D1").unwrap_err();
    assert!(err.to_string().contains("resolve it again"), "{err}");
}

/// Bool and date setters refuse foreign handles too.
#[test]
fn bool_and_date_setters_refuse_foreign_handles() {
    const FLAGS: &str = r#"ruleset "flags" version "1"
schema declaration { key id: text
  aeo: bool
  declared_on: date }
rule A "aeo" { when aeo then score 1 }
"#;
    let compile = || {
        let mut c = Compiler::new();
        c.add_source("flags.sem", FLAGS);
        c.compile().unwrap()
    };
    let (a, b) = (compile(), compile());
    let mut d = b.new_declaration();
    let root = d.root();
    assert!(matches!(
        d.set_bool(root, a.field("aeo").unwrap(), true),
        Err(InputError::ForeignHandle)
    ));
    assert!(matches!(
        d.set_date(
            root,
            a.field("declared_on").unwrap(),
            Date::parse("2026-01-01").unwrap()
        ),
        Err(InputError::ForeignHandle)
    ));
    d.set_bool(root, b.field("aeo").unwrap(), true).unwrap();
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
