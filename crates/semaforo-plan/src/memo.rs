//! Shared subexpressions, evaluated once per declaration or per element.
//!
//! Ops are hash-consed, so `it.value / it.net_kg` written in five rules is
//! one op with five parents, and `lookup_prefix(reference_price, it.hs)`
//! written twice in one condition is one op with two. Without a memo each
//! parent evaluates it again, for every element. [`MemoTable::build`]
//! picks the ops worth remembering: a lookup or a quantifier/aggregate
//! ([`remembered_kind`]; arithmetic was measured and does not pay) with two
//! or more references in the plan (from other ops, operand lists,
//! quantifier bodies, rule conditions and score expressions), whose value
//! depends on at most one quantifier variable. Each gets a *slot*.
//!
//! Evaluation is pure: an op's value depends only on the declaration, the
//! evaluation date and the elements its free variables are bound to. So a
//! slot's entry is valid for the evaluation it was written in (a
//! generation number of the [`crate::Scratch`], bumped per evaluation)
//! and, for an op with a free variable `v`, for the element `v` was bound
//! to (its [`Node`]: record type and index, unique in a declaration). A
//! hit returns the value computed before; nothing else changes, not even
//! the order in which `and`/`or` chains stop, so outcomes are the same
//! with or without the memo (the differential tests compare them with the
//! reference interpreter, which has no memo).
//!
//! Text values are not kept (they borrow the declaration or the plan, and
//! no costly op but a text lookup makes them): a slot whose op gives text
//! is simply evaluated again.
//!
//! **Extremum pairs.** `min(it in L: e)` and `max(it in L: e)` over the
//! same list with the same body (`max(..) > min(..) * 200`, the spread of
//! unit values in one declaration) visit the same elements and evaluate
//! the same body on each. Such a pair gets two slots even when each is
//! read once, and each slot names the other as its *partner*
//! ([`MemoTable::partner`]): evaluating either computes both in one pass
//! over the list and keeps the other's value in its slot, for the same
//! generation and element, so the other is read back. The values are
//! those two separate passes give: the body is pure, and the minimum and
//! the maximum of the same numbers do not depend on which is taken first.

use crate::date::Date;
use crate::decimal::Decimal;
use crate::decl::Node;
use crate::layout::{FieldId, RecordId};
use crate::plan::{Base, Op, OpId, Plan, QuantKind};
use crate::sets::FxBuild;
use crate::value::Value;
use std::collections::HashMap;

/// No slot (in [`MemoTable::slot_of`]) / no variable (in
/// [`MemoTable::vars`]).
const NONE: u32 = u32::MAX;

/// Which ops are remembered, and what their entries are keyed by.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemoTable {
    /// Per op, its slot, or [`NONE`]. Empty when no op is remembered.
    slot_of: Box<[u32]>,
    /// Per slot, the free variable its entries are keyed by, or [`NONE`]
    /// for an op that reads no variable (one entry per evaluation).
    vars: Box<[u32]>,
    /// Per slot, the slot of its extremum partner, or [`NONE`] (see the
    /// module docs). INVARIANT (partners): partners are each other's,
    /// their ops are a `min` and a `max` with the same variable, record,
    /// base, list field and body, and their slots have the same key.
    partners: Box<[u32]>,
}

/// What makes a `min` and a `max` twins: variable, record, base, list
/// field and body.
type Twins = (u32, RecordId, Base, FieldId, OpId);

/// The extremum pairs of `plan`: for each quantifier op that is a `min`
/// or `max` with a twin of the other kind (same variable, record, base,
/// list field and body), that twin's op.
fn extremum_pairs(plan: &Plan) -> HashMap<OpId, OpId, FxBuild> {
    let mut by_twin: HashMap<Twins, [Option<OpId>; 2], FxBuild> = HashMap::default();
    for (i, op) in plan.ops.iter().enumerate() {
        let (Op::Quant(q), Ok(id)) = (op, u32::try_from(i)) else {
            continue;
        };
        let Some(quant) = plan.quants.get(q.index()) else {
            continue;
        };
        let side = match quant.kind {
            QuantKind::Min => 0,
            QuantKind::Max => 1,
            _ => continue,
        };
        let key = (quant.var, quant.record, quant.base, quant.field, quant.body);
        let twins = by_twin.entry(key).or_default();
        // Ops are hash-consed, so a second op of one side is not expected;
        // if there were one, the first is kept.
        if let Some(t) = twins.get_mut(side)
            && t.is_none()
        {
            *t = Some(OpId(id));
        }
    }
    let mut pairs = HashMap::default();
    for [min, max] in by_twin.into_values() {
        if let (Some(min), Some(max)) = (min, max) {
            pairs.insert(min, max);
            pairs.insert(max, min);
        }
    }
    pairs
}

