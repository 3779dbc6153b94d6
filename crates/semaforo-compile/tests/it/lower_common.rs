//! Hand-built checked programs for the tests that cannot be rule text:
//! lowering errors on programs the checker would never produce or that are
//! too deep to write (`lower_externals.rs`) and the plan's own API
//! (`lower_eval.rs`). Semantics belong in `tests/data/eval/` vectors.
#![expect(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test; the helpers are `pub` for the test \
              modules that use this one"
)]

use semaforo_compile::hir::{
    Base, Cmp, Const, Expr, ExprKind, LaneId, ListDef, ListId, Pattern, Program, RuleDef, Scalar,
    TableDef, TableId, TableShape, Type,
};
use semaforo_compile::lower::{Externals, lower};
use semaforo_plan::{
    Date, Decimal, Declaration, EvalContext, Field, FieldId, FieldType, Layout, Node, Outcome,
    Plan, Record, RecordId, SamplingKey,
};
use semaforo_syntax::Span;

pub const ITEM: RecordId = RecordId(1);

/// Root fields: id (key), regime, origin?, freight?, value?, aeo?,
/// declared_on?, items?; item fields: hs, description?, net_kg?, value?.
pub fn layout() -> Layout {
    let f = |name: &str, ty: FieldType, optional: bool| Field {
        name: name.into(),
        ty,
        optional,
    };
    Layout::new(
        vec![
            Record {
                name: "declaration".into(),
                fields: vec![
                    f("id", FieldType::Text, false),
                    f("regime", FieldType::Text, true),
                    f("origin", FieldType::Text, true),
                    f("freight", FieldType::Number, true),
                    f("value", FieldType::Number, true),
                    f("aeo", FieldType::Bool, true),
                    f("declared_on", FieldType::Date, true),
                    f("items", FieldType::List(ITEM), true),
                ]
                .into_boxed_slice(),
            },
            Record {
                name: "item".into(),
                fields: vec![
                    f("hs", FieldType::Text, true),
                    f("description", FieldType::Text, true),
                    f("net_kg", FieldType::Number, true),
                    f("value", FieldType::Number, true),
                ]
                .into_boxed_slice(),
            },
        ],
        FieldId(0),
    )
    .unwrap()
}

pub fn sp() -> Span {
    Span::default()
}

pub fn ex(kind: ExprKind, ty: Type) -> Expr {
    Expr {
        kind,
        ty,
        span: sp(),
    }
}

fn field_type(ty: FieldType) -> Type {
    match ty {
        FieldType::Text => Type::Scalar(Scalar::Text),
        FieldType::Number => Type::Scalar(Scalar::Number),
        FieldType::Bool => Type::Scalar(Scalar::Bool),
        FieldType::Date => Type::Scalar(Scalar::Date),
        FieldType::List(r) => Type::Records(r),
    }
}

/// A top-level field by name.
pub fn root(name: &str) -> Expr {
    let l = layout();
    let (id, f) = l.field_by_name(RecordId(0), name).unwrap();
    ex(
        ExprKind::Field {
            base: Base::Root,
            record: RecordId(0),
            field: id,
        },
        field_type(f.ty),
    )
}

pub fn bool_ty() -> Type {
    Type::Scalar(Scalar::Bool)
}
pub fn num_ty() -> Type {
    Type::Scalar(Scalar::Number)
}

pub fn t() -> Expr {
    ex(ExprKind::Const(Const::Bool(true)), bool_ty())
}
/// *Unknown*: the optional bool field `aeo`, left missing by the tests.
pub fn u() -> Expr {
    root("aeo")
}
pub fn dec(s: &str) -> Decimal {
    Decimal::parse(s).unwrap().value
}
pub fn n(s: &str) -> Expr {
    ex(ExprKind::Const(Const::Number(dec(s))), num_ty())
}
pub fn s(v: &str) -> Expr {
    ex(
        ExprKind::Const(Const::Text(v.into())),
        Type::Scalar(Scalar::Text),
    )
}
pub fn d(v: &str) -> Date {
    Date::parse(v).unwrap()
}
pub fn ctext(v: &str) -> Const {
    Const::Text(v.into())
}
pub fn cnum(v: &str) -> Const {
    Const::Number(dec(v))
}

