//! The Semáforo compiler: AST -> checked [`hir::Program`] -> flat plan.
//!
//! `check` resolves names against the schema, records, lists and tables,
//! type-checks every expression (SPEC §3.6) and reports every diagnostic of
//! a ruleset in a stable order; `lower` turns a checked program and its
//! external data into the plan that `semaforo-plan` evaluates.

pub mod check;
pub mod hir;
pub mod lower;
