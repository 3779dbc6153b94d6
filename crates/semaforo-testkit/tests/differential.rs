//! The optimised plan agrees with the reference interpreter (SPEC §6,
//! reliability): for random programs, external data, declarations, dates
//! and sampling keys, the whole `Outcome` of `lower(..).evaluate(..)` equals
//! `reference::evaluate(..)`.
//!
//! Programs are generated from a seed, so proptest shrinking of the seed is
//! useless; on a mismatch the test minimises the case itself (one rule, the
//! smallest condition, the fewest declaration values that still disagree)
//! and prints it as rule-language text. `SEMAFORO_DIFF_PROGRAMS` overrides
//! the number of programs.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use semaforo_compile::hir::{Const, Expr, ExprKind, Pattern, Program, RuleDef, Scalar, Type};
use semaforo_compile::lower::lower;
use semaforo_plan::{Declaration, EvalContext, Outcome};
use semaforo_testkit::Externals;
use semaforo_testkit::generate::{
    Input, ProgramConfig, Recipe, RecipeValue, clone_rule, program_with_rules, random_inputs,
    random_program,
};
use semaforo_testkit::reference;
use semaforo_testkit::show::{show_program, show_recipe};

/// What evaluating one input gave on each side.
#[derive(Debug, PartialEq, Eq)]
struct Pair {
    plan: Outcome,
    reference: Outcome,
}

/// Evaluates one input on both sides; `Err` if the plan cannot be built or
/// evaluation reports an error.
fn both(p: &Program, x: &Externals, input: &Input) -> Result<Pair, String> {
    let plan = lower(p, x).map_err(|d| format!("lowering failed: {d:#?}"))?;
    let mut plan_decl = Declaration::new(plan.layout());
    input
        .recipe
        .apply(plan.layout(), &mut plan_decl)
        .map_err(|e| format!("binding (plan): {e}"))?;
    let ref_decl = input
        .recipe
        .build(&p.layout)
        .map_err(|e| format!("binding (reference): {e}"))?;
    let mut scratch = plan.new_scratch();
    let mut out = Outcome::default();
    let ctx = EvalContext {
        today: input.today,
        sampling_key: &input.key,
    };
    plan.evaluate(&plan_decl, &ctx, &mut scratch, &mut out)
        .map_err(|e| format!("evaluation failed: {e}"))?;
    let reference = reference::evaluate(p, x, &ref_decl, input.today, &input.key);
    Ok(Pair {
        plan: out,
        reference,
    })
}

fn disagrees(p: &Program, x: &Externals, input: &Input) -> bool {
    match both(p, x, input) {
        Ok(pair) => pair.plan != pair.reference,
        Err(_) => true,
    }
}

/// Every sub-expression position of `e`, as paths of child indices.
fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match &mut e.kind {
        ExprKind::Const(_) | ExprKind::Today | ExprKind::Field { .. } => vec![],
        ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Len(a) => vec![&mut **a],
        ExprKind::Is { value, .. } => vec![&mut **value],
        ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Arith(_, a, b)
        | ExprKind::DateDiff(a, b)
        | ExprKind::Cmp(_, a, b) => vec![&mut **a, &mut **b],
        ExprKind::In { value, list, .. } => {
            let mut v: Vec<&mut Expr> = vec![&mut **value];
            if let Pattern::Expr(p) = list {
                v.push(&mut **p);
            }
            v
        }
        ExprKind::StartsWith(t, p) | ExprKind::Contains(t, p) => {
            let mut v: Vec<&mut Expr> = vec![&mut **t];
            if let Pattern::Expr(p) = p {
                v.push(&mut **p);
            }
            v
        }
        ExprKind::Quant { body, .. } => vec![&mut **body],
        ExprKind::Lookup { key, .. } => vec![&mut **key],
        ExprKind::Key(parts) => parts.iter_mut().collect(),
    }
}

fn count_nodes(e: &mut Expr) -> usize {
    1 + children_mut(e).into_iter().map(count_nodes).sum::<usize>()
}

/// The `n`-th node in pre-order.
fn nth_node(e: &mut Expr, n: usize) -> Option<&mut Expr> {
    fn go<'a>(e: &'a mut Expr, n: &mut usize) -> Option<&'a mut Expr> {
        if *n == 0 {
            return Some(e);
        }
        *n -= 1;
        for c in children_mut(e) {
            if let Some(found) = go(c, n) {
                return Some(found);
            }
        }
        None
    }
    let mut n = n;
    go(e, &mut n)
}

/// Simpler expressions of the same type that could replace `e`: its
/// same-typed children, then constants. Children that read a quantifier
/// variable stay inside their quantifier, as replacements only move
/// sub-trees upwards within a body or out of non-binding nodes.
fn replacements(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    let mut copy = e.clone();
    let binds = matches!(e.kind, ExprKind::Quant { .. });
    if !binds {
        for c in children_mut(&mut copy) {
            if c.ty == e.ty {
                out.push(c.clone());
            }
        }
    }
    let consts: Vec<Const> = match e.ty {
        Type::Scalar(Scalar::Bool) => vec![Const::Bool(true), Const::Bool(false)],
        Type::Scalar(Scalar::Number) => vec![Const::Number(semaforo_plan::Decimal::ZERO)],
        Type::Scalar(Scalar::Text) => vec![Const::Text("".into())],
        _ => vec![],
    };
    if !matches!(e.kind, ExprKind::Const(_)) {
        for c in consts {
            out.push(Expr {
                kind: ExprKind::Const(c),
                ty: e.ty,
                span: e.span,
            });
        }
    }
    out
}

