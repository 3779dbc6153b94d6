//! The diagnostics handle: every error and warning of a compilation, with
//! locations resolved and a rendered text.

use super::status::{Status, guard, semaforo_status};
use super::util::{free_handle, handle, semaforo_str, write, write_str};
use semaforo_core::{Diagnostic, Severity, Source, Sources};
use std::ffi::c_char;
use std::fmt::Write as _;

/// `semaforo_diagnostic.severity` of an error.
pub const SEMAFORO_SEVERITY_ERROR: u32 = 1;
/// `semaforo_diagnostic.severity` of a warning.
pub const SEMAFORO_SEVERITY_WARNING: u32 = 2;

/// One diagnostic, as filled by `semaforo_diagnostics_get`. The strings are
/// borrowed from the diagnostics handle.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct semaforo_diagnostic {
    /// Stable code such as `E0201`.
    pub code: semaforo_str,
    /// `SEMAFORO_SEVERITY_ERROR` or `SEMAFORO_SEVERITY_WARNING`.
    pub severity: u32,
    /// One-line message.
    pub message: semaforo_str,
    /// Extra advice (`did you mean ...`); length 0 when there is none.
    pub help: semaforo_str,
    /// The name of the source file, as given to the compiler.
    pub file: semaforo_str,
    /// 1-based line (0 when the location is unknown).
    pub line: u32,
    /// 1-based column in characters (0 when the location is unknown).
    pub column: u32,
}

struct Entry {
    code: &'static str,
    severity: u32,
    message: String,
    help: String,
    file: String,
    line: u32,
    column: u32,
}

/// The diagnostics of one compilation (errors and warnings, in the
/// compiler's stable order). Immutable: may be read from several threads.
/// Free with `semaforo_diagnostics_free`.
pub struct semaforo_diagnostics {
    entries: Vec<Entry>,
    rendered: String,
    errors: usize,
}

impl semaforo_diagnostics {
    /// Resolves the locations of `diagnostics` in `sources` and renders them
    /// (`Sources` indexes each source's lines once, so this is linear in the
    /// sources and the diagnostics).
    pub(crate) fn new(diagnostics: &[Diagnostic], sources: &Sources) -> semaforo_diagnostics {
        let mut entries = Vec::with_capacity(diagnostics.len());
        let mut rendered = String::new();
        for d in diagnostics {
            let source = sources.get(d.span.file);
            let name = source.map_or("<unknown>", |s| s.name.as_str());
            let (line, column) = source.map_or((0, 0), |s| s.line_col(d.span.start));
            let end = source.map_or((0, 0), |s| s.line_col(d.span.end));
            render(&mut rendered, d, name, (line, column), end, source);
            entries.push(Entry {
                code: d.code,
                severity: match d.severity {
                    Severity::Error => SEMAFORO_SEVERITY_ERROR,
                    Severity::Warning => SEMAFORO_SEVERITY_WARNING,
                },
                message: d.message.clone(),
                help: d.help.clone().unwrap_or_default(),
                file: name.to_string(),
                line,
                column,
            });
        }
        semaforo_diagnostics {
            errors: diagnostics.iter().filter(|d| d.is_error()).count(),
            entries,
            rendered,
        }
    }
}

/// Lines longer than this many bytes are shown as a window.
const LONG_LINE: usize = 240;
/// Characters a window shows.
const WINDOW: usize = 120;
/// Characters a window shows before the column.
const BEFORE: usize = 40;

/// The part of a source line shown under a diagnostic.
struct Window<'a> {
    /// The text shown.
    text: &'a str,
    /// The shown text before the diagnostic's column (for the caret).
    before: &'a str,
    /// Whether the line starts before, or goes on after, the text shown.
    cut_before: bool,
    cut_after: bool,
}

/// The window of `line` shown for a diagnostic at byte `at` of it: the
/// whole line when it is short, else at most [`WINDOW`] characters from
/// [`BEFORE`] characters before `at`. Costs `O(WINDOW)` for a long line.
fn window(line: &str, at: usize) -> Window<'_> {
    let at = (0..=at)
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0);
    if line.len() <= LONG_LINE {
        return Window {
            text: line,
            before: line.get(..at).unwrap_or(""),
            cut_before: false,
            cut_after: false,
        };
    }
    let head = line.get(..at).unwrap_or("");
    let start = head
        .char_indices()
        .rev()
        .take(BEFORE)
        .last()
        .map_or(at, |(i, _)| i);
    let tail = line.get(start..).unwrap_or("");
    let len = tail
        .char_indices()
        .nth(WINDOW)
        .map_or(tail.len(), |(i, _)| i);
    Window {
        text: tail.get(..len).unwrap_or(""),
        before: line.get(start..at).unwrap_or(""),
        cut_before: start > 0,
        cut_after: start + len < line.len(),
    }
}

