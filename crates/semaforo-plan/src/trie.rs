//! A byte trie laid out in one array of words, walked without hashing.
//!
//! Two readers share it: the rule index, whose prefix guards map each
//! pattern to the rules it guards (a walk down an HS code finds every
//! rule whose pattern the code starts with), and prefix-shaped tables,
//! whose keys map to their row (a walk finds the longest key the looked-up
//! text starts with). [`Trie`] collects `(pattern, value)` pairs,
//! [`Trie::freeze`] lays them out, [`walk`] reads them.

/// A trie node's header flag: its children are (byte, child) pairs, not
/// a dense array (see [`Trie::freeze`]).
const TRIE_SPARSE: u32 = 1 << 31;

/// No child, in a dense trie node, and the placeholder of a child's
/// offset while the trie is laid out.
const TRIE_NONE: u32 = u32::MAX;

/// How many words larger than twice its child count a dense trie node
/// may be (see [`Trie::freeze`]): digits below an HS prefix (at most ten
/// bytes wide) are always dense.
const TRIE_DENSE_SLACK: usize = 8;

/// A trie while it is being built: its `(pattern, value)` pairs, laid out
/// by [`Trie::freeze`] (no allocation per node).
#[derive(Default)]
pub(crate) struct Trie<'p> {
    pairs: Vec<(&'p [u8], u32)>,
}

impl<'p> Trie<'p> {
    /// A trie with room for `n` pairs.
    pub(crate) fn with_capacity(n: usize) -> Trie<'p> {
        Trie {
            pairs: Vec::with_capacity(n),
        }
    }

    /// Adds `value` under `pattern` (a pair added twice is kept once).
    pub(crate) fn insert(&mut self, pattern: &'p [u8], value: u32) {
        self.pairs.push((pattern, value));
    }

    /// Lays the trie out in one array of words, nodes in depth-first
    /// order (a path down the trie reads nearby memory; a walk touches a
    /// few cache lines rather than three scattered allocations per node).
    /// A node at offset `o` is: a header word, its value count `r`, its
    /// children, then its `r` values (ascending, each once). The header
    /// holds the node's smallest child byte `first` (bits 0-7), a width
    /// `w` (bits 8-16) and a sparse flag (bit 31, [`TRIE_SPARSE`]).
    ///
    /// - Dense (flag clear): `w` words, the child of byte `first + i` at
    ///   word `i` ([`TRIE_NONE`] where that byte has no child). One read
    ///   finds a byte's child, with no search and no branch on the
    ///   byte's value: the digits below an HS prefix make such nodes.
    /// - Sparse (flag set): `w` pairs (byte, offset of the child) sorted
    ///   by byte, searched. Used when a dense node would be more than
    ///   [`TRIE_DENSE_SLACK`] words larger than twice its child count,
    ///   so the array stays within a constant factor of the sparse one
    ///   whatever the patterns' bytes.
    ///
    /// A node without children is dense with width 0. The root is at
    /// offset 0; an empty trie is an empty array.
    ///
    /// Built from the pairs sorted by pattern: the patterns below a node
    /// at depth `d` are a contiguous run sharing `d` bytes, those of
    /// length `d` (the node's own) first, then one run per child byte.
    ///
    /// `None` if the array would be longer than `max_words` (or need
    /// offsets beyond `u32`): the caller then does without (the rule
    /// index stays unindexed, a table probes its key lengths), which is
    /// always correct. The layout stops as soon as it passes the bound.
    pub(crate) fn freeze(mut self, max_words: usize) -> Option<Box<[u32]>> {
        if self.pairs.is_empty() {
            return Some(Box::new([]));
        }
        let max_words = max_words.min(u32::MAX as usize);
        self.pairs
            .sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
        self.pairs.dedup();
        let pairs = &self.pairs;
        let byte = |i: usize, d: usize| pairs.get(i).and_then(|(p, _)| p.get(d).copied());
        let mut out: Vec<u32> = Vec::new();
        // (run start, run end, depth, where the parent wants our offset).
        let mut stack: Vec<(usize, usize, usize, Option<usize>)> = vec![(0, pairs.len(), 0, None)];
        let mut kids: Vec<(usize, usize, usize)> = Vec::new();
        while let Some((lo, hi, d, patch)) = stack.pop() {
            let here = u32::try_from(out.len()).ok()?;
            if let Some(at) = patch
                && let Some(w) = out.get_mut(at)
            {
                *w = here;
            }
            // The node's own values: patterns of length `d` come first.
            let mut own = lo;
            while own < hi && byte(own, d).is_none() {
                own += 1;
            }
            // One run per child byte; `kids` holds (start, end, slot).
            kids.clear();
            let mut at = own;
            while at < hi {
                let b = byte(at, d);
                let mut end = at + 1;
                while end < hi && byte(end, d) == b {
                    end += 1;
                }
                kids.push((at, end, 0));
                at = end;
            }
            let first = kids.first().and_then(|k| byte(k.0, d)).unwrap_or(0);
            let last = kids.last().and_then(|k| byte(k.0, d)).unwrap_or(0);
            let span = if kids.is_empty() {
                0
            } else {
                usize::from(last - first) + 1
            };
            let sparse = span > 2 * kids.len() + TRIE_DENSE_SLACK;
            let width = if sparse { kids.len() } else { span };
            let words = 2 + if sparse { 2 * width } else { width } + (own - lo);
            if out.len() + words > max_words {
                return None;
            }
            let header = u32::from(first)
                | u32::try_from(width).ok()? << 8
                | if sparse { TRIE_SPARSE } else { 0 };
            out.push(header);
            out.push(u32::try_from(own - lo).ok()?);
            if sparse {
                for k in kids.iter_mut() {
                    out.push(u32::from(byte(k.0, d).unwrap_or(0)));
                    k.2 = out.len();
                    out.push(TRIE_NONE);
                }
            } else {
                let base = out.len();
                out.resize(base + span, TRIE_NONE);
                for k in kids.iter_mut() {
                    let b = byte(k.0, d).unwrap_or(0);
                    k.2 = base + usize::from(b - first);
                }
            }
            out.extend(pairs.get(lo..own).unwrap_or(&[]).iter().map(|&(_, r)| r));
            // First child next: push in reverse.
            for &(start, end, slot) in kids.iter().rev() {
                stack.push((start, end, d + 1, Some(slot)));
            }
        }
        Some(out.into_boxed_slice())
    }
}

