//! Semáforo: an embeddable customs risk engine.
//!
//! A host compiles a ruleset once (at start and on every change) and
//! evaluates every declaration against it:
//!
//! 1. [`Compiler`] takes rule sources and the external lists and tables, and
//!    produces an immutable [`Ruleset`] (source text -> AST -> checked
//!    program -> flat plan; see `docs/architecture.md`).
//! 2. A declaration is bound into a reusable [`Declaration`] buffer, from JSON
//!    ([`Ruleset::bind_json`]) or directly by [`FieldHandle`].
//! 3. [`Ruleset::evaluate`] decides the lane, score, fired and undetermined
//!    rules into a caller-owned [`Outcome`], with a per-thread [`Scratch`]; it
//!    performs no heap allocation after warm-up. [`Evaluator`] bundles the
//!    buffers for the common case.
//!
//! ```
//! use semaforo::{Compiler, Context, Date};
//!
//! let mut c = Compiler::new();
//! c.add_source("rules.sem", r#"
//! ruleset "demo" version "2026.1"
//! schema declaration {
//!   key id: text
//!   importer: text
//!   aeo: bool
//! }
//! list watched_importers: text
//! rule WATCH-001 "Importer on the watch list" {
//!   when importer in watched_importers and not aeo
//!   then lane red, note "Physical inspection"
//! }
//! "#);
//! c.add_list("watched_importers", ["IMP-7"]);
//! let ruleset = c.compile().map_err(|e| e.to_string())?;
//!
//! let ctx = Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "key-2026");
//! let mut ev = ruleset.evaluator();
//! let out = ev.eval_json(br#"{"id": "D1", "importer": "IMP-7", "aeo": false}"#, &ctx)?;
//! assert_eq!(out.lane(), "red");
//! assert_eq!(out.fired().map(|f| f.id).collect::<Vec<_>>(), ["WATCH-001"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Input safety
//!
//! Rule text, external data and declarations are treated as hostile: the
//! parser limits source size and nesting depth, the JSON binder limits input
//! size and depth and rejects duplicate members, and evaluation recursion is
//! bounded by the nesting limit. No input makes the library panic. External
//! list and table files are read by one policy ([`charset`]): a character
//! that would make an entry differ from what an analyst sees is an error
//! naming the line, never a silently unmatched entry. A declaration that
//! cannot be bound has no outcome ([`Evaluator::outcome`] is `None`).
//! `docs/reliability.md` lists every guarantee and limit with its test.

/// The version of the engine that evaluates, written beside the ruleset's
/// fingerprint in every outcome (`ruleset.engine` in JSON).
///
/// The fingerprint covers the rules and the external data; the engine
/// version covers the meaning given to them. Two outcomes with the same
/// fingerprint *and* the same engine version were decided identically
/// (given the same date and sampling key). See `docs/fingerprint.md`.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod bundle;
pub mod charset;
mod compiler;
mod explain;
mod explain_text;
mod externals;
mod fingerprint;
mod format;
pub mod json;
pub mod render;
mod ruleset;
mod schema;
mod source;
mod symbols;
mod testing;

pub use compiler::{CheckReport, CompileError, Compiler};
pub use explain::{
    ElementStep, ExplainedOverride, ExplainedValue, Explanation, RuleExplanation, SampleDraw, Step,
    ThresholdCheck, Truth,
};
pub use format::format_source;
pub use ruleset::{
    Context, Declaration, Element, Evaluator, FieldHandle, FiredRule, InputError, OutcomeView,
    OverriddenRule, PlanStats, Ruleset,
};
pub use schema::{PackageInfo, RuleOverride, RuleProfile, RuleSummary, SchemaField};
pub use semaforo_plan::json::{BindError, JsonBinder};
pub use semaforo_plan::plan::{EvalError, Scratch};
pub use semaforo_plan::{Date, DateError, Decimal, FieldType, Outcome, SamplingKey};
pub use semaforo_syntax::{Diagnostic, FileId, Label, Severity, Span};
pub use source::{Source, SourceKind, Sources};
pub use symbols::{Reference, Symbol, SymbolKind, Symbols};
pub use testing::{TestFailure, TestResult};

// The types inside the facade's own types, so that a host (the C ABI
// included) names them without depending on `semaforo-plan`: the error
// kinds of `InputError` and `BindError`, the record type of `Element` and
// `FieldType::List`, the array splitter beside `JsonBinder`, and which
// compilation a `Ruleset` is (`Ruleset::same_compilation`).
mod identity;
pub use semaforo_plan::RecordId;
pub use semaforo_plan::decl::DeclError;
pub use semaforo_plan::json::{BindErrorKind, SyntaxError, split_json_array};
