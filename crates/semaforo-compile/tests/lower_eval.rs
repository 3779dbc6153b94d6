//! Hand-built checked programs, lowered and evaluated: the semantics of
//! SPEC §3.4–§3.8 through the plan evaluator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod lower_common;

use lower_common::*;
use semaforo_compile::hir::{Arith, Cmp, Const, Pattern, Scalar};
use semaforo_compile::lower::Externals;
use semaforo_plan::{Node, sample, text::contains_ci};

/// Kleene T/F/U as expressions and as the fate of a rule with that condition.
fn tfu() -> [(fn() -> semaforo_compile::hir::Expr, Fate); 3] {
    [(t, FIRED), (f, NEITHER), (u, UNDET)]
}

#[test]
fn kleene_and_or_not() {
    // Rows: a, columns: b, in the order T, F, U.
    let and_table = [
        [FIRED, NEITHER, UNDET],
        [NEITHER, NEITHER, NEITHER],
        [UNDET, NEITHER, UNDET],
    ];
    let or_table = [
        [FIRED, FIRED, FIRED],
        [FIRED, NEITHER, UNDET],
        [FIRED, UNDET, UNDET],
    ];
    for (i, (a, _)) in tfu().iter().enumerate() {
        for (j, (b, _)) in tfu().iter().enumerate() {
            assert_eq!(
                truth_of(and(a(), b()), no_fill),
                and_table[i][j],
                "and {i} {j}"
            );
            assert_eq!(
                truth_of(or(a(), b()), no_fill),
                or_table[i][j],
                "or {i} {j}"
            );
        }
    }
    assert_eq!(truth_of(not(t()), no_fill), NEITHER);
    assert_eq!(truth_of(not(f()), no_fill), FIRED);
    assert_eq!(truth_of(not(u()), no_fill), UNDET);
    // A bool field used as a condition is its value.
    let set_aeo = |v: bool| {
        move |dcl: &mut semaforo_plan::Declaration, l: &semaforo_plan::Layout| {
            dcl.set_bool(l, Node::ROOT, rf(l, "aeo"), v).unwrap();
        }
    };
    assert_eq!(truth_of(root("aeo"), set_aeo(true)), FIRED);
    assert_eq!(truth_of(root("aeo"), set_aeo(false)), NEITHER);
    assert_eq!(truth_of(root("aeo"), no_fill), UNDET);
}

/// Items whose `value` is 1 (true), 0 (false) or missing (unknown) under
/// the body `it.value == 1`.
fn items_tfu(
    spec: &'static str,
) -> impl FnOnce(&mut semaforo_plan::Declaration, &semaforo_plan::Layout) {
    move |dcl, l| {
        // An empty list is present, not missing.
        dcl.start_list(l, Node::ROOT, rf(l, "items")).unwrap();
        for c in spec.chars() {
            let v = match c {
                'T' => Some("1"),
                'F' => Some("0"),
                _ => None,
            };
            push_item(dcl, l, None, None, v);
        }
    }
}

fn body() -> semaforo_compile::hir::Expr {
    eq(item(0, "value"), n("1"))
}

#[test]
fn any_and_all_are_kleene() {
    let cases = [
        ("", NEITHER, FIRED),
        ("T", FIRED, FIRED),
        ("F", NEITHER, NEITHER),
        ("U", UNDET, UNDET),
        ("TU", FIRED, UNDET),
        ("FU", UNDET, NEITHER),
        ("TF", FIRED, NEITHER),
        ("TTT", FIRED, FIRED),
        ("UFT", FIRED, NEITHER),
    ];
    for (spec, any, all) in cases {
        assert_eq!(
            truth_of(quant(Q::Any, 0, body()), items_tfu(spec)),
            any,
            "any {spec}"
        );
        assert_eq!(
            truth_of(quant(Q::All, 0, body()), items_tfu(spec)),
            all,
            "all {spec}"
        );
    }
    // A missing list: any/all unknown.
    assert_eq!(truth_of(quant(Q::Any, 0, body()), no_fill), UNDET);
    assert_eq!(truth_of(quant(Q::All, 0, body()), no_fill), UNDET);
}