/// A predicate on a case: "it still fails".
type Fails<'a> = &'a dyn Fn(&Program, &Externals, &Input) -> bool;

/// Shrinks a disagreeing case to one rule, a small condition and few
/// declaration values, and renders it.
fn minimise(p: &Program, x: &Externals, input: &Input) -> String {
    let (program, input) = shrink(p, x, input, &disagrees);
    let result = match both(&program, x, &input) {
        Ok(pair) => format!(
            "plan:      {:?}\nreference: {:?}",
            pair.plan, pair.reference
        ),
        Err(e) => e,
    };
    format!(
        "{}\ndeclaration: {}\ntoday: {}\nsampling key: {:02x?}\n{result}",
        show_program(&program, x),
        show_recipe(&program.layout, &input.recipe),
        input.today,
        input.key.0,
    )
}

/// Shrinks a case for which `fails` holds, keeping it failing.
fn shrink(p: &Program, x: &Externals, input: &Input, fails: Fails<'_>) -> (Program, Input) {
    // One rule, if a single rule disagrees on its own.
    let mut rules: Vec<RuleDef> = p.rules.iter().map(clone_rule).collect();
    for r in &p.rules {
        let single = program_with_rules(p, vec![clone_rule(r)]);
        if fails(&single, x, input) {
            rules = vec![clone_rule(r)];
            break;
        }
    }
    // Simplify each rule's condition, node by node, while it disagrees.
    let mut changed = true;
    let mut rounds = 0;
    while changed && rounds < 50 {
        changed = false;
        rounds += 1;
        for i in 0..rules.len() {
            let Some(mut when) = rules[i].when.clone() else {
                continue;
            };
            let total = count_nodes(&mut when);
            'nodes: for n in 0..total {
                let Some(node) = nth_node(&mut when, n) else {
                    break;
                };
                for candidate in replacements(node) {
                    let mut trial = when.clone();
                    if let Some(slot) = nth_node(&mut trial, n) {
                        *slot = candidate;
                    }
                    let mut trial_rules: Vec<RuleDef> = rules.iter().map(clone_rule).collect();
                    trial_rules[i].when = Some(trial.clone());
                    if fails(&program_with_rules(p, trial_rules), x, input) {
                        rules[i].when = Some(trial);
                        changed = true;
                        break 'nodes;
                    }
                }
            }
        }
    }
    let program = program_with_rules(p, rules);
    // Drop declaration values (optional ones to missing, list elements).
    let mut recipe = input.recipe.clone();
    let mut changed = true;
    while changed {
        changed = false;
        for candidate in smaller_recipes(&program, &recipe) {
            let trial = Input {
                recipe: candidate.clone(),
                today: input.today,
                key: input.key.clone(),
            };
            if fails(&program, x, &trial) {
                recipe = candidate;
                changed = true;
                break;
            }
        }
    }
    let input = Input {
        recipe,
        today: input.today,
        key: input.key.clone(),
    };
    (program, input)
}

