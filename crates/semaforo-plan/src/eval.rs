//! The evaluator: one bound declaration through a [`Plan`] into an
//! [`Outcome`] (SPEC §3.4–§3.8).
//!
//! Only the candidate rules of the plan's rule index are evaluated (see
//! `crate::index`: a rule is skipped only when one of its top-level
//! conjuncts is certainly *false*, so skipping never changes an outcome);
//! candidates are kept in a bitset of the [`Scratch`] and evaluated in
//! ruleset order.
//!
//! Evaluation is a recursive walk over the op arena. Its depth is bounded by
//! the plan's INVARIANT (depth) (at most [`crate::plan::MAX_DEPTH`] levels,
//! kept by `PlanBuilder::push`), so untrusted rule text cannot overflow the
//! stack here. The small helpers of `eval` are forced inline only in
//! optimised builds (`cfg_attr(not(debug_assertions), ..)`): an unoptimised
//! build gives every inlined copy its own stack slots, which nearly doubled
//! the debug frame of `eval` and with it the stack a deep condition needs. Evaluation performs no heap allocation once the scratch
//! buffers have grown to the sizes the declarations need: values borrow
//! from the declaration or the plan, quantifier variables live in a fixed
//! array of the [`Scratch`], the lowercased haystack of `contains` in a
//! reused `String` of it, and the [`Outcome`]'s vectors keep their capacity.
//!
//! Missing values follow SPEC §3.6; where the spec is silent:
//! - a record list that is itself missing (an optional list field that is
//!   absent, as opposed to present and empty) makes `any`/`all` *unknown*
//!   and `count`/`sum`/`min`/`max` *missing*: nothing can be said about
//!   elements we were not given;
//! - `sum` stops at the first overflow and is *missing*;
//! - a sampled rule on a declaration whose key field is missing (only
//!   possible for a buffer that was never validated) draws over the empty
//!   key.

use crate::date::Date;
use crate::decimal::Decimal;
use crate::decl::{Declaration, Node, Slot};
use crate::index::Candidates;
use crate::memo::{self, Memo};
use crate::outcome::{Fired, Outcome, Overridden};
use crate::plan::{
    ArithOp, Base, CmpOp, HotRule, Op, OpId, PartsId, Plan, QuantId, QuantKind, TableRef,
};
use crate::sample::{self, SamplingKey};
use crate::shape::{Leaf, Lit, Read, Shape, Term, Test};
use crate::text::contains_ci;
use crate::value::Value;

pub(crate) mod batch;

/// The fewest rules for which evaluation reads every candidate's record
/// before evaluating any: in a smaller plan they are in the cache already,
/// and the extra pass only costs instructions.
const TOUCH_MIN_RULES: usize = 1024;

/// What the host supplies for one evaluation besides the declaration.
///
/// The sampling key is borrowed: building a context per evaluation copies
/// no secret (and wipes none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalContext<'k> {
    /// The evaluation date (`today`, and the day active windows are checked
    /// against).
    pub today: Date,
    /// The host's secret sampling key.
    pub sampling_key: &'k SamplingKey,
}

/// Why a declaration could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The declaration buffer was made for another layout (another plan).
    #[error("the declaration was bound to a different layout than the plan's")]
    LayoutMismatch,
}

/// Everything evaluation writes besides the outcome, created by
/// [`Plan::new_scratch`] and reused across declarations. A scratch may be
/// used with any plan (it grows if needed), but one per thread.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    /// Bound quantifier variables, indexed by nesting depth.
    vars: Vec<Node>,
    /// The lowercased texts of `contains` (the haystack of a set's
    /// search, or a pattern known only when evaluating and its haystack).
    lower: String,
    /// The rule index's work buffers.
    candidates: Candidates,
    /// The candidate rules in ruleset order (capacity: every rule).
    list: Vec<u32>,
    /// Buffers for composite keys, one per nesting level (a `key(...)`
    /// inside the key of a lookup inside a `key(...)` needs two).
    keys: Vec<String>,
    /// The values of shared subexpressions (see `crate::memo`).
    memo: Memo,
    /// The batched rules of a declaration (see [`batch`]).
    batch: Vec<batch::Entry>,
}

struct Cx<'a, 's> {
    decl: &'a Declaration,
    today: Date,
    vars: &'s mut [Node],
    lower: &'s mut String,
    /// The key buffers, and how many are in use.
    keys: &'s mut [String],
    key_level: usize,
    /// The memo's entries, valid for `generation` (see `crate::memo`).
    memo: &'s mut [memo::Entry],
    generation: u32,
}

/// A text operand: a value, or a composite key built into a scratch
/// buffer, which [`Plan::release`] gives back.
enum Operand<'a> {
    Value(Value<'a>),
    Key {
        /// The key's text (complete only if `present`).
        buf: String,
        /// Which key buffer it came from.
        level: usize,
        /// No part was *missing*.
        present: bool,
    },
}

impl Operand<'_> {
    /// The operand's value.
    #[inline]
    fn value(&self) -> Value<'_> {
        match self {
            Operand::Value(v) => *v,
            Operand::Key {
                buf, present: true, ..
            } => Value::Text(buf),
            Operand::Key { .. } => Value::Missing,
        }
    }
}

/// The number of characters of `t` (`len`): for ASCII, checked a word at
/// a time, its byte length (`chars().count()` walks short texts byte by
/// byte).
#[inline]
fn char_count(t: &str) -> usize {
    if t.is_ascii() {
        t.len()
    } else {
        t.chars().count()
    }
}

/// Kleene truth of a value: `Some(b)` for a boolean, `None` for unknown.
#[inline]
fn truth(v: Value<'_>) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

#[inline]
fn kleene(v: Option<bool>) -> Value<'static> {
    v.map_or(Value::Missing, Value::Bool)
}

#[inline]
fn num(d: Option<Decimal>) -> Value<'static> {
    d.map_or(Value::Missing, Value::Number)
}

impl Plan {
    /// A scratch sized for this plan.
    pub fn new_scratch(&self) -> Scratch {
        Scratch {
            vars: vec![Node::ROOT; self.vars],
            lower: String::with_capacity(256),
            candidates: Candidates::for_index(&self.index),
            list: Vec::with_capacity(self.hot.len()),
            keys: vec![String::with_capacity(64); self.key_depth],
            memo: Memo::with_slots(self.memo.len()),
            batch: Vec::with_capacity(self.batches.len()),
        }
    }