#[test]
fn aggregates() {
    let count_is = |spec: &'static str, k: &str| {
        truth_of(eq(quant(Q::Count, 0, body()), n(k)), items_tfu(spec))
    };
    assert_eq!(count_is("TFUT", "2"), FIRED);
    assert_eq!(count_is("", "0"), FIRED);
    assert_eq!(count_is("TFUT", "3"), NEITHER);

    let values = |vals: &'static [Option<&'static str>]| {
        move |dcl: &mut semaforo_plan::Declaration, l: &semaforo_plan::Layout| {
            dcl.start_list(l, Node::ROOT, rf(l, "items")).unwrap();
            for v in vals {
                push_item(dcl, l, None, None, *v);
            }
        }
    };
    let term = || item(0, "value");
    let agg = |k, expect: &str, vals| truth_of(eq(quant(k, 0, term()), n(expect)), values(vals));
    let vals: &'static [Option<&'static str>] = &[Some("2.5"), None, Some("-1"), Some("10")];
    assert_eq!(agg(Q::Sum, "11.5", vals), FIRED);
    assert_eq!(agg(Q::Min, "-1", vals), FIRED);
    assert_eq!(agg(Q::Max, "10", vals), FIRED);
    // No terms: sum 0, min/max missing.
    assert_eq!(agg(Q::Sum, "0", &[]), FIRED);
    assert_eq!(agg(Q::Min, "0", &[]), UNDET);
    assert_eq!(agg(Q::Max, "0", &[None, None]), UNDET);
    assert_eq!(agg(Q::Sum, "0", &[None]), FIRED);
    // Overflow of the sum gives missing.
    let big: &'static [Option<&'static str>] = &[
        Some("900000000000000000000000000000"),
        Some("900000000000000000000000000000"),
    ];
    // 9e29 is in range; twice that is not.
    assert_eq!(
        truth_of(is(quant(Q::Sum, 0, term()), true), values(&big[..1])),
        FIRED
    );
    assert_eq!(
        truth_of(is(quant(Q::Sum, 0, term()), false), values(big)),
        FIRED
    );
    // A missing list: count/sum/min/max missing.
    for k in [Q::Count, Q::Sum, Q::Min, Q::Max] {
        assert_eq!(
            truth_of(is(quant(k, 0, term()), false), no_fill),
            FIRED,
            "{k:?}"
        );
    }
}

#[test]
fn nested_quantifiers_bind_by_depth() {
    // Some item's hs occurs in two items: count(y: y.hs == x.hs) >= 2.
    let inner = quant(Q::Count, 1, eq(item(1, "hs"), item(0, "hs")));
    let when = quant(Q::Any, 0, cmp(Cmp::Ge, inner, n("2")));
    let fill = |hs: &'static [&'static str]| {
        move |dcl: &mut semaforo_plan::Declaration, l: &semaforo_plan::Layout| {
            for h in hs {
                push_item(dcl, l, Some(h), None, None);
            }
        }
    };
    assert_eq!(truth_of(when.clone(), fill(&["a", "b", "a"])), FIRED);
    assert_eq!(truth_of(when, fill(&["a", "b", "c"])), NEITHER);
}

