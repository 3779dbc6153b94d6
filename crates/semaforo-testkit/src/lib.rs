//! Test support: the reference interpreter of SPEC §3 and random generators.
//!
//! - [`reference`](mod@reference) evaluates a checked [`semaforo_compile::hir::Program`]
//!   straight from the spec, as the oracle the optimised plan is compared to
//!   (a thin wrapper over `semaforo_compile::interp`, the interpreter
//!   `explain` traces too).
//! - [`generate`] builds random layouts, well-typed programs, external lists and
//!   tables, and declarations (as [`generate::Recipe`]s that can be bound to any
//!   structurally equal layout), for property tests and benchmarks.
//! - [`show`] renders programs and declarations for failure reports.
//! - [`vectors`] reads the evaluation vectors of `tests/data/eval/` for
//!   the runners of every surface (library, CLI, C ABI) and compares
//!   outcomes with them.
//! - [`complexity`] fails a test whose work grows super-linearly with its
//!   input (thread CPU time, robust to a busy machine).

// `gen` is a reserved word in edition 2024, so the module is `generate`.
pub mod complexity;
#[path = "gen.rs"]
pub mod generate;
pub mod reference;

pub mod show;
pub mod vectors;

/// External lists and tables supplied at compile time, by name (the
/// compiler's own type, re-exported for convenience).
pub use semaforo_compile::lower::Externals;
