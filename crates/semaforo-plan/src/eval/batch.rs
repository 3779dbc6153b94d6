//! Quantifier rules evaluated together, in one pass over the elements.
//!
//! Most risk rules on goods are one quantifier over the declaration's
//! items: `any(it in items: it.description contains used_words)`,
//! `any(it in items: it.gross_kg < it.net_kg)`. Evaluated one rule at a
//! time, each walks the items itself: it enters the general evaluator,
//! sets up the quantifier's loop, and leaves it at a trip count that
//! varies from declaration to declaration, which the processor
//! mispredicts. With a few such rules that framework costs more than the
//! tests themselves (`docs/performance.md`, session 13).
//!
//! So a rule whose whole condition is an `any` or `all` over a top-level
//! list, with a shaped body (`crate::shape`), is *batched*: before the
//! rules are decided, one pass over the list's elements runs the leaves
//! of every batched candidate rule on each element, and each rule then
//! reads its condition's truth from the pass. A quantifier that has
//! decided (an `any` that found *true*, an `all` that found *false*) is
//! not run on the later elements, and the pass stops when all have.
//! A rule whose condition is such a quantifier and conjuncts the rule
//! index proves (`origin in [..] and any(it in items: ..)`) is batched
//! for the declarations where the index proved them all, and only
//! those: what is left of its condition (`RuleIndex::rest`) is then
//! exactly the quantifier.
//!
//! INVARIANT (batch): the truth the pass gives a batched rule is the
//! truth of `Plan::quant` on its quantifier for the same declaration,
//! and that is the truth of the rule's condition (its whole condition,
//! or the one conjunct the index left).
//! Evaluation is pure (the memo only saves work, `crate::memo`), so
//! running the quantifiers before the rules, and element by element
//! rather than quantifier by quantifier, changes no value: for each
//! quantifier the pass calls the same `Plan::leaves_truth` on the same
//! elements in the same order, stops at the same decisive element, and
//! combines the results as `Plan::quant` does (*unknown* when no element
//! decided and some gave *unknown*). A missing list gives *unknown*, as
//! there. The differential tests (`crates/semaforo-testkit/tests/`)
//! compare the outcomes with the reference interpreter's.

use crate::date::Date;
use crate::decl::{Node, Slot};
use crate::layout::{FieldId, RecordId};
use crate::plan::{Base, HotRule, Op, OpId, Plan, QuantKind};
use crate::shape::Shape;

use super::Cx;

/// A batched rule's quantifier: its leaves (of `crate::shape::Shapes`),
/// whether it is an `any`, its op, and whether it is the rule's whole
/// condition (else the one conjunct left when the rule index proved the
/// others, `RuleIndex::rest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Batched {
    start: u32,
    len: u32,
    op: OpId,
    any: bool,
    whole: bool,
}

/// Which rules of a plan are batched, and the list they all read.
///
/// Every candidate rule of a declaration is looked up here, so the
/// lookup is a bit test first: the bits of 10,000 rules take 1.25 KiB,
/// where a quantifier per rule would take 120 KiB of cache lines.
#[derive(Clone, Debug, Default)]
pub(crate) struct Batches {
    /// Bit `i % 64` of word `i / 64`: rule `i` is batched.
    bits: Box<[u64]>,
    /// Per word of `bits`, the batched rules before it.
    // INVARIANT (ranks): `ranks[w]` is the number of bits set in
    // `bits[..w]`, and `below[i]`, for a batched rule `i`, the number of
    // bits set in its word below its own, so its quantifier is
    // `quants[ranks[i / 64] + below[i]]`. Kept by `build`.
    ranks: Box<[u32]>,
    /// Per rule, the batched rules before it in its word of `bits` (read
    /// only for batched rules). A byte a rule, where counting the bits
    /// would be a `count_ones`: a software population count of about
    /// twenty instructions on the baseline x86-64 target, for every
    /// batched candidate of every declaration.
    below: Box<[u8]>,
    /// The batched rules' quantifiers, in rule order.
    quants: Box<[Batched]>,
    /// The top-level list field every batched quantifier reads, and its
    /// elements' record type. `None`: no rule is batched.
    list: Option<(FieldId, RecordId)>,
}

