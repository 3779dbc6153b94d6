//! Text tables: distinct texts stored back to back in one buffer, found
//! through an open-addressing index.
//!
//! A ruleset holds hundreds of thousands of short texts (country codes in
//! every `in` list, importer ids on watch lists, the keys of the rule
//! index). A hash set of `Box<str>` costs one heap allocation per text to
//! build and one pointer chase per probe. A [`StrTable`] costs four
//! allocations whatever its size: the bytes, the end offset of each text,
//! and the slots' tags and text numbers.
//!
//! A slot is a tag byte, 0 when the slot is empty and otherwise 1..=255
//! from the top bits of the text's hash, beside the text's number. A probe
//! reads tags only (a byte per slot, so a table of 100,000 importer ids
//! probes 256 KiB, not megabytes) and compares a text only when its tag
//! agrees. Texts are numbered densely in the order they were first
//! inserted, which lets callers keep per-text data in a plain array.
//!
//! INVARIANT (load): the slot count is zero or a power of two at least
//! twice the number of texts, so every probe sequence reaches an empty
//! slot. Kept by [`StrTableBuilder::insert`], which grows the slots first.
//!
//! A lookup ([`StrTable::find`]) reads the tags eight at a time, as one
//! word: the slots whose tag agrees, and whether one is empty, come from
//! a few arithmetic steps on the word instead of a branch per slot (a
//! branch on a random tag is mispredicted about half the time). So that
//! a group starting at any slot is eight bytes, a finished table's tags
//! are followed by a copy of their first [`GROUP`] - 1 (INVARIANT
//! (mirror)).

/// Multiplies and folds the 128-bit product (the mixing step of
/// wyhash and foldhash).
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

const SEED_A: u64 = 0x243f_6a88_85a3_08d3;
const SEED_B: u64 = 0x1319_8a2e_0370_7344;

#[inline]
fn le8(b: Option<&[u8; 8]>) -> u64 {
    b.map_or(0, |b| u64::from_le_bytes(*b))
}

#[inline]
pub(crate) fn le4(b: Option<&[u8; 4]>) -> u64 {
    b.map_or(0, |b| u64::from(u32::from_le_bytes(*b)))
}

/// The hash of a text for [`StrTable`]: low bits pick the slot, the high
/// 32 bits are the slot's tag.
///
/// Short texts (country codes, HS codes, importer ids) are hashed with
/// two overlapping reads and one folded multiply, as foldhash does: a
/// lookup during evaluation hashes the declaration's text, so this is on
/// the hot path. Not resistant to collision attacks, and need not be:
/// tables are built from the ruleset and the administration's lists, and a
/// lookup cannot degrade them (see [`crate::sets::FxHasher`]).
#[inline]
pub(crate) fn text_hash(t: &str) -> u64 {
    bytes_hash(t.as_bytes())
}

/// [`text_hash`] of a text's bytes.
#[inline]
fn bytes_hash(b: &[u8]) -> u64 {
    let n = b.len() as u64;
    let (x, y) = if b.len() > 16 {
        // Every full 16-byte block, then the last 16 bytes (overlapping).
        let mut acc = SEED_A;
        let mut rest = b;
        while let Some((block, tail)) = rest.split_first_chunk::<16>() {
            let (lo, hi) = block.split_at(8);
            acc = fold_mul(
                acc ^ le8(lo.first_chunk::<8>()),
                SEED_B ^ le8(hi.first_chunk::<8>()),
            );
            rest = tail;
        }
        let last = b.last_chunk::<16>().map(|l| l.split_at(8));
        let (lo, hi) = last.unwrap_or((&[], &[]));
        (acc ^ le8(lo.first_chunk::<8>()), le8(hi.first_chunk::<8>()))
    } else if b.len() >= 8 {
        (le8(b.first_chunk::<8>()), le8(b.last_chunk::<8>()))
    } else if b.len() >= 4 {
        (le4(b.first_chunk::<4>()), le4(b.last_chunk::<4>()))
    } else {
        let at = |i: usize| b.get(i).map_or(0, |&v| u64::from(v));
        let len = b.len();
        (at(0) | at(len / 2) << 8 | at(len.wrapping_sub(1)) << 16, 0)
    };
    fold_mul(x ^ SEED_A ^ n, y ^ SEED_B)
}

