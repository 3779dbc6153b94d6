//! Quantifier bodies shaped for a loop without recursion.
//!
//! Most quantifiers a risk analyst writes test each element with a few
//! comparisons of its fields against constants:
//! `any(it in items: it.hs starts with "6403" and it.value > 10000)`. The
//! general evaluator walks such a body as a tree, one recursive call per
//! op (the `and`, each comparison), each returning a [`crate::Value`]
//! through memory. Here the body is recognised once, when the plan is
//! built, as a conjunction of *leaves* — one field (of the element or of
//! the declaration) tested against a constant, a set or another field —
//! and the evaluator runs the leaves of each element in a flat loop
//! (`Plan::quant` in `crate::eval`).
//!
//! A body is shaped only if every conjunct of its `and` chain is a leaf
//! ([`leaf_of`]). Besides a field against a constant, a set or another
//! field, leaves are: `len(f)` compared with a number; one arithmetic
//! operator between two fields compared with a number
//! (`it.value / it.net_kg < 12.5`); any other comparison, as two
//! [`Term`]s (a field, a constant, one operator between two fields, an op
//! times a number, or any op, which the general evaluator computes:
//! `it.value / it.net_kg < lookup_prefix(reference_price, it.hs) * 0.5`);
//! and `x is present` for an op `x`. Anything else (`or`, a nested
//! quantifier as a condition, a composite key) leaves the quantifier to
//! the general evaluator. So is a `sum`, `min` or `max` whose body is a
//! single field read as a number (`sum(it in items: it.value)`, a
//! [`Shape::Term`]) or one arithmetic operator between two fields
//! (`max(it in items: it.value / it.net_kg)`, a [`Shape::Arith`]).
//!
//! A leaf with a term the general evaluator computes binds the
//! quantifier's variable to the element first, as the general loop
//! does, so that term reads the element (or, for a nested quantifier,
//! an outer element) and the memo of shared subexpressions keys its
//! entries by it.
//!
//! INVARIANT (same answer): a shaped quantifier gives exactly the value
//! the general evaluator gives. Each leaf computes what the op it comes
//! from computes (the same comparison, set and text functions on the same
//! field values), and the conjunction is Kleene `and` evaluated in the
//! same order, stopping at the first *false* as `Plan::eval_chain` does.
//! `crates/semaforo-testkit/tests/differential.rs` and
//! `differential_shared.rs` compare both with the reference interpreter.

use crate::date::Date;
use crate::decimal::Decimal;
use crate::layout::FieldId;
use crate::plan::{
    ArithOp, Base, CmpOp, ContainsSetId, Op, OpId, Plan, PrefixSetId, QuantKind, SetId, TextId,
};

/// Where a leaf reads its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// A top-level field of the declaration.
    Root(FieldId),
    /// A field of the element the quantifier is at.
    Element(FieldId),
}

/// A constant a leaf compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lit {
    Bool(bool),
    Number(Decimal),
    Text(TextId),
    Date(Date),
}

/// What a leaf does with its field's value `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    /// A constant condition (`count(it in items: true)`); its field (the
    /// declaration's first) is read and ignored.
    Const(bool),
    /// `v` itself as a condition (a bool field).
    Truth,
    /// `v k c` (`left`) or `c k v`.
    Cmp { k: CmpOp, c: Lit, left: bool },
    /// `v k w` for a second field `w`.
    Fields(CmpOp, Read),
    /// `v in S` (`negated`: `not in`).
    In { set: SetId, negated: bool },
    /// `v starts with t`.
    StartsWith(TextId),
    /// `v starts with` a pattern of a set.
    StartsWithAny(PrefixSetId),
    /// `v contains t`.
    Contains(TextId),
    /// `v contains` a pattern of a set.
    ContainsAny(ContainsSetId),
    /// `v is present` (`true`) / `v is missing`.
    Is(bool),
    /// `len(v) k c` (`left`) or `c k len(v)`, for a number `c`.
    Len { k: CmpOp, c: Decimal, left: bool },
    /// `(v op w) k c` (`left`) or `c k (v op w)`, for a second field `w`
    /// and a number `c`.
    Arith {
        op: ArithOp,
        w: Read,
        k: CmpOp,
        c: Decimal,
        left: bool,
    },
    /// `a k b` for two [`Term`]s (`terms[a]`, `terms[b]` of [`Shapes`]):
    /// any other comparison, such as `it.value / it.net_kg <
    /// lookup_prefix(reference_price, it.hs) * 0.5`. Its field is not
    /// read. `var` is the quantifier's variable, bound to the element
    /// before a term the general evaluator computes.
    Terms { k: CmpOp, a: u32, b: u32, var: u32 },
    /// `x is present` (`true`) / `x is missing` for an op `x` that is not
    /// a field (`lookup_prefix(reference_price, it.hs) is present`), by
    /// the general evaluator with `var` bound to the element. Its field
    /// is not read.
    IsOp { op: OpId, present: bool, var: u32 },
}