/// Whether ops of `op`'s kind may be remembered: the kinds whose arms in
/// `Plan::eval` send a remembered op to `Plan::eval_remembered`.
pub(crate) fn remembered_kind(op: Op) -> bool {
    matches!(op, Op::Lookup(..) | Op::Quant(_))
}

/// The most remembered ops on one chain of ops (INVARIANT (memo nesting)).
const MAX_NEST: u8 = 32;

/// Calls `f` with every op `op` reads directly: its operands, an n-ary
/// op's operand list, a quantifier's body.
fn for_each_child(plan: &Plan, op: Op, mut f: impl FnMut(OpId)) {
    match op {
        Op::Quant(q) => {
            if let Some(q) = plan.quants.get(q.index()) {
                f(q.body);
            }
        }
        Op::All(l) | Op::AnyOf(l) | Op::Key(l) => {
            for &p in plan.list(l) {
                f(p);
            }
        }
        _ => {
            for c in op.children().into_iter().flatten() {
                f(c);
            }
        }
    }
}

/// The quantifier variables an op's value depends on, as far as the memo
/// needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Free {
    None,
    One(u32),
    Many,
}

impl Free {
    fn union(self, other: Free) -> Free {
        match (self, other) {
            (Free::None, x) | (x, Free::None) => x,
            (Free::One(a), Free::One(b)) if a == b => Free::One(a),
            _ => Free::Many,
        }
    }

    /// Without variable `v` (bound by a quantifier). `Many` stays `Many`:
    /// conservative, such an op is not remembered.
    fn bind(self, v: u32) -> Free {
        match self {
            Free::One(a) if a == v => Free::None,
            x => x,
        }
    }
}

impl MemoTable {
    /// Picks the remembered ops of `plan` (see the module docs).
    pub(crate) fn build(plan: &Plan) -> MemoTable {
        let n = plan.ops.len();
        let mut refs = vec![0u8; n];
        let mut free = vec![Free::None; n];
        // Children precede parents (INVARIANT (topological) of the plan), so one
        // pass in id order computes each op's free variables from its
        // children's.
        for (i, &op) in plan.ops.iter().enumerate() {
            let mut f = Free::None;
            for_each_child(plan, op, |c| {
                if let Some(r) = refs.get_mut(c.index()) {
                    *r = r.saturating_add(1);
                }
                f = f.union(free.get(c.index()).copied().unwrap_or(Free::Many));
            });
            f = match op {
                Op::Field {
                    base: Base::Var(v), ..
                } => Free::One(v),
                Op::Quant(q) => match plan.quants.get(q.index()) {
                    Some(q) => match q.base {
                        Base::Var(v) => f.bind(q.var).union(Free::One(v)),
                        Base::Root => f.bind(q.var),
                    },
                    None => Free::Many,
                },
                _ => f,
            };
            if let Some(slot) = free.get_mut(i) {
                *slot = f;
            }
        }
        let roots = plan
            .conds
            .iter()
            .flatten()
            .copied()
            .chain(plan.rules.iter().flat_map(|r| {
                r.score_expr
                    .into_iter()
                    .chain(r.overlay.as_ref().and_then(|o| o.score_expr))
            }));
        for id in roots {
            if let Some(r) = refs.get_mut(id.index()) {
                *r = r.saturating_add(1);
            }
        }
        // INVARIANT (memo nesting): no chain of ops, parent to child, holds
        // more than `MAX_NEST` remembered ops. Each adds a frame to the
        // evaluator's recursion (`Plan::eval_remembered`), so this bounds
        // what the memo adds to the stack that INVARIANT (depth) budgets.
        let pairs = extremum_pairs(plan);
        let mut nest = vec![0u8; n];
        let mut slot_of = vec![NONE; n];
        let mut vars = Vec::new();
        for (i, &op) in plan.ops.iter().enumerate() {
            let mut below = 0u8;
            for_each_child(plan, op, |c| {
                below = below.max(nest.get(c.index()).copied().unwrap_or(MAX_NEST));
            });
            let costly = remembered_kind(op);
            let key = match free.get(i) {
                Some(Free::None) => Some(NONE),
                Some(&Free::One(v)) => Some(v),
                _ => None,
            };
            let mut here = below;
            let paired = u32::try_from(i).is_ok_and(|i| pairs.contains_key(&OpId(i)));
            if costly
                && below < MAX_NEST
                && (paired || refs.get(i).is_some_and(|&r| r >= 2))
                && let Some(key) = key
                && let Ok(slot) = u32::try_from(vars.len())
                && slot != NONE
                && let Some(s) = slot_of.get_mut(i)
            {
                *s = slot;
                vars.push(key);
                here = below + 1;
            }
            if let Some(x) = nest.get_mut(i) {
                *x = here;
            }
        }
        if vars.is_empty() {
            return MemoTable::default();
        }
        // Partners where both ops got a slot with the same key (twins
        // have the same children, so they get slots alike; checked anyway).
        let mut partners = vec![NONE; vars.len()];
        for (&a, &b) in &pairs {
            let (Some(&sa), Some(&sb)) = (slot_of.get(a.index()), slot_of.get(b.index())) else {
                continue;
            };
            if sa != NONE
                && sb != NONE
                && vars.get(sa as usize) == vars.get(sb as usize)
                && let Some(p) = partners.get_mut(sa as usize)
            {
                *p = sb;
            }
        }
        MemoTable {
            slot_of: slot_of.into_boxed_slice(),
            vars: vars.into_boxed_slice(),
            partners: partners.into_boxed_slice(),
        }
    }

