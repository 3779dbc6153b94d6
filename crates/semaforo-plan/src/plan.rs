//! The flat evaluation plan: an arena of small `Copy` ops addressed by
//! [`OpId`], constant pools, sets and tables built for their use, and the
//! rules with their actions.
//!
//! A [`Plan`] is immutable once built and `Send + Sync`, so one plan is
//! shared by every evaluating thread (each with its own [`crate::Scratch`]).
//! It is built only through [`PlanBuilder`], which keeps the invariants the
//! evaluator relies on:
//!
//! - INVARIANT (topological): every child id of an op is smaller than the
//!   op's own id, so the op graph is acyclic; kept by [`PlanBuilder::push`].
//! - INVARIANT (in-range): every id inside an op (children, constants,
//!   sets, tables, quantifiers) addresses an existing entry; kept by
//!   [`PlanBuilder::push`]. The evaluator still uses `.get()` and treats an
//!   impossible id as *missing*.
//! - INVARIANT (depth): no op is deeper than [`MAX_DEPTH`], which bounds the
//!   evaluator's recursion; kept by [`PlanBuilder::push`].
//! - INVARIANT (hash-consed): pushing an op equal to an existing one (same
//!   operator, same children) returns the existing id, so identical
//!   sub-expressions are one op.
//! - INVARIANT (hot): each rule's compact evaluation record (`HotRule`)
//!   is built from its `RuleInfo` and condition by [`PlanBuilder::build`].
//! - INVARIANT (indexed): the plan's rule index is built by
//!   [`PlanBuilder::build`] from the final ops and rules, so it describes
//!   exactly the plan it belongs to (see `crate::index`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::date::Date;
use crate::decimal::Decimal;
use crate::eval::batch::Batches;
use crate::index::RuleIndex;
use crate::layout::{FieldId, Layout, RecordId};
use crate::memo::MemoTable;
use crate::sets::{Constant, ContainsSet, FxBuild, InSet, PrefixSet, SetError, Table, TableData};
use crate::shape::Shapes;
use crate::strtab::{StrTable, StrTableBuilder};
use crate::value::Value;

// The evaluation types live in `eval`; they are re-exported here so the
// whole plan API can be named from one module.
pub use crate::eval::{EvalContext, EvalError, Scratch};

/// The deepest op the plan accepts. The evaluator recurses once per level,
/// so this bounds its stack use: about 1.3 KiB per level in a debug build
/// and far less optimised, so 512 levels fit in a 2 MiB thread stack with
/// room to spare. The parser's nesting limit (256) is below it. A chain of
/// `and` or `or` is one level however long ([`Op::All`], [`Op::AnyOf`]).
pub const MAX_DEPTH: u32 = 512;

/// The most quantifier variables (nesting depth of quantifiers) a plan may
/// use; it sizes the variable array in each scratch.
pub const MAX_VARS: u32 = 1024;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            #[inline]
            /// The id as an index.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of an op in the plan's arena.
    OpId
);
id_type!(
    /// Index of an interned text constant.
    TextId
);
id_type!(
    /// Index of an interned number constant.
    NumberId
);
id_type!(
    /// Index of a membership set (`in`).
    SetId
);
id_type!(
    /// Index of a prefix set (`starts with` a list).
    PrefixSetId
);
id_type!(
    /// Index of a substring set (`contains` a list).
    ContainsSetId
);
id_type!(
    /// Index of a table shaped for one kind of lookup.
    TableRef
);
id_type!(
    /// Index of a quantifier's description.
    QuantId
);
id_type!(
    /// Index of the operand list of an n-ary `and`/`or`.
    PartsId
);

/// Where a field is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base {
    /// The declaration itself.
    Root,
    /// The element bound to quantifier variable `n` (its nesting depth).
    Var(u32),
}

/// Number arithmetic (checked; overflow and division by zero give missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// Comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Quantifiers and aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantKind {
    /// Kleene disjunction; false over no elements.
    Any,
    /// Kleene conjunction; true over no elements.
    All,
    /// Elements whose condition is true.
    Count,
    /// Sum of present terms; 0 over none.
    Sum,
    /// Least present term; missing over none.
    Min,
    /// Greatest present term; missing over none.
    Max,
}

/// A quantifier over a record-list field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quant {
    /// Which quantifier.
    pub kind: QuantKind,
    /// The variable the elements are bound to (its nesting depth).
    pub var: u32,
    /// The elements' record type.
    pub record: RecordId,
    /// The node holding the list field.
    pub base: Base,
    /// The list field.
    pub field: FieldId,
    /// The condition or number term, evaluated per element.
    pub body: OpId,
}

