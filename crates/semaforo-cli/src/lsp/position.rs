//! Byte offsets (the facade's spans) to LSP positions and back.
//!
//! LSP positions are a 0-based line and a column in UTF-16 code units (the
//! protocol's default encoding, the only one every client supports); the
//! facade's spans are byte offsets into UTF-8 text. A line ends at `\n`
//! (a `\r` before it is part of the line's text, as the protocol says for
//! `\r\n`).

use lsp_types::{Position, Range};

/// Where each line of a text starts, for converting both ways in
/// logarithmic time (a file with thousands of diagnostics stays linear).
pub(crate) struct LineMap<'a> {
    text: &'a str,
    /// INVARIANT (starts): the first entry is 0; entries ascend; each but
    /// the first is one past a `\n` of `text`.
    starts: Vec<u32>,
}

impl<'a> LineMap<'a> {
    /// The line starts of `text`.
    pub(crate) fn new(text: &'a str) -> LineMap<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| (i + 1) as u32),
        );
        LineMap { text, starts }
    }

    /// The position of byte `offset` (clamped to the text, and back to a
    /// character boundary).
    pub(crate) fn position(&self, offset: u32) -> Position {
        let mut offset = (offset as usize).min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s as usize <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).map_or(0, |&s| s as usize);
        let character = self
            .text
            .get(start..offset)
            .map_or(0, |t| t.encode_utf16().count());
        Position::new(line as u32, character as u32)
    }

    /// The range of bytes `start..end`.
    pub(crate) fn range(&self, start: u32, end: u32) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The byte offset of a position. A column past the end of its line
    /// is the line's end; a line past the last is the end of the text; a
    /// column inside a surrogate pair is the character's start.
    pub(crate) fn offset(&self, pos: Position) -> u32 {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.text.len() as u32;
        };
        let line_end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(self.text.len(), |&s| s as usize - 1);
        let line = self.text.get(start as usize..line_end).unwrap_or("");
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            let next = units + c.len_utf16() as u32;
            if next > pos.character {
                return start + i as u32;
            }
            units = next;
        }
        line_end as u32
    }

    /// The end of the text.
    pub(crate) fn end(&self) -> Position {
        self.position(self.text.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn ascii_and_lines() {
        let m = LineMap::new("ab\ncd\n");
        assert_eq!(m.position(0), Position::new(0, 0));
        assert_eq!(m.position(2), Position::new(0, 2));
        assert_eq!(m.position(3), Position::new(1, 0));
        assert_eq!(m.position(6), Position::new(2, 0));
        assert_eq!(m.offset(Position::new(1, 1)), 4);
        assert_eq!(m.offset(Position::new(0, 99)), 2);
        assert_eq!(m.offset(Position::new(9, 0)), 6);
    }

    #[test]
    fn non_ascii_columns_count_utf16_units() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝄞` is 4 bytes and 2 units.
        let text = "né x\n𝄞y z";
        let m = LineMap::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(m.position(x), Position::new(0, 3));
        assert_eq!(m.offset(Position::new(0, 3)), x);
        let z = text.find('z').unwrap() as u32;
        assert_eq!(m.position(z), Position::new(1, 4));
        assert_eq!(m.offset(Position::new(1, 4)), z);
        // Inside the surrogate pair: the character's start.
        let clef = text.find('𝄞').unwrap() as u32;
        assert_eq!(m.offset(Position::new(1, 1)), clef);
        // Inside `é`'s bytes: back to its start.
        assert_eq!(m.position(2), Position::new(0, 1));
    }

    #[test]
    fn crlf_keeps_the_cr_on_its_line() {
        let m = LineMap::new("a\r\nb");
        assert_eq!(m.position(3), Position::new(1, 0));
        assert_eq!(m.offset(Position::new(0, 5)), 2);
        assert_eq!(m.end(), Position::new(1, 1));
    }
}
