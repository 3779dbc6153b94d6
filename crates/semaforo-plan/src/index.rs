//! The rule index: which rules can be skipped for a declaration without
//! evaluating them, because one conjunct of their condition is certainly
//! *false* for it.
//!
//! A rule's condition is split into its top-level `and` conjuncts. Kleene
//! `and` is *false* as soon as one conjunct is *false*, whatever the others
//! are (even *unknown*), so a rule with a *false* conjunct neither fires nor
//! is undetermined, and skipping it changes nothing. The index recognises
//! two kinds of conjunct that test a field against constants (a *guard*):
//!
//! - a value guard: `f in [..]` or `f == "..."` on a top-level text field
//!   `f`. It is *false* exactly when `f` is present and not one of the
//!   values; when `f` is missing the conjunct is *unknown*, so the rule is a
//!   candidate.
//!   A composite key `key(a, b, ..) in [..]` over top-level fields is a
//!   value guard too: its parts are joined with `|` into a buffer reserved
//!   for the longest value (a longer key matches none; one part missing
//!   makes it *unknown*).
//! - a prefix guard on a top-level text field: `f starts with P` (`P` one
//!   text or a list). *False* exactly when `f` is present and starts with
//!   none of `P`; a present `f` makes a rule a candidate only through a
//!   pattern it starts with, so, like a value guard, it is then *true*.
//! - a prefix guard: `any(v in L: v.g starts with P and ...)` (a top-level
//!   record list `L`, a text field `g` of its elements, `P` one text or a
//!   list). It is *false* exactly when `L` is present and every element's
//!   `g` is present and starts with none of `P`; a missing `L` or a missing
//!   `g` on some element makes the rule a candidate.
//! - an element value guard: `any(v in L: v.g in [..] and ...)`,
//!   `v.g == ".."` or `key(v.a, v.b, ..) in [..]` with every part a text
//!   field of the element (no prefix guard in the same `and`). *False*
//!   exactly when `L` is present and every element's `g` (every part) is
//!   present and none of the values; an element without `g` (or a part)
//!   makes the rule a candidate, unless the same `and` holds
//!   `v.g is present` for the one field `g` (that element's body is then
//!   *false*). An element's key is built in the same reserved buffer as a
//!   top-level key; one longer than every value matches none. It is
//!   looked up per element, after the top-level guards in preference,
//!   never on the second level, and proves nothing.
//! - a range guard: `f > c`, `f >= c`, `f < c`, `f <= c`, `f == c` or
//!   `f in [c1, ..]` for a top-level number or date field `f` and
//!   constants (either side of the comparison). *False* exactly when `f`
//!   is present and outside the range; a missing `f` makes the rule a
//!   candidate. Numbers and dates are compared as integers (a number's
//!   millionths, a date's day number), so `f >= c` is `f > c - 1`; each
//!   field's bounds are sorted, and the rules a value passes are one run
//!   of each list. A bool field as a condition (`f`, `not f`, `f == c`,
//!   `f != c`) is the range "equal to 1" or "equal to 0". A range can let
//!   most declarations through, so it is a rule's guard only when it has
//!   no other; it proves nothing (the comparison is evaluated again,
//!   which is cheap).
//! - an element range guard: the same comparisons (and bool fields) on a
//!   number, date or bool field of the elements inside `any(v in L: v.f > c and ..)` (no
//!   prefix or value guard in the same `and`). *False* exactly when `L`
//!   is present and every element's `f` is present and outside the
//!   range; an element without `f` makes the rule a candidate, unless the
//!   same `and` holds `v.f is present`. Each element's value marks its
//!   runs; it is the last guard in preference and proves nothing.
//!
//! Prefix patterns are kept in a byte trie per list field, so one walk
//! down an element's code finds every rule whose pattern it starts with
//! (no hashing). Each rule's best guard (a prefix guard with patterns of
//! two or more bytes first, as codes such as HS numbers are selective;
//! otherwise the value guard with the fewest values) is its first level.
//! In plans with many rules, a second value guard on another conjunct (say
//! `origin in [..]` next to an HS prefix guard) is a second level: a rule
//! is a candidate only if neither guard is certainly false, which at
//! 10,000 rules cuts the candidates several-fold. Rules without a guard
//! are always candidates. Values shared by many rules map to a bitset
//! rather than a list. Per declaration, the candidates are collected into a
//! bitset in the [`crate::Scratch`] and evaluated in ruleset order, so
//! `fired` and `undetermined` keep their order.
//!
//! INVARIANT (false-only): a rule is left out of the candidates only if one
//! of its top-level conjuncts is *false* for the declaration; kept by
//! [`RuleIndex::candidates`], which treats every value other than present
//! text as "candidate".
//!
//! INVARIANT (proof): when a value-guard field is present text, every
//! candidate guarded by it on a level that was checked passed by a map
//! hit, so that guard conjunct is *true*; [`RuleIndex::rest`] then leaves
//! it out and the evaluator evaluates only the rule's other conjuncts.

use crate::decl::{Declaration, Node, Slot};
use crate::layout::{FieldId, FieldType, RecordId};
use crate::plan::{Base, CmpOp, Op, OpId, Plan, QuantKind};
use crate::sets::{InSet, PrefixSet};
use crate::strtab::{StrTable, StrTableBuilder};
use crate::trie::{self, Trie};

/// A set of rules, shaped for marking them in a candidate bitset: a list
/// of rule numbers, or (when the list would be at least as long as the
/// bitset has words) a bitset to OR in, so a value shared by many rules,
/// such as a country listed by hundreds of rules, costs one pass over the
/// words. At most twice the memory of the list.
#[derive(Debug)]
enum RuleSet {
    List(Box<[u32]>),
    Bits(Box<[u64]>),
}

impl RuleSet {
    fn new(rules: Vec<u32>, words: usize) -> RuleSet {
        if as_bits(rules.len(), words) {
            let mut bits = vec![0u64; words];
            for &r in &rules {
                set_bit(&mut bits, r);
            }
            RuleSet::Bits(bits.into_boxed_slice())
        } else {
            RuleSet::List(rules.into_boxed_slice())
        }
    }

    #[inline]
    fn view(&self) -> Rules<'_> {
        match self {
            RuleSet::List(rules) => Rules::List(rules),
            RuleSet::Bits(set) => Rules::Bits(set),
        }
    }

    #[inline]
    fn mark(&self, m: &mut impl Marks) {
        self.view().mark(m);
    }

    fn heap_bytes(&self) -> usize {
        match self {
            RuleSet::List(r) => r.len() * 4,
            RuleSet::Bits(b) => b.len() * 8,
        }
    }
}

/// Whether `rules` rules are kept as a bitset of `words` words rather than
/// a list: when the list would be at least as long as the bitset has
/// words (at most twice the memory, one pass to mark).
#[inline]
fn as_bits(rules: usize, words: usize) -> bool {
    words > 0 && rules >= words
}

/// Where the rules of one key of a [`RuleMap`] are.
#[derive(Clone, Copy, Debug)]
enum RuleSetRef {
    /// `lists[start..start + len]`.
    List { start: u32, len: u32 },
    /// `bits[start..start + words]`.
    Bits { start: u32 },
}

/// Text value -> the rules guarded by it: the keys in one [`StrTable`]
/// (no allocation per key), each key's rules (by key number) in two flat
/// arrays, shaped as [`RuleSet::new`] would shape them.
#[derive(Debug, Default)]
struct RuleMap {
    keys: StrTable,
    sets: Box<[RuleSetRef]>,
    lists: Box<[u32]>,
    bits: Box<[u64]>,
    /// Words per bitset.
    words: usize,
}

/// The rules of one key, borrowed from a [`RuleMap`].
#[derive(Clone, Copy)]
enum Rules<'m> {
    List(&'m [u32]),
    Bits(&'m [u64]),
}

impl RuleMap {
    /// The rules guarded by `key`, if any.
    #[inline]
    fn get(&self, key: &[u8]) -> Option<Rules<'_>> {
        let i = self.keys.find_bytes(key)?;
        match *self.sets.get(i as usize)? {
            RuleSetRef::List { start, len } => self
                .lists
                .get(start as usize..start as usize + len as usize)
                .map(Rules::List),
            RuleSetRef::Bits { start } => self
                .bits
                .get(start as usize..start as usize + self.words)
                .map(Rules::Bits),
        }
    }

    fn heap_bytes(&self) -> usize {
        self.keys.heap_bytes()
            + self.sets.len() * size_of::<RuleSetRef>()
            + self.lists.len() * 4
            + self.bits.len() * 8
    }
}

impl Rules<'_> {
    #[inline]
    fn mark(self, m: &mut impl Marks) {
        match self {
            Rules::List(rules) => m.all(rules),
            Rules::Bits(set) => m.words(set),
        }
    }
}

/// What a value guard tests: a top-level text field, or a composite key
/// `key(a, b, ..)` of top-level text fields (their texts joined with `|`,
/// *missing* if one is missing, as the evaluator builds it).
///
/// Or an element field: `Element` is text field `parts[0]` of the
/// elements of the top-level record list `list`, or the composite key of
/// their text fields `parts` (two or more), tested by a guard inside
/// `any` (`any(v in L: v.g in [..] and ..)`, `key(v.a, v.b) in [..]`); it
/// has one text per element, so [`mark_values`] reads it element by
/// element and it proves nothing. `present`: the same `and` also holds
/// `v.g is present` for the one field, so an element without `g` makes
/// the body *false*, not *unknown* (never set for a key).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    Field(FieldId),
    Key(Box<[FieldId]>),
    Element {
        list: FieldId,
        record: RecordId,
        parts: Box<[FieldId]>,
        present: bool,
    },
}

/// The text a [`Source`] has in a declaration.
enum SourceText<'a> {
    /// Missing (a missing field or key part, or not text): the guard is
    /// *unknown*.
    Missing,
    /// Present: this text's bytes.
    Text(&'a [u8]),
    /// A key that is present but was not built: longer than every guard
    /// value (so certainly none of them), or longer than the buffer.
    Long,
}

impl Source {
    /// Whether the source is a composite key, built into the
    /// [`KeyBuf`] (whose capacity is the longest value of any key).
    fn is_key(&self) -> bool {
        match self {
            Source::Field(_) => false,
            Source::Key(_) => true,
            Source::Element { parts, .. } => parts.len() > 1,
        }
    }

    /// The source's text in `decl`; a key is built in `buf` without
    /// growing it (no allocation), up to `max` bytes (the longest value).
    #[inline]
    fn text<'a>(&self, decl: &'a Declaration, buf: &'a mut String, max: usize) -> SourceText<'a> {
        match self {
            Source::Field(f) => match decl.slot(Node::ROOT, *f) {
                Slot::Text { start, len } => SourceText::Text(decl.text_bytes(start, len)),
                _ => SourceText::Missing,
            },
            Source::Key(parts) => Self::key_text(parts, decl, Node::ROOT, buf, max),
            // Read element by element by `mark_values`; never a single
            // text (and *missing* keeps every rule a candidate).
            Source::Element { .. } => SourceText::Missing,
        }
    }

