//! The compiler's integration tests, one binary: each file in `tests/`
//! used to be its own test binary linking the whole crate graph.
//! `complexity.rs` (times its work, so no tests may run beside it) and
//! `table_memory.rs` (its own global allocator) stay separate binaries.

mod check_data;
mod check_program;
mod lower_common;
mod lower_eval;
mod lower_externals;
