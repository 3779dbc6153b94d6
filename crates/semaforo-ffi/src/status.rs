//! Status codes and the panic boundary.

use semaforo_core::{BindError, BindErrorKind, DeclError, InputError, SyntaxError};
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The result of every fallible call: `SEMAFORO_OK` (0) or an error code
/// from 7000 up (distinct from 0/1/-1 and errno values, so a forgotten check
/// is easy to spot in a log). `semaforo_status_message` describes each.
///
/// Codes are stable: new codes may be added, existing ones never change.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum semaforo_status {
    /// Success.
    SEMAFORO_OK = 0,
    /// A required pointer argument was NULL.
    SEMAFORO_NULL_PARAMETER = 7001,
    /// A string argument, or JSON text, was not valid UTF-8.
    SEMAFORO_INVALID_UTF8 = 7002,
    /// An internal error was caught at the boundary; the handle involved is
    /// still safe to free but its contents are unspecified.
    SEMAFORO_PANIC = 7003,
    /// An argument was out of its documented range (a scale above 6, a
    /// sampling key that is not 16 bytes, ...).
    SEMAFORO_INVALID_ARGUMENT = 7004,
    /// An index was not below the corresponding count.
    SEMAFORO_INDEX_OUT_OF_RANGE = 7005,
    /// The evaluator holds no outcome (nothing evaluated yet, or the last
    /// evaluation call failed).
    SEMAFORO_NO_OUTCOME = 7006,
    /// The ruleset has errors; read them from the diagnostics handle.
    SEMAFORO_COMPILE_FAILED = 7100,
    /// The JSON text is malformed: bad syntax, an invalid escape (a lone
    /// surrogate such as `\ud800` included), a raw control character in a
    /// string, or nesting deeper than 256.
    SEMAFORO_JSON_SYNTAX = 7200,
    /// The JSON is well formed but is not a declaration of the schema: not
    /// an object, a value of the wrong type, an invalid date, a number out of
    /// range (magnitude 10^30 or more) or too long, a duplicate member, a
    /// missing required field, or input larger than 64 MiB.
    SEMAFORO_JSON_SCHEMA = 7201,
    /// No field has this path.
    SEMAFORO_UNKNOWN_FIELD = 7300,
    /// The value's type is not the field's type.
    SEMAFORO_WRONG_TYPE = 7301,
    /// The field handle belongs to another record type than the element.
    SEMAFORO_WRONG_RECORD = 7302,
    /// The handles were made from different rulesets.
    SEMAFORO_WRONG_RULESET = 7303,
    /// The text is not a number, or the number is out of range.
    SEMAFORO_INVALID_NUMBER = 7304,
    /// The text or the components are not a valid `YYYY-MM-DD` date.
    SEMAFORO_INVALID_DATE = 7305,
    /// A required field was never set (`semaforo_evaluator_eval`,
    /// `semaforo_declaration_validate`).
    SEMAFORO_MISSING_REQUIRED = 7306,
    /// The declaration is too large or the element does not exist.
    SEMAFORO_INVALID_DECLARATION = 7307,
    /// Evaluation failed.
    SEMAFORO_EVAL_FAILED = 7400,
    /// The ruleset draws (a `sample` or a lane split) but the context has
    /// no sampling key: set one with `semaforo_context_set_sampling_key`.
    SEMAFORO_NO_SAMPLING_KEY = 7401,
    /// The bytes are not a readable bundle: truncated, too large, not an
    /// archive, an entry that is not a plain file or whose path is refused
    /// (`..`, absolute, a link), a duplicate entry, an invalid manifest or
    /// signatures entry, or not in the canonical form.
    SEMAFORO_BUNDLE_INVALID = 7500,
    /// The bundle is not signed by any trusted key (unsigned, signed only
    /// by other keys, or no trusted key was given).
    SEMAFORO_BUNDLE_UNTRUSTED = 7501,
    /// A signature by a trusted key does not match the manifest: the
    /// manifest was changed after signing.
    SEMAFORO_BUNDLE_BAD_SIGNATURE = 7502,
    /// A file does not match the manifest, is missing or is not listed, or
    /// the ruleset does not compile to the manifest's fingerprint.
    SEMAFORO_BUNDLE_TAMPERED = 7503,
    /// At least one conformance vector did not give its expected outcome.
    SEMAFORO_BUNDLE_CONFORMANCE_FAILED = 7504,
    /// The bundle carries no conformance vectors.
    SEMAFORO_BUNDLE_NO_CONFORMANCE = 7505,
}