    /// Evaluates one bound declaration into `out` (cleared first).
    ///
    /// # Errors
    /// [`EvalError::LayoutMismatch`] if `decl` was not made with
    /// `Declaration::new(self.layout())`.
    pub fn evaluate(
        &self,
        decl: &Declaration,
        ctx: &EvalContext<'_>,
        scratch: &mut Scratch,
        out: &mut Outcome,
    ) -> Result<(), EvalError> {
        if decl.stamp() != self.layout.stamp() {
            return Err(EvalError::LayoutMismatch);
        }
        out.clear();
        if scratch.vars.len() < self.vars {
            // Only for a scratch made for another plan: grows once.
            scratch.vars.resize(self.vars, Node::ROOT);
        }
        if scratch.keys.len() < self.key_depth {
            scratch.keys.resize(self.key_depth, String::new());
        }
        // A plan without shared subexpressions (most small ones) never
        // reads the memo: its generation need not move.
        let generation = if self.memo.len() > 0 {
            scratch.memo.next(self.memo.len())
        } else {
            0
        };
        let list = &mut scratch.list;
        let proof = self.index.candidates(decl, &mut scratch.candidates, list);
        let mut cx = Cx {
            decl,
            today: ctx.today,
            vars: &mut scratch.vars,
            lower: &mut scratch.lower,
            keys: &mut scratch.keys,
            key_level: 0,
            memo: &mut scratch.memo.entries,
            generation,
        };
        // The candidates as a list first, then one pass that reads each
        // candidate's records, so their cache misses overlap instead of
        // waiting on one another.
        if list.len() > 1 && self.hot.len() >= TOUCH_MIN_RULES {
            let mut touched = 0u64;
            for &index in list.iter() {
                touched ^= self
                    .hot
                    .get(index as usize)
                    .map_or(0, |r| u64::from(r.sample));
                if let Some(op) = self.index.touch(index) {
                    // Its first op too (a quantifier or a comparison).
                    let first = self.ops.get(op.0 as usize);
                    touched ^= u64::from(matches!(first, Some(Op::Quant(_))));
                }
            }
            std::hint::black_box(touched);
        }
        // The batched rules first, in one pass over their list; each is
        // then decided from what the pass found (INVARIANT (batch)).
        let mut batched = self.run_batch(list, proof, ctx.today, &mut cx, &mut scratch.batch);
        let mut lane = 0u16;
        for &index in list.iter() {
            let pre = batched.take(index);
            self.run_rule(index, proof, ctx, &mut cx, out, &mut lane, pre);
        }
        for &(l, min) in self.thresholds_for(decl) {
            if out.score >= min {
                lane = lane.max(l);
            }
        }
        out.lane = lane;
        Ok(())
    }

