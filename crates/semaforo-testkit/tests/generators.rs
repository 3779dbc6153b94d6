//! The generators produce well-typed programs that use every expression
//! form, and declarations that bind and validate.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use std::collections::BTreeSet;

use semaforo_compile::hir::{Base, Expr, ExprKind, Pattern, Program, Quant, Scalar, Type};
use semaforo_plan::{FieldType, RecordId};
use semaforo_testkit::generate::{ProgramConfig, copy_layout, random_inputs, random_program};
use semaforo_testkit::reference::evaluate;

fn scalar(ty: FieldType) -> Option<Scalar> {
    match ty {
        FieldType::Text => Some(Scalar::Text),
        FieldType::Number => Some(Scalar::Number),
        FieldType::Bool => Some(Scalar::Bool),
        FieldType::Date => Some(Scalar::Date),
        FieldType::List(_) => None,
    }
}

/// Checks `e` is well typed in scope `vars` (record type per `VarId`) and
/// records the name of every form seen.
fn check(p: &Program, e: &Expr, vars: &mut Vec<RecordId>, seen: &mut BTreeSet<String>) {
    let s = |x: &Expr| match x.ty {
        Type::Scalar(s) => s,
        Type::Records(_) => panic!("records where a scalar is needed: {x:?}"),
    };
    let kind_name = format!("{:?}", e.kind);
    let name: String = kind_name
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    seen.insert(name);
    match &e.kind {
        ExprKind::Const(c) => assert_eq!(e.ty, Type::Scalar(c.scalar())),
        ExprKind::Today => assert_eq!(s(e), Scalar::Date),
        ExprKind::Field {
            base,
            record,
            field,
        } => {
            match base {
                Base::Root => assert_eq!(*record, RecordId(0)),
                Base::Var(v) => assert_eq!(vars.get(v.0 as usize), Some(record)),
            }
            let f = p.layout.field(*record, *field).expect("field exists");
            match f.ty {
                FieldType::List(r) => assert_eq!(e.ty, Type::Records(r)),
                ty => assert_eq!(e.ty, Type::Scalar(scalar(ty).unwrap())),
            }
        }
        ExprKind::Neg(a) | ExprKind::Len(a) => {
            let want = if matches!(e.kind, ExprKind::Neg(_)) {
                Scalar::Number
            } else {
                Scalar::Text
            };
            assert_eq!(s(a), want);
            assert_eq!(s(e), Scalar::Number);
            check(p, a, vars, seen);
        }
        ExprKind::Not(a) => {
            assert_eq!(s(a), Scalar::Bool);
            check(p, a, vars, seen);
        }
        ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            assert_eq!(
                (s(a), s(b), s(e)),
                (Scalar::Bool, Scalar::Bool, Scalar::Bool)
            );
            check(p, a, vars, seen);
            check(p, b, vars, seen);
        }
        ExprKind::Arith(op, a, b) => {
            seen.insert(format!("Arith{op:?}"));
            assert_eq!(
                (s(a), s(b), s(e)),
                (Scalar::Number, Scalar::Number, Scalar::Number)
            );
            check(p, a, vars, seen);
            check(p, b, vars, seen);
        }
        ExprKind::DateDiff(a, b) => {
            assert_eq!(
                (s(a), s(b), s(e)),
                (Scalar::Date, Scalar::Date, Scalar::Number)
            );
            check(p, a, vars, seen);
            check(p, b, vars, seen);
        }
        ExprKind::Cmp(op, a, b) => {
            seen.insert(format!("Cmp{op:?}{:?}", s(a)));
            assert_eq!(s(a), s(b));
            check(p, a, vars, seen);
            check(p, b, vars, seen);
        }
        ExprKind::In { value, list, .. } => {
            let t = s(value);
            check_pattern(p, t, list, false, vars, seen);
            check(p, value, vars, seen);
        }
        ExprKind::StartsWith(t, pat) | ExprKind::Contains(t, pat) => {
            assert_eq!(s(t), Scalar::Text);
            check_pattern(p, Scalar::Text, pat, true, vars, seen);
            check(p, t, vars, seen);
        }
        ExprKind::Is { value, .. } => check(p, value, vars, seen),
        ExprKind::Quant {
            kind,
            var,
            record,
            list,
            body,
        } => {
            seen.insert(format!("Quant{kind:?}{}", var.0));
            assert_eq!(var.0 as usize, vars.len(), "VarId is the nesting depth");
            assert_eq!(list.ty, Type::Records(*record));
            check(p, list, vars, seen);
            let want = match kind {
                Quant::Any | Quant::All | Quant::Count => Scalar::Bool,
                _ => Scalar::Number,
            };
            assert_eq!(s(body), want);
            vars.push(*record);
            check(p, body, vars, seen);
            vars.pop();
        }
        ExprKind::Lookup {
            table,
            key,
            prefix,
            column,
        } => {
            let shape = &p.tables[table.0 as usize].shape;
            let multi = matches!(shape, semaforo_compile::hir::TableShape::Columns(_));
            seen.insert(format!(
                "Lookup{prefix}{}",
                if multi { "Column" } else { "" }
            ));
            assert_eq!(s(key), Scalar::Text);
            assert_eq!(shape.column_types()[*column as usize], s(e));
            check(p, key, vars, seen);
        }
        ExprKind::Key(parts) => {
            seen.insert("Key".into());
            assert!(parts.len() >= 2, "a key has two or more parts");
            assert_eq!(s(e), Scalar::Text);
            for part in parts {
                assert_eq!(s(part), Scalar::Text);
                assert!(!matches!(part.kind, ExprKind::Key(_)), "keys are flattened");
                check(p, part, vars, seen);
            }
        }
    }
}