#[test]
fn comparisons_and_missing() {
    let freight = |v: &'static str| {
        move |dcl: &mut semaforo_plan::Declaration, l: &semaforo_plan::Layout| {
            dcl.set_number(l, Node::ROOT, rf(l, "freight"), dec(v))
                .unwrap();
        }
    };
    for (k, a, b, want) in [
        (Cmp::Eq, "1", "1.000", true),
        (Cmp::Ne, "1", "1.000", false),
        (Cmp::Lt, "-2", "1", true),
        (Cmp::Le, "1", "1", true),
        (Cmp::Gt, "1", "1", false),
        (Cmp::Ge, "1.000001", "1", true),
    ] {
        let expect = if want { FIRED } else { NEITHER };
        assert_eq!(
            truth_of(cmp(k, n(a), n(b)), no_fill),
            expect,
            "{k:?} {a} {b}"
        );
        // Through a field, and with the field missing.
        assert_eq!(truth_of(cmp(k, root("freight"), n(b)), freight(a)), expect);
        assert_eq!(truth_of(cmp(k, root("freight"), n(b)), no_fill), UNDET);
        assert_eq!(truth_of(cmp(k, n(b), root("freight")), no_fill), UNDET);
    }
    // Dates and texts.
    assert_eq!(
        truth_of(cmp(Cmp::Lt, dt("2026-01-01"), today()), no_fill),
        FIRED
    );
    assert_eq!(truth_of(eq(today(), dt("2026-06-01")), no_fill), FIRED);
    assert_eq!(truth_of(eq(s("CN"), s("cn")), no_fill), NEITHER);
    assert_eq!(truth_of(eq(root("origin"), s("CN")), no_fill), UNDET);
    // is missing / is present never unknown.
    assert_eq!(truth_of(is(root("freight"), false), no_fill), FIRED);
    assert_eq!(truth_of(is(root("freight"), true), no_fill), NEITHER);
    assert_eq!(truth_of(is(root("freight"), true), freight("0")), FIRED);
    // Arithmetic with a missing operand is missing.
    let sum = arith(Arith::Add, root("freight"), n("1"));
    assert_eq!(truth_of(is(sum.clone(), false), no_fill), FIRED);
    assert_eq!(truth_of(eq(sum, n("3")), freight("2")), FIRED);
    assert_eq!(truth_of(is(neg(root("freight")), false), no_fill), FIRED);
    assert_eq!(
        truth_of(eq(neg(root("freight")), n("-2")), freight("2")),
        FIRED
    );
}

#[test]
fn decimal_rounding_through_the_evaluator() {
    let sum = arith(Arith::Add, n("0.1"), n("0.2"));
    assert_eq!(truth_of(eq(sum, n("0.3")), no_fill), FIRED);
    let third = arith(Arith::Mul, arith(Arith::Div, n("1"), n("3")), n("3"));
    assert_eq!(truth_of(eq(third.clone(), n("0.999999")), no_fill), FIRED);
    assert_eq!(truth_of(eq(third, n("1")), no_fill), NEITHER);
    assert_eq!(
        truth_of(
            eq(arith(Arith::Add, n("100.10"), n("399.90")), n("500")),
            no_fill
        ),
        FIRED
    );
    // Division by zero is missing, so the rule is undetermined.
    let div0 = arith(Arith::Div, n("1"), n("0"));
    assert_eq!(truth_of(cmp(Cmp::Gt, div0.clone(), n("0")), no_fill), UNDET);
    assert_eq!(truth_of(is(div0, false), no_fill), FIRED);
    // Overflow is missing.
    let big = arith(
        Arith::Mul,
        n("1000000000000000000000000"),
        n("1000000000000000000000000"),
    );
    assert_eq!(truth_of(is(big, false), no_fill), FIRED);
    assert_eq!(
        truth_of(eq(arith(Arith::Sub, n("1"), n("3")), n("-2")), no_fill),
        FIRED
    );
}

#[test]
fn len_datediff_today() {
    assert_eq!(truth_of(eq(len(s("Añño")), n("4")), no_fill), FIRED);
    assert_eq!(truth_of(eq(len(s("")), n("0")), no_fill), FIRED);
    assert_eq!(truth_of(is(len(root("origin")), false), no_fill), FIRED);
    assert_eq!(
        truth_of(eq(datediff(today(), dt("2026-05-01")), n("31")), no_fill),
        FIRED
    );
    assert_eq!(
        truth_of(eq(datediff(dt("2026-05-01"), today()), n("-31")), no_fill),
        FIRED
    );
    assert_eq!(
        truth_of(is(datediff(root("declared_on"), today()), false), no_fill),
        FIRED
    );
}

