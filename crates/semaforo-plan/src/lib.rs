//! The evaluation side of Semáforo: exact decimals, dates, declaration
//! buffers, the flat plan and the zero-allocation evaluator.
//!
//! This crate has no parser in its dependency tree: it receives a plan built
//! by `semaforo-compile` and evaluates bound declarations against it.

pub mod date;
pub mod decimal;
pub mod decl;
pub mod layout;
pub mod outcome;
pub mod sample;
pub mod text;
pub mod value;

pub use date::Date;
pub use decimal::Decimal;
pub use decl::{Declaration, Node, Slot};
pub use layout::{Field, FieldId, FieldType, Layout, Record, RecordId};
pub use outcome::{Fired, Outcome};
pub use sample::SamplingKey;
pub use value::Value;
