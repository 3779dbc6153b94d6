//! Hand-built checked programs, lowered: what only the plan's API shows.
//!
//! The semantics of SPEC §3.4–§3.8 (Kleene logic, quantifiers, comparisons,
//! decimals, `in`, `starts with`, `contains`, lookups, active windows,
//! thresholds and lanes, sampling) are evaluation vectors under
//! `tests/data/eval/` (`logic`, `quantifiers`, `comparisons`, `rounding`,
//! `builtins`, `membership`, `prefixes`, `casefold`, `prefix_lookup`,
//! `windows`, `thresholds`, `draws`, `sharing`), written as rule text and run
//! through the plan, `explain`, the CLI and the C ABI. What stays here
//! cannot be written as a vector: it reads the plan itself (its op count,
//! its rule records) or reuses its buffers, none of which an outcome shows.

use crate::lower_common;

use lower_common::*;
use semaforo_compile::hir::{Cmp, LaneAction, Score};

/// Hand-built: the op count is a property of the plan, not of any outcome
/// (the outcomes of the same two rules are the `sharing` vector).
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
}

/// Hand-built: the rule records (`Plan::rules`), name, version and lanes
/// are the plan's API, read by hosts before any evaluation.
#[test]
fn plan_metadata() {
    let mut r = rule("R-1", None);
    r.notes = vec!["n1".into(), "n2".into()];
    r.score = Some(Score::Points(5));
    r.lane = Some(LaneAction::Lane(lane(1)));
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

/// Hand-built: reusing one `Scratch` and `Outcome` across evaluations is
/// the plan's calling convention; a vector evaluates each line once.
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
