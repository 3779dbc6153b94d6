//! The diagnostics handle: every error and warning of a compilation, with
//! locations resolved and a rendered text.

use super::status::{Status, guard, semaforo_status};
use super::util::{free_handle, handle, semaforo_str, write, write_str};
use semaforo_core::{Diagnostic, Severity, Sources};
use std::ffi::c_char;

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
    /// with the facade's renderer (`semaforo::render::render_text`, as the
    /// `semaforo` command shows them, without colour). `Sources` indexes
    /// each source's lines once, so this is linear in the sources and the
    /// diagnostics.
    pub(crate) fn new(diagnostics: &[Diagnostic], sources: &Sources) -> semaforo_diagnostics {
        let mut entries = Vec::with_capacity(diagnostics.len());
        let rendered = semaforo_core::render::render_text(diagnostics, sources, false);
        for d in diagnostics {
            let source = sources.get(d.span.file);
            let name = source.map_or("<unknown>", |s| s.name.as_str());
            let (line, column) = source.map_or((0, 0), |s| s.line_col(d.span.start));
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

impl semaforo_diagnostics {
    /// One error that is not about a place in a source: `code` (such as
    /// `bundle-tampered`, never a language code `E0xxx`), the `file` it
    /// names (a path inside a bundle, or `<bundle>`), line and column 0.
    pub(crate) fn single(
        code: &'static str,
        file: String,
        message: String,
    ) -> semaforo_diagnostics {
        let rendered = format!("error[{code}]: {message}\n  ┌─ {file}\n");
        semaforo_diagnostics {
            entries: vec![Entry {
                code,
                severity: SEMAFORO_SEVERITY_ERROR,
                message,
                help: String::new(),
                file,
                line: 0,
                column: 0,
            }],
            rendered,
            errors: 1,
        }
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

/// Every diagnostic rendered as text, exactly as `semaforo check` shows it
/// without colour (`error[CODE]: message`, `┌─ file:line:col`, the source
/// lines with carets under the spans, a window of very long lines, and a
/// help line), one after the other. UTF-8; a borrowed string.
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
            d.rendered.len() < warnings.len() * 1_000,
            "{} bytes rendered",
            d.rendered.len()
        );
        assert!(d.rendered.contains("long.sem:4:"));
    }
}