#[test]
fn in_lists_of_every_type() {
    let inline = |v: Vec<Const>| Pattern::Inline(v);
    // Text: exact, case-sensitive.
    let texts = || inline(vec![ctext("CN"), ctext("HK")]);
    assert_eq!(truth_of(in_(s("CN"), texts(), false), no_fill), FIRED);
    assert_eq!(truth_of(in_(s("cn"), texts(), false), no_fill), NEITHER);
    assert_eq!(truth_of(in_(s("cn"), texts(), true), no_fill), FIRED);
    // Missing stays unknown under `in` and `not in`.
    assert_eq!(
        truth_of(in_(root("origin"), texts(), false), no_fill),
        UNDET
    );
    assert_eq!(truth_of(in_(root("origin"), texts(), true), no_fill), UNDET);
    // Numbers compare exactly (1.0 == 1).
    let nums = || inline(vec![cnum("1"), cnum("2.5"), cnum("-7")]);
    assert_eq!(truth_of(in_(n("1.000"), nums(), false), no_fill), FIRED);
    assert_eq!(
        truth_of(in_(n("2.500001"), nums(), false), no_fill),
        NEITHER
    );
    assert_eq!(truth_of(in_(n("-7"), nums(), true), no_fill), NEITHER);
    // Dates and bools.
    let dates = || {
        inline(vec![
            Const::Date(d("2026-06-01")),
            Const::Date(d("2020-01-01")),
        ])
    };
    assert_eq!(truth_of(in_(today(), dates(), false), no_fill), FIRED);
    assert_eq!(
        truth_of(in_(dt("2026-06-02"), dates(), false), no_fill),
        NEITHER
    );
    let bools = || inline(vec![Const::Bool(false)]);
    assert_eq!(truth_of(in_(f(), bools(), false), no_fill), FIRED);
    assert_eq!(truth_of(in_(t(), bools(), false), no_fill), NEITHER);
    // Empty list.
    assert_eq!(
        truth_of(in_(s("x"), inline(vec![]), false), no_fill),
        NEITHER
    );
    assert_eq!(truth_of(in_(s("x"), inline(vec![]), true), no_fill), FIRED);

    // Named lists, inline and external, of each type.
    let mut p = program(vec![
        rule("A", Some(in_(s("HK"), list_ref(0), false))),
        rule("B", Some(in_(n("3"), list_ref(1), false))),
        rule("C", Some(in_(today(), list_ref(2), false))),
        rule("D", Some(in_(s("IMP-7"), list_ref(3), false))),
        rule("E", Some(in_(s("IMP-8"), list_ref(3), false))),
    ]);
    p.lists = vec![
        list_def(
            "origins",
            Scalar::Text,
            Some(vec![ctext("CN"), ctext("HK")]),
        ),
        list_def("nums", Scalar::Number, None),
        list_def("days", Scalar::Date, None),
        list_def("watched", Scalar::Text, None),
    ];
    let mut ext = Externals::default();
    ext.lists
        .insert("nums".into(), vec![cnum("3.0"), cnum("4")]);
    ext.lists
        .insert("days".into(), vec![Const::Date(d("2026-06-01"))]);
    ext.lists.insert("watched".into(), vec![ctext("IMP-7")]);
    let pl = plan_with(&p, &ext);
    let out = run(&pl, &decl(&pl, no_fill), &ctx());
    let fired: Vec<u32> = out.fired.iter().map(|f| f.rule).collect();
    assert_eq!(fired, vec![0, 1, 2, 3]);
}

