//! External lists and tables: every way they can be wrong (E0501–E0507).
//!
//! Hand-built, not vectors: the vector runners compile only valid rulesets,
//! and some of these programs (a condition deeper than E0506 allows, types
//! the checker would reject) cannot be written as rule text.
#![expect(
    clippy::expect_used,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use crate::lower_common;

use lower_common::*;
use semaforo_compile::hir::{Const, Scalar};
use semaforo_compile::lower::TableRows;
use semaforo_compile::lower::{Externals, lower};
use semaforo_syntax::{Diagnostic, Severity};

fn base() -> semaforo_compile::hir::Program {
    let mut p = program(vec![rule(
        "A",
        Some(and(
            in_(root("origin"), list_ref(1), false),
            is(lookup(0, s("64"), true, Scalar::Number), true),
        )),
    )]);
    p.lists = vec![
        list_def("inline", Scalar::Text, Some(vec![ctext("CN")])),
        list_def("watched", Scalar::Text, None),
    ];
    p.tables = vec![table_def("prices", Scalar::Number)];
    p
}

fn good() -> Externals {
    let mut ext = Externals::default();
    ext.lists.insert("watched".into(), vec![ctext("IMP-1")]);
    ext.tables.insert(
        "prices".into(),
        TableRows::values(vec![("64".into(), cnum("2"))]),
    );
    ext
}

fn errors(ext: &Externals) -> Vec<Diagnostic> {
    let d = lower(&base(), ext).expect_err("lowering should fail");
    assert!(d.iter().all(|d| d.severity == Severity::Error));
    d
}

fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

#[test]
fn complete_externals_lower() {
    assert!(lower(&base(), &good()).is_ok());
}

#[test]
fn missing_list_and_table() {
    let d = errors(&Externals::default());
    assert_eq!(codes(&d), vec!["E0501", "E0501"]);
    assert!(d[0].message.contains("`watched`"), "{}", d[0].message);
    assert!(d[1].message.contains("`prices`"), "{}", d[1].message);
    // Each points at its declaration.
    assert_eq!(d[0].span, base().lists[1].span);
    assert_eq!(d[1].span, base().tables[0].span);
}

#[test]
fn wrong_types_name_the_entry() {
    let mut ext = good();
    ext.lists.insert(
        "watched".into(),
        vec![ctext("ok"), cnum("3"), Const::Bool(true)],
    );
    ext.tables.insert(
        "prices".into(),
        TableRows::values(vec![
            ("64".into(), cnum("2")),
            ("85".into(), ctext("cheap")),
        ]),
    );
    let d = errors(&ext);
    assert_eq!(codes(&d), vec!["E0502", "E0502", "E0502"]);
    assert!(d[0].message.contains("entry #1"), "{}", d[0].message);
    assert!(d[1].message.contains("entry #2"), "{}", d[1].message);
    assert!(d[2].message.contains("`85`"), "{}", d[2].message);
    assert!(d[2].message.contains("expected number"), "{}", d[2].message);
}

#[test]
fn duplicate_table_key() {
    let mut ext = good();
    ext.tables.insert(
        "prices".into(),
        TableRows::values(vec![
            ("64".into(), cnum("2")),
            ("85".into(), cnum("3")),
            ("64".into(), cnum("4")),
        ]),
    );
    let d = errors(&ext);
    assert_eq!(codes(&d), vec!["E0503"]);
    assert!(d[0].message.contains("`64`"));
}

#[test]
fn undeclared_externals_are_errors() {
    let mut ext = good();
    ext.lists.insert("wacthed".into(), vec![]);
    ext.tables.insert("price".into(), TableRows::values(vec![]));
    // A table name supplied as a list.
    ext.lists.insert("prices".into(), vec![]);
    let d = errors(&ext);
    assert_eq!(codes(&d), vec!["E0504", "E0504", "E0504"]);
    // Lists sorted by name, then tables.
    assert!(d[0].message.contains("`prices`"));
    assert!(d[0].help.as_deref().unwrap().contains("table"));
    assert!(d[1].message.contains("`wacthed`"));
    assert!(d[2].message.contains("table `price`"));
}

#[test]
fn inline_lists_cannot_be_supplied() {
    let mut ext = good();
    ext.lists.insert("inline".into(), vec![ctext("HK")]);
    let d = errors(&ext);
    assert_eq!(codes(&d), vec!["E0505"]);
    assert_eq!(d[0].span, base().lists[0].span);
}

#[test]
fn all_problems_are_reported_together() {
    let mut ext = Externals::default();
    ext.lists.insert("nope".into(), vec![]);
    let d = errors(&ext);
    assert_eq!(codes(&d), vec!["E0501", "E0501", "E0504"]);
}

#[test]
fn too_deep_condition_is_an_error_not_a_crash() {
    let mut e = t();
    for _ in 0..3000 {
        e = not(e);
    }
    let p = program(vec![rule("DEEP", Some(e))]);
    let d = lower(&p, &Externals::default()).expect_err("too deep");
    assert_eq!(codes(&d), vec!["E0506"]);
    assert!(d[0].message.contains("`DEEP`"));
    // Free the deep tree iteratively-ish: dropping it recursively is fine
    // at this depth on a test thread.
    drop(p);
    // A condition just under the limit lowers and evaluates.
    let mut e = t();
    for _ in 0..500 {
        e = not(e);
    }
    let pl = plan(&program(vec![rule("OK", Some(e))]));
    let out = run(&pl, &decl(&pl, no_fill), &ctx());
    // An even number of `not`s keeps the value.
    assert_eq!(fate(&out, 0), FIRED);
}