/// One side of a [`Test::Terms`] comparison: the value of the op it was
/// made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Term {
    /// A field of the element or the declaration.
    Field(Read),
    /// A constant.
    Lit(Lit),
    /// `v op w` for two fields.
    Arith(ArithOp, Read, Read),
    /// `x op c` for an op `x` the general evaluator computes and a number
    /// `c` (`lookup_prefix(reference_price, it.hs) * 0.5`).
    OpArith(OpId, ArithOp, Decimal),
    /// Any other op, computed by the general evaluator.
    Op(OpId),
}

/// One conjunct of a shaped body: `test` of the field `read`, negated
/// (Kleene `not`) if `not`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub(crate) read: Read,
    pub(crate) test: Test,
    pub(crate) not: bool,
}

/// How a quantifier's body is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// By the general evaluator.
    General,
    /// The conjunction of `leaves[start..start + len]` (of [`Shapes`]).
    Leaves { start: u32, len: u32 },
    /// A number field of the element (`sum(it in items: it.value)`).
    Term(FieldId),
    /// `a op b` for two fields (`max(it in items: it.value / it.net_kg)`).
    Arith(ArithOp, Read, Read),
}

/// The shapes of a plan's quantifiers, by [`crate::plan::QuantId`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Shapes {
    by_quant: Box<[Shape]>,
    leaves: Box<[Leaf]>,
    terms: Box<[Term]>,
}

impl Shapes {
    /// The shapes of every quantifier of a plan whose ops are final.
    pub(crate) fn build(plan: &Plan) -> Shapes {
        let mut leaves = Vec::new();
        let mut terms = Vec::new();
        let mut parts = Vec::new();
        let mut stack = Vec::new();
        let by_quant = plan
            .quants
            .iter()
            .map(|q| {
                if let Some(&Op::Field {
                    base: Base::Var(v),
                    field,
                }) = plan.ops.get(q.body.index())
                    && v == q.var
                    && matches!(q.kind, QuantKind::Sum | QuantKind::Min | QuantKind::Max)
                {
                    return Shape::Term(field);
                }
                if matches!(q.kind, QuantKind::Sum | QuantKind::Min | QuantKind::Max)
                    && let Some((op, a, b)) = arith_of(plan, q.body, q.var)
                {
                    return Shape::Arith(op, a, b);
                }
                if !matches!(q.kind, QuantKind::Any | QuantKind::All | QuantKind::Count) {
                    return Shape::General;
                }
                crate::index::conjuncts(plan, q.body, &mut parts, &mut stack);
                let start = leaves.len();
                let terms_start = terms.len();
                for &p in &parts {
                    match leaf_of(plan, p, q.var, &mut terms) {
                        Some(leaf) => leaves.push(leaf),
                        None => {
                            leaves.truncate(start);
                            terms.truncate(terms_start);
                            return Shape::General;
                        }
                    }
                }
                match (u32::try_from(start), u32::try_from(parts.len())) {
                    (Ok(start), Ok(len)) if len > 0 => Shape::Leaves { start, len },
                    _ => {
                        leaves.truncate(start);
                        terms.truncate(terms_start);
                        Shape::General
                    }
                }
            })
            .collect();
        Shapes {
            by_quant,
            leaves: leaves.into_boxed_slice(),
            terms: terms.into_boxed_slice(),
        }
    }