#[test]
fn starts_with_single_and_lists() {
    let pats = || Pattern::Inline(vec![ctext("6401"), ctext("64023"), ctext("85")]);
    for (hs, want) in [
        ("640199", FIRED),
        ("640231", FIRED),
        ("640241", NEITHER),
        ("85", FIRED),
        ("8", NEITHER),
        ("", NEITHER),
    ] {
        assert_eq!(truth_of(starts(s(hs), pats()), no_fill), want, "{hs}");
        // The single-pattern form agrees with `str::starts_with`.
        let single = truth_of(starts(s(hs), pexpr(s("6401"))), no_fill);
        assert_eq!(single == FIRED, hs.starts_with("6401"), "{hs}");
    }
    // The empty pattern matches everything.
    let with_empty = Pattern::Inline(vec![ctext("zz"), ctext("")]);
    assert_eq!(truth_of(starts(s("abc"), with_empty), no_fill), FIRED);
    // Byte prefixes with multi-byte characters.
    let accents = Pattern::Inline(vec![ctext("é")]);
    assert_eq!(truth_of(starts(s("éa"), accents.clone()), no_fill), FIRED);
    assert_eq!(truth_of(starts(s("ea"), accents), no_fill), NEITHER);
    // Missing subject or pattern: unknown.
    assert_eq!(truth_of(starts(root("origin"), pats()), no_fill), UNDET);
    assert_eq!(
        truth_of(starts(s("x"), pexpr(root("origin"))), no_fill),
        UNDET
    );
}

#[test]
fn contains_is_per_char_lowercase() {
    let cases = [
        ("ΟΔΟΣ", "οδοσ"),
        ("ΟΔΟΣ", "οδος"), // final sigma is not produced by per-char lowercase
        ("οδος", "ΟΔΟΣ"),
        ("İSTANBUL", "istanbul"), // İ lowercases to i + U+0307
        ("İSTANBUL", "i\u{307}stanbul"),
        ("Zapatos de CUERO", "cuero"),
        ("Zapatos", "ZAPATOSS"),
        ("abc", ""),
        ("", "a"),
        ("STRASSE", "straße"),
    ];
    for (hay, needle) in cases {
        let expected = if contains_ci(hay, needle) {
            FIRED
        } else {
            NEITHER
        };
        let single = truth_of(contains(s(hay), pexpr(s(needle))), no_fill);
        let list = truth_of(
            contains(s(hay), Pattern::Inline(vec![ctext("qqqq"), ctext(needle)])),
            no_fill,
        );
        assert_eq!(single, expected, "{hay} contains {needle}");
        assert_eq!(list, expected, "{hay} contains [.., {needle}]");
    }
    // Sanity of the reference itself on the interesting rows.
    assert!(contains_ci("ΟΔΟΣ", "οδοσ"));
    assert!(!contains_ci("ΟΔΟΣ", "οδος"));
    assert!(!contains_ci("İSTANBUL", "istanbul"));
    assert_eq!(
        truth_of(contains(root("origin"), pexpr(s("a"))), no_fill),
        UNDET
    );
    assert_eq!(
        truth_of(contains(s("a"), Pattern::Inline(vec![ctext("a")])), no_fill),
        FIRED
    );
}

#[test]
fn lookup_exact_and_longest_prefix() {
    let mut p = program(vec![
        // 0: exact hit
        rule(
            "E1",
            Some(eq(lookup(0, s("6403"), false, Scalar::Number), n("10"))),
        ),
        // 1: exact miss -> missing -> undetermined
        rule(
            "E2",
            Some(eq(lookup(0, s("640399"), false, Scalar::Number), n("10"))),
        ),
        // 2: prefix: longest key wins
        rule(
            "P1",
            Some(eq(lookup(0, s("640399"), true, Scalar::Number), n("12"))),
        ),
        // 3: prefix falls back to the empty key
        rule(
            "P2",
            Some(eq(lookup(0, s("9999"), true, Scalar::Number), n("1"))),
        ),
        // 4: key missing -> missing
        rule(
            "P3",
            Some(is(lookup(0, root("origin"), true, Scalar::Number), false)),
        ),
        // 5: prefix exact length
        rule(
            "P4",
            Some(eq(lookup(0, s("64"), true, Scalar::Number), n("5"))),
        ),
    ]);
    p.tables = vec![table_def("ref", Scalar::Number)];
    let mut ext = Externals::default();
    ext.tables.insert(
        "ref".into(),
        vec![
            ("64".into(), cnum("5")),
            ("6403".into(), cnum("10")),
            ("64039".into(), cnum("12")),
            ("".into(), cnum("1")),
        ],
    );
    let pl = plan_with(&p, &ext);
    let out = run(&pl, &decl(&pl, no_fill), &ctx());
    let fired: Vec<u32> = out.fired.iter().map(|f| f.rule).collect();
    assert_eq!(fired, vec![0, 2, 3, 4, 5]);
    assert_eq!(out.undetermined, vec![1]);
}

