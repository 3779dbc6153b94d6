//! The evaluation side of Semáforo: exact decimals, dates, declaration
//! buffers, the flat plan and the zero-allocation evaluator.
//!
//! This crate has no parser in its dependency tree: it receives a plan built
//! by `semaforo-compile` (checked program -> [`PlanBuilder`] -> [`Plan`])
//! and evaluates bound declarations against it
//! ([`Plan::evaluate`] -> [`Outcome`]).
//!
//! # Input safety
//!
//! Declarations are hostile input: evaluation never panics, never indexes
//! out of bounds (ids are read with `.get()`), and recurses at most
//! [`plan::MAX_DEPTH`] levels, a bound the plan builder enforces on every op.

pub mod date;
pub mod decimal;
pub mod decl;
pub mod eval;
mod index;
pub mod json;
pub mod layout;
mod memo;
pub mod outcome;
mod packed;
pub mod plan;
pub mod sample;
pub mod sets;
mod shape;
mod strtab;
pub mod text;
mod trie;
pub mod value;

pub use date::{Date, DateError};
pub use decimal::Decimal;
pub use decl::{Declaration, Node, Slot};
pub use eval::{EvalContext, EvalError, Scratch};
pub use layout::{Field, FieldId, FieldType, Layout, Record, RecordId};
pub use outcome::{Fired, Outcome, Overridden};
pub use plan::{OverlayInfo, Plan, PlanBuilder, PlanError, RuleInfo};
pub use sample::SamplingKey;
pub use sets::Constant;
pub use value::Value;