/// The tag of a slot holding a text with hash `hash` (never 0).
#[inline]
fn tag(hash: u64) -> u8 {
    ((hash >> 56) as u8).max(1)
}

/// The text at `index` of `text` split by `ends`.
#[inline]
fn text_at<'t>(text: &'t str, ends: &[u32], index: usize) -> Option<&'t str> {
    let end = *ends.get(index)? as usize;
    let start = match index.checked_sub(1) {
        Some(p) => *ends.get(p)? as usize,
        None => 0,
    };
    text.get(start..end)
}

/// Whether text number `index` is `t`, compared as bytes: keys are
/// short (country codes, HS codes, importer ids), so lengths of 4 to 16
/// bytes are compared with two overlapping word loads instead of a call
/// to `memcmp` (and no character boundary needs checking: equal bytes
/// are equal texts).
#[inline]
fn is_text(text: &str, ends: &[u32], index: usize, t: &[u8]) -> bool {
    let Some(end) = ends.get(index).map(|&e| e as usize) else {
        return false;
    };
    let start = match index.checked_sub(1) {
        Some(p) => ends.get(p).map_or(usize::MAX, |&e| e as usize),
        None => 0,
    };
    let (Some(a), b) = (text.as_bytes().get(start..end), t) else {
        return false;
    };
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        8..=16 => {
            le8(a.first_chunk::<8>()) == le8(b.first_chunk::<8>())
                && le8(a.last_chunk::<8>()) == le8(b.last_chunk::<8>())
        }
        4..=7 => {
            le4(a.first_chunk::<4>()) == le4(b.first_chunk::<4>())
                && le4(a.last_chunk::<4>()) == le4(b.last_chunk::<4>())
        }
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// Finds `t` (hash `hash`) in the slots `tags`/`ids` over `text`/`ends`:
/// `Ok(number)` when present, `Err(free slot)` when absent
/// (`Err(usize::MAX)` when there are no slots).
#[inline]
fn probe(
    text: &str,
    ends: &[u32],
    (tags, ids): (&[u8], &[u32]),
    t: &str,
    hash: u64,
) -> Result<u32, usize> {
    let mask = tags.len().wrapping_sub(1);
    let want = tag(hash);
    let mut at = hash as usize & mask;
    // INVARIANT (load) bounds the probe; the count guards against a
    // broken table all the same.
    for _ in 0..tags.len() {
        let s = tags.get(at).copied().unwrap_or(0);
        if s == 0 {
            return Err(at);
        }
        if s == want {
            let index = ids.get(at).copied().unwrap_or(u32::MAX);
            if is_text(text, ends, index as usize, t.as_bytes()) {
                return Ok(index);
            }
        }
        at = (at + 1) & mask;
    }
    Err(usize::MAX)
}

/// Slots a lookup reads at once (see the module docs).
const GROUP: usize = 8;

/// A byte of ones in each byte of a word, and the high bit of each byte.
const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `w` (and possibly of bytes above a
/// zero byte: a borrow runs up from it); 0 if and only if `w` has no zero
/// byte.
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(LOW_BITS) & !w & HIGH_BITS
}

/// Finds `t` (hash `hash`) in `slots` slots whose tags, followed by a
/// copy of their first [`GROUP`] - 1, are `tags` (INVARIANT (mirror)),
/// eight slots at a time: every slot of a group whose tag may be `t`'s is
/// checked, and a group holding an empty slot ends the search, since `t`
/// would sit before that empty slot if it were in the table (linear
/// probing). Slots flagged by the word arithmetic but not holding `t`'s
/// tag only cost a comparison.
#[inline]
fn probe_groups(
    text: &str,
    ends: &[u32],
    (tags, ids): (&[u8], &[u32]),
    t: &[u8],
    hash: u64,
) -> Option<u32> {
    let slots = ids.len();
    let mask = slots.wrapping_sub(1);
    let want = u64::from(tag(hash)) * LOW_BITS;
    let mut at = hash as usize & mask;
    // INVARIANT (load) bounds the probe; the count guards against a
    // broken table all the same.
    for _ in 0..slots / GROUP + 1 {
        let group = le8(tags.get(at..).and_then(<[u8]>::first_chunk::<GROUP>));
        let mut hits = zero_bytes(group ^ want);
        while hits != 0 {
            let slot = (at + (hits.trailing_zeros() / 8) as usize) & mask;
            let index = ids.get(slot).copied().unwrap_or(u32::MAX);
            if is_text(text, ends, index as usize, t) {
                return Some(index);
            }
            hits &= hits - 1;
        }
        if zero_bytes(group) != 0 {
            return None;
        }
        at = (at + GROUP) & mask;
    }
    None
}

/// A read-only table of distinct texts (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct StrTable {
    /// The texts, back to back.
    text: Box<str>,
    /// `ends[i]` is where text `i` ends in `text`.
    ends: Box<[u32]>,
    /// Per slot: 0 (empty) or the tag of the text in it; then, when there
    /// are slots, a copy of the first [`GROUP`] - 1.
    // INVARIANT (mirror): empty, or `tags.len() == ids.len() + GROUP - 1`
    // and `tags[ids.len() + i] == tags[i]` for `i < GROUP - 1`; made by
    // `StrTableBuilder::finish`, the only constructor.
    tags: Box<[u8]>,
    /// Per slot: the number of the text in it (unused when empty).
    ids: Box<[u32]>,
    /// The order-independent hash of the texts (see
    /// [`StrTable::content_hash`]).
    content: u64,
    /// For a table of at most [`SHORT_MAX`] texts of at most seven bytes
    /// each (the country, regime and incoterm lists risk analysts write),
    /// text `i` packed by [`pack_short`], searched by comparing words;
    /// empty otherwise.
    // INVARIANT (short): empty, or one word per text, in number order.
    short: Box<[u64]>,
}