    /// The number of slots.
    pub(crate) fn len(&self) -> usize {
        self.vars.len()
    }

    /// The slot of op `id`, if it is remembered.
    #[inline(always)]
    pub(crate) fn slot(&self, id: OpId) -> Option<u32> {
        self.slot_of.get(id.index()).copied().filter(|&s| s != NONE)
    }

    /// The variable slot `slot`'s entries are keyed by (`None`: the
    /// evaluation alone).
    #[inline(always)]
    pub(crate) fn var(&self, slot: u32) -> Option<u32> {
        self.vars.get(slot as usize).copied().filter(|&v| v != NONE)
    }

    /// The slot of slot `slot`'s extremum partner, if it has one.
    #[inline(always)]
    pub(crate) fn partner(&self, slot: u32) -> Option<u32> {
        self.partners
            .get(slot as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// The heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.slot_of.len() + self.vars.len() + self.partners.len()) * size_of::<u32>()
    }
}

/// A remembered value: any value but text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kept {
    Missing,
    Bool(bool),
    Number(Decimal),
    Date(Date),
}

/// One slot's entry in the scratch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// The evaluation it was written in; 0 never matches (INVARIANT
    /// (generation): [`Memo::next`] never hands out 0).
    generation: u32,
    /// The element the slot's variable was bound to (`Node::ROOT` for a
    /// slot without one).
    node: Node,
    value: Kept,
}

impl Default for Entry {
    fn default() -> Entry {
        Entry {
            generation: 0,
            node: Node::ROOT,
            value: Kept::Missing,
        }
    }
}

/// The memo's part of the scratch: an entry per slot and the current
/// generation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Memo {
    pub(crate) entries: Vec<Entry>,
    generation: u32,
}

impl Memo {
    /// A memo for a plan with `slots` slots.
    pub(crate) fn with_slots(slots: usize) -> Memo {
        Memo {
            entries: vec![Entry::default(); slots],
            generation: 0,
        }
    }

    /// Starts an evaluation of a plan with `slots` slots: entries written
    /// before are no longer valid.
    #[inline]
    pub(crate) fn next(&mut self, slots: usize) -> u32 {
        if self.entries.len() < slots {
            // Only for a scratch made for another plan: grows once.
            self.entries.resize(slots, Entry::default());
        }
        self.generation = match self.generation.checked_add(1) {
            Some(g) => g,
            None => {
                // After 2^32 - 1 evaluations: forget every entry, start
                // again at 1.
                self.entries.fill(Entry::default());
                1
            }
        };
        self.generation
    }
}

