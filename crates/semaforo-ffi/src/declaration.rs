//! The declaration handle: a reusable buffer filled field by field, without
//! JSON and without allocating per declaration once warm.

use super::ruleset::{semaforo_field, semaforo_ruleset};
use super::status::{Status, guard, input_status, semaforo_status};
use super::util::{free_handle, handle, handle_mut, into_handle, out, text, write_str};
use semaforo_core::{
    Date, Decimal, Declaration, Element, FieldHandle, InputError, RecordId, Ruleset,
};
use std::ffi::c_char;
use std::fmt::Write as _;

/// An element of a declaration: the declaration itself (the root, all
/// zeros, also returned by `semaforo_element_root`) or a record appended to
/// a list by `semaforo_declaration_push`. A plain value; an element is valid
/// until the declaration is cleared.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct semaforo_element {
    /// The record type (0 = the declaration).
    pub record: u32,
    /// The instance of that record type.
    pub index: u32,
}

impl semaforo_element {
    fn to_core(self) -> Element {
        Element {
            record: RecordId(self.record),
            index: self.index,
        }
    }
}

/// The root element: the declaration itself.
#[unsafe(no_mangle)]
pub extern "C" fn semaforo_element_root() -> semaforo_element {
    semaforo_element {
        record: 0,
        index: 0,
    }
}

/// A reusable buffer holding one declaration of one ruleset. Belongs to one
/// thread at a time. Free with `semaforo_declaration_free`.
pub struct semaforo_declaration {
    pub(crate) inner: Declaration,
    /// The compilation it was made from (`Ruleset::same_compilation`).
    pub(crate) ruleset: Ruleset,
    last_error: String,
}

impl semaforo_declaration {
    /// Reads the field handle argument of a setter, recording a NULL one.
    ///
    /// # Safety
    /// `field` must be NULL or a live field handle.
    unsafe fn field<'f>(
        &mut self,
        field: *const semaforo_field,
    ) -> Result<&'f semaforo_field, Status> {
        // SAFETY: NULL or a live handle, by the caller's contract.
        match unsafe { field.as_ref() } {
            Some(f) => Ok(f),
            None => {
                self.fail_with("field: NULL handle");
                Err(Status::SEMAFORO_NULL_PARAMETER)
            }
        }
    }

    /// Reads the text value of a setter for `field`, recording a refused
    /// one with the field's path and, for invalid UTF-8, the byte offset
    /// (`` `items.description` value: invalid UTF-8 at byte offset 2 ``).
    ///
    /// # Safety
    /// As for [`text`].
    unsafe fn value<'v>(
        &mut self,
        field: &semaforo_field,
        ptr: *const c_char,
        len: usize,
    ) -> Result<&'v str, Status> {
        // SAFETY: forwarded contract.
        unsafe { text(ptr, len) }.map_err(|e| {
            let what = format!("`{}` value", field.path);
            e.describe(&mut self.last_error, &what);
            e.status()
        })
    }

    /// Records a value the setter could not read for `field`.
    fn bad_value(
        &mut self,
        field: &semaforo_field,
        status: Status,
        what: &str,
        value: &str,
    ) -> Status {
        self.last_error.clear();
        let _ = write!(self.last_error, "`{}`: {what}, found `{value}`", field.path);
        status
    }

    /// Runs a setter with a field handle of the same ruleset, recording the
    /// error message on failure.
    fn with_field<T>(
        &mut self,
        field: &semaforo_field,
        op: impl FnOnce(&mut Declaration, FieldHandle) -> Result<T, InputError>,
    ) -> Result<T, Status> {
        if !field.ruleset.same_compilation(&self.ruleset) {
            self.fail_with("field handle belongs to another ruleset");
            return Err(Status::SEMAFORO_WRONG_RULESET);
        }
        match op(&mut self.inner, field.handle) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.last_error.clear();
                let _ = write!(self.last_error, "{e}");
                Err(input_status(&e))
            }
        }
    }

    fn fail_with(&mut self, message: &str) {
        self.last_error.clear();
        self.last_error.push_str(message);
    }
}

/// Creates an empty declaration buffer for `ruleset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_new(
    ruleset: *const semaforo_ruleset,
    out_declaration: *mut *mut semaforo_declaration,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(ruleset) }?;
        let o = out(out_declaration)?;
        let d = semaforo_declaration {
            inner: r.inner.new_declaration(),
            ruleset: r.inner.clone(),
            last_error: String::new(),
        };
        // SAFETY: non-NULL and writable by contract.
        unsafe { o.write(into_handle(d)) };
        Ok(())
    })
}

/// Frees a declaration buffer; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_free(declaration: *mut semaforo_declaration) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle from `semaforo_declaration_new`.
        unsafe { free_handle(declaration) };
        Ok(())
    });
}

/// Empties the buffer for the next declaration, keeping its memory. Every
/// field becomes missing and earlier elements become invalid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_clear(
    declaration: *mut semaforo_declaration,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        unsafe { handle_mut(declaration) }?.inner.clear();
        Ok(())
    })
}

/// Sets a text field of element `at`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_text(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
    value: *const c_char,
    value_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        // SAFETY: as above.
        let v = unsafe { d.value(f, value, value_len) }?;
        d.with_field(f, |decl, h| decl.set_text(at.to_core(), h, v))
    })
}

