//! The front end of the Semáforo rule language: source text -> [`ast`].
//!
//! This crate turns UTF-8 source text into a typed AST with a [`Span`] on
//! every node (the pest parse tree never leaves the crate), and prints an AST
//! back as canonically formatted source. It knows nothing of schemas, types or
//! evaluation plans.

pub mod ast;
pub mod span;

pub use span::{Diagnostic, FileId, Label, Severity, Span, line_col};