/// Calls `visit` with the values of every node on the path of `t` down
/// `trie` (laid out by [`Trie::freeze`]), root first: the values of the
/// patterns that are prefixes of `t`, shortest first. Nodes without
/// values are passed over.
#[inline]
pub(crate) fn walk(trie: &[u32], t: &[u8], mut visit: impl FnMut(&[u32])) {
    let mut at = 0usize;
    let mut rest = t.iter();
    loop {
        let (Some(&h), Some(&r)) = (trie.get(at), trie.get(at + 1)) else {
            return;
        };
        let width = (h >> 8 & 0x1ff) as usize;
        let sparse = h & TRIE_SPARSE != 0;
        let children = at + 2;
        // Where the values start, worked out only for a node that has
        // some (most nodes of a walk do not).
        let values = |w: usize| children + if sparse { 2 * w } else { w };
        if r != 0 {
            let v = values(width);
            visit(trie.get(v..v + r as usize).unwrap_or(&[]));
        }
        let Some(&b) = rest.next() else {
            return;
        };
        // The byte's distance from the node's first child byte; a byte
        // below it wraps to a large number, past every width.
        let i = u32::from(b).wrapping_sub(h & 0xff) as usize;
        let child = if !sparse {
            if i >= width {
                return;
            }
            trie.get(children + i).copied().unwrap_or(TRIE_NONE)
        } else {
            let pairs = trie.get(children..values(width)).unwrap_or(&[]);
            let b = u32::from(b);
            pairs
                .chunks_exact(2)
                .find_map(|pair| match *pair {
                    [eb, child] if eb == b => Some(child),
                    _ => None,
                })
                .unwrap_or(TRIE_NONE)
        };
        if child == TRIE_NONE {
            return;
        }
        at = child as usize;
    }
}

