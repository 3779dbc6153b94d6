//! Unit tests of the reference interpreter on hand-built programs.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo_compile::hir::{
    Arith, Base, Cmp, Const, Expr, ExprKind, LaneId, ListDef, ListId, Pattern, Program, Quant,
    RuleDef, Scalar, TableDef, TableId, Type, VarId,
};
use semaforo_plan::{
    Date, Decimal, Declaration, Field, FieldId, FieldType, Fired, Layout, Node, Record, RecordId,
    SamplingKey,
};
use semaforo_syntax::Span;
use semaforo_testkit::Externals;
use semaforo_testkit::reference::{evaluate, reference_draw};
use siphasher::sip::SipHasher24;
use std::hash::Hasher;

// Root fields.
const ID: FieldId = FieldId(0);
const ORIGIN: FieldId = FieldId(1); // text?
const FREIGHT: FieldId = FieldId(2); // number?
const AEO: FieldId = FieldId(3); // bool?
const ITEMS: FieldId = FieldId(5); // [item]?
// Item fields.
const HS: FieldId = FieldId(0); // text
const VALUE: FieldId = FieldId(1); // number?

fn f(name: &str, ty: FieldType, optional: bool) -> Field {
    Field {
        name: name.into(),
        ty,
        optional,
    }
}

fn layout() -> Layout {
    Layout::new(
        vec![
            Record {
                name: "declaration".into(),
                fields: vec![
                    f("id", FieldType::Text, false),
                    f("origin", FieldType::Text, true),
                    f("freight", FieldType::Number, true),
                    f("aeo", FieldType::Bool, true),
                    f("day", FieldType::Date, true),
                    f("items", FieldType::List(RecordId(1)), true),
                ]
                .into(),
            },
            Record {
                name: "item".into(),
                fields: vec![
                    f("hs", FieldType::Text, false),
                    f("value", FieldType::Number, true),
                ]
                .into(),
            },
        ],
        ID,
    )
    .unwrap()
}

fn e(kind: ExprKind, s: Scalar) -> Expr {
    Expr {
        kind,
        ty: Type::Scalar(s),
        span: Span::default(),
    }
}
fn b(x: Expr) -> Box<Expr> {
    Box::new(x)
}
fn num(s: &str) -> Expr {
    e(
        ExprKind::Const(Const::Number(Decimal::parse(s).unwrap().value)),
        Scalar::Number,
    )
}
fn text(s: &str) -> Expr {
    e(ExprKind::Const(Const::Text(s.into())), Scalar::Text)
}
fn boolean(v: bool) -> Expr {
    e(ExprKind::Const(Const::Bool(v)), Scalar::Bool)
}
fn root(field: FieldId, s: Scalar) -> Expr {
    e(
        ExprKind::Field {
            base: Base::Root,
            record: RecordId(0),
            field,
        },
        s,
    )
}
fn var(v: u32, field: FieldId, s: Scalar) -> Expr {
    e(
        ExprKind::Field {
            base: Base::Var(VarId(v)),
            record: RecordId(1),
            field,
        },
        s,
    )
}
fn items() -> Expr {
    Expr {
        kind: ExprKind::Field {
            base: Base::Root,
            record: RecordId(0),
            field: ITEMS,
        },
        ty: Type::Records(RecordId(1)),
        span: Span::default(),
    }
}
fn cmp(op: Cmp, a: Expr, c: Expr) -> Expr {
    e(ExprKind::Cmp(op, b(a), b(c)), Scalar::Bool)
}
fn arith(op: Arith, a: Expr, c: Expr) -> Expr {
    e(ExprKind::Arith(op, b(a), b(c)), Scalar::Number)
}
fn quant(kind: Quant, body: Expr) -> Expr {
    let s = match kind {
        Quant::Any | Quant::All => Scalar::Bool,
        _ => Scalar::Number,
    };
    e(
        ExprKind::Quant {
            kind,
            var: VarId(0),
            record: RecordId(1),
            list: b(items()),
            body: b(body),
        },
        s,
    )
}
/// The unknown truth value: a comparison with a missing field.
fn unknown() -> Expr {
    cmp(Cmp::Eq, root(FREIGHT, Scalar::Number), num("1"))
}

fn rule(id: &str, when: Option<Expr>) -> RuleDef {
    RuleDef {
        id: id.into(),
        title: id.into(),
        tags: vec![],
        active_from: None,
        active_to: None,
        when,
        sample: None,
        score: Some(1),
        lane: None,
        notes: vec![],
        span: Span::default(),
    }
}

