//! Evaluation performs zero heap allocations after warm-up. This test
//! counts allocations with its own global allocator (`stats_alloc`, so no
//! `unsafe` here), so it must stay alone in its test binary.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "a `harness = false` binary: its checks run in `main`, not in \
              `#[test]` functions (which clippy.toml exempts), so a failed \
              unwrap or index is the failed test, and it prints the \
              harness's lines itself"
)]

mod eval_support;

use std::alloc::System;

use eval_support::*;
use semaforo_plan::{Declaration, Outcome};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn evaluation_does_not_allocate_after_warm_up() {
    // The counter counts (one test only: the counter is process-wide, so a
    // second test running in parallel would disturb it).
    let region = Region::new(GLOBAL);
    let v: Vec<u64> = (0..100).collect();
    assert!(region.change().allocations >= 1);
    drop(v);

    let plan = everything();
    const SHAPES: usize = 60;
    // Bind every declaration up front, so only evaluation is measured.
    let decls: Vec<Declaration> = (0..SHAPES)
        .map(|k| {
            let mut d = Declaration::new(plan.layout());
            fill(&plan, &mut d, k);
            d
        })
        .collect();
    let mut scratch = plan.new_scratch();
    let mut out = Outcome::default();
    let c = ctx();
    // Warm-up: every shape once.
    let mut work_warm = 0usize;
    for d in &decls {
        plan.evaluate(d, &c, &mut scratch, &mut out).unwrap();
        work_warm += out.fired.len();
    }
    let region = Region::new(GLOBAL);
    let mut work = 0usize;
    for i in 0..10_000 {
        plan.evaluate(&decls[i % SHAPES], &c, &mut scratch, &mut out)
            .unwrap();
        work += out.fired.len() + out.undetermined.len();
    }
    let stats = region.change();
    assert!(work > 0 && work_warm > 0, "the plan must do some work");
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
}

/// This binary runs without libtest's harness (`harness = false` in
/// Cargo.toml): the harness's own threads allocate (output capture, the
/// "running for over 60 seconds" notice under load), and the allocation
/// counter is process-wide.
fn main() {
    evaluation_does_not_allocate_after_warm_up();
    println!("test evaluation_does_not_allocate_after_warm_up ... ok");
    println!("1 passed, 0 failed");
}