    /// The shape of quantifier `q`.
    #[inline]
    pub(crate) fn of(&self, q: usize) -> Shape {
        self.by_quant.get(q).copied().unwrap_or(Shape::General)
    }

    /// The leaves of a [`Shape::Leaves`].
    #[inline]
    pub(crate) fn leaves(&self, start: u32, len: u32) -> &[Leaf] {
        self.leaves
            .get(start as usize..start as usize + len as usize)
            .unwrap_or(&[])
    }

    /// Term `i` of a [`Test::Terms`] leaf.
    #[inline]
    pub(crate) fn term(&self, i: u32) -> Option<Term> {
        self.terms.get(i as usize).copied()
    }

    /// An estimate of the heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.by_quant.len() * size_of::<Shape>()
            + self.leaves.len() * size_of::<Leaf>()
            + self.terms.len() * size_of::<Term>()
    }
}

/// The field op `id` reads, for a quantifier over variable `var`: a
/// top-level field or the element's own.
fn read_of(plan: &Plan, id: OpId, var: u32) -> Option<Read> {
    match *plan.ops.get(id.index())? {
        Op::Field {
            base: Base::Root,
            field,
        } => Some(Read::Root(field)),
        Op::Field {
            base: Base::Var(v),
            field,
        } if v == var => Some(Read::Element(field)),
        _ => None,
    }
}

/// The field op `id` takes the length of (`len(f)`), for a quantifier
/// over variable `var`, if it is one.
fn len_of(plan: &Plan, id: OpId, var: u32) -> Option<Read> {
    match *plan.ops.get(id.index())? {
        Op::Len(t) => read_of(plan, t, var),
        _ => None,
    }
}

/// The operator and fields of op `id` if it is arithmetic between two
/// fields (`it.value / it.net_kg`), for a quantifier over `var`.
fn arith_of(plan: &Plan, id: OpId, var: u32) -> Option<(ArithOp, Read, Read)> {
    match *plan.ops.get(id.index())? {
        Op::Arith(op, a, b) => Some((op, read_of(plan, a, var)?, read_of(plan, b, var)?)),
        _ => None,
    }
}

/// The constant op `id` is, if it is one.
fn lit_of(plan: &Plan, id: OpId) -> Option<Lit> {
    match *plan.ops.get(id.index())? {
        Op::Bool(b) => Some(Lit::Bool(b)),
        Op::Number(n) => plan.numbers.get(n.index()).map(|&d| Lit::Number(d)),
        Op::Text(t) => Some(Lit::Text(t)),
        Op::Date(d) => Some(Lit::Date(d)),
        _ => None,
    }
}

/// The text constant op `id` is, if it is one.
fn text_of(plan: &Plan, id: OpId) -> Option<TextId> {
    match *plan.ops.get(id.index())? {
        Op::Text(t) => Some(t),
        _ => None,
    }
}

/// Op `id` as a [`Term`] (inside a quantifier over `var`). A composite
/// key has no value of its own (its text operator builds it), so it is
/// no term.
fn term_of(plan: &Plan, id: OpId, var: u32) -> Option<Term> {
    if let Some(r) = read_of(plan, id, var) {
        return Some(Term::Field(r));
    }
    if let Some(c) = lit_of(plan, id) {
        return Some(Term::Lit(c));
    }
    if let Some((op, v, w)) = arith_of(plan, id, var) {
        return Some(Term::Arith(op, v, w));
    }
    match *plan.ops.get(id.index())? {
        Op::Key(_) => None,
        Op::Arith(op, x, c) if !matches!(plan.ops.get(x.index()), Some(Op::Key(_))) => {
            match lit_of(plan, c) {
                Some(Lit::Number(c)) => Some(Term::OpArith(x, op, c)),
                _ => Some(Term::Op(id)),
            }
        }
        _ => Some(Term::Op(id)),
    }
}

/// Pushes `t` to `terms`; its index.
fn push_term(terms: &mut Vec<Term>, t: Term) -> Option<u32> {
    let i = u32::try_from(terms.len()).ok()?;
    terms.push(t);
    Some(i)
}

