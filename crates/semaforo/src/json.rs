//! JSON framing for hosts that read many declarations from one document.
//!
//! [`Ruleset::bind_json`](crate::Ruleset::bind_json) binds one declaration;
//! a file holding a JSON array of declarations is first split into its
//! elements with [`split_array`], and each element is bound on its own, so
//! that one bad element is reported with its place and the others are still
//! evaluated.

pub use semaforo_plan::json::{BindErrorKind, SyntaxError};

/// The most bytes one JSON declaration may have: a longer input is refused
/// with [`BindErrorKind::InputTooLarge`] before it is parsed. A host that
/// frames declarations from a stream (JSON Lines, an array) can use it to
/// bound the memory one declaration may take.
pub const MAX_DECLARATION_BYTES: usize = semaforo_plan::json::MAX_JSON_BYTES;

use crate::BindError;

/// Splits a JSON array into its top-level elements without binding them:
/// yields each element's byte offset in `input` and its bytes, in order.
///
/// Only the structure is checked (strings, brackets, commas, the nesting
/// limit); each element is checked fully when it is bound. The whole split
/// is linear in the input. After the first error (whose
/// [`BindError::offset`] says where) the iterator ends.
///
/// ```
/// let input = br#"[{"id": "D1"}, {"id": "D2", "items": [1, 2]}]"#;
/// let elements: Vec<(usize, &[u8])> = semaforo::json::split_array(input)
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(elements[1], (15, &br#"{"id": "D2", "items": [1, 2]}"#[..]));
/// assert!(semaforo::json::split_array(b"[{}, ").any(|e| e.is_err()));
/// ```
pub fn split_array(input: &[u8]) -> impl Iterator<Item = Result<(usize, &[u8]), BindError>> {
    semaforo_plan::json::split_json_array(input)
}
