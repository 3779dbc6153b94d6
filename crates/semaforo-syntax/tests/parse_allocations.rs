//! The fast parser allocates nothing per string literal, identifier or
//! number: their texts point into one shared copy of the source
//! (`semaforo_syntax::Text`). A regression test: one allocation per
//! literal and per identifier was two thirds of a 10,000-rule parse's
//! allocations, and freeing them as long again as the parse.
//!
//! Allocations are counted by a global allocator, so this file holds one
//! test: nothing else allocates while it measures.

use std::alloc::System;
use std::fmt::Write as _;

use semaforo_syntax::ast::{Expr, ExprKind, Item};
use semaforo_syntax::{FileId, parse};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn literals_identifiers_and_numbers_do_not_allocate_one_by_one() {
    const N: usize = 2_000;
    // Three lists of N entries: string literals, numbers, identifiers.
    let mut src = String::from("rule R1 \"watch list\" {\n  when importer in [");
    for i in 0..N {
        let _ = write!(src, "\"IMP-{i:06}\", ");
    }
    src.push_str("\"ñandú\"] or value in [");
    for i in 0..N {
        let _ = write!(src, "{i}.5, ");
    }
    src.push_str("0] or code in [");
    for i in 0..N {
        let _ = write!(src, "c{i}, ");
    }
    src.push_str("c]\n  then score 5\n}\n");

    let region = Region::new(GLOBAL);
    let file = parse(&src, FileId(0)).unwrap();
    let stats = region.change();

    // What was parsed is what was written, escapes decoded.
    let Some(Item::Rule(rule)) = file.items.first() else {
        panic!("not a rule: {:?}", file.items.first());
    };
    // `or` is left-associative: the first `in` is the leftmost operand.
    let mut left: &Expr = rule.when.as_ref().unwrap();
    while let ExprKind::Binary(_, l, _) = &left.kind {
        left = l;
    }
    let ExprKind::In { list, .. } = &left.kind else {
        panic!("not an `in`: {:?}", left.kind);
    };
    let ExprKind::List(entries) = &list.kind else {
        panic!("not a list: {:?}", list.kind);
    };
    assert_eq!(entries.len(), N + 1);
    let text = |e: &Expr| match &e.kind {
        ExprKind::Str(s) => s.value.to_string(),
        other => panic!("not a string: {other:?}"),
    };
    assert_eq!(text(&entries[7]), "IMP-000007");
    assert_eq!(text(&entries[N]), "ñandú");

    // The lists' vectors, the stack they are gathered on growing, the
    // boxes of the `in`s and `or`s: a few dozen in all, none per entry.
    // One allocation per text would be more than 6,000.
    assert!(
        stats.allocations < 64,
        "{} allocations for {} literals, numbers and identifiers",
        stats.allocations,
        3 * N
    );
}
