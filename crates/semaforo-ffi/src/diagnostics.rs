//! The diagnostics handle: every error and warning of a compilation, with
//! locations resolved and a rendered text.

use super::lines::LineIndex;
use super::status::{Status, guard, semaforo_status};
use super::util::{free_handle, handle, semaforo_str, write, write_str};
use semaforo_core::{Diagnostic, Severity, Sources};
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
    /// Resolves the locations of `diagnostics` in `sources` and renders them,
    /// indexing the lines of each source once (see `lines`).
    pub(crate) fn new(diagnostics: &[Diagnostic], sources: &Sources) -> semaforo_diagnostics {
        let mut entries = Vec::with_capacity(diagnostics.len());
        let mut rendered = String::new();
        let mut indexes: Vec<Option<LineIndex<'_>>> = Vec::new();
        for d in diagnostics {
            let file = d.span.file.0 as usize;
            let source = sources.get(d.span.file);
            if indexes.len() <= file {
                indexes.resize_with(file + 1, || None);
            }
            let index = match (indexes.get_mut(file), source) {
                (Some(slot), Some(s)) => {
                    Some(&*slot.get_or_insert_with(|| LineIndex::new(&s.text)))
                }
                _ => None,
            };
            let name = source.map_or("<unknown>", |s| s.name.as_str());
            let (line, column) = index.map_or((0, 0), |ix| ix.locate(d.span.start));
            let end = index.map_or((0, 0), |ix| ix.locate(d.span.end));
            render(&mut rendered, d, name, (line, column), end, index);
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
    index: Option<&LineIndex<'_>>,
) {
    let _ = writeln!(
        out,
        "{file}:{line}:{col}: {}[{}]: {}",
        d.severity, d.code, d.message
    );
    let source_line = index.and_then(|ix| ix.line(line));
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    if let Some(text) = source_line.filter(|_| line > 0) {
        let _ = writeln!(out, "  {number} | {text}");
        let width = if end_line == line && end_col > col {
            (end_col - col) as usize
        } else {
            1
        };
        let indent: String = text
            .chars()
            .take(col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "  {pad} | {indent}{}", "^".repeat(width));
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
