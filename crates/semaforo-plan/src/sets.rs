//! Constant sets and tables, each built for the one test it serves.
//!
//! Lowering decides how a list is used and asks for the matching shape:
//! membership (`in`) gets a hash set for text and a sorted slice with
//! binary search for numbers and dates; `starts with` gets one hash set
//! per pattern length (only lengths that occur are tried); `contains`
//! gets an Aho-Corasick automaton over the lowercased patterns; tables get
//! a hash map, or for `lookup_prefix` one map per key length, tried longest
//! first. None of the queries allocates.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};

use crate::date::Date;
use crate::decimal::Decimal;
use crate::value::Value;

/// A small, fast hasher for the plan's text-keyed sets and maps (the
/// multiply-rotate scheme of rustc's `FxHasher`).
///
/// It is not resistant to collision attacks, and need not be: every set
/// and map it serves is built from the ruleset's own constants and
/// external lists, which the customs administration supplies; declaration
/// values are only looked up, and a lookup cannot make the table degrade.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The low bits of a product depend only on the low bits of its
        // factors, and the table picks buckets by the low bits: rotate the
        // well-mixed high bits down (as rustc-hash 2 does), so short keys
        // such as country codes do not pile up in a few buckets.
        self.hash.rotate_left(26)
    }
}

/// Builds [`FxHasher`]s.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// A text set hashed with [`FxHasher`].
pub(crate) type TextSet = HashSet<Box<str>, FxBuild>;

/// An estimate of the heap bytes of a text set (by capacity).
fn text_set_bytes(s: &TextSet) -> usize {
    s.capacity() * (size_of::<Box<str>>() + 1) + s.iter().map(|t| t.len()).sum::<usize>()
}

/// A constant scalar, as supplied to the plan builder.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Constant {
    /// Text.
    Text(Box<str>),
    /// A number.
    Number(Decimal),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(Date),
}

impl Constant {
    /// The constant as an evaluation value (borrowing its text).
    #[inline]
    pub fn value(&self) -> Value<'_> {
        match self {
            Constant::Text(t) => Value::Text(t),
            Constant::Number(n) => Value::Number(*n),
            Constant::Bool(b) => Value::Bool(*b),
            Constant::Date(d) => Value::Date(*d),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Constant::Text(_) => 0,
            Constant::Number(_) => 1,
            Constant::Bool(_) => 2,
            Constant::Date(_) => 3,
        }
    }
}

/// Why a set or table could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    /// The values of one list are not all of one type.
    #[error("list entry #{index} has a different type from the first entry")]
    MixedTypes {
        /// The first entry of another type (0-based).
        index: usize,
    },
    /// The same key appears twice in a table.
    #[error("table key `{key}` is given twice")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// The automaton for `contains` could not be built.
    #[error("cannot build the `contains` matcher: {reason}")]
    Matcher {
        /// What the automaton builder said.
        reason: String,
    },
}

/// A membership set for `in`.
#[derive(Clone, Debug)]
pub(crate) enum InSet {
    Text(TextSet),
    // INVARIANT (sorted): sorted ascending and deduplicated; kept by `InSet::new`.
    Number(Box<[Decimal]>),
    // INVARIANT (sorted): as above.
    Date(Box<[Date]>),
    Bool { has_true: bool, has_false: bool },
}

