//! The CLI's integration tests, one binary: each file in `tests/` used to
//! be its own test binary linking the whole crate graph, so a change to the
//! engine relinked eleven of them. The tests run the real `semaforo`
//! binary in scratch directories named per test (`support::scratch`), so
//! they share nothing but the process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

mod backtest;
mod backtest_kcs;
mod bundle;
mod calibrate;
mod cli_check;
mod cli_eval;
mod cli_fmt;
mod cli_output;
mod cli_test;
mod diff;
mod explain;
mod explain_regional;
mod lists;
mod lsp;
mod results;
mod streaming;
mod support;
mod tables;
mod vectors;
