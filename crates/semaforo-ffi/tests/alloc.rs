//! The direct path performs no heap allocation per declaration once warm:
//! a counting global allocator watches the C API functions (driven from
//! Rust) fill, evaluate and read 200 declarations in reused buffers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use semaforo::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_char;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const OK: semaforo_status = semaforo_status::SEMAFORO_OK;

fn s(t: &str) -> (*const c_char, usize) {
    (t.as_ptr().cast(), t.len())
}

const RULES: &str = r#"
ruleset "alloc" version "1"
schema declaration {
  key id: text
  importer: text
  aeo: bool
  declared_on: date
  items: [item]
}
record item {
  hs: text
  net_kg: number
  value: number
}
list watched = ["IMP-7"]
rule W "Watched importer" { when importer in watched and not aeo then lane red, note "inspect" }
rule V "Cheap footwear" {
  when any(it in items: it.hs starts with "6403" and it.value / it.net_kg < 2)
  then score 40
}
rule S "Sample" { sample 50% then score 1 }
"#;

#[test]
fn direct_path_does_not_allocate_after_warm_up() {
    // SAFETY: every pointer passed below is a live handle or a valid
    // pointer/length pair into a Rust string that outlives the call.
    unsafe {
        let mut c = std::ptr::null_mut();
        assert_eq!(semaforo_compiler_new(&mut c), OK);
        let (n, nl) = s("alloc.sem");
        let (t, tl) = s(RULES);
        assert_eq!(semaforo_compiler_add_source(c, n, nl, t, tl), OK);
        let mut rs = std::ptr::null_mut();
        assert_eq!(
            semaforo_compiler_compile(c, &mut rs, std::ptr::null_mut()),
            OK
        );
        semaforo_compiler_free(c);

        let field = |path: &str| {
            let mut f = std::ptr::null_mut();
            let (p, l) = s(path);
            assert_eq!(semaforo_ruleset_field(rs, p, l, &mut f), OK);
            f
        };
        let (id, importer, aeo, declared, items, hs, net, value) = (
            field("id"),
            field("importer"),
            field("aeo"),
            field("declared_on"),
            field("items"),
            field("items.hs"),
            field("items.net_kg"),
            field("items.value"),
        );
        let mut ctx = std::ptr::null_mut();
        assert_eq!(semaforo_context_new(2026, 6, 1, &mut ctx), OK);
        let key = [7u8; 16];
        let (k, kl) = s("key-1");
        assert_eq!(
            semaforo_context_set_sampling_key(ctx, key.as_ptr(), 16, k, kl),
            OK
        );
        let mut d = std::ptr::null_mut();
        assert_eq!(semaforo_declaration_new(rs, &mut d), OK);
        let mut ev = std::ptr::null_mut();
        assert_eq!(semaforo_evaluator_new(rs, &mut ev), OK);

        let ids = [
            "D-000", "D-001", "D-002", "D-003", "D-004", "D-005", "D-006", "D-007",
        ];
        let mut reds = 0usize;
        let mut run = |i: usize| {
            let root = semaforo_element_root();
            assert_eq!(semaforo_declaration_clear(d), OK);
            let (p, l) = s(ids[i % ids.len()]);
            assert_eq!(semaforo_declaration_set_text(d, root, id, p, l), OK);
            let (p, l) = s(if i.is_multiple_of(2) { "IMP-7" } else { "IMP-8" });
            assert_eq!(semaforo_declaration_set_text(d, root, importer, p, l), OK);
            assert_eq!(semaforo_declaration_set_bool(d, root, aeo, i.is_multiple_of(3)), OK);
            assert_eq!(
                semaforo_declaration_set_date(d, root, declared, 2026, 5, 1 + (i % 28) as u32),
                OK
            );
            for k in 0..(1 + i % 5) {
                let mut it = semaforo_element_root();
                assert_eq!(semaforo_declaration_push(d, root, items, &mut it), OK);
                let (p, l) = s("6403990000");
                assert_eq!(semaforo_declaration_set_text(d, it, hs, p, l), OK);
                let (p, l) = s("100.5");
                assert_eq!(semaforo_declaration_set_number(d, it, net, p, l), OK);
                assert_eq!(
                    semaforo_declaration_set_number_units(d, it, value, 15_000 + k as i64, 2),
                    OK
                );
            }
            assert_eq!(semaforo_evaluator_eval(ev, ctx, d), OK);
            let (mut p, mut l) = (std::ptr::null(), 0usize);
            assert_eq!(semaforo_evaluator_lane(ev, &mut p, &mut l), OK);
            if l == 3 {
                reds += 1;
            }
            let mut count = 0usize;
            assert_eq!(semaforo_evaluator_fired_count(ev, &mut count), OK);
            for j in 0..count {
                let mut r = std::mem::zeroed::<semaforo_fired_rule>();
                assert_eq!(semaforo_evaluator_fired(ev, j, &mut r), OK);
            }
            let mut score = 0i64;
            assert_eq!(semaforo_evaluator_score(ev, &mut score), OK);
            assert_eq!(semaforo_evaluator_outcome_json(ev, &mut p, &mut l), OK);
            assert!(l > 0);
        };
        // Warm-up: the largest declaration (5 items) and every id.
        for i in 0..40 {
            run(i);
        }
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for i in 0..200 {
            run(i);
        }
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(
            after - before,
            0,
            "the direct path allocated {} times in 200 declarations",
            after - before
        );
        assert!(reds > 0, "the watched importer should have gone red");

        for f in [id, importer, aeo, declared, items, hs, net, value] {
            semaforo_field_free(f);
        }
        semaforo_evaluator_free(ev);
        semaforo_declaration_free(d);
        semaforo_context_free(ctx);
        semaforo_ruleset_free(rs);
    }
}
