//! Rendering diagnostics the way the `semaforo` command shows them:
//! rustc-style text (with source excerpts, through codespan-reporting) or
//! JSON Lines, one object per diagnostic.
//!
//! The library never prints: these functions return the rendered text, and
//! the host decides where it goes. [`CompileError::render`] and
//! [`CheckReport::render`] render every diagnostic of a failed compile or a
//! check.
//!
//! ```
//! let mut c = semaforo::Compiler::new();
//! c.add_source("rules.sem", "ruleset \"d\" version \"1\"\nschema d { key id: text }\nrule R \"r\" { when nope == 1 then lane red }\n");
//! let err = c.compile().unwrap_err();
//! let text = err.render(false);
//! assert!(text.starts_with("error[E0202]: unknown name `nope`\n  ┌─ rules.sem:3:19\n"));
//! assert_eq!(semaforo::render::summary(&err.diagnostics), "1 error, 0 warnings");
//! ```
//!
//! # Long lines
//!
//! A source line longer than 240 bytes (a generated list on one line, say)
//! is shown as a window of at most 120 characters around the label, with a
//! note saying which characters are shown, so the text rendered for a
//! diagnostic does not grow with the line and rendering stays linear in
//! the input. Lines, columns and windows are computed from line starts and
//! character counts built once per file.

use crate::compiler::{CheckReport, CompileError};
use crate::ruleset::json_str;
use crate::source::Sources;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::term::{self, Config, termcolor::Buffer};
use semaforo_syntax::{Diagnostic, Severity, Span};
use std::fmt::{self, Write as _};

/// Renders diagnostics rustc-style: for each, its severity, code and
/// message, the source lines its labels point into, and its help line.
/// With `color`, the text holds ANSI colour escapes (for a terminal);
/// without, it is plain text.
///
/// Spans must point into `sources` (as those of a [`CompileError`] or a
/// [`CheckReport`] do); a label whose file is not there is left out.
pub fn render_text(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let files = source_files(sources);
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = Config::default();
    for d in diagnostics {
        let (cs, view) = prepare(d, &files);
        // Writing to memory cannot fail, and every file id was checked.
        let _ = term::emit(&mut buffer, &config, &view, &cs);
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Renders diagnostics as JSON Lines: one object per diagnostic, each on
/// its own line ending in `\n`, with the members (in this order) `code`,
/// `column`, `end_column`, `end_line`, `file`, `help` (a string or `null`),
/// `labels` (an array of objects with `column`, `file`, `line`,
/// `message`), `line`, `message` and `severity` (`"error"` or
/// `"warning"`). Lines and columns are 1-based, columns in characters.
///
/// ```
/// let mut c = semaforo::Compiler::new();
/// c.add_source("rules.sem", "ruleset \"d\" version \"1\"\nschema d { key id: text }\nrule R \"r\" { when nope == 1 then lane red }\n");
/// let report = c.check();
/// assert_eq!(
///     semaforo::render::render_json(&report.diagnostics, &report.sources),
///     "{\"code\":\"E0202\",\"column\":19,\"end_column\":23,\"end_line\":3,\"file\":\"rules.sem\",\
///      \"help\":null,\"labels\":[],\"line\":3,\"message\":\"unknown name `nope`\",\"severity\":\"error\"}\n"
/// );
/// ```
pub fn render_json(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let files = source_files(sources);
    // Line and column of a byte, as `Sources::locate` gives them, but from
    // the line starts computed once.
    let locate = |span: Span, at: u32| {
        files
            .get(span.file.0 as usize)
            .map_or(("<unknown>", 0, 0), |f| {
                let (l, c) = f.locate(at as usize);
                (f.name, l, c)
            })
    };
    let mut out = String::new();
    for d in diagnostics {
        let (file, line, column) = locate(d.span, d.span.start);
        let (_, end_line, end_column) = locate(d.span, d.span.end);
        out.push_str("{\"code\":");
        json_str(&mut out, d.code);
        let _ = write!(
            out,
            ",\"column\":{column},\"end_column\":{end_column},\"end_line\":{end_line},\"file\":"
        );
        json_str(&mut out, file);
        out.push_str(",\"help\":");
        match &d.help {
            Some(h) => json_str(&mut out, h),
            None => out.push_str("null"),
        }
        out.push_str(",\"labels\":[");
        for (i, l) in d.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let (f, li, c) = locate(l.span, l.span.start);
            let _ = write!(out, "{{\"column\":{c},\"file\":");
            json_str(&mut out, f);
            let _ = write!(out, ",\"line\":{li},\"message\":");
            json_str(&mut out, &l.message);
            out.push('}');
        }
        let _ = write!(out, "],\"line\":{line},\"message\":");
        json_str(&mut out, &d.message);
        out.push_str(",\"severity\":");
        json_str(&mut out, &d.severity.to_string());
        out.push_str("}\n");
    }
    out
}

/// A one-line count such as `2 errors, 1 warning`.
///
/// ```
/// assert_eq!(semaforo::render::summary(&[]), "0 errors, 0 warnings");
/// ```
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let e = diagnostics.iter().filter(|d| d.is_error()).count();
    let w = diagnostics.len() - e;
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(e, "error"), plural(w, "warning"))
}

