//! Source positions and diagnostics shared by every front-end stage.

use std::fmt;

/// Identifies one source file of a ruleset: the index of the file in the
/// order the files were given to the compiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one source file.
///
/// Spans are ignored by the structural equality used in round-trip tests
/// (see [`crate::ast`]): two ASTs that differ only by spans compare equal
/// through `ast::strip_spans`, not through `PartialEq` on `Span`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` in `file`.
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span { file, start, end }
    }

    /// The smallest span covering both `self` and `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The ruleset cannot be compiled.
    Error,
    /// The ruleset compiles, but something is probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A secondary location attached to a diagnostic ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there, in lowercase without a final period.
    pub message: String,
}

/// One problem found in a ruleset, as data. Only the CLI renders it.
///
/// Codes are stable: `E0xxx` for errors, `W0xxx` for warnings, each
/// documented in `docs/diagnostics.md`. Messages are lowercase, without a
/// final period, with user text in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `E0201`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One-line description.
    pub message: String,
    /// The primary location.
    pub span: Span,
    /// Secondary locations.
    pub labels: Vec<Label>,
    /// Extra advice, e.g. "did you mean `origin`?".
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with the given code, message and primary span. The code
    /// must be in the registry ([`crate::codes`]); debug builds (and so
    /// every test) check it where the diagnostic is made.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        debug_assert!(
            crate::codes::lookup(code).is_some_and(|c| !c.is_retired()),
            "diagnostic code {code} is not in semaforo_syntax::codes"
        );
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning with the given code, message and primary span (a
    /// registered code, as for [`Diagnostic::error`]).
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Adds a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Converts a byte offset into a 1-based `(line, column)` pair, where the
/// column counts Unicode scalar values. Offsets past the end clamp to the end;
/// an offset inside a multi-byte character has column 1.
///
/// This walks `source` from its start, so it suits one position. To place
/// many positions in one text (every diagnostic of a file), build a
/// [`crate::LineIndex`] once: it gives the same answers in logarithmic time.
pub fn line_col(source: &str, offset: u32) -> (u32, u32) {
    let offset = (offset as usize).min(source.len());
    let mut line = 1u32;
    let mut line_start = 0usize;
    for (i, b) in source.bytes().enumerate() {
        if i >= offset {
            break;
        }
        if b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = source
        .get(line_start..offset)
        .map_or(0, |s| s.chars().count()) as u32
        + 1;
    (line, col)
}