    /// Evaluates candidate rule `index` and records what it decides;
    /// `proof` is what the rule index proved for the declaration, `pre`
    /// the truth of its condition if the batch pass found it.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the evaluation state, passed apart to borrow it apart
    fn run_rule<'a>(
        &'a self,
        index: u32,
        proof: u64,
        ctx: &EvalContext<'_>,
        cx: &mut Cx<'a, '_>,
        out: &mut Outcome,
        lane: &mut u16,
        pre: Option<Option<bool>>,
    ) {
        // Most batched rules are false, and the pass checked what the
        // steps below check (active, not inert, no override).
        if pre == Some(Some(false)) {
            return;
        }
        let Some(rule) = self.hot.get(index as usize) else {
            return;
        };
        if rule.flags & (HotRule::INERT | HotRule::OVERLAY) != 0 {
            if rule.flags & HotRule::INERT == 0 {
                self.run_overlaid(index, proof, ctx, cx, out, lane);
            }
            return;
        }
        if !rule.is_active(ctx.today) {
            return;
        }
        let monitor = rule.flags & HotRule::MONITOR != 0;
        let Some(draw) = self.decide(index, rule, proof, ctx, cx, out, !monitor, pre) else {
            return;
        };
        let mut entry = Fired {
            rule: index,
            draw,
            lane_draw: None,
            lane: (rule.flags & HotRule::LANE != 0).then_some(rule.lane),
            points: rule.score,
        };
        if rule.flags & (HotRule::SCORE_EXPR | HotRule::SPLIT) != 0 {
            let info = self.rules.get(index as usize);
            let score_expr = info.and_then(|i| i.score_expr);
            let split = info.map_or(&[][..], |i| &i.split);
            self.rule_extras(index, rule.flags, score_expr, split, ctx, cx, &mut entry);
        }
        Self::record(entry, monitor, out, lane);
    }

    /// Whether candidate rule `index`, active on the evaluation date, is
    /// selected: its condition *true* and, if it samples, its draw below
    /// the cut-off. `Some(draw)` if so. A condition that is *unknown* lists
    /// the rule as undetermined when `listed`. `pre` is the condition's
    /// truth if the batch pass found it.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the evaluation state, passed apart to borrow it apart
    fn decide<'a>(
        &'a self,
        index: u32,
        rule: &HotRule,
        proof: u64,
        ctx: &EvalContext<'_>,
        cx: &mut Cx<'a, '_>,
        out: &mut Outcome,
        listed: bool,
        pre: Option<Option<bool>>,
    ) -> Option<Option<u32>> {
        let when = match (pre, rule.cond) {
            (Some(found), _) => found,
            (None, None) => Some(true),
            // The index proved some conjuncts true: the others decide.
            (None, Some(op)) => match self.index.rest(index, proof) {
                Some(parts) => self.eval_chain::<false>(parts, cx),
                None => truth(self.eval(op, cx)),
            },
        };
        match when {
            Some(true) => {}
            Some(false) => return None,
            None => {
                // A shadow rule whose condition is unknown is listed nowhere.
                if listed {
                    out.undetermined.push(index);
                }
                return None;
            }
        }
        if rule.sample == u32::MAX {
            return Some(None);
        }
        // Only sampled rules read the descriptive record (for the id).
        let id = self.rules.get(index as usize).map_or("", |r| &r.id);
        let d = sample::draw(ctx.sampling_key, id, self.key_text(cx.decl));
        (d < rule.sample).then_some(Some(d))
    }

    /// Adds a fired rule (or a shadow rule that would have fired) to the
    /// outcome.
    #[inline]
    fn record(entry: Fired, monitor: bool, out: &mut Outcome, lane: &mut u16) {
        if monitor {
            out.monitored.push(entry);
        } else {
            out.fired.push(entry);
            out.score = out.score.saturating_add(entry.points);
            if let Some(l) = entry.lane {
                *lane = (*lane).max(l);
            }
        }
    }

    /// A rule with an override: as its package defines it when the
    /// override does not apply on the evaluation date; otherwise as the
    /// override makes it, listed in `overridden` when it fires either way.
    #[cold]
    #[inline(never)]
    fn run_overlaid<'a>(
        &'a self,
        index: u32,
        proof: u64,
        ctx: &EvalContext<'_>,
        cx: &mut Cx<'a, '_>,
        out: &mut Outcome,
        lane: &mut u16,
    ) {
        let (Some(rule), Some(info)) =
            (self.hot.get(index as usize), self.rules.get(index as usize))
        else {
            return;
        };
        let Some(ov) = info.overlay.as_deref() else {
            return;
        };
        let monitor = rule.flags & HotRule::MONITOR != 0;
        let (score_expr, split, flags, points, fixed_lane, original, applied) =
            if ov.in_effect(ctx.today) {
                let flags = (rule.flags & HotRule::MONITOR)
                    | if ov.score_expr.is_some() {
                        HotRule::SCORE_EXPR
                    } else {
                        0
                    }
                    | if ov.split.is_empty() {
                        0
                    } else {
                        HotRule::SPLIT
                    };
                (
                    ov.score_expr,
                    &ov.split[..],
                    flags,
                    ov.score.unwrap_or(0),
                    ov.lane,
                    Some(rule.is_active(ctx.today)),
                    ov.is_active(ctx.today),
                )
            } else {
                (
                    info.score_expr,
                    &info.split[..],
                    rule.flags,
                    rule.score,
                    info.lane,
                    None,
                    rule.is_active(ctx.today),
                )
            };
        if !applied && original != Some(true) {
            return;
        }
        // Undetermined only as the rule applies (never when disabled).
        let Some(draw) = self.decide(index, rule, proof, ctx, cx, out, applied && !monitor, None)
        else {
            return;
        };
        if applied {
            let mut entry = Fired {
                rule: index,
                draw,
                lane_draw: None,
                lane: fixed_lane,
                points,
            };
            if flags & (HotRule::SCORE_EXPR | HotRule::SPLIT) != 0 {
                self.rule_extras(index, flags, score_expr, split, ctx, cx, &mut entry);
            }
            Self::record(entry, monitor, out, lane);
        }
        if let Some(original) = original {
            out.overridden.push(Overridden {
                rule: index,
                original,
                applied,
            });
        }
    }

    /// The points of a `score EXPR` and the lane of a lane split, for a
    /// rule that fires (or a shadow rule that would). Not marked cold: in a
    /// scorecard every rule scores by an expression.
    #[allow(clippy::too_many_arguments)] // the evaluation state, passed apart to borrow it apart
    fn rule_extras<'a>(
        &'a self,
        index: u32,
        flags: u8,
        score_expr: Option<OpId>,
        split: &[(u16, u32)],
        ctx: &EvalContext<'_>,
        cx: &mut Cx<'a, '_>,
        entry: &mut Fired,
    ) {
        if flags & HotRule::SCORE_EXPR != 0 {
            entry.points = match score_expr.map(|op| self.eval(op, cx)) {
                Some(Value::Number(n)) => n.to_points(),
                _ => 0,
            };
        }
        if flags & HotRule::SPLIT != 0 {
            let id = self.rules.get(index as usize).map_or("", |r| &r.id);
            let d = sample::lane_draw(ctx.sampling_key, id, self.key_text(cx.decl));
            entry.lane_draw = Some(d);
            entry.lane = split.iter().find(|&&(_, cut)| d < cut).map(|&(l, _)| l);
        }
    }

    /// The Kleene `and` of `parts` (`OR == false`; *true* when empty) or
    /// their Kleene `or` (`OR == true`; *false* when empty), evaluated in
    /// order and stopping at the first operand that decides (*false* for
    /// `and`, *true* for `or`): evaluation has no side effects, so stopping
    /// early changes nothing but the time taken.
    #[inline]
    fn eval_chain<'a, const OR: bool>(
        &'a self,
        parts: &[OpId],
        cx: &mut Cx<'a, '_>,
    ) -> Option<bool> {
        let mut all = Some(!OR);
        for &p in parts {
            match truth(self.eval(p, cx)) {
                Some(b) if b == OR => return Some(OR),
                Some(_) => {}
                None => all = None,
            }
        }
        all
    }

    /// The thresholds that decide `decl`: its group's, if the ruleset has
    /// groups and the declaration's group field holds one of their values,
    /// the general ones otherwise.
    #[inline]
    fn thresholds_for(&self, decl: &Declaration) -> &[(u16, i64)] {
        if let Some(g) = &self.groups
            && let Slot::Text { start, len } = decl.slot(Node::ROOT, g.field)
            && let Some(i) = g.values.find(decl.text(start, len))
            && let Some(list) = g.lists.get(i as usize)
        {
            return list;
        }
        &self.thresholds
    }

    fn key_text<'a>(&self, decl: &'a Declaration) -> &'a str {
        match decl.slot(Node::ROOT, self.layout.key()) {
            Slot::Text { start, len } => decl.text(start, len),
            _ => "",
        }
    }

    #[inline]
    fn node(cx: &Cx<'_, '_>, base: Base) -> Option<Node> {
        match base {
            Base::Root => Some(Node::ROOT),
            Base::Var(v) => cx.vars.get(v as usize).copied(),
        }
    }

    /// The value of a scalar field.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn field<'a>(base: Base, field: crate::layout::FieldId, cx: &Cx<'a, '_>) -> Value<'a> {
        match Self::node(cx, base) {
            Some(node) => value_at(cx.decl, node, field),
            None => Value::Missing,
        }
    }

    /// A [`Test::Terms`] leaf for element `node`: its two terms, in
    /// order, compared as `Op::Cmp` compares its operands. Out of line:
    /// its general terms would enlarge the frame of the quantifier loop
    /// it is called from.
    #[inline(never)]
    fn terms_truth<'a>(
        &'a self,
        k: CmpOp,
        (a, b): (u32, u32),
        var: u32,
        node: Node,
        cx: &mut Cx<'a, '_>,
    ) -> Option<bool> {
        self.bind(cx, var, node);
        let (ta, tb) = (self.shapes.term(a)?, self.shapes.term(b)?);
        // A quotient of two fields compared with a number (a unit value
        // against a reference) is ordered without dividing
        // (`Decimal::cmp_quotient`). Terms are pure, so computing the
        // other side first changes no value.
        if let Term::Arith(ArithOp::Div, v, w) = ta {
            let y = self.term(tb, node, cx);
            return quotient_truth(k, cx.decl, node, (v, w), y, false);
        }
        if let Term::Arith(ArithOp::Div, v, w) = tb {
            let x = self.term(ta, node, cx);
            return quotient_truth(k, cx.decl, node, (v, w), x, true);
        }
        let x = self.term(ta, node, cx);
        let y = self.term(tb, node, cx);
        compare_truth(k, x, y)
    }

    /// A [`Test::IsOp`] leaf for element `node`, as `Op::Is` computes it
    /// (out of line, as [`Plan::terms_truth`]).
    #[inline(never)]
    fn is_op<'a>(
        &'a self,
        op: OpId,
        present: bool,
        var: u32,
        node: Node,
        cx: &mut Cx<'a, '_>,
    ) -> Option<bool> {
        self.bind(cx, var, node);
        Some((self.term_op(op, cx) != Value::Missing) == present)
    }

    /// The value of a [`Term`] for element `node` (the quantifier's
    /// variable bound to it): the value of the op it was made from.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn term<'a>(&'a self, t: Term, node: Node, cx: &mut Cx<'a, '_>) -> Value<'a> {
        let decl = cx.decl;
        let read = |r| read_slot(decl, node, r);
        match t {
            Term::Field(r) => slot_value(decl, read(r)),
            Term::Lit(c) => self.lit(c),
            Term::Arith(op, v, w) => num(arith_slots(op, read(v), read(w))),
            Term::OpArith(x, op, c) => match self.term_op(x, cx) {
                Value::Number(x) => num(arith_numbers(op, x, c)),
                _ => Value::Missing,
            },
            Term::Op(id) => self.term_op(id, cx),
        }
    }

    /// The value of op `id` as [`Plan::operand`] gives it, a remembered
    /// lookup or quantifier read through the memo directly, as
    /// [`Plan::eval`] would after its dispatch (a term's op is most often
    /// the `lookup_prefix` two leaves of one body share).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn term_op<'a>(&'a self, id: OpId, cx: &mut Cx<'a, '_>) -> Value<'a> {
        match self.ops.get(id.0 as usize) {
            // The lookup and its memo in line: no call of
            // `eval_remembered` and no second dispatch on the op.
            Some(&Op::Lookup(t, k)) if !self.is_key(k) => {
                return match self.memo.slot(id) {
                    Some(slot) => self.remembered(slot, cx, |cx| self.lookup(t, k, cx)),
                    None => self.lookup(t, k, cx),
                };
            }
            Some(&op @ Op::Quant(_)) => {
                if let Some(slot) = self.memo.slot(id) {
                    return self.eval_remembered(slot, op, cx);
                }
            }
            _ => {}
        }
        self.operand(id, cx)
    }

    /// The truth of a shaped body's leaves for element `node` (see
    /// `crate::shape`): their Kleene `and`, in order, stopping at the
    /// first *false* as [`Plan::eval_chain`] does.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn leaves_truth<'a>(
        &'a self,
        leaves: &[Leaf],
        node: Node,
        cx: &mut Cx<'a, '_>,
    ) -> Option<bool> {
        let mut all = Some(true);
        for leaf in leaves {
            match self.leaf(leaf, node, cx) {
                Some(false) => return Some(false),
                Some(true) => {}
                None => all = None,
            }
        }
        all
    }

    /// One leaf for element `node`: what the op it was made from gives
    /// (INVARIANT (same answer) of `crate::shape`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn leaf<'a>(&'a self, leaf: &Leaf, node: Node, cx: &mut Cx<'a, '_>) -> Option<bool> {
        let decl = cx.decl;
        let read = |r| read_slot(decl, node, r);
        // The field is read before the test is looked at, even for
        // `Const` (a slot read, and only in bodies such as `count(it in
        // items: true)`): testing for `Const` first cost +24 instructions
        // per declaration at N = 10,000, where no leaf is constant.
        let t = match (leaf.test, read(leaf.read)) {
            (Test::Const(b), _) => Some(b),
            // The common forms, read from the slot; a slot of another
            // type is what `compare` and the text operators call *unknown*.
            (
                Test::Cmp {
                    k,
                    c: Lit::Number(c),
                    left,
                },
                Slot::Number(x),
            ) => Some(holds(k, if left { x.cmp(&c) } else { c.cmp(&x) })),
            (
                Test::Cmp {
                    c: Lit::Number(_), ..
                },
                _,
            ) => None,
            (Test::Fields(k, r), Slot::Number(x)) => match read(r) {
                Slot::Number(y) => Some(holds(k, x.cmp(&y))),
                _ => None,
            },
            // Text against a text constant: `==` and `!=` compare bytes,
            // as `compare` compares the texts (the other comparisons are
            // *unknown* for text, and take the general arm below).
            (
                Test::Cmp {
                    k: k @ (CmpOp::Eq | CmpOp::Ne),
                    c: Lit::Text(t),
                    ..
                },
                Slot::Text { start, len },
            ) => Some(
                same_bytes(decl.text_bytes(start, len), self.text(t).as_bytes())
                    == (k == CmpOp::Eq),
            ),
            (Test::StartsWith(p), Slot::Text { start, len }) => Some(starts_with_bytes(
                decl.text_bytes(start, len),
                self.text(p).as_bytes(),
            )),
            (Test::StartsWithAny(s), Slot::Text { start, len }) => Some(
                self.prefix_sets
                    .get(s.0 as usize)?
                    .matches(decl.text_bytes(start, len)),
            ),
            (Test::Contains(p), Slot::Text { start, len }) => {
                Some(contains_ci(decl.text(start, len), self.text(p), cx.lower))
            }
            (Test::ContainsAny(s), Slot::Text { start, len }) => Some(
                self.contains_sets
                    .get(s.0 as usize)?
                    .matches(decl.text(start, len), cx.lower),
            ),
            (
                Test::StartsWith(_)
                | Test::StartsWithAny(_)
                | Test::Contains(_)
                | Test::ContainsAny(_),
                _,
            ) => None,
            // `len` as `Op::Len` computes it, then compared as numbers.
            (Test::Len { k, c, left }, Slot::Text { start, len }) => {
                let n = Decimal::from_i64(char_count(decl.text(start, len)) as i64);
                Some(holds(k, if left { n.cmp(&c) } else { c.cmp(&n) }))
            }
            (Test::Len { .. }, _) => None,
            // `v op w` as `Op::Arith` computes it (*missing* unless both
            // are numbers and the result is in range), then compared.
            (Test::Arith { op, w, k, c, left }, Slot::Number(x)) => match read(w) {
                Slot::Number(y) => {
                    let z = arith_numbers(op, x, y)?;
                    Some(holds(k, if left { z.cmp(&c) } else { c.cmp(&z) }))
                }
                _ => None,
            },
            (Test::Arith { .. }, _) => None,
            (Test::Terms { k, a, b, var }, _) => self.terms_truth(k, (a, b), var, node, cx),
            (Test::IsOp { op, present, var }, _) => self.is_op(op, present, var, node, cx),
            (Test::In { set, negated }, Slot::Text { start, len }) => Some(
                self.in_sets
                    .get(set.0 as usize)?
                    .contains_text_bytes(decl.text_bytes(start, len))
                    != negated,
            ),
            (Test::Is(present), slot) => {
                Some(!matches!(slot, Slot::Missing | Slot::List { .. }) == present)
            }
            // The rest through values, as `eval` computes them.
            (test, slot) => {
                let v = slot_value(decl, slot);
                match test {
                    Test::Truth => truth(v),
                    Test::Cmp { k, c, left } => {
                        let c = self.lit(c);
                        if left {
                            compare_truth(k, v, c)
                        } else {
                            compare_truth(k, c, v)
                        }
                    }
                    Test::Fields(k, r) => compare_truth(k, v, slot_value(decl, read(r))),
                    Test::In { set, negated } => {
                        if v == Value::Missing {
                            return None;
                        }
                        Some(self.in_sets.get(set.0 as usize)?.contains(v) != negated)
                    }
                    _ => None,
                }
            }
        };
        if leaf.not { t.map(|b| !b) } else { t }
    }

    /// A leaf's constant as a value.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn lit(&self, c: Lit) -> Value<'_> {
        match c {
            Lit::Bool(b) => Value::Bool(b),
            Lit::Number(n) => Value::Number(n),
            Lit::Text(t) => Value::Text(self.text(t)),
            Lit::Date(d) => Value::Date(d),
        }
    }

    /// Evaluates an operand: the leaves that operators read most (a
    /// field, a text or number constant) without a recursive call, the
    /// rest through [`Plan::eval`]. Same value as `eval`.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn operand<'a>(&'a self, id: OpId, cx: &mut Cx<'a, '_>) -> Value<'a> {
        match self.ops.get(id.0 as usize) {
            Some(&Op::Field { base, field }) => Self::field(base, field, cx),
            Some(&Op::Text(t)) => Value::Text(self.text(t)),
            Some(&Op::Number(n)) => self
                .numbers
                .get(n.0 as usize)
                .map_or(Value::Missing, |&d| Value::Number(d)),
            _ => self.eval(id, cx),
        }
    }

    /// Evaluates a text operand: a composite key is built into the key
    /// buffer of the current nesting level (INVARIANT (keys)); any other op
    /// as [`Plan::operand`]. Give the operand back with [`Plan::release`].
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn text_operand<'a>(&'a self, id: OpId, cx: &mut Cx<'a, '_>) -> Operand<'a> {
        match self.ops.get(id.0 as usize) {
            Some(&Op::Key(parts)) => self.build_key(parts, cx),
            _ => Operand::Value(self.operand(id, cx)),
        }
    }

    /// Builds `key(parts...)`: the parts joined with `|`, stopping at the
    /// first *missing* part (the key is then *missing*).
    fn build_key<'a>(&'a self, parts: PartsId, cx: &mut Cx<'a, '_>) -> Operand<'a> {
        let level = cx.key_level;
        let mut buf = cx
            .keys
            .get_mut(level)
            .map(std::mem::take)
            .unwrap_or_default();
        buf.clear();
        cx.key_level += 1;
        let mut present = true;
        for (i, &p) in self.list(parts).iter().enumerate() {
            if i > 0 {
                buf.push('|');
            }
            // A part is never a key itself, so this builds nothing.
            match self.operand(p, cx) {
                Value::Text(t) => buf.push_str(t),
                _ => {
                    present = false;
                    break;
                }
            }
        }
        cx.key_level -= 1;
        Operand::Key {
            buf,
            level,
            present,
        }
    }

    /// Gives a key buffer back to the scratch, keeping its capacity.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn release(cx: &mut Cx<'_, '_>, operand: Operand<'_>) {
        if let Operand::Key { buf, level, .. } = operand
            && let Some(slot) = cx.keys.get_mut(level)
        {
            *slot = buf;
        }
    }

    /// Evaluates a text operator over one operand (`f` sees its value).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn with_text<'a, R>(
        &'a self,
        id: OpId,
        cx: &mut Cx<'a, '_>,
        f: impl FnOnce(Value<'_>, &mut Cx<'a, '_>) -> R,
    ) -> R {
        let a = self.text_operand(id, cx);
        let r = f(a.value(), cx);
        Self::release(cx, a);
        r
    }

    /// Evaluates a text operator over two operands.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn with_texts<'a, R>(
        &'a self,
        x: OpId,
        y: OpId,
        cx: &mut Cx<'a, '_>,
        f: impl FnOnce(Value<'_>, Value<'_>, &mut Cx<'a, '_>) -> R,
    ) -> R {
        let a = self.text_operand(x, cx);
        let b = self.text_operand(y, cx);
        let r = f(a.value(), b.value(), cx);
        Self::release(cx, b);
        Self::release(cx, a);
        r
    }

    /// Whether op `id` is a composite key (INVARIANT (keys)).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn is_key(&self, id: OpId) -> bool {
        // A plan without composite keys (most) pays one predictable branch
        // per text operator, not a look at the operand's op.
        self.key_depth > 0 && matches!(self.ops.get(id.0 as usize), Some(Op::Key(_)))
    }

    /// A text operator with a composite key among its operands: the key is
    /// built into a scratch buffer first. Kept out of [`Plan::eval`] so
    /// the buffers do not enlarge its frame (the recursion depth of
    /// conditions is bounded by their frame size times [`MAX_DEPTH`]).
    ///
    /// [`MAX_DEPTH`]: crate::plan::MAX_DEPTH
    #[inline(never)]
    fn eval_keyed<'a>(&'a self, op: Op, cx: &mut Cx<'a, '_>) -> Value<'a> {
        match op {
            Op::Cmp(k, a, b) => self.with_texts(a, b, cx, |x, y, _| compare(k, x, y)),
            Op::In {
                value,
                set,
                negated,
            } => self.with_text(value, cx, |v, _| {
                match (v, self.in_sets.get(set.0 as usize)) {
                    (Value::Missing, _) | (_, None) => Value::Missing,
                    (v, Some(s)) => Value::Bool(s.contains(v) != negated),
                }
            }),
            Op::StartsWith(t, p) => self.with_texts(t, p, cx, |t, p, _| match (t, p) {
                (Value::Text(t), Value::Text(p)) => Value::Bool(t.starts_with(p)),
                _ => Value::Missing,
            }),
            Op::StartsWithAny(t, s) => self.with_text(t, cx, |t, _| {
                match (t, self.prefix_sets.get(s.0 as usize)) {
                    (Value::Text(t), Some(s)) => Value::Bool(s.matches(t.as_bytes())),
                    _ => Value::Missing,
                }
            }),
            Op::Contains(t, p) => self.with_texts(t, p, cx, |t, p, cx| match (t, p) {
                (Value::Text(t), Value::Text(p)) => Value::Bool(contains_ci(t, p, cx.lower)),
                _ => Value::Missing,
            }),
            Op::ContainsAny(t, s) => self.with_text(t, cx, |t, cx| {
                match (t, self.contains_sets.get(s.0 as usize)) {
                    (Value::Text(t), Some(s)) => Value::Bool(s.matches(t, cx.lower)),
                    _ => Value::Missing,
                }
            }),
            Op::Is { value, present } => self.with_text(value, cx, |v, _| {
                Value::Bool((v != Value::Missing) == present)
            }),
            Op::Lookup(t, k) => {
                let table = self.tables.get(t.0 as usize);
                self.with_text(k, cx, |k, _| match (k, table) {
                    (Value::Text(k), Some(t)) => t.get(k).map_or(Value::Missing, |c| c.value()),
                    _ => Value::Missing,
                })
            }
            Op::Len(t) => self.with_text(t, cx, |t, _| match t {
                Value::Text(t) => {
                    // A text is at most 4 GiB, so its length fits in i64.
                    Value::Number(Decimal::from_i64(char_count(t) as i64))
                }
                _ => Value::Missing,
            }),
            // Only text operators are sent here (see `Plan::eval`).
            _ => Value::Missing,
        }
    }

    /// Evaluates one op. Recursion depth is bounded by INVARIANT (depth).
    fn eval<'a>(&'a self, id: OpId, cx: &mut Cx<'a, '_>) -> Value<'a> {
        let Some(&op) = self.ops.get(id.0 as usize) else {
            return Value::Missing;
        };
        match op {
            Op::Bool(b) => Value::Bool(b),
            Op::Number(n) => self
                .numbers
                .get(n.0 as usize)
                .map_or(Value::Missing, |&d| Value::Number(d)),
            Op::Text(t) => Value::Text(self.text(t)),
            Op::Date(d) => Value::Date(d),
            Op::Today => Value::Date(cx.today),
            Op::Field { base, field } => Self::field(base, field, cx),
            Op::Neg(a) => match self.operand(a, cx) {
                Value::Number(n) => Value::Number(n.neg()),
                _ => Value::Missing,
            },
            Op::Not(a) => kleene(truth(self.operand(a, cx)).map(|b| !b)),
            Op::And(a, b) => {
                let x = truth(self.eval(a, cx));
                if x == Some(false) {
                    return Value::Bool(false);
                }
                match (x, truth(self.eval(b, cx))) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Missing,
                }
            }
            Op::All(l) => kleene(self.eval_chain::<false>(self.list(l), cx)),
            Op::AnyOf(l) => kleene(self.eval_chain::<true>(self.list(l), cx)),
            Op::Or(a, b) => {
                let x = truth(self.eval(a, cx));
                if x == Some(true) {
                    return Value::Bool(true);
                }
                match (x, truth(self.eval(b, cx))) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Missing,
                }
            }
            Op::Arith(k, a, b) => self.arith(k, a, b, cx),
            Op::DateDiff(a, b) => match (self.eval(a, cx), self.eval(b, cx)) {
                (Value::Date(x), Value::Date(y)) => {
                    Value::Number(Decimal::from_i64(i64::from(x.days()) - i64::from(y.days())))
                }
                _ => Value::Missing,
            },
            Op::Cmp(_, a, b) if self.is_key(a) || self.is_key(b) => self.eval_keyed(op, cx),
            Op::Cmp(k, a, b) => compare(k, self.operand(a, cx), self.operand(b, cx)),
            Op::In { value, .. }
            | Op::StartsWithAny(value, _)
            | Op::ContainsAny(value, _)
            | Op::Is { value, .. }
            | Op::Len(value)
            | Op::Lookup(_, value)
                if self.is_key(value) =>
            {
                self.eval_keyed(op, cx)
            }
            Op::StartsWith(a, b) | Op::Contains(a, b) if self.is_key(a) || self.is_key(b) => {
                self.eval_keyed(op, cx)
            }
            Op::In {
                value,
                set,
                negated,
            } => {
                let v = self.operand(value, cx);
                if v == Value::Missing {
                    return Value::Missing;
                }
                let Some(s) = self.in_sets.get(set.0 as usize) else {
                    return Value::Missing;
                };
                Value::Bool(s.contains(v) != negated)
            }
            Op::StartsWith(t, p) => match (self.operand(t, cx), self.operand(p, cx)) {
                (Value::Text(t), Value::Text(p)) => Value::Bool(t.starts_with(p)),
                _ => Value::Missing,
            },
            Op::StartsWithAny(t, s) => {
                match (self.operand(t, cx), self.prefix_sets.get(s.0 as usize)) {
                    (Value::Text(t), Some(s)) => Value::Bool(s.matches(t.as_bytes())),
                    _ => Value::Missing,
                }
            }
            Op::Contains(t, p) => match (self.operand(t, cx), self.operand(p, cx)) {
                (Value::Text(t), Value::Text(p)) => Value::Bool(contains_ci(t, p, cx.lower)),
                _ => Value::Missing,
            },
            Op::ContainsAny(t, s) => {
                match (self.operand(t, cx), self.contains_sets.get(s.0 as usize)) {
                    (Value::Text(t), Some(s)) => Value::Bool(s.matches(t, cx.lower)),
                    _ => Value::Missing,
                }
            }
            Op::Is { value, present } => {
                Value::Bool((self.operand(value, cx) != Value::Missing) == present)
            }
            Op::Quant(q) => match self.memo.slot(id) {
                Some(slot) => self.eval_remembered(slot, op, cx),
                None => self.quant_op(q, cx),
            },
            Op::Lookup(t, k) => match self.memo.slot(id) {
                Some(slot) => self.eval_remembered(slot, op, cx),
                None => self.lookup(t, k, cx),
            },
            Op::Len(t) => match self.operand(t, cx) {
                Value::Text(t) => {
                    // A text is at most 4 GiB, so its length fits in i64.
                    Value::Number(Decimal::from_i64(char_count(t) as i64))
                }
                _ => Value::Missing,
            },
            // INVARIANT (keys): a key is built by the text operator that
            // reads it; it has no value of its own here.
            Op::Key(_) => Value::Missing,
        }
    }

    /// A shared subexpression (see `crate::memo`): read back if this
    /// evaluation computed it already (for the same element of its free
    /// variable), computed and kept otherwise. Out of line, so only these
    /// ops pay for the memo; INVARIANT (memo nesting) of `crate::memo`
    /// bounds the frames it adds to the recursion.
    #[inline(never)]
    fn eval_remembered<'a>(&'a self, slot: u32, op: Op, cx: &mut Cx<'a, '_>) -> Value<'a> {
        if let (Op::Quant(q), Some(partner)) = (op, self.memo.partner(slot)) {
            return self.remembered(slot, cx, |cx| self.extremum_pair(q, partner, cx));
        }
        self.remembered(slot, cx, |cx| match op {
            Op::Quant(q) => self.quant_op(q, cx),
            Op::Lookup(_, k) if self.is_key(k) => self.eval_keyed(op, cx),
            Op::Lookup(t, k) => self.lookup(t, k, cx),
            // `memo::remembered_kind`: no other kind has a slot.
            _ => Value::Missing,
        })
    }

    /// The value of memo slot `slot`: read back if this evaluation
    /// computed it already (for the same element of its free variable),
    /// else `compute`d and kept.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn remembered<'a>(
        &'a self,
        slot: u32,
        cx: &mut Cx<'a, '_>,
        compute: impl FnOnce(&mut Cx<'a, '_>) -> Value<'a>,
    ) -> Value<'a> {
        let node = self.memo_node(slot, cx);
        if let Some(v) = cx
            .memo
            .get(slot as usize)
            .and_then(|e| memo::hit(e, cx.generation, node))
        {
            return v;
        }
        let v = compute(cx);
        if let Some(e) = cx.memo.get_mut(slot as usize) {
            memo::keep(e, cx.generation, node, v);
        }
        v
    }

    /// The element memo slot `slot`'s entries are keyed by now: what its
    /// variable is bound to (`Node::ROOT` for a slot without one).
    #[inline(always)]
    fn memo_node(&self, slot: u32, cx: &Cx<'_, '_>) -> Node {
        match self.memo.var(slot) {
            Some(v) => cx.vars.get(v as usize).copied().unwrap_or(Node::ROOT),
            None => Node::ROOT,
        }
    }

    /// `a k b` for numbers.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn arith<'a>(&'a self, k: ArithOp, a: OpId, b: OpId, cx: &mut Cx<'a, '_>) -> Value<'a> {
        let (Value::Number(x), Value::Number(y)) = (self.operand(a, cx), self.operand(b, cx))
        else {
            return Value::Missing;
        };
        num(arith_numbers(k, x, y))
    }

    /// `lookup(t, k)` for a key that is not composite.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn lookup<'a>(&'a self, t: TableRef, k: OpId, cx: &mut Cx<'a, '_>) -> Value<'a> {
        match (self.operand(k, cx), self.tables.get(t.0 as usize)) {
            (Value::Text(k), Some(t)) => t.get(k).map_or(Value::Missing, |c| c.value()),
            _ => Value::Missing,
        }
    }

    /// A quantifier op.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn quant_op<'a>(&'a self, q: QuantId, cx: &mut Cx<'a, '_>) -> Value<'a> {
        match self.quants.get(q.0 as usize) {
            Some(quant) => self.quant(quant, self.shapes.of(q.0 as usize), cx),
            None => Value::Missing,
        }
    }

    /// A quantifier; its body is evaluated as `shape` says (see
    /// `crate::shape`: a shaped body's elements are never bound to the
    /// variable, their leaves read them directly).
    fn quant<'a>(&'a self, q: &crate::plan::Quant, shape: Shape, cx: &mut Cx<'a, '_>) -> Value<'a> {
        let Some(list) = Self::list_of(q, cx) else {
            // A missing list: `any`/`all` are unknown and the aggregates
            // missing, which is the same value (see the module docs).
            return Value::Missing;
        };
        let decl = cx.decl;
        let elements = decl.elements(q.record, list);
        let leaves = match shape {
            Shape::Leaves { start, len } => Some(self.shapes.leaves(start, len)),
            _ => None,
        };
        match q.kind {
            QuantKind::Any | QuantKind::All => {
                // `any` looks for true, `all` for false; either decides.
                let decisive = q.kind == QuantKind::Any;
                let mut unknown = false;
                for node in elements {
                    match self.body_truth(q, leaves, node, cx) {
                        Some(b) if b == decisive => return Value::Bool(decisive),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                if unknown {
                    Value::Missing
                } else {
                    Value::Bool(!decisive)
                }
            }
            QuantKind::Count => {
                // A constant body (`count(it in items: true)`, the number
                // of lines): every element or none, without visiting them.
                if let (
                    Some(
                        [
                            Leaf {
                                test: Test::Const(b),
                                not,
                                ..
                            },
                        ],
                    ),
                    Slot::List { len, .. },
                ) = (leaves, list)
                {
                    let n = if *b != *not { i64::from(len) } else { 0 };
                    return Value::Number(Decimal::from_i64(n));
                }
                let mut n: i64 = 0;
                for node in elements {
                    if self.body_truth(q, leaves, node, cx) == Some(true) {
                        n += 1;
                    }
                }
                Value::Number(Decimal::from_i64(n))
            }
            QuantKind::Sum => {
                let mut acc = Decimal::ZERO;
                for node in elements {
                    if let Some(x) = self.body_term(q, shape, node, cx) {
                        match acc.checked_add(x) {
                            Some(s) => acc = s,
                            None => return Value::Missing,
                        }
                    }
                }
                Value::Number(acc)
            }
            QuantKind::Min | QuantKind::Max => {
                let (lo, hi) = self.extrema(q, shape, elements, cx);
                num(if q.kind == QuantKind::Min { lo } else { hi })
            }
        }
    }

    /// The list quantifier `q` ranges over, if it is a list (and `q`'s
    /// variable is within the scratch's).
    #[inline(always)]
    fn list_of(q: &crate::plan::Quant, cx: &Cx<'_, '_>) -> Option<Slot> {
        let list = match Self::node(cx, q.base) {
            Some(node) => cx.decl.slot(node, q.field),
            None => Slot::Missing,
        };
        (matches!(list, Slot::List { .. }) && cx.vars.get(q.var as usize).is_some()).then_some(list)
    }

    /// The least and the greatest number quantifier `q`'s body gives over
    /// `elements` (elements whose body is not a number are left out, as
    /// `min` and `max` leave them out; `None` when none is).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn extrema<'a>(
        &'a self,
        q: &crate::plan::Quant,
        shape: Shape,
        elements: crate::decl::Elements<'a>,
        cx: &mut Cx<'a, '_>,
    ) -> (Option<Decimal>, Option<Decimal>) {
        let (mut lo, mut hi): (Option<Decimal>, Option<Decimal>) = (None, None);
        for node in elements {
            if let Some(x) = self.body_term(q, shape, node, cx) {
                lo = Some(lo.map_or(x, |b| b.min(x)));
                hi = Some(hi.map_or(x, |b| b.max(x)));
            }
        }
        (lo, hi)
    }

    /// A `min` or `max` with an extremum partner in memo slot `partner`
    /// (see `crate::memo`): both from one pass over the list; the
    /// partner's value is kept in its slot, this one's returned.
    #[inline(never)]
    fn extremum_pair<'a>(&'a self, q: QuantId, partner: u32, cx: &mut Cx<'a, '_>) -> Value<'a> {
        let Some(quant) = self.quants.get(q.0 as usize) else {
            return Value::Missing;
        };
        let (lo, hi) = match Self::list_of(quant, cx) {
            Some(list) => {
                let elements = cx.decl.elements(quant.record, list);
                self.extrema(quant, self.shapes.of(q.0 as usize), elements, cx)
            }
            None => (None, None),
        };
        let (own, other) = if quant.kind == QuantKind::Min {
            (lo, hi)
        } else {
            (hi, lo)
        };
        // INVARIANT (partners) of `crate::memo`: the partner's slot has
        // this slot's key, so the element is the same.
        let node = self.memo_node(partner, cx);
        if let Some(e) = cx.memo.get_mut(partner as usize) {
            memo::keep(e, cx.generation, node, num(other));
        }
        num(own)
    }

    /// The truth of quantifier `q`'s body for element `node`: its
    /// `leaves` if it is shaped, the general evaluator otherwise.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn body_truth<'a>(
        &'a self,
        q: &crate::plan::Quant,
        leaves: Option<&[Leaf]>,
        node: Node,
        cx: &mut Cx<'a, '_>,
    ) -> Option<bool> {
        match leaves {
            Some(leaves) => self.leaves_truth(leaves, node, cx),
            None => {
                self.bind(cx, q.var, node);
                truth(self.eval(q.body, cx))
            }
        }
    }

    /// The number of quantifier `q`'s body for element `node` (`None`
    /// when it is not a number).
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn body_term<'a>(
        &'a self,
        q: &crate::plan::Quant,
        shape: Shape,
        node: Node,
        cx: &mut Cx<'a, '_>,
    ) -> Option<Decimal> {
        match shape {
            Shape::Term(f) => {
                return match cx.decl.slot(node, f) {
                    Slot::Number(x) => Some(x),
                    _ => None,
                };
            }
            Shape::Arith(op, a, b) => {
                let read = |r| read_slot(cx.decl, node, r);
                return arith_slots(op, read(a), read(b));
            }
            _ => {}
        }
        self.bind(cx, q.var, node);
        match self.eval(q.body, cx) {
            Value::Number(x) => Some(x),
            _ => None,
        }
    }

    #[inline]
    fn bind(&self, cx: &mut Cx<'_, '_>, var: u32, node: Node) {
        if let Some(slot) = cx.vars.get_mut(var as usize) {
            *slot = node;
        }
    }
}

