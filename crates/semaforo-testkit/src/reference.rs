//! The reference interpreter: SPEC §3.4–§3.8, the test oracle.
//!
//! It is [`semaforo_compile::interp`] run without a trace, the same
//! interpreter `explain` runs with one. It walks the checked
//! [`hir::Program`] directly and shares nothing with the optimised plan
//! evaluator except the value types (`Decimal`, `Date`, `Declaration`,
//! `Layout`, `Outcome`), so the differential tests compare two independent
//! readings of the spec.

use semaforo_compile::hir;
use semaforo_compile::interp::Interpreter;
use semaforo_plan::{Date, Declaration, Outcome, SamplingKey};

use crate::Externals;

/// A value during reference evaluation (the interpreter's).
pub use semaforo_compile::interp::Value as RefValue;

/// The SipHash-2-4 draw of SPEC §3.4, built from the message bytes.
pub fn reference_draw(key: &SamplingKey, rule_id: &str, key_value: &str) -> u32 {
    semaforo_compile::interp::draw(key, rule_id, key_value)
}

/// Evaluates `program` on one declaration, as SPEC §3.4–§3.5 describe.
///
/// `decl` must have been made for `program.layout` (or a structurally equal
/// layout); fields are read by index. To evaluate many declarations, an
/// [`Interpreter`] kept across them builds the sets of named lists and the
/// maps of tables once.
pub fn evaluate(
    program: &hir::Program,
    externals: &Externals,
    decl: &Declaration,
    today: Date,
    key: &SamplingKey,
) -> Outcome {
    Interpreter::new(program, externals).evaluate(decl, today, key)
}