/// One operation of the plan. Children are ids of earlier ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// A boolean constant.
    Bool(bool),
    /// A number constant.
    Number(NumberId),
    /// A text constant.
    Text(TextId),
    /// A date constant.
    Date(Date),
    /// The evaluation date.
    Today,
    /// A scalar field of the declaration or of a bound element.
    Field {
        /// Where it is read from.
        base: Base,
        /// Which field.
        field: FieldId,
    },
    /// `-e`.
    Neg(OpId),
    /// `not e`.
    Not(OpId),
    /// Kleene `and`.
    And(OpId, OpId),
    /// Kleene `or`.
    Or(OpId, OpId),
    /// Kleene `and` of three or more operands, in order (a chain `a and b
    /// and c ..`, evaluated in a loop rather than one level per operand).
    All(PartsId),
    /// Kleene `or` of three or more operands, in order.
    AnyOf(PartsId),
    /// Number arithmetic.
    Arith(ArithOp, OpId, OpId),
    /// `date - date` in days.
    DateDiff(OpId, OpId),
    /// A comparison.
    Cmp(CmpOp, OpId, OpId),
    /// `x in S` (`negated`: `x not in S`).
    In {
        /// The tested value.
        value: OpId,
        /// The set.
        set: SetId,
        /// `not in`.
        negated: bool,
    },
    /// `t starts with p` for one text expression.
    StartsWith(OpId, OpId),
    /// `t starts with` any pattern of a set.
    StartsWithAny(OpId, PrefixSetId),
    /// `t contains p` for one text expression (case-insensitive).
    Contains(OpId, OpId),
    /// `t contains` any pattern of a set (case-insensitive).
    ContainsAny(OpId, ContainsSetId),
    /// `e is missing` / `e is present`.
    Is {
        /// The tested value.
        value: OpId,
        /// `is present`.
        present: bool,
    },
    /// A quantifier or aggregate.
    Quant(QuantId),
    /// `lookup` / `lookup_prefix` (the table is shaped for one of them).
    Lookup(TableRef, OpId),
    /// `len(t)`.
    Len(OpId),
    /// `key(e1, e2, ...)`: the text parts joined with `|`, *missing* if any
    /// part is. INVARIANT (keys): a key is only ever an operand of a text
    /// operator (comparison, `in`, `starts with`, `contains`, `is`,
    /// `lookup`, `len`), which builds it into a scratch buffer; no part is
    /// itself a key (the checker flattens them).
    Key(PartsId),
}

// The hot op type stays small: it is copied on every step.
const _: () = assert!(size_of::<Op>() <= 16);
const _: () = assert!(size_of::<HotRule>() <= 40);

impl Op {
    /// The child ops, in evaluation order (at most two; the operands of
    /// [`Op::All`] and [`Op::AnyOf`] are in the plan's operand lists).
    pub(crate) fn children(&self) -> [Option<OpId>; 2] {
        match *self {
            Op::Bool(_)
            | Op::Number(_)
            | Op::Text(_)
            | Op::Date(_)
            | Op::Today
            | Op::Field { .. }
            | Op::Quant(_)
            | Op::All(_)
            | Op::AnyOf(_)
            | Op::Key(_) => [None, None],
            Op::Neg(a)
            | Op::Not(a)
            | Op::In { value: a, .. }
            | Op::StartsWithAny(a, _)
            | Op::ContainsAny(a, _)
            | Op::Is { value: a, .. }
            | Op::Lookup(_, a)
            | Op::Len(a) => [Some(a), None],
            Op::And(a, b)
            | Op::Or(a, b)
            | Op::Arith(_, a, b)
            | Op::DateDiff(a, b)
            | Op::Cmp(_, a, b)
            | Op::StartsWith(a, b)
            | Op::Contains(a, b) => [Some(a), Some(b)],
        }
    }
}

/// What the host needs to know about a rule (everything but its condition).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule's id.
    pub id: Box<str>,
    /// The rule's title.
    pub title: Box<str>,
    /// Tags.
    pub tags: Box<[Box<str>]>,
    /// Notes, in order.
    pub notes: Box<[Box<str>]>,
    /// `score N`.
    pub score: Option<i64>,
    /// `lane L` as a lane index.
    pub lane: Option<u16>,
    /// `sample P%` as a cut-off in millionths (0..=1_000_000).
    pub sample: Option<u32>,
    /// First active day, inclusive.
    pub active_from: Option<Date>,
    /// Last active day, inclusive.
    pub active_to: Option<Date>,
    /// `score EXPR` (not an integer literal, which is `score`): the op
    /// giving the points when the rule fires.
    pub score_expr: Option<OpId>,
    /// A lane split `lane L1 P1%, ...`: each lane with its cumulative
    /// cut-off in millionths (increasing, at most 1,000,000); empty
    /// without one (`lane` is then the rule's lane action).
    pub split: Box<[(u16, u32)]>,
    /// `monitor`: a shadow rule.
    pub monitor: bool,
    /// The rule's profile status is not `active` (`draft`, `suspended`,
    /// `retired`): it is never evaluated.
    pub inert: bool,
    /// An `override` of the rule (a package's rule adjusted or disabled by
    /// the ruleset that uses the package). The fields above are the rule
    /// as its package defines it.
    pub overlay: Option<Box<OverlayInfo>>,
}

/// An `override` of a rule: while it applies (on or before `until`), the
/// rule is evaluated with this window and these actions, or not at all when
/// `disabled`; the outcome lists the rule in `overridden` when it fires
/// either way (see `docs/language.md`, "Overrides").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OverlayInfo {
    /// The override's reason.
    pub reason: Box<str>,
    /// The last day the override applies; always when `None`.
    pub until: Option<Date>,
    /// `disable`: the rule never fires while the override applies.
    pub disabled: bool,
    /// The window while the override applies (the rule's own when the
    /// override does not replace it).
    pub active_from: Option<Date>,
    /// See `active_from`.
    pub active_to: Option<Date>,
    /// The actions while the override applies, as in [`RuleInfo`].
    pub score: Option<i64>,
    /// See [`RuleInfo::score_expr`].
    pub score_expr: Option<OpId>,
    /// See [`RuleInfo::lane`].
    pub lane: Option<u16>,
    /// See [`RuleInfo::split`].
    pub split: Box<[(u16, u32)]>,
    /// See [`RuleInfo::notes`].
    pub notes: Box<[Box<str>]>,
}