/// The value of the longest pattern of `trie` that is a prefix of `t`:
/// for a trie whose patterns have one value each (a table's keys and
/// their rows), the deepest node with a value on `t`'s path.
#[inline]
pub(crate) fn longest(trie: &[u32], t: &[u8]) -> Option<u32> {
    let mut found = None;
    walk(trie, t, |values| {
        if let Some(&v) = values.first() {
            found = Some(v);
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::{Trie, longest, walk};

    proptest::proptest! {
        /// A walk of the frozen trie visits exactly the values of the
        /// patterns that are prefixes of the text (duplicates, the empty
        /// pattern and shared prefixes included), shortest pattern first,
        /// through dense nodes (`a`, `b`, `c`: adjacent bytes) and sparse
        /// ones (`z` and the two bytes of `é` lie far from them), and for
        /// bytes below, between and above a node's children.
        #[test]
        fn a_walk_visits_exactly_the_values_of_matching_prefixes(
            pairs in proptest::collection::vec(("[abcz\u{e9}]{0,4}", 0u32..70), 0..60),
            texts in proptest::collection::vec("[ -~\u{e9}]{0,6}|[abcz\u{e9}]{0,6}", 1..20),
        ) {
            let mut trie = Trie::default();
            for (p, r) in &pairs {
                trie.insert(p.as_bytes(), *r);
            }
            let frozen = trie.freeze(usize::MAX).unwrap();
            for t in &texts {
                // Each visit is one node's values, ascending, and nodes
                // come shortest pattern first: the values sorted by
                // their pattern's length, then by value.
                let mut seen: Vec<Vec<u32>> = Vec::new();
                walk(&frozen, t.as_bytes(), |values| seen.push(values.to_vec()));
                let mut want: Vec<(usize, u32)> = pairs
                    .iter()
                    .filter(|(p, _)| t.as_bytes().starts_with(p.as_bytes()))
                    .map(|(p, r)| (p.len(), *r))
                    .collect();
                want.sort_unstable();
                want.dedup();
                let mut want_visits: Vec<Vec<u32>> = Vec::new();
                let mut last = None;
                for (len, r) in want {
                    match want_visits.last_mut() {
                        Some(v) if last == Some(len) => v.push(r),
                        _ => want_visits.push(vec![r]),
                    }
                    last = Some(len);
                }
                proptest::prop_assert_eq!(seen, want_visits, "text {:?}", t);
            }
        }

        /// `longest` finds the value of the longest pattern that is a
        /// prefix of the text, as a scan of distinct patterns does.
        #[test]
        fn longest_finds_the_longest_matching_pattern(
            keys in proptest::collection::btree_set("[0-9\u{e9}]{0,4}", 0..40),
            texts in proptest::collection::vec("[0-9\u{e9}]{0,6}", 1..20),
        ) {
            let keys: Vec<&String> = keys.iter().collect();
            let mut trie = Trie::default();
            for (i, k) in keys.iter().enumerate() {
                trie.insert(k.as_bytes(), i as u32);
            }
            let frozen = trie.freeze(usize::MAX).unwrap();
            for t in &texts {
                let want = keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| t.as_bytes().starts_with(k.as_bytes()))
                    .max_by_key(|(_, k)| k.len())
                    .map(|(i, _)| i as u32);
                proptest::prop_assert_eq!(longest(&frozen, t.as_bytes()), want, "text {:?}", t);
            }
        }
    }

    #[test]
    fn freeze_gives_up_past_its_bound_and_not_before() {
        let keys = ["6403", "6404", "61", "9401710000"];
        let build = |max| {
            let mut trie = Trie::default();
            for (i, k) in keys.iter().enumerate() {
                trie.insert(k.as_bytes(), i as u32);
            }
            trie.freeze(max)
        };
        let full = build(usize::MAX).unwrap();
        assert_eq!(build(full.len()).as_deref(), Some(&full[..]));
        assert_eq!(build(full.len() - 1), None);
        assert_eq!(longest(&full, b"6403999000"), Some(0));
        assert_eq!(longest(&full, b"6199"), Some(2));
        assert_eq!(longest(&full, b"940171000"), None);
        // An empty trie is empty, whatever the bound.
        assert_eq!(Trie::default().freeze(0).as_deref(), Some(&[][..]));
    }
}
