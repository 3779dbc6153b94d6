//! The plan's integration tests, one binary: each file in `tests/` used to
//! be its own test binary linking the whole crate graph. `no_alloc.rs` and
//! `json_no_alloc.rs` count allocations with their own global allocator
//! (`harness = false`) and stay separate binaries; `eval_support` is shared
//! with `no_alloc.rs`, so it stays where both can mount it.

mod date;
mod decimal;
mod eval_plan;
#[path = "../eval_support/mod.rs"]
mod eval_support;
mod json;
mod sample;
mod text;
