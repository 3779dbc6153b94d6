//! Unit tests of the reference interpreter on hand-built programs.
//!
//! The language's semantics through the reference interpreter are the
//! vectors under `tests/data/eval/` (`Ruleset::explain` runs the same
//! interpreter). What stays here cannot be a vector: the draw function
//! itself, under a key computed in the test, and evaluation on several
//! dates of one declaration (a vector has one `--today`).
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo_compile::hir::{
    Base, Cmp, Const, Expr, ExprKind, LaneId, ListDef, Program, RuleDef, Scalar, Score, TableDef,
    TableShape, Type,
};
use semaforo_compile::lower::TableRows;
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
fn cmp(op: Cmp, a: Expr, c: Expr) -> Expr {
    e(ExprKind::Cmp(op, b(a), b(c)), Scalar::Bool)
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
        score: Some(Score::Points(1)),
        lane: None,
        monitor: false,
        notes: vec![],
        package: None,
        profile: Default::default(),
        overlay: None,
        span: Span::default(),
    }
}

fn program(rules: Vec<RuleDef>) -> Program {
    Program {
        name: "t".into(),
        version: "1".into(),
        lanes: vec!["green".into(), "yellow".into(), "red".into()],
        thresholds: vec![(LaneId(1), 10), (LaneId(2), 20)],
        threshold_groups: None,
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
            shape: TableShape::Value(Scalar::Number),
            span: Span::default(),
        }],
        rules,
        tests: vec![],
        packages: Vec::new(),
    }
}

fn externals() -> Externals {
    let mut x = Externals::default();
    x.lists
        .insert("watched".into(), vec![Const::Text("IMP-7".into())]);
    x.tables.insert(
        "price".into(),
        TableRows::values(vec![
            ("".into(), Const::Number(Decimal::from_i64(1))),
            ("64".into(), Const::Number(Decimal::from_i64(64))),
            ("6402".into(), Const::Number(Decimal::from_i64(6402))),
            ("6403".into(), Const::Number(Decimal::from_i64(6403))),
            ("ñ".into(), Const::Number(Decimal::from_i64(2))),
            ("ña".into(), Const::Number(Decimal::from_i64(3))),
        ]),
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

const TODAY: &str = "2026-06-01";

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

/// Hand-built: compares the reference's and the plan's draw functions
/// with a hand computation (their API, not an outcome), then the cutoffs
/// around that draw.
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
        lane_draw: None,
        lane: None,
        points: 1,
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
            draw: None,
            lane_draw: None,
            lane: None,
            points: 1,
        }]
    );
}

/// Hand-built: the same declaration evaluated on four dates; a vector fixes
/// one evaluation date.
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
