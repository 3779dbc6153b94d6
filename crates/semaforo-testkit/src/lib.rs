//! Test support: a reference interpreter of SPEC §3 and random generators.
//!
//! - [`reference`] evaluates a checked [`semaforo_compile::hir::Program`]
//!   straight from the spec, as the oracle the optimised plan is compared to.
//! - [`generate`] builds random layouts, well-typed programs, external lists and
//!   tables, and declarations (as [`generate::Recipe`]s that can be bound to any
//!   structurally equal layout), for property tests and benchmarks.

// `gen` is a reserved word in edition 2024, so the module is `generate`.
#[path = "gen.rs"]
pub mod generate;
pub mod reference;

use std::collections::HashMap;

use semaforo_compile::hir;

/// External lists and tables supplied at compile time, by name.
///
/// This mirrors `semaforo_compile::lower::Externals` until that lands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Externals {
    /// External lists: name -> values.
    pub lists: HashMap<String, Vec<hir::Const>>,
    /// Tables: name -> (text key, value) entries.
    pub tables: HashMap<String, Vec<(String, hir::Const)>>,
}