impl OverlayInfo {
    /// True if the override applies on `today`.
    #[inline]
    pub fn in_effect(&self, today: Date) -> bool {
        self.until.is_none_or(|u| today <= u)
    }

    /// True if the adjusted rule is active on `today` (never when
    /// disabled).
    #[inline]
    pub fn is_active(&self, today: Date) -> bool {
        !self.disabled
            && self.active_from.is_none_or(|f| f <= today)
            && self.active_to.is_none_or(|t| today <= t)
    }
}

impl RuleInfo {
    /// True if the rule is active on `today` (both ends inclusive).
    #[inline]
    pub fn is_active(&self, today: Date) -> bool {
        self.active_from.is_none_or(|f| f <= today) && self.active_to.is_none_or(|t| today <= t)
    }
}

/// What evaluation reads of a rule, kept apart from the descriptive
/// [`RuleInfo`] so the rules evaluated for a declaration touch one small
/// record each (40 bytes) instead of a large one with pointers to chase.
/// Built from the rules by [`PlanBuilder::build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HotRule {
    /// The condition (`None` = true).
    pub(crate) cond: Option<OpId>,
    /// `score N`, 0 without one (adding 0 changes no score).
    pub(crate) score: i64,
    /// First active day, inclusive.
    pub(crate) active_from: Option<Date>,
    /// Last active day, inclusive.
    pub(crate) active_to: Option<Date>,
    /// `sample P%` cut-off in millionths; `u32::MAX` without sampling (a
    /// cut-off is at most 1,000,000).
    pub(crate) sample: u32,
    /// `lane L`, 0 without one (lane 0 is the default lane, and the lane of
    /// an outcome is a maximum that starts at 0).
    pub(crate) lane: u16,
    /// [`HotRule::MONITOR`], [`HotRule::SCORE_EXPR`], [`HotRule::SPLIT`],
    /// [`HotRule::LANE`]: what else evaluation must read of the rule.
    pub(crate) flags: u8,
}

impl HotRule {
    fn new(info: &RuleInfo, cond: Option<OpId>) -> HotRule {
        HotRule {
            cond,
            score: info.score.unwrap_or(0),
            active_from: info.active_from,
            active_to: info.active_to,
            // A draw is below `DRAW_MODULUS` (1,000,000), so any cut-off
            // above it behaves like `u32::MAX - 1`: the sentinel stays free.
            sample: info.sample.map_or(u32::MAX, |s| s.min(u32::MAX - 1)),
            lane: info.lane.unwrap_or(0),
            flags: (if info.monitor { HotRule::MONITOR } else { 0 })
                | (if info.score_expr.is_some() {
                    HotRule::SCORE_EXPR
                } else {
                    0
                })
                | (if info.split.is_empty() {
                    0
                } else {
                    HotRule::SPLIT
                })
                | (if info.lane.is_some() {
                    HotRule::LANE
                } else {
                    0
                })
                | (if info.inert { HotRule::INERT } else { 0 })
                | (if info.overlay.is_some() {
                    HotRule::OVERLAY
                } else {
                    0
                }),
        }
    }

    /// A shadow rule (`monitor`).
    pub(crate) const MONITOR: u8 = 1;
    /// Points from an expression (`Plan::rules[i].score_expr`).
    pub(crate) const SCORE_EXPR: u8 = 2;
    /// A lane split (`Plan::rules[i].split`).
    pub(crate) const SPLIT: u8 = 4;
    /// A fixed `lane` action (`lane`).
    pub(crate) const LANE: u8 = 8;
    /// A rule whose status keeps it from being evaluated.
    pub(crate) const INERT: u8 = 16;
    /// A rule with an override (`Plan::rules[i].overlay`).
    pub(crate) const OVERLAY: u8 = 32;

    /// True if the rule is active on `today` (both ends inclusive).
    #[inline]
    pub(crate) fn is_active(&self, today: Date) -> bool {
        self.active_from.is_none_or(|f| f <= today) && self.active_to.is_none_or(|t| today <= t)
    }
}

/// Why the builder refused something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// An op refers to an op, constant, set, table or quantifier that does
    /// not exist (yet).
    #[error("op refers to a nonexistent {what} #{id}")]
    BadId {
        /// What kind of id.
        what: &'static str,
        /// The id.
        id: u32,
    },
    /// An expression is nested deeper than [`MAX_DEPTH`].
    #[error("expression nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A quantifier variable beyond [`MAX_VARS`].
    #[error("quantifiers nested deeper than {MAX_VARS} levels")]
    TooManyVars,
    /// A rule's lane, or a threshold's lane, is not a lane of the plan.
    #[error("lane #{0} does not exist")]
    BadLane(u16),
    /// More items than `u32` ids can address.
    #[error("plan too large")]
    TooLarge,
    /// A set or table could not be built.
    #[error(transparent)]
    Set(#[from] SetError),
}