/// Whether `t` starts with `p`, compared byte by byte in line (the same
/// answer as `str::starts_with` on the texts they are the bytes of): the
/// patterns of `starts with` are short (HS headings, chapters), and the
/// call into `memcmp` and the character-boundary tests of slicing a `str`
/// cost more than the comparison.
#[inline(always)]
fn starts_with_bytes(t: &[u8], p: &[u8]) -> bool {
    t.get(..p.len())
        .is_some_and(|head| head.iter().zip(p).all(|(a, b)| a == b))
}

/// Whether two texts' bytes are equal, compared in line: the texts a
/// leaf compares are short codes (`"CAFTA-DR"`, a country), for which a
/// call into `memcmp` costs more than the comparison.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The value of scalar field `field` of `node`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn value_at(decl: &Declaration, node: Node, field: crate::layout::FieldId) -> Value<'_> {
    slot_value(decl, decl.slot(node, field))
}

/// The value a slot of `decl` holds.
#[cfg_attr(not(debug_assertions), inline(always))]
fn slot_value(decl: &Declaration, slot: Slot) -> Value<'_> {
    match slot {
        Slot::Missing | Slot::List { .. } => Value::Missing,
        Slot::Bool(b) => Value::Bool(b),
        Slot::Number(n) => Value::Number(n),
        Slot::Date(d) => Value::Date(d),
        Slot::Text { start, len } => Value::Text(decl.text(start, len)),
    }
}