    /// The composite key of text fields `parts` of `node` (the root, or
    /// an element), as [`Source::text`] builds it. Out of line, so the
    /// common field case stays small where it is inlined.
    #[inline(never)]
    fn key_text<'a>(
        parts: &[FieldId],
        decl: &'a Declaration,
        node: Node,
        buf: &'a mut String,
        max: usize,
    ) -> SourceText<'a> {
        // Every part present first: one missing part makes the key
        // missing whatever its length.
        let mut total = parts.len().saturating_sub(1);
        for &f in parts.iter() {
            match decl.slot(node, f) {
                Slot::Text { len, .. } => total += len as usize,
                _ => return SourceText::Missing,
            }
        }
        if total > max {
            return SourceText::Long;
        }
        if total > buf.capacity() {
            // A scratch cloned without its capacity: the key is
            // present, but not built; the caller treats the guard
            // as unknown (every rule a candidate, nothing proved).
            return SourceText::Missing;
        }
        buf.clear();
        for (i, &f) in parts.iter().enumerate() {
            if i > 0 {
                buf.push('|');
            }
            if let Slot::Text { start, len } = decl.slot(node, f) {
                buf.push_str(decl.text(start, len));
            }
        }
        SourceText::Text(buf.as_bytes())
    }
}

/// Rules guarded by one top-level text field or composite key.
#[derive(Debug)]
struct ValueGuards {
    field: Source,
    map: RuleMap,
    /// Every rule guarded by this field (candidates when it is missing).
    all: RuleSet,
}

/// Rules guarded by the prefixes of one text field: an element field of
/// one list (`any(v in L: v.g starts with P and ..)`), or a top-level
/// field (`g starts with P`, `list` `None`).
#[derive(Debug)]
struct PrefixGuards {
    /// The top-level list whose elements carry the field, or `None` for a
    /// top-level field.
    list: Option<FieldId>,
    record: RecordId,
    field: FieldId,
    /// The patterns as a flat byte trie (see [`Trie::freeze`]), each
    /// pattern's values its rules.
    trie: Box<[u32]>,
    /// Every rule guarded here (candidates when data is missing).
    all: Box<[u32]>,
}

/// The number or date field a range guard compares: a top-level field,
/// or (inside `any(v in L: ..)`) field `field` of the elements of the
/// top-level record list `list`, whose `present` says the same `and`
/// holds `v.field is present` (an element without it makes the body
/// *false*, not *unknown*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeField {
    Root(FieldId),
    Element {
        list: FieldId,
        record: RecordId,
        field: FieldId,
        present: bool,
    },
}

/// Rules guarded by comparisons of one number or date field with
/// constants, on integer keys ([`range_key`]): a rule in `above` passes
/// when the value is above its bound, one in `below` when it is below,
/// one in `equal` when it is equal. Each list is sorted by bound, so the
/// rules a value passes are one run of each: a prefix of `above`, a
/// suffix of `below`, a run of `equal`. An
/// element field's rules are those some element's value passes.
#[derive(Debug)]
struct RangeGuards {
    field: RangeField,
    above: Box<[(i128, u32)]>,
    below: Box<[(i128, u32)]>,
    equal: Box<[(i128, u32)]>,
    /// Every rule guarded here (candidates when the field is missing).
    all: Box<[u32]>,
}

/// [`RangeGuards`] while they are built.
struct BuildingRanges {
    field: RangeField,
    above: Vec<(i128, u32)>,
    below: Vec<(i128, u32)>,
    equal: Vec<(i128, u32)>,
    all: Vec<u32>,
}

impl BuildingRanges {
    fn new(field: RangeField) -> BuildingRanges {
        BuildingRanges {
            field,
            above: Vec::new(),
            below: Vec::new(),
            equal: Vec::new(),
            all: Vec::new(),
        }
    }

    fn add(&mut self, bounds: RangeBounds<'_>, rule: u32) {
        match bounds {
            RangeBounds::Above(t) => self.above.push((t, rule)),
            RangeBounds::Below(t) => self.below.push((t, rule)),
            RangeBounds::Equal(t) => self.equal.push((t, rule)),
            RangeBounds::Numbers(vs) => {
                self.equal.extend(vs.iter().map(|v| (v.raw(), rule)));
            }
            RangeBounds::Dates(vs) => {
                self.equal
                    .extend(vs.iter().map(|d| (i128::from(d.days()), rule)));
            }
        }
        self.all.push(rule);
    }

    fn freeze(self) -> RangeGuards {
        let sorted = |mut v: Vec<(i128, u32)>| {
            v.sort_unstable();
            v.dedup();
            v.into_boxed_slice()
        };
        RangeGuards {
            field: self.field,
            above: sorted(self.above),
            below: sorted(self.below),
            equal: sorted(self.equal),
            all: self.all.into_boxed_slice(),
        }
    }
}

impl RangeGuards {
    /// Marks the rules whose comparison is not certainly false for
    /// `decl`: those whose bound the value passes, or every rule when the
    /// field is missing (keeps INVARIANT (false-only)). For an element
    /// field: those whose bound some element's value passes; every rule
    /// when the list is missing or an element lacks the field (unless
    /// the guards hold `v.f is present`: that element's body is then
    /// *false*); none for a present empty list.
    fn mark(&self, decl: &Declaration, m: &mut impl Marks) {
        let (list, record, field, present) = match self.field {
            RangeField::Root(field) => {
                match range_key(decl.slot(Node::ROOT, field)) {
                    Some(v) => self.mark_value(v, m),
                    None => m.all(&self.all),
                }
                return;
            }
            RangeField::Element {
                list,
                record,
                field,
                present,
            } => (list, record, field, present),
        };
        let list = decl.slot(Node::ROOT, list);
        if !matches!(list, Slot::List { .. }) {
            m.all(&self.all);
            return;
        }
        for node in decl.elements(record, list) {
            match range_key(decl.slot(node, field)) {
                Some(v) => self.mark_value(v, m),
                None if present => {}
                None => {
                    m.all(&self.all);
                    return;
                }
            }
        }
    }

    /// Marks the rules whose bound value `v` passes.
    #[inline]
    fn mark_value(&self, v: i128, m: &mut impl Marks) {
        // Bounds below the value (a prefix of `above`) and above it (a
        // suffix of `below`): walked from their end, so the walk costs
        // one comparison per rule marked, plus one.
        for &(t, r) in self.above.iter() {
            if t >= v {
                break;
            }
            m.one(r);
        }
        for &(t, r) in self.below.iter().rev() {
            if t <= v {
                break;
            }
            m.one(r);
        }
        // The value itself: a run of `equal`, found by binary search
        // when the list is long (many `f == c` rules on one field).
        let lo = match self.equal.len() {
            0..=8 => 0,
            _ => self.equal.partition_point(|&(t, _)| t < v),
        };
        for &(t, r) in self.equal.get(lo..).unwrap_or(&[]) {
            if t > v {
                break;
            }
            if t == v {
                m.one(r);
            }
        }
    }
}

/// The fewest rules with a second value guard for which the index builds
/// its second level (see [`RuleIndex::build`]).
const SECOND_LEVEL_MIN_RULES: usize = 64;

/// The rule index of a plan (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct RuleIndex {
    /// Rules without a guard, as a bitset of `words` words.
    always: Box<[u64]>,
    /// The same rules as a list, when candidates are kept sparse (`None`:
    /// dense, see [`Candidates`]).
    sparse: Option<Box<[u32]>>,
    values: Box<[ValueGuards]>,
    prefixes: Box<[PrefixGuards]>,
    ranges: Box<[RangeGuards]>,
    /// How many rules have a guard.
    guarded: usize,
    /// A second value guard per rule, on another conjunct than the first
    /// (for example `origin in [..]` next to an HS prefix guard), or
    /// `None` when no rule has one. A candidate must pass both levels.
    second: Option<SecondLevel>,
    /// Per rule, the conjuncts left to evaluate once its value guards are
    /// known to hold (see [`RuleIndex::rest`]).
    rests: Box<[Rest]>,
    /// The conjuncts of every [`Rest`], back to back.
    parts: Box<[OpId]>,
    /// The longest value of a composite-key guard (`key(a, b) in [..]`),
    /// in bytes: the room a declaration's key is built in.
    key_max: usize,
}

/// What is left of a rule's condition when the index has proved its
/// value guards true: a candidate whose guard fields are all present
/// text passed each level by a map hit, so each of those guard conjuncts
/// is *true*, and the Kleene `and` of the other conjuncts decides.
#[derive(Clone, Copy, Debug, Default)]
struct Rest {
    /// The proof bits (see [`RuleIndex::candidates`]) the rule needs;
    /// 0 when no guard of the rule can be left out.
    need: u64,
    /// The other conjuncts, `parts[start..start + len]`.
    start: u32,
    len: u32,
}

/// How many guard fields per level have a proof bit (the bits of level 1
/// are the low half of a `u64`, those of level 2 the high half). Level 1
/// gives its value-guard fields the low [`PROOF_VALUES`] of its bits and
/// its top-level prefix-guard fields the rest.
const PROOF_FIELDS: usize = 32;

/// How many of level 1's proof bits are for value-guard fields.
const PROOF_VALUES: usize = 16;

/// The second level of the index: rules without a second guard are in
/// `always`; the others pass when their value guard is not certainly false.
#[derive(Debug)]
struct SecondLevel {
    always: Box<[u64]>,
    values: Box<[ValueGuards]>,
}

