//! A plan that uses every construct, built directly with `PlanBuilder`.
#![allow(
    dead_code,
    reason = "each test binary including this module uses a part of it"
)]
#![expect(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test; the helpers are `pub` for the test \
              binaries that include this module"
)]

use semaforo_plan::plan::{ArithOp, Base, CmpOp, Op, OpId, Quant, QuantKind};
use semaforo_plan::{
    Constant, Date, Decimal, Declaration, EvalContext, Field, FieldId, FieldType, Layout, Node,
    Plan, PlanBuilder, Record, RecordId, RuleInfo, SamplingKey,
};

pub const ID: FieldId = FieldId(0);
pub const ORIGIN: FieldId = FieldId(1);
pub const FREIGHT: FieldId = FieldId(2);
pub const AEO: FieldId = FieldId(3);
pub const DECLARED: FieldId = FieldId(4);
pub const ITEMS: FieldId = FieldId(5);
pub const HS: FieldId = FieldId(0);
pub const DESC: FieldId = FieldId(1);
pub const KG: FieldId = FieldId(2);
pub const VALUE: FieldId = FieldId(3);
pub const ITEM: RecordId = RecordId(1);

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
                    f("origin", FieldType::Text, true),
                    f("freight", FieldType::Number, true),
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
        ID,
    )
    .unwrap()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::parse(s).unwrap().value
}

pub fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

pub fn info(id: &str) -> RuleInfo {
    RuleInfo {
        id: id.into(),
        title: id.into(),
        tags: Box::new([]),
        notes: Box::new([]),
        score: Some(10),
        lane: None,
        sample: None,
        active_from: None,
        active_to: None,
        ..RuleInfo::default()
    }
}

pub fn ctx() -> EvalContext<'static> {
    static KEY: SamplingKey = SamplingKey([3; 16]);
    EvalContext {
        today: date("2026-06-01"),
        sampling_key: &KEY,
    }
}

fn text(s: &str) -> Constant {
    Constant::Text(s.into())
}

