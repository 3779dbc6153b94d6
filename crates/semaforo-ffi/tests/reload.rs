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

/// The repository's example bundle and its (example) public key.
fn example(name: &str) -> Vec<u8> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/regional/bundle");
    std::fs::read(dir.join(name)).unwrap()
}

/// Loads a bundle through the C ABI: the status, the ruleset (NULL unless
/// loaded) and the first diagnostic's file and message.
fn load_bundle(
    bytes: &[u8],
    key: &[u8],
    into: &mut *mut semaforo_ruleset,
) -> (semaforo_status, String, String) {
    let keys = [semaforo_str {
        ptr: key.as_ptr().cast(),
        len: key.len(),
    }];
    let mut diags = ptr::null_mut();
    // SAFETY: live handles and locals; the byte slices outlive the call.
    unsafe {
        let status = semaforo_bundle_load(
            bytes.as_ptr(),
            bytes.len(),
            keys.as_ptr(),
            1,
            into,
            &mut diags,
        );
        let (mut file, mut message) = (String::new(), String::new());
        let mut count = 0;
        assert_eq!(
            semaforo_diagnostics_count(diags, &mut count),
            semaforo_status::SEMAFORO_OK
        );
        if status != semaforo_status::SEMAFORO_OK {
            assert_eq!(count, 1);
            let mut d = std::mem::zeroed::<semaforo_diagnostic>();
            assert_eq!(
                semaforo_diagnostics_get(diags, 0, &mut d),
                semaforo_status::SEMAFORO_OK
            );
            file = borrowed(d.file.ptr, d.file.len).to_string();
            message = borrowed(d.message.ptr, d.message.len).to_string();
        }
        semaforo_diagnostics_free(diags);
        (status, file, message)
    }
}

#[test]
fn a_bundle_that_fails_to_load_leaves_the_current_ruleset_untouched() {
    let good = example("regional.bundle");
    let key = example("example-signing.pub");
    let mut current = ptr::null_mut();
    let (status, _, _) = load_bundle(&good, &key, &mut current);
    assert_eq!(status, semaforo_status::SEMAFORO_OK);
    assert!(!current.is_null());
    let before = fingerprint(current);

    // A reload into a fresh variable, as docs/c-abi.md recommends: every
    // refusal leaves it NULL, so the host keeps `current`.
    let at = good.windows(5).position(|w| w == b"rule ").unwrap();
    let mut flipped = good.clone();
    flipped[at] ^= 1;
    let other_key = b"semaforo-ed25519-public 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29\n";
    for (bytes, k, want, file) in [
        (
            &flipped,
            &key[..],
            semaforo_status::SEMAFORO_BUNDLE_TAMPERED,
            "sources/regional.sem",
        ),
        (
            &good,
            &other_key[..],
            semaforo_status::SEMAFORO_BUNDLE_UNTRUSTED,
            "<bundle>",
        ),
        (
            &good,
            &b"semaforo-ed25519-secret 00"[..],
            semaforo_status::SEMAFORO_INVALID_ARGUMENT,
            "<bundle>",
        ),
        (
            &good[..good.len() / 2].to_vec(),
            &key[..],
            semaforo_status::SEMAFORO_BUNDLE_INVALID,
            "<bundle>",
        ),
    ] {
        let mut next = ptr::null_mut();
        let (status, f, message) = load_bundle(bytes, k, &mut next);
        assert_eq!(status, want, "{message}");
        assert_eq!(f, file, "{message}");
        assert!(!message.is_empty());
        assert!(next.is_null(), "a refused bundle writes no ruleset");
        assert_eq!(fingerprint(current), before);
    }

    // A good reload swaps.
    let mut next = ptr::null_mut();
    assert_eq!(
        load_bundle(&good, &key, &mut next).0,
        semaforo_status::SEMAFORO_OK
    );
    // SAFETY: both are live rulesets holding one reference each.
    unsafe {
        semaforo_ruleset_release(current);
        current = next;
        assert_eq!(fingerprint(current), before);
        semaforo_ruleset_release(current);
    }
}

#[test]
fn conformance_vectors_run_through_the_c_abi() {
    let good = example("regional.bundle");
    let key = example("example-signing.pub");
    let keys = [semaforo_str {
        ptr: key.as_ptr().cast(),
        len: key.len(),
    }];
    // SAFETY: live handles and locals.
    unsafe {
        let mut report = ptr::null_mut();
        let status = semaforo_bundle_conformance(
            good.as_ptr(),
            good.len(),
            keys.as_ptr(),
            1,
            ptr::null(),
            &mut report,
            ptr::null_mut(),
        );
        assert_eq!(status, semaforo_status::SEMAFORO_OK);
        let (mut total, mut failed) = (0, 1);
        assert_eq!(
            semaforo_conformance_total(report, &mut total),
            semaforo_status::SEMAFORO_OK
        );
        assert_eq!(
            semaforo_conformance_failed(report, &mut failed),
            semaforo_status::SEMAFORO_OK
        );
        assert_eq!((total, failed), (44, 0));
        semaforo_conformance_free(report);

        // Against another ruleset: the vectors it decides otherwise are
        // mismatches, each named.
        let other = compile(1);
        let mut report = ptr::null_mut();
        let status = semaforo_bundle_conformance(
            good.as_ptr(),
            good.len(),
            keys.as_ptr(),
            1,
            other,
            &mut report,
            ptr::null_mut(),
        );
        assert_eq!(status, semaforo_status::SEMAFORO_BUNDLE_CONFORMANCE_FAILED);
        assert_eq!(
            semaforo_conformance_failed(report, &mut failed),
            semaforo_status::SEMAFORO_OK
        );
        assert!(failed > 0 && failed <= 44, "{failed}");
        let (mut p, mut n) = (ptr::null(), 0);
        assert_eq!(
            semaforo_conformance_mismatch(report, 0, &mut p, &mut n),
            semaforo_status::SEMAFORO_OK
        );
        assert!(
            borrowed(p, n).starts_with("line 1, declaration `"),
            "{}",
            borrowed(p, n)
        );
        assert_eq!(
            semaforo_conformance_mismatch(report, failed, &mut p, &mut n),
            semaforo_status::SEMAFORO_INDEX_OUT_OF_RANGE
        );
        assert_eq!(
            semaforo_conformance_json(report, &mut p, &mut n),
            semaforo_status::SEMAFORO_OK
        );
        let v: serde_json::Value = serde_json::from_str(borrowed(p, n)).unwrap();
        assert_eq!(v["failed"], failed);
        semaforo_conformance_free(report);
        semaforo_ruleset_release(other);

        // NULL checks.
        assert_eq!(
            semaforo_bundle_conformance(
                good.as_ptr(),
                good.len(),
                keys.as_ptr(),
                1,
                ptr::null(),
                ptr::null_mut(),
                ptr::null_mut()
            ),
            semaforo_status::SEMAFORO_NULL_PARAMETER
        );
        let mut rs = ptr::null_mut();
        assert_eq!(
            semaforo_bundle_load(ptr::null(), 5, keys.as_ptr(), 1, &mut rs, ptr::null_mut()),
            semaforo_status::SEMAFORO_NULL_PARAMETER
        );
        assert!(rs.is_null());
    }
}
