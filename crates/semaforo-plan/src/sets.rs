//! Constant sets and tables, each built for the one test it serves.
//!
//! Lowering decides how a list is used and asks for the matching shape:
//! membership (`in`) gets a hash set for text and a sorted slice with
//! binary search for numbers and dates; `starts with` gets one hash set
//! per pattern length (only lengths that occur are tried); `contains`
//! gets an Aho-Corasick automaton over the lowercased patterns; tables get
//! their keys in one text table and their values in one column
//! ([`TableData`]), probed once for `lookup`; for `lookup_prefix` a byte
//! trie of the keys is walked once (or, for a table whose trie would be
//! too large, the text table is probed once per key length, longest
//! first). None of the queries allocates.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};

use crate::date::Date;
use crate::decimal::Decimal;
use crate::layout::FieldType;
use crate::packed::PackedKeys;
use crate::strtab::{StrTable, StrTableBuilder};
use crate::trie::{self, Trie};
use crate::value::Value;

/// A small, fast hasher for the hash maps built from a ruleset (the
/// multiply-rotate scheme of rustc's `FxHasher`): the plan builder's
/// interning maps and the checker's name maps.
///
/// It is not resistant to collision attacks, and need not be: every key it
/// hashes comes from the ruleset, its external lists or the plan itself,
/// which the customs administration supplies, and a collision only costs
/// time, since every lookup still compares keys; declaration values are
/// only looked up (in the plan's text tables, which hash on their own).
#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

/// The last 1 to 7 bytes of a key as one word, read with at most two loads
/// (a byte-by-byte copy stalls on the store-to-load forwarding). Which bytes
/// land where depends only on the length: 4 to 7 bytes as two overlapping
/// 4-byte reads, 1 to 3 bytes as the first, middle and last byte. Every
/// byte is read, so keys of one length that differ give different words.
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    if let (Some(lo), Some(hi)) = (rest.first_chunk::<4>(), rest.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*lo)) | (u64::from(u32::from_le_bytes(*hi)) << 32)
    } else {
        let byte = |i: usize| u64::from(rest.get(i).copied().unwrap_or(0));
        byte(0) | (byte(n / 2) << 8) | (byte(n.saturating_sub(1)) << 16)
    }
}

impl Hasher for FxHasher {
    /// Folds in the length of `bytes`, then `bytes` as little-endian words
    /// (the length tells apart keys whose last words coincide).
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            if let Ok(word) = <[u8; 8]>::try_from(chunk) {
                self.add(u64::from_le_bytes(word));
            }
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(rest));
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
pub type FxBuild = BuildHasherDefault<FxHasher>;

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
    /// The texts of one set hold 4 GiB or more.
    #[error("list too large")]
    TooLarge,
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
    Text(StrTable),
    // INVARIANT (sorted): sorted ascending and deduplicated; kept by `InSet::from_values`.
    Number(Box<[Decimal]>),
    // INVARIANT (sorted): as above.
    Date(Box<[Date]>),
    Bool { has_true: bool, has_false: bool },
}

/// The kind of a value, for telling apart mixed lists.
fn value_kind(v: Value<'_>) -> u8 {
    match v {
        Value::Text(_) => 0,
        Value::Number(_) => 1,
        Value::Bool(_) => 2,
        Value::Date(_) => 3,
        Value::Missing => 4,
    }
}