impl CompileError {
    /// Every diagnostic (errors and warnings), rendered as
    /// [`render_text`] does, the way `semaforo check` shows them.
    pub fn render(&self, color: bool) -> String {
        render_text(&self.diagnostics, &self.sources, color)
    }

    /// The errors, without warnings.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl CheckReport {
    /// Every diagnostic, rendered as [`render_text`] does.
    pub fn render(&self, color: bool) -> String {
        render_text(&self.diagnostics, &self.sources, color)
    }
}

/// Every error, one a line, as `FILE:LINE:COLUMN: error[CODE]: MESSAGE`,
/// without source excerpts or warnings ([`CompileError::render`] shows
/// those).
impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for d in self.errors() {
            if any {
                f.write_str("\n")?;
            }
            any = true;
            let (file, line, col) = self.sources.locate(d.span);
            write!(
                f,
                "{file}:{line}:{col}: {}[{}]: {}",
                d.severity, d.code, d.message
            )?;
        }
        if !any {
            f.write_str("the ruleset could not be compiled")?;
        }
        Ok(())
    }
}

/// The diagnostics and the names and sizes of the sources, not their text
/// (a ruleset's data files can be megabytes).
impl fmt::Debug for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompileError")
            .field("diagnostics", &self.diagnostics)
            .field("sources", &SourceNames(&self.sources))
            .finish()
    }
}

/// As for [`CompileError`]: the sources by name and size.
impl fmt::Debug for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckReport")
            .field("diagnostics", &self.diagnostics)
            .field("sources", &SourceNames(&self.sources))
            .finish()
    }
}

/// Shows sources as `NAME (N bytes)`.
struct SourceNames<'a>(&'a Sources);

impl fmt::Debug for SourceNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(_, s)| format!("{} ({} bytes)", s.name, s.text.len())),
            )
            .finish()
    }
}

/// Longest source line shown whole, in bytes. A longer line (a generated
/// list on one line, say) is shown as a window of at most [`SHOWN`]
/// characters around the label, so that the text printed for a diagnostic
/// does not grow with the line and the output stays linear in the input.
const LINE_CAP: usize = 240;

/// Characters shown of a line longer than [`LINE_CAP`].
const SHOWN: usize = 120;

/// Characters shown before a label's start in a window.
const BEFORE: usize = 40;

/// Bytes between two entries of [`SourceFile::char_marks`].
const MARK: usize = 4096;

