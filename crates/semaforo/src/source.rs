//! The texts a ruleset was compiled from, for rendering diagnostics.

use semaforo_syntax::{FileId, LineIndex, Span};
use std::sync::{Arc, OnceLock};

/// What a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A rule file (`.sem`).
    Rules,
    /// An external list file (one entry per line).
    List,
    /// An external table file (CSV `key,value`).
    Table,
}

/// One source text.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name shown in diagnostics, usually a path relative to where the
    /// command ran.
    pub name: String,
    /// The text, shared with the syntax tree parsed from it (see
    /// `semaforo_syntax::parse_shared`), so a ruleset keeps it once.
    pub text: Arc<str>,
    /// Rules, list or table.
    pub kind: SourceKind,
    /// Where the text's lines start, built on the first request for a
    /// position, so placing every diagnostic of a file is linear overall.
    lines: OnceLock<LineIndex>,
}

impl Source {
    fn index(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The 1-based `(line, column)` of a byte offset, the column in
    /// characters.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        self.index().line_col(offset)
    }

    /// The byte offset at which 1-based line `line` starts; `None` past the
    /// last line.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.index().line_range(line).map(|r| r.start)
    }

    /// The text of 1-based line `line`, without its line end (`\n` or
    /// `\r\n`), as `str::lines` gives it; `None` past the last line.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let r = self.index().line_range(line)?;
        if r.start as usize >= self.text.len() {
            return None;
        }
        let l = self.text.get(r.start as usize..r.end as usize)?;
        // A CR is part of the line end only before the LF.
        let ended_by_lf = (r.end as usize) < self.text.len();
        Some(match l.strip_suffix('\r') {
            Some(t) if ended_by_lf => t,
            _ => l,
        })
    }
}

/// Every source of a compilation, addressed by [`FileId`]: rule files first,
/// in the order given, then external data files.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    /// Adds a source and returns its id.
    pub fn add(&mut self, name: String, text: impl Into<Arc<str>>, kind: SourceKind) -> FileId {
        self.files.push(Source {
            name,
            text: text.into(),
            kind,
            lines: OnceLock::new(),
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// The source with this id.
    pub fn get(&self, id: FileId) -> Option<&Source> {
        self.files.get(id.0 as usize)
    }

    /// All sources in id order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Source)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, s)| (FileId(i as u32), s))
    }

    /// `(name, line, column)` of a span's start; 1-based, columns in chars.
    pub fn locate(&self, span: Span) -> (&str, u32, u32) {
        match self.get(span.file) {
            Some(s) => {
                let (l, c) = s.line_col(span.start);
                (&s.name, l, c)
            }
            None => ("<unknown>", 0, 0),
        }
    }

    /// `(line, column)` of a span's end.
    pub fn locate_end(&self, span: Span) -> (u32, u32) {
        self.get(span.file).map_or((0, 0), |s| s.line_col(span.end))
    }
}
