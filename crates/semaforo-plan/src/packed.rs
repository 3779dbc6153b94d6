//! Short table keys packed into words, for `lookup_prefix`.
//!
//! A reference-price table is keyed by HS chapters, headings and
//! subheadings: two to eight digits, in a few distinct lengths. For such a
//! table a longest-prefix lookup is one probe per key length, longest
//! first, and each probe compares one word: the key's bytes packed into a
//! `u64` ([`pack`]) and its length. That is a few instructions per length,
//! where a walk down the keys' trie (`crate::trie`) costs about twenty per
//! byte of the looked-up code. [`PackedKeys::build`] refuses a table with
//! a longer key, and the table walks its trie instead.

use crate::strtab::le4;

/// A slot of [`PackedKeys`] that holds no key.
const EMPTY: u32 = u32::MAX;

/// The most keys [`PackedKeys`] holds (their numbers must fit in the 24
/// bits below a slot's length).
const MAX_KEYS: usize = 1 << 24;

/// The keys of a table, each of at most eight bytes, in an open-addressing
/// table of words.
#[derive(Clone, Debug)]
pub(crate) struct PackedKeys {
    /// The distinct key lengths, longest first.
    lengths: Box<[u8]>,
    /// Per slot: a key packed by [`pack`], and `length << 24 | number`
    /// ([`EMPTY`] for an empty slot).
    // INVARIANT (packed): a power of two of slots, more than twice the
    // keys, so every probe sequence meets an empty slot; every key is in
    // the slot its hash names or after it, with no empty slot between.
    slots: Box<[(u64, u32)]>,
}

/// Up to eight bytes as a little-endian word, zero above them: two texts
/// of the same length have the same word exactly when they are equal.
#[inline]
pub(crate) fn pack(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        // The first and last four bytes (overlapping when n < 8): a byte
        // both cover is the same byte in the same place.
        le4(b.first_chunk::<4>()) | le4(b.last_chunk::<4>()) << ((n - 4) * 8)
    } else {
        let at = |i: usize| b.get(i).map_or(0, |&v| u64::from(v));
        match n {
            0 => 0,
            _ => at(0) | at(n / 2) << (8 * (n / 2)) | at(n - 1) << (8 * (n - 1)),
        }
    }
}

/// The first slot to probe for the packed key `w` of length `len`, in a
/// table of `mask + 1` slots.
#[inline]
fn home(w: u64, len: usize, mask: usize) -> usize {
    let h = (w ^ (len as u64).rotate_right(8)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 32) as usize & mask
}

impl PackedKeys {
    /// The `n` keys `keys` (key number `i` is the `i`th, all distinct), or
    /// `None` if one is longer than eight bytes or there are too many.
    pub(crate) fn build<'a>(n: usize, keys: impl Iterator<Item = &'a str>) -> Option<PackedKeys> {
        if n >= MAX_KEYS {
            return None;
        }
        let slots_len = (2 * n + 1).next_power_of_two().max(8);
        let mask = slots_len - 1;
        let mut slots = vec![(0u64, EMPTY); slots_len];
        let mut lengths: Vec<u8> = Vec::new();
        for (i, k) in keys.take(n).enumerate() {
            let len = u8::try_from(k.len()).ok().filter(|&l| l <= 8)?;
            let w = pack(k.as_bytes());
            let mut at = home(w, k.len(), mask);
            // INVARIANT (packed): more than twice the slots, so there is
            // an empty one.
            while slots.get(at).is_some_and(|s| s.1 != EMPTY) {
                at = (at + 1) & mask;
            }
            let number = u32::try_from(i).ok()?;
            *slots.get_mut(at)? = (w, u32::from(len) << 24 | number);
            if !lengths.contains(&len) {
                lengths.push(len);
            }
        }
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        Some(PackedKeys {
            lengths: lengths.into_boxed_slice(),
            slots: slots.into_boxed_slice(),
        })
    }

    /// The number of the longest key that is a byte prefix of `t`.
    ///
    /// A head of `t` equal to a key ends on a character boundary of `t`
    /// (the key is whole characters), so heads are cut as bytes.
    #[inline]
    pub(crate) fn longest(&self, t: &[u8]) -> Option<u32> {
        let mask = self.slots.len().wrapping_sub(1);
        for &len in self.lengths.iter() {
            let Some(head) = t.get(..usize::from(len)) else {
                continue;
            };
            let w = pack(head);
            let want = u32::from(len) << 24;
            let mut at = home(w, head.len(), mask);
            // INVARIANT (packed): an empty slot ends every probe; the
            // count guards against a broken table all the same.
            for _ in 0..self.slots.len() {
                let Some(&(k, m)) = self.slots.get(at) else {
                    break;
                };
                if m == EMPTY {
                    break;
                }
                if k == w && m & 0xFF00_0000 == want {
                    return Some(m & 0x00FF_FFFF);
                }
                at = (at + 1) & mask;
            }
        }
        None
    }

    /// The heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.lengths.len() + self.slots.len() * size_of::<(u64, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::{PackedKeys, pack};

    #[test]
    fn words_differ_exactly_when_texts_of_one_length_do() {
        let texts = [
            "", "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh",
        ];
        for (i, a) in texts.iter().enumerate() {
            for (j, b) in texts.iter().enumerate() {
                if a.len() == b.len() {
                    assert_eq!(pack(a.as_bytes()) == pack(b.as_bytes()), i == j);
                }
            }
        }
        // The same bytes in another place are another word.
        assert_ne!(pack(b"ab"), pack(b"ba"));
        assert_ne!(pack(b"\0a"), pack(b"a\0"));
        assert_ne!(pack(b"12345678"), pack(b"12345687"));
    }

    #[test]
    fn longer_keys_are_refused() {
        assert!(PackedKeys::build(3, ["6403", "640399", "12345678"].into_iter()).is_some());
        assert!(PackedKeys::build(2, ["6403", "123456789"].into_iter()).is_none());
    }
}