/// The compiled, immutable plan of a ruleset.
#[derive(Debug)]
pub struct Plan {
    pub(crate) name: Box<str>,
    pub(crate) version: Box<str>,
    pub(crate) lanes: Box<[Box<str>]>,
    // INVARIANT (lanes): every lane index below is < lanes.len(); kept by
    // `PlanBuilder::threshold` and `PlanBuilder::rule`.
    pub(crate) thresholds: Box<[(u16, i64)]>,
    /// Thresholds per group of a text field (`threshold red 60 for office
    /// "GT01"`); the declarations of no group use `thresholds`.
    pub(crate) groups: Option<ThresholdGroups>,
    pub(crate) layout: Layout,
    pub(crate) ops: Box<[Op]>,
    pub(crate) numbers: Box<[Decimal]>,
    /// All text constants, numbered by [`TextId`].
    pub(crate) texts: StrTable,
    pub(crate) in_sets: Box<[InSet]>,
    pub(crate) prefix_sets: Box<[PrefixSet]>,
    pub(crate) contains_sets: Box<[ContainsSet]>,
    pub(crate) tables: Box<[Table]>,
    pub(crate) quants: Box<[Quant]>,
    /// The operand lists of [`Op::All`] and [`Op::AnyOf`]:
    /// `parts[start..start + len]` for `lists[id]`.
    pub(crate) lists: Box<[(u32, u32)]>,
    pub(crate) parts: Box<[OpId]>,
    pub(crate) rules: Box<[RuleInfo]>,
    /// `conds[i]` is rule `i`'s condition (`None` = true).
    pub(crate) conds: Box<[Option<OpId>]>,
    /// `hot[i]` is what evaluation reads of rule `i` (INVARIANT (hot):
    /// built from `rules` and `conds` by [`PlanBuilder::build`], same
    /// length).
    pub(crate) hot: Box<[HotRule]>,
    /// One more than the highest quantifier variable used.
    pub(crate) vars: usize,
    /// The deepest nesting of composite keys (`key(...)` inside a
    /// lookup's key inside a `key(...)`, ...): how many key buffers an
    /// evaluation needs at once.
    pub(crate) key_depth: usize,
    /// Which rules can be skipped for a declaration; see `crate::index`.
    pub(crate) index: RuleIndex,
    /// Which shared subexpressions evaluation remembers; see `crate::memo`.
    pub(crate) memo: MemoTable,
    /// How each quantifier's body is evaluated; see `crate::shape`.
    pub(crate) shapes: Shapes,
    /// The rules whose quantifiers are evaluated in one pass; see
    /// `crate::eval::batch`.
    pub(crate) batches: Batches,
}

impl Plan {
    /// The schema the plan reads; bind declarations with
    /// `Declaration::new(plan.layout())`.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Lane names, least severe (the default) first.
    pub fn lanes(&self) -> &[Box<str>] {
        &self.lanes
    }

    /// `(lane index, minimum score)` thresholds, ascending.
    pub fn thresholds(&self) -> &[(u16, i64)] {
        &self.thresholds
    }

    /// The rules, in ruleset order.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The ruleset's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ruleset's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// How many distinct ops the plan has (identical sub-expressions are
    /// shared, so this can be less than the number of expression nodes).
    pub fn op_count(&self) -> usize {
        self.ops.len()
    }

    /// How many rules the rule index can skip (rules with a guard: a
    /// top-level conjunct the index recognises, see `crate::index` and
    /// `docs/performance.md`, "Writing rules the index can use"); the
    /// others are evaluated for every declaration.
    pub fn indexed_rules(&self) -> usize {
        self.index.guarded()
    }

    /// The rules the rule index never skips, in ruleset order: no
    /// top-level conjunct of their condition is a guard it recognises (or
    /// they have no condition), so they are evaluated for every
    /// declaration. Rules that are never evaluated (a profile status other
    /// than `active`) are left out.
    pub fn unindexed_rules(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.rules.len())
            .filter_map(|r| u32::try_from(r).ok())
            .filter(|&r| {
                self.index.always_candidate(r)
                    && self.rules.get(r as usize).is_some_and(|i| !i.inert)
            })
    }

    /// Whether the rule index keeps a declaration's candidates sparse (a
    /// wide plan whose rules are nearly all guarded); for tests.
    #[doc(hidden)]
    pub fn sparse_candidates(&self) -> bool {
        self.index.is_sparse()
    }

    /// An estimate of the heap memory the plan holds, in bytes (ops,
    /// constants, sets, tables, rule descriptions and the rule index; hash
    /// tables counted by capacity).
    pub fn heap_bytes(&self) -> usize {
        fn boxed_strs(v: &[Box<str>]) -> usize {
            v.iter().map(|s| size_of::<Box<str>>() + s.len()).sum()
        }
        let rules: usize = self
            .rules
            .iter()
            .map(|r| {
                size_of::<RuleInfo>()
                    + r.id.len()
                    + r.title.len()
                    + boxed_strs(&r.tags)
                    + boxed_strs(&r.notes)
            })
            .sum();
        let sets: usize = self
            .in_sets
            .iter()
            .map(InSet::heap_bytes)
            .chain(self.prefix_sets.iter().map(PrefixSet::heap_bytes))
            .chain(self.tables.iter().map(Table::heap_bytes))
            .sum::<usize>()
            + self.contains_sets.len() * size_of::<ContainsSet>();
        self.ops.len() * size_of::<Op>()
            + self.numbers.len() * size_of::<Decimal>()
            + self.texts.heap_bytes()
            + self.quants.len() * size_of::<Quant>()
            + self.lists.len() * 8
            + self.parts.len() * size_of::<OpId>()
            + self.conds.len() * size_of::<Option<OpId>>()
            + self.hot.len() * size_of::<HotRule>()
            + rules
            + sets
            + self.index.heap_bytes()
            + self.memo.heap_bytes()
            + self.shapes.heap_bytes()
    }

    /// The operands of an n-ary op's list (empty for an impossible id).
    #[inline]
    pub(crate) fn list(&self, l: PartsId) -> &[OpId] {
        operands(&self.lists, &self.parts, l)
    }

    /// The text of a text constant (empty for an impossible id).
    #[inline]
    pub(crate) fn text(&self, id: TextId) -> &str {
        self.texts.get(id.index()).unwrap_or("")
    }
}

