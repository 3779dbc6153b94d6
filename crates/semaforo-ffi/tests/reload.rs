//! Reloading rules while workers evaluate: the reference-counted ruleset
//! handle and the recipe of docs/c-abi.md ("Reloading rules"), driven
//! through the exported functions themselves.
//!
//! Eight threads evaluate declarations while a ninth compiles a new
//! ruleset (a new version, so a new fingerprint) and swaps it in, 1,000
//! times. A worker locks the shared pointer, retains the current ruleset,
//! unlocks, evaluates and releases; the reloader swaps under the lock and
//! releases the old ruleset, which is freed as soon as the last worker
//! using it lets go. Every outcome must carry the fingerprint of a ruleset
//! that was current during its evaluation, and none may be lost. (The C
//! version of this test, `tests/c/test_reload.c`, runs under valgrind too.)
//!
//! The crate has no rlib (see Cargo.toml), so this test mounts the crate's
//! source as a module and calls the `extern "C"` functions directly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test"
)]

#[allow(
    unreachable_pub,
    unused_imports,
    missing_docs,
    dead_code,
    reason = "the library, mounted as a module"
)]
#[path = "../src/lib.rs"]
mod ffi;

use ffi::*;
use std::ffi::c_char;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

const WORKERS: usize = 8;

/// The number of swaps: 1,000, or `SEMAFORO_RELOAD_SWAPS`.
fn swaps() -> usize {
    std::env::var("SEMAFORO_RELOAD_SWAPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}

/// The ruleset every worker evaluates from, with its generation.
struct Current {
    rs: *mut semaforo_ruleset,
    generation: usize,
}

// SAFETY: a ruleset handle may be used from any thread (docs/c-abi.md).
unsafe impl Send for Current {}

fn ruleset_text(version: usize) -> String {
    format!(
        "ruleset \"reload\" version \"{version}\"\n\
         schema declaration {{\n  key id: text\n  origin: text\n}}\n\
         rule R1 \"CN\" {{ when origin == \"CN\" then lane red }}\n"
    )
}

fn compile(version: usize) -> *mut semaforo_ruleset {
    let text = ruleset_text(version);
    let mut c = ptr::null_mut();
    let mut rs = ptr::null_mut();
    // SAFETY: live handles (a ruleset only while referenced) and locals.
    unsafe {
        assert_eq!(semaforo_compiler_new(&mut c), semaforo_status::SEMAFORO_OK);
        assert_eq!(
            semaforo_compiler_add_source(c, c"r.sem".as_ptr(), 5, text.as_ptr().cast(), text.len()),
            semaforo_status::SEMAFORO_OK
        );
        assert_eq!(
            semaforo_compiler_compile(c, &mut rs, ptr::null_mut()),
            semaforo_status::SEMAFORO_OK
        );
        semaforo_compiler_free(c);
    }
    rs
}

/// A borrowed string of the library as a Rust string.
unsafe fn borrowed<'a>(p: *const c_char, n: usize) -> &'a str {
    // SAFETY: `p` has `n` readable bytes; the handle is unchanged since.
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) }).unwrap()
}

fn fingerprint(rs: *const semaforo_ruleset) -> String {
    let (mut p, mut n) = (ptr::null(), 0);
    // SAFETY: live handles (a ruleset only while referenced) and locals.
    unsafe {
        assert_eq!(
            semaforo_ruleset_fingerprint(rs, &mut p, &mut n),
            semaforo_status::SEMAFORO_OK
        );
        borrowed(p, n).to_string()
    }
}

struct Shared {
    current: Mutex<Current>,
    /// `fingerprints[g]` is the fingerprint of generation `g`, pushed
    /// before the generation is published.
    fingerprints: RwLock<Vec<String>>,
    stop: AtomicBool,
    evaluated: AtomicUsize,
}

fn generation(s: &Shared) -> usize {
    s.current.lock().unwrap().generation
}

