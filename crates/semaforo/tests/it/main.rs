//! The facade's integration tests, one binary: each file in `tests/` used
//! to be its own test binary linking the whole crate graph, so a change to
//! the library relinked a dozen of them. `complexity.rs` (times its work,
//! so no tests may run beside it) and `no_alloc.rs` (its own global
//! allocator, `harness = false`) stay separate binaries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

mod api;
mod check;
mod data_files;
mod deep;
mod diagnostic_codes;
mod handles;
mod packages;
mod reload;
mod render;
mod sources;
mod vectors;
