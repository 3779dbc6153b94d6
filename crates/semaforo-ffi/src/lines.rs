//! Line and column lookup for rendering diagnostics: a line-start index
//! built once per source, so resolving every diagnostic of a compilation
//! costs `O(n + d log n)` for `n` bytes and `d` diagnostics, instead of a
//! scan from the start of the file per diagnostic (a 40,000-line list file
//! with an error on each line took seconds that way).
//!
//! The results are those of `semaforo::Sources::locate` and `locate_end`
//! (lines count `\n`, columns count characters, both 1-based) and, for the
//! source line shown under a diagnostic, of `str::lines`; a test checks
//! both on every offset of sample texts. Once the facade's `locate` is
//! `O(log n)` itself, the column lookup here can defer to it.

/// The byte offset at which each line of one text starts.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    /// INVARIANT (starts): `starts[0] == 0`, then one past each `\n` of
    /// `text`, in increasing order.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text` in one pass.
    pub(crate) fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// `(line, column)` of a byte offset: 1-based, the column in
    /// characters; an offset past the end counts as the end, and one inside
    /// a character gives column 1 (as `Sources::locate` does).
    pub(crate) fn locate(&self, offset: u32) -> (u32, u32) {
        let offset = (offset as usize).min(self.text.len());
        // The number of line starts at or before `offset` is the 1-based
        // line number (a start at `offset` itself begins the line).
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = line
            .checked_sub(1)
            .and_then(|i| self.starts.get(i))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX).saturating_add(1),
        )
    }

    /// The text of 1-based line `line` without its line ending, as
    /// `str::lines().nth(line - 1)` gives it (`None` past the last line).
    pub(crate) fn line(&self, line: u32) -> Option<&'t str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        if start >= self.text.len() {
            return None;
        }
        match self.starts.get(i + 1) {
            Some(&next) => {
                let l = self.text.get(start..next - 1)?;
                Some(l.strip_suffix('\r').unwrap_or(l))
            }
            None => self.text.get(start..),
        }
    }
}