impl InSet {
    /// Builds the set from borrowed values (none of them *missing*):
    /// nothing but the bytes of the texts is copied. An empty list is an
    /// empty text set, which contains nothing of any type.
    pub(crate) fn from_values<'a>(
        values: impl Iterator<Item = Value<'a>> + Clone,
    ) -> Result<InSet, SetError> {
        let mut all = values.clone();
        let Some(first) = all.next() else {
            return Ok(InSet::Text(StrTable::default()));
        };
        let kind = value_kind(first);
        if let Some(at) = all.position(|v| value_kind(v) != kind) {
            return Err(SetError::MixedTypes { index: at + 1 });
        }
        Ok(match first {
            Value::Text(_) | Value::Missing => InSet::Text(
                StrTable::build(values.filter_map(|v| match v {
                    Value::Text(t) => Some(t),
                    _ => None,
                }))
                .ok_or(SetError::TooLarge)?,
            ),
            Value::Number(_) => {
                let mut v: Vec<Decimal> = values
                    .filter_map(|v| match v {
                        Value::Number(n) => Some(n),
                        _ => None,
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                InSet::Number(v.into_boxed_slice())
            }
            Value::Date(_) => {
                let mut v: Vec<Date> = values
                    .filter_map(|v| match v {
                        Value::Date(d) => Some(d),
                        _ => None,
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                InSet::Date(v.into_boxed_slice())
            }
            Value::Bool(_) => {
                let (mut has_true, mut has_false) = (false, false);
                for v in values {
                    match v {
                        Value::Bool(true) => has_true = true,
                        Value::Bool(false) => has_false = true,
                        _ => {}
                    }
                }
                InSet::Bool {
                    has_true,
                    has_false,
                }
            }
        })
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
            InSet::Text(s) => s.content_hash(),
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
            (InSet::Text(a), InSet::Text(b)) => a.same_texts(b),
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
            InSet::Text(s) => s.heap_bytes(),
            InSet::Number(v) => v.len() * size_of::<Decimal>(),
            InSet::Date(v) => v.len() * size_of::<Date>(),
            InSet::Bool { .. } => 0,
        }
    }

    /// Whether a text set holds the text whose bytes are `t` (false for a
    /// set of another type, as [`InSet::contains`] says of a text).
    #[inline]
    pub(crate) fn contains_text_bytes(&self, t: &[u8]) -> bool {
        match self {
            InSet::Text(s) => s.find_bytes(t).is_some(),
            _ => false,
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
    by_len: Box<[(usize, StrTable)]>,
}

impl PrefixSet {
    pub(crate) fn new<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<PrefixSet, SetError> {
        let mut sorted: Vec<&str> = patterns.collect();
        // Stable, so each length keeps the patterns' order.
        sorted.sort_by_key(|p| p.len());
        let by_len = sorted
            .chunk_by(|a, b| a.len() == b.len())
            .map(|group| {
                let len = group.first().map_or(0, |p| p.len());
                StrTable::build(group.iter().copied())
                    .map(|t| (len, t))
                    .ok_or(SetError::TooLarge)
            })
            .collect::<Result<_, _>>()?;
        Ok(PrefixSet { by_len })
    }

    /// An estimate of the heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.by_len
            .iter()
            .map(|(_, s)| size_of::<(usize, StrTable)>() + s.heap_bytes())
            .sum()
    }

    /// The patterns, grouped by byte length (ascending).
    pub(crate) fn by_len(&self) -> &[(usize, StrTable)] {
        &self.by_len
    }

    /// True if some pattern is a byte prefix of `t`.
    #[inline]
    pub(crate) fn matches(&self, t: &[u8]) -> bool {
        for (len, set) in self.by_len.iter() {
            // A head that does not end on a character boundary cannot
            // equal a pattern, which is valid UTF-8: bytes need no test.
            let Some(head) = t.get(..*len) else {
                return false;
            };
            if set.find_bytes(head).is_some() {
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
    /// For small sets, a dense DFA that also folds ASCII case, so ASCII
    /// texts are matched without being lowercased first.
    small: Option<SmallDfa>,
}

/// Pattern bytes up to which a `contains` set also gets a [`SmallDfa`]
/// (at most 1,025 states of 1 KiB each).
const SMALL_DFA_MAX_BYTES: usize = 1024;

/// The entry of a transition into a state where some pattern ends (a
/// stop: see [`SmallDfa`]).
const SMALL_DFA_MATCH: u32 = 0xFFFF_0000;

/// The entry of every transition on a byte that is not ASCII (`0x80..`;
/// a stop).
const SMALL_DFA_NON_ASCII: u32 = 0xFFFE_0000;

/// A dense Aho–Corasick DFA over ASCII bytes that folds ASCII case,
/// built for `is_match` only.
///
/// Each entry is the offset of the target state's row (`state * 256`),
/// so the next lookup is that entry plus the byte; or it is one of two
/// stops, both past the end of the table, so that the lookup after one
/// misses and ends the run: [`SMALL_DFA_NON_ASCII`] on every byte
/// `0x80..`, else [`SMALL_DFA_MATCH`] into a state where some pattern
/// ends (itself or through its failure links). The only test per byte is
/// the lookup's own bounds check. Transitions on ASCII uppercase bytes are
/// those of the lowercase bytes, which is `to_ascii_lowercase` applied to
/// the text, since the (lowercased) patterns contain no ASCII uppercase
/// byte.
#[derive(Clone, Debug)]
struct SmallDfa {
    // INVARIANT (dense): 256 entries per state; every entry is `s * 256`
    // for a state `s` below `next.len() / 256`, or one of the two stops,
    // which are at least `next.len()` (`build` refuses more states) and
    // at most `u32::MAX - 255`: an entry plus a byte never overflows, even
    // in a 32-bit `usize`, and lands in the table exactly when the entry
    // is a row offset. Kept by `build`.
    next: Box<[u32]>,
}

impl SmallDfa {
    /// Builds the DFA of non-empty `patterns`, or `None` if they are too
    /// large or contain an ASCII uppercase byte.
    fn build(patterns: &[String]) -> Option<SmallDfa> {
        let total: usize = patterns.iter().map(String::len).sum();
        if total > SMALL_DFA_MAX_BYTES
            || patterns
                .iter()
                .any(|p| p.is_empty() || p.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return None;
        }
        // The trie: `goto[s * 256 + b]` is a child or 0 (the root is never
        // a child).
        let mut goto: Vec<u32> = vec![0; 256];
        let mut out: Vec<bool> = vec![false];
        for p in patterns {
            let mut s = 0usize;
            for &b in p.as_bytes() {
                let slot = s * 256 + usize::from(b);
                let child = *goto.get(slot)?;
                if child == 0 {
                    let id = u32::try_from(out.len()).ok()?;
                    *goto.get_mut(slot)? = id;
                    goto.extend(std::iter::repeat_n(0, 256));
                    out.push(false);
                    s = id as usize;
                } else {
                    s = child as usize;
                }
            }
            *out.get_mut(s)? = true;
        }
        // Breadth first: a state's missing transitions are those of its
        // failure state, which is shallower and therefore already complete.
        let states = out.len();
        let mut fail: Vec<u32> = vec![0; states];
        let mut next: Vec<u32> = vec![0; states * 256];
        let mut queue = std::collections::VecDeque::new();
        for b in 0..256usize {
            let child = *goto.get(b)?;
            *next.get_mut(b)? = child;
            if child != 0 {
                queue.push_back(child);
            }
        }
        while let Some(s) = queue.pop_front() {
            let s = s as usize;
            let f = *fail.get(s)? as usize;
            if *out.get(f)? {
                *out.get_mut(s)? = true;
            }
            for b in 0..256usize {
                let child = *goto.get(s * 256 + b)?;
                let via_fail = *next.get(f * 256 + b)?;
                if child != 0 {
                    *fail.get_mut(child as usize)? = via_fail;
                    *next.get_mut(s * 256 + b)? = child;
                    queue.push_back(child);
                } else {
                    *next.get_mut(s * 256 + b)? = via_fail;
                }
            }
        }
        // Fold ASCII case, then turn states into row offsets and stops.
        for s in 0..states {
            for upper in b'A'..=b'Z' {
                let lower = *next.get(s * 256 + usize::from(upper.to_ascii_lowercase()))?;
                *next.get_mut(s * 256 + usize::from(upper))? = lower;
            }
        }
        if (states as u64) * 256 > u64::from(SMALL_DFA_NON_ASCII.min(SMALL_DFA_MATCH)) {
            return None;
        }
        for (i, t) in next.iter_mut().enumerate() {
            *t = if i % 256 >= 0x80 {
                SMALL_DFA_NON_ASCII
            } else if out.get(*t as usize).copied().unwrap_or(false) {
                SMALL_DFA_MATCH
            } else {
                *t * 256
            };
        }
        Some(SmallDfa {
            next: next.into_boxed_slice(),
        })
    }

    /// Whether some pattern occurs in `bytes` folded to ASCII lowercase,
    /// read up to the first byte that is not ASCII: `None` there (the
    /// text must be lowercased per character and searched by the general
    /// matcher), unless a pattern ended before it. A match in the ASCII
    /// prefix is a match in the lowercased text, whose prefix it is.
    ///
    /// This is the inner loop of `contains` on descriptions: per byte,
    /// one table lookup, whose bounds check is also the test for a stop.
    #[inline]
    fn run_ascii(&self, bytes: &[u8]) -> Option<bool> {
        let mut at = 0usize;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in chunks.by_ref() {
            for &b in chunk {
                let Some(&t) = self.next.get(at + usize::from(b)) else {
                    return Self::outcome(at);
                };
                at = t as usize;
            }
        }
        for &b in chunks.remainder() {
            let Some(&t) = self.next.get(at + usize::from(b)) else {
                return Self::outcome(at);
            };
            at = t as usize;
        }
        Self::outcome(at)
    }

    /// What a run that ended on entry `at` found: a stop, or (for a row
    /// offset, the whole text read) no match.
    #[inline]
    fn outcome(at: usize) -> Option<bool> {
        if at == SMALL_DFA_MATCH as usize {
            Some(true)
        } else if at == SMALL_DFA_NON_ASCII as usize {
            None
        } else {
            Some(false)
        }
    }
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
        let small = SmallDfa::build(&lowered);
        Ok(ContainsSet {
            any_text,
            automaton,
            small,
        })
    }

    /// True if some pattern occurs in `text` lowercased with
    /// [`push_lower`]; `lower` is scratch space for the lowercased text.
    /// With the small DFA, a text is matched in place up to its first
    /// byte that is not ASCII (its transitions fold ASCII case), and only
    /// a text with such a byte and no match before it is lowercased, then
    /// searched by the automaton.
    #[inline]
    pub(crate) fn matches(&self, text: &str, lower: &mut String) -> bool {
        if self.any_text {
            return true;
        }
        if let Some(found) = self
            .small
            .as_ref()
            .and_then(|d| d.run_ascii(text.as_bytes()))
        {
            return found;
        }
        self.matches_after_lowering(text, lower)
    }

    /// The rest of [`ContainsSet::matches`]: lowercase, then search (out
    /// of line, so the in-place run keeps a small frame).
    #[inline(never)]
    fn matches_after_lowering(&self, text: &str, lower: &mut String) -> bool {
        lower.clear();
        push_lower(lower, text);
        self.matches_lowered(lower)
    }

    /// True if some pattern occurs in `lowered`, a text already lowercased
    /// with [`push_lower`]. Matching lowercased UTF-8 bytes is the same as
    /// matching lowercased characters, because UTF-8 is self-synchronising.
    #[inline]
    pub(crate) fn matches_lowered(&self, lowered: &str) -> bool {
        self.any_text || self.automaton.as_ref().is_some_and(|a| a.is_match(lowered))
    }
}

/// The entries of one table: distinct text keys, each with a value (a
/// one-value table) or a row of typed cells, some possibly empty (a
/// multi-column table). Built once by a [`TableBuilder`] and shared (through
/// an `Arc`) by the table's exact and longest-prefix shapes in a plan, one
/// shape per column read.
///
/// The keys are one text table (their bytes back to back and an
/// open-addressing index, a few allocations whatever the size) and each
/// column one array indexed by key number: 16 bytes a number, 4 bytes a
/// date, 1 byte a bool, and for text 4 bytes a value plus each distinct
/// text once; a column with empty cells has a bitmap of them. A table of a
/// million 10-byte keys with number values holds about 40 bytes per entry.
#[derive(Clone, Debug)]
pub struct TableData {
    // INVARIANT (column): every column holds one value per key of `keys`,
    // in key-number order (an empty cell holds a placeholder and its bit in
    // the column's `empty` bitmap); kept by `TableBuilder::insert_row`.
    keys: StrTable,
    columns: Box<[TableColumn]>,
    // INVARIANT (lengths): the distinct byte lengths of the keys, longest
    // first; kept by `TableBuilder::finish`.
    lengths: Box<[u32]>,
    /// The keys shaped for `lookup_prefix`, once a plan asks for it
    /// ([`TableData::prefix_index`]): packed into words when every key
    /// has at most eight bytes (HS chapters to subheadings), else a byte
    /// trie, each key's value its number (see [`crate::trie`]);
    /// `Some(None)` when the table has more than [`PREFIX_TRIE_MAX_KEYS`]
    /// keys or the trie would pass its bound (the key lengths are probed).
    // INVARIANT (prefix index): the packed keys or the trie hold exactly
    // `keys`, each with its number.
    prefix: OnceLock<Option<PrefixIndex>>,
}

/// How a table's longest-prefix lookups find their key.
#[derive(Clone, Debug)]
enum PrefixIndex {
    /// Keys of at most eight bytes, one probe per key length.
    Packed(PackedKeys),
    /// A walk down the keys' trie.
    Trie(Box<[u32]>),
}

/// The most keys a table has for its prefix lookups to walk a trie. A
/// reference table of HS headings and subheadings (a few hundred to a
/// few thousand rows) gets one; a larger table keeps its bytes per entry
/// (a trie of HS codes takes two to four times the bytes of their text
/// table) and probes its few key lengths instead, which is as exact.
const PREFIX_TRIE_MAX_KEYS: usize = 4096;

/// How many times the bytes of the key table, plus
/// [`PREFIX_TRIE_MIN_BYTES`], a prefix trie may take: long keys with
/// little in common (tax ids) would make a trie of mostly one-child
/// nodes, and probe their lengths instead.
const PREFIX_TRIE_FACTOR: usize = 4;

/// The bytes a prefix trie may take whatever the key table's size.
const PREFIX_TRIE_MIN_BYTES: usize = 64 * 1024;

/// One column of a table.
#[derive(Clone, Debug)]
struct TableColumn {
    values: Column,
    /// Bit `i` set: key number `i` has no value in this column. Empty when
    /// no cell is empty.
    empty: Box<[u64]>,
}

/// A column of table values, indexed by key number.
#[derive(Clone, Debug)]
enum Column {
    /// No value yet (an empty one-value table).
    Empty,
    /// Text values: each value's number in `texts`.
    Text {
        texts: StrTable,
        ids: Box<[u32]>,
    },
    Number(Box<[Decimal]>),
    Date(Box<[Date]>),
    Bool(Box<[bool]>),
}

/// The column while it is built.
#[derive(Debug)]
enum ColumnBuilder {
    Empty,
    Text {
        texts: StrTableBuilder,
        ids: Vec<u32>,
    },
    Number(Vec<Decimal>),
    Date(Vec<Date>),
    Bool(Vec<bool>),
}

impl ColumnBuilder {
    /// An empty column of type `ty` (a scalar type; a record list gives an
    /// untyped column, which accepts no value).
    fn typed(ty: FieldType) -> ColumnBuilder {
        match ty {
            FieldType::Text => ColumnBuilder::Text {
                texts: StrTableBuilder::default(),
                ids: Vec::new(),
            },
            FieldType::Number => ColumnBuilder::Number(Vec::new()),
            FieldType::Date => ColumnBuilder::Date(Vec::new()),
            FieldType::Bool => ColumnBuilder::Bool(Vec::new()),
            FieldType::List(_) => ColumnBuilder::Empty,
        }
    }

    /// Whether `value` (not *missing*) has this column's type.
    fn fits(&self, value: Value<'_>) -> bool {
        matches!(
            (self, value),
            (ColumnBuilder::Text { .. }, Value::Text(_))
                | (ColumnBuilder::Number(_), Value::Number(_))
                | (ColumnBuilder::Date(_), Value::Date(_))
                | (ColumnBuilder::Bool(_), Value::Bool(_))
        )
    }

    /// Appends `value` (of the column's type; *missing* appends the type's
    /// placeholder), reserving room for `room` values.
    fn push(&mut self, value: Value<'_>, room: usize) -> Result<(), SetError> {
        match (self, value) {
            (ColumnBuilder::Text { texts, ids }, v) => {
                let t = match v {
                    Value::Text(t) => t,
                    _ => "",
                };
                let (id, _) = texts.insert(t).ok_or(SetError::TooLarge)?;
                ids.reserve(room.saturating_sub(ids.len()));
                ids.push(id);
            }
            (ColumnBuilder::Number(v), x) => {
                v.reserve(room.saturating_sub(v.len()));
                v.push(match x {
                    Value::Number(n) => n,
                    _ => Decimal::ZERO,
                });
            }
            (ColumnBuilder::Date(v), x) => {
                v.reserve(room.saturating_sub(v.len()));
                v.push(match x {
                    Value::Date(d) => d,
                    _ => Date::EPOCH,
                });
            }
            (ColumnBuilder::Bool(v), x) => {
                v.reserve(room.saturating_sub(v.len()));
                v.push(matches!(x, Value::Bool(true)));
            }
            (ColumnBuilder::Empty, _) => return Err(SetError::MixedTypes { index: 0 }),
        }
        Ok(())
    }

    fn finish(self) -> Column {
        match self {
            ColumnBuilder::Empty => Column::Empty,
            ColumnBuilder::Text { texts, ids } => Column::Text {
                texts: texts.finish(),
                ids: ids.into_boxed_slice(),
            },
            ColumnBuilder::Number(v) => Column::Number(v.into_boxed_slice()),
            ColumnBuilder::Date(v) => Column::Date(v.into_boxed_slice()),
            ColumnBuilder::Bool(v) => Column::Bool(v.into_boxed_slice()),
        }
    }
}

/// Builds a [`TableData`] entry by entry, finding repeated keys on the way
/// (one hash probe per entry, no allocation per entry).
///
/// ```
/// use semaforo_plan::Value;
/// use semaforo_plan::sets::TableBuilder;
/// let mut b = TableBuilder::with_capacity(3, 12);
/// assert_eq!(b.insert("6403", Value::Bool(true)), Ok(true));
/// assert_eq!(b.insert("6403", Value::Bool(false)), Ok(false)); // repeated
/// assert!(b.insert("64", Value::Text("x")).is_err()); // another type
/// assert_eq!(b.finish().len(), 1);
/// ```
///
/// A multi-column table declares its column types and takes rows, where
/// *missing* is an empty cell:
///
/// ```
/// use semaforo_plan::{Decimal, FieldType, Value};
/// use semaforo_plan::sets::TableBuilder;
/// let mut b = TableBuilder::with_columns(&[FieldType::Number, FieldType::Text], 2, 8);
/// let n = Value::Number(Decimal::from_i64(7));
/// assert_eq!(b.insert_row("6403", &[n, Value::Missing]), Ok(true));
/// let t = b.finish();
/// assert_eq!(t.get_cell("6403", 0), Some(n));
/// assert_eq!(t.get_cell("6403", 1), None); // an empty cell
/// ```
#[derive(Debug)]
pub struct TableBuilder {
    keys: StrTableBuilder,
    /// A one-value table infers its type from its first value.
    infer: bool,
    columns: Vec<ColumnBuilder>,
    /// Per column, the key numbers of its empty cells.
    empty: Vec<Vec<u32>>,
}

impl TableBuilder {
    /// A one-value table with room for `entries` entries whose keys hold
    /// `key_bytes` bytes in all, so that building does not grow any buffer.
    /// Its values' type is the first value's.
    pub fn with_capacity(entries: usize, key_bytes: usize) -> TableBuilder {
        TableBuilder {
            keys: StrTableBuilder::with_capacity(entries, key_bytes),
            infer: true,
            columns: vec![ColumnBuilder::Empty],
            empty: vec![Vec::new()],
        }
    }

    /// A table whose rows have one cell per entry of `types` (scalar
    /// types), with room for `entries` rows whose keys hold `key_bytes`
    /// bytes in all.
    pub fn with_columns(types: &[FieldType], entries: usize, key_bytes: usize) -> TableBuilder {
        TableBuilder {
            keys: StrTableBuilder::with_capacity(entries, key_bytes),
            infer: false,
            columns: types.iter().map(|&t| ColumnBuilder::typed(t)).collect(),
            empty: types.iter().map(|_| Vec::new()).collect(),
        }
    }

    /// Adds an entry of a one-value table: `Ok(true)` if `key` is new,
    /// `Ok(false)` if it was already added (the table keeps the first
    /// value; the caller reports the repeat). Errors: a *missing* value or
    /// one of another type than the first (`MixedTypes`, with the number
    /// of entries so far), or keys or texts of 4 GiB or more (`TooLarge`).
    pub fn insert(&mut self, key: &str, value: Value<'_>) -> Result<bool, SetError> {
        let index = self.keys.len();
        if value == Value::Missing || self.columns.len() != 1 {
            return Err(SetError::MixedTypes { index });
        }
        if self.infer
            && let Some(c @ ColumnBuilder::Empty) = self.columns.first_mut()
        {
            *c = ColumnBuilder::typed(match value {
                Value::Text(_) => FieldType::Text,
                Value::Number(_) => FieldType::Number,
                Value::Date(_) => FieldType::Date,
                _ => FieldType::Bool,
            });
        }
        self.insert_row(key, &[value])
    }

    /// Adds a row: one cell per column, *missing* for an empty cell.
    /// `Ok(true)` if `key` is new, `Ok(false)` if it was already added (the
    /// table keeps the first row). Errors: a cell of another type than its
    /// column's, or a row of the wrong length (`MixedTypes`, with the
    /// number of rows so far), or keys or texts of 4 GiB or more
    /// (`TooLarge`).
    pub fn insert_row(&mut self, key: &str, cells: &[Value<'_>]) -> Result<bool, SetError> {
        let index = self.keys.len();
        let mixed = SetError::MixedTypes { index };
        // The types first, so a rejected row leaves the table unchanged.
        if cells.len() != self.columns.len()
            || self
                .columns
                .iter()
                .zip(cells)
                .any(|(c, &v)| v != Value::Missing && !c.fits(v))
        {
            return Err(mixed);
        }
        let (number, new) = self.keys.insert(key).ok_or(SetError::TooLarge)?;
        if !new {
            return Ok(false);
        }
        // Reserve as the keys did, so the columns grow with them.
        let room = self.keys.capacity();
        for ((column, empty), &cell) in self.columns.iter_mut().zip(&mut self.empty).zip(cells) {
            column.push(cell, room)?;
            if cell == Value::Missing {
                empty.push(number);
            }
        }
        Ok(true)
    }

    /// The table.
    pub fn finish(self) -> TableData {
        let keys = self.keys.finish();
        let mut lengths: Vec<u32> = keys
            .iter()
            .map(|k| u32::try_from(k.len()).unwrap_or(u32::MAX))
            .collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        let rows = keys.len();
        let columns = self
            .columns
            .into_iter()
            .zip(self.empty)
            .map(|(c, empty)| {
                let mut bits = Vec::new();
                if !empty.is_empty() {
                    bits = vec![0u64; rows.div_ceil(64)];
                    for i in empty {
                        if let Some(w) = bits.get_mut(i as usize / 64) {
                            *w |= 1 << (i % 64);
                        }
                    }
                }
                TableColumn {
                    values: c.finish(),
                    empty: bits.into_boxed_slice(),
                }
            })
            .collect();
        TableData {
            keys,
            columns,
            lengths: lengths.into_boxed_slice(),
            prefix: OnceLock::new(),
        }
    }
}

impl TableData {
    /// How many entries (distinct keys).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table has no entry.
    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// How many columns (1 for a one-value table).
    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// The value of `key`, if it is a key (a one-value table's value, the
    /// first column of a multi-column table).
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        self.get_cell(key, 0)
    }

    /// Column `column` of the row of `key`: `None` if `key` is not a key or
    /// the cell is empty.
    pub fn get_cell(&self, key: &str, column: u32) -> Option<Value<'_>> {
        self.value(self.keys.find(key)?, column)
    }

    /// Column `column` of key number `index` (`None` for an empty cell).
    fn value(&self, index: u32, column: u32) -> Option<Value<'_>> {
        let i = index as usize;
        let col = self.columns.get(column as usize)?;
        if col
            .empty
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
        {
            return None;
        }
        Some(match &col.values {
            Column::Empty => return None,
            Column::Text { texts, ids } => Value::Text(texts.get(*ids.get(i)? as usize)?),
            Column::Number(v) => Value::Number(*v.get(i)?),
            Column::Date(v) => Value::Date(*v.get(i)?),
            Column::Bool(v) => Value::Bool(*v.get(i)?),
        })
    }

    /// The value of the longest key that is a byte prefix of `key` (the
    /// empty key is a prefix of every key): one walk down the keys' trie
    /// once a plan shaped the table for prefix lookups, otherwise one
    /// probe per distinct key length not longer than `key`, longest first.
    pub fn get_prefix(&self, key: &str) -> Option<Value<'_>> {
        self.get_prefix_cell(key, 0)
    }

    /// Column `column` of the row whose key is the longest byte prefix of
    /// `key`. The row is chosen first: an empty cell in it is `None`, and
    /// no shorter key is tried.
    pub fn get_prefix_cell(&self, key: &str, column: u32) -> Option<Value<'_>> {
        // Heads as bytes: a key's bytes equal to a head end on a
        // character boundary of `key` (the key is whole characters), so
        // testing the boundary first would only cost.
        let index = match self.prefix.get() {
            Some(Some(PrefixIndex::Packed(p))) => p.longest(key.as_bytes())?,
            Some(Some(PrefixIndex::Trie(t))) => trie::longest(t, key.as_bytes())?,
            _ => self.longest_by_lengths(key.as_bytes())?,
        };
        self.value(index, column)
    }

    /// The number of the longest key that is a prefix of `key`, by one
    /// probe per key length.
    fn longest_by_lengths(&self, key: &[u8]) -> Option<u32> {
        self.lengths.iter().find_map(|&len| {
            let head = key.get(..len as usize)?;
            self.keys.find_bytes(head)
        })
    }

    /// Shapes the keys for prefix lookups, once: packed into words if
    /// `pack` and every key has at most eight bytes, else a trie unless it
    /// would take more than `max_bytes` (0: nothing is built or
    /// allocated); returns whether there is an index.
    fn prefix_index(&self, max_bytes: usize, pack: bool) -> bool {
        self.prefix
            .get_or_init(|| {
                if max_bytes == 0 {
                    return None;
                }
                if pack && let Some(p) = PackedKeys::build(self.keys.len(), self.keys.iter()) {
                    return Some(PrefixIndex::Packed(p));
                }
                let mut t = Trie::with_capacity(self.keys.len());
                for (i, k) in self.keys.iter().enumerate() {
                    t.insert(k.as_bytes(), u32::try_from(i).ok()?);
                }
                t.freeze(max_bytes / 4).map(PrefixIndex::Trie)
            })
            .is_some()
    }

    /// The heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        let values: usize = self
            .columns
            .iter()
            .map(|c| {
                let v = match &c.values {
                    Column::Empty => 0,
                    Column::Text { texts, ids } => texts.heap_bytes() + ids.len() * 4,
                    Column::Number(v) => v.len() * size_of::<Decimal>(),
                    Column::Date(v) => v.len() * size_of::<Date>(),
                    Column::Bool(v) => v.len(),
                };
                v + c.empty.len() * 8 + size_of::<TableColumn>()
            })
            .sum();
        let trie = match self.prefix.get() {
            Some(Some(PrefixIndex::Packed(p))) => p.heap_bytes(),
            Some(Some(PrefixIndex::Trie(t))) => t.len() * 4,
            _ => 0,
        };
        self.keys.heap_bytes() + values + self.lengths.len() * 4 + trie
    }
}