pub(crate) use semaforo_status as Status;

/// A static NUL-terminated English description of a status code (also for
/// codes this version does not know).
#[unsafe(no_mangle)]
pub extern "C" fn semaforo_status_message(status: u32) -> *const c_char {
    let text: &'static str = match status {
        0 => "ok\0",
        7001 => "a required pointer argument is null\0",
        7002 => "a string argument is not valid utf-8\0",
        7003 => "internal error (caught panic)\0",
        7004 => "an argument is out of range\0",
        7005 => "index out of range\0",
        7006 => "no outcome: nothing evaluated, or the last evaluation failed\0",
        7100 => "the ruleset has errors; see the diagnostics\0",
        7200 => "malformed json\0",
        7201 => "the json does not match the schema\0",
        7300 => "unknown field\0",
        7301 => "the value's type is not the field's type\0",
        7302 => "field handle used on an element of another record type\0",
        7303 => "the handles belong to different rulesets\0",
        7304 => "invalid number\0",
        7305 => "invalid date\0",
        7306 => "a required field is missing\0",
        7307 => "invalid declaration element or declaration too large\0",
        7400 => "evaluation failed\0",
        7401 => "the ruleset draws (sample or lane split) but the context has no sampling key\0",
        7500 => "not a readable bundle\0",
        7501 => "the bundle is not signed by a trusted key\0",
        7502 => "a trusted key's signature does not match the bundle's manifest\0",
        7503 => "a bundle file does not match the manifest\0",
        7504 => "conformance vectors do not give their expected outcomes\0",
        7505 => "the bundle carries no conformance vectors\0",
        _ => "unknown status code\0",
    };
    text.as_ptr().cast()
}

/// Runs `f` inside the panic boundary and turns its result into a status.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Status>) -> semaforo_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Status::SEMAFORO_OK,
        Ok(Err(s)) => s,
        Err(_) => Status::SEMAFORO_PANIC,
    }
}

/// The status for a JSON binding error.
pub(crate) fn bind_status(e: &BindError) -> semaforo_status {
    match &e.kind {
        // Invalid UTF-8 is the same status wherever a string comes in.
        BindErrorKind::Syntax {
            error: SyntaxError::InvalidUtf8,
            ..
        } => Status::SEMAFORO_INVALID_UTF8,
        BindErrorKind::Syntax { .. } => Status::SEMAFORO_JSON_SYNTAX,
        BindErrorKind::WrongLayout => Status::SEMAFORO_WRONG_RULESET,
        _ => Status::SEMAFORO_JSON_SCHEMA,
    }
}

/// The status for a declaration error.
pub(crate) fn decl_status(e: &DeclError) -> semaforo_status {
    match e {
        DeclError::WrongType { .. } => Status::SEMAFORO_WRONG_TYPE,
        DeclError::MissingRequired { .. } => Status::SEMAFORO_MISSING_REQUIRED,
        _ => Status::SEMAFORO_INVALID_DECLARATION,
    }
}

/// The status for a facade input error.
pub(crate) fn input_status(e: &InputError) -> semaforo_status {
    match e {
        InputError::Json(b) => bind_status(b),
        InputError::UnknownField(_) => Status::SEMAFORO_UNKNOWN_FIELD,
        InputError::Field { source, .. } => decl_status(source),
        InputError::Incomplete(source) => decl_status(source),
        InputError::WrongRecord => Status::SEMAFORO_WRONG_RECORD,
        InputError::WrongRuleset => Status::SEMAFORO_WRONG_RULESET,
        InputError::Eval(_) => Status::SEMAFORO_EVAL_FAILED,
        InputError::NoSamplingKey { .. } => Status::SEMAFORO_NO_SAMPLING_KEY,
        // `InputError` is non-exhaustive: an error kind added later is still
        // an invalid declaration to a C caller, with its message available.
        _ => Status::SEMAFORO_INVALID_DECLARATION,
    }
}