#[test]
fn active_windows_are_inclusive() {
    let mk = |from: Option<&str>, to: Option<&str>, when| {
        let mut r = rule("W", when);
        r.active_from = from.map(d);
        r.active_to = to.map(d);
        r
    };
    let p = program(vec![
        mk(Some("2026-06-01"), Some("2026-06-01"), None),
        mk(Some("2026-06-02"), None, None),
        mk(None, Some("2026-05-31"), None),
        mk(None, Some("2026-06-01"), Some(u())),
        mk(Some("2026-06-02"), None, Some(u())),
        mk(Some("2026-01-01"), Some("2026-12-31"), Some(t())),
    ]);
    let pl = plan(&p);
    let out = run(&pl, &decl(&pl, no_fill), &ctx());
    assert_eq!(fate(&out, 0), FIRED);
    assert_eq!(fate(&out, 1), NEITHER);
    assert_eq!(fate(&out, 2), NEITHER);
    assert_eq!(fate(&out, 3), UNDET);
    // Inactive rules are never undetermined.
    assert_eq!(fate(&out, 4), NEITHER);
    assert_eq!(fate(&out, 5), FIRED);
}

#[test]
fn score_thresholds_and_lanes() {
    let scored = |score: i64, lane_: Option<u16>, when| {
        let mut r = rule("S", when);
        r.score = Some(score);
        r.lane = lane_.map(lane);
        r
    };
    let build = |rules| {
        let mut p = program(rules);
        p.thresholds = vec![(lane(1), 40), (lane(2), 70)];
        plan(&p)
    };
    let eval = |pl: &semaforo_plan::Plan| run(pl, &decl(pl, no_fill), &ctx());
    // Below every threshold.
    let o = eval(&build(vec![
        scored(39, None, None),
        scored(100, None, Some(f())),
    ]));
    assert_eq!((o.score, o.lane), (39, 0));
    // Exactly at a threshold.
    let o = eval(&build(vec![
        scored(30, None, None),
        scored(10, None, Some(t())),
    ]));
    assert_eq!((o.score, o.lane), (40, 1));
    let o = eval(&build(vec![scored(70, None, None)]));
    assert_eq!((o.score, o.lane), (70, 2));
    // A fired rule's lane wins over a lower threshold lane.
    let o = eval(&build(vec![
        scored(45, None, None),
        scored(0, Some(2), None),
    ]));
    assert_eq!((o.score, o.lane), (45, 2));
    // A threshold lane wins over a lower rule lane.
    let o = eval(&build(vec![scored(80, Some(1), None)]));
    assert_eq!(o.lane, 2);
    // Negative scores.
    let o = eval(&build(vec![
        scored(80, None, None),
        scored(-50, None, None),
    ]));
    assert_eq!((o.score, o.lane), (30, 0));
    // Undetermined rules add nothing.
    let o = eval(&build(vec![scored(80, Some(2), Some(u()))]));
    assert_eq!((o.score, o.lane, o.undetermined.clone()), (0, 0, vec![0]));
}