/// A table in a plan, shaped for exact or longest-prefix lookup; the two
/// shapes of one table share its data.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    data: Arc<TableData>,
    prefix: bool,
    /// The column read.
    column: u32,
}

/// The value a table lookup found; [`TableValue::value`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TableValue<'a>(Value<'a>);

impl<'a> TableValue<'a> {
    /// The value (never *missing*).
    #[inline]
    pub(crate) fn value(self) -> Value<'a> {
        self.0
    }
}

impl Table {
    /// The table of `entries` (keys distinct). Builds the data; a plan
    /// that needs both shapes of one table shares it through
    /// [`Table::shaped`].
    pub(crate) fn new(entries: &[(Box<str>, Constant)], prefix: bool) -> Result<Table, SetError> {
        let bytes = entries.iter().map(|(k, _)| k.len()).sum();
        let mut b = TableBuilder::with_capacity(entries.len(), bytes);
        for (k, v) in entries {
            if !b.insert(k, v.value())? {
                return Err(SetError::DuplicateKey { key: k.to_string() });
            }
        }
        Ok(Table::shaped(Arc::new(b.finish()), prefix, 0))
    }

    /// `data` shaped for exact (`prefix == false`) or longest-prefix
    /// lookup.
    pub(crate) fn shaped(data: Arc<TableData>, prefix: bool, column: u32) -> Table {
        if prefix {
            let bound = match data.len() {
                n if n > PREFIX_TRIE_MAX_KEYS => 0,
                _ => {
                    data.keys.heap_bytes().saturating_mul(PREFIX_TRIE_FACTOR)
                        + PREFIX_TRIE_MIN_BYTES
                }
            };
            data.prefix_index(bound, true);
        }
        Table {
            data,
            prefix,
            column,
        }
    }

