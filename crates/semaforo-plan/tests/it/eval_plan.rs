//! The plan and evaluator through `PlanBuilder` directly: invariants kept
//! by the builder, layout checks, sharing across threads.
//!
//! These stay hand-built: they test the plan crate's own API, below the
//! compiler, which rule text cannot reach (the plan crate depends on no
//! parser or checker). The language's semantics are tested by the vectors
//! under `tests/data/eval/`.

use crate::eval_support;

use eval_support::*;
use semaforo_plan::plan::{Base, CmpOp, MAX_DEPTH, Op, OpId, TextId};
use semaforo_plan::{
    Constant, Declaration, EvalError, Outcome, Plan, PlanBuilder, PlanError, Scratch, sample,
};

/// Hand-built: a property of the types, not of any evaluation.
#[test]
fn plan_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Plan>();
    assert_send_sync::<Scratch>();
    assert_send_sync::<Outcome>();
}

/// Hand-built: one plan shared by threads through `Arc`, each with its own
/// buffers; a vector runner evaluates on one thread.
#[test]
fn plans_evaluate_in_parallel() {
    let plan = std::sync::Arc::new(everything());
    let mut expected = Vec::new();
    let mut d = Declaration::new(plan.layout());
    let mut s = plan.new_scratch();
    for k in 0..50 {
        fill(&plan, &mut d, k);
        let mut out = Outcome::default();
        plan.evaluate(&d, &ctx(), &mut s, &mut out).unwrap();
        expected.push(out);
    }
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let plan = plan.clone();
            std::thread::spawn(move || {
                let mut d = Declaration::new(plan.layout());
                let mut s = plan.new_scratch();
                (0..50)
                    .map(|k| {
                        fill(&plan, &mut d, k);
                        let mut out = Outcome::default();
                        plan.evaluate(&d, &ctx(), &mut s, &mut out).unwrap();
                        out
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected);
    }
}

/// Hand-built: a declaration buffer made for another plan is an API misuse
/// that the facade's types rule out, so only the plan's API can show it.
#[test]
fn layout_mismatch() {
    let plan = everything();
    let other = everything();
    // Same schema, but a buffer made for another plan's layout.
    let d = Declaration::new(other.layout());
    let mut out = Outcome::default();
    let err = plan
        .evaluate(&d, &ctx(), &mut plan.new_scratch(), &mut out)
        .unwrap_err();
    assert_eq!(err, EvalError::LayoutMismatch);
    let d = Declaration::new(plan.layout());
    assert!(
        plan.evaluate(&d, &ctx(), &mut plan.new_scratch(), &mut out)
            .is_ok()
    );
}

/// Hand-built: ids, lanes, sets and depth that the compiler never produces,
/// rejected by `PlanBuilder` itself.
#[test]
fn builder_rejects_bad_ids_and_depth() {
    let mut b = PlanBuilder::new("x", "1", &[], layout());
    assert!(matches!(
        b.push(Op::Not(OpId(0))),
        Err(PlanError::BadId { what: "op", .. })
    ));
    assert!(matches!(
        b.push(Op::Text(TextId(3))),
        Err(PlanError::BadId { what: "text", .. })
    ));
    assert_eq!(b.threshold(3, 10), Err(PlanError::BadLane(3)));
    let mut e = b.push(Op::Bool(true)).unwrap();
    for i in 1..MAX_DEPTH {
        e = b
            .push(Op::Not(e))
            .unwrap_or_else(|err| panic!("depth {i}: {err}"));
    }
    assert_eq!(b.push(Op::Not(e)), Err(PlanError::TooDeep));
    let mut r = info("R");
    r.lane = Some(9);
    assert_eq!(b.rule(r, None), Err(PlanError::BadLane(9)));
    assert!(matches!(
        b.in_set(&[Constant::Bool(true), Constant::Text("x".into())]),
        Err(PlanError::Set(_))
    ));
    assert!(matches!(
        b.table(
            &[
                ("a".into(), Constant::Bool(true)),
                ("a".into(), Constant::Bool(false))
            ],
            true
        ),
        Err(PlanError::Set(_))
    ));
}

/// Hand-built: op ids and the op count are the builder's API, not visible
/// in an outcome.
#[test]
fn builder_hash_conses() {
    let mut b = PlanBuilder::new("x", "1", &["low", "high"], layout());
    let f1 = b
        .push(Op::Field {
            base: Base::Root,
            field: ORIGIN,
        })
        .unwrap();
    let f2 = b
        .push(Op::Field {
            base: Base::Root,
            field: ORIGIN,
        })
        .unwrap();
    assert_eq!(f1, f2);
    let c1 = b.constant(&Constant::Text("CN".into())).unwrap();
    let c2 = b.constant(&Constant::Text("CN".into())).unwrap();
    assert_eq!(c1, c2);
    let e1 = b.push(Op::Cmp(CmpOp::Eq, f1, c1)).unwrap();
    let e2 = b.push(Op::Cmp(CmpOp::Eq, f2, c2)).unwrap();
    assert_eq!(e1, e2);
    let e3 = b.push(Op::Cmp(CmpOp::Ne, f2, c2)).unwrap();
    assert_ne!(e1, e3);
    let plan = b.build();
    assert_eq!(plan.op_count(), 4);
    assert_eq!(plan.lanes().len(), 2);
}

/// Hand-built: the plan built by `PlanBuilder` without the compiler, every
/// op kind in it, checked for the outcome's invariants (order, disjointness,
/// draws, score and lane) on 200 generated declarations.
#[test]
fn everything_plan_behaves() {
    let plan = everything();
    let mut d = Declaration::new(plan.layout());
    let mut s = plan.new_scratch();
    let mut out = Outcome::default();
    let idx = |id: &str| plan.rules().iter().position(|r| &*r.id == id).unwrap() as u32;
    let mut seen_fired = vec![false; plan.rules().len()];
    let mut seen_und = vec![false; plan.rules().len()];
    for k in 0..200 {
        fill(&plan, &mut d, k);
        plan.evaluate(&d, &ctx(), &mut s, &mut out).unwrap();
        // Score is 10 per fired rule, lane follows the thresholds unless AND fired.
        assert_eq!(out.score, 10 * out.fired.len() as i64);
        let and_fired = out.fired.iter().any(|f| f.rule == idx("AND"));
        let by_threshold = if out.score >= 60 {
            2
        } else if out.score >= 20 {
            1
        } else {
            0
        };
        assert_eq!(out.lane, if and_fired { 2 } else { by_threshold });
        // Fired and undetermined are in ruleset order and disjoint.
        assert!(out.fired.windows(2).all(|w| w[0].rule < w[1].rule));
        assert!(out.undetermined.windows(2).all(|w| w[0] < w[1]));
        for f in &out.fired {
            assert!(!out.undetermined.contains(&f.rule));
            seen_fired[f.rule as usize] = true;
            let info = &plan.rules()[f.rule as usize];
            match info.sample {
                None => assert_eq!(f.draw, None),
                Some(cut) => {
                    let key = format!("D{k:04}");
                    let draw = sample::draw(ctx().sampling_key, &info.id, &key);
                    assert_eq!(f.draw, Some(draw));
                    assert!(draw < cut);
                }
            }
        }
        for &u in &out.undetermined {
            seen_und[u as usize] = true;
        }
        // IN-TEXT: origin CN or HK fires, GT does not, missing is undetermined.
        let in_text = idx("IN-TEXT");
        let fired = out.fired.iter().any(|f| f.rule == in_text);
        let und = out.undetermined.contains(&in_text);
        let want = match origin(k) {
            None => (false, true),
            Some("GT") => (false, false),
            Some(_) => (true, false),
        };
        assert_eq!((fired, und), want, "declaration {k}");
        assert!(out.fired.iter().any(|f| f.rule == idx("ALWAYS")));
    }
    // Every rule fires on some declaration.
    for (i, r) in plan.rules().iter().enumerate() {
        assert!(seen_fired[i], "rule {} never fired", r.id);
    }
    assert!(seen_und.iter().any(|&u| u));
}