/// One source file with its line starts and character counts, computed
/// once, so that every line, column and window costs at most a binary
/// search and a scan of [`MARK`] bytes, never a scan from the file's
/// start.
struct SourceFile<'s> {
    name: &'s str,
    text: &'s str,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// `char_marks[k]`: characters in `text[..k * MARK]`.
    char_marks: Vec<usize>,
}

impl<'s> SourceFile<'s> {
    fn new(name: &'s str, text: &'s str) -> SourceFile<'s> {
        let line_starts = codespan_reporting::files::line_starts(text).collect();
        let mut char_marks = vec![0];
        let mut n = 0;
        for chunk in text.as_bytes().chunks(MARK) {
            n += chars_in(chunk);
            char_marks.push(n);
        }
        SourceFile {
            name,
            text,
            line_starts,
            char_marks,
        }
    }

    /// Characters before byte `b`.
    fn chars_before(&self, b: usize) -> usize {
        let b = b.min(self.text.len());
        let k = b / MARK;
        let tail = self.text.as_bytes().get(k * MARK..b).unwrap_or_default();
        self.char_marks.get(k).copied().unwrap_or(0) + chars_in(tail)
    }

    fn line_index(&self, b: usize) -> usize {
        self.line_starts
            .binary_search(&b)
            .unwrap_or_else(|next| next.saturating_sub(1))
    }

    /// The byte range of a line, its line break excluded.
    fn line(&self, index: usize) -> std::ops::Range<usize> {
        let start = self
            .line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |n| n.saturating_sub(1));
        start..end.max(start)
    }

    /// 1-based line and column (in characters) of byte `b`.
    fn locate(&self, b: usize) -> (usize, usize) {
        let li = self.line_index(b);
        let start = self.line(li).start;
        (li + 1, self.chars_before(b) - self.chars_before(start) + 1)
    }

    /// The byte `n` characters before `b` (or the line start).
    fn back(&self, b: usize, n: usize, floor: usize) -> usize {
        let mut i = b;
        let mut left = n;
        while i > floor && left > 0 {
            i -= 1;
            if self.text.is_char_boundary(i) {
                left -= 1;
            }
        }
        i
    }

    /// The byte `n` characters after `b` (or the line end).
    fn forward(&self, b: usize, n: usize, ceiling: usize) -> usize {
        let mut i = b;
        let mut left = n;
        while i < ceiling && left > 0 {
            i += 1;
            if self.text.is_char_boundary(i) {
                left -= 1;
            }
        }
        i
    }
}

/// Characters in a byte slice of UTF-8 (bytes that start a character).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b as i8) >= -0x40).count()
}

/// What codespan is shown of the files for one diagnostic: every line
/// whole, except long lines, which are cut to a window.
struct View<'a, 's> {
    files: &'a [SourceFile<'s>],
    /// `(file, line index, bytes shown)` for long lines with a label.
    windows: Vec<(usize, usize, std::ops::Range<usize>)>,
}

impl View<'_, '_> {
    fn file(&self, id: usize) -> Result<&SourceFile<'_>, codespan_reporting::files::Error> {
        self.files
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    /// The window of a long line that has no label: its start.
    fn default_window(&self, id: usize, li: usize) -> Option<std::ops::Range<usize>> {
        let f = self.files.get(id)?;
        let line = f.line(li);
        (line.len() > LINE_CAP).then(|| line.start..f.forward(line.start, SHOWN, line.end))
    }

    /// Places a label's end point `at` (a byte of line `li`) in a window
    /// of that line; returns false if the line already has a window that
    /// does not hold it.
    fn place(&mut self, id: usize, li: usize, at: usize) -> bool {
        let Some(f) = self.files.get(id) else {
            return false;
        };
        let line = f.line(li);
        if line.len() <= LINE_CAP {
            return true;
        }
        if let Some((_, _, w)) = self.windows.iter().find(|(i, l, _)| *i == id && *l == li) {
            return w.start <= at && at <= w.end;
        }
        let start = f.back(at, BEFORE, line.start);
        let end = f.forward(start, SHOWN, line.end);
        self.windows.push((id, li, start..end));
        true
    }