/// The most texts a table keeps packed in [`StrTable::short`]: up to this
/// many word comparisons cost less than hashing and probing.
const SHORT_MAX: usize = 8;

/// `t` (at most seven bytes) as one word: its bytes, little-endian, in the
/// low 56 bits and its length in the top byte, so two texts of at most
/// seven bytes have the same word exactly when they are equal.
#[inline]
fn pack_short(t: &[u8]) -> u64 {
    crate::packed::pack(t) | (t.len() as u64) << 56
}

impl StrTable {
    /// The table of the distinct texts of `texts` (numbered by first
    /// occurrence), or `None` if they hold 4 GiB or more. The iterator is
    /// walked twice: once to size the table exactly, once to fill it.
    pub(crate) fn build<'a>(texts: impl Iterator<Item = &'a str> + Clone) -> Option<StrTable> {
        let (n, bytes) = texts.clone().fold((0usize, 0usize), |(n, b), t| {
            (n + 1, b.saturating_add(t.len()))
        });
        let mut b = StrTableBuilder::with_capacity(n, bytes);
        for t in texts {
            b.insert(t)?;
        }
        Some(b.finish())
    }

    /// How many texts.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Text number `index`.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        text_at(&self.text, &self.ends, index)
    }

    /// The texts, in number order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The number of text `t`, if the table holds it.
    #[inline]
    pub(crate) fn find(&self, t: &str) -> Option<u32> {
        self.find_bytes(t.as_bytes())
    }

    /// The number of the text whose bytes are `t`, if the table holds it
    /// (for a caller that has bytes it knows to be a text's, or need
    /// not: bytes that are no text are no table's text).
    #[inline]
    pub(crate) fn find_bytes(&self, t: &[u8]) -> Option<u32> {
        if !self.short.is_empty() {
            if t.len() > 7 {
                return None;
            }
            let w = pack_short(t);
            return self
                .short
                .iter()
                .position(|&s| s == w)
                .and_then(|i| u32::try_from(i).ok());
        }
        if self.ids.is_empty() {
            return None;
        }
        probe_groups(
            &self.text,
            &self.ends,
            (&self.tags, &self.ids),
            t,
            bytes_hash(t),
        )
    }

    /// Whether the table holds `t`.
    #[inline]
    pub(crate) fn contains(&self, t: &str) -> bool {
        self.find(t).is_some()
    }

    /// Whether both tables hold the same texts (in any order).
    pub(crate) fn same_texts(&self, other: &StrTable) -> bool {
        self.len() == other.len() && self.iter().all(|t| other.contains(t))
    }

    /// A hash of the texts that does not depend on their order (the
    /// wrapping sum of their hashes, kept while building).
    pub(crate) fn content_hash(&self) -> u64 {
        self.content
    }

    /// The bytes of all the texts.
    pub(crate) fn text_bytes(&self) -> usize {
        self.text.len()
    }

    /// The heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.len()
            + self.ends.len() * 4
            + self.tags.len()
            + self.ids.len() * 4
            + self.short.len() * 8
    }
}

