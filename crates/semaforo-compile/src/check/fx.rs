//! The checker's name maps and the duplicate check of inline lists, hashed
//! with the plan's Fx hasher ([`semaforo_plan::sets::FxHasher`], the
//! multiply-rotate scheme of rustc's `FxHasher`).
//!
//! It is not resistant to collision attacks, and need not be: every key it
//! hashes comes from the ruleset's own source (names and list entries),
//! which its author controls, and a collision only costs time, never a
//! wrong answer, because every lookup still compares the keys themselves.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use semaforo_syntax::Span;

use crate::hir::Const;

pub(super) use semaforo_plan::sets::{FxBuild, FxHasher};

/// A hash map keyed by names from the ruleset's source.
pub(super) type FxMap<K, V> = HashMap<K, V, FxBuild>;

/// A cheap hash of a constant for the duplicate check of inline lists.
///
/// Equal constants hash equally: a text hashes its bytes (text equality is
/// byte equality), every other constant hashes through its
/// `Hash`, which agrees with its `Eq`. Constants of different kinds may
/// share a hash; the check compares the values after the hashes.
pub(super) fn const_hash(c: &Const) -> u64 {
    let mut h = FxHasher::default();
    match c {
        Const::Text(s) => h.write(s.as_bytes()),
        other => other.hash(&mut h),
    }
    h.finish()
}

/// Lists up to this length are checked for duplicates by comparing each
/// entry's hash with those of the kept entries; longer ones use a table.
const SCAN_MAX: usize = 8;

/// The exact duplicate check of one list's entries (W0004), in time linear
/// in the list's length on average, with buffers reused from list to list.
///
/// The caller keeps the list's distinct entries in `values` and asks
/// [`Dedup::first`] about each new entry before keeping it. Entry `i` of
/// `values` has its hash and its span at `kept[i]`, and the number of times
/// it was repeated so far at `repeats[i]`.
#[derive(Debug, Default)]
pub(super) struct Dedup {
    kept: Vec<(u64, Span)>,
    repeats: Vec<u32>,
    /// The kept entries that were repeated, each with the index of the one
    /// warning the caller gave for it.
    warned: Vec<(usize, usize)>,
    /// Open addressing, linear probing: 0 is an empty slot, `i + 1` holds
    /// entry `i`. Empty for short lists, which are scanned instead. At most
    /// half full, so every probe sequence reaches an empty slot.
    slots: Vec<u32>,
}

impl Dedup {
    /// Gets ready for a list of at most `len` entries.
    pub(super) fn start(&mut self, len: usize) {
        self.kept.clear();
        self.repeats.clear();
        self.warned.clear();
        self.slots.clear();
        if len > SCAN_MAX
            && let Some(size) = len
                .checked_mul(2)
                .and_then(usize::checked_next_power_of_two)
            && u32::try_from(size).is_ok()
        {
            self.slots.resize(size, 0);
        }
    }

    /// The kept entry equal to `c`, if there is one, counted as repeated
    /// once more; otherwise records `c`, written at `span`, as the next
    /// kept entry (the caller pushes it onto `values`) and returns `None`.
    pub(super) fn first(&mut self, values: &[Const], c: &Const, span: Span) -> Option<Repeat> {
        let found = self.find_or_keep(values, c, span)?;
        let times = self.repeats.get_mut(found)?;
        *times = times.saturating_add(1);
        Some(Repeat {
            entry: found,
            first: self.kept.get(found).map_or(span, |&(_, s)| s),
            times: *times,
        })
    }

    /// Records that the caller's warning number `diag` is about the
    /// repeats of kept entry `entry`.
    pub(super) fn warned(&mut self, entry: usize, diag: usize) {
        self.warned.push((entry, diag));
    }

    /// The warnings given, each with how many times its entry was repeated
    /// in the whole list.
    pub(super) fn warnings(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.warned
            .iter()
            .map(|&(entry, diag)| (diag, self.repeats.get(entry).copied().unwrap_or(0)))
    }