    /// An estimate of the heap bytes held: the shared data is counted
    /// once, split between the tables that share it.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.data.heap_bytes() / Arc::strong_count(&self.data).max(1)
    }

    /// The value for `key`: exact match, or the longest key that is a byte
    /// prefix of `key` (the empty key matches everything).
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<TableValue<'_>> {
        if self.prefix {
            self.data.get_prefix_cell(key, self.column).map(TableValue)
        } else {
            self.data.get_cell(key, self.column).map(TableValue)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Constant, ContainsSet, SetError, Table, TableBuilder, push_lower};
    use crate::date::Date;
    use crate::decimal::Decimal;
    use crate::value::Value;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn num(s: &str) -> Decimal {
        Decimal::parse(s).unwrap().value
    }

    #[test]
    fn tables_find_exact_keys_and_longest_prefixes() {
        let entries: Vec<(Box<str>, Constant)> =
            [("", "1"), ("64", "2"), ("6403", "3"), ("85", "4")]
                .iter()
                .map(|(k, v)| (Box::from(*k), Constant::Number(num(v))))
                .collect();
        let exact = Table::new(&entries, false).unwrap();
        let prefix = Table::new(&entries, true).unwrap();
        fn get<'t>(t: &'t Table, k: &str) -> Option<Value<'t>> {
            t.get(k).map(|v| v.value())
        }
        assert_eq!(get(&exact, "6403"), Some(Value::Number(num("3"))));
        assert_eq!(get(&exact, "640399"), None);
        assert_eq!(get(&exact, ""), Some(Value::Number(num("1"))));
        assert_eq!(get(&prefix, "640399"), Some(Value::Number(num("3"))));
        assert_eq!(get(&prefix, "6401"), Some(Value::Number(num("2"))));
        assert_eq!(get(&prefix, "9"), Some(Value::Number(num("1"))));
        // A length that would cut a character is skipped, not a panic.
        assert_eq!(get(&prefix, "6é"), Some(Value::Number(num("1"))));
    }

    #[test]
    fn table_values_of_every_type_are_kept_per_key() {
        let d = Date::from_ymd(2026, 1, 2).unwrap();
        for (a, b) in [
            (Value::Text("alto"), Value::Text("bajo")),
            (Value::Number(num("1.5")), Value::Number(num("-2"))),
            (Value::Date(d), Value::Date(d)),
            (Value::Bool(true), Value::Bool(false)),
        ] {
            let mut t = TableBuilder::with_capacity(0, 0);
            assert_eq!(t.insert("a", a), Ok(true));
            assert_eq!(t.insert("b", b), Ok(true));
            assert_eq!(t.insert("a", b), Ok(false));
            let t = t.finish();
            assert_eq!(
                (t.len(), t.get("a"), t.get("b"), t.get("c")),
                (2, Some(a), Some(b), None)
            );
        }
        let mut t = TableBuilder::with_capacity(2, 2);
        assert_eq!(
            t.insert("a", Value::Missing),
            Err(SetError::MixedTypes { index: 0 })
        );
        assert_eq!(t.insert("a", Value::Bool(true)), Ok(true));
        assert_eq!(
            t.insert("b", Value::Text("x")),
            Err(SetError::MixedTypes { index: 1 })
        );
        assert_eq!(t.finish().get("b"), None);
        let empty = TableBuilder::with_capacity(0, 0).finish();
        assert!(empty.is_empty());
        assert_eq!((empty.get(""), empty.get_prefix("x")), (None, None));
    }

    #[test]
    fn a_repeated_key_is_refused_by_the_plan_table() {
        let entries: Vec<(Box<str>, Constant)> = vec![
            ("k".into(), Constant::Bool(true)),
            ("k".into(), Constant::Bool(false)),
        ];
        assert_eq!(
            Table::new(&entries, false).err(),
            Some(SetError::DuplicateKey { key: "k".into() })
        );
    }

    #[test]
    fn prefix_shapes_walk_a_trie_only_for_tables_of_modest_size() {
        let shaped = |n: usize| {
            let mut b = TableBuilder::with_capacity(n, 0);
            for i in 0..n {
                let v = Decimal::from_i64(i as i64);
                b.insert(&format!("{i:06}"), Value::Number(v)).unwrap();
            }
            let data = Arc::new(b.finish());
            let exact = Table::shaped(Arc::clone(&data), false, 0);
            // An exact shape builds nothing; a prefix shape decides once.
            assert!(exact.data.prefix.get().is_none());
            let prefix = Table::shaped(data, true, 0);
            let walked = matches!(prefix.data.prefix.get(), Some(Some(_)));
            // Either way, the key "0000123" starts with is found, and a
            // text no key starts is not.
            let get = |k: &str| prefix.get(k).map(|v| v.value());
            assert_eq!(get("0000123"), Some(Value::Number(num("12"))));
            assert_eq!(get("x"), None);
            walked
        };
        assert!(shaped(super::PREFIX_TRIE_MAX_KEYS));
        assert!(!shaped(super::PREFIX_TRIE_MAX_KEYS + 1));
    }

    proptest! {
        /// Lookups agree with a map of the first value of each key, and
        /// prefix lookups with a scan for the longest key that is a prefix
        /// (keys and probes with a two-byte character, so some prefix
        /// lengths cut it).
        #[test]
        fn tables_agree_with_a_map(
            entries in proptest::collection::vec(("[abé]{0,5}", "[xyz]{0,2}"), 0..200),
            probes in proptest::collection::vec("[abcé]{0,7}", 0..40),
        ) {
            let mut b = TableBuilder::with_capacity(entries.len(), 0);
            let mut map: HashMap<&str, &str> = HashMap::new();
            for (k, v) in &entries {
                let new = b.insert(k, Value::Text(v)).unwrap();
                prop_assert_eq!(new, !map.contains_key(k.as_str()));
                map.entry(k.as_str()).or_insert(v.as_str());
            }
            // Prefix lookups by key lengths (no index, or one refused by
            // its bound), by the trie, and by packed keys when every key
            // has at most eight bytes (`é` is two).
            let by_lengths = b.finish();
            let refused = by_lengths.clone();
            prop_assert!(!refused.prefix_index(0, true));
            let walked = by_lengths.clone();
            prop_assert!(walked.prefix_index(usize::MAX, false));
            prop_assert!(matches!(walked.prefix.get(), Some(Some(super::PrefixIndex::Trie(_)))));
            let packed = by_lengths.clone();
            prop_assert!(packed.prefix_index(usize::MAX, true));
            let short = map.keys().all(|k| k.len() <= 8);
            prop_assert_eq!(
                matches!(packed.prefix.get(), Some(Some(super::PrefixIndex::Packed(_)))),
                short
            );
            for t in [&by_lengths, &refused, &walked, &packed] {
                prop_assert_eq!(t.len(), map.len());
                for p in probes.iter().chain(entries.iter().map(|(k, _)| k)) {
                    prop_assert_eq!(t.get(p), map.get(p.as_str()).map(|v| Value::Text(v)));
                    // Heads that end inside `é` are no key's.
                    let longest = (0..=p.len())
                        .rev()
                        .find_map(|n| p.get(..n).and_then(|h| map.get(h)))
                        .map(|v| Value::Text(v));
                    prop_assert_eq!(t.get_prefix(p), longest);
                }
            }
        }
    }

    proptest! {
        /// Tables whose keys all have at most eight bytes (HS codes of
        /// every length up to eight, NUL bytes, a two-byte character) are
        /// packed, and find the longest key a probe starts with.
        #[test]
        fn packed_prefix_lookups_find_the_longest_key(
            keys in proptest::collection::hash_set("[0-9\0]{0,8}|[aé]{0,4}", 0..60),
            probes in proptest::collection::vec("[0-9\0]{0,10}|[aé]{0,5}", 0..40),
        ) {
            let mut b = TableBuilder::with_capacity(keys.len(), 0);
            for (i, k) in keys.iter().enumerate() {
                b.insert(k, Value::Number(Decimal::from_i64(i as i64))).unwrap();
            }
            let t = b.finish();
            prop_assert!(t.prefix_index(usize::MAX, true));
            prop_assert!(matches!(t.prefix.get(), Some(Some(super::PrefixIndex::Packed(_)))));
            for p in probes.iter().chain(&keys) {
                let longest = (0..=p.len())
                    .rev()
                    .find_map(|n| p.get(..n).filter(|h| keys.contains(*h)))
                    .and_then(|h| t.get(h));
                prop_assert_eq!(t.get_prefix(p), longest);
            }
        }
    }

    /// The reference: lowercase both sides per character, then search.
    fn reference(text: &str, patterns: &[&str]) -> bool {
        let mut t = String::new();
        push_lower(&mut t, text);
        patterns.iter().any(|p| {
            let mut l = String::new();
            push_lower(&mut l, p);
            t.contains(l.as_str())
        })
    }

    #[test]
    fn contains_sets_match_like_lowercased_substring_search() {
        let sets: [&[&str]; 6] = [
            &[
                "used",
                "usado",
                "usada",
                "segunda mano",
                "reacondicionado",
                "refurbished",
            ],
            &[
                "replica",
                "réplica",
                "imitation",
                "imitación",
                "imitacion",
                "aaa copy",
            ],
            &["aa", "aab", "b"],
            &["ΣΑ", "k", "İ"],
            &["he", "she", "his", "hers"],
            &["", "x"],
        ];
        let texts = [
            "",
            "USED CARS",
            "Réplica de reloj",
            "RÉPLICA",
            "IMITACIÓN DE CUERO",
            "a",
            "aab",
            "xaaab",
            "ab",
            "ushers",
            "HIS",
            "σα",
            "ΣΑ",
            "\u{212A}",
            "K",
            "i\u{307}",
            "İ",
            "PAPEL BOND EN RESMAS",
            "segunda  mano",
            "SEGUNDA MANO",
            "refurbishe",
            "bb",
            "aaa cop",
            "AAA COPY!",
            "usadx",
            "ςα",
        ];
        let mut lower = String::new();
        for patterns in sets {
            let owned: Vec<Box<str>> = patterns.iter().map(|p| Box::<str>::from(*p)).collect();
            let set = ContainsSet::new(&owned).unwrap();
            for text in texts {
                assert_eq!(
                    set.matches(text, &mut lower),
                    reference(text, patterns),
                    "{patterns:?} in {text:?}"
                );
            }
        }
    }

    proptest! {
        /// The small DFA answers like a lowercased substring search, on
        /// texts with ASCII uppercase, non-ASCII letters (before, inside
        /// and after a match) and patterns that end on a non-ASCII byte;
        /// on ASCII texts the in-place run never defers.
        #[test]
        fn small_dfas_match_like_a_naive_search(
            patterns in proptest::collection::vec("[abAB é]{0,4}", 0..5),
            text in "[abAB éÉİ]{0,24}",
        ) {
            let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
            let owned: Vec<Box<str>> = refs.iter().map(|p| Box::<str>::from(*p)).collect();
            let set = ContainsSet::new(&owned).unwrap();
            let mut lower = String::new();
            prop_assert_eq!(set.matches(&text, &mut lower), reference(&text, &refs));
            if let Some(dfa) = &set.small {
                // The DFA holds the non-empty patterns (an empty one is
                // `any_text`).
                let non_empty: Vec<&str> = refs.iter().copied().filter(|p| !p.is_empty()).collect();
                let want = reference(&text, &non_empty);
                match dfa.run_ascii(text.as_bytes()) {
                    Some(found) => prop_assert_eq!(found, want),
                    None => prop_assert!(!text.is_ascii()),
                }
            }
        }
    }

    #[test]
    fn small_sets_get_a_dfa_and_large_or_empty_ones_do_not() {
        let small = ContainsSet::new(&["used".into()]).unwrap();
        assert!(small.small.is_some());
        let long: Vec<Box<str>> = (0..300).map(|i| format!("word{i}").into()).collect();
        let large = ContainsSet::new(&long).unwrap();
        assert!(large.small.is_none());
        let mut lower = String::new();
        assert!(large.matches("THE WORD299 HERE", &mut lower));
        assert!(!large.matches("the word here", &mut lower));
        let empty = ContainsSet::new(&[]).unwrap();
        assert!(!empty.matches("anything", &mut lower));
    }
}