/// The texts of a guard, borrowed from the plan.
#[derive(Clone, Copy)]
enum Texts<'p> {
    One(&'p str),
    Set(&'p StrTable),
    Prefixes(&'p PrefixSet),
}

impl<'p> Texts<'p> {
    fn len(self) -> usize {
        match self {
            Texts::One(_) => 1,
            Texts::Set(s) => s.len(),
            Texts::Prefixes(p) => p.by_len().iter().map(|(_, s)| s.len()).sum(),
        }
    }

    /// Whether every text has at least two bytes.
    fn all_long(self) -> bool {
        match self {
            Texts::One(t) => t.len() >= 2,
            Texts::Set(s) => s.iter().all(|t| t.len() >= 2),
            Texts::Prefixes(p) => p.by_len().iter().all(|(len, _)| *len >= 2),
        }
    }

    fn for_each(self, mut f: impl FnMut(&'p str)) {
        match self {
            Texts::One(t) => f(t),
            Texts::Set(s) => s.iter().for_each(f),
            Texts::Prefixes(p) => p.by_len().iter().flat_map(|(_, s)| s.iter()).for_each(f),
        }
    }
}

/// A guard found in a rule's condition.
enum Guard<'p> {
    /// `field` is a top-level field or key, or (inside `any`) an element
    /// field ([`Source::Element`]).
    Value { field: Source, values: Texts<'p> },
    /// `f OP c` for a number or date field `f` (top-level, or inside
    /// `any` an element's) and a constant `c`, as strict bounds and
    /// equalities on the value's integer key ([`range_key`]), or
    /// `f in [c1, c2, ..]` (equalities).
    Range {
        field: RangeField,
        bounds: RangeBounds<'p>,
    },
    /// `list` `None`: a top-level field (`g starts with P`).
    Prefix {
        list: Option<FieldId>,
        record: RecordId,
        field: FieldId,
        patterns: Texts<'p>,
    },
}

impl Guard<'_> {
    /// Lower is better.
    fn rank(&self) -> (u8, usize) {
        match self {
            Guard::Prefix { patterns, .. } if patterns.all_long() => (0, patterns.len()),
            // An element's value is looked up per element, and proves
            // nothing: after a top-level value.
            Guard::Value {
                field: Source::Element { .. },
                values,
            } => (2, values.len()),
            Guard::Value { values, .. } => (1, values.len()),
            Guard::Prefix { patterns, .. } => (3, patterns.len()),
            // A range may let most declarations through: last.
            Guard::Range {
                field: RangeField::Root(_),
                ..
            } => (4, 0),
            // Per element, and the last resort.
            Guard::Range { .. } => (5, 0),
        }
    }
}

/// A range guard's test, on integer keys ([`range_key`]).
#[derive(Clone, Copy)]
enum RangeBounds<'p> {
    /// The value is above `t` (`f > t`; `f >= t` is `f > t - 1`).
    Above(i128),
    /// The value is below `t` (`f < t`; `f <= t` is `f < t + 1`).
    Below(i128),
    /// The value is `t`.
    Equal(i128),
    /// The value is one of a number set's values.
    Numbers(&'p [crate::decimal::Decimal]),
    /// The value is one of a date set's values.
    Dates(&'p [crate::date::Date]),
}

/// The integer key of a number, date or bool, in the order of the
/// values: a number's raw units (millionths: `Decimal::raw`), a date's
/// day number, 0 or 1 for a bool (only ever tested for equality).
/// Keys are integers, so `>= t` is `> t - 1` and `<= t` is `< t + 1`.
fn range_key(slot: Slot) -> Option<i128> {
    match slot {
        Slot::Number(n) => Some(n.raw()),
        Slot::Date(d) => Some(i128::from(d.days())),
        Slot::Bool(b) => Some(i128::from(b)),
        _ => None,
    }
}

/// `id` as a field compared with a constant: `(field, constant, k)`
/// read with the field on the left (`5 < f` is `f > 5`), for the fields
/// `own` recognises (a top-level field, or an element's own).
fn field_cmp(
    id: OpId,
    plan: &Plan,
    own: impl Fn(OpId) -> Option<FieldId>,
) -> Option<(FieldId, OpId, CmpOp)> {
    let Op::Cmp(k, a, b) = *plan.ops.get(id.index())? else {
        return None;
    };
    match (own(a), own(b)) {
        (Some(f), None) => Some((f, b, k)),
        // The field on the right: the same test read the other way.
        (None, Some(f)) => Some((
            f,
            a,
            match k {
                CmpOp::Lt => CmpOp::Gt,
                CmpOp::Le => CmpOp::Ge,
                CmpOp::Gt => CmpOp::Lt,
                CmpOp::Ge => CmpOp::Le,
                k => k,
            },
        )),
        _ => None,
    }
}

/// The range conjunct `id` is, if any: a number or date field of
/// `record` (read by `own`) compared with a constant of its type
/// (`f > c`, `c <= f`, `f == c`, ..) or tested with `in` against a set
/// of its type; or a bool field as a condition (`f`, `not f`,
/// `f == true`, `f != false`), read as the integer 1 or 0.
fn range_of<'p>(
    plan: &'p Plan,
    record: RecordId,
    own: impl Fn(OpId) -> Option<FieldId>,
    id: OpId,
) -> Option<(FieldId, RangeBounds<'p>)> {
    let ty = |f: FieldId| Some(plan.layout.record(record)?.fields.get(f.0 as usize)?.ty);
    // A bool field is *false* exactly when present and the other value.
    let flag = |f: OpId, want: bool| {
        let field = own(f)?;
        (ty(field)? == FieldType::Bool).then_some((field, RangeBounds::Equal(i128::from(want))))
    };
    match *plan.ops.get(id.index())? {
        Op::Field { .. } => return flag(id, true),
        Op::Not(a) => return flag(a, false),
        _ => {}
    }
    if let Op::In {
        value,
        set,
        negated: false,
    } = *plan.ops.get(id.index())?
    {
        let field = own(value)?;
        let bounds = match (ty(field)?, plan.in_sets.get(set.index())?) {
            (FieldType::Number, InSet::Number(s)) => RangeBounds::Numbers(s),
            (FieldType::Date, InSet::Date(s)) => RangeBounds::Dates(s),
            _ => return None,
        };
        return Some((field, bounds));
    }
    let (field, constant, k) = field_cmp(id, plan, own)?;
    let t = match (ty(field)?, *plan.ops.get(constant.index())?) {
        (FieldType::Number, Op::Number(n)) => plan.numbers.get(n.index())?.raw(),
        (FieldType::Date, Op::Date(d)) => i128::from(d.days()),
        // Bools are only equal or not (an order is *unknown*, never
        // false): `f == c` holds for `c`, `f != c` for the other value.
        (FieldType::Bool, Op::Bool(c)) => {
            let want = match k {
                CmpOp::Eq => c,
                CmpOp::Ne => !c,
                _ => return None,
            };
            return Some((field, RangeBounds::Equal(i128::from(want))));
        }
        _ => return None,
    };
    let bounds = match k {
        CmpOp::Gt => RangeBounds::Above(t),
        CmpOp::Ge => RangeBounds::Above(t.checked_sub(1)?),
        CmpOp::Lt => RangeBounds::Below(t),
        CmpOp::Le => RangeBounds::Below(t.checked_add(1)?),
        CmpOp::Eq => RangeBounds::Equal(t),
        CmpOp::Ne => return None,
    };
    Some((field, bounds))
}

/// The top-level conjuncts of `root` (an explicit stack: chains of `and`
/// are as deep as the plan allows; `stack` is a work buffer).
pub(crate) fn conjuncts(plan: &Plan, root: OpId, out: &mut Vec<OpId>, stack: &mut Vec<OpId>) {
    out.clear();
    stack.clear();
    stack.push(root);
    while let Some(id) = stack.pop() {
        match plan.ops.get(id.index()) {
            Some(&Op::And(a, b)) => {
                stack.push(b);
                stack.push(a);
            }
            Some(&Op::All(l)) => stack.extend(plan.list(l).iter().rev()),
            Some(_) => out.push(id),
            None => {}
        }
    }
}

/// A top-level text field read by `id`, if that is what it is.
fn root_field(plan: &Plan, id: OpId) -> Option<FieldId> {
    match plan.ops.get(id.index()) {
        Some(&Op::Field {
            base: Base::Root,
            field,
        }) => Some(field),
        _ => None,
    }
}

/// A text constant pushed as `id`, if that is what it is.
fn text_const(plan: &Plan, id: OpId) -> Option<&str> {
    match plan.ops.get(id.index()) {
        Some(&Op::Text(t)) => Some(plan.text(t)),
        _ => None,
    }
}

/// Work buffers of [`guard_of`].
#[derive(Default)]
struct GuardScratch {
    body: Vec<OpId>,
    stack: Vec<OpId>,
}

/// The patterns of a `starts with` op and the op whose text it tests.
fn starts_with<'p>(plan: &'p Plan, id: OpId) -> Option<(OpId, Texts<'p>)> {
    match *plan.ops.get(id.index())? {
        Op::StartsWith(t, p) => Some((t, Texts::One(text_const(plan, p)?))),
        Op::StartsWithAny(t, s) => Some((t, Texts::Prefixes(plan.prefix_sets.get(s.index())?))),
        _ => None,
    }
}

/// Whether the conjuncts `body` of an `any` hold `v.field is present`
/// (`own` reads the element's own fields).
fn present_beside(
    plan: &Plan,
    body: &[OpId],
    own: impl Fn(OpId) -> Option<FieldId>,
    field: FieldId,
) -> bool {
    body.iter().any(|&p| {
        matches!(
            plan.ops.get(p.index()),
            Some(&Op::Is { value, present: true }) if own(value) == Some(field)
        )
    })
}

/// The range guard conjunct `id` is on a top-level field, if any.
fn root_range(plan: &Plan, id: OpId) -> Option<Guard<'_>> {
    let (field, bounds) = range_of(plan, RecordId(0), |id| root_field(plan, id), id)?;
    Some(Guard::Range {
        field: RangeField::Root(field),
        bounds,
    })
}

/// The guard a conjunct is, if any.
fn guard_of<'p>(plan: &'p Plan, id: OpId, scratch: &mut GuardScratch) -> Option<Guard<'p>> {
    match *plan.ops.get(id.index())? {
        Op::StartsWith(..) | Op::StartsWithAny(..) => {
            let (t, patterns) = starts_with(plan, id)?;
            Some(Guard::Prefix {
                list: None,
                record: RecordId(0),
                field: root_field(plan, t)?,
                patterns,
            })
        }
        Op::In {
            value,
            set,
            negated: false,
        } => {
            let field = match plan.ops.get(value.index())? {
                // `key(a, b) in [..]` over top-level fields.
                &Op::Key(parts) => Source::Key(
                    plan.list(parts)
                        .iter()
                        .map(|&p| root_field(plan, p))
                        .collect::<Option<_>>()?,
                ),
                _ => Source::Field(root_field(plan, value)?),
            };
            match plan.in_sets.get(set.index())? {
                InSet::Text(s) => Some(Guard::Value {
                    field,
                    values: Texts::Set(s),
                }),
                // `f in [1, 2]` for a number or date field.
                _ => root_range(plan, id),
            }
        }
        // A bool field as a condition, or `not` of one.
        Op::Field { .. } | Op::Not(_) => root_range(plan, id),
        Op::Cmp(..) => {
            let (field, constant, k) = field_cmp(id, plan, |id| root_field(plan, id))?;
            match text_const(plan, constant) {
                Some(value) if k == CmpOp::Eq => Some(Guard::Value {
                    field: Source::Field(field),
                    values: Texts::One(value),
                }),
                Some(_) => None,
                // A number or date field against a constant.
                None => root_range(plan, id),
            }
        }
        Op::Quant(q) => {
            let q = plan.quants.get(q.index())?;
            if q.kind != QuantKind::Any || q.base != Base::Root {
                return None;
            }
            conjuncts(plan, q.body, &mut scratch.body, &mut scratch.stack);
            // The element's own field (not an outer variable's).
            let own = |id: OpId| match *plan.ops.get(id.index())? {
                Op::Field {
                    base: Base::Var(v),
                    field,
                } if v == q.var => Some(field),
                _ => None,
            };
            let prefix = scratch.body.iter().find_map(|&c| {
                let (t, patterns) = starts_with(plan, c)?;
                Some(Guard::Prefix {
                    list: Some(q.field),
                    record: q.record,
                    field: own(t)?,
                    patterns,
                })
            });
            // The element's own fields as the parts of a value: one field,
            // or a composite key of them (none of another variable).
            let own_parts = |id: OpId| -> Option<Box<[FieldId]>> {
                match *plan.ops.get(id.index())? {
                    Op::Key(parts) => plan.list(parts).iter().map(|&p| own(p)).collect(),
                    _ => Some(Box::new([own(id)?])),
                }
            };
            // Without a prefix: `v.g in [..]`, `v.g == ".."` or
            // `key(v.a, v.b, ..) in [..]`.
            prefix
                .or_else(|| {
                    scratch.body.iter().find_map(|&c| {
                        let (parts, values) = match *plan.ops.get(c.index())? {
                            Op::In {
                                value,
                                set,
                                negated: false,
                            } => match plan.in_sets.get(set.index())? {
                                InSet::Text(s) => (own_parts(value)?, Texts::Set(s)),
                                _ => return None,
                            },
                            Op::Cmp(CmpOp::Eq, a, b) => match (own(a), own(b)) {
                                (Some(f), _) => (
                                    Box::new([f]) as Box<[FieldId]>,
                                    Texts::One(text_const(plan, b)?),
                                ),
                                (_, Some(f)) => (
                                    Box::new([f]) as Box<[FieldId]>,
                                    Texts::One(text_const(plan, a)?),
                                ),
                                _ => return None,
                            },
                            _ => return None,
                        };
                        // `v.g is present` beside it: an element without `g`
                        // makes the body false. (A key's parts are not
                        // looked at: an element missing one is a candidate.)
                        let present = match *parts {
                            [field] => present_beside(plan, &scratch.body, own, field),
                            _ => false,
                        };
                        Some(Guard::Value {
                            field: Source::Element {
                                list: q.field,
                                record: q.record,
                                parts,
                                present,
                            },
                            values,
                        })
                    })
                })
                // Without either: `v.f > c`, `v.f in [1, 2]`, .. on a number
                // or date field of the element.
                .or_else(|| {
                    scratch.body.iter().find_map(|&c| {
                        let (field, bounds) = range_of(plan, q.record, own, c)?;
                        Some(Guard::Range {
                            field: RangeField::Element {
                                list: q.field,
                                record: q.record,
                                field,
                                present: present_beside(plan, &scratch.body, own, field),
                            },
                            bounds,
                        })
                    })
                })
        }
        _ => None,
    }
}

