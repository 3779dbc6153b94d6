//! The ruleset handle (immutable, shared by threads) and field handles.

use super::status::{Status, guard, input_status, semaforo_status};
use super::util::{free_handle, handle, into_handle, out, text, write, write_str};
use semaforo_core::{FieldHandle, FieldType, Ruleset};
use std::ffi::c_char;
use std::sync::Arc;

/// `semaforo_field_type` of a text field.
pub const SEMAFORO_TYPE_TEXT: u32 = 1;
/// `semaforo_field_type` of a number field.
pub const SEMAFORO_TYPE_NUMBER: u32 = 2;
/// `semaforo_field_type` of a bool field.
pub const SEMAFORO_TYPE_BOOL: u32 = 3;
/// `semaforo_field_type` of a date field.
pub const SEMAFORO_TYPE_DATE: u32 = 4;
/// `semaforo_field_type` of a list of records.
pub const SEMAFORO_TYPE_LIST: u32 = 5;

/// A compiled ruleset, reference-counted. Immutable: any number of
/// threads may use one handle at the same time. `semaforo_compiler_compile`
/// returns it with one reference; `semaforo_ruleset_retain` adds one and
/// `semaforo_ruleset_release` (or `semaforo_ruleset_free`) drops one; the
/// handle is freed with its last reference. Declarations, evaluators and
/// field handles made from it keep the compiled rules alive on their own,
/// so references may be dropped before them. See docs/c-abi.md, "Reloading
/// rules", for sharing a ruleset that another thread replaces.
pub struct semaforo_ruleset {
    pub(crate) inner: Ruleset,
}

impl semaforo_ruleset {
    /// Moves a compiled ruleset into a new handle holding one reference.
    pub(crate) fn into_handle(inner: Ruleset) -> *mut semaforo_ruleset {
        // INVARIANT (arc): every `semaforo_ruleset` pointer the library hands
        // out comes from `Arc::into_raw`, so retain and release may count it.
        Arc::into_raw(Arc::new(semaforo_ruleset { inner })).cast_mut()
    }
}

/// A field resolved once by path (`importer`, `items.net_kg`), used to fill
/// declarations of the ruleset it was resolved in. Immutable: may be shared
/// by threads. Free with `semaforo_field_free`.
pub struct semaforo_field {
    pub(crate) handle: FieldHandle,
    /// The path it was resolved from (`items.net_kg`), for messages.
    pub(crate) path: Box<str>,
    /// The compilation it was resolved in (`Ruleset::same_compilation`).
    pub(crate) ruleset: Ruleset,
}

/// Adds a reference to a ruleset handle, to be dropped with
/// `semaforo_ruleset_release`. Thread-safe. The handle must stay live during
/// the call: a reference held by any thread suffices, such as the one a
/// mutex-guarded "current ruleset" pointer owns, read under that mutex
/// (docs/c-abi.md, "Reloading rules"). Returns `SEMAFORO_NULL_PARAMETER`
/// for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_retain(
    ruleset: *const semaforo_ruleset,
) -> semaforo_status {
    guard(|| {
        if ruleset.is_null() {
            return Err(Status::SEMAFORO_NULL_PARAMETER);
        }
        // SAFETY: INVARIANT (arc): the pointer came from `Arc::into_raw`, and
        // by contract some reference keeps it live during the call, so the
        // count is at least one.
        unsafe { Arc::increment_strong_count(ruleset) };
        Ok(())
    })
}

/// Drops one reference to a ruleset handle; the last one frees it. NULL is
/// ignored. Declarations, evaluators and field handles made from it stay
/// valid. After this call the caller must not use its reference again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_release(ruleset: *const semaforo_ruleset) {
    let _ = guard(|| {
        if !ruleset.is_null() {
            // SAFETY: INVARIANT (arc): the pointer came from `Arc::into_raw`
            // and the caller gives up one reference it holds.
            unsafe { Arc::decrement_strong_count(ruleset) };
        }
        Ok(())
    });
}

/// The same as `semaforo_ruleset_release`: drops one reference (the one
/// `semaforo_compiler_compile` returned, if it was never retained) and frees
/// the handle with the last. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_free(ruleset: *mut semaforo_ruleset) {
    // SAFETY: forwarded contract.
    unsafe { semaforo_ruleset_release(ruleset) }
}

/// The ruleset's name (`ruleset NAME`). A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_name(
    ruleset: *const semaforo_ruleset,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(handle(ruleset)?.inner.name(), out_ptr, out_len) }
    })
}

/// The ruleset's version string. A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_version(
    ruleset: *const semaforo_ruleset,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(handle(ruleset)?.inner.version(), out_ptr, out_len) }
    })
}

/// The ruleset's fingerprint (SHA-256 over sources and external data) as 64
/// lowercase hex digits. A borrowed string. The fingerprint covers the rules
/// and their data; the engine version that gives them their meaning is
/// `semaforo_version()`. Outcomes carry both (`ruleset.fingerprint` and
/// `ruleset.engine` in `semaforo_evaluator_outcome_json`): two outcomes with
/// the same pair were decided identically, given the same date and key.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_fingerprint(
    ruleset: *const semaforo_ruleset,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(handle(ruleset)?.inner.fingerprint_hex(), out_ptr, out_len) }
    })
}

/// The number of lanes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_lane_count(
    ruleset: *const semaforo_ruleset,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write(out_count, handle(ruleset)?.inner.lanes().len()) }
    })
}

/// The name of lane `index` (0 = the default, least severe). A borrowed
/// string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_lane_name(
    ruleset: *const semaforo_ruleset,
    index: usize,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(ruleset) }?;
        let lane = r
            .inner
            .lanes()
            .get(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(lane, out_ptr, out_len) }
    })
}

/// Resolves a field by path: `importer` for a field of the declaration,
/// `items.net_kg` for a field of the records in the list `items` (any
/// depth). Resolve once, use for every declaration; free with
/// `semaforo_field_free`. Returns `SEMAFORO_UNKNOWN_FIELD` for a path that
/// names no field.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_ruleset_field(
    ruleset: *const semaforo_ruleset,
    path: *const c_char,
    path_len: usize,
    out_field: *mut *mut semaforo_field,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let (r, path) = unsafe { (handle(ruleset)?, text(path, path_len)?) };
        let o = out(out_field)?;
        let h = r.inner.field(path).map_err(|e| input_status(&e))?;
        let f = semaforo_field {
            handle: h,
            path: path.into(),
            ruleset: r.inner.clone(),
        };
        // SAFETY: non-NULL and writable by contract.
        unsafe { o.write(into_handle(f)) };
        Ok(())
    })
}

/// Frees a field handle; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_field_free(field: *mut semaforo_field) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle from `semaforo_ruleset_field`.
        unsafe { free_handle(field) };
        Ok(())
    });
}

/// The field's type: one of the `SEMAFORO_TYPE_*` constants.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_field_type(
    field: *const semaforo_field,
    out_type: *mut u32,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let f = unsafe { handle(field) }?;
        let t = match f.handle.field_type() {
            FieldType::Text => SEMAFORO_TYPE_TEXT,
            FieldType::Number => SEMAFORO_TYPE_NUMBER,
            FieldType::Bool => SEMAFORO_TYPE_BOOL,
            FieldType::Date => SEMAFORO_TYPE_DATE,
            FieldType::List(_) => SEMAFORO_TYPE_LIST,
        };
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_type, t) }
    })
}