#[test]
fn sampling() {
    let sampled = |id: &str, cutoff: u32, when| {
        let mut r = rule(id, when);
        r.sample = Some(cutoff);
        r
    };
    let c = ctx();
    let draw = sample::draw(&c.sampling_key, "HALF", "D1");
    let p = program(vec![
        sampled("NEVER", 0, None),
        sampled("ALWAYS", 1_000_000, None),
        sampled("HALF", 500_000, None),
        sampled("UNK", 1_000_000, Some(u())),
        sampled("AT", sample::draw(&c.sampling_key, "AT", "D1"), None),
        sampled(
            "ABOVE",
            sample::draw(&c.sampling_key, "ABOVE", "D1") + 1,
            None,
        ),
    ]);
    let pl = plan(&p);
    let out = run(&pl, &decl(&pl, no_fill), &c);
    assert_eq!(fate(&out, 0), NEITHER);
    let always = out.fired.iter().find(|f| f.rule == 1).unwrap();
    assert_eq!(
        always.draw,
        Some(sample::draw(&c.sampling_key, "ALWAYS", "D1"))
    );
    assert_eq!(fate(&out, 2) == FIRED, draw < 500_000);
    if let Some(h) = out.fired.iter().find(|f| f.rule == 2) {
        assert_eq!(h.draw, Some(draw));
    }
    // Sampling is irrelevant to unknown conditions.
    assert_eq!(fate(&out, 3), UNDET);
    // draw < cutoff selects.
    assert_eq!(fate(&out, 4), NEITHER);
    assert_eq!(fate(&out, 5), FIRED);
    // A rule that is not sampled carries no draw.
    let p = program(vec![rule("PLAIN", None)]);
    let pl = plan(&p);
    let out = run(&pl, &decl(&pl, no_fill), &c);
    assert_eq!(out.fired[0].draw, None);
    // Different keys give different draws for some declaration id.
    let k2 = semaforo_plan::SamplingKey([9; 16]);
    assert!((0..20).any(|i| sample::draw(&k2, "HALF", &format!("D{i}"))
        != sample::draw(&c.sampling_key, "HALF", &format!("D{i}"))));
}

#[test]
fn identical_subexpressions_are_shared() {
    let cond = || {
        and(
            eq(root("origin"), s("CN")),
            cmp(Cmp::Gt, root("value"), n("10")),
        )
    };
    let one = plan(&program(vec![rule("A", Some(cond()))]));
    let two = plan(&program(vec![
        rule("A", Some(cond())),
        rule("B", Some(not(cond()))),
    ]));
    assert_eq!(two.op_count(), one.op_count() + 1);
    let out_fill = |dcl: &mut semaforo_plan::Declaration, l: &semaforo_plan::Layout| {
        dcl.set_text(l, Node::ROOT, rf(l, "origin"), "CN").unwrap();
        dcl.set_number(l, Node::ROOT, rf(l, "value"), dec("11"))
            .unwrap();
    };
    let out = run(&two, &decl(&two, out_fill), &ctx());
    assert_eq!((fate(&out, 0), fate(&out, 1)), (FIRED, NEITHER));
}

#[test]
fn plan_metadata() {
    let mut r = rule("R-1", None);
    r.notes = vec!["n1".into(), "n2".into()];
    r.score = Some(5);
    r.lane = Some(lane(1));
    r.sample = Some(25_000);
    let pl = plan(&program(vec![r]));
    assert_eq!(pl.name(), "test");
    assert_eq!(pl.version(), "1");
    assert_eq!(pl.lanes().len(), 3);
    let info = &pl.rules()[0];
    assert_eq!(&*info.id, "R-1");
    assert_eq!(&*info.title, "title of R-1");
    assert_eq!(info.tags.len(), 1);
    assert_eq!(info.notes.len(), 2);
    assert_eq!(
        (info.score, info.lane, info.sample),
        (Some(5), Some(1), Some(25_000))
    );
}

#[test]
fn outcome_is_reused() {
    let pl = plan(&program(vec![rule("A", Some(u())), rule("B", None)]));
    let mut scratch = pl.new_scratch();
    let mut out = semaforo_plan::Outcome::default();
    let dcl = decl(&pl, no_fill);
    for _ in 0..3 {
        pl.evaluate(&dcl, &ctx(), &mut scratch, &mut out).unwrap();
        assert_eq!(out.undetermined, vec![0]);
        assert_eq!(out.fired.len(), 1);
    }
}