#[inline]
fn set_bit(bits: &mut [u64], rule: u32) {
    if let Some(w) = bits.get_mut(rule as usize / 64) {
        *w |= 1u64 << (rule % 64);
    }
}

/// Where candidate rules are marked: [`Dense`] or [`Sparse`].
trait Marks {
    /// Marks one rule.
    fn one(&mut self, rule: u32);

    /// Marks every rule of a list.
    #[inline]
    fn all(&mut self, rules: &[u32]) {
        for &r in rules {
            self.one(r);
        }
    }

    /// Marks every rule of a bitset as wide as the candidate bitset.
    fn words(&mut self, set: &[u64]);
}

/// A whole candidate bitset, every word written.
struct Dense<'a>(&'a mut [u64]);

impl Marks for Dense<'_> {
    #[inline]
    fn one(&mut self, rule: u32) {
        set_bit(self.0, rule);
    }

    #[inline]
    fn words(&mut self, set: &[u64]) {
        for (w, s) in self.0.iter_mut().zip(set) {
            *w |= *s;
        }
    }
}

/// The candidate bitset of a plan of at most 64 rules, in a register.
struct Word(u64);

impl Marks for Word {
    #[inline]
    fn one(&mut self, rule: u32) {
        if rule < 64 {
            self.0 |= 1u64 << rule;
        }
    }

    #[inline]
    fn words(&mut self, set: &[u64]) {
        self.0 |= set.first().copied().unwrap_or(0);
    }
}

/// A candidate bitset that is all zero before marking, and the numbers of
/// its words that marking made non-zero (each once): a large plan of which
/// a declaration has few candidates touches few words, and only those are
/// read and cleared again (INVARIANT (clean), see [`Candidates`]).
struct Sparse<'a> {
    bits: &'a mut [u64],
    dirty: &'a mut Vec<u32>,
}

impl Sparse<'_> {
    /// ORs `bits` into word `w`, remembering the word if it was zero.
    #[inline]
    fn or(&mut self, w: usize, bits: u64) {
        if bits == 0 {
            return;
        }
        if let Some(word) = self.bits.get_mut(w) {
            if *word == 0 {
                // At most one push per word: capacity `words` suffices.
                // `w` is below the word count, `rules / 64` with rules
                // numbered by `u32`, so the cast is exact.
                self.dirty.push(w as u32);
            }
            *word |= bits;
        }
    }
}

impl Marks for Sparse<'_> {
    #[inline]
    fn one(&mut self, rule: u32) {
        self.or(rule as usize / 64, 1u64 << (rule % 64));
    }

    #[inline]
    fn words(&mut self, set: &[u64]) {
        for (w, &s) in set.iter().enumerate() {
            self.or(w, s);
        }
    }
}

/// The rule index's work buffers, kept in the evaluator's `Scratch` and
/// reused across declarations.
///
/// INVARIANT (clean): when `clean` is set, `bits` is all zero. The sparse
/// path relies on it and restores it by clearing the words it touched; the
/// dense path leaves `bits` written and unsets it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Candidates {
    bits: Vec<u64>,
    second: Vec<u64>,
    dirty: Vec<u32>,
    clean: bool,
    key: KeyBuf,
}

impl Candidates {
    /// Buffers with room for `index`, so evaluation does not allocate.
    pub(crate) fn for_index(index: &RuleIndex) -> Candidates {
        let words = index.words();
        Candidates {
            bits: vec![0; words],
            second: Vec::with_capacity(words),
            dirty: Vec::with_capacity(words),
            clean: true,
            key: KeyBuf {
                buf: String::with_capacity(index.key_max),
                max: index.key_max,
            },
        }
    }
}

/// The set bits of `bits` in ascending order, appended to `list`.
///
/// Kept out of line so its counters stay in registers: inlined into the
/// evaluator, they were spilled to the stack, a store and a load per word.
/// Runs of eight empty words (most of them, in large plans) are skipped
/// with one test.
#[inline(never)]
fn list_bits(bits: &[u64], list: &mut Vec<u32>) {
    let chunks = bits.chunks_exact(8);
    let tail = chunks.remainder();
    let mut base = 0u32;
    for chunk in chunks {
        if chunk.iter().fold(0, |acc, &w| acc | w) != 0 {
            push_bits(list, base, chunk);
        }
        base = base.wrapping_add(512);
    }
    push_bits(list, base, tail);
}

/// Pushes the set bits of `words`, numbered from `base`.
#[inline]
fn push_bits(list: &mut Vec<u32>, base: u32, words: &[u64]) {
    let mut at = base;
    for &word in words {
        let mut word = word;
        while word != 0 {
            list.push(at + word.trailing_zeros());
            word &= word - 1;
        }
        at = at.wrapping_add(64);
    }
}

/// The rules that pass the second level, word by word: `a[i]` or
/// `a[i] | b[i]`.
#[derive(Clone, Copy)]
enum Mask<'a> {
    One(&'a [u64]),
    Two(&'a [u64], &'a [u64]),
}

impl Mask<'_> {
    /// Word `w` of the mask.
    #[inline]
    fn word(self, w: usize) -> u64 {
        let at = |s: &[u64]| s.get(w).copied().unwrap_or(0);
        match self {
            Mask::One(a) => at(a),
            Mask::Two(a, b) => at(a) | at(b),
        }
    }
}

/// [`Sparse`] marking of only the rules that pass a second-level [`Mask`]:
/// the same candidates as marking everything and ANDing the mask in.
struct Filtered<'a> {
    sparse: Sparse<'a>,
    mask: Mask<'a>,
}

impl Marks for Filtered<'_> {
    #[inline]
    fn one(&mut self, rule: u32) {
        if self.mask.word(rule as usize / 64) >> (rule % 64) & 1 == 1 {
            self.sparse.one(rule);
        }
    }

    #[inline]
    fn words(&mut self, set: &[u64]) {
        for (w, &s) in set.iter().enumerate() {
            self.sparse.or(w, s & self.mask.word(w));
        }
    }
}

/// From how many words a plan's candidates are kept sparse (when few of
/// its rules are unguarded, see [`RuleIndex::build`]).
const SPARSE_MIN_WORDS: usize = 16;

/// The value guards of one field while they are being collected: each
/// distinct value gets a dense number in a [`StrTableBuilder`] (which
/// becomes the frozen map's keys as it is), and every `(number, rule)`
/// pair goes into one flat vector, so neither collecting nor freezing
/// allocates per value.
#[derive(Default)]
struct Building {
    keys: StrTableBuilder,
    /// `(value number, rule)`, rules in increasing order.
    pairs: Vec<(u32, u32)>,
    /// A value could not be added (the keys would hold 4 GiB): the map
    /// cannot be trusted to be complete.
    overflow: bool,
}

impl Building {
    /// Room for `n` values and pairs, so collecting never rehashes.
    fn with_capacity((n, bytes): (usize, usize)) -> Building {
        Building {
            keys: StrTableBuilder::with_capacity(n, bytes),
            pairs: Vec::with_capacity(n),
            overflow: false,
        }
    }

    /// Adds `rule` to the rules of `key`.
    fn add(&mut self, key: &str, rule: u32) {
        match self.keys.insert(key) {
            Some((number, _)) => self.pairs.push((number, rule)),
            None => self.overflow = true,
        }
    }

    /// The final map: value -> its rules (each rule once, in increasing
    /// order), each shaped as [`RuleSet::new`] would shape it. `None` if
    /// a value could not be added.
    fn freeze(self, words: usize) -> Option<RuleMap> {
        // The counts below are `u32`: every pair's position must fit.
        if self.overflow || u32::try_from(self.pairs.len()).is_err() {
            return None;
        }
        let keys = self.keys.len();
        // A counting sort by value number keeps each value's rules in
        // the order they were added, which is increasing.
        let mut starts = vec![0u32; keys + 1];
        for &(number, _) in &self.pairs {
            if let Some(c) = starts.get_mut(number as usize + 1) {
                *c += 1;
            }
        }
        let mut total = 0u32;
        for c in &mut starts {
            total += *c;
            *c = total;
        }
        let mut fill = starts.clone();
        let mut sorted = vec![0u32; self.pairs.len()];
        for &(number, rule) in &self.pairs {
            if let Some(at) = fill.get_mut(number as usize) {
                if let Some(slot) = sorted.get_mut(*at as usize) {
                    *slot = rule;
                }
                *at += 1;
            }
        }
        drop(fill);
        // Deduplicate each value's rules in place (a rule may list a
        // value twice), then shape each as a list or a bitset.
        let mut lists: Vec<u32> = Vec::with_capacity(sorted.len());
        let mut bits: Vec<u64> = Vec::new();
        let mut sets = Vec::with_capacity(keys);
        for bounds in starts.windows(2) {
            let (start, end) = match bounds {
                [s, e] => (*s as usize, *e as usize),
                _ => continue,
            };
            let own = sorted.get(start..end).unwrap_or(&[]);
            let at = lists.len();
            for &r in own {
                if lists.len() == at || lists.last() != Some(&r) {
                    lists.push(r);
                }
            }
            let len = lists.len() - at;
            if as_bits(len, words) && u32::try_from(bits.len()).is_ok() {
                let b = bits.len();
                bits.resize(b + words, 0);
                let set = bits.get_mut(b..).unwrap_or(&mut []);
                for &r in lists.get(at..).unwrap_or(&[]) {
                    set_bit(set, r);
                }
                lists.truncate(at);
                sets.push(RuleSetRef::Bits {
                    start: u32::try_from(b).ok()?,
                });
            } else {
                sets.push(RuleSetRef::List {
                    start: u32::try_from(at).ok()?,
                    len: u32::try_from(len).ok()?,
                });
            }
        }
        Some(RuleMap {
            keys: self.keys.finish(),
            sets: sets.into_boxed_slice(),
            lists: lists.into_boxed_slice(),
            bits: bits.into_boxed_slice(),
            words,
        })
    }
}

/// Value guards being collected, one entry per field.
type BuildingValues = Vec<(Source, Building, Vec<u32>)>;