fn check_pattern(
    p: &Program,
    t: Scalar,
    pat: &Pattern,
    allow_expr: bool,
    vars: &mut Vec<RecordId>,
    seen: &mut BTreeSet<String>,
) {
    match pat {
        Pattern::Expr(e) => {
            assert!(allow_expr, "`in` never takes an expression pattern");
            seen.insert("PatternExpr".into());
            assert_eq!(e.ty, Type::Scalar(Scalar::Text));
            check(p, e, vars, seen);
        }
        Pattern::Inline(items) => {
            seen.insert("PatternInline".into());
            assert!(items.iter().all(|c| c.scalar() == t));
        }
        Pattern::List(id) => {
            seen.insert("PatternList".into());
            assert_eq!(p.lists[id.0 as usize].elem, t);
        }
    }
}

#[test]
fn generated_programs_are_well_typed_and_cover_every_form() {
    let mut seen = BTreeSet::new();
    for seed in 0..300 {
        let g = random_program(seed, &ProgramConfig::default());
        let p = &g.program;
        assert!((2..=4).contains(&p.lanes.len()));
        assert!(
            p.thresholds
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
        );
        let ids: BTreeSet<_> = p.rules.iter().map(|r| &r.id).collect();
        assert_eq!(ids.len(), p.rules.len(), "rule ids are unique");
        for l in &p.lists {
            assert_eq!(l.values.is_none(), g.externals.lists.contains_key(&l.name));
        }
        for t in &p.tables {
            assert!(g.externals.tables.contains_key(&t.name));
        }
        for r in &p.rules {
            if let Some(w) = &r.when {
                assert_eq!(w.ty, Type::Scalar(Scalar::Bool));
                check(p, w, &mut Vec::new(), &mut seen);
            }
            match r.sample {
                Some(0) => seen.insert("SampleNone".into()),
                Some(1_000_000) => seen.insert("SampleAll".into()),
                Some(_) => seen.insert("SampleSome".into()),
                None => seen.insert("Unsampled".into()),
            };
            use semaforo_compile::hir::{LaneAction, Score};
            match &r.score {
                Some(Score::Points(_)) => seen.insert("ScorePoints".into()),
                Some(Score::Expr(e)) => {
                    assert_eq!(e.ty, Type::Scalar(Scalar::Number));
                    check(p, e, &mut Vec::new(), &mut seen);
                    seen.insert("ScoreExpr".into())
                }
                None => seen.insert("NoScore".into()),
            };
            match &r.lane {
                Some(LaneAction::Lane(_)) => seen.insert("Lane".into()),
                Some(LaneAction::Split(shares)) => {
                    assert!(shares.windows(2).all(|w| w[0].1 < w[1].1));
                    assert!(shares.last().is_some_and(|s| s.1 <= 1_000_000));
                    seen.insert("LaneSplit".into())
                }
                None => seen.insert("NoLane".into()),
            };
            if r.monitor {
                seen.insert("Monitor".into());
            }
        }
    }
    let mut missing = Vec::new();
    let mut expect = |name: &str| {
        if !seen.contains(name) {
            missing.push(name.to_string());
        }
    };
    for k in [
        "Const",
        "Today",
        "Field",
        "Neg",
        "Not",
        "And",
        "Or",
        "Arith",
        "DateDiff",
        "Cmp",
        "In",
        "StartsWith",
        "Contains",
        "Is",
        "Quant",
        "Lookup",
        "Len",
    ] {
        expect(k);
    }
    for op in ["Add", "Sub", "Mul", "Div"] {
        expect(&format!("Arith{op}"));
    }
    for op in ["Eq", "Ne", "Lt", "Le", "Gt", "Ge"] {
        expect(&format!("Cmp{op}Number"));
        expect(&format!("Cmp{op}Date"));
    }
    for ty in ["Text", "Bool"] {
        expect(&format!("CmpEq{ty}"));
        expect(&format!("CmpNe{ty}"));
    }
    for q in ["Any", "All", "Count", "Sum", "Min", "Max"] {
        expect(&format!("Quant{q}0"));
    }
    expect("Quant");
    for depth in 1..3 {
        let any_kind = ["Any", "All", "Count", "Sum", "Min", "Max"]
            .iter()
            .any(|q| seen.contains(&format!("Quant{q}{depth}")));
        assert!(any_kind, "no quantifier at depth {depth}: {seen:?}");
    }
    for p in [
        "PatternExpr",
        "PatternInline",
        "PatternList",
        "Lookuptrue",
        "Lookupfalse",
    ] {
        expect(p);
    }
    for s in [
        "SampleNone",
        "SampleAll",
        "SampleSome",
        "Unsampled",
        "ScorePoints",
        "ScoreExpr",
        "NoScore",
        "Lane",
        "LaneSplit",
        "NoLane",
        "Monitor",
        "Key",
        "LookuptrueColumn",
        "LookupfalseColumn",
    ] {
        expect(s);
    }
    assert!(missing.is_empty(), "forms never generated: {missing:?}");
}