pub fn and(a: Expr, b: Expr) -> Expr {
    ex(ExprKind::And(Box::new(a), Box::new(b)), bool_ty())
}
pub fn not(a: Expr) -> Expr {
    ex(ExprKind::Not(Box::new(a)), bool_ty())
}
pub fn cmp(k: Cmp, a: Expr, b: Expr) -> Expr {
    ex(ExprKind::Cmp(k, Box::new(a), Box::new(b)), bool_ty())
}
pub fn eq(a: Expr, b: Expr) -> Expr {
    cmp(Cmp::Eq, a, b)
}
pub fn is(a: Expr, present: bool) -> Expr {
    ex(
        ExprKind::Is {
            value: Box::new(a),
            present,
        },
        bool_ty(),
    )
}
pub fn in_(value: Expr, list: Pattern, negated: bool) -> Expr {
    ex(
        ExprKind::In {
            value: Box::new(value),
            list,
            negated,
        },
        bool_ty(),
    )
}
pub fn lookup(table: u32, key: Expr, prefix: bool, ty: Scalar) -> Expr {
    ex(
        ExprKind::Lookup {
            table: TableId(table),
            key: Box::new(key),
            prefix,
            column: 0,
        },
        Type::Scalar(ty),
    )
}

pub fn rule(id: &str, when: Option<Expr>) -> RuleDef {
    RuleDef {
        id: id.into(),
        title: format!("title of {id}"),
        tags: vec!["t".into()],
        active_from: None,
        active_to: None,
        when,
        sample: None,
        score: None,
        lane: None,
        monitor: false,
        notes: vec![],
        package: None,
        profile: Default::default(),
        overlay: None,
        span: sp(),
    }
}

pub fn program(rules: Vec<RuleDef>) -> Program {
    Program {
        name: "test".into(),
        version: "1".into(),
        lanes: vec!["green".into(), "yellow".into(), "red".into()],
        thresholds: vec![],
        threshold_groups: None,
        layout: layout(),
        lists: vec![],
        tables: vec![],
        rules,
        tests: vec![],
        packages: Vec::new(),
        has_root: true,
    }
}

pub fn list_def(name: &str, elem: Scalar, values: Option<Vec<Const>>) -> ListDef {
    ListDef {
        name: name.into(),
        elem,
        values,
        span: Span::new(Default::default(), 10, 20),
    }
}

pub fn table_def(name: &str, value: Scalar) -> TableDef {
    TableDef {
        name: name.into(),
        shape: TableShape::Value(value),
        span: Span::new(Default::default(), 30, 40),
    }
}

pub fn list_ref(i: u32) -> Pattern {
    Pattern::List(ListId(i))
}

pub fn lane(i: u16) -> LaneId {
    LaneId(i)
}

pub fn ctx() -> EvalContext<'static> {
    static KEY: SamplingKey = SamplingKey([7; 16]);
    EvalContext {
        today: d("2026-06-01"),
        sampling_key: &KEY,
    }
}

/// Lowers with the given externals, panicking on diagnostics.
pub fn plan_with(p: &Program, ext: &Externals) -> Plan {
    match lower(p, ext) {
        Ok(plan) => plan,
        Err(d) => panic!("lowering failed: {d:#?}"),
    }
}

pub fn plan(p: &Program) -> Plan {
    plan_with(p, &Externals::default())
}

/// A declaration with id `D1` and whatever `fill` sets.
pub fn decl(plan: &Plan, fill: impl FnOnce(&mut Declaration, &Layout)) -> Declaration {
    let l = plan.layout();
    let mut dcl = Declaration::new(l);
    dcl.set_text(l, Node::ROOT, FieldId(0), "D1").unwrap();
    fill(&mut dcl, l);
    dcl
}

pub fn run(plan: &Plan, dcl: &Declaration, ctx: &EvalContext<'_>) -> Outcome {
    let mut scratch = plan.new_scratch();
    let mut out = Outcome::default();
    plan.evaluate(dcl, ctx, &mut scratch, &mut out).unwrap();
    out
}

/// What happened to rule `i`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Fate {
    Fired,
    Undetermined,
    Neither,
}
pub use Fate::{Fired as FIRED, Neither as NEITHER, Undetermined as UNDET};

pub fn fate(out: &Outcome, i: u32) -> Fate {
    let fired = out.fired.iter().any(|f| f.rule == i);
    let und = out.undetermined.contains(&i);
    assert!(!(fired && und), "rule {i} both fired and undetermined");
    if fired {
        FIRED
    } else if und {
        UNDET
    } else {
        NEITHER
    }
}

pub fn no_fill(_: &mut Declaration, _: &Layout) {}
