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
//! under a context and holds the outcome until the next evaluation. A
//! signed bundle is loaded into a ruleset only after it verifies against
//! trusted public keys (`semaforo_bundle_load`), and its conformance
//! vectors run against any ruleset (`semaforo_bundle_conformance`). See
//! `docs/c-abi.md` and `docs/bundles.md`.
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
//!   `SEMAFORO_COMPILE_FAILED`, `*out_diagnostics` of
//!   `semaforo_bundle_load` and `semaforo_bundle_conformance`, also
//!   written when they refuse a bundle, and `*out_report` of
//!   `semaforo_bundle_conformance`, also written on
//!   `SEMAFORO_BUNDLE_CONFORMANCE_FAILED`.
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

mod bundle;
mod compiler;
mod context;
mod declaration;
mod diagnostics;
mod evaluator;
mod ruleset;
mod status;
mod util;

pub use bundle::*;
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
    VERSION.as_ptr().cast()
}

/// `semaforo::ENGINE_VERSION` with a NUL at the end, built at compile time
/// from that one constant, so the C ABI cannot name another version.
static VERSION: [u8; semaforo_core::ENGINE_VERSION.len() + 1] =
    nul_terminated(semaforo_core::ENGINE_VERSION);

/// `s` followed by zero bytes (at least one: `N` is `s.len() + 1`).
#[expect(clippy::indexing_slicing, reason = "`i` is below both lengths")]
const fn nul_terminated<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() && i + 1 < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}