/// Records that `rule` is guarded by `field` taking one of `vs`; returns
/// the field's position among the level's guard fields. A field seen for
/// the first time gets room for `hint` values (see [`value_hint`]).
fn add_value_guard(
    values: &mut BuildingValues,
    field: Source,
    vs: Texts<'_>,
    rule: u32,
    hint: (usize, usize),
) -> usize {
    let at = match values.iter().position(|(f, _, _)| *f == field) {
        Some(at) => at,
        None => {
            values.push((field, Building::with_capacity(hint), Vec::new()));
            values.len() - 1
        }
    };
    if let Some((_, building, all)) = values.get_mut(at) {
        vs.for_each(|v| building.add(v, rule));
        all.push(rule);
    }
    at
}

/// The frozen guards of a level, or `None` if a map could not be built.
fn freeze_values(values: BuildingValues, words: usize) -> Option<Box<[ValueGuards]>> {
    values
        .into_iter()
        .map(|(field, building, all)| {
            Some(ValueGuards {
                field,
                map: building.freeze(words)?,
                all: RuleSet::new(all, words),
            })
        })
        .collect()
}

/// An upper bound on the `(value, rule)` pairs one level can collect, and
/// on their bytes: every text of every `in` set plus one `==` constant per
/// rule. A large
/// ruleset's guards are mostly one field (an importer list across
/// thousands of rules), so sizing for the bound avoids rehashing a map of
/// a hundred thousand keys as it grows; the memory is freed when the
/// index is frozen.
fn value_hint(plan: &Plan) -> (usize, usize) {
    let (texts, bytes) = plan
        .in_sets
        .iter()
        .map(|s| match s {
            InSet::Text(t) => (t.len(), t.text_bytes()),
            _ => (0, 0),
        })
        .fold((0usize, 0usize), |(n, b), (tn, tb)| {
            (n.saturating_add(tn), b.saturating_add(tb))
        });
    (
        texts.saturating_add(plan.conds.len()),
        bytes.saturating_add(plan.texts.text_bytes()),
    )
}

/// Marks the rules of `guards` whose value guard is not certainly false
/// for `decl` (keeps INVARIANT (false-only)).
/// Returns one bit per guard field (the first `bits`) that is
/// present text, i.e. whose guards of the marked rules are *true*.
#[inline]
fn mark_values(
    guards: &[ValueGuards],
    decl: &Declaration,
    m: &mut impl Marks,
    bits: usize,
    key: &mut KeyBuf,
) -> u64 {
    let mut proof = 0u64;
    for (i, g) in guards.iter().enumerate() {
        if let Source::Element {
            list,
            record,
            ref parts,
            present,
        } = g.field
        {
            mark_elements(g, (list, record, parts), present, decl, m, key);
            continue;
        }
        match g.field.text(decl, &mut key.buf, key.max) {
            SourceText::Text(t) => {
                if i < bits {
                    proof |= 1u64 << i;
                }
                if let Some(rules) = g.map.get(t) {
                    rules.mark(m);
                }
            }
            // Present and longer than every value: no value matches.
            SourceText::Long => {
                if i < bits {
                    proof |= 1u64 << i;
                }
            }
            SourceText::Missing => g.all.mark(m),
        }
    }
    proof
}

/// Marks the rules of element guards `g` (on the field `parts[0]`, or
/// the composite key of the fields `parts`, of the elements of list
/// `list`) whose `any` is not certainly false for `decl`: those whose
/// values hold an element's text. A missing list, or an element whose
/// field (or a key part) is missing (unless the guards hold `v.g is
/// present` too, `present`: that element's body is then *false*), makes
/// every rule of `g` a candidate (the `any` could be *unknown*); a present
/// empty list marks none (every `any` over it is *false*), and so does an
/// element whose key is longer than every value. Proves nothing.
#[inline(never)]
fn mark_elements(
    g: &ValueGuards,
    (list, record, parts): (FieldId, RecordId, &[FieldId]),
    present: bool,
    decl: &Declaration,
    m: &mut impl Marks,
    key: &mut KeyBuf,
) {
    let list = decl.slot(Node::ROOT, list);
    if !matches!(list, Slot::List { .. }) {
        g.all.mark(m);
        return;
    }
    for node in decl.elements(record, list) {
        let text = match *parts {
            [field] => match decl.slot(node, field) {
                Slot::Text { start, len } => SourceText::Text(decl.text_bytes(start, len)),
                _ => SourceText::Missing,
            },
            _ => Source::key_text(parts, decl, node, &mut key.buf, key.max),
        };
        match text {
            SourceText::Text(t) => {
                if let Some(rules) = g.map.get(t) {
                    rules.mark(m);
                }
            }
            // Longer than every value: this element matches none.
            SourceText::Long => {}
            SourceText::Missing if present => {}
            SourceText::Missing => {
                g.all.mark(m);
                return;
            }
        }
    }
}

/// Where composite keys are built while marking: `buf`'s capacity is
/// reserved for the longest key value `max` (see [`Source::text`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyBuf {
    buf: String,
    max: usize,
}

/// The proof bit of value-guard field `at` on `level` (0 or 1), if it
/// has one.
fn proof_bit(level: u32, at: usize) -> Option<u64> {
    let bits = if level == 0 {
        PROOF_VALUES
    } else {
        PROOF_FIELDS
    };
    (at < bits).then(|| 1u64 << (at as u32 + level * PROOF_FIELDS as u32))
}

/// The proof bit of level 1's prefix-guard field `at` (among all prefix
/// guards), if it is a top-level field with a bit.
fn prefix_proof_bit(at: usize) -> Option<u64> {
    (at < PROOF_FIELDS - PROOF_VALUES).then(|| 1u64 << (PROOF_VALUES + at))
}

/// A rule's value guards that a proof bit can leave out: `(conjunct,
/// bit)` for level 1 and level 2.
type Proofs = [Option<(OpId, u64)>; 2];

/// Every rule's [`Rest`], and the conjuncts they address.
type Rests = (Box<[Rest]>, Box<[OpId]>);

/// The [`Rest`] of every rule from its conjuncts and removable guards;
/// a second-level guard is removable only if that level exists (without
/// it, nothing proved the guard).
///
/// `None` if the parts kept would need offsets beyond `u32`.
fn rests(all_parts: &[OpId], spans: &[(u32, u32, Proofs)], second: bool) -> Option<Rests> {
    let mut parts = Vec::new();
    let rests = spans
        .iter()
        .map(|&(start, len, [first, other])| {
            let other = other.filter(|_| second);
            let need = first.map_or(0, |(_, b)| b) | other.map_or(0, |(_, b)| b);
            if need == 0 {
                return Some(Rest::default());
            }
            let mut drop = [first.map(|(op, _)| op), other.map(|(op, _)| op)];
            let at = u32::try_from(parts.len()).ok()?;
            let own = all_parts
                .get(start as usize..start as usize + len as usize)
                .unwrap_or(&[]);
            for &p in own {
                // Leave out one occurrence of each proved guard.
                if let Some(d) = drop.iter_mut().find(|d| **d == Some(p)) {
                    *d = None;
                } else {
                    parts.push(p);
                }
            }
            Some(Rest {
                need,
                start: at,
                len: u32::try_from(parts.len()).ok()? - at,
            })
        })
        .collect::<Option<_>>()?;
    Some((rests, parts.into_boxed_slice()))
}

