//! Rendering diagnostics: rustc-style text, or JSON Lines.

use crate::output::{Output, Stopped};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::term::{
    self, Config,
    termcolor::{ColorChoice, StandardStream},
};
use semaforo::{Diagnostic, Severity, Sources};
use std::fmt::Write as _;

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-style text on stderr.
    #[default]
    Human,
    /// One JSON object per diagnostic on stdout.
    Json,
}

/// Prints diagnostics in the chosen format. Human output goes to stderr
/// (its write errors are ignored, like every other message); JSON goes to
/// stdout, whose write errors are returned.
pub(crate) fn diagnostics(
    diags: &[Diagnostic],
    sources: &Sources,
    format: Format,
) -> Result<(), Stopped> {
    match format {
        Format::Human => {
            human(diags, sources);
            Ok(())
        }
        Format::Json => json(diags, sources),
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

/// Prints diagnostics rustc-style on stderr.
pub(crate) fn human(diags: &[Diagnostic], sources: &Sources) {
    let files = source_files(sources);
    let choice = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let writer = StandardStream::stderr(choice);
    let config = Config::default();
    for d in diags {
        let (cs, view) = prepare(d, &files);
        let _ = term::emit(&mut writer.lock(), &config, &view, &cs);
    }
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

fn json(diags: &[Diagnostic], sources: &Sources) -> Result<(), Stopped> {
    let files = source_files(sources);
    // Line and column of a byte, as `Sources::locate` gives them, but from
    // the line starts computed once: many diagnostics in a large file
    // would otherwise each scan the file from its start.
    let locate = |span: semaforo::Span, at: u32| {
        files
            .get(span.file.0 as usize)
            .map_or(("<unknown>", 0, 0), |f| {
                let (l, c) = f.locate(at as usize);
                (f.name, l, c)
            })
    };
    let mut out = Output::stdout();
    let mut text = String::new();
    for d in diags {
        let (file, line, column) = locate(d.span, d.span.start);
        let (_, end_line, end_column) = locate(d.span, d.span.end);
        let v = serde_json::json!({
            "code": d.code,
            "severity": d.severity.to_string(),
            "message": d.message,
            "file": file,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "help": d.help,
            "labels": d.labels.iter().map(|l| {
                let (f, li, c) = locate(l.span, l.span.start);
                serde_json::json!({"message": l.message, "file": f, "line": li, "column": c})
            }).collect::<Vec<_>>(),
        });
        text.clear();
        let _ = writeln!(text, "{v}");
        out.write_str(&text)?;
    }
    out.finish()
}

/// A one-line summary such as `2 errors, 1 warning`.
pub(crate) fn summary(diags: &[Diagnostic]) -> String {
    let e = diags.iter().filter(|d| d.is_error()).count();
    let w = diags.len() - e;
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(e, "error"), plural(w, "warning"))
}