impl InSet {
    /// Builds the set; an empty list is an empty text set, which contains
    /// nothing of any type.
    pub(crate) fn new(values: &[Constant]) -> Result<InSet, SetError> {
        if let Some(first) = values.first()
            && let Some(index) = values.iter().position(|v| v.kind() != first.kind())
        {
            return Err(SetError::MixedTypes { index });
        }
        Ok(match values.first() {
            None | Some(Constant::Text(_)) => InSet::Text(
                values
                    .iter()
                    .filter_map(|v| match v {
                        Constant::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            Some(Constant::Number(_)) => {
                let mut v: Vec<Decimal> = values
                    .iter()
                    .filter_map(|v| match v {
                        Constant::Number(n) => Some(*n),
                        _ => None,
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                InSet::Number(v.into_boxed_slice())
            }
            Some(Constant::Date(_)) => {
                let mut v: Vec<Date> = values
                    .iter()
                    .filter_map(|v| match v {
                        Constant::Date(d) => Some(*d),
                        _ => None,
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                InSet::Date(v.into_boxed_slice())
            }
            Some(Constant::Bool(_)) => InSet::Bool {
                has_true: values.contains(&Constant::Bool(true)),
                has_false: values.contains(&Constant::Bool(false)),
            },
        })
    }

    /// [`InSet::new`] from values the caller gives up: texts are moved
    /// into the set, not copied.
    pub(crate) fn from_owned(values: Vec<Constant>) -> Result<InSet, SetError> {
        if !matches!(values.first(), Some(Constant::Text(_))) {
            return InSet::new(&values);
        }
        let mut set = TextSet::with_capacity_and_hasher(values.len(), FxBuild::default());
        for (index, v) in values.into_iter().enumerate() {
            match v {
                Constant::Text(t) => {
                    set.insert(t);
                }
                _ => return Err(SetError::MixedTypes { index }),
            }
        }
        Ok(InSet::Text(set))
    }

    /// A hash of the set's content that does not depend on the order of
    /// its values, for interning equal sets.
    pub(crate) fn content_hash(&self) -> u64 {
        fn one(v: &impl std::hash::Hash) -> u64 {
            let mut h = FxHasher::default();
            v.hash(&mut h);
            h.finish()
        }
        match self {
            InSet::Text(s) => s.iter().fold(1u64, |acc, t| acc.wrapping_add(one(t))),
            InSet::Number(v) => one(v).wrapping_add(2),
            InSet::Date(v) => one(v).wrapping_add(3),
            InSet::Bool {
                has_true,
                has_false,
            } => 4 + u64::from(*has_true) + 2 * u64::from(*has_false),
        }
    }

    /// Whether two sets hold the same values (so one can stand for both).
    pub(crate) fn same(&self, other: &InSet) -> bool {
        match (self, other) {
            (InSet::Text(a), InSet::Text(b)) => a == b,
            (InSet::Number(a), InSet::Number(b)) => a == b,
            (InSet::Date(a), InSet::Date(b)) => a == b,
            (
                InSet::Bool {
                    has_true: a,
                    has_false: b,
                },
                InSet::Bool {
                    has_true: c,
                    has_false: d,
                },
            ) => a == c && b == d,
            _ => false,
        }
    }

    /// An estimate of the heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            InSet::Text(s) => text_set_bytes(s),
            InSet::Number(v) => v.len() * size_of::<Decimal>(),
            InSet::Date(v) => v.len() * size_of::<Date>(),
            InSet::Bool { .. } => 0,
        }
    }

    /// Exact membership of a present value; a value of another type is
    /// not a member.
    #[inline]
    pub(crate) fn contains(&self, v: Value<'_>) -> bool {
        match (self, v) {
            (InSet::Text(s), Value::Text(t)) => s.contains(t),
            (InSet::Number(s), Value::Number(n)) => s.binary_search(&n).is_ok(),
            (InSet::Date(s), Value::Date(d)) => s.binary_search(&d).is_ok(),
            (
                InSet::Bool {
                    has_true,
                    has_false,
                },
                Value::Bool(b),
            ) => {
                if b {
                    *has_true
                } else {
                    *has_false
                }
            }
            _ => false,
        }
    }
}

/// The patterns of `t starts with [..]`, grouped by byte length.
#[derive(Clone, Debug)]
pub(crate) struct PrefixSet {
    // INVARIANT (ascending): lengths strictly ascending; kept by `new`.
    by_len: Box<[(usize, TextSet)]>,
}

impl PrefixSet {
    pub(crate) fn new(patterns: &[Box<str>]) -> PrefixSet {
        let mut map: HashMap<usize, TextSet> = HashMap::new();
        for p in patterns {
            map.entry(p.len()).or_default().insert(p.clone());
        }
        let mut by_len: Vec<_> = map.into_iter().collect();
        by_len.sort_unstable_by_key(|(len, _)| *len);
        PrefixSet {
            by_len: by_len.into_boxed_slice(),
        }
    }

    /// An estimate of the heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.by_len
            .iter()
            .map(|(_, s)| size_of::<(usize, TextSet)>() + text_set_bytes(s))
            .sum()
    }

    /// The patterns, grouped by byte length (ascending).
    pub(crate) fn by_len(&self) -> &[(usize, TextSet)] {
        &self.by_len
    }

    /// True if some pattern is a byte prefix of `t`.
    #[inline]
    pub(crate) fn matches(&self, t: &str) -> bool {
        for (len, set) in self.by_len.iter() {
            if *len > t.len() {
                return false;
            }
            // A prefix that does not end on a character boundary cannot
            // equal a pattern, which is valid UTF-8.
            if let Some(head) = t.get(..*len)
                && set.contains(head)
            {
                return true;
            }
        }
        false
    }
}

/// The patterns of `t contains [..]`, lowercased per character.
#[derive(Clone, Debug)]
pub(crate) struct ContainsSet {
    /// Some pattern is empty, so every text matches.
    any_text: bool,
    /// `None` when there are no non-empty patterns.
    automaton: Option<AhoCorasick>,
}

/// Appends `s` lowercased per character (`char::to_lowercase`, so without
/// the final-sigma rule of `str::to_lowercase`) to `out`.
#[inline]
pub(crate) fn push_lower(out: &mut String, s: &str) {
    if s.is_ascii() {
        // For ASCII, `char::to_lowercase` is `to_ascii_lowercase`; this is
        // the common case of customs descriptions, done bytewise.
        let start = out.len();
        out.push_str(s);
        if let Some(tail) = out.get_mut(start..) {
            tail.make_ascii_lowercase();
        }
        return;
    }
    for c in s.chars() {
        out.extend(c.to_lowercase());
    }
}

/// Pattern bytes up to which a `contains` set is matched by a DFA without
/// a prefilter (larger sets use the default matcher).
const DFA_MAX_BYTES: usize = 4096;

impl ContainsSet {
    pub(crate) fn new(patterns: &[Box<str>]) -> Result<ContainsSet, SetError> {
        let mut lowered = Vec::with_capacity(patterns.len());
        let mut any_text = false;
        for p in patterns {
            if p.is_empty() {
                any_text = true;
            } else {
                let mut l = String::with_capacity(p.len());
                push_lower(&mut l, p);
                lowered.push(l);
            }
        }
        let automaton = if lowered.is_empty() {
            None
        } else {
            // Haystacks are short (descriptions), so a prefilter costs more
            // than it saves; for sets of modest size a DFA is the fastest
            // matcher and its memory stays small. Matching is the same
            // whatever the kind.
            let small = lowered.iter().map(String::len).sum::<usize>() <= DFA_MAX_BYTES;
            let mut b = AhoCorasickBuilder::new();
            if small {
                b.kind(Some(AhoCorasickKind::DFA)).prefilter(false);
            }
            Some(b.build(&lowered).map_err(|e| SetError::Matcher {
                reason: e.to_string(),
            })?)
        };
        Ok(ContainsSet {
            any_text,
            automaton,
        })
    }

    /// True if some pattern occurs in `lowered`, a text already lowercased
    /// with [`push_lower`]. Matching lowercased UTF-8 bytes is the same as
    /// matching lowercased characters, because UTF-8 is self-synchronising.
    #[inline]
    pub(crate) fn matches_lowered(&self, lowered: &str) -> bool {
        self.any_text || self.automaton.as_ref().is_some_and(|a| a.is_match(lowered))
    }
}

/// A table, shaped for exact or longest-prefix lookup.
#[derive(Clone, Debug)]
pub(crate) enum Table {
    Exact(TextMap),
    // INVARIANT (descending): lengths strictly descending; kept by `new`.
    Prefix(Box<[(usize, TextMap)]>),
}

/// Text keys to constants.
type TextMap = HashMap<Box<str>, Constant, FxBuild>;

impl Table {
    pub(crate) fn new(entries: &[(Box<str>, Constant)], prefix: bool) -> Result<Table, SetError> {
        let mut exact: TextMap =
            HashMap::with_capacity_and_hasher(entries.len(), FxBuild::default());
        for (k, v) in entries {
            if exact.insert(k.clone(), v.clone()).is_some() {
                return Err(SetError::DuplicateKey { key: k.to_string() });
            }
        }
        if !prefix {
            return Ok(Table::Exact(exact));
        }
        let mut by_len: HashMap<usize, TextMap> = HashMap::new();
        for (k, v) in exact {
            by_len.entry(k.len()).or_default().insert(k, v);
        }
        let mut by_len: Vec<_> = by_len.into_iter().collect();
        by_len.sort_unstable_by_key(|(len, _)| std::cmp::Reverse(*len));
        Ok(Table::Prefix(by_len.into_boxed_slice()))
    }

    /// An estimate of the heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        let map = |m: &TextMap| {
            m.capacity() * (size_of::<(Box<str>, Constant)>() + 1)
                + m.keys().map(|k| k.len()).sum::<usize>()
        };
        match self {
            Table::Exact(m) => map(m),
            Table::Prefix(v) => v.iter().map(|(_, m)| map(m)).sum(),
        }
    }

    /// The value for `key`: exact match, or the longest key that is a byte
    /// prefix of `key` (the empty key matches everything).
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<&Constant> {
        match self {
            Table::Exact(m) => m.get(key),
            Table::Prefix(by_len) => by_len.iter().find_map(|(len, m)| {
                let head = key.get(..*len)?;
                m.get(head)
            }),
        }
    }
}
