//! The texts a ruleset was compiled from, for rendering diagnostics.

use semaforo_syntax::{FileId, Span, line_col};

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
    /// The text.
    pub text: String,
    /// Rules, list or table.
    pub kind: SourceKind,
}

/// Every source of a compilation, addressed by [`FileId`]: rule files first,
/// in the order given, then external data files.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    /// Adds a source and returns its id.
    pub fn add(&mut self, name: String, text: String, kind: SourceKind) -> FileId {
        self.files.push(Source { name, text, kind });
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
                let (l, c) = line_col(&s.text, span.start);
                (&s.name, l, c)
            }
            None => ("<unknown>", 0, 0),
        }
    }

    /// `(line, column)` of a span's end.
    pub fn locate_end(&self, span: Span) -> (u32, u32) {
        self.get(span.file)
            .map_or((0, 0), |s| line_col(&s.text, span.end))
    }
}