/// The value in `entry` if it was written in `generation` for `node`.
#[inline(always)]
pub(crate) fn hit(entry: &Entry, generation: u32, node: Node) -> Option<Value<'static>> {
    if entry.generation != generation || entry.node != node {
        return None;
    }
    Some(match entry.value {
        Kept::Missing => Value::Missing,
        Kept::Bool(b) => Value::Bool(b),
        Kept::Number(n) => Value::Number(n),
        Kept::Date(d) => Value::Date(d),
    })
}

/// Writes `value` into `entry` for `generation` and `node` (text is not
/// kept: the entry is left as it was, so it stays a miss).
#[inline(always)]
pub(crate) fn keep(entry: &mut Entry, generation: u32, node: Node, value: Value<'_>) {
    let value = match value {
        Value::Missing => Kept::Missing,
        Value::Bool(b) => Kept::Bool(b),
        Value::Number(n) => Kept::Number(n),
        Value::Date(d) => Kept::Date(d),
        Value::Text(_) => return,
    };
    *entry = Entry {
        generation,
        node,
        value,
    };
}

#[cfg(test)]
mod tests {
    use super::{MAX_NEST, MemoTable};
    use crate::decimal::Decimal;
    use crate::layout::{FieldId, FieldType, RecordId, test_layout};
    use crate::plan::{ArithOp, Base, Op, OpId, PlanBuilder, Quant, QuantKind};
    use crate::sets::Constant;

    fn builder() -> PlanBuilder {
        let layout = test_layout(&[
            (
                "declaration",
                &[
                    ("id", FieldType::Text, false),
                    ("items", FieldType::List(RecordId(1)), true),
                ],
            ),
            (
                "item",
                &[
                    ("hs", FieldType::Text, true),
                    ("value", FieldType::Number, true),
                ],
            ),
        ]);
        PlanBuilder::new("t", "1", &[], layout)
    }

    #[test]
    fn shared_costly_ops_get_slots_keyed_by_their_free_variable() {
        let mut b = builder();
        let hs = b.test_field(Base::Var(0), 0);
        let value = b.test_field(Base::Var(0), 1);
        let t = b
            .table(
                &[("64".into(), Constant::Number(Decimal::from_i64(2)))],
                true,
            )
            .unwrap();
        let price = b.push(Op::Lookup(t, hs)).unwrap();
        let once = b.push(Op::Lookup(t, value)).unwrap();
        let present = b
            .push(Op::Is {
                value: price,
                present: true,
            })
            .unwrap();
        let cheap = b
            .push(Op::Cmp(crate::plan::CmpOp::Lt, value, price))
            .unwrap();
        let body = b.chain(false, &[present, cheap]).unwrap();
        let quant = |body| Quant {
            kind: QuantKind::Any,
            var: 0,
            record: RecordId(1),
            base: Base::Root,
            field: FieldId(1),
            body,
        };
        let any = b.quant(quant(body)).unwrap();
        let once_present = b
            .push(Op::Is {
                value: once,
                present: true,
            })
            .unwrap();
        let other = b.quant(quant(once_present)).unwrap();
        let sum = b
            .quant(Quant {
                kind: QuantKind::Sum,
                body: value,
                ..quant(value)
            })
            .unwrap();
        let two = b.number(Decimal::from_i64(2)).unwrap();
        let two = b.push(Op::Number(two)).unwrap();
        let half = b.push(Op::Arith(ArithOp::Div, sum, two)).unwrap();
        let gt = b.push(Op::Cmp(crate::plan::CmpOp::Gt, sum, half)).unwrap();
        b.test_rule(0, any);
        b.test_rule(1, any);
        b.test_rule(2, other);
        b.test_rule(3, gt);
        let plan = b.build();
        let memo = MemoTable::build(&plan);
        // `price` twice in one body: per element of variable 0.
        let s = memo.slot(price).expect("price is shared");
        assert_eq!(memo.var(s), Some(0));
        // The `any` is the condition of two rules: per evaluation.
        let s = memo.slot(any).expect("the quantifier is shared");
        assert_eq!(memo.var(s), None);
        // The sum, read twice by one comparison: per evaluation.
        assert!(memo.slot(sum).is_some());
        // Read once, or not a costly kind: no slot.
        assert_eq!(memo.slot(once), None);
        assert_eq!(memo.slot(other), None);
        assert_eq!(memo.slot(cheap), None);
        assert_eq!(memo.slot(hs), None);
        assert_eq!(memo.len(), 3);
    }

