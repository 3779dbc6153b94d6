//! [`Text`]: an immutable string that may be a part of a larger shared
//! buffer, so a parser can hand out the texts of a file without
//! allocating each one.
//!
//! A 10,000-rule ruleset holds about 190,000 string literals (every country
//! code of every `in` list, every importer id of a watch list) and about
//! 100,000 identifiers, numbers and rule ids. Allocated one by one they were
//! two thirds of the parse's heap allocations, and freeing them took as
//! long as the parse. Each of them is a part of the source (a literal
//! without escapes, that is), so the fast parser holds the source as one
//! shared buffer (the caller's, with `parse_shared`) and every such text
//! points into it: a clone is a reference count, as it was with
//! `Arc<str>`.
//!
//! Equality, ordering, hashing, `Debug` and `Display` are those of the
//! text, never of where it is stored.
//!
//! A part keeps its whole buffer alive: a checked program (which a
//! compiled ruleset keeps for `explain`) holds its source, the buffer
//! the ruleset keeps anyway to show diagnostics, not one small
//! allocation per literal. Where a text outlives its
//! source for long and the source is large, copy it with
//! `Text::from(t.as_str())`.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// An immutable, cheaply cloned string: a part of a shared buffer
/// ([`Text::part`]) or a whole string (`From`), held in 24 bytes like a
/// `String` whatever its length.
#[derive(Clone)]
pub struct Text {
    // `&base[start..end]`, or the whole of `base` when `end` is `WHOLE`.
    //
    // INVARIANT: unless `end` is `WHOLE`, `start..end` is a range of
    // `base` on character boundaries, checked where a part is made
    // (`Text::part`); when `end` is `WHOLE`, `start` is 0.
    base: Arc<str>,
    start: u32,
    end: u32,
}

/// The `end` of a [`Text`] that is the whole of its buffer.
const WHOLE: u32 = u32::MAX;

impl Text {
    /// The part `range` of `base`, sharing its allocation; `None` when the
    /// range is out of bounds or not on character boundaries, or ends at
    /// 4 GiB or beyond (a source file is at most 16 MiB).
    pub fn part(base: &Arc<str>, range: std::ops::Range<usize>) -> Option<Text> {
        base.get(range.clone())?;
        let end = u32::try_from(range.end).ok().filter(|&e| e != WHOLE)?;
        Some(Text {
            base: Arc::clone(base),
            start: u32::try_from(range.start).ok()?,
            end,
        })
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        if self.end == WHOLE {
            return &self.base;
        }
        // The invariant makes this `Some`; the fallback is never taken.
        self.base
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

impl Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::from(Arc::<str>::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::from(Arc::<str>::from(s))
    }
}

impl From<Arc<str>> for Text {
    /// The whole of `base`, shared.
    fn from(base: Arc<str>) -> Text {
        Text {
            base,
            start: 0,
            end: WHOLE,
        }
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    /// Hashes as a `str` does, so a `Text` key is found by a `&str`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    proptest! {
        /// A part is exactly `str::get` of the range (refused where it
        /// is refused), and compares, orders and hashes as that string.
        #[test]
        fn a_part_is_the_slice(s in "[a-zñ\"\\\\ ]{0,12}", a in 0usize..16, b in 0usize..16, t in "[a-zñ]{0,3}") {
            let base: Arc<str> = Arc::from(s.as_str());
            let part = Text::part(&base, a..b);
            prop_assert_eq!(part.as_ref().map(Text::as_str), s.get(a..b));
            if let Some(p) = part {
                let other = Text::from(t.as_str());
                prop_assert_eq!(p == other, p.as_str() == t.as_str());
                prop_assert_eq!(p.cmp(&other), p.as_str().cmp(t.as_str()));
                let h = std::collections::hash_map::RandomState::new();
                prop_assert_eq!(h.hash_one(&p), h.hash_one(p.as_str()));
            }
        }
    }

    #[test]
    fn a_part_is_its_text_and_shares_the_buffer() {
        let base: Arc<str> = Arc::from("origin in [\"CN\", \"ñandú\"]");
        let cn = Text::part(&base, 12..14).unwrap();
        let nandu = Text::part(&base, 18..25).unwrap();
        assert_eq!(cn.as_str(), "CN");
        assert_eq!(&*nandu, "ñandú");
        assert_eq!(Arc::strong_count(&base), 3);
        // Compared, ordered, hashed and shown as the text alone.
        assert_eq!(cn, Text::from("CN"));
        assert_eq!(cn, "CN");
        assert!(cn < nandu);
        assert_eq!(format!("{cn:?} {nandu}"), "\"CN\" ñandú");
        let set: HashSet<Text> = [cn.clone(), Text::from(String::from("CN"))].into();
        assert_eq!(set.len(), 1);
        assert!(set.contains("CN"));
    }

    #[test]
    fn a_part_off_the_text_or_its_characters_is_refused() {
        let base: Arc<str> = Arc::from("ñandú");
        assert!(Text::part(&base, 0..1).is_none(), "inside `ñ`");
        assert!(Text::part(&base, 2..8).is_none(), "past the end");
        assert_eq!(Text::part(&base, 2..2).unwrap(), "");
        assert_eq!(Text::from(Arc::clone(&base)), "ñandú");
    }
}
