//! The Semáforo compiler: AST -> checked [`hir::Program`] -> flat plan.
//!
//! `check` resolves names against the schema, records, lists and tables,
//! type-checks every expression (SPEC §3.6) and reports every diagnostic of
//! a ruleset in a stable order; `lower` turns a checked program and its
//! external data into the plan that `semaforo-plan` evaluates; `interp`
//! evaluates the checked program itself, independently of the plan, with
//! an optional trace (the test oracle and `explain`).

pub mod check;
pub mod hir;
pub mod interp;
pub mod lower;