/// Sets a number field of element `at` from decimal text, read exactly
/// (`123.45`, `-0.5`, `1.25e3`; digits past the sixth fractional place are
/// rounded half to even). Returns `SEMAFORO_INVALID_NUMBER` for text that is
/// not a number or is out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_number(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
    value: *const c_char,
    value_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        // SAFETY: as above.
        let v = unsafe { d.value(f, value, value_len) }?;
        let Ok(n) = Decimal::parse(v) else {
            return Err(d.bad_value(
                f,
                Status::SEMAFORO_INVALID_NUMBER,
                "expected a number such as `12.5`",
                v,
            ));
        };
        d.with_field(f, |decl, h| decl.set_number(at.to_core(), h, n.value))
    })
}

/// Sets a number field of element `at` to `units / 10^scale`, exactly
/// (`12345` at scale 2 is 123.45). `scale` is 0 to 6; a larger scale gives
/// `SEMAFORO_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_number_units(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
    units: i64,
    scale: u32,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        let Some(n) = Decimal::from_units(units, scale) else {
            return Err(d.bad_value(
                f,
                Status::SEMAFORO_INVALID_ARGUMENT,
                "expected a scale from 0 to 6",
                &scale.to_string(),
            ));
        };
        d.with_field(f, |decl, h| decl.set_number(at.to_core(), h, n))
    })
}

/// Sets a bool field of element `at`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_bool(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
    value: bool,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        d.with_field(f, |decl, h| decl.set_bool(at.to_core(), h, value))
    })
}

/// Sets a date field of element `at` from its components.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_date(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
    year: i32,
    month: u32,
    day: u32,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        let Some(date) = Date::from_ymd(year, month, day) else {
            return Err(d.bad_value(
                f,
                Status::SEMAFORO_INVALID_DATE,
                "expected a valid date",
                &format!("{year}-{month:02}-{day:02}"),
            ));
        };
        d.with_field(f, |decl, h| decl.set_date(at.to_core(), h, date))
    })
}

/// Sets a date field of element `at` from `YYYY-MM-DD` text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_date_str(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
    value: *const c_char,
    value_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        // SAFETY: as above.
        let v = unsafe { d.value(f, value, value_len) }?;
        let Some(date) = Date::parse(v) else {
            return Err(d.bad_value(
                f,
                Status::SEMAFORO_INVALID_DATE,
                "expected a date `YYYY-MM-DD`",
                v,
            ));
        };
        d.with_field(f, |decl, h| decl.set_date(at.to_core(), h, date))
    })
}

/// Marks a field of element `at` missing (a list field: absent, not empty).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_set_missing(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    field: *const semaforo_field,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(field) }?;
        d.with_field(f, |decl, h| decl.set_missing(at.to_core(), h))
    })
}

/// Makes the list field `list` of element `at` present and empty (if it was
/// missing). A list with elements needs no call: `push` makes it present.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_start_list(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    list: *const semaforo_field,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(list) }?;
        d.with_field(f, |decl, h| decl.start_list(at.to_core(), h))
    })
}

/// Appends a new record (every field missing) to the list field `list` of
/// element `at` and writes it to `*out_element`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_push(
    declaration: *mut semaforo_declaration,
    at: semaforo_element,
    list: *const semaforo_field,
    out_element: *mut semaforo_element,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let d = unsafe { handle_mut(declaration) }?;
        // SAFETY: as above.
        let f = unsafe { d.field(list) }?;
        let Ok(o) = out(out_element) else {
            d.fail_with("out_element: NULL pointer");
            return Err(Status::SEMAFORO_NULL_PARAMETER);
        };
        let e = d.with_field(f, |decl, h| decl.push(at.to_core(), h))?;
        let e = semaforo_element {
            record: e.record.0,
            index: e.index,
        };
        // SAFETY: non-NULL and writable by contract.
        unsafe { o.write(e) };
        Ok(())
    })
}

/// Checks that every required field is set; `SEMAFORO_MISSING_REQUIRED`
/// names the first one missing by path (`items[1].hs`) in
/// `semaforo_declaration_last_error`. `semaforo_evaluator_eval` performs the
/// same check itself, so this is for checking a declaration without
/// evaluating it. Allocates only when a field is missing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_validate(
    declaration: *mut semaforo_declaration,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let d = unsafe { handle_mut(declaration) }?;
        match d.inner.validate() {
            Ok(()) => Ok(()),
            Err(e) => {
                d.last_error.clear();
                let _ = write!(d.last_error, "{e}");
                Err(input_status(&e))
            }
        }
    })
}

/// The message of the most recent failed call on this declaration (a
/// setter, `_start_list`, `_push` or `_validate`), or empty if none has
/// failed; a successful call does not clear it. A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_last_error(
    declaration: *const semaforo_declaration,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(&handle(declaration)?.last_error, out_ptr, out_len) }
    })
}

/// Reads back the declaration's key (empty when not set). A borrowed
/// string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_declaration_key(
    declaration: *const semaforo_declaration,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(handle(declaration)?.inner.key(), out_ptr, out_len) }
    })
}