fn worker(s: &Shared, w: usize) -> usize {
    let mut ctx = ptr::null_mut();
    // SAFETY: live handles (a ruleset only while referenced) and locals.
    unsafe {
        assert_eq!(
            semaforo_context_new(2026, 11, 20, &mut ctx),
            semaforo_status::SEMAFORO_OK
        );
    }
    let mut done = 0;
    let mut generations_seen = 0;
    let mut last_generation = usize::MAX;
    while !s.stop.load(Ordering::Relaxed) {
        let before = generation(s);
        let (rs, g) = {
            let cur = s.current.lock().unwrap();
            // SAFETY: live handles (a ruleset only while referenced) and locals.
            unsafe {
                assert_eq!(
                    semaforo_ruleset_retain(cur.rs),
                    semaforo_status::SEMAFORO_OK
                );
            }
            (cur.rs, cur.generation)
        };
        let mut ev = ptr::null_mut();
        // SAFETY: live handles (a ruleset only while referenced) and locals.
        unsafe {
            assert_eq!(
                semaforo_evaluator_new(rs, &mut ev),
                semaforo_status::SEMAFORO_OK
            );
            // The evaluator keeps the rules alive: the reference can go now.
            semaforo_ruleset_release(rs);
        }
        let json = format!("{{\"id\":\"W{w}-{done}\",\"origin\":\"CN\"}}");
        let (mut p, mut n) = (ptr::null(), 0);
        // SAFETY: live handles (a ruleset only while referenced) and locals.
        let outcome = unsafe {
            assert_eq!(
                semaforo_evaluator_eval_json(ev, ctx, json.as_ptr().cast(), json.len()),
                semaforo_status::SEMAFORO_OK
            );
            assert_eq!(
                semaforo_evaluator_outcome_json(ev, &mut p, &mut n),
                semaforo_status::SEMAFORO_OK
            );
            borrowed(p, n).to_string()
        };
        // SAFETY: live handles (a ruleset only while referenced) and locals.
        unsafe { semaforo_evaluator_free(ev) };
        let after = generation(s);
        assert!(before <= g && g <= after);
        let fps = s.fingerprints.read().unwrap();
        let live = &fps[before..=after];
        let found = live
            .iter()
            .any(|fp| outcome.contains(&format!("\"fingerprint\":\"{fp}\"")));
        assert!(
            found,
            "outcome of a ruleset not current during its evaluation: {outcome}"
        );
        assert!(
            outcome.contains(&format!("\"id\":\"W{w}-{done}\"")),
            "{outcome}"
        );
        assert!(outcome.contains("\"lane\":\"red\""), "{outcome}");
        if g != last_generation {
            generations_seen += 1;
            last_generation = g;
        }
        done += 1;
    }
    // SAFETY: live handles (a ruleset only while referenced) and locals.
    unsafe { semaforo_context_free(ctx) };
    s.evaluated.fetch_add(done, Ordering::Relaxed);
    generations_seen
}

#[test]
fn eight_workers_evaluate_while_the_ruleset_is_swapped() {
    let first = compile(0);
    let shared = Shared {
        fingerprints: RwLock::new(vec![fingerprint(first)]),
        current: Mutex::new(Current {
            rs: first,
            generation: 0,
        }),
        stop: AtomicBool::new(false),
        evaluated: AtomicUsize::new(0),
    };
    let swaps = swaps();
    let seen: Vec<usize> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let s = &shared;
                scope.spawn(move || worker(s, w))
            })
            .collect();
        for g in 1..=swaps {
            let next = compile(g);
            shared.fingerprints.write().unwrap().push(fingerprint(next));
            let old = {
                let mut cur = shared.current.lock().unwrap();
                cur.generation = g;
                std::mem::replace(&mut cur.rs, next)
            };
            // Freed here unless a worker still holds a reference.
            // SAFETY: live handles (a ruleset only while referenced) and locals.
            unsafe { semaforo_ruleset_release(old) };
        }
        shared.stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let cur = shared.current.into_inner().unwrap();
    // SAFETY: live handles (a ruleset only while referenced) and locals.
    unsafe { semaforo_ruleset_free(cur.rs) };
    let evaluated = shared.evaluated.load(Ordering::Relaxed);
    assert!(evaluated >= WORKERS, "{evaluated} evaluations");
    // Each worker evaluated at least once; together they saw several
    // generations (the workers overlap the swaps).
    assert!(seen.iter().all(|&n| n >= 1));
    assert!(seen.iter().sum::<usize>() > WORKERS, "{seen:?}");
}

/// Retain and release count: a ruleset retained twice survives two
/// releases of three, and every handle made from it outlives them all.
#[test]
fn retain_and_release_count_references() {
    let rs = compile(1);
    let mut ev = ptr::null_mut();
    let mut ctx = ptr::null_mut();
    // SAFETY: live handles (a ruleset only while referenced) and locals.
    unsafe {
        assert_eq!(semaforo_ruleset_retain(rs), semaforo_status::SEMAFORO_OK);
        assert_eq!(semaforo_ruleset_retain(rs), semaforo_status::SEMAFORO_OK);
        assert_eq!(
            semaforo_ruleset_retain(ptr::null()),
            semaforo_status::SEMAFORO_NULL_PARAMETER
        );
        semaforo_ruleset_release(rs);
        semaforo_ruleset_free(rs);
        // One reference left: still usable.
        assert_eq!(fingerprint(rs).len(), 64);
        assert_eq!(
            semaforo_evaluator_new(rs, &mut ev),
            semaforo_status::SEMAFORO_OK
        );
        semaforo_ruleset_release(rs);
        semaforo_ruleset_release(ptr::null());
        assert_eq!(
            semaforo_context_new(2026, 1, 1, &mut ctx),
            semaforo_status::SEMAFORO_OK
        );
        let json = "{\"id\":\"A\",\"origin\":\"CN\"}";
        assert_eq!(
            semaforo_evaluator_eval_json(ev, ctx, json.as_ptr().cast(), json.len()),
            semaforo_status::SEMAFORO_OK
        );
        semaforo_evaluator_free(ev);
        semaforo_context_free(ctx);
    }
}
