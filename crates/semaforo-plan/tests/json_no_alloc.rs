//! Binding JSON with a reused [`JsonBinder`] and [`Declaration`] performs no
//! heap allocation after warm-up. Counts allocations with `stats_alloc` (no
//! `unsafe` here), so it stays alone in its test binary.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "a `harness = false` binary: its checks run in `main`, not in \
              `#[test]` functions (which clippy.toml exempts), so a failed \
              unwrap or index is the failed test, and it prints the \
              harness's lines itself"
)]

use std::alloc::System;

use semaforo_plan::json::JsonBinder;
use semaforo_plan::{Declaration, Field, FieldId, FieldType, Layout, Record, RecordId};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn field(name: &str, ty: FieldType, optional: bool) -> Field {
    Field {
        name: name.into(),
        ty,
        optional,
    }
}

fn binding_does_not_allocate_after_warm_up() {
    // The counter counts.
    let region = Region::new(GLOBAL);
    let v: Vec<u64> = (0..100).collect();
    assert!(region.change().allocations >= 1);
    drop(v);

    let layout = Layout::new(
        vec![
            Record {
                name: "declaration".into(),
                fields: vec![
                    field("id", FieldType::Text, false),
                    field("declared_on", FieldType::Date, false),
                    field("aeo", FieldType::Bool, false),
                    field("freight", FieldType::Number, true),
                    field("items", FieldType::List(RecordId(1)), false),
                ]
                .into(),
            },
            Record {
                name: "item".into(),
                fields: vec![
                    field("hs", FieldType::Text, false),
                    field("net_kg", FieldType::Number, false),
                ]
                .into(),
            },
        ],
        FieldId(0),
    )
    .unwrap();
    // Different shapes: escapes, unknown members (nested, and many of them),
    // numbers in several forms, 0 to 20 items.
    let inputs: Vec<String> = (0..40)
        .map(|k| {
            let items: Vec<String> = (0..k % 21)
                .map(|i| format!(r#"{{"hs": "64\u00e9{i}", "net_kg": {i}.25e1, "x{i}": [{{"y": null}}]}}"#))
                .collect();
            let many: Vec<String> = (0..k * 3).map(|i| format!(r#""u{i}": {i}"#)).collect();
            let many = if many.is_empty() { String::new() } else { format!("{},", many.join(",")) };
            format!(
                r#"{{"id": "GT-{k}\n", {many} "declared_on": "2026-06-01", "aeo": true, "freight": {k}.5, "items": [{}]}}"#,
                items.join(",")
            )
        })
        .collect();
    let mut binder = JsonBinder::new();
    let mut decl = Declaration::new(&layout);
    for input in &inputs {
        binder.bind(&layout, input.as_bytes(), &mut decl).unwrap();
    }
    let region = Region::new(GLOBAL);
    for i in 0..2_000 {
        binder
            .bind(&layout, inputs[i % inputs.len()].as_bytes(), &mut decl)
            .unwrap();
    }
    let stats = region.change();
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
}

/// This binary runs without libtest's harness (`harness = false` in
/// Cargo.toml): the harness's own threads allocate (output capture, the
/// "running for over 60 seconds" notice under load), and the allocation
/// counter is process-wide.
fn main() {
    binding_does_not_allocate_after_warm_up();
    println!("test binding_does_not_allocate_after_warm_up ... ok");
    println!("1 passed, 0 failed");
}