/// Recipes with one value fewer: an optional field made missing or one list
/// element removed (at any depth).
fn smaller_recipes(p: &Program, recipe: &Recipe) -> Vec<Recipe> {
    fn go(
        layout: &semaforo_plan::Layout,
        record: semaforo_plan::RecordId,
        r: &Recipe,
        out: &mut Vec<Recipe>,
    ) {
        let Some(rec) = layout.record(record) else {
            return;
        };
        for (i, (f, v)) in rec.fields.iter().zip(&r.values).enumerate() {
            if f.optional && *v != RecipeValue::Missing {
                let mut c = r.clone();
                c.values[i] = RecipeValue::Missing;
                out.push(c);
            }
            if let (RecipeValue::List(elements), semaforo_plan::FieldType::List(elem)) = (v, f.ty) {
                for k in 0..elements.len() {
                    let mut c = r.clone();
                    if let RecipeValue::List(es) = &mut c.values[i] {
                        es.remove(k);
                    }
                    out.push(c);
                }
                for (k, e) in elements.iter().enumerate() {
                    let mut inner = Vec::new();
                    go(layout, elem, e, &mut inner);
                    for smaller in inner {
                        let mut c = r.clone();
                        if let RecipeValue::List(es) = &mut c.values[i] {
                            es[k] = smaller;
                        }
                        out.push(c);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    go(&p.layout, semaforo_plan::RecordId(0), recipe, &mut out);
    out
}

/// Runs every input of one generated program through both evaluators,
/// reusing the plan, scratch, outcome and declaration buffers as a host
/// would. Returns a minimised report of the first disagreement.
fn check_program(seed: u64, config: &ProgramConfig, inputs: usize) -> Result<(), String> {
    let g = random_program(seed, config);
    let (p, x) = (&g.program, &g.externals);
    let plan = match lower(p, x) {
        Ok(plan) => plan,
        Err(d) => {
            return Err(format!(
                "seed {seed}: a generated program failed to lower: {d:#?}\n{}",
                show_program(p, x)
            ));
        }
    };
    let mut scratch = plan.new_scratch();
    let mut out = Outcome::default();
    let mut plan_decl = Declaration::new(plan.layout());
    let mut ref_decl = Declaration::new(&p.layout);
    for input in random_inputs(seed, &p.layout, inputs) {
        input.recipe.apply(plan.layout(), &mut plan_decl).unwrap();
        input.recipe.apply(&p.layout, &mut ref_decl).unwrap();
        let ctx = EvalContext {
            today: input.today,
            sampling_key: &input.key,
        };
        let ok = plan.evaluate(&plan_decl, &ctx, &mut scratch, &mut out);
        let expected = reference::evaluate(p, x, &ref_decl, input.today, &input.key);
        if ok.is_err() || out != expected {
            return Err(format!(
                "seed {seed}: plan and reference disagree (evaluate returned {ok:?})\n\
                 --- minimised case ---\n{}",
                minimise(p, x, &input)
            ));
        }
    }
    Ok(())
}

fn programs(default: u32) -> u32 {
    std::env::var("SEMAFORO_DIFF_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    // 4,000 programs x 5 declarations = 20,000 compared evaluations.
    #![proptest_config(Config {
        cases: programs(4_000),
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn plan_agrees_with_reference(seed in any::<u64>()) {
        if let Err(report) = check_program(seed, &ProgramConfig::default(), 5) {
            prop_assert!(false, "{}", report);
        }
    }
}

proptest! {
    #![proptest_config(Config {
        cases: programs(4_000) / 250,
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn plan_agrees_with_reference_on_large_rulesets(seed in any::<u64>()) {
        if let Err(report) = check_program(seed, &ProgramConfig::large(), 4) {
            prop_assert!(false, "{}", report);
        }
    }
}

/// Fixed seeds, so every run covers the same ground as well as new ground.
#[test]
fn plan_agrees_with_reference_on_fixed_seeds() {
    for seed in 0..200 {
        if let Err(report) = check_program(seed, &ProgramConfig::default(), 5) {
            panic!("{report}");
        }
    }
}

#[test]
fn the_minimiser_shrinks_to_one_rule_and_a_constant_condition() {
    // "The reference fires some rule": a failure the shrinker can reduce to
    // a single rule whose condition is a constant.
    let fires = |p: &Program, x: &Externals, input: &Input| {
        let d = input.recipe.build(&p.layout).unwrap();
        !reference::evaluate(p, x, &d, input.today, &input.key)
            .fired
            .is_empty()
    };
    let mut shrunk = 0;
    for seed in 0..40 {
        let g = random_program(seed, &ProgramConfig::default());
        for input in random_inputs(seed, &g.program.layout, 2) {
            if !fires(&g.program, &g.externals, &input) {
                continue;
            }
            let (p, small) = shrink(&g.program, &g.externals, &input, &fires);
            assert!(
                fires(&p, &g.externals, &small),
                "the shrunk case still fails"
            );
            assert_eq!(p.rules.len(), 1);
            match &p.rules[0].when {
                None => {}
                Some(w) => assert_eq!(w.kind, ExprKind::Const(Const::Bool(true)), "{w:?}"),
            }
            // Both evaluators still agree on the shrunk case.
            let pair = both(&p, &g.externals, &small).unwrap();
            assert_eq!(pair.plan, pair.reference);
            shrunk += 1;
        }
    }
    assert!(shrunk > 10, "only {shrunk} cases exercised the shrinker");
}

/// Cut-offs at exactly the draw and one above it: `draw < cutoff` is the
/// boundary random cut-offs almost never hit.
#[test]
fn plan_agrees_with_reference_at_sampling_boundaries() {
    let mut boundary_cases = 0;
    for seed in 0..300 {
        let g = random_program(seed, &ProgramConfig::default());
        let p = &g.program;
        let key_field = p.layout.key().0 as usize;
        for (k, input) in random_inputs(seed, &p.layout, 3).into_iter().enumerate() {
            let RecipeValue::Text(key_value) = &input.recipe.values[key_field] else {
                panic!("the key field is always set");
            };
            let rules: Vec<RuleDef> = p
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut r = clone_rule(r);
                    if r.sample.is_some() || i % 2 == 0 {
                        let draw = reference::reference_draw(&input.key, &r.id, key_value);
                        r.sample = Some(draw + u32::from((i + k) % 2 == 1));
                        boundary_cases += 1;
                    }
                    r
                })
                .collect();
            let q = program_with_rules(p, rules);
            if disagrees(&q, &g.externals, &input) {
                panic!(
                    "seed {seed}: plan and reference disagree at a sampling boundary\n{}",
                    minimise(&q, &g.externals, &input)
                );
            }
        }
    }
    assert!(boundary_cases > 1_000);
}
