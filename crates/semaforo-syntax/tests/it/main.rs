//! The syntax crate's integration tests, one binary: each file in `tests/`
//! used to be its own test binary linking the whole crate graph.
//! `limits.rs` stays a separate binary: it bounds parse times by the wall
//! clock, and in a shared binary other tests run beside it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

mod data_files;
mod expr;
mod format;
mod keywords;
mod recovery;
mod roundtrip;
