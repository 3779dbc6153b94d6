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
//! ([`leaf_of`]; `len(f)` compared with a number is one too, and so is
//! one arithmetic operator between two fields compared with a number,
//! `it.value / it.net_kg < 12.5`): anything else (other arithmetic, a
//! lookup, any other `len`, a nested quantifier, a key, `or`, a field of
//! another variable) leaves the quantifier to the general evaluator. So
//! is a `sum`, `min` or `max` whose body is a single field read as a
//! number (`sum(it in items: it.value)`, a [`Shape::Term`]) or one
//! arithmetic operator between two fields (`max(it in items: it.value /
//! it.net_kg)`, a [`Shape::Arith`]).
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
}

impl Shapes {
    /// The shapes of every quantifier of a plan whose ops are final.
    pub(crate) fn build(plan: &Plan) -> Shapes {
        let mut leaves = Vec::new();
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
                for &p in &parts {
                    match leaf_of(plan, p, q.var) {
                        Some(leaf) => leaves.push(leaf),
                        None => {
                            leaves.truncate(start);
                            return Shape::General;
                        }
                    }
                }
                match (u32::try_from(start), u32::try_from(parts.len())) {
                    (Ok(start), Ok(len)) if len > 0 => Shape::Leaves { start, len },
                    _ => {
                        leaves.truncate(start);
                        Shape::General
                    }
                }
            })
            .collect();
        Shapes {
            by_quant,
            leaves: leaves.into_boxed_slice(),
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

    /// An estimate of the heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.by_quant.len() * size_of::<Shape>() + self.leaves.len() * size_of::<Leaf>()
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

/// Condition op `id` as a leaf (inside a quantifier over `var`), if it is
/// one.
fn leaf_of(plan: &Plan, id: OpId, var: u32) -> Option<Leaf> {
    let leaf = |read, test| {
        Some(Leaf {
            read,
            test,
            not: false,
        })
    };
    match *plan.ops.get(id.index())? {
        Op::Bool(b) => leaf(Read::Root(FieldId(0)), Test::Const(b)),
        Op::Not(a) => leaf_of(plan, a, var).map(|l| Leaf { not: !l.not, ..l }),
        Op::Field { .. } => leaf(read_of(plan, id, var)?, Test::Truth),
        Op::Cmp(k, a, b) if len_of(plan, a, var).is_some() || len_of(plan, b, var).is_some() => {
            let (read, c, left) = match (len_of(plan, a, var), lit_of(plan, b)) {
                (Some(read), Some(Lit::Number(c))) => (read, c, true),
                _ => match (lit_of(plan, a), len_of(plan, b, var)) {
                    (Some(Lit::Number(c)), Some(read)) => (read, c, false),
                    _ => return None,
                },
            };
            leaf(read, Test::Len { k, c, left })
        }
        Op::Cmp(k, a, b)
            if arith_of(plan, a, var).is_some() || arith_of(plan, b, var).is_some() =>
        {
            let ((op, v, w), c, left) = match (arith_of(plan, a, var), lit_of(plan, b)) {
                (Some(x), Some(Lit::Number(c))) => (x, c, true),
                _ => match (lit_of(plan, a), arith_of(plan, b, var)) {
                    (Some(Lit::Number(c)), Some(x)) => (x, c, false),
                    _ => return None,
                },
            };
            leaf(v, Test::Arith { op, w, k, c, left })
        }
        Op::Cmp(k, a, b) => match (read_of(plan, a, var), read_of(plan, b, var)) {
            (Some(x), Some(y)) => leaf(x, Test::Fields(k, y)),
            (Some(x), None) => leaf(
                x,
                Test::Cmp {
                    k,
                    c: lit_of(plan, b)?,
                    left: true,
                },
            ),
            (None, Some(y)) => leaf(
                y,
                Test::Cmp {
                    k,
                    c: lit_of(plan, a)?,
                    left: false,
                },
            ),
            (None, None) => None,
        },
        Op::In {
            value,
            set,
            negated,
        } => leaf(read_of(plan, value, var)?, Test::In { set, negated }),
        Op::StartsWith(t, p) => leaf(read_of(plan, t, var)?, Test::StartsWith(text_of(plan, p)?)),
        Op::StartsWithAny(t, s) => leaf(read_of(plan, t, var)?, Test::StartsWithAny(s)),
        Op::Contains(t, p) => leaf(read_of(plan, t, var)?, Test::Contains(text_of(plan, p)?)),
        Op::ContainsAny(t, s) => leaf(read_of(plan, t, var)?, Test::ContainsAny(s)),
        Op::Is { value, present } => leaf(read_of(plan, value, var)?, Test::Is(present)),
        _ => None,
    }
}