fn program(rules: Vec<RuleDef>) -> Program {
    Program {
        name: "t".into(),
        version: "1".into(),
        lanes: vec!["green".into(), "yellow".into(), "red".into()],
        thresholds: vec![(LaneId(1), 10), (LaneId(2), 20)],
        layout: layout(),
        lists: vec![
            ListDef {
                name: "origins".into(),
                elem: Scalar::Text,
                values: Some(vec![Const::Text("CN".into()), Const::Text("HK".into())]),
                span: Span::default(),
            },
            ListDef {
                name: "watched".into(),
                elem: Scalar::Text,
                values: None,
                span: Span::default(),
            },
        ],
        tables: vec![TableDef {
            name: "price".into(),
            value: Scalar::Number,
            span: Span::default(),
        }],
        rules,
        tests: vec![],
    }
}

fn externals() -> Externals {
    let mut x = Externals::default();
    x.lists
        .insert("watched".into(), vec![Const::Text("IMP-7".into())]);
    x.tables.insert(
        "price".into(),
        vec![
            ("".into(), Const::Number(Decimal::from_i64(1))),
            ("64".into(), Const::Number(Decimal::from_i64(64))),
            ("6402".into(), Const::Number(Decimal::from_i64(6402))),
            ("6403".into(), Const::Number(Decimal::from_i64(6403))),
            ("ñ".into(), Const::Number(Decimal::from_i64(2))),
            ("ña".into(), Const::Number(Decimal::from_i64(3))),
        ],
    );
    x
}

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// A declaration: id `D1`, origin `CN`, the rest missing unless set by `fill`.
fn decl(p: &Program, fill: impl FnOnce(&Layout, &mut Declaration)) -> Declaration {
    let l = &p.layout;
    let mut d = Declaration::new(l);
    d.set_text(l, Node::ROOT, ID, "D1").unwrap();
    d.set_text(l, Node::ROOT, ORIGIN, "CN").unwrap();
    fill(l, &mut d);
    d
}

