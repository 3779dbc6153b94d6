//! The evaluation context handle: today's date, the sampling key and its
//! label.

use super::status::{Status, guard, semaforo_status};
use super::util::{array, free_handle, handle_mut, into_handle, out, text, wipe_key};
use semaforo_core::{Context, Date, SamplingKey};
use std::ffi::c_char;

/// The host's evaluation settings: the evaluation date, the secret 16-byte
/// sampling key and a label for it (recorded in outcomes; never the key).
/// A context may be read by several threads at once (evaluations take it
/// `const`) as long as no thread changes it. Free with
/// `semaforo_context_free`.
pub struct semaforo_context {
    pub(crate) inner: Context,
}

impl Drop for semaforo_context {
    /// Wipes the secret key before the memory goes back to the allocator.
    fn drop(&mut self) {
        wipe_key(&mut self.inner.sampling_key);
    }
}

/// Creates a context for the date `year`-`month`-`day`, without a sampling
/// key: set the administration's secret key with
/// `semaforo_context_set_sampling_key` before evaluating a ruleset that
/// draws (a `sample` or a lane split), which otherwise refuses to evaluate
/// with `SEMAFORO_NO_SAMPLING_KEY` rather than draw with a key nobody chose.
/// Returns `SEMAFORO_INVALID_DATE` for a date that does not exist.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_context_new(
    year: i32,
    month: u32,
    day: u32,
    out_context: *mut *mut semaforo_context,
) -> semaforo_status {
    guard(|| {
        let o = out(out_context)?;
        let today = Date::from_ymd(year, month, day).ok_or(Status::SEMAFORO_INVALID_DATE)?;
        let c = semaforo_context {
            inner: Context::without_sampling(today),
        };
        // SAFETY: non-NULL and writable by contract.
        unsafe { o.write(into_handle(c)) };
        Ok(())
    })
}

/// Frees a context; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_context_free(context: *mut semaforo_context) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle from `semaforo_context_new`.
        unsafe { free_handle(context) };
        Ok(())
    });
}

/// Sets the evaluation date from its components.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_context_set_today(
    context: *mut semaforo_context,
    year: i32,
    month: u32,
    day: u32,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let c = unsafe { handle_mut(context) }?;
        c.inner.today = Date::from_ymd(year, month, day).ok_or(Status::SEMAFORO_INVALID_DATE)?;
        Ok(())
    })
}

/// Sets the evaluation date from `YYYY-MM-DD` text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_context_set_today_str(
    context: *mut semaforo_context,
    date: *const c_char,
    date_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let (c, date) = unsafe { (handle_mut(context)?, text(date, date_len)?) };
        c.inner.today = Date::parse(date).ok_or(Status::SEMAFORO_INVALID_DATE)?;
        Ok(())
    })
}

/// Sets the secret sampling key (`key_len` must be 16) and its label.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_context_set_sampling_key(
    context: *mut semaforo_context,
    key: *const u8,
    key_len: usize,
    key_id: *const c_char,
    key_id_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let (c, key, key_id) = unsafe {
            (
                handle_mut(context)?,
                array(key, key_len)?,
                text(key_id, key_id_len)?,
            )
        };
        let key: [u8; 16] = key
            .try_into()
            .map_err(|_| Status::SEMAFORO_INVALID_ARGUMENT)?;
        // Overwrites the previous key in place (no copy is left behind).
        c.inner.sampling_key = SamplingKey(key);
        c.inner.sampling_key_id.clear();
        c.inner.sampling_key_id.push_str(key_id);
        c.inner.sampling = true;
        Ok(())
    })
}