    fn window(&self, id: usize, li: usize) -> Option<std::ops::Range<usize>> {
        self.windows
            .iter()
            .find(|(i, l, _)| *i == id && *l == li)
            .map(|(_, _, w)| w.clone())
    }
}

impl<'v> codespan_reporting::files::Files<'v> for View<'_, '_> {
    type FileId = usize;
    type Name = &'v str;
    type Source = &'v str;

    fn name(&'v self, id: usize) -> Result<&'v str, codespan_reporting::files::Error> {
        Ok(self.file(id)?.name)
    }

    fn source(&'v self, id: usize) -> Result<&'v str, codespan_reporting::files::Error> {
        Ok(self.file(id)?.text)
    }

    fn line_index(
        &'v self,
        id: usize,
        b: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.file(id)?.line_index(b))
    }

    fn column_number(
        &'v self,
        id: usize,
        _line_index: usize,
        b: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.file(id)?.locate(b).1)
    }

    fn line_range(
        &'v self,
        id: usize,
        li: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let f = self.file(id)?;
        if li >= f.line_starts.len() {
            return Err(codespan_reporting::files::Error::LineTooLarge {
                given: li,
                max: f.line_starts.len().saturating_sub(1),
            });
        }
        Ok(self
            .window(id, li)
            .or_else(|| self.default_window(id, li))
            .unwrap_or_else(|| f.line(li)))
    }
}

fn source_files(sources: &Sources) -> Vec<SourceFile<'_>> {
    sources
        .iter()
        .map(|(_, s)| SourceFile::new(&s.name, &s.text))
        .collect()
}

/// One diagnostic for codespan, with the windows its long lines are shown
/// through. A label that does not fit the window its line already has
/// becomes a note with its location.
fn prepare<'a, 's>(
    d: &Diagnostic,
    files: &'a [SourceFile<'s>],
) -> (CsDiagnostic<usize>, View<'a, 's>) {
    let mut view = View {
        files,
        windows: Vec::new(),
    };
    let mut cs = match d.severity {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
    }
    .with_code(d.code)
    .with_message(d.message.clone());
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    let all = std::iter::once((true, d.span, ""))
        .chain(d.labels.iter().map(|l| (false, l.span, l.message.as_str())));
    for (primary, span, message) in all {
        let id = span.file.0 as usize;
        let Some(f) = files.get(id) else { continue };
        let (start, end) = (span.start as usize, span.end as usize);
        let (start, end) = (start.min(f.text.len()), end.min(f.text.len()).max(start));
        let (sl, el) = (f.line_index(start), f.line_index(end));
        let fits = view.place(id, sl, start) && (sl == el || view.place(id, el, end));
        if !fits {
            let (line, col) = f.locate(start);
            notes.push(format!("{message}: {}:{line}:{col}", f.name));
            continue;
        }
        // A single-line label on a long line ends at its window's end.
        let end = match view.window(id, el) {
            Some(w) if sl == el => end.min(w.end),
            _ => end,
        };
        labels.push(if primary {
            CsLabel::primary(id, start..end)
        } else {
            CsLabel::secondary(id, start..end).with_message(message.to_string())
        });
    }
    for (id, li, w) in &view.windows {
        if let Some(f) = files.get(*id) {
            let line = f.line(*li);
            let from = f.chars_before(w.start) - f.chars_before(line.start) + 1;
            let to = f.chars_before(w.end) - f.chars_before(line.start);
            let total = f.chars_before(line.end) - f.chars_before(line.start);
            notes.push(format!(
                "line {} of `{}` is {total} characters long; characters {from} to {to} are shown",
                li + 1,
                f.name
            ));
        }
    }
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs = cs.with_labels(labels).with_notes(notes);
    (cs, view)
}