/// The fewest batched candidates for which the pass is run: one rule
/// alone gains nothing from it.
const MIN_BATCH: usize = 2;

/// Op `id` as a batched quantifier (see [`Batches::build`]), with the
/// list it reads, if it is one.
fn quantifier(plan: &Plan, id: OpId, whole: bool) -> Option<((FieldId, RecordId), Batched)> {
    let &Op::Quant(q) = plan.ops.get(id.index())? else {
        return None;
    };
    if plan.memo.slot(id).is_some() {
        return None;
    }
    let quant = plan.quants.get(q.index())?;
    let any = match quant.kind {
        QuantKind::Any => true,
        QuantKind::All => false,
        _ => return None,
    };
    let Shape::Leaves { start, len } = plan.shapes.of(q.index()) else {
        return None;
    };
    if quant.base != Base::Root || quant.var as usize >= plan.vars {
        return None;
    }
    let batched = Batched {
        start,
        len,
        op: id,
        any,
        whole,
    };
    Some(((quant.field, quant.record), batched))
}

impl Batches {
    /// The batched rules of `plan`, whose ops, memo and shapes are built.
    ///
    /// A rule is batched if its condition is an `any` or `all` over a
    /// list field of the declaration whose body is shaped as leaves, and
    /// that op is not remembered (another op reads it through the memo);
    /// or if such a quantifier is one of its conjuncts, the only one, for
    /// the declarations where the rule index proves all the others. All
    /// batched rules read one list: the one the most such rules read.
    pub(crate) fn build(plan: &Plan) -> Batches {
        let (mut parts, mut stack) = (Vec::new(), Vec::new());
        let mut candidate = |cond: Option<OpId>| {
            crate::index::conjuncts(plan, cond?, &mut parts, &mut stack);
            let whole = parts.len() == 1;
            let mut found = parts.iter().filter_map(|&id| quantifier(plan, id, whole));
            match (found.next(), found.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        };
        let found: Vec<_> = plan.hot.iter().map(|r| candidate(r.cond)).collect();
        // The list most batched rules read (the first of the most read).
        let mut counts: Vec<((FieldId, RecordId), usize)> = Vec::new();
        for (list, _) in found.iter().flatten() {
            match counts.iter_mut().find(|(l, _)| l == list) {
                Some((_, n)) => *n += 1,
                None => counts.push((*list, 1)),
            }
        }
        // `max_by_key` keeps the last of equals: search from the end.
        let best = counts.iter().rev().max_by_key(|&&(_, n)| n).copied();
        let Some((list, n)) = best.filter(|&(_, n)| n >= MIN_BATCH) else {
            return Batches::default();
        };
        let mut bits = vec![0u64; found.len().div_ceil(64)];
        let mut below = vec![0u8; found.len()];
        let mut quants = Vec::with_capacity(n);
        for (i, f) in found.iter().enumerate() {
            if let Some((l, b)) = f
                && *l == list
                && let Some(word) = bits.get_mut(i / 64)
                && let Some(count) = below.get_mut(i)
            {
                // At most 63 bits below: `as u8` is exact.
                *count = word.count_ones() as u8;
                *word |= 1u64 << (i % 64);
                quants.push(*b);
            }
        }
        let mut ranks = Vec::with_capacity(bits.len());
        let mut before = 0u32;
        for w in &bits {
            ranks.push(before);
            before += w.count_ones();
        }
        Batches {
            bits: bits.into_boxed_slice(),
            ranks: ranks.into_boxed_slice(),
            below: below.into_boxed_slice(),
            quants: quants.into_boxed_slice(),
            list: Some(list),
        }
    }

    /// How many rules are batched (the capacity the pass's buffer needs).
    pub(crate) fn len(&self) -> usize {
        self.quants.len()
    }

    /// The quantifier of rule `rule`, if it is batched.
    #[inline]
    fn of(&self, rule: u32) -> Option<Batched> {
        let (w, b) = (rule as usize / 64, rule % 64);
        let word = *self.bits.get(w)?;
        if (word >> b) & 1 == 0 {
            return None;
        }
        let at = *self.ranks.get(w)? + u32::from(*self.below.get(rule as usize)?);
        self.quants.get(at as usize).copied()
    }
}

/// One batched candidate rule of the declaration being evaluated, and
/// what the pass found for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    rule: u32,
    quant: Batched,
    /// [`DECIDED`], [`UNKNOWN`] and the decisive value in [`VALUE`].
    state: u8,
}

