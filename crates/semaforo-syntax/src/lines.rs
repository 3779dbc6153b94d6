//! Byte offsets -> `(line, column)` positions, for every diagnostic of a
//! text at logarithmic cost.
//!
//! [`crate::line_col`] walks the text from its start on every call, which is
//! fine for one position and quadratic for many (40,000 lines with a
//! diagnostic on each). A [`LineIndex`] walks the text once and then answers
//! each position by a binary search over the line starts plus, for a text
//! that is not ASCII, a constant-time count of the characters before the
//! offset.

/// Bytes per block of the character index of a non-ASCII text.
const BLOCK: usize = 64;

/// The line starts (and, for non-ASCII text, a character index) of one text,
/// built once by [`LineIndex::new`]; [`LineIndex::line_col`] then converts
/// byte offsets of that text into 1-based `(line, column)` pairs with exactly
/// the results of [`crate::line_col`]:
///
/// - lines are counted by `\n` (a CRLF's `\r` is the last character of its
///   line, and is counted in columns like any other character);
/// - columns count Unicode scalar values from the start of the line, the
///   first being 1;
/// - an offset past the end of the text is the end of the text;
/// - an offset inside a multi-byte character has column 1 (spans never
///   point there; [`crate::line_col`] has always answered so).
///
/// The index owns no copy of the text and does not borrow it, so it can be
/// kept beside the text it was built from (as the facade's `Sources` does).
/// Asking it about another text gives meaningless positions, never a panic.
///
/// Memory: 4 bytes per line, plus 16 bytes per 64 bytes of text when the
/// text is not ASCII. Building is linear in the text's length; a query costs
/// `O(log lines)`.
///
/// ```
/// use semaforo_syntax::{LineIndex, line_col};
/// let text = "ruleset \"t\" version \"1\"\r\nlanes verde, año\n";
/// let index = LineIndex::new(text);
/// assert_eq!(index.line_col(0), (1, 1));
/// assert_eq!(index.line_col(25), (2, 1)); // after the CRLF
/// // The `o` of `año`: 15 characters (17 bytes) into its line.
/// let at = text.find("o\n").unwrap() as u32;
/// assert_eq!(index.line_col(at), (2, 16));
/// assert_eq!(index.line_col(at), line_col(text, at));
/// assert_eq!(index.line_col(10_000), (3, 1)); // past the end: the end
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    /// The indexed length: the text's length, or `u32::MAX` for a longer
    /// text (offsets are `u32`, so nothing beyond is ever asked for).
    len: u32,
    // INVARIANT (starts): `starts[0] == 0`, strictly ascending, every entry
    // `<= len`: the offset after each `\n` below `len`. Kept by `new`.
    starts: Box<[u32]>,
    /// Empty for an ASCII text (a character per byte).
    // INVARIANT (blocks): otherwise one entry per `BLOCK` bytes of the
    // indexed text, the last one partial: the number of characters that
    // start before the block, and a bit per byte of the block, set where a
    // character starts. Kept by `new`.
    blocks: Box<[(u32, u64)]>,
}

impl LineIndex {
    /// Indexes `text` in one pass.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let indexed = bytes.get(..u32::MAX as usize).unwrap_or(bytes);
        let len = u32::try_from(indexed.len()).unwrap_or(u32::MAX);
        let mut starts = vec![0u32];
        for (i, &b) in indexed.iter().enumerate() {
            if b == b'\n' {
                // `i < len <= u32::MAX`, so `i + 1` fits.
                starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        let blocks = if indexed.is_ascii() {
            Vec::new()
        } else {
            let mut blocks = Vec::with_capacity(indexed.len().div_ceil(BLOCK));
            let mut before = 0u32;
            for chunk in indexed.chunks(BLOCK) {
                let mut mask = 0u64;
                for (bit, &b) in chunk.iter().enumerate() {
                    // Every byte but a UTF-8 continuation byte starts a
                    // character.
                    if b & 0xC0 != 0x80 {
                        mask |= 1 << bit;
                    }
                }
                blocks.push((before, mask));
                before = before.saturating_add(mask.count_ones());
            }
            blocks
        };
        LineIndex {
            len,
            starts: starts.into_boxed_slice(),
            blocks: blocks.into_boxed_slice(),
        }
    }

    /// The byte range of 1-based line `line`, without its `\n` (a CRLF's
    /// `\r` is included, as in columns); `None` past the last line.
    pub fn line_range(&self, line: u32) -> Option<std::ops::Range<u32>> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = match self.starts.get(i + 1) {
            Some(&next) => next.saturating_sub(1),
            None => self.len,
        };
        Some(start..end.max(start))
    }