fn with_items<'a>(values: &'a [Option<&'a str>]) -> impl FnOnce(&Layout, &mut Declaration) + 'a {
    move |l, d| {
        d.start_list(l, Node::ROOT, ITEMS).unwrap();
        for (i, v) in values.iter().enumerate() {
            let n = d.push_element(l, Node::ROOT, ITEMS).unwrap();
            d.set_text(l, n, HS, &format!("64{i}")).unwrap();
            if let Some(v) = v {
                d.set_number(l, n, VALUE, Decimal::parse(v).unwrap().value)
                    .unwrap();
            }
        }
    }
}

const TODAY: &str = "2026-06-01";

/// The truth value of `cond` on the declaration: Some(true) fired,
/// Some(false) neither, None undetermined.
fn truth_with(cond: Expr, fill: impl FnOnce(&Layout, &mut Declaration)) -> Option<bool> {
    let p = program(vec![rule("R", Some(cond))]);
    let d = decl(&p, fill);
    let o = evaluate(&p, &externals(), &d, day(TODAY), &SamplingKey::default());
    match (o.fired.len(), o.undetermined.len()) {
        (1, 0) => Some(true),
        (0, 0) => Some(false),
        (0, 1) => None,
        other => panic!("impossible outcome {other:?}"),
    }
}

fn truth(cond: Expr) -> Option<bool> {
    truth_with(cond, |_, _| {})
}

fn tv(t: Option<bool>) -> Expr {
    match t {
        Some(v) => boolean(v),
        None => unknown(),
    }
}

const TRUTHS: [Option<bool>; 3] = [Some(true), Some(false), None];

#[test]
fn kleene_truth_tables() {
    for a in TRUTHS {
        assert_eq!(
            truth(e(ExprKind::Not(b(tv(a))), Scalar::Bool)),
            a.map(|x| !x)
        );
        for c in TRUTHS {
            let and = truth(e(ExprKind::And(b(tv(a)), b(tv(c))), Scalar::Bool));
            let or = truth(e(ExprKind::Or(b(tv(a)), b(tv(c))), Scalar::Bool));
            let expected_and = if a == Some(false) || c == Some(false) {
                Some(false)
            } else if a.is_none() || c.is_none() {
                None
            } else {
                Some(true)
            };
            let expected_or = if a == Some(true) || c == Some(true) {
                Some(true)
            } else if a.is_none() || c.is_none() {
                None
            } else {
                Some(false)
            };
            assert_eq!(and, expected_and, "{a:?} and {c:?}");
            assert_eq!(or, expected_or, "{a:?} or {c:?}");
        }
    }
}

#[test]
fn decimal_rounding_in_arithmetic() {
    // 1/3*3 == 0.999999 and not 1.
    let third = arith(Arith::Mul, arith(Arith::Div, num("1"), num("3")), num("3"));
    assert_eq!(
        truth(cmp(Cmp::Eq, third.clone(), num("0.999999"))),
        Some(true)
    );
    assert_eq!(truth(cmp(Cmp::Eq, third, num("1"))), Some(false));
    let sum = arith(Arith::Add, num("0.1"), num("0.2"));
    assert_eq!(truth(cmp(Cmp::Eq, sum, num("0.3"))), Some(true));
    let sum = arith(Arith::Add, num("100.10"), num("399.90"));
    assert_eq!(truth(cmp(Cmp::Eq, sum, num("500"))), Some(true));
    // 0.000001 * 0.5 rounds half to even: 0.0000005 -> 0.
    let tiny = arith(Arith::Mul, num("0.000001"), num("0.5"));
    assert_eq!(truth(cmp(Cmp::Eq, tiny, num("0"))), Some(true));
    // 0.000003 * 0.5 = 0.0000015 -> 0.000002.
    let tiny = arith(Arith::Mul, num("0.000003"), num("0.5"));
    assert_eq!(truth(cmp(Cmp::Eq, tiny, num("0.000002"))), Some(true));
}

#[test]
fn missing_propagates_through_arithmetic_and_division_by_zero() {
    let div0 = arith(Arith::Div, num("1"), num("0"));
    assert_eq!(truth(cmp(Cmp::Eq, div0.clone(), num("0"))), None);
    assert_eq!(
        truth(e(
            ExprKind::Is {
                value: b(div0.clone()),
                present: false
            },
            Scalar::Bool
        )),
        Some(true)
    );
    let max = "999999999999999999999999999999.999999";
    let overflow = arith(Arith::Add, num(max), num("0.000001"));
    assert_eq!(truth(cmp(Cmp::Gt, overflow, num("0"))), None);
    let plus_missing = arith(Arith::Add, root(FREIGHT, Scalar::Number), num("1"));
    assert_eq!(truth(cmp(Cmp::Ne, plus_missing.clone(), num("1"))), None);
    let present = e(
        ExprKind::Is {
            value: b(root(FREIGHT, Scalar::Number)),
            present: true,
        },
        Scalar::Bool,
    );
    assert_eq!(truth(present.clone()), Some(false));
    let fill = |l: &Layout, d: &mut Declaration| {
        d.set_number(l, Node::ROOT, FREIGHT, Decimal::from_i64(0))
            .unwrap();
    };
    assert_eq!(truth_with(present, fill), Some(true));
    // A bool field as a condition is its value; missing is unknown.
    assert_eq!(truth(root(AEO, Scalar::Bool)), None);
    let fill = |l: &Layout, d: &mut Declaration| {
        d.set_bool(l, Node::ROOT, AEO, true).unwrap();
    };
    assert_eq!(truth_with(root(AEO, Scalar::Bool), fill), Some(true));
}

#[test]
fn membership_prefix_and_contains() {
    let origin = || root(ORIGIN, Scalar::Text);
    let is_in = |v: Expr, list: Pattern, negated: bool| {
        e(
            ExprKind::In {
                value: b(v),
                list,
                negated,
            },
            Scalar::Bool,
        )
    };
    assert_eq!(
        truth(is_in(origin(), Pattern::List(ListId(0)), false)),
        Some(true)
    );
    assert_eq!(
        truth(is_in(origin(), Pattern::List(ListId(0)), true)),
        Some(false)
    );
    assert_eq!(
        truth(is_in(origin(), Pattern::List(ListId(1)), false)),
        Some(false)
    );
    assert_eq!(
        truth(is_in(text("IMP-7"), Pattern::List(ListId(1)), false)),
        Some(true)
    );
    assert_eq!(
        truth(is_in(origin(), Pattern::Inline(vec![]), false)),
        Some(false)
    );
    // A missing value is unknown for `in` and `not in`.
    let missing_text = e(
        ExprKind::Lookup {
            table: TableId(0),
            key: b(text("x")),
            prefix: false,
        },
        Scalar::Number,
    );
    let numbers = Pattern::Inline(vec![Const::Number(Decimal::from_i64(1))]);
    assert_eq!(
        truth(is_in(missing_text.clone(), numbers.clone(), false)),
        None
    );
    assert_eq!(truth(is_in(missing_text, numbers, true)), None);

    let starts = |t: Expr, p: Pattern| e(ExprKind::StartsWith(b(t), p), Scalar::Bool);
    let contains = |t: Expr, p: Pattern| e(ExprKind::Contains(b(t), p), Scalar::Bool);
    assert_eq!(
        truth(starts(text("6402.99"), Pattern::Expr(b(text("6402"))))),
        Some(true)
    );
    assert_eq!(
        truth(starts(text("6402.99"), Pattern::Expr(b(text(""))))),
        Some(true)
    );
    assert_eq!(
        truth(starts(text("640"), Pattern::Expr(b(text("6402"))))),
        Some(false)
    );
    assert_eq!(
        truth(starts(
            text("6403.10"),
            Pattern::Inline(vec![Const::Text("6402".into()), Const::Text("6403".into())])
        )),
        Some(true)
    );
    let no_origin = |l: &Layout, d: &mut Declaration| {
        d.set_missing(l, Node::ROOT, ORIGIN).unwrap();
    };
    assert_eq!(
        truth_with(starts(origin(), Pattern::Expr(b(text("")))), no_origin),
        None,
        "a missing subject is unknown"
    );
    // Case-insensitive per character: `Σ` lowers to `σ` (no final-sigma
    // rule), so `ΣΑΣ` contains `σασ` but not `σας`.
    assert_eq!(
        truth(contains(text("ΣΑΣ"), Pattern::Expr(b(text("σασ"))))),
        Some(true)
    );
    assert_eq!(
        truth(contains(text("ΣΑΣ"), Pattern::Expr(b(text("σας"))))),
        Some(false)
    );
    assert_eq!(
        truth(contains(text("xAbCx"), Pattern::Expr(b(text("abc"))))),
        Some(true)
    );
    assert_eq!(
        truth(contains(text("abc"), Pattern::Expr(b(text(""))))),
        Some(true)
    );
    assert_eq!(
        truth(contains(text(""), Pattern::Expr(b(text("a"))))),
        Some(false)
    );
    // `İ` lowers to `i̇` (two chars), so `İstanbul` contains `i̇st` but not `ist`.
    assert_eq!(
        truth(contains(text("İstanbul"), Pattern::Expr(b(text("i̇st"))))),
        Some(true)
    );
    assert_eq!(
        truth(contains(text("İstanbul"), Pattern::Expr(b(text("ist"))))),
        Some(false)
    );
    assert_eq!(
        truth(contains(text("Straße"), Pattern::Expr(b(text("STRASSE"))))),
        Some(false)
    );
}

#[test]
fn lookups_len_today_and_date_diff() {
    let lookup = |k: &str, prefix: bool| {
        e(
            ExprKind::Lookup {
                table: TableId(0),
                key: b(text(k)),
                prefix,
            },
            Scalar::Number,
        )
    };
    let is = |x: Expr, v: &str| truth(cmp(Cmp::Eq, x, num(v)));
    assert_eq!(is(lookup("6402", false), "6402"), Some(true));
    assert_eq!(is(lookup("6402.99", false), "0"), None);
    assert_eq!(is(lookup("6402.99", true), "6402"), Some(true));
    assert_eq!(is(lookup("6409", true), "64"), Some(true));
    assert_eq!(
        is(lookup("9", true), "1"),
        Some(true),
        "the empty key matches all"
    );
    assert_eq!(is(lookup("", false), "1"), Some(true));
    // Prefixes end at character boundaries: a key of two-byte characters.
    assert_eq!(is(lookup("ñañ", true), "3"), Some(true));
    assert_eq!(is(lookup("ñb", true), "2"), Some(true));
    assert_eq!(is(lookup("ñ", false), "2"), Some(true));
    assert_eq!(is(lookup("n", true), "1"), Some(true));
    let len = |t: &str| e(ExprKind::Len(b(text(t))), Scalar::Number);
    assert_eq!(is(len("ΣΑΣ"), "3"), Some(true));
    assert_eq!(is(len("İ"), "1"), Some(true));
    assert_eq!(is(len(""), "0"), Some(true));
    let date = |s: &str| e(ExprKind::Const(Const::Date(day(s))), Scalar::Date);
    let today = e(ExprKind::Today, Scalar::Date);
    let diff = |a: Expr, c: Expr| e(ExprKind::DateDiff(b(a), b(c)), Scalar::Number);
    assert_eq!(
        is(diff(today.clone(), date("2026-01-01")), "151"),
        Some(true)
    );
    assert_eq!(
        is(diff(date("2024-02-28"), date("2024-03-01")), "-2"),
        Some(true)
    );
    assert_eq!(truth(cmp(Cmp::Ge, today, date(TODAY))), Some(true));
}

/// Element values, expected `[any, all]`, expected `[count, sum, min, max]`.
type QuantCase = (
    &'static [Option<&'static str>],
    [Option<bool>; 2],
    [Option<&'static str>; 4],
);

#[test]
fn quantifiers_and_aggregates() {
    let big = |v: Expr| cmp(Cmp::Gt, v, num("10"));
    let value = || var(0, VALUE, Scalar::Number);
    let cases: Vec<QuantCase> = vec![
        // (values, [any, all], [count, sum, min, max])
        (
            &[],
            [Some(false), Some(true)],
            [Some("0"), Some("0"), None, None],
        ),
        (
            &[Some("20"), Some("5")],
            [Some(true), Some(false)],
            [Some("1"), Some("25"), Some("5"), Some("20")],
        ),
        (
            &[Some("20"), None],
            [Some(true), None],
            [Some("1"), Some("20"), Some("20"), Some("20")],
        ),
        (
            &[Some("5"), None],
            [None, Some(false)],
            [Some("0"), Some("5"), Some("5"), Some("5")],
        ),
        (&[None], [None, None], [Some("0"), Some("0"), None, None]),
    ];
    for (values, [any, all], aggregates) in cases {
        let t = |q| truth_with(q, with_items(values));
        assert_eq!(t(quant(Quant::Any, big(value()))), any, "any {values:?}");
        assert_eq!(t(quant(Quant::All, big(value()))), all, "all {values:?}");
        let kinds = [Quant::Count, Quant::Sum, Quant::Min, Quant::Max];
        for (kind, expected) in kinds.into_iter().zip(aggregates) {
            let body = if kind == Quant::Count {
                big(value())
            } else {
                value()
            };
            let q = quant(kind, body);
            let got = match expected {
                Some(v) => t(cmp(Cmp::Eq, q, num(v))),
                None => t(e(
                    ExprKind::Is {
                        value: b(q),
                        present: false,
                    },
                    Scalar::Bool,
                )),
            };
            assert_eq!(got, Some(true), "{kind:?} {values:?} expected {expected:?}");
        }
    }
    // A missing list: any/all unknown, aggregates missing.
    assert_eq!(truth(quant(Quant::Any, boolean(true))), None);
    assert_eq!(truth(quant(Quant::All, boolean(true))), None);
    let count = quant(Quant::Count, boolean(true));
    assert_eq!(truth(cmp(Cmp::Eq, count.clone(), num("0"))), None);
    assert_eq!(
        truth(e(
            ExprKind::Is {
                value: b(quant(Quant::Sum, num("1"))),
                present: false
            },
            Scalar::Bool
        )),
        Some(true)
    );
}

fn key() -> SamplingKey {
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    SamplingKey(k)
}

/// The draw computed by hand: SipHash-2-4 streamed piece by piece.
fn hand_draw(key: &SamplingKey, rule: &str, id: &str) -> u32 {
    let k0 = u64::from_le_bytes(key.0[0..8].try_into().unwrap());
    let k1 = u64::from_le_bytes(key.0[8..16].try_into().unwrap());
    let mut h = SipHasher24::new_with_keys(k0, k1);
    h.write(rule.as_bytes());
    h.write_u8(0x1F);
    h.write(id.as_bytes());
    (h.finish() % 1_000_000) as u32
}

#[test]
fn sampling_draw_matches_a_hand_computation() {
    let k = key();
    let expected = hand_draw(&k, "RND-001", "D1");
    assert_eq!(reference_draw(&k, "RND-001", "D1"), expected);
    assert_eq!(semaforo_plan::sample::draw(&k, "RND-001", "D1"), expected);
    // A different key or rule gives (almost surely) a different draw.
    assert_ne!(
        reference_draw(&SamplingKey::default(), "RND-001", "D1"),
        expected
    );
    assert_ne!(reference_draw(&k, "RND-002", "D1"), expected);

    let sampled = |cutoff: u32| {
        let mut r = rule("RND-001", None);
        r.sample = Some(cutoff);
        let p = program(vec![r]);
        let d = decl(&p, |_, _| {});
        evaluate(&p, &externals(), &d, day(TODAY), &k)
    };
    let fired = Fired {
        rule: 0,
        draw: Some(expected),
    };
    assert_eq!(sampled(expected + 1).fired, vec![fired]);
    assert_eq!(sampled(1_000_000).fired, vec![fired]);
    assert!(sampled(expected).fired.is_empty());
    assert!(sampled(0).fired.is_empty());
    // Unsampled rules carry no draw.
    let p = program(vec![rule("R", None)]);
    let d = decl(&p, |_, _| {});
    let o = evaluate(&p, &externals(), &d, day(TODAY), &k);
    assert_eq!(
        o.fired,
        vec![Fired {
            rule: 0,
            draw: None
        }]
    );
}

#[test]
fn active_windows_are_inclusive_and_inactive_rules_are_silent() {
    let mut r = rule("W", Some(unknown()));
    r.active_from = Some(day("2026-01-01"));
    r.active_to = Some(day("2026-12-31"));
    let p = program(vec![r]);
    let d = decl(&p, |_, _| {});
    let at = |s: &str| evaluate(&p, &externals(), &d, day(s), &SamplingKey::default());
    assert_eq!(at("2026-01-01").undetermined, vec![0]);
    assert_eq!(at("2026-12-31").undetermined, vec![0]);
    assert!(at("2025-12-31").undetermined.is_empty());
    assert!(at("2027-01-01").undetermined.is_empty());
}

#[test]
fn score_lane_and_order() {
    let mut rules = vec![
        rule("A", Some(boolean(true))),
        rule("B", Some(unknown())),
        rule("C", Some(boolean(false))),
        rule("D", None),
        rule("E", Some(unknown())),
    ];
    rules[0].score = Some(15);
    rules[3].score = Some(-3);
    let p = program(rules);
    let d = decl(&p, |_, _| {});
    let o = evaluate(&p, &externals(), &d, day(TODAY), &SamplingKey::default());
    assert_eq!(o.score, 12);
    assert_eq!(o.lane, 1, "12 reaches the yellow threshold (10) only");
    assert_eq!(
        o.fired.iter().map(|f| f.rule).collect::<Vec<_>>(),
        vec![0, 3]
    );
    assert_eq!(o.undetermined, vec![1, 4]);

    // A lane action beats a lower threshold; a negative score reaches none.
    let mut rules = vec![rule("A", None), rule("B", None)];
    rules[0].score = Some(-50);
    rules[1].lane = Some(LaneId(2));
    rules[1].score = None;
    let p = program(rules);
    let d = decl(&p, |_, _| {});
    let o = evaluate(&p, &externals(), &d, day(TODAY), &SamplingKey::default());
    assert_eq!((o.lane, o.score), (2, -50));
    // Nothing fired: the default lane.
    let p = program(vec![rule("A", Some(boolean(false)))]);
    let d = decl(&p, |_, _| {});
    let o = evaluate(&p, &externals(), &d, day(TODAY), &SamplingKey::default());
    assert_eq!((o.lane, o.score, o.fired.len()), (0, 0, 0));
}

#[test]
fn nested_quantifiers_bind_variables_by_depth() {
    // any(x in items: count(y in items: y.value > x.value) == 1)
    let inner = e(
        ExprKind::Quant {
            kind: Quant::Count,
            var: VarId(1),
            record: RecordId(1),
            list: b(items()),
            body: b(cmp(
                Cmp::Gt,
                var(1, VALUE, Scalar::Number),
                var(0, VALUE, Scalar::Number),
            )),
        },
        Scalar::Number,
    );
    let cond = quant(Quant::Any, cmp(Cmp::Eq, inner.clone(), num("1")));
    assert_eq!(
        truth_with(cond.clone(), with_items(&[Some("1"), Some("2"), Some("3")])),
        Some(true),
        "2 has exactly one greater element"
    );
    assert_eq!(
        truth_with(cond, with_items(&[Some("1"), Some("3")])),
        Some(true)
    );
    let cond = quant(Quant::All, cmp(Cmp::Eq, inner, num("0")));
    assert_eq!(
        truth_with(cond, with_items(&[Some("1"), Some("3")])),
        Some(false)
    );
}