impl RuleIndex {
    /// Builds the index of a plan whose ops and rules are final.
    pub(crate) fn build(plan: &Plan) -> RuleIndex {
        let words = plan.conds.len().div_ceil(64);
        let mut always = vec![0u64; words];
        let mut always2 = vec![0u64; words];
        let mut values: BuildingValues = Vec::new();
        let mut values2: BuildingValues = Vec::new();
        // Only the first level is sized for the bound: the second holds
        // the remaining guards, usually a short list of countries, and
        // sizing it too would touch megabytes of fresh pages for nothing.
        let hint = value_hint(plan);
        type PrefixKey = (Option<FieldId>, RecordId, FieldId);
        let mut prefixes: Vec<(PrefixKey, Trie, Vec<u32>)> = Vec::new();
        let mut ranges: Vec<BuildingRanges> = Vec::new();
        let mut parts = Vec::new();
        let mut stack = Vec::new();
        let mut scratch = GuardScratch::default();
        let mut guards: Vec<(OpId, Guard<'_>)> = Vec::new();
        let mut guarded = 0;
        let mut key_max = 0usize;
        let mut unguarded: Vec<u32> = Vec::new();
        // Per rule: its conjuncts (in `all_parts`) and the value guards
        // that a proof bit can leave out, `(conjunct, bit)` per level.
        let mut all_parts: Vec<OpId> = Vec::new();
        let mut spans: Vec<(u32, u32, Proofs)> = Vec::with_capacity(plan.conds.len());
        // INVARIANT (ids): the builder numbers rules and ops with `u32`, so
        // `rule` fits; the conjuncts of all rules together may not, and
        // then the plan is left unindexed (which is always correct).
        let unindexed = || RuleIndex::unindexed(words, plan.conds.len());
        for (rule, cond) in plan.conds.iter().enumerate() {
            let Ok(rule) = u32::try_from(rule) else {
                return unindexed();
            };
            guards.clear();
            match cond {
                Some(c) => {
                    conjuncts(plan, *c, &mut parts, &mut stack);
                    guards.extend(
                        parts
                            .iter()
                            .filter_map(|&p| guard_of(plan, p, &mut scratch).map(|g| (p, g))),
                    );
                }
                None => parts.clear(),
            }
            let (Ok(start), Ok(len)) = (u32::try_from(all_parts.len()), u32::try_from(parts.len()))
            else {
                return unindexed();
            };
            all_parts.extend_from_slice(&parts);
            let mut proofs: Proofs = [None, None];
            // The best guard is the first level; the best remaining value
            // guard (another conjunct) is the second.
            guards.sort_by_key(|(_, g)| g.rank());
            let mut rest = guards.drain(..);
            let best = rest.next();
            let second = rest.find_map(|(op, g)| match g {
                Guard::Value {
                    field: Source::Element { .. },
                    ..
                }
                | Guard::Prefix { .. }
                | Guard::Range { .. } => None,
                Guard::Value { field, values } => Some((op, field, values)),
            });
            match second {
                Some((op, field, vs)) => {
                    if field.is_key() {
                        vs.for_each(|v| key_max = key_max.max(v.len()));
                    }
                    let at = add_value_guard(&mut values2, field, vs, rule, (0, 0));
                    proofs[1] = proof_bit(1, at).map(|b| (op, b));
                }
                None => set_bit(&mut always2, rule),
            }
            match best {
                None => {
                    set_bit(&mut always, rule);
                    unguarded.push(rule);
                }
                Some((_, Guard::Range { field, bounds })) => {
                    guarded += 1;
                    let at = match ranges.iter().position(|g| g.field == field) {
                        Some(at) => at,
                        None => {
                            ranges.push(BuildingRanges::new(field));
                            ranges.len() - 1
                        }
                    };
                    if let Some(g) = ranges.get_mut(at) {
                        g.add(bounds, rule);
                    }
                }
                Some((op, Guard::Value { field, values: vs })) => {
                    guarded += 1;
                    if field.is_key() {
                        vs.for_each(|v| key_max = key_max.max(v.len()));
                    }
                    // An element guard holds for some element, which proves
                    // nothing about the `any` conjunct.
                    let element = matches!(field, Source::Element { .. });
                    let at = add_value_guard(&mut values, field, vs, rule, hint);
                    if !element {
                        proofs[0] = proof_bit(0, at).map(|b| (op, b));
                    }
                }
                Some((
                    op,
                    Guard::Prefix {
                        list,
                        record,
                        field,
                        patterns,
                    },
                )) => {
                    guarded += 1;
                    let key = (list, record, field);
                    let at = match prefixes.iter().position(|(k, _, _)| *k == key) {
                        Some(at) => at,
                        None => {
                            prefixes.push((key, Trie::default(), Vec::new()));
                            prefixes.len() - 1
                        }
                    };
                    if let Some((_, trie, all)) = prefixes.get_mut(at) {
                        patterns.for_each(|p| trie.insert(p.as_bytes(), rule));
                        all.push(rule);
                    }
                    // A top-level field that is present text makes a
                    // candidate only through a pattern it starts with: the
                    // guard is then *true* (INVARIANT (proof)).
                    if list.is_none() {
                        proofs[0] = prefix_proof_bit(at).map(|b| (op, b));
                    }
                }
            }
            spans.push((start, len, proofs));
        }
        // A second lookup per declaration pays only when the first level
        // lets many rules through, which takes many rules: with a few
        // dozen, the lookup costs more than the evaluations it saves.
        let seconds: usize = values2.iter().map(|(_, _, all)| all.len()).sum();
        let values2 = (seconds >= SECOND_LEVEL_MIN_RULES).then_some(values2);
        let (values, second) = match (freeze_values(values, words), values2) {
            (Some(values), None) => (values, None),
            (Some(values), Some(v)) => match freeze_values(v, words) {
                Some(v) => (
                    values,
                    Some(SecondLevel {
                        always: always2.into_boxed_slice(),
                        values: v,
                    }),
                ),
                None => return unindexed(),
            },
            (None, _) => return unindexed(),
        };
        let Some((rests, parts)) = rests(&all_parts, &spans, second.is_some()) else {
            return unindexed();
        };
        let Some(prefixes) = prefixes
            .into_iter()
            .map(|((list, record, field), trie, all)| {
                Some(PrefixGuards {
                    list,
                    record,
                    field,
                    trie: trie.freeze(u32::MAX as usize)?,
                    all: all.into_boxed_slice(),
                })
            })
            .collect::<Option<Box<[PrefixGuards]>>>()
        else {
            return unindexed();
        };
        // Sparse candidates pay when the plan is wide and nearly every
        // rule is guarded, so a declaration's candidates are a few words.
        let sparse = (words >= SPARSE_MIN_WORDS && unguarded.len() <= words)
            .then(|| unguarded.into_boxed_slice());
        RuleIndex {
            key_max,
            rests,
            parts,
            sparse,
            always: always.into_boxed_slice(),
            values,
            second,
            prefixes,
            ranges: ranges.into_iter().map(BuildingRanges::freeze).collect(),
            guarded,
        }
    }

    /// An index that skips nothing: every rule is always a candidate (the
    /// fallback if a guard map cannot be built).
    fn unindexed(words: usize, rules: usize) -> RuleIndex {
        let mut always = vec![0u64; words];
        for r in (0..rules).filter_map(|r| u32::try_from(r).ok()) {
            set_bit(&mut always, r);
        }
        RuleIndex {
            always: always.into_boxed_slice(),
            rests: vec![Rest::default(); rules].into_boxed_slice(),
            ..RuleIndex::default()
        }
    }

    /// How many 64-bit words the candidate bitset has.
    pub(crate) fn words(&self) -> usize {
        self.always.len()
    }

    /// Whether candidates are kept sparse (see [`Candidates`]).
    pub(crate) fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    /// How many rules have a guard (and so may be skipped).
    pub(crate) fn guarded(&self) -> usize {
        self.guarded
    }

    /// Whether rule `rule` has no guard: a candidate for every
    /// declaration.
    pub(crate) fn always_candidate(&self, rule: u32) -> bool {
        self.always
            .get(rule as usize / 64)
            .is_some_and(|w| w >> (rule % 64) & 1 == 1)
    }

    /// Writes the candidate rules for `decl` into `list`, in ascending
    /// order (cleared first; allocation-free once `list` has room for
    /// every rule and `c` was made by [`Candidates::for_index`]). Keeps
    /// INVARIANT (false-only): each level leaves a rule out only when its
    /// guard is certainly false.
    ///
    /// Returns the proof bits: one per value-guard field (level 1 in the
    /// low half, level 2 in the high half) that is present text in
    /// `decl`. For such a field, a candidate guarded by it passed its level
    /// by a map hit, so its guard conjunct is *true* (INVARIANT (proof),
    /// used by [`RuleIndex::rest`]).
    #[inline]
    pub(crate) fn candidates(
        &self,
        decl: &Declaration,
        c: &mut Candidates,
        list: &mut Vec<u32>,
    ) -> u64 {
        list.clear();
        let words = self.words();
        if words == 1 && self.second.is_none() {
            // At most 64 rules (a second level needs more): the bitset is
            // one word, kept in a register.
            let mut m = Word(self.always.first().copied().unwrap_or(0));
            let proof = self.first_level(decl, &mut m, &mut c.key);
            push_bits(list, 0, &[m.0]);
            return proof;
        }
        let Some(always) = &self.sparse else {
            c.clean = false;
            c.bits.clear();
            c.bits.extend_from_slice(&self.always);
            let mut m = Dense(&mut c.bits);
            let mut proof = self.first_level(decl, &mut m, &mut c.key);
            if let Some(level) = &self.second {
                let (mask, p) = Self::second_level(level, decl, &mut c.second, &mut c.key);
                proof |= p << PROOF_FIELDS;
                match mask {
                    Mask::One(a) => {
                        for (b, a) in c.bits.iter_mut().zip(a) {
                            *b &= *a;
                        }
                    }
                    Mask::Two(a, s) => {
                        for ((b, a), s) in c.bits.iter_mut().zip(a).zip(s) {
                            *b &= *a | *s;
                        }
                    }
                }
            }
            list_bits(&c.bits, list);
            return proof;
        };
        if !c.clean || c.bits.len() != words {
            c.bits.clear();
            c.bits.resize(words, 0);
        }
        c.clean = false;
        c.dirty.clear();
        let Candidates {
            bits,
            second,
            dirty,
            key,
            ..
        } = c;
        let sparse = Sparse { bits, dirty };
        // The second level is applied as rules are marked, so a rule it
        // leaves out never dirties a word.
        let proof = match &self.second {
            None => {
                let mut m = sparse;
                m.all(always);
                self.first_level(decl, &mut m, key)
            }
            Some(level) => {
                let (mask, p) = Self::second_level(level, decl, second, key);
                let mut m = Filtered { sparse, mask };
                m.all(always);
                self.first_level(decl, &mut m, key) | p << PROOF_FIELDS
            }
        };
        // Ascending words give ascending rules; each word is cleared once
        // listed, which restores INVARIANT (clean).
        c.dirty.sort_unstable();
        for &w in c.dirty.iter() {
            if let Some(b) = c.bits.get_mut(w as usize) {
                push_bits(list, w.wrapping_mul(64), &[*b]);
                *b = 0;
            }
        }
        c.clean = true;
        proof
    }

    /// Marks the first level's candidates (value guards, prefix guards and
    /// unguarded rules are marked by the caller); returns its proof bits.
    #[inline]
    fn first_level(&self, decl: &Declaration, m: &mut impl Marks, key: &mut KeyBuf) -> u64 {
        let mut proof = mark_values(&self.values, decl, m, PROOF_VALUES, key);
        for (at, g) in self.prefixes.iter().enumerate() {
            let Some(list) = g.list else {
                // A top-level field: its own text walks the trie.
                match decl.slot(Node::ROOT, g.field) {
                    Slot::Text { start, len } => {
                        proof |= prefix_proof_bit(at).unwrap_or(0);
                        trie::walk(&g.trie, decl.text_bytes(start, len), |rules| m.all(rules));
                    }
                    _ => m.all(&g.all),
                }
                continue;
            };
            let list = decl.slot(Node::ROOT, list);
            if !matches!(list, Slot::List { .. }) {
                m.all(&g.all);
                continue;
            }
            for node in decl.elements(g.record, list) {
                let Slot::Text { start, len } = decl.slot(node, g.field) else {
                    m.all(&g.all);
                    break;
                };
                trie::walk(&g.trie, decl.text_bytes(start, len), |rules| m.all(rules));
            }
        }
        if !self.ranges.is_empty() {
            Self::mark_ranges(&self.ranges, decl, m);
        }
        proof
    }

    /// Marks the candidates of the range guards (out of line: most plans
    /// have none, and the first level stays small where it is inlined).
    #[inline(never)]
    fn mark_ranges(ranges: &[RangeGuards], decl: &Declaration, m: &mut impl Marks) {
        for g in ranges {
            g.mark(decl, m);
        }
    }

    /// The second level's mask (the rules that pass it, to AND into the
    /// candidates) and proof bits. When the level has one guard field
    /// whose rules for `decl` are a bitset (a value shared by many rules,
    /// such as a country) or nothing, the mask is `always | hit`, read in
    /// place; otherwise the level is marked into `second` first.
    #[inline]
    fn second_level<'a>(
        level: &'a SecondLevel,
        decl: &Declaration,
        second: &'a mut Vec<u64>,
        key: &mut KeyBuf,
    ) -> (Mask<'a>, u64) {
        if let [g] = &*level.values {
            let (hit, proof) = match g.field.text(decl, &mut key.buf, key.max) {
                SourceText::Text(t) => (g.map.get(t), 1),
                SourceText::Long => (None, 1),
                SourceText::Missing => (Some(g.all.view()), 0),
            };
            match hit {
                None => return (Mask::One(&level.always), proof),
                Some(Rules::Bits(set)) => return (Mask::Two(&level.always, set), proof),
                Some(Rules::List(_)) => {}
            }
        }
        second.clear();
        second.extend_from_slice(&level.always);
        let proof = mark_values(&level.values, decl, &mut Dense(second), PROOF_FIELDS, key);
        (Mask::One(second), proof)
    }

    /// The first conjunct left for rule `rule` (ignoring proofs), read so
    /// that a pass over many candidates brings their entries into the
    /// cache together.
    #[inline]
    pub(crate) fn touch(&self, rule: u32) -> Option<OpId> {
        let r = self.rests.get(rule as usize)?;
        self.parts.get(r.start as usize).copied()
    }

    /// The conjuncts left to evaluate for candidate `rule` given the proof
    /// bits of [`RuleIndex::candidates`] for the same declaration: `None`
    /// when its whole condition must be evaluated, otherwise conjuncts
    /// whose Kleene `and` equals the condition (every left-out conjunct is
    /// a value guard proved *true*; empty means *true*).
    #[inline]
    pub(crate) fn rest(&self, rule: u32, proof: u64) -> Option<&[OpId]> {
        let r = self.rests.get(rule as usize)?;
        if r.need == 0 || r.need & proof != r.need {
            return None;
        }
        self.parts
            .get(r.start as usize..r.start as usize + r.len as usize)
    }