    /// The index of the kept entry equal to `c`, or `None` after keeping
    /// `c`.
    fn find_or_keep(&mut self, values: &[Const], c: &Const, span: Span) -> Option<usize> {
        let h = const_hash(c);
        let next = self.kept.len();
        if self.slots.is_empty() {
            // Compare hashes; values only where they match.
            let mut from = 0;
            while let Some(found) = self
                .kept
                .get(from..)
                .and_then(|kept| kept.iter().position(|&(kh, _)| kh == h))
            {
                let i = from + found;
                if values.get(i) == Some(c) {
                    return Some(i);
                }
                from = i + 1;
            }
        } else {
            let mask = self.slots.len() - 1;
            let mut at = (h as usize) & mask;
            let mut empty = None;
            for _ in 0..self.slots.len() {
                match self.slots.get(at) {
                    Some(0) | None => {
                        empty = Some(at);
                        break;
                    }
                    Some(&k) => {
                        let i = k as usize - 1;
                        if let (Some(&(kh, _)), Some(v)) = (self.kept.get(i), values.get(i))
                            && kh == h
                            && v == c
                        {
                            return Some(i);
                        }
                    }
                }
                at = (at + 1) & mask;
            }
            // `start` sized the table for the whole list, so an empty slot
            // is always found; `u32` holds every index below its size.
            if let (Some(slot), Ok(k)) = (
                empty.and_then(|at| self.slots.get_mut(at)),
                u32::try_from(next + 1),
            ) {
                *slot = k;
            }
        }
        self.kept.push((h, span));
        self.repeats.push(0);
        None
    }
}

/// An entry equal to an earlier one of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Repeat {
    /// The index of the earlier entry among the kept ones.
    pub(super) entry: usize,
    /// Where the earlier entry is written.
    pub(super) first: Span,
    /// How many times the entry has been repeated so far, this one
    /// included.
    pub(super) times: u32,
}

#[cfg(test)]
mod tests {
    use super::{Dedup, FxMap, SCAN_MAX, const_hash};
    use crate::hir::Const;
    use semaforo_plan::Decimal;
    use semaforo_syntax::{FileId, Span};

    #[test]
    fn equal_constants_hash_equally() {
        let a = Const::Text("W-0012345".into());
        let b = Const::Text(String::from("W-0012345").into());
        assert_eq!(const_hash(&a), const_hash(&b));
        let n = |s: &str| Const::Number(Decimal::parse(s).map(|p| p.value).unwrap());
        assert_eq!(const_hash(&n("1.50")), const_hash(&n("1.5")));
        assert_eq!(n("1.50"), n("1.5"));
    }

    #[test]
    fn texts_differing_in_length_or_bytes_hash_apart() {
        // A zero byte pads the last word, so the length must tell these
        // apart.
        let texts = ["", "\0", "a", "a\0", "ab", "ba", "abcdefgh", "abcdefgh\0"];
        for (i, x) in texts.iter().enumerate() {
            for y in texts.iter().skip(i + 1) {
                assert_ne!(
                    const_hash(&Const::Text((*x).into())),
                    const_hash(&Const::Text((*y).into())),
                    "{x:?} and {y:?}"
                );
            }
        }
    }

    #[test]
    fn name_map_finds_borrowed_keys() {
        let mut m: FxMap<&str, usize> = FxMap::default();
        let owned = String::from("origin");
        m.insert(&owned, 3);
        assert_eq!(m.get("origin"), Some(&3));
        assert_eq!(m.get("origin_"), None);
    }

    /// Runs the check over `texts` as the checker does: the first span of
    /// each entry already kept, `None` for a new one.
    fn firsts(texts: &[String]) -> Vec<Option<Span>> {
        let mut dedup = Dedup::default();
        dedup.start(texts.len());
        let mut values: Vec<Const> = Vec::new();
        let mut out = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let c = Const::Text(t.as_str().into());
            let span = Span::new(FileId(0), i as u32, i as u32 + 1);
            let first = dedup.first(&values, &c, span);
            if first.is_none() {
                values.push(c);
            }
            out.push(first.map(|r| r.first));
        }
        out
    }

    /// The quadratic reference: the span of the first equal entry before.
    fn reference(texts: &[String]) -> Vec<Option<Span>> {
        (0..texts.len())
            .map(|i| {
                texts[..i]
                    .iter()
                    .position(|t| *t == texts[i])
                    .map(|j| Span::new(FileId(0), j as u32, j as u32 + 1))
            })
            .collect()
    }

    #[test]
    fn duplicates_are_found_exactly_in_short_and_long_lists() {
        for len in [0, 1, 2, SCAN_MAX, SCAN_MAX + 1, 50, 1000] {
            // Every third entry repeats an earlier one.
            let texts: Vec<String> = (0..len)
                .map(|i| {
                    if i % 3 == 2 {
                        format!("W-{:07}", i / 2)
                    } else {
                        format!("W-{i:07}")
                    }
                })
                .collect();
            assert_eq!(firsts(&texts), reference(&texts), "len {len}");
            assert!(len < 3 || firsts(&texts).iter().any(Option::is_some));
        }
    }

    #[test]
    fn a_reused_check_forgets_the_previous_list() {
        let mut dedup = Dedup::default();
        let span = Span::new(FileId(0), 0, 1);
        let c = Const::Bool(true);
        for len in [40, 3, 40] {
            dedup.start(len);
            assert_eq!(dedup.first(&[], &c, span), None);
        }
    }
}