/// A plan using every op, set shape, table shape and quantifier.
pub fn everything() -> Plan {
    let mut b = PlanBuilder::new("all", "1", &[], layout());
    b.threshold(1, 20).unwrap();
    b.threshold(2, 60).unwrap();
    let mut rules: Vec<(RuleInfo, OpId)> = Vec::new();
    let origin = b
        .push(Op::Field {
            base: Base::Root,
            field: ORIGIN,
        })
        .unwrap();
    let freight = b
        .push(Op::Field {
            base: Base::Root,
            field: FREIGHT,
        })
        .unwrap();
    let aeo = b
        .push(Op::Field {
            base: Base::Root,
            field: AEO,
        })
        .unwrap();
    let declared = b
        .push(Op::Field {
            base: Base::Root,
            field: DECLARED,
        })
        .unwrap();
    let hs = b
        .push(Op::Field {
            base: Base::Var(0),
            field: HS,
        })
        .unwrap();
    let desc = b
        .push(Op::Field {
            base: Base::Var(0),
            field: DESC,
        })
        .unwrap();
    let kg = b
        .push(Op::Field {
            base: Base::Var(0),
            field: KG,
        })
        .unwrap();
    let value = b
        .push(Op::Field {
            base: Base::Var(0),
            field: VALUE,
        })
        .unwrap();
    let hs1 = b
        .push(Op::Field {
            base: Base::Var(1),
            field: HS,
        })
        .unwrap();
    let c = |b: &mut PlanBuilder, k: Constant| b.constant(&k).unwrap();
    let cn = c(&mut b, text("CN"));
    let half = c(&mut b, Constant::Number(dec("0.5")));
    let zero = c(&mut b, Constant::Number(dec("0")));
    let t = c(&mut b, Constant::Bool(true));
    let d0 = c(&mut b, Constant::Date(date("2026-01-01")));
    let today = b.push(Op::Today).unwrap();

    // Text, number, date and bool sets.
    let origins = b.in_set(&[text("CN"), text("HK"), text("VN")]).unwrap();
    let nums = b
        .in_set(&[Constant::Number(dec("1")), Constant::Number(dec("2.5"))])
        .unwrap();
    let dates = b.in_set(&[Constant::Date(date("2026-06-01"))]).unwrap();
    let bools = b.in_set(&[Constant::Bool(false)]).unwrap();
    let r = b
        .push(Op::In {
            value: origin,
            set: origins,
            negated: false,
        })
        .unwrap();
    rules.push((info("IN-TEXT"), r));
    let r = b
        .push(Op::In {
            value: freight,
            set: nums,
            negated: true,
        })
        .unwrap();
    rules.push((info("IN-NUM"), r));
    let r = b
        .push(Op::In {
            value: today,
            set: dates,
            negated: false,
        })
        .unwrap();
    rules.push((info("IN-DATE"), r));
    let r = b
        .push(Op::In {
            value: aeo,
            set: bools,
            negated: false,
        })
        .unwrap();
    rules.push((info("IN-BOOL"), r));

    // Logic and comparisons.
    let not_aeo = b.push(Op::Not(aeo)).unwrap();
    let is_cn = b.push(Op::Cmp(CmpOp::Eq, origin, cn)).unwrap();
    let r = b.push(Op::And(is_cn, not_aeo)).unwrap();
    rules.push((info("AND"), r));
    let r = b.push(Op::Or(aeo, is_cn)).unwrap();
    rules.push((info("OR"), r));
    let fr_pos = b.push(Op::Cmp(CmpOp::Gt, freight, zero)).unwrap();
    let fr_missing = b
        .push(Op::Is {
            value: freight,
            present: false,
        })
        .unwrap();
    let r = b.push(Op::Or(fr_pos, fr_missing)).unwrap();
    rules.push((info("IS"), r));
    let days = b.push(Op::DateDiff(declared, d0)).unwrap();
    let negd = b.push(Op::Neg(days)).unwrap();
    let r = b.push(Op::Cmp(CmpOp::Lt, negd, zero)).unwrap();
    rules.push((info("DATES"), r));

    // Text tests.
    let pre = b
        .prefix_set(&["6401".into(), "6402".into(), "85".into()])
        .unwrap();
    let words = b.contains_set(&["cuero".into(), "ΟΔΟΣ".into()]).unwrap();
    let pat = c(&mut b, text("64"));
    let starts1 = b.push(Op::StartsWith(hs, pat)).unwrap();
    let starts_any = b.push(Op::StartsWithAny(hs, pre)).unwrap();
    let contains1 = b.push(Op::Contains(desc, pat)).unwrap();
    let contains_any = b.push(Op::ContainsAny(desc, words)).unwrap();
    let len = b.push(Op::Len(desc)).unwrap();
    let long = b.push(Op::Cmp(CmpOp::Ge, len, half)).unwrap();

    // Tables.
    let exact = b
        .table(&[("6401".into(), Constant::Number(dec("20")))], false)
        .unwrap();
    let prefix = b
        .table(
            &[
                ("64".into(), Constant::Number(dec("10"))),
                ("6401".into(), Constant::Number(dec("20"))),
                ("".into(), Constant::Number(dec("1"))),
            ],
            true,
        )
        .unwrap();
    let ref_exact = b.push(Op::Lookup(exact, hs)).unwrap();
    let ref_prefix = b.push(Op::Lookup(prefix, hs)).unwrap();
    let unit = b.push(Op::Arith(ArithOp::Div, value, kg)).unwrap();
    let limit = b.push(Op::Arith(ArithOp::Mul, ref_prefix, half)).unwrap();
    let cheap = b.push(Op::Cmp(CmpOp::Lt, unit, limit)).unwrap();
    let sum_ref = b
        .push(Op::Arith(ArithOp::Add, ref_exact, ref_prefix))
        .unwrap();
    let diff_ref = b.push(Op::Arith(ArithOp::Sub, sum_ref, half)).unwrap();
    let ref_ok = b
        .push(Op::Is {
            value: diff_ref,
            present: true,
        })
        .unwrap();

    // Quantifiers of every kind, one nested.
    let body = b.push(Op::And(starts_any, cheap)).unwrap();
    let q = |b: &mut PlanBuilder, kind, var, body| {
        b.quant(Quant {
            kind,
            var,
            record: ITEM,
            base: Base::Root,
            field: ITEMS,
            body,
        })
        .unwrap()
    };
    let r = q(&mut b, QuantKind::Any, 0, body);
    rules.push((info("ANY"), r));
    let text_tests = b.push(Op::Or(contains_any, contains1)).unwrap();
    let text_tests = b.push(Op::Or(text_tests, starts1)).unwrap();
    let text_tests = b.push(Op::And(text_tests, long)).unwrap();
    let r = q(&mut b, QuantKind::All, 0, text_tests);
    rules.push((info("ALL"), r));
    let same_hs = b.push(Op::Cmp(CmpOp::Eq, hs1, hs)).unwrap();
    let inner = q(&mut b, QuantKind::Count, 1, same_hs);
    let two = c(&mut b, Constant::Number(dec("2")));
    let dup = b.push(Op::Cmp(CmpOp::Ge, inner, two)).unwrap();
    let r = q(&mut b, QuantKind::Any, 0, dup);
    rules.push((info("NESTED"), r));
    let count = q(&mut b, QuantKind::Count, 0, ref_ok);
    let sum = q(&mut b, QuantKind::Sum, 0, value);
    let min = q(&mut b, QuantKind::Min, 0, kg);
    let max = q(&mut b, QuantKind::Max, 0, value);
    let a = b.push(Op::Cmp(CmpOp::Gt, sum, count)).unwrap();
    let m = b.push(Op::Cmp(CmpOp::Le, min, max)).unwrap();
    let r = b.push(Op::And(a, m)).unwrap();
    rules.push((info("AGG"), r));

    for (mut i, r) in rules {
        if i.id.as_ref() == "AND" {
            i.lane = Some(2);
            i.sample = Some(1_000_000);
        }
        if i.id.as_ref() == "OR" {
            i.sample = Some(500_000);
            i.active_from = Some(date("2026-01-01"));
            i.active_to = Some(date("2026-12-31"));
        }
        b.rule(i, Some(r)).unwrap();
    }
    b.rule(info("ALWAYS"), None).unwrap();
    let _ = t;
    b.build()
}

