//! Pointer helpers shared by every export: each turns a raw argument into a
//! Rust reference or slice, reporting NULL and invalid UTF-8 as statuses.

use super::status::Status;
use semaforo_core::SamplingKey;
use std::ffi::c_char;
use std::fmt::Write as _;

/// A string passed by pointer and length (UTF-8, not NUL-terminated), used
/// in arrays of strings and in structs the library fills.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct semaforo_str {
    /// The first byte; may be NULL when `len` is 0.
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl semaforo_str {
    /// A borrowed view of a Rust string.
    pub(crate) fn of(s: &str) -> semaforo_str {
        semaforo_str {
            ptr: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

/// A shared reference from a handle pointer.
///
/// # Safety
/// `p` must be NULL or valid for reads for `'a`.
pub(crate) unsafe fn handle<'a, T>(p: *const T) -> Result<&'a T, Status> {
    // SAFETY: the caller guarantees `p` is NULL or valid; `as_ref` maps
    // NULL to `None`.
    unsafe { p.as_ref() }.ok_or(Status::SEMAFORO_NULL_PARAMETER)
}

/// An exclusive reference from a handle pointer.
///
/// # Safety
/// `p` must be NULL or valid for reads and writes for `'a`, with no other
/// reference to it alive.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T) -> Result<&'a mut T, Status> {
    // SAFETY: as for `handle`; exclusivity is the caller's promise (a
    // handle belongs to one thread at a time).
    unsafe { p.as_mut() }.ok_or(Status::SEMAFORO_NULL_PARAMETER)
}

/// Why a pointer/length argument was refused: the status it gives and
/// the detail the handles that keep a `last_error` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgError {
    /// NULL with a non-zero length.
    Null,
    /// A length whose byte size does not fit in `isize`.
    TooLong,
    /// Not UTF-8: `at` is the offset of the first invalid byte.
    Utf8 { at: usize },
}

impl ArgError {
    /// The status a C caller gets.
    pub(crate) fn status(self) -> Status {
        match self {
            ArgError::Null => Status::SEMAFORO_NULL_PARAMETER,
            ArgError::TooLong => Status::SEMAFORO_INVALID_ARGUMENT,
            ArgError::Utf8 { .. } => Status::SEMAFORO_INVALID_UTF8,
        }
    }

    /// Writes the message for the argument `what` (`json`, `` `items.hs` ``
    /// value, ...), lowercase without a final period.
    pub(crate) fn describe(self, out: &mut String, what: &str) {
        out.clear();
        let _ = match self {
            ArgError::Null => write!(out, "{what}: NULL pointer with a non-zero length"),
            ArgError::TooLong => write!(out, "{what}: length larger than `isize::MAX` bytes"),
            ArgError::Utf8 { at } => {
                write!(out, "{what}: invalid UTF-8 at byte offset {at}")
            }
        };
    }
}

impl From<ArgError> for Status {
    fn from(e: ArgError) -> Status {
        e.status()
    }
}

/// The bytes `ptr[..len]`; NULL is allowed only with `len == 0`.
///
/// # Safety
/// If non-NULL, `ptr` must be valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const c_char, len: usize) -> Result<&'a [u8], ArgError> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(ArgError::Null)
        };
    }
    if len > isize::MAX as usize {
        return Err(ArgError::TooLong);
    }
    // SAFETY: `ptr` is non-NULL and the caller guarantees `len` readable
    // bytes; `len` fits in `isize` as `from_raw_parts` requires.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// The UTF-8 text `ptr[..len]`.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(ptr: *const c_char, len: usize) -> Result<&'a str, ArgError> {
    // SAFETY: forwarded contract.
    let b = unsafe { bytes(ptr, len) }?;
    std::str::from_utf8(b).map_err(|e| ArgError::Utf8 {
        at: e.valid_up_to(),
    })
}

/// A slice of `T` from a pointer and a count; NULL only with `count == 0`.
///
/// # Safety
/// If non-NULL, `ptr` must be valid for reads of `count` values for `'a`.
pub(crate) unsafe fn array<'a, T>(ptr: *const T, count: usize) -> Result<&'a [T], ArgError> {
    if ptr.is_null() {
        return if count == 0 {
            Ok(&[])
        } else {
            Err(ArgError::Null)
        };
    }
    if count
        .checked_mul(size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(ArgError::TooLong);
    }
    // SAFETY: non-NULL, and the caller guarantees `count` readable values;
    // the total size fits in `isize`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// Checks that an out-parameter is non-NULL.
pub(crate) fn out<T>(p: *mut T) -> Result<*mut T, Status> {
    if p.is_null() {
        Err(Status::SEMAFORO_NULL_PARAMETER)
    } else {
        Ok(p)
    }
}

/// Writes a borrowed string to a pointer/length out-parameter pair, after
/// checking both are non-NULL.
///
/// # Safety
/// `ptr_out` and `len_out` must be NULL or writable.
pub(crate) unsafe fn write_str(
    s: &str,
    ptr_out: *mut *const c_char,
    len_out: *mut usize,
) -> Result<(), Status> {
    let p = out(ptr_out)?;
    let l = out(len_out)?;
    // SAFETY: both are non-NULL and the caller guarantees they are writable.
    unsafe {
        p.write(s.as_ptr().cast());
        l.write(s.len());
    }
    Ok(())
}

/// Writes a value to a checked out-parameter.
///
/// # Safety
/// `p` must be NULL or writable.
pub(crate) unsafe fn write<T>(p: *mut T, v: T) -> Result<(), Status> {
    let p = out(p)?;
    // SAFETY: non-NULL and writable by the caller's promise.
    unsafe { p.write(v) };
    Ok(())
}

/// Moves a value to the heap and returns the handle pointer.
pub(crate) fn into_handle<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Frees a handle made by [`into_handle`]; NULL is ignored.
///
/// # Safety
/// `p` must be NULL or a pointer from `into_handle::<T>` not yet freed.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: `p` came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Overwrites a sampling key with zeros in a way the optimiser may not
/// remove as a dead store, so a freed handle does not leave the secret in
/// the heap for a later allocation (or a core dump) to reveal.
pub(crate) fn wipe_key(key: &mut SamplingKey) {
    for b in &mut key.0 {
        // SAFETY: `b` is a valid, aligned, exclusive reference to a byte.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}