/// `(lane, minimum score)` pairs in ascending order.
pub(crate) type Thresholds = Box<[(u16, i64)]>;

/// Thresholds that differ by the value of one top-level text field.
#[derive(Debug)]
pub(crate) struct ThresholdGroups {
    /// The field.
    pub(crate) field: FieldId,
    /// The groups' values; value number `i` has thresholds `lists[i]`.
    pub(crate) values: StrTable,
    // INVARIANT (lanes) as for `Plan::thresholds`; kept by
    // `PlanBuilder::threshold_group`.
    pub(crate) lists: Box<[Thresholds]>,
}

/// Builds a [`Plan`], keeping its invariants (see the module docs).
#[derive(Debug)]
pub struct PlanBuilder {
    name: Box<str>,
    version: Box<str>,
    lanes: Box<[Box<str>]>,
    thresholds: Vec<(u16, i64)>,
    group_field: Option<FieldId>,
    group_values: StrTableBuilder,
    group_lists: Vec<Thresholds>,
    layout: Layout,
    ops: Vec<Op>,
    depth: Vec<u32>,
    /// Per op, the nesting of composite keys in it (see `Plan::key_depth`).
    key_nest: Vec<u32>,
    op_ids: HashMap<Op, OpId, FxBuild>,
    numbers: Vec<Decimal>,
    number_ids: HashMap<Decimal, NumberId, FxBuild>,
    /// Text constants, interned without an allocation per text.
    texts: StrTableBuilder,
    in_sets: Vec<InSet>,
    /// Interned `in` sets by [`InSet::content_hash`]; equal hashes are
    /// told apart by [`InSet::same`].
    in_set_ids: HashMap<u64, Vec<SetId>, FxBuild>,
    prefix_sets: Vec<PrefixSet>,
    prefix_set_ids: HashMap<Vec<Box<str>>, PrefixSetId, FxBuild>,
    contains_sets: Vec<ContainsSet>,
    contains_set_ids: HashMap<Vec<Box<str>>, ContainsSetId, FxBuild>,
    tables: Vec<Table>,
    quants: Vec<Quant>,
    quant_ids: HashMap<Quant, QuantId, FxBuild>,
    /// Operand lists of n-ary ops, interned by content (hash, then the
    /// lists with that hash).
    lists: Vec<(u32, u32)>,
    parts: Vec<OpId>,
    list_ids: HashMap<u64, Vec<PartsId>, FxBuild>,
    rules: Vec<RuleInfo>,
    conds: Vec<Option<OpId>>,
    vars: usize,
}

/// Operand list `l` of `lists` (spans into `parts`), empty for an
/// impossible id.
#[inline]
fn operands<'a>(lists: &[(u32, u32)], parts: &'a [OpId], l: PartsId) -> &'a [OpId] {
    lists
        .get(l.index())
        .and_then(|&(s, n)| parts.get(s as usize..s as usize + n as usize))
        .unwrap_or(&[])
}

fn next_id(len: usize) -> Result<u32, PlanError> {
    u32::try_from(len).map_err(|_| PlanError::TooLarge)
}

impl PlanBuilder {
    /// Starts a plan for the ruleset `name` `version` with these lanes
    /// (least severe first; an empty list means `green, yellow, red`) over
    /// `layout`.
    pub fn new(name: &str, version: &str, lanes: &[&str], layout: Layout) -> PlanBuilder {
        let lanes: Box<[Box<str>]> = if lanes.is_empty() {
            ["green", "yellow", "red"]
                .iter()
                .map(|&l| l.into())
                .collect()
        } else {
            lanes.iter().map(|&l| l.into()).collect()
        };
        PlanBuilder {
            name: name.into(),
            version: version.into(),
            lanes,
            thresholds: Vec::new(),
            group_field: None,
            group_values: StrTableBuilder::default(),
            group_lists: Vec::new(),
            layout,
            ops: Vec::new(),
            depth: Vec::new(),
            key_nest: Vec::new(),
            op_ids: HashMap::default(),
            numbers: Vec::new(),
            number_ids: HashMap::default(),
            texts: StrTableBuilder::default(),
            in_sets: Vec::new(),
            in_set_ids: HashMap::default(),
            prefix_sets: Vec::new(),
            prefix_set_ids: HashMap::default(),
            contains_sets: Vec::new(),
            contains_set_ids: HashMap::default(),
            tables: Vec::new(),
            quants: Vec::new(),
            quant_ids: HashMap::default(),
            lists: Vec::new(),
            parts: Vec::new(),
            list_ids: HashMap::default(),
            rules: Vec::new(),
            conds: Vec::new(),
            vars: 0,
        }
    }

    /// Makes room for `rules` more rules and about `ops` more ops, so a
    /// builder told the size of the ruleset does not copy its vectors as
    /// they grow. Only an optimisation: the builder grows as needed.
    pub fn reserve(&mut self, rules: usize, ops: usize) {
        self.rules.reserve(rules);
        self.conds.reserve(rules);
        self.ops.reserve(ops);
        self.depth.reserve(ops);
        self.op_ids.reserve(ops);
    }

