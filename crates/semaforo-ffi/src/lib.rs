//! The C ABI of Semáforo: `libsemaforo.so` / `libsemaforo.a` and
//! `include/semaforo.h` (generated from this crate by cbindgen and checked
//! in; `tests/header.rs` fails when they drift apart).
//!
//! The surface wraps the Rust facade (crate `semaforo`) one to one, and
//! nothing beneath it: the facade is the only project crate this one
//! depends on (`tests/dependencies.rs`), so everything the C ABI needs is
//! part of the facade's public API. A compiler handle collects sources and
//! external data and compiles them into an immutable ruleset handle (or a
//! diagnostics handle); a declaration is bound from JSON or filled directly
//! through field handles; an evaluator handle (one per thread) evaluates it
//! under a context and holds the outcome until the next evaluation. See
//! `docs/c-abi.md`.
//!
//! # Conventions
//!
//! - Opaque handles are created by `*_new` (or `semaforo_compiler_compile`,
//!   `semaforo_ruleset_field`) and released by the matching `*_free`, which
//!   accepts NULL.
//! - Every fallible function returns a [`semaforo_status`]: `SEMAFORO_OK`
//!   (0) or an error code from 7000 up, and writes its out-parameters only
//!   when it returns `SEMAFORO_OK`, except `*out_diagnostics` of
//!   `semaforo_compiler_compile`, which is also written on
//!   `SEMAFORO_COMPILE_FAILED`.
//! - An evaluator and a declaration keep the message of the most recent of
//!   their calls that failed (`*_last_error`); a successful call does not
//!   clear it. Evaluation calls, setters, `_start_list`, `_push` and
//!   `_validate` record one on every failure; no other call changes it.
//! - Strings in are a pointer and a length in bytes, UTF-8, not
//!   NUL-terminated. A NULL pointer is accepted only with length 0. Text
//!   that is not UTF-8, JSON included, gives `SEMAFORO_INVALID_UTF8`.
//! - Strings out are a pointer and a length borrowed from the handle they
//!   were read from, not NUL-terminated: valid until the next call that
//!   receives that handle as a non-`const` pointer, or until that handle is
//!   freed (a ruleset: until the reference it was read through is
//!   released). The static strings of `semaforo_version` and
//!   `semaforo_status_message` are the only NUL-terminated ones.
//! - A ruleset handle is reference-counted (`semaforo_ruleset_retain`,
//!   `semaforo_ruleset_release`), so a ruleset can be replaced while other
//!   threads use it (docs/c-abi.md, "Reloading rules").
//! - No Rust panic crosses the boundary: every export runs inside
//!   `catch_unwind` and reports `SEMAFORO_PANIC` instead (a library built
//!   with `panic = "abort"` would abort instead; the workspace does not).
//!
//! # Safety
//!
//! Every exported function is `unsafe` for the same reasons, stated once
//! here rather than on each: handle arguments must be NULL or a live handle
//! of the named type returned by this library; `ptr`/`len` pairs must
//! describe readable memory (or be NULL with length 0); out-parameters must
//! be NULL or point at writable memory of their type. NULL is always
//! detected and reported as `SEMAFORO_NULL_PARAMETER`; a dangling or
//! mistyped pointer cannot be detected.
//!
//! # Thread safety
//!
//! A ruleset handle is immutable and may be shared by any number of threads
//! at once, each holding a reference while it uses it. A context handle may be shared for reading (evaluation) while no
//! thread changes it. Compiler, declaration and evaluator handles belong to
//! one thread at a time (they may move between threads).
//!
//! # Input safety
//!
//! Everything a C caller passes is treated as hostile: NULL pointers,
//! invalid UTF-8, malformed JSON, unknown field names, wrong value types,
//! out-of-range indices and elements or field handles from another ruleset
//! all give a status code; none crashes or panics.

// The modules name each other through `super::`, never `crate::`, so that
// this file can also be mounted as a module (`#[path = ".../src/lib.rs"]
// mod ffi;`) by the Rust tests (`tests/reload.rs`) and the `ffi_calls` fuzz
// target, which call the exports directly: the crate has no rlib to link.

#![allow(
    non_camel_case_types,
    reason = "C type names (`semaforo_ruleset`) are the public ABI"
)]
#![allow(
    clippy::missing_safety_doc,
    reason = "the safety contract is the same for every export and is stated once in the crate docs"
)]

mod compiler;
mod context;
mod declaration;
mod diagnostics;
mod evaluator;
mod ruleset;
mod status;
mod util;

pub use compiler::*;
pub use context::*;
pub use declaration::*;
pub use diagnostics::*;
pub use evaluator::*;
pub use ruleset::*;
pub use status::*;
pub use util::semaforo_str;

use std::ffi::c_char;

/// The library version (`MAJOR.MINOR.PATCH`), a static NUL-terminated
/// string. It is the engine version: the `ruleset.engine` of every outcome
/// (`semaforo_evaluator_outcome_json`), which goes with the ruleset's
/// fingerprint (`semaforo_ruleset_fingerprint`) to say how a declaration
/// was decided.
#[unsafe(no_mangle)]
pub extern "C" fn semaforo_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

// `semaforo_version` must be the facade's engine version (the library and
// the facade share the workspace version; this fails to compile if they
// ever do not).
const _: () = assert!(
    same_str(env!("CARGO_PKG_VERSION"), semaforo_core::ENGINE_VERSION),
    "semaforo_version() must be semaforo::ENGINE_VERSION"
);

/// String equality usable in a constant.
const fn same_str(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.split_first(), b.split_first()) {
            (None, None) => return true,
            (Some((x, rest_a)), Some((y, rest_b))) if *x == *y => (a, b) = (rest_a, rest_b),
            _ => return false,
        }
    }
}