/// Appends one diagnostic in the familiar compiler form:
///
/// ```text
/// rules.sem:4:8: error[E0201]: unknown field `orign`
///   4 | when orign == "CN"
///     |      ^^^^^
///     = help: did you mean `origin`?
/// ```
fn render(
    out: &mut String,
    d: &Diagnostic,
    file: &str,
    (line, col): (u32, u32),
    (end_line, end_col): (u32, u32),
    source: Option<&Source>,
) {
    let _ = writeln!(
        out,
        "{file}:{line}:{col}: {}[{}]: {}",
        d.severity, d.code, d.message
    );
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let shown = source.and_then(|s| {
        let text = s.line_text(line)?;
        let at = d.span.start.checked_sub(s.line_start(line)?)? as usize;
        Some((text, at))
    });
    if let Some((text, at)) = shown.filter(|_| line > 0) {
        let width = if end_line == line && end_col > col {
            (end_col - col) as usize
        } else {
            1
        };
        let w = window(text, at.min(text.len()));
        let _ = writeln!(
            out,
            "  {number} | {}{}{}",
            if w.cut_before { "…" } else { "" },
            w.text,
            if w.cut_after { "…" } else { "" }
        );
        let indent: String = w
            .before
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let lead = if w.cut_before { " " } else { "" };
        let width = width.min(WINDOW);
        let _ = writeln!(out, "  {pad} | {lead}{indent}{}", "^".repeat(width));
    }
    if let Some(h) = &d.help {
        let _ = writeln!(out, "  {pad} = help: {h}");
    }
}

/// Frees a diagnostics handle; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_diagnostics_free(diagnostics: *mut semaforo_diagnostics) {
    let _ = guard(|| {
        // SAFETY: the caller passes NULL or a handle from this library.
        unsafe { free_handle(diagnostics) };
        Ok(())
    });
}

/// The number of diagnostics (errors and warnings).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_diagnostics_count(
    diagnostics: *const semaforo_diagnostics,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let d = unsafe { handle(diagnostics) }?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, d.entries.len()) }
    })
}

/// The number of errors among the diagnostics.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_diagnostics_error_count(
    diagnostics: *const semaforo_diagnostics,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let d = unsafe { handle(diagnostics) }?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, d.errors) }
    })
}

/// Fills `out` with diagnostic number `index` (0-based, below the count).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_diagnostics_get(
    diagnostics: *const semaforo_diagnostics,
    index: usize,
    out: *mut semaforo_diagnostic,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let d = unsafe { handle(diagnostics) }?;
        let e = d
            .entries
            .get(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        let v = semaforo_diagnostic {
            code: semaforo_str::of(e.code),
            severity: e.severity,
            message: semaforo_str::of(&e.message),
            help: semaforo_str::of(&e.help),
            file: semaforo_str::of(&e.file),
            line: e.line,
            column: e.column,
        };
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out, v) }
    })
}

/// Every diagnostic rendered as text (`file:line:col: error[CODE]: message`,
/// the source line and a caret under the span, and a help line), one after
/// the other. A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_diagnostics_rendered(
    diagnostics: *const semaforo_diagnostics,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let d = unsafe { handle(diagnostics) }?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(&d.rendered, out_ptr, out_len) }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "a test")]

    use super::*;

    #[test]
    fn short_lines_are_shown_whole() {
        let w = window("when orign == \"CN\"", 5);
        assert_eq!((w.text, w.before), ("when orign == \"CN\"", "when "));
        assert!(!w.cut_before && !w.cut_after);
    }

    #[test]
    fn long_lines_are_shown_as_a_window_at_the_column() {
        let line = format!("{}ñX{}", "a".repeat(1000), "b".repeat(1000));
        let at = line.find('X').unwrap();
        let w = window(&line, at);
        assert_eq!(w.text.chars().count(), WINDOW);
        assert_eq!(w.before.chars().count(), BEFORE);
        assert!(w.before.ends_with('ñ') && w.text.contains('X'));
        assert!(w.cut_before && w.cut_after);
        // At the very start and end of the line.
        assert!(!window(&line, 0).cut_before);
        let end = window(&line, line.len());
        assert!(end.cut_before && !end.cut_after);
        // Inside a multi-byte character: from its start.
        let w = window(&line, at - 1);
        assert!(w.before.ends_with('a'));
    }

    /// Many warnings on one very long line: each shows a window of it, so
    /// the rendered text grows with the warnings, not warnings × line.
    #[test]
    fn warnings_on_a_very_long_line_render_in_linear_size() {
        let values: Vec<String> = (0..2_000)
            .map(|i| format!("\"V{i:05}\", \"V{i:05}\""))
            .collect();
        let source = format!(
            "ruleset \"r\" version \"1\"\nschema d {{ key id: text\n  x: text }}\nlist l = [{}]\nrule R \"r\" {{ when x in l then score 1 }}\n",
            values.join(", ")
        );
        let mut c = semaforo_core::Compiler::new();
        c.add_source("long.sem", source.as_str());
        let rs = c.compile().unwrap();
        let warnings = rs.warnings();
        assert_eq!(warnings.len(), 2_000);
        let d = semaforo_diagnostics::new(warnings, rs.sources());
        assert!(source.len() > 40_000);
        assert!(
            d.rendered.len() < warnings.len() * 600,
            "{} bytes rendered",
            d.rendered.len()
        );
        assert!(d.rendered.contains("  4 | …"));
    }
}