#[test]
fn generated_declarations_bind_validate_and_evaluate() {
    let mut fired = 0usize;
    let mut undetermined = 0usize;
    let mut missing_lists = 0usize;
    for seed in 0..200 {
        let g = random_program(seed, &ProgramConfig::default());
        let other = copy_layout(&g.program.layout);
        for input in random_inputs(seed, &g.program.layout, 5) {
            let d = input.recipe.build(&g.program.layout).expect("recipe binds");
            d.validate(&g.program.layout)
                .expect("required fields present");
            // The same recipe binds to a structurally equal layout.
            let d2 = input.recipe.build(&other).expect("recipe binds twice");
            assert_ne!(d.stamp(), d2.stamp());
            let o = evaluate(&g.program, &g.externals, &d, input.today, &input.key);
            let o2 = evaluate(&g.program, &g.externals, &d2, input.today, &input.key);
            assert_eq!(o, o2);
            fired += o.fired.len();
            undetermined += o.undetermined.len();
            missing_lists += input
                .recipe
                .values
                .iter()
                .filter(|v| matches!(v, semaforo_testkit::generate::RecipeValue::Missing))
                .count();
        }
    }
    // The pools make rules fire and stay undetermined often enough to matter.
    assert!(fired > 500, "only {fired} rules fired");
    assert!(undetermined > 200, "only {undetermined} undetermined");
    assert!(missing_lists > 100, "optional fields are rarely missing");
}

#[test]
fn large_programs_reach_the_requested_size() {
    let g = random_program(7, &ProgramConfig::large());
    assert!((200..=2_000).contains(&g.program.rules.len()));
    let inputs = random_inputs(7, &g.program.layout, 2);
    for input in inputs {
        let d = input.recipe.build(&g.program.layout).unwrap();
        let o = evaluate(&g.program, &g.externals, &d, input.today, &input.key);
        assert!(o.fired.len() + o.undetermined.len() <= g.program.rules.len());
    }
}