    /// An estimate of the heap bytes the index holds.
    pub(crate) fn heap_bytes(&self) -> usize {
        fn values_bytes(v: &[ValueGuards]) -> usize {
            v.iter()
                .map(|g| size_of::<ValueGuards>() + g.map.heap_bytes() + g.all.heap_bytes())
                .sum()
        }
        let values = values_bytes(&self.values)
            + self
                .second
                .as_ref()
                .map_or(0, |l| l.always.len() * 8 + values_bytes(&l.values));
        let prefixes: usize = self
            .prefixes
            .iter()
            .map(|g| size_of::<PrefixGuards>() + g.all.len() * 4 + g.trie.len() * 4)
            .sum();
        let ranges: usize = self
            .ranges
            .iter()
            .map(|g| {
                size_of::<RangeGuards>()
                    + (g.above.len() + g.below.len() + g.equal.len()) * size_of::<(i128, u32)>()
                    + g.all.len() * 4
            })
            .sum();
        self.always.len() * 8
            + values
            + prefixes
            + ranges
            + self.rests.len() * size_of::<Rest>()
            + self.parts.len() * size_of::<OpId>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Field, FieldType, Layout, Record};
    use crate::plan::{PlanBuilder, Quant, RuleInfo};
    use crate::sets::Constant;

    const ORIGINS: [&str; 4] = ["CN", "VN", "US", "MX"];

    /// `rules` rules `origin in [O] and any(it in items: it.hs starts with
    /// "P")`, origins and prefixes in rotation, over an optional `origin`.
    fn plan(rules: usize) -> Plan {
        let field = |name: &str, ty, optional| Field {
            name: name.into(),
            ty,
            optional,
        };
        let layout = Layout::new(
            vec![
                Record {
                    name: "declaration".into(),
                    fields: vec![
                        field("id", FieldType::Text, false),
                        field("origin", FieldType::Text, true),
                        field("items", FieldType::List(RecordId(1)), false),
                    ]
                    .into(),
                },
                Record {
                    name: "item".into(),
                    fields: vec![field("hs", FieldType::Text, true)].into(),
                },
            ],
            FieldId(0),
        )
        .unwrap();
        let mut b = PlanBuilder::new("t", "1", &[], layout);
        let origin = b.test_field(Base::Root, 1);
        let hs = b.test_field(Base::Var(0), 0);
        for r in 0..rules {
            let set = b.in_set(&[Constant::Text(ORIGINS[r % 4].into())]).unwrap();
            let in_op = b
                .push(Op::In {
                    value: origin,
                    set,
                    negated: false,
                })
                .unwrap();
            let p = b
                .constant(&Constant::Text(["84", "85", "6403"][r % 3].into()))
                .unwrap();
            let body = b.push(Op::StartsWith(hs, p)).unwrap();
            let any = b
                .quant(Quant {
                    kind: QuantKind::Any,
                    var: 0,
                    record: RecordId(1),
                    base: Base::Root,
                    field: FieldId(2),
                    body,
                })
                .unwrap();
            let cond = b.push(Op::And(in_op, any)).unwrap();
            let info = RuleInfo {
                id: format!("R{r}").into(),
                title: "".into(),
                tags: Box::new([]),
                notes: Box::new([]),
                score: Some(1),
                lane: None,
                sample: None,
                active_from: None,
                active_to: None,
                ..RuleInfo::default()
            };
            b.rule(info, Some(cond)).unwrap();
        }
        b.build()
    }

    /// Rules that each compare a number or a date field with a constant:
    /// the index lists exactly the rules whose comparison holds, every
    /// rule of a missing field, and never evaluates a proof it lacks.
    #[test]
    fn range_guards_list_exactly_the_rules_a_value_passes() {
        use crate::date::Date;
        use crate::decimal::Decimal;
        let layout = crate::layout::test_layout(&[(
            "declaration",
            &[
                ("id", FieldType::Text, false),
                ("value", FieldType::Number, true),
                ("day", FieldType::Date, true),
            ],
        )]);
        let dec = |s: &str| Decimal::parse(s).unwrap().value;
        let day = |s: &str| Date::parse(s).unwrap();
        let mut b = PlanBuilder::new("t", "1", &[], layout);
        let value = b.test_field(Base::Root, 1);
        let when = b.test_field(Base::Root, 2);
        let fifty = b.number(dec("50")).unwrap();
        let fifty = b.push(Op::Number(fifty)).unwrap();
        let march = b.push(Op::Date(day("2026-03-01"))).unwrap();
        let set = b
            .in_set(&[Constant::Number(dec("10")), Constant::Number(dec("50"))])
            .unwrap();
        let conds = [
            Op::Cmp(CmpOp::Gt, value, fifty),
            Op::Cmp(CmpOp::Ge, value, fifty),
            Op::Cmp(CmpOp::Lt, value, fifty),
            Op::Cmp(CmpOp::Le, value, fifty),
            Op::Cmp(CmpOp::Eq, value, fifty),
            Op::In {
                value,
                set,
                negated: false,
            },
            Op::Cmp(CmpOp::Lt, fifty, value),
            Op::Cmp(CmpOp::Ge, fifty, value),
            Op::Cmp(CmpOp::Gt, when, march),
            Op::Cmp(CmpOp::Le, march, when),
            // Not guards: always candidates.
            Op::Cmp(CmpOp::Ne, value, fifty),
        ];
        for (r, op) in conds.iter().enumerate() {
            let cond = b.push(*op).unwrap();
            add_rule(&mut b, r, cond);
        }
        let plan = b.build();
        assert_eq!(plan.index.guarded(), 10);
        let run = |v: Option<&str>, d: Option<&str>| {
            let l = plan.layout();
            let mut decl = Declaration::new(l);
            decl.set_text(l, Node::ROOT, FieldId(0), "D1").unwrap();
            if let Some(v) = v {
                decl.set_number(l, Node::ROOT, FieldId(1), dec(v)).unwrap();
            }
            if let Some(d) = d {
                decl.set_date(l, Node::ROOT, FieldId(2), day(d)).unwrap();
            }
            listed(&plan, &decl)
        };
        assert_eq!(run(Some("49.999999"), Some("2026-03-01")), [2, 3, 7, 9, 10]);
        assert_eq!(
            run(Some("50"), Some("2026-03-02")),
            [1, 3, 4, 5, 7, 8, 9, 10]
        );
        assert_eq!(run(Some("50.000001"), Some("2026-02-28")), [0, 1, 6, 10]);
        assert_eq!(run(Some("10"), None), [2, 3, 5, 7, 8, 9, 10]);
        assert_eq!(run(Some("-7"), Some("2026-03-01")), [2, 3, 7, 9, 10]);
        assert_eq!(
            run(None, Some("2026-03-02")),
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        );
    }

    /// A bool field as a condition: `aeo` and `aeo != false` are skipped
    /// when it is false, `not aeo` and `aeo == false` when it is true,
    /// none when it is missing; an order on bools is never a guard.
    #[test]
    fn bool_guards_list_exactly_the_rules_a_flag_passes() {
        let layout = crate::layout::test_layout(&[(
            "declaration",
            &[
                ("id", FieldType::Text, false),
                ("aeo", FieldType::Bool, true),
            ],
        )]);
        let mut b = PlanBuilder::new("t", "1", &[], layout);
        let aeo = b.test_field(Base::Root, 1);
        let no = b.push(Op::Bool(false)).unwrap();
        let conds = [
            Op::Not(aeo),
            Op::Cmp(CmpOp::Eq, aeo, no),
            Op::Cmp(CmpOp::Ne, no, aeo),
            // Not a guard: *unknown* whatever the flag.
            Op::Cmp(CmpOp::Lt, aeo, no),
        ];
        let mut ids = vec![aeo];
        ids.extend(conds.iter().map(|&op| b.push(op).unwrap()));
        for (r, cond) in ids.into_iter().enumerate() {
            add_rule(&mut b, r, cond);
        }
        let plan = b.build();
        assert_eq!(plan.index.guarded(), 4);
        let run = |flag: Option<bool>| {
            let l = plan.layout();
            let mut decl = Declaration::new(l);
            decl.set_text(l, Node::ROOT, FieldId(0), "D1").unwrap();
            if let Some(f) = flag {
                decl.set_bool(l, Node::ROOT, FieldId(1), f).unwrap();
            }
            listed(&plan, &decl)
        };
        assert_eq!(run(Some(true)), [0, 3, 4]);
        assert_eq!(run(Some(false)), [1, 2, 4]);
        assert_eq!(run(None), [0, 1, 2, 3, 4]);
    }

    /// Adds rule `R{r}`: `any(it in items: body)`, `items` being field 1
    /// of the declaration, a list of record 1.
    fn any_item_rule(b: &mut PlanBuilder, r: usize, body: OpId) {
        let any = b
            .quant(Quant {
                kind: QuantKind::Any,
                var: 0,
                record: crate::layout::RecordId(1),
                base: Base::Root,
                field: FieldId(1),
                body,
            })
            .unwrap();
        add_rule(b, r, any);
    }

    /// Adds rule `R{r}` with condition `cond`.
    fn add_rule(b: &mut PlanBuilder, r: usize, cond: OpId) {
        let info = RuleInfo {
            id: format!("R{r}").into(),
            ..RuleInfo::default()
        };
        b.rule(info, Some(cond)).unwrap();
    }

    /// The candidates `plan`'s index lists for `decl`, with buffers
    /// sized for the plan (composite keys are built).
    fn listed(plan: &Plan, decl: &Declaration) -> Vec<u32> {
        let mut list = Vec::new();
        plan.index
            .candidates(decl, &mut Candidates::for_index(&plan.index), &mut list);
        list
    }

    /// `any(it in items: key(it.origin, it.hs) in [..])`: the index
    /// lists exactly the rules whose values hold some element's key, every
    /// rule of the list when an element lacks a part, none for an element
    /// whose key is longer than every value, and never a `not in`.
    #[test]
    fn element_key_guards_list_exactly_the_rules_an_element_keys() {
        use crate::layout::RecordId;
        let layout = crate::layout::test_layout(&[
            (
                "declaration",
                &[
                    ("id", FieldType::Text, false),
                    ("items", FieldType::List(RecordId(1)), false),
                ],
            ),
            (
                "item",
                &[
                    ("origin", FieldType::Text, true),
                    ("hs", FieldType::Text, true),
                ],
            ),
        ]);
        let mut b = PlanBuilder::new("t", "1", &[], layout);
        let field = |b: &mut PlanBuilder, f: u32| b.test_field(Base::Var(0), f);
        let (origin, hs) = (field(&mut b, 0), field(&mut b, 1));
        let key = b.key(&[origin, hs]).unwrap();
        let text =
            |v: &[&str]| -> Vec<Constant> { v.iter().map(|&t| Constant::Text(t.into())).collect() };
        let sets = [
            (text(&["CN|6403", "VN|6402"]), false),
            (text(&["US|8471"]), false),
            // Not a guard: always a candidate.
            (text(&["CN|6403"]), true),
        ];
        for (r, (values, negated)) in sets.iter().enumerate() {
            let set = b.in_set(values).unwrap();
            let body = b
                .push(Op::In {
                    value: key,
                    set,
                    negated: *negated,
                })
                .unwrap();
            any_item_rule(&mut b, r, body);
        }
        let plan = b.build();
        assert_eq!(plan.index.guarded(), 2);
        let run = |items: &[(Option<&str>, Option<&str>)]| {
            let l = plan.layout();
            let mut decl = Declaration::new(l);
            decl.set_text(l, Node::ROOT, FieldId(0), "D1").unwrap();
            decl.start_list(l, Node::ROOT, FieldId(1)).unwrap();
            for &(o, h) in items {
                let e = decl.push_element(l, Node::ROOT, FieldId(1)).unwrap();
                if let Some(o) = o {
                    decl.set_text(l, e, FieldId(0), o).unwrap();
                }
                if let Some(h) = h {
                    decl.set_text(l, e, FieldId(1), h).unwrap();
                }
            }
            listed(&plan, &decl)
        };
        assert_eq!(run(&[(Some("CN"), Some("6403"))]), [0, 2]);
        assert_eq!(
            run(&[(Some("US"), Some("8471")), (Some("CN"), Some("6403"))]),
            [0, 1, 2]
        );
        assert_eq!(run(&[(Some("VN"), Some("6403"))]), [2]);
        // The parts join with `|`: `CN|64` and `03` make `CN|64|03`, no value.
        assert_eq!(run(&[(Some("CN|64"), Some("03"))]), [2]);
        // Longer than every value: no rule, and the next element counts.
        assert_eq!(
            run(&[
                (Some("CN"), Some("6403000000000")),
                (Some("US"), Some("8471"))
            ]),
            [1, 2]
        );
        // A missing part: the key is missing, the `any` may be unknown.
        assert_eq!(run(&[(Some("CN"), None)]), [0, 1, 2]);
        assert_eq!(run(&[(None, Some("8471"))]), [0, 1, 2]);
        // No element: every `any` is false.
        assert_eq!(run(&[]), [2]);
    }