    /// Adds `kind(it in declaration.FIELD: body)`, `it` variable `var`.
    fn over(b: &mut PlanBuilder, kind: QuantKind, var: u32, field: u32, body: OpId) -> OpId {
        b.quant(Quant {
            kind,
            var,
            record: RecordId(1),
            base: Base::Root,
            field: FieldId(field),
            body,
        })
        .unwrap()
    }

    /// Rule `R{i}`: `x > y`.
    fn rule_gt(b: &mut PlanBuilder, i: usize, x: OpId, y: OpId) {
        let when = b.push(Op::Cmp(crate::plan::CmpOp::Gt, x, y)).unwrap();
        b.test_rule(i, when);
    }

    #[test]
    fn a_min_and_a_max_of_one_body_over_one_list_are_partners() {
        let mut b = builder();
        let value = b.test_field(Base::Var(0), 1);
        let hs = b.test_field(Base::Var(0), 0);
        let hs_len = b.push(Op::Len(hs)).unwrap();
        let max = over(&mut b, QuantKind::Max, 0, 1, value);
        let min = over(&mut b, QuantKind::Min, 0, 1, value);
        // The same kind twice is one op; another body, another kind, no
        // partner.
        let min_len = over(&mut b, QuantKind::Min, 0, 1, hs_len);
        let sum = over(&mut b, QuantKind::Sum, 0, 1, value);
        rule_gt(&mut b, 0, max, min);
        rule_gt(&mut b, 1, min_len, sum);
        let plan = b.build();
        let memo = MemoTable::build(&plan);
        // Each read once, yet remembered: the pass of one keeps the other.
        let (smax, smin) = (memo.slot(max).unwrap(), memo.slot(min).unwrap());
        assert_eq!(memo.partner(smax), Some(smin));
        assert_eq!(memo.partner(smin), Some(smax));
        assert_eq!(memo.var(smax), None);
        assert_eq!(memo.slot(min_len), None);
        assert_eq!(memo.slot(sum), None);
        assert_eq!(memo.len(), 2);
    }

    #[test]
    fn extrema_of_other_lists_or_variables_are_not_partners() {
        let mut b = builder();
        let value = |b: &mut PlanBuilder, v| b.test_field(Base::Var(v), 1);
        let (v0, v1) = (value(&mut b, 0), value(&mut b, 1));
        // A max over `items` against a min over another field (the
        // pairing looks at the field only), and against a min of another
        // variable's body.
        let max = over(&mut b, QuantKind::Max, 0, 1, v0);
        let min_other_list = over(&mut b, QuantKind::Min, 0, 0, v0);
        let min_other_var = over(&mut b, QuantKind::Min, 1, 1, v1);
        rule_gt(&mut b, 0, max, min_other_list);
        rule_gt(&mut b, 1, max, min_other_var);
        let plan = b.build();
        let memo = MemoTable::build(&plan);
        // `max` is read twice (a slot of its own), without a partner.
        let s = memo.slot(max).unwrap();
        assert_eq!(memo.partner(s), None);
        assert_eq!(memo.slot(min_other_list), None);
        assert_eq!(memo.slot(min_other_var), None);
    }

    #[test]
    fn no_chain_holds_more_remembered_ops_than_the_bound() {
        // lookup(t, lookup(t, ... lookup(t, hs))) on a text table, every
        // level read twice: only the innermost MAX_NEST levels get a slot,
        // so the memo adds at most MAX_NEST frames to the recursion.
        let mut b = builder();
        let hs = b.test_field(Base::Root, 0);
        let t = b
            .table(&[("a".into(), Constant::Text("a".into()))], false)
            .unwrap();
        let mut level = hs;
        let mut chain = Vec::new();
        for i in 0..100 {
            level = b.push(Op::Lookup(t, level)).unwrap();
            let is = b
                .push(Op::Is {
                    value: level,
                    present: true,
                })
                .unwrap();
            b.test_rule(i, is);
            chain.push(level);
        }
        let outer = b.push(Op::Len(level)).unwrap();
        b.test_rule(100, outer);
        let plan = b.build();
        let memo = MemoTable::build(&plan);
        let kept = chain.iter().filter(|&&op| memo.slot(op).is_some()).count();
        assert_eq!(kept, usize::from(MAX_NEST));
        assert!(
            chain[..usize::from(MAX_NEST)]
                .iter()
                .all(|&op| memo.slot(op).is_some())
        );
    }
}
