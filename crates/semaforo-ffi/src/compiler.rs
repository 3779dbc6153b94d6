//! The compiler handle: sources and external data in, a ruleset out.

use super::diagnostics::semaforo_diagnostics;
use super::ruleset::semaforo_ruleset;
use super::status::{Status, guard, semaforo_status};
use super::util::{array, free_handle, handle, handle_mut, into_handle, out, semaforo_str, text};
use semaforo_core::Compiler;
use std::ffi::c_char;

/// Collects rule sources, external lists and tables. Belongs to one thread
/// at a time. Free with `semaforo_compiler_free`.
pub struct semaforo_compiler {
    inner: Compiler,
}

/// Creates an empty compiler.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_new(
    out_compiler: *mut *mut semaforo_compiler,
) -> semaforo_status {
    guard(|| {
        let o = out(out_compiler)?;
        // SAFETY: `o` is non-NULL and writable by contract.
        unsafe {
            o.write(into_handle(semaforo_compiler {
                inner: Compiler::new(),
            }))
        };
        Ok(())
    })
}

/// Frees a compiler; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_free(compiler: *mut semaforo_compiler) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle from `semaforo_compiler_new`, by contract.
        unsafe { free_handle(compiler) };
        Ok(())
    });
}

/// Reads the strings of an array of `semaforo_str`.
///
/// # Safety
/// `items` must be NULL (with `count` 0) or point at `count` values whose
/// pointers are valid for their lengths.
unsafe fn strings(items: *const semaforo_str, count: usize) -> Result<Vec<String>, Status> {
    // SAFETY: forwarded contract.
    let items = unsafe { array(items, count) }?;
    items
        .iter()
        // SAFETY: each entry is valid for its length by contract.
        .map(|s| unsafe { text(s.ptr, s.len) }.map(str::to_string))
        .collect::<Result<_, _>>()
        .map_err(Status::from)
}

/// Adds a rule source. `name` is shown in diagnostics (e.g. a relative
/// path); sources are compiled in the order they are added.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_add_source(
    compiler: *mut semaforo_compiler,
    name: *const c_char,
    name_len: usize,
    source: *const c_char,
    source_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: all pointers follow the crate contract.
        let (c, name, source) = unsafe {
            (
                handle_mut(compiler)?,
                text(name, name_len)?,
                text(source, source_len)?,
            )
        };
        c.inner.add_source(name, source);
        Ok(())
    })
}

/// Supplies the external list `name` as `count` entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_add_list(
    compiler: *mut semaforo_compiler,
    name: *const c_char,
    name_len: usize,
    entries: *const semaforo_str,
    count: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: all pointers follow the crate contract.
        let (c, name, entries) = unsafe {
            (
                handle_mut(compiler)?,
                text(name, name_len)?,
                strings(entries, count)?,
            )
        };
        c.inner.add_list(name, entries);
        Ok(())
    })
}

/// Supplies the external list `name` as the text of a list file (one entry
/// per line; `#` comments and blank lines skipped). `file_name` is shown in
/// diagnostics.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_add_list_file(
    compiler: *mut semaforo_compiler,
    name: *const c_char,
    name_len: usize,
    file_name: *const c_char,
    file_name_len: usize,
    contents: *const c_char,
    contents_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: all pointers follow the crate contract.
        let (c, name, file, contents) = unsafe {
            (
                handle_mut(compiler)?,
                text(name, name_len)?,
                text(file_name, file_name_len)?,
                text(contents, contents_len)?,
            )
        };
        c.inner.add_list_file(name, file, contents);
        Ok(())
    })
}

/// Supplies the external table `name` as `count` key/value pairs
/// (`keys[i]` maps to `values[i]`; values are written as in a table file:
/// `12.5`, `true`, `2026-01-31` or text).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_add_table(
    compiler: *mut semaforo_compiler,
    name: *const c_char,
    name_len: usize,
    keys: *const semaforo_str,
    values: *const semaforo_str,
    count: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: all pointers follow the crate contract.
        let (c, name, keys, values) = unsafe {
            (
                handle_mut(compiler)?,
                text(name, name_len)?,
                strings(keys, count)?,
                strings(values, count)?,
            )
        };
        c.inner.add_table(name, keys.into_iter().zip(values));
        Ok(())
    })
}

/// Supplies the external table `name` as the text of a CSV file with the
/// header `key,value`. `file_name` is shown in diagnostics.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_add_table_file(
    compiler: *mut semaforo_compiler,
    name: *const c_char,
    name_len: usize,
    file_name: *const c_char,
    file_name_len: usize,
    contents: *const c_char,
    contents_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: all pointers follow the crate contract.
        let (c, name, file, contents) = unsafe {
            (
                handle_mut(compiler)?,
                text(name, name_len)?,
                text(file_name, file_name_len)?,
                text(contents, contents_len)?,
            )
        };
        c.inner.add_table_file(name, file, contents);
        Ok(())
    })
}

/// Compiles everything added so far. The compiler is not changed and may
/// compile again.
///
/// On success returns `SEMAFORO_OK` and writes `*out_ruleset`. On errors in
/// the rules or external data returns `SEMAFORO_COMPILE_FAILED` and writes
/// no ruleset. In both cases, if `out_diagnostics` is not NULL, a
/// diagnostics handle is written to it (errors on failure, warnings on
/// success; possibly empty) which the caller frees; on any other status
/// nothing is written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_compiler_compile(
    compiler: *const semaforo_compiler,
    out_ruleset: *mut *mut semaforo_ruleset,
    out_diagnostics: *mut *mut semaforo_diagnostics,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let c = unsafe { handle(compiler) }?;
        let o = out(out_ruleset)?;
        match c.inner.compile() {
            Ok(rs) => {
                if !out_diagnostics.is_null() {
                    let d = semaforo_diagnostics::new(rs.warnings(), rs.sources());
                    // SAFETY: non-NULL and writable by contract.
                    unsafe { out_diagnostics.write(into_handle(d)) };
                }
                // SAFETY: `o` is non-NULL and writable by contract.
                unsafe { o.write(semaforo_ruleset::into_handle(rs)) };
                Ok(())
            }
            Err(e) => {
                if !out_diagnostics.is_null() {
                    let d = semaforo_diagnostics::new(&e.diagnostics, &e.sources);
                    // SAFETY: non-NULL and writable by contract.
                    unsafe { out_diagnostics.write(into_handle(d)) };
                }
                Err(Status::SEMAFORO_COMPILE_FAILED)
            }
        }
    })
}