/// The origin of declaration number `k`.
pub fn origin(k: usize) -> Option<&'static str> {
    (!k.is_multiple_of(4)).then(|| ["CN", "HK", "GT"][k % 3])
}

/// Binds declaration number `k` (shapes vary with `k`) into `d`.
pub fn fill(plan: &Plan, d: &mut Declaration, k: usize) {
    let l = plan.layout();
    d.clear();
    let mut id = [b'D', b'0', b'0', b'0', b'0'];
    let mut n = k;
    for c in id.iter_mut().skip(1).rev() {
        *c = b'0' + (n % 10) as u8;
        n /= 10;
    }
    d.set_text(l, Node::ROOT, ID, std::str::from_utf8(&id).unwrap())
        .unwrap();
    if let Some(o) = origin(k) {
        d.set_text(l, Node::ROOT, ORIGIN, o).unwrap();
    }
    if k % 4 != 1 {
        d.set_number(l, Node::ROOT, FREIGHT, Decimal::from_i64((k % 7) as i64))
            .unwrap();
    }
    if k % 5 != 2 {
        d.set_bool(l, Node::ROOT, AEO, k.is_multiple_of(2)).unwrap();
    }
    d.set_date(l, Node::ROOT, DECLARED, date("2026-05-01"))
        .unwrap();
    if k % 6 != 3 {
        let items = k % 5;
        d.start_list(l, Node::ROOT, ITEMS).unwrap();
        for j in 0..items {
            let e = d.push_element(l, Node::ROOT, ITEMS).unwrap();
            d.set_text(
                l,
                e,
                HS,
                ["640199", "850410", "6401", "0101"][(j / 2 + k) % 4],
            )
            .unwrap();
            d.set_text(
                l,
                e,
                DESC,
                ["Zapatos de CUERO", "ὈΔΟΣ", "motor", ""][(j * k) % 4],
            )
            .unwrap();
            if !(j + k).is_multiple_of(3) {
                d.set_number(l, e, KG, Decimal::from_i64((j + 1) as i64))
                    .unwrap();
            }
            d.set_number(l, e, VALUE, Decimal::from_i64((k * 3 + j) as i64 % 50))
                .unwrap();
        }
    }
}