    /// The number of lines: one more than the number of `\n`.
    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The 1-based `(line, column)` of byte `offset`, the column counted in
    /// characters; see the type's documentation for the exact rules.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.len);
        // The number of line starts at or before `offset` (at least 1, for
        // INVARIANT (starts)).
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = match (self.chars_before(start), self.chars_before(offset)) {
            (Some(a), Some(b)) => b.saturating_sub(a).saturating_add(1),
            // Inside a character.
            _ => 1,
        };
        (u32::try_from(line).unwrap_or(u32::MAX), col)
    }

    /// The number of characters before `offset` (at most `len`), or `None`
    /// if `offset` is inside a character.
    fn chars_before(&self, offset: u32) -> Option<u32> {
        if self.blocks.is_empty() || offset == self.len {
            // ASCII: a character per byte. The end is a boundary, and for a
            // non-ASCII text its count is that of the last block in full.
            return Some(match self.blocks.last() {
                Some(&(before, mask)) => before.saturating_add(mask.count_ones()),
                None => offset,
            });
        }
        let at = offset as usize;
        let &(before, mask) = self.blocks.get(at / BLOCK)?;
        let bit = at % BLOCK;
        if mask >> bit & 1 == 0 {
            return None;
        }
        let below = mask & ((1u64 << bit) - 1);
        Some(before.saturating_add(below.count_ones()))
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;
    use crate::line_col;
    use proptest::prelude::*;

    #[test]
    fn positions_agree_with_line_col_on_edge_cases() {
        let texts = [
            "",
            "\n",
            "\r\n",
            "a",
            "a\nb",
            "a\r\nb\r\n",
            "é",
            "aé\nñx\r\n日本😀\n",
            "\n\n\n",
            // Multi-byte characters across a 64-byte block boundary.
            &"é".repeat(70),
            &format!("{}\n{}", "x".repeat(63), "😀".repeat(40)),
        ];
        for text in texts {
            let index = LineIndex::new(text);
            for offset in 0..=text.len() as u32 + 3 {
                assert_eq!(
                    index.line_col(offset),
                    line_col(text, offset),
                    "{text:?} at {offset}"
                );
            }
            assert_eq!(index.line_col(u32::MAX), line_col(text, u32::MAX));
        }
    }

    #[test]
    fn lines_are_counted_by_line_feeds() {
        assert_eq!(LineIndex::new("").lines(), 1);
        assert_eq!(LineIndex::new("a\r\nb\n").lines(), 3);
        assert_eq!(LineIndex::default().line_col(7), (1, 1));
    }

    proptest! {
        /// The index answers exactly as the linear rescan, at every offset
        /// (character boundaries, inside characters, past the end).
        #[test]
        fn agrees_with_line_col(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("a"), Just("é"), Just("\n"), Just("\r\n"), Just("\r"),
                    Just("日"), Just("😀"), Just("xyz"), Just(" "),
                ],
                0..200,
            ),
        ) {
            let text: String = parts.concat();
            let index = LineIndex::new(&text);
            for offset in 0..=text.len() as u32 + 2 {
                prop_assert_eq!(index.line_col(offset), line_col(&text, offset));
            }
        }
    }
}