/// A comparison as a value (see [`compare_truth`]).
#[cfg_attr(not(debug_assertions), inline(always))]
fn compare(k: CmpOp, a: Value<'_>, b: Value<'_>) -> Value<'static> {
    kleene(compare_truth(k, a, b))
}

/// `v / w k other` (or `other k v / w` if `flipped`) for the fields `v`
/// and `w` of `node`, as [`compare_truth`] gives it on the quotient's
/// value: *unknown* if a field is not a number, the division gives no
/// value (by zero, or out of range), or `other` is not a number.
#[cfg_attr(not(debug_assertions), inline(always))]
fn quotient_truth(
    k: CmpOp,
    decl: &Declaration,
    node: Node,
    (v, w): (Read, Read),
    other: Value<'_>,
    flipped: bool,
) -> Option<bool> {
    let (Slot::Number(v), Slot::Number(w), Value::Number(y)) =
        (read_slot(decl, node, v), read_slot(decl, node, w), other)
    else {
        return None;
    };
    let ord = v.cmp_quotient(w, y)?;
    Some(holds(k, if flipped { ord.reverse() } else { ord }))
}

/// A comparison; *unknown* if either side is missing or the types differ.
#[cfg_attr(not(debug_assertions), inline(always))]
fn compare_truth(k: CmpOp, a: Value<'_>, b: Value<'_>) -> Option<bool> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(x.cmp(&y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(&y)),
        (Value::Text(x), Value::Text(y)) => {
            if matches!(k, CmpOp::Eq | CmpOp::Ne) {
                Some(if x == y {
                    Ordering::Equal
                } else {
                    Ordering::Less
                })
            } else {
                None
            }
        }
        (Value::Bool(x), Value::Bool(y)) => {
            if matches!(k, CmpOp::Eq | CmpOp::Ne) {
                Some(if x == y {
                    Ordering::Equal
                } else {
                    Ordering::Less
                })
            } else {
                None
            }
        }
        _ => None,
    };
    Some(holds(k, ord?))
}