    /// The layout the plan is built over.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Adds `threshold LANE N`.
    pub fn threshold(&mut self, lane: u16, min_score: i64) -> Result<(), PlanError> {
        if usize::from(lane) >= self.lanes.len() {
            return Err(PlanError::BadLane(lane));
        }
        self.thresholds.push((lane, min_score));
        Ok(())
    }

    /// Adds the thresholds of the declarations whose text field `field` is
    /// `value` (`thresholds`: `(lane, minimum score)` in ascending order,
    /// the general thresholds included). Every group names the same field.
    ///
    /// # Errors
    /// [`PlanError::BadLane`] for a lane the plan does not have,
    /// [`PlanError::BadId`] for a second field or a value given twice.
    pub fn threshold_group(
        &mut self,
        field: FieldId,
        value: &str,
        thresholds: &[(u16, i64)],
    ) -> Result<(), PlanError> {
        if let Some(&(lane, _)) = thresholds
            .iter()
            .find(|(l, _)| usize::from(*l) >= self.lanes.len())
        {
            return Err(PlanError::BadLane(lane));
        }
        if self.group_field.is_some_and(|f| f != field) {
            return Err(PlanError::BadId {
                what: "threshold group field",
                id: field.0,
            });
        }
        self.group_field = Some(field);
        let (id, new) = self.group_values.insert(value).ok_or(PlanError::TooLarge)?;
        if !new {
            return Err(PlanError::BadId {
                what: "threshold group",
                id,
            });
        }
        self.group_lists.push(thresholds.into());
        Ok(())
    }

    /// Interns a number constant.
    pub fn number(&mut self, value: Decimal) -> Result<NumberId, PlanError> {
        if let Some(&id) = self.number_ids.get(&value) {
            return Ok(id);
        }
        let id = NumberId(next_id(self.numbers.len())?);
        self.numbers.push(value);
        self.number_ids.insert(value, id);
        Ok(id)
    }

    /// Interns a text constant.
    pub fn text(&mut self, value: &str) -> Result<TextId, PlanError> {
        let (id, _) = self.texts.insert(value).ok_or(PlanError::TooLarge)?;
        Ok(TextId(id))
    }

    /// Pushes the op for a constant.
    pub fn constant(&mut self, value: &Constant) -> Result<OpId, PlanError> {
        let op = match value {
            Constant::Text(t) => Op::Text(self.text(t)?),
            Constant::Number(n) => Op::Number(self.number(*n)?),
            Constant::Bool(b) => Op::Bool(*b),
            Constant::Date(d) => Op::Date(*d),
        };
        self.push(op)
    }

    /// A membership set for `in` (interned by content). All values must be
    /// of one type.
    pub fn in_set(&mut self, values: &[Constant]) -> Result<SetId, PlanError> {
        self.in_set_values(values.iter().map(Constant::value))
    }