/// Comparison `a k b` as a leaf (inside a quantifier over `var`): the
/// first of these forms that fits, else two [`Term`]s.
fn cmp_leaf(
    plan: &Plan,
    (k, a, b): (CmpOp, OpId, OpId),
    var: u32,
    terms: &mut Vec<Term>,
) -> Option<Leaf> {
    let leaf = |read, test| {
        Some(Leaf {
            read,
            test,
            not: false,
        })
    };
    let number = |id| match lit_of(plan, id) {
        Some(Lit::Number(c)) => Some(c),
        _ => None,
    };
    // `len(f) k c` or `c k len(f)`.
    match (
        len_of(plan, a, var),
        number(b),
        number(a),
        len_of(plan, b, var),
    ) {
        (Some(read), Some(c), _, _) => return leaf(read, Test::Len { k, c, left: true }),
        (_, _, Some(c), Some(read)) => return leaf(read, Test::Len { k, c, left: false }),
        _ => {}
    }
    // `(v op w) k c` or `c k (v op w)`.
    match (
        arith_of(plan, a, var),
        number(b),
        number(a),
        arith_of(plan, b, var),
    ) {
        (Some((op, v, w)), Some(c), _, _) => {
            return leaf(
                v,
                Test::Arith {
                    op,
                    w,
                    k,
                    c,
                    left: true,
                },
            );
        }
        (_, _, Some(c), Some((op, v, w))) => {
            return leaf(
                v,
                Test::Arith {
                    op,
                    w,
                    k,
                    c,
                    left: false,
                },
            );
        }
        _ => {}
    }
    // A field against a field or a constant.
    match (read_of(plan, a, var), read_of(plan, b, var)) {
        (Some(x), Some(y)) => return leaf(x, Test::Fields(k, y)),
        (Some(x), None) => {
            if let Some(c) = lit_of(plan, b) {
                return leaf(x, Test::Cmp { k, c, left: true });
            }
        }
        (None, Some(y)) => {
            if let Some(c) = lit_of(plan, a) {
                return leaf(y, Test::Cmp { k, c, left: false });
            }
        }
        (None, None) => {}
    }
    let (x, y) = (term_of(plan, a, var)?, term_of(plan, b, var)?);
    let a = push_term(terms, x)?;
    let b = push_term(terms, y)?;
    leaf(Read::Root(FieldId(0)), Test::Terms { k, a, b, var })
}

/// Condition op `id` as a leaf (inside a quantifier over `var`), if it is
/// one; the terms of a [`Test::Terms`] leaf are pushed to `terms`.
fn leaf_of(plan: &Plan, id: OpId, var: u32, terms: &mut Vec<Term>) -> Option<Leaf> {
    let leaf = |read, test| {
        Some(Leaf {
            read,
            test,
            not: false,
        })
    };
    match *plan.ops.get(id.index())? {
        Op::Bool(b) => leaf(Read::Root(FieldId(0)), Test::Const(b)),
        Op::Not(a) => leaf_of(plan, a, var, terms).map(|l| Leaf { not: !l.not, ..l }),
        Op::Field { .. } => leaf(read_of(plan, id, var)?, Test::Truth),
        Op::Cmp(k, a, b) => cmp_leaf(plan, (k, a, b), var, terms),
        Op::In {
            value,
            set,
            negated,
        } => leaf(read_of(plan, value, var)?, Test::In { set, negated }),
        Op::StartsWith(t, p) => leaf(read_of(plan, t, var)?, Test::StartsWith(text_of(plan, p)?)),
        Op::StartsWithAny(t, s) => leaf(read_of(plan, t, var)?, Test::StartsWithAny(s)),
        Op::Contains(t, p) => leaf(read_of(plan, t, var)?, Test::Contains(text_of(plan, p)?)),
        Op::ContainsAny(t, s) => leaf(read_of(plan, t, var)?, Test::ContainsAny(s)),
        Op::Is { value, present } => match read_of(plan, value, var) {
            Some(r) => leaf(r, Test::Is(present)),
            None => match term_of(plan, value, var)? {
                Term::Op(op) => leaf(Read::Root(FieldId(0)), Test::IsOp { op, present, var }),
                _ => None,
            },
        },
        _ => None,
    }
}