/// `x k y`, checked: `None` (a *missing* value) on division by zero or
/// a result out of range. The one place arithmetic is computed, for the
/// general evaluator and the shaped forms alike.
#[cfg_attr(not(debug_assertions), inline(always))]
fn arith_numbers(k: ArithOp, x: Decimal, y: Decimal) -> Option<Decimal> {
    match k {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div => x.checked_div(y),
    }
}

/// `a op b` for two slots, as `Op::Arith` computes it from their values:
/// `None` (*missing*) unless both are numbers and the result is in
/// range.
#[cfg_attr(not(debug_assertions), inline(always))]
fn arith_slots(op: ArithOp, a: Slot, b: Slot) -> Option<Decimal> {
    match (a, b) {
        (Slot::Number(x), Slot::Number(y)) => arith_numbers(op, x, y),
        _ => None,
    }
}

/// The slot a leaf or term reads: field `r` of the declaration or of
/// element `node`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn read_slot(decl: &Declaration, node: Node, r: Read) -> Slot {
    match r {
        Read::Root(f) => decl.slot(Node::ROOT, f),
        Read::Element(f) => decl.slot(node, f),
    }
}

/// Whether comparison `k` holds of two values ordered `ord`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn holds(k: CmpOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering;
    match k {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// `len` counts characters, as `chars().count()` does, for any
        /// text (multi-byte characters included).
        #[test]
        fn char_count_agrees_with_chars(t in "\\PC{0,40}") {
            proptest::prop_assert_eq!(super::char_count(&t), t.chars().count());
        }

        /// The bytewise `starts with` answers as `str::starts_with`, for
        /// patterns longer and shorter than the text, empty ones, and
        /// multi-byte characters (a pattern may end where the text's
        /// character does not).
        #[test]
        fn starts_with_bytes_agrees_with_str(t in "[a4é]{0,8}", p in "[a4é]{0,4}") {
            proptest::prop_assert_eq!(
                super::starts_with_bytes(t.as_bytes(), p.as_bytes()),
                t.starts_with(p.as_str())
            );
        }
    }
}