    /// [`PlanBuilder::in_set`] from borrowed values (none *missing*), for
    /// a caller that holds its constants in another form: only the bytes
    /// of the texts are copied, into one buffer per set. Sets with the
    /// same values, in any order, are one set.
    pub fn in_set_values<'a>(
        &mut self,
        values: impl Iterator<Item = Value<'a>> + Clone,
    ) -> Result<SetId, PlanError> {
        let set = InSet::from_values(values)?;
        let hash = set.content_hash();
        let in_sets = &self.in_sets;
        let ids = self.in_set_ids.entry(hash).or_default();
        if let Some(&id) = ids
            .iter()
            .find(|id| in_sets.get(id.index()).is_some_and(|s| s.same(&set)))
        {
            return Ok(id);
        }
        let id = SetId(next_id(self.in_sets.len())?);
        ids.push(id);
        self.in_sets.push(set);
        Ok(id)
    }

    /// A prefix set for `starts with` (interned by content).
    pub fn prefix_set(&mut self, patterns: &[Box<str>]) -> Result<PrefixSetId, PlanError> {
        if let Some(&id) = self.prefix_set_ids.get(patterns) {
            return Ok(id);
        }
        let id = PrefixSetId(next_id(self.prefix_sets.len())?);
        self.prefix_sets
            .push(PrefixSet::new(patterns.iter().map(|p| &**p))?);
        self.prefix_set_ids.insert(patterns.to_vec(), id);
        Ok(id)
    }

    /// A substring set for `contains` (interned by content).
    pub fn contains_set(&mut self, patterns: &[Box<str>]) -> Result<ContainsSetId, PlanError> {
        if let Some(&id) = self.contains_set_ids.get(patterns) {
            return Ok(id);
        }
        let id = ContainsSetId(next_id(self.contains_sets.len())?);
        self.contains_sets.push(ContainsSet::new(patterns)?);
        self.contains_set_ids.insert(patterns.to_vec(), id);
        Ok(id)
    }

    /// A table shaped for exact (`prefix == false`) or longest-prefix
    /// lookup. Keys must be distinct.
    pub fn table(
        &mut self,
        entries: &[(Box<str>, Constant)],
        prefix: bool,
    ) -> Result<TableRef, PlanError> {
        let id = TableRef(next_id(self.tables.len())?);
        self.tables.push(Table::new(entries, prefix)?);
        Ok(id)
    }

    /// A table over data already built (by a [`crate::sets::TableBuilder`]),
    /// shaped for exact (`prefix == false`) or longest-prefix lookup of
    /// column `column` (0 for a one-value table). Every shape of one table
    /// can share one `data`, so a table read by `lookup` and by
    /// `lookup_prefix`, or in several columns, is held once.
    pub fn table_data(
        &mut self,
        data: Arc<TableData>,
        prefix: bool,
        column: u32,
    ) -> Result<TableRef, PlanError> {
        let id = TableRef(next_id(self.tables.len())?);
        self.tables.push(Table::shaped(data, prefix, column));
        Ok(id)
    }

    /// Pushes a quantifier op.
    pub fn quant(&mut self, quant: Quant) -> Result<OpId, PlanError> {
        if quant.var >= MAX_VARS {
            return Err(PlanError::TooManyVars);
        }
        if let Base::Var(v) = quant.base
            && v >= MAX_VARS
        {
            return Err(PlanError::TooManyVars);
        }
        if quant.body.index() >= self.ops.len() {
            return Err(PlanError::BadId {
                what: "op",
                id: quant.body.0,
            });
        }
        let id = match self.quant_ids.get(&quant) {
            Some(&id) => id,
            None => {
                let id = QuantId(next_id(self.quants.len())?);
                self.quants.push(quant);
                self.quant_ids.insert(quant, id);
                id
            }
        };
        self.vars = self.vars.max(quant.var as usize + 1);
        self.push(Op::Quant(id))
    }

    fn check_id(what: &'static str, id: u32, len: usize) -> Result<(), PlanError> {
        if (id as usize) < len {
            Ok(())
        } else {
            Err(PlanError::BadId { what, id })
        }
    }

    /// Pushes an op, or returns the id of an identical one already pushed.
    pub fn push(&mut self, op: Op) -> Result<OpId, PlanError> {
        if let Some(&id) = self.op_ids.get(&op) {
            return Ok(id);
        }
        let mut depth = 1u32;
        let mut nest = 0u32;
        for child in op.children().into_iter().flatten() {
            Self::check_id("op", child.0, self.ops.len())?;
            let d = self.depth.get(child.index()).copied().unwrap_or(0);
            depth = depth.max(d + 1);
            nest = nest.max(self.key_nest.get(child.index()).copied().unwrap_or(0));
        }
        match op {
            Op::Number(n) => Self::check_id("number", n.0, self.numbers.len())?,
            Op::Text(t) => Self::check_id("text", t.0, self.texts.len())?,
            Op::In { set, .. } => Self::check_id("set", set.0, self.in_sets.len())?,
            Op::StartsWithAny(_, s) => Self::check_id("prefix set", s.0, self.prefix_sets.len())?,
            Op::ContainsAny(_, s) => Self::check_id("contains set", s.0, self.contains_sets.len())?,
            Op::Lookup(t, _) => Self::check_id("table", t.0, self.tables.len())?,
            Op::Field {
                base: Base::Var(v), ..
            } => {
                if v >= MAX_VARS {
                    return Err(PlanError::TooManyVars);
                }
                self.vars = self.vars.max(v as usize + 1);
            }
            Op::Quant(q) => {
                Self::check_id("quantifier", q.0, self.quants.len())?;
                let body = self.quants.get(q.index()).map_or(0, |q| q.body.index());
                let d = self.depth.get(body).copied().unwrap_or(0);
                depth = depth.max(d + 1);
                nest = nest.max(self.key_nest.get(body).copied().unwrap_or(0));
            }
            Op::All(l) | Op::AnyOf(l) | Op::Key(l) => {
                Self::check_id("operand list", l.0, self.lists.len())?;
                for &p in self.list(l) {
                    let d = self.depth.get(p.index()).copied().unwrap_or(0);
                    depth = depth.max(d + 1);
                    let n = self.key_nest.get(p.index()).copied().unwrap_or(0);
                    nest = nest.max(n);
                }
                if let Op::Key(_) = op {
                    nest += 1;
                }
            }
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(PlanError::TooDeep);
        }
        let id = OpId(next_id(self.ops.len())?);
        self.ops.push(op);
        self.depth.push(depth);
        self.key_nest.push(nest);
        self.op_ids.insert(op, id);
        Ok(id)
    }

    /// The operands of list `l` (empty for an impossible id).
    fn list(&self, l: PartsId) -> &[OpId] {
        operands(&self.lists, &self.parts, l)
    }

    /// Pushes `key(parts...)` (two or more text parts, none a key).
    ///
    /// # Errors
    /// [`PlanError::BadId`] for a part that is not an earlier op, or fewer
    /// than two parts.
    pub fn key(&mut self, parts: &[OpId]) -> Result<OpId, PlanError> {
        if parts.len() < 2 {
            return Err(PlanError::BadId {
                what: "key part list",
                id: 0,
            });
        }
        let l = self.parts_list(parts)?;
        self.push(Op::Key(l))
    }

    /// Interns an operand list.
    fn parts_list(&mut self, operands: &[OpId]) -> Result<PartsId, PlanError> {
        for p in operands {
            Self::check_id("op", p.0, self.ops.len())?;
        }
        let mut h = crate::sets::FxHasher::default();
        std::hash::Hash::hash_slice(operands, &mut h);
        let hash = std::hash::Hasher::finish(&h);
        let found = self
            .list_ids
            .get(&hash)
            .and_then(|ids| ids.iter().copied().find(|&id| self.list(id) == operands));
        Ok(match found {
            Some(id) => id,
            None => {
                let id = PartsId(next_id(self.lists.len())?);
                let start = next_id(self.parts.len())?;
                let len = next_id(operands.len())?;
                start.checked_add(len).ok_or(PlanError::TooLarge)?;
                self.parts.extend_from_slice(operands);
                self.lists.push((start, len));
                self.list_ids.entry(hash).or_default().push(id);
                id
            }
        })
    }

    /// Pushes the Kleene `and` (`or` when `any`) of `operands`, in order: one
    /// operand is itself, two a binary op, more an [`Op::All`] /
    /// [`Op::AnyOf`] over an interned operand list, so a chain of any
    /// length is one level deep.
    ///
    /// # Errors
    /// [`PlanError::BadId`] for an operand that is not an earlier op, or
    /// no operand at all.
    pub fn chain(&mut self, any: bool, operands: &[OpId]) -> Result<OpId, PlanError> {
        match *operands {
            [] => Err(PlanError::BadId {
                what: "operand list",
                id: 0,
            }),
            [a] => {
                Self::check_id("op", a.0, self.ops.len())?;
                Ok(a)
            }
            [a, b] => self.push(if any { Op::Or(a, b) } else { Op::And(a, b) }),
            _ => {
                let id = self.parts_list(operands)?;
                self.push(if any { Op::AnyOf(id) } else { Op::All(id) })
            }
        }
    }

    /// Adds a rule (in ruleset order) with its condition (`None` = true).
    pub fn rule(&mut self, info: RuleInfo, when: Option<OpId>) -> Result<(), PlanError> {
        if let Some(lane) = info.lane
            && usize::from(lane) >= self.lanes.len()
        {
            return Err(PlanError::BadLane(lane));
        }
        if let Some(&(lane, _)) = info
            .split
            .iter()
            .find(|(l, _)| usize::from(*l) >= self.lanes.len())
        {
            return Err(PlanError::BadLane(lane));
        }
        if let Some(w) = info.score_expr {
            Self::check_id("op", w.0, self.ops.len())?;
        }
        if let Some(o) = &info.overlay {
            if let Some(w) = o.score_expr {
                Self::check_id("op", w.0, self.ops.len())?;
            }
            let lanes = o.lane.into_iter().chain(o.split.iter().map(|&(l, _)| l));
            for lane in lanes {
                if usize::from(lane) >= self.lanes.len() {
                    return Err(PlanError::BadLane(lane));
                }
            }
        }
        if let Some(w) = when {
            Self::check_id("op", w.0, self.ops.len())?;
        }
        next_id(self.rules.len())?;
        self.rules.push(info);
        self.conds.push(when);
        Ok(())
    }

    /// The value of a number constant op, if `id` is one (for constant
    /// folding while lowering).
    pub fn number_value(&self, id: OpId) -> Option<Decimal> {
        match self.ops.get(id.index())? {
            Op::Number(n) => self.numbers.get(n.index()).copied(),
            _ => None,
        }
    }

    /// Finishes the plan and builds its rule index (INVARIANT (indexed)).
    pub fn build(self) -> Plan {
        let hot = self
            .rules
            .iter()
            .zip(&self.conds)
            .map(|(r, &c)| HotRule::new(r, c))
            .collect();
        let mut plan = Plan {
            name: self.name,
            version: self.version,
            lanes: self.lanes,
            thresholds: self.thresholds.into_boxed_slice(),
            groups: self.group_field.map(|field| ThresholdGroups {
                field,
                values: self.group_values.finish(),
                lists: self.group_lists.into_boxed_slice(),
            }),
            layout: self.layout,
            ops: self.ops.into_boxed_slice(),
            numbers: self.numbers.into_boxed_slice(),
            texts: self.texts.finish(),
            in_sets: self.in_sets.into_boxed_slice(),
            prefix_sets: self.prefix_sets.into_boxed_slice(),
            contains_sets: self.contains_sets.into_boxed_slice(),
            tables: self.tables.into_boxed_slice(),
            quants: self.quants.into_boxed_slice(),
            lists: self.lists.into_boxed_slice(),
            parts: self.parts.into_boxed_slice(),
            rules: self.rules.into_boxed_slice(),
            conds: self.conds.into_boxed_slice(),
            hot,
            vars: self.vars,
            key_depth: self.key_nest.iter().copied().max().unwrap_or(0) as usize,
            index: RuleIndex::default(),
            memo: MemoTable::default(),
            shapes: Shapes::default(),
            batches: Batches::default(),
        };
        plan.index = RuleIndex::build(&plan);
        plan.memo = MemoTable::build(&plan);
        plan.shapes = Shapes::build(&plan);
        plan.batches = Batches::build(&plan);
        plan
    }
}

#[cfg(test)]
impl PlanBuilder {
    /// Adds op `base.field` (unit tests of the plan's parts).
    pub(crate) fn test_field(&mut self, base: Base, field: u32) -> OpId {
        match self.push(Op::Field {
            base,
            field: FieldId(field),
        }) {
            Ok(id) => id,
            Err(e) => panic!("field {field}: {e}"),
        }
    }

    /// Adds rule `R{i}` with condition `when` and nothing else (unit
    /// tests of the plan's parts).
    pub(crate) fn test_rule(&mut self, i: usize, when: OpId) {
        let info = RuleInfo {
            id: format!("R{i}").into(),
            ..RuleInfo::default()
        };
        if let Err(e) = self.rule(info, Some(when)) {
            panic!("R{i}: {e}");
        }
    }
}