    /// `any(it in items: it.value OP c)`: the index lists exactly the
    /// rules whose bound some element's value passes; an element without
    /// the value makes every such rule a candidate, except where the same
    /// `and` says `it.value is present`.
    #[test]
    fn element_range_guards_list_exactly_the_rules_an_element_passes() {
        use crate::decimal::Decimal;
        use crate::layout::RecordId;
        let layout = crate::layout::test_layout(&[
            (
                "declaration",
                &[
                    ("id", FieldType::Text, false),
                    ("items", FieldType::List(RecordId(1)), false),
                ],
            ),
            ("item", &[("value", FieldType::Number, true)]),
        ]);
        let mut b = PlanBuilder::new("t", "1", &[], layout);
        let value = b.test_field(Base::Var(0), 0);
        let number = |b: &mut PlanBuilder, n: i64| {
            let n = b.number(Decimal::from_i64(n)).unwrap();
            b.push(Op::Number(n)).unwrap()
        };
        let (c50, c10, c20, c5) = (
            number(&mut b, 50),
            number(&mut b, 10),
            number(&mut b, 20),
            number(&mut b, 5),
        );
        let present = b
            .push(Op::Is {
                value,
                present: true,
            })
            .unwrap();
        let gt = b.push(Op::Cmp(CmpOp::Gt, value, c50)).unwrap();
        let le = b.push(Op::Cmp(CmpOp::Le, c10, value)).unwrap();
        let eq = b.push(Op::Cmp(CmpOp::Eq, value, c20)).unwrap();
        let eq_present = b.push(Op::And(present, eq)).unwrap();
        let ne = b.push(Op::Cmp(CmpOp::Ne, value, c5)).unwrap();
        // R1 is `10 <= it.value`, read as `it.value >= 10`.
        for (r, body) in [gt, le, eq_present, ne].into_iter().enumerate() {
            any_item_rule(&mut b, r, body);
        }
        let plan = b.build();
        assert_eq!(plan.index.guarded(), 3);
        let run = |items: &[Option<i64>]| {
            let l = plan.layout();
            let mut decl = Declaration::new(l);
            decl.set_text(l, Node::ROOT, FieldId(0), "D1").unwrap();
            decl.start_list(l, Node::ROOT, FieldId(1)).unwrap();
            for &v in items {
                let e = decl.push_element(l, Node::ROOT, FieldId(1)).unwrap();
                if let Some(v) = v {
                    decl.set_number(l, e, FieldId(0), Decimal::from_i64(v))
                        .unwrap();
                }
            }
            listed(&plan, &decl)
        };
        assert_eq!(run(&[Some(60)]), [0, 1, 3]);
        assert_eq!(run(&[Some(50)]), [1, 3]);
        assert_eq!(run(&[Some(9), Some(20)]), [1, 2, 3]);
        assert_eq!(run(&[Some(9)]), [3]);
        // No value: unknown for R0 and R1, false for R2.
        assert_eq!(run(&[None]), [0, 1, 3]);
        assert_eq!(run(&[None, Some(20)]), [0, 1, 2, 3]);
        assert_eq!(run(&[]), [3]);
    }

    /// A declaration `D1` of `plan` with an optional origin and one item
    /// with an optional code.
    fn decl(plan: &Plan, origin: Option<&str>, hs: Option<&str>) -> Declaration {
        let l = plan.layout();
        let mut d = Declaration::new(l);
        d.set_text(l, Node::ROOT, FieldId(0), "D1").unwrap();
        if let Some(o) = origin {
            d.set_text(l, Node::ROOT, FieldId(1), o).unwrap();
        }
        let e = d.push_element(l, Node::ROOT, FieldId(2)).unwrap();
        if let Some(h) = hs {
            d.set_text(l, e, FieldId(0), h).unwrap();
        }
        d
    }

    fn candidates(plan: &Plan, origin: Option<&str>, hs: Option<&str>) -> Vec<u32> {
        let d = decl(plan, origin, hs);
        let mut list = Vec::new();
        plan.index
            .candidates(&d, &mut Candidates::default(), &mut list);
        list
    }

    /// The proof bits of `candidates` for a declaration.
    fn proof(plan: &Plan, origin: Option<&str>) -> u64 {
        let d = decl(plan, origin, Some("8471000000"));
        plan.index
            .candidates(&d, &mut Candidates::default(), &mut Vec::new())
    }

    /// Sparse and dense candidates agree, declaration after declaration
    /// through one reused set of buffers (INVARIANT (clean)), on a plan
    /// wide enough to be sparse: present, absent and missing origins and
    /// codes, country bitsets and lists on the second level.
    #[test]
    fn sparse_candidates_equal_dense_ones_across_reuse() {
        let mut p = plan(1500);
        assert!(p.index.sparse.is_some(), "1,500 guarded rules are sparse");
        assert!(p.index.second.is_some());
        let decls: Vec<Declaration> = [
            (Some("CN"), Some("8471000000")),
            (Some("VN"), Some("6403990000")),
            (None, Some("8471000000")),
            (Some("XX"), Some("8471")),
            (Some("US"), None),
            (Some("MX"), Some("9999999999")),
            (Some("CN"), Some("84")),
        ]
        .iter()
        .map(|&(origin, hs)| decl(&p, origin, hs))
        .collect();
        let run = |p: &Plan, c: &mut Candidates| {
            let mut all = Vec::new();
            for _ in 0..2 {
                for d in &decls {
                    let mut list = Vec::new();
                    let proof = p.index.candidates(d, c, &mut list);
                    all.push((list, proof));
                }
            }
            all
        };
        let mut c = Candidates::for_index(&p.index);
        let sparse = run(&p, &mut c);
        assert!(sparse.iter().any(|(l, _)| !l.is_empty()));
        assert!(sparse.iter().any(|(l, _)| l.len() < 1500));
        let saved = p.index.sparse.take();
        // The same buffers, now written densely, then sparse again.
        let dense = run(&p, &mut c);
        assert_eq!(sparse, dense);
        p.index.sparse = saved;
        assert_eq!(run(&p, &mut c), dense);
    }

    #[test]
    fn a_proved_guard_is_left_out_only_when_its_level_checked_it() {
        let large = plan(240);
        let small = plan(12);
        // Large plan: the origin guard is the second level; with origin
        // present, what is left of `origin in [..] and any(..)` is the
        // `any` alone.
        let p = proof(&large, Some("CN"));
        let rest = large.index.rest(0, p).expect("origin is proved");
        let cond = large.conds[0].unwrap();
        let Op::And(_, any) = large.ops[cond.index()] else {
            panic!("the condition is an `and`")
        };
        assert_eq!(rest, &[any]);
        // A missing origin proves nothing: the whole condition runs.
        let p = proof(&large, None);
        assert!(large.index.rest(0, p).is_none());
        // Small plan: no second level checked the origin, so it stays.
        let p = proof(&small, Some("CN"));
        assert!(small.index.rest(0, p).is_none());
    }

    #[test]
    fn the_second_level_needs_both_guards_and_keeps_unknown_rules() {
        let small = plan(12);
        let large = plan(240);
        assert!(small.index.second.is_none(), "a small plan has one level");
        assert!(large.index.second.is_some(), "a large plan has two");
        for p in [&small, &large] {
            let n = p.conds.len() as u32;
            // Both guards can be false: only rules with origin CN and a
            // prefix of 8471000000 (`84`) remain.
            let got = candidates(p, Some("CN"), Some("8471000000"));
            let both: Vec<u32> = (0..n).filter(|r| r % 4 == 0 && r % 3 == 0).collect();
            if p.index.second.is_some() {
                assert_eq!(got, both);
            } else {
                // One level: the prefix guard alone.
                let prefix: Vec<u32> = (0..n).filter(|r| r % 3 == 0).collect();
                assert_eq!(got, prefix);
            }
            // A missing origin makes the origin guard unknown, never false.
            let got = candidates(p, None, Some("8471000000"));
            assert_eq!(got, (0..n).filter(|r| r % 3 == 0).collect::<Vec<_>>());
            // A missing code makes every prefix-guarded rule a candidate
            // (then filtered by origin on the second level only).
            let got = candidates(p, Some("VN"), None);
            let want: Vec<u32> = if p.index.second.is_some() {
                (0..n).filter(|r| r % 4 == 1).collect()
            } else {
                (0..n).collect()
            };
            assert_eq!(got, want);
        }
    }

    #[test]
    fn collected_value_guards_keep_each_rule_once_in_order() {
        let mut b = Building::default();
        for (key, rule) in [
            ("CN", 3),
            ("VN", 3),
            ("CN", 3),
            ("CN", 7),
            ("US", 9),
            ("VN", 12),
        ] {
            b.add(key, rule);
        }
        let map = b.freeze(0).unwrap();
        let rules = |k: &str| match map.get(k.as_bytes()) {
            Some(Rules::List(r)) => r.to_vec(),
            Some(Rules::Bits(_)) => panic!("{k}: a bitset"),
            None => panic!("{k}: missing"),
        };
        assert_eq!(map.keys.len(), 3);
        assert_eq!(rules("CN"), [3, 7]);
        assert_eq!(rules("VN"), [3, 12]);
        assert_eq!(rules("US"), [9]);
        assert!(map.get(b"MX").is_none());
    }

    #[test]
    fn list_bits_lists_every_set_bit_in_order_across_chunks_and_tail() {
        // 19 words: two chunks of eight and a tail of three.
        let set = [0u32, 1, 63, 64, 300, 511, 512, 700, 1023, 1024, 1150, 1215];
        let mut bits = vec![0u64; 19];
        for &r in &set {
            bits[r as usize / 64] |= 1 << (r % 64);
        }
        // Appended after what the list holds.
        let mut list = vec![99];
        list_bits(&bits, &mut list);
        assert_eq!(list[0], 99);
        assert_eq!(list[1..], set);
        list.clear();
        list_bits(&[], &mut list);
        assert!(list.is_empty());
    }
}