/// The quantifier decided (its decisive value is in [`VALUE`]).
const DECIDED: u8 = 1;
/// Some element gave *unknown*.
const UNKNOWN: u8 = 2;
/// The truth a decided quantifier found.
const VALUE: u8 = 4;

impl Entry {
    /// The truth of the rule's condition, as `Plan::quant` gives it.
    #[inline]
    fn truth(self) -> Option<bool> {
        if self.state & DECIDED != 0 {
            Some(self.state & VALUE != 0)
        } else if self.state & UNKNOWN != 0 {
            None
        } else {
            // No element decided: `any` is false, `all` true.
            Some(!self.quant.any)
        }
    }
}

/// The batched rules' results for one declaration, in candidate order,
/// read back as the rules are decided.
pub(crate) struct Results<'b> {
    entries: &'b [Entry],
    next: usize,
}

impl Results<'_> {
    /// The truth the pass found for candidate `rule`, if it was batched.
    /// Rules are asked in candidate order, the order of the entries.
    #[inline]
    pub(crate) fn take(&mut self, rule: u32) -> Option<Option<bool>> {
        let e = self.entries.get(self.next).filter(|e| e.rule == rule)?;
        self.next += 1;
        Some(e.truth())
    }
}

impl Plan {
    /// Runs the batched candidate rules among `list` (in candidate order,
    /// with the index's `proof`) in one pass over their list, into
    /// `entries`; the results, to be taken as the rules are decided.
    pub(super) fn run_batch<'a, 'b>(
        &'a self,
        list: &[u32],
        proof: u64,
        today: Date,
        cx: &mut Cx<'a, '_>,
        entries: &'b mut Vec<Entry>,
    ) -> Results<'b> {
        entries.clear();
        let Some((field, record)) = self.batches.list else {
            return Results { entries, next: 0 };
        };
        for &index in list {
            let Some(quant) = self.batches.of(index) else {
                continue;
            };
            let Some(rule) = self.hot.get(index as usize) else {
                continue;
            };
            if rule.flags & (HotRule::INERT | HotRule::OVERLAY) != 0 || !rule.is_active(today) {
                continue;
            }
            // Only rules whose condition, given what the index proved, is
            // the quantifier: the whole condition, or the one conjunct
            // left (Kleene `and` with proven *true* conjuncts).
            let decided_by_it = match self.index.rest(index, proof) {
                None => quant.whole,
                Some(left) => !quant.whole && left == [quant.op],
            };
            if !decided_by_it {
                continue;
            }
            entries.push(Entry {
                rule: index,
                quant,
                state: 0,
            });
        }
        if entries.len() < MIN_BATCH {
            entries.clear();
            return Results { entries, next: 0 };
        }
        let slot = cx.decl.slot(Node::ROOT, field);
        if !matches!(slot, Slot::List { .. }) {
            // A missing list: every quantifier is unknown.
            for e in entries.iter_mut() {
                e.state = UNKNOWN;
            }
            return Results { entries, next: 0 };
        }
        let mut open = entries.len();
        for node in cx.decl.elements(record, slot) {
            for e in entries.iter_mut() {
                if e.state & DECIDED != 0 {
                    continue;
                }
                let leaves = self.shapes.leaves(e.quant.start, e.quant.len);
                match self.leaves_truth(leaves, node, cx) {
                    Some(t) if t == e.quant.any => {
                        e.state |= DECIDED | if t { VALUE } else { 0 };
                        open -= 1;
                    }
                    Some(_) => {}
                    None => e.state |= UNKNOWN,
                }
            }
            if open == 0 {
                break;
            }
        }
        Results { entries, next: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::{Batched, Batches};
    use crate::date::Date;
    use crate::decimal::Decimal;
    use crate::decl::{Declaration, Node};
    use crate::eval::EvalContext;
    use crate::layout::{FieldId, FieldType, RecordId, test_layout};
    use crate::outcome::Outcome;
    use crate::plan::{Base, CmpOp, Op, OpId, Plan, PlanBuilder, Quant, QuantKind, RuleInfo};
    use crate::sample::SamplingKey;
    use crate::shape::Shape;

    /// A declaration with two lists of the same element record type,
    /// `items` and `extra` (fields `value`, a number, and `flag`, a bool).
    fn builder() -> PlanBuilder {
        let layout = test_layout(&[
            (
                "declaration",
                &[
                    ("id", FieldType::Text, false),
                    ("items", FieldType::List(RecordId(1)), true),
                    ("extra", FieldType::List(RecordId(1)), true),
                ],
            ),
            (
                "item",
                &[
                    ("value", FieldType::Number, true),
                    ("flag", FieldType::Bool, true),
                ],
            ),
        ]);
        PlanBuilder::new("t", "1", &[], layout)
    }

    /// `kind(it in list: it.value k c)`.
    fn quant(b: &mut PlanBuilder, kind: QuantKind, list: u32, k: CmpOp, c: i64) -> OpId {
        let value = b.test_field(Base::Var(0), 0);
        let n = b.number(Decimal::from_i64(c)).unwrap();
        let n = b.push(Op::Number(n)).unwrap();
        let body = b.push(Op::Cmp(k, value, n)).unwrap();
        b.quant(Quant {
            kind,
            var: 0,
            record: RecordId(1),
            base: Base::Root,
            field: FieldId(list),
            body,
        })
        .unwrap()
    }

    /// The rules of `plan` that are batched, by number.
    fn batched(plan: &Plan) -> Vec<usize> {
        (0..plan.hot.len())
            .filter(|&i| plan.batches.of(i as u32).is_some())
            .collect()
    }

    #[test]
    fn whole_conditions_over_the_most_read_list_are_batched() {
        let mut b = builder();
        let any = quant(&mut b, QuantKind::Any, 1, CmpOp::Gt, 5);
        b.test_rule(0, any);
        let all = quant(&mut b, QuantKind::All, 1, CmpOp::Lt, 100);
        b.test_rule(1, all);
        // A quantifier inside a comparison, a count, another list, an
        // `or` body: not batched.
        let count = quant(&mut b, QuantKind::Count, 1, CmpOp::Gt, 1);
        let one = b.number(Decimal::from_i64(1)).unwrap();
        let one = b.push(Op::Number(one)).unwrap();
        let many = b.push(Op::Cmp(CmpOp::Ge, count, one)).unwrap();
        b.test_rule(2, many);
        let other = quant(&mut b, QuantKind::Any, 2, CmpOp::Gt, 7);
        b.test_rule(3, other);
        let value = b.test_field(Base::Var(0), 0);
        let flag = b.test_field(Base::Var(0), 1);
        let big = b.push(Op::Cmp(CmpOp::Gt, value, one)).unwrap();
        let either = b.chain(true, &[big, flag]).unwrap();
        let or = b
            .quant(Quant {
                kind: QuantKind::Any,
                var: 0,
                record: RecordId(1),
                base: Base::Root,
                field: FieldId(1),
                body: either,
            })
            .unwrap();
        b.test_rule(4, or);
        let all_again = quant(&mut b, QuantKind::All, 1, CmpOp::Ne, 3);
        b.test_rule(5, all_again);
        let plan = b.build();
        assert_eq!(batched(&plan), [0, 1, 5]);
        assert_eq!(plan.batches.list, Some((FieldId(1), RecordId(1))));
        assert!(matches!(
            plan.batches.of(1),
            Some(Batched { any: false, .. })
        ));
        assert!(matches!(
            plan.batches.of(5),
            Some(Batched { any: false, .. })
        ));
        assert!(matches!(
            plan.batches.of(0),
            Some(Batched { any: true, .. })
        ));
        assert_eq!(plan.batches.len(), 3);
    }

    /// Past one word of bits: each rule finds its own quantifier.
    #[test]
    fn many_rules_find_their_quantifiers_across_words() {
        let mut b = builder();
        for i in 0..150usize {
            let c = i64::try_from(i).unwrap();
            let when = if i % 3 == 1 {
                // A comparison, not a quantifier: not batched.
                let q = quant(&mut b, QuantKind::Count, 1, CmpOp::Gt, c);
                let one = b.number(Decimal::from_i64(1)).unwrap();
                let one = b.push(Op::Number(one)).unwrap();
                b.push(Op::Cmp(CmpOp::Ge, q, one)).unwrap()
            } else if (i / 3) % 2 == 0 {
                quant(&mut b, QuantKind::Any, 1, CmpOp::Gt, c)
            } else {
                quant(&mut b, QuantKind::All, 1, CmpOp::Gt, c)
            };
            b.test_rule(i, when);
        }
        let plan = b.build();
        for i in 0..150usize {
            let got = plan.batches.of(u32::try_from(i).unwrap());
            // The leaves of the rule's own quantifier.
            let own = plan.hot.get(i).and_then(|r| r.cond).and_then(|id| {
                match (plan.ops.get(id.index()), i % 3) {
                    (Some(&Op::Quant(q)), 0 | 2) => Some(plan.shapes.of(q.index())),
                    _ => None,
                }
            });
            let want = own.map(|shape| match shape {
                Shape::Leaves { start, len } => Batched {
                    start,
                    len,
                    op: plan.hot.get(i).and_then(|r| r.cond).unwrap(),
                    any: (i / 3) % 2 == 0,
                    whole: true,
                },
                _ => panic!("rule {i}: not shaped"),
            });
            assert_eq!(got, want, "rule {i}");
        }
        assert_eq!(plan.batches.len(), 100);
        assert_eq!(plan.batches.of(150), None);
    }

    #[test]
    fn a_lone_quantifier_rule_is_not_batched() {
        let mut b = builder();
        let any = quant(&mut b, QuantKind::Any, 1, CmpOp::Gt, 5);
        b.test_rule(0, any);
        let other = quant(&mut b, QuantKind::Any, 2, CmpOp::Gt, 5);
        b.test_rule(1, other);
        let plan = b.build();
        assert_eq!(batched(&plan), Vec::<usize>::new());
        assert_eq!(plan.batches.list, None);
    }

    /// Every combination of a missing, empty or filled `items` list with
    /// values missing, low, middle and high: the batched plan gives the
    /// outcomes (fired, undetermined, score) of the same plan without its
    /// batches, rule by rule. `any` and `all` meet *true*, *false* and
    /// *unknown* elements in every order, so each stops (or not) at every
    /// position.
    #[test]
    fn batched_and_unbatched_evaluation_agree() {
        let build = || {
            let mut b = builder();
            let conds = [
                (QuantKind::Any, CmpOp::Gt, 5),
                (QuantKind::All, CmpOp::Gt, 5),
                (QuantKind::Any, CmpOp::Lt, 2),
                (QuantKind::All, CmpOp::Lt, 50),
                (QuantKind::Any, CmpOp::Eq, 10),
            ];
            // The last two rules also ask `id == "D"`, a guard the rule
            // index proves: they are decided by the pass only when it
            // did (the id is "D"), by their whole condition otherwise.
            let id = b.test_field(Base::Root, 0);
            let d = b.text("D").unwrap();
            let d = b.push(Op::Text(d)).unwrap();
            let is_d = b.push(Op::Cmp(CmpOp::Eq, id, d)).unwrap();
            for (i, &(kind, k, c)) in conds.iter().enumerate() {
                let q = quant(&mut b, kind, 1, k, c);
                let when = if i >= 3 {
                    b.chain(false, &[is_d, q]).unwrap()
                } else {
                    q
                };
                let info = RuleInfo {
                    id: format!("R{i}").into(),
                    score: Some(1 << i),
                    ..RuleInfo::default()
                };
                b.rule(info, Some(when)).unwrap();
            }
            // A conjunct the index cannot prove: never decided by the
            // pass, though its quantifier is registered.
            let low = quant(&mut b, QuantKind::Count, 1, CmpOp::Lt, 2);
            let one = b.number(Decimal::from_i64(1)).unwrap();
            let one = b.push(Op::Number(one)).unwrap();
            let some_low = b.push(Op::Cmp(CmpOp::Ge, low, one)).unwrap();
            let high = quant(&mut b, QuantKind::Any, 1, CmpOp::Gt, 6);
            let when = b.chain(false, &[some_low, high]).unwrap();
            let info = RuleInfo {
                id: "R5".into(),
                score: Some(1 << 5),
                ..RuleInfo::default()
            };
            b.rule(info, Some(when)).unwrap();
            b.build()
        };
        let plan = build();
        assert_eq!(batched(&plan), [0, 1, 2, 3, 4, 5]);
        assert!(plan.batches.of(5).is_some_and(|q| !q.whole));
        assert!(plan.batches.of(3).is_some_and(|q| !q.whole));
        assert!(plan.batches.of(2).is_some_and(|q| q.whole));
        let mut plain = build();
        plain.batches = Batches::default();
        let key = SamplingKey([7; 16]);
        let ctx = EvalContext {
            today: Date::parse("2026-06-01").unwrap(),
            sampling_key: &key,
        };
        let (mut s1, mut s2) = (plan.new_scratch(), plain.new_scratch());
        let (mut o1, mut o2) = (Outcome::default(), Outcome::default());
        let values: [Option<i64>; 4] = [None, Some(1), Some(10), Some(60)];
        let mut cases = 0;
        for n in 0..=3u32 {
            for combo in 0..4usize.pow(n) {
                for (missing_list, id) in [(false, "D"), (true, "D"), (false, "E")] {
                    if missing_list && n > 0 {
                        continue;
                    }
                    // The same declaration for each plan (each has its
                    // own layout).
                    let fill = |plan: &Plan| {
                        let l = plan.layout();
                        let mut d = Declaration::new(l);
                        d.set_text(l, Node::ROOT, FieldId(0), id).unwrap();
                        if !missing_list {
                            d.start_list(l, Node::ROOT, FieldId(1)).unwrap();
                        }
                        for j in 0..n {
                            let e = d.push_element(l, Node::ROOT, FieldId(1)).unwrap();
                            if let Some(v) = values[(combo / 4usize.pow(j)) % 4] {
                                d.set_number(l, e, FieldId(0), Decimal::from_i64(v))
                                    .unwrap();
                            }
                        }
                        d
                    };
                    plan.evaluate(&fill(&plan), &ctx, &mut s1, &mut o1).unwrap();
                    plain
                        .evaluate(&fill(&plain), &ctx, &mut s2, &mut o2)
                        .unwrap();
                    assert_eq!(o1, o2, "{n} elements, combination {combo}, id {id}");
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 2 + 1 + 2 * (4 + 16 + 64));
    }
}