/// Builds a [`StrTable`]; also usable as an interner while building.
#[derive(Clone, Debug, Default)]
pub(crate) struct StrTableBuilder {
    text: String,
    ends: Vec<u32>,
    tags: Vec<u8>,
    ids: Vec<u32>,
    content: u64,
}

impl StrTableBuilder {
    /// Room for `n` texts of `bytes` bytes in all without growing.
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> StrTableBuilder {
        let slots = if n == 0 {
            0
        } else {
            n.saturating_mul(2).next_power_of_two().max(8)
        };
        StrTableBuilder {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
            tags: vec![0; slots],
            ids: vec![0; slots],
            content: 0,
        }
    }

    /// How many texts.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// How many texts fit before the buffer of text ends grows.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.ends.capacity()
    }

    /// Inserts `t` if it is new: `(its number, whether it is new)`, or
    /// `None` if the table would hold 4 GiB or `u32::MAX` texts.
    pub(crate) fn insert(&mut self, t: &str) -> Option<(u32, bool)> {
        let hash = text_hash(t);
        if self.tags.len() < (self.ends.len() + 1).saturating_mul(2) {
            self.grow()?;
        }
        match probe(&self.text, &self.ends, (&self.tags, &self.ids), t, hash) {
            Ok(index) => Some((index, false)),
            Err(free) => {
                let index = u32::try_from(self.ends.len()).ok()?;
                let end = u32::try_from(self.text.len().checked_add(t.len())?).ok()?;
                *self.tags.get_mut(free)? = tag(hash);
                *self.ids.get_mut(free)? = index;
                self.text.push_str(t);
                self.ends.push(end);
                self.content = self.content.wrapping_add(hash);
                Some((index, true))
            }
        }
    }

    /// Doubles the slots (at least 8) and places every text again.
    fn grow(&mut self) -> Option<()> {
        let size = self.tags.len().checked_mul(2)?.max(8);
        self.place_all(size)
    }

    /// Places every text again in `size` slots (a power of two, at least
    /// twice the number of texts).
    fn place_all(&mut self, size: usize) -> Option<()> {
        let mut tags = vec![0u8; size];
        let mut ids = vec![0u32; size];
        let mask = size - 1;
        for index in 0..self.ends.len() {
            let t = text_at(&self.text, &self.ends, index)?;
            let hash = text_hash(t);
            let mut at = hash as usize & mask;
            while tags.get(at).is_some_and(|&s| s != 0) {
                at = (at + 1) & mask;
            }
            *tags.get_mut(at)? = tag(hash);
            *ids.get_mut(at)? = u32::try_from(index).ok()?;
        }
        self.tags = tags;
        self.ids = ids;
        Some(())
    }

    /// The finished table. Slots sized for far more texts than were
    /// inserted (a builder made with a generous capacity) are placed again
    /// at the size INVARIANT (load) asks for, so the table the plan keeps,
    /// and a lookup reads, is no larger than it needs to be.
    pub(crate) fn finish(mut self) -> StrTable {
        let fit = self.ends.len().saturating_mul(2).next_power_of_two().max(8);
        if !self.ends.is_empty() && self.tags.len() >= fit.saturating_mul(2) {
            // On failure (impossible: `fit` holds them) the larger slots stay.
            let _ = self.place_all(fit);
        }
        // INVARIANT (mirror). Slots are never fewer than eight
        // (`with_capacity`, `grow` and `fit` all ask for at least 8), so
        // the range is always there.
        if !self.tags.is_empty() {
            self.tags.extend_from_within(..GROUP - 1);
        }
        let mut short = Vec::new();
        if self.ends.len() <= SHORT_MAX {
            short = (0..self.ends.len())
                .map_while(|i| text_at(&self.text, &self.ends, i))
                .map(str::as_bytes)
                .map_while(|t| (t.len() <= 7).then(|| pack_short(t)))
                .collect();
            if short.len() != self.ends.len() {
                short.clear();
            }
        }
        StrTable {
            text: self.text.into_boxed_str(),
            ends: self.ends.into_boxed_slice(),
            tags: self.tags.into_boxed_slice(),
            ids: self.ids.into_boxed_slice(),
            content: self.content,
            short: short.into_boxed_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn texts_are_numbered_by_first_insertion_and_found() {
        let mut b = StrTableBuilder::default();
        assert_eq!(b.insert("CN"), Some((0, true)));
        assert_eq!(b.insert(""), Some((1, true)));
        assert_eq!(b.insert("CN"), Some((0, false)));
        assert_eq!(b.insert("ñandú"), Some((2, true)));
        let t = b.finish();
        assert_eq!(t.len(), 3);
        assert_eq!(t.find("CN"), Some(0));
        assert_eq!(t.find(""), Some(1));
        assert_eq!(t.find("ñandú"), Some(2));
        assert_eq!(t.find("C"), None);
        assert_eq!(t.find("CNN"), None);
        assert_eq!(t.iter().collect::<Vec<_>>(), ["CN", "", "ñandú"]);
    }

    #[test]
    fn an_oversized_builder_finishes_at_the_size_its_texts_need() {
        let mut b = StrTableBuilder::with_capacity(100_000, 0);
        for i in 0..1000 {
            b.insert(&format!("IMP{i:06}")).unwrap();
        }
        let t = b.finish();
        assert_eq!(t.ids.len(), 2048);
        assert_eq!(t.tags.len(), 2048 + GROUP - 1);
        for i in 0..1000 {
            assert_eq!(t.find(&format!("IMP{i:06}")), Some(i));
        }
        assert_eq!(t.find("IMP001000"), None);
        // Twice the slots it needs is resized too (the first-level guard
        // map of the issue-6 workload: 190,000 texts of room, 100,000 ids).
        let mut b = StrTableBuilder::with_capacity(2000, 0);
        for i in 0..1000 {
            b.insert(&format!("IMP{i:06}")).unwrap();
        }
        assert_eq!(b.tags.len(), 4096);
        assert_eq!(b.finish().ids.len(), 2048);
        // A table that fits keeps its slots.
        let t = StrTable::build(["a", "b", "c"].into_iter()).unwrap();
        assert_eq!(t.ids.len(), 8);
    }

    /// Texts that all hash to one slot make one run of full slots; the
    /// eight-at-a-time lookup finds each, wherever its group starts (the
    /// run crosses the end of the slots, read through the mirrored tags,
    /// and spans groups without an empty slot), and finds no absent text
    /// of the same hash.
    #[test]
    fn group_lookup_follows_runs_across_groups_and_the_end_of_the_slots() {
        const SLOTS: usize = 32;
        for home in [0usize, 5, 27, 31] {
            for count in [1usize, 7, 8, 9, 17, 24, 31] {
                let hash = home as u64 | 0xab << 56;
                let (mut text, mut ends) = (String::new(), Vec::new());
                let (mut tags, mut ids) = (vec![0u8; SLOTS], vec![0u32; SLOTS]);
                for i in 0..count {
                    let t = format!("T{i:03}");
                    let free = probe(&text, &ends, (&tags, &ids), &t, hash).unwrap_err();
                    tags[free] = tag(hash);
                    ids[free] = u32::try_from(i).unwrap();
                    text.push_str(&t);
                    ends.push(u32::try_from(text.len()).unwrap());
                }
                tags.extend_from_within(..GROUP - 1);
                for i in 0..count {
                    let t = format!("T{i:03}");
                    let found = probe_groups(&text, &ends, (&tags, &ids), t.as_bytes(), hash);
                    assert_eq!(found, Some(u32::try_from(i).unwrap()), "{t}, home {home}");
                }
                let absent = probe_groups(&text, &ends, (&tags, &ids), b"T999", hash);
                assert_eq!(absent, None, "home {home}, {count} texts");
                // Another tag in the same run is never compared equal.
                let other = probe_groups(&text, &ends, (&tags, &ids), b"T000", hash ^ 1 << 60);
                assert_eq!(other, None, "home {home}, {count} texts");
            }
        }
    }

    #[test]
    fn an_empty_table_holds_nothing() {
        let t = StrTable::build([].into_iter()).unwrap();
        assert_eq!(t.len(), 0);
        assert!(!t.contains(""));
        assert!(!StrTable::default().contains("x"));
        assert!(t.same_texts(&StrTable::default()));
    }

    #[test]
    fn sets_compare_and_hash_without_order() {
        let a = StrTable::build(["CN", "VN", "US"].into_iter()).unwrap();
        let b = StrTable::build(["US", "CN", "VN", "CN"].into_iter()).unwrap();
        let c = StrTable::build(["US", "CN", "MX"].into_iter()).unwrap();
        assert!(a.same_texts(&b));
        assert_eq!(a.content_hash(), b.content_hash());
        assert!(!a.same_texts(&c));
        let mut grown = StrTableBuilder::default();
        for t in ["VN", "US", "VN", "CN"] {
            grown.insert(t).unwrap();
        }
        assert_eq!(grown.finish().content_hash(), a.content_hash());
        assert_eq!(
            StrTable::default().content_hash(),
            StrTable::build([].into_iter()).unwrap().content_hash()
        );
    }

    /// Each of `probes` is found in `t` exactly if `set` holds it, and
    /// found as itself.
    fn finds_exactly<'a>(
        t: &StrTable,
        set: &HashSet<&str>,
        probes: impl Iterator<Item = &'a String>,
    ) -> Result<(), TestCaseError> {
        for p in probes {
            let found = t.find(p);
            prop_assert_eq!(found.is_some(), set.contains(p.as_str()));
            if let Some(i) = found {
                prop_assert_eq!(t.get(i as usize), Some(p.as_str()));
            }
        }
        Ok(())
    }

    proptest! {
        /// The word-wise comparison of a stored text with a probe agrees
        /// with `==`, for every length branch and a difference anywhere
        /// (the first byte, the last, the middle of a 9..16-byte text).
        #[test]
        fn stored_texts_compare_like_equality(
            stored in "[ab]{0,20}",
            flip in proptest::option::of(0usize..20),
            other in "[ab]{0,20}",
            same_length in proptest::bool::ANY,
        ) {
            let probe = match flip {
                Some(i) if i < stored.len() => {
                    let mut b = stored.clone().into_bytes();
                    b[i] = if b[i] == b'a' { b'b' } else { b'a' };
                    String::from_utf8(b).unwrap()
                }
                Some(_) => stored.clone(),
                None if same_length => other.chars().cycle().take(stored.len()).collect(),
                None => other.clone(),
            };
            let ends = [u32::try_from(stored.len()).unwrap()];
            prop_assert_eq!(super::is_text(&stored, &ends, 0, probe.as_bytes()), stored == probe);
            // A text after another in the buffer.
            let text = format!("xyz{stored}");
            let ends = [3, u32::try_from(text.len()).unwrap()];
            prop_assert_eq!(super::is_text(&text, &ends, 1, probe.as_bytes()), stored == probe);
        }

        /// A table small enough to be packed word by word finds exactly
        /// its texts: the empty text, NUL bytes (`"\0"` is not `""`),
        /// every length up to seven and texts too long to pack.
        #[test]
        fn a_packed_table_agrees_with_a_hash_set(
            texts in proptest::collection::vec("[a\0]{0,8}|ñ{0,4}|[ab]{6,9}", 0..12),
            probes in proptest::collection::vec("[a\0]{0,9}|ñ{0,5}|[ab]{6,9}", 0..30),
        ) {
            let t = StrTable::build(texts.iter().map(String::as_str)).unwrap();
            let set: HashSet<&str> = texts.iter().map(String::as_str).collect();
            let packed = set.len() <= super::SHORT_MAX && set.iter().all(|t| t.len() <= 7);
            prop_assert_eq!(t.short.len(), if packed { set.len() } else { 0 });
            finds_exactly(&t, &set, probes.iter().chain(&texts))?;
        }

        /// Membership agrees with a `HashSet` over many growths, for texts
        /// of every hashing path (short, 4 to 16 bytes, longer).
        #[test]
        fn agrees_with_a_hash_set(
            texts in proptest::collection::vec("[a-c]{0,4}|[ab]{5,40}|ñ[a-c]{0,20}", 0..300),
            probes in proptest::collection::vec("[a-d]{0,5}|[ab]{5,41}", 0..50),
        ) {
            let t = StrTable::build(texts.iter().map(String::as_str)).unwrap();
            let set: HashSet<&str> = texts.iter().map(String::as_str).collect();
            prop_assert_eq!(t.len(), set.len());
            finds_exactly(&t, &set, probes.iter().chain(&texts))?;
        }
    }
}
