//! Runs the evaluation vectors of `tests/data/eval/` through the C ABI,
//! the way `crates/semaforo/tests/it/vectors.rs` runs them through the facade:
//! compiles each vector's rules, lists and tables with the exported
//! `semaforo_compiler_*` functions, evaluates each input line with
//! `semaforo_evaluator_eval_json` and compares the outcome (`id`, `lane`,
//! `score`, `fired`, `undetermined`, `notes`, `draws`) with the expected
//! line, twice: as read from `semaforo_evaluator_outcome_json`, and as
//! assembled from the single-value readers (`_lane`, `_score`, `_fired`,
//! `_note`, `_undetermined`, `_id`). Every outcome must also carry the
//! ruleset's fingerprint (`semaforo_ruleset_fingerprint`) beside the engine
//! version, which is `semaforo_version()`.
//!
//! The crate has no rlib (see Cargo.toml), so this test mounts the crate's
//! source as a module and calls the `extern "C"` functions directly. The
//! vectors are read by the shared loader of `semaforo-testkit`, included by
//! path so that this crate's manifest names no project crate but the facade
//! (`tests/dependencies.rs`).

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

#[allow(
    dead_code,
    unreachable_pub,
    reason = "testkit's public module, of which this runner uses a part"
)]
#[path = "../../semaforo-testkit/src/vectors.rs"]
mod shared;

use ffi::*;
use serde_json::{Map, Value, json};
use shared::Vector;
use std::ffi::{CStr, c_char};
use std::ptr;

/// Panics with the status's message unless it is `SEMAFORO_OK`.
#[track_caller]
fn ok(status: semaforo_status, what: &str) {
    if status != semaforo_status::SEMAFORO_OK {
        // SAFETY: `semaforo_status_message` returns a static C string.
        let message = unsafe { CStr::from_ptr(semaforo_status_message(status as u32)) };
        panic!("{what}: {status:?} ({})", message.to_string_lossy());
    }
}

/// A borrowed string the library wrote as a pointer and a length.
///
/// # Safety
/// `ptr` and `len` must describe a live UTF-8 string.
unsafe fn text<'a>(ptr: *const c_char, len: usize) -> &'a str {
    if len == 0 {
        return "";
    }
    // SAFETY: by the caller's contract.
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }).unwrap()
}

/// Reads a string out-parameter pair through `f`.
fn read_str(
    what: &str,
    f: impl FnOnce(*mut *const c_char, *mut usize) -> semaforo_status,
) -> String {
    let (mut p, mut n) = (ptr::null(), 0);
    ok(f(&mut p, &mut n), what);
    // SAFETY: the library wrote a borrowed string, still live here.
    unsafe { text(p, n) }.to_string()
}

/// The vector's `args` as a context handle.
fn context(v: &Vector) -> *mut semaforo_context {
    let (today, key, key_id) = (&v.today, &v.sampling_key, &v.sampling_key_id);
    let mut ctx = ptr::null_mut();
    // SAFETY: valid out-parameter; the strings are live for each call.
    unsafe {
        ok(semaforo_context_new(1970, 1, 1, &mut ctx), "context");
        ok(
            semaforo_context_set_today_str(ctx, today.as_ptr().cast(), today.len()),
            "today",
        );
        ok(
            semaforo_context_set_sampling_key(
                ctx,
                key.as_ptr(),
                key.len(),
                key_id.as_ptr().cast(),
                key_id.len(),
            ),
            "sampling key",
        );
    }
    ctx
}

/// Compiles the vector's rules, lists and tables through the C compiler
/// handle, with the facade runner's names.
fn compile(v: &Vector) -> *mut semaforo_ruleset {
    let mut c = ptr::null_mut();
    // SAFETY: valid out-parameter.
    ok(unsafe { semaforo_compiler_new(&mut c) }, "compiler");
    let sources = v
        .packages
        .iter()
        .map(|p| (p.display().to_string(), v.text(p)));
    let rules = (v.rules_path.display().to_string(), v.rules.clone());
    for (name, text) in sources.chain(std::iter::once(rules)) {
        // SAFETY: a live compiler; the strings are live for the call.
        let s = unsafe {
            semaforo_compiler_add_source(
                c,
                name.as_ptr().cast(),
                name.len(),
                text.as_ptr().cast(),
                text.len(),
            )
        };
        ok(s, "add source");
    }
    let lists = v.lists.iter().map(|l| (l, true));
    let tables = v.tables.iter().map(|t| (t, false));
    for ((name, path), is_list) in lists.chain(tables) {
        let contents = v.text(path);
        let file = path.display().to_string();
        let add = if is_list {
            semaforo_compiler_add_list_file
        } else {
            semaforo_compiler_add_table_file
        };
        // SAFETY: a live compiler; the strings are live for the call.
        let s = unsafe {
            add(
                c,
                name.as_ptr().cast(),
                name.len(),
                file.as_ptr().cast(),
                file.len(),
                contents.as_ptr().cast(),
                contents.len(),
            )
        };
        ok(s, &file);
    }
    let mut rs = ptr::null_mut();
    let mut diags = ptr::null_mut();
    // SAFETY: a live compiler and valid out-parameters.
    let status = unsafe { semaforo_compiler_compile(c, &mut rs, &mut diags) };
    if status != semaforo_status::SEMAFORO_OK {
        let rendered = read_str("diagnostics", |p, n| {
            // SAFETY: the diagnostics handle the compiler wrote.
            unsafe { semaforo_diagnostics_rendered(diags, p, n) }
        });
        panic!("{}: {status:?}\n{rendered}", v.name);
    }
    // SAFETY: handles this test owns, freed once.
    unsafe {
        semaforo_diagnostics_free(diags);
        semaforo_compiler_free(c);
    }
    rs
}

/// A fired (or monitored) entry read through `read`, as the JSON output
/// writes it: `id`, `points`, then `draw`, `lane_draw` and `lane` when they
/// apply.
fn read_entry(read: impl FnOnce(*mut semaforo_fired_rule) -> semaforo_status) -> Value {
    let empty = semaforo_str {
        ptr: ptr::null(),
        len: 0,
    };
    let mut f = semaforo_fired_rule {
        id: empty,
        title: empty,
        sampled: false,
        draw: 0,
        points: 0,
        split: false,
        lane_draw: 0,
        lane: empty,
    };
    ok(read(&mut f), "fired entry");
    // SAFETY: strings the evaluator just wrote, read before the next call.
    let (id, lane) = unsafe { (text(f.id.ptr, f.id.len), text(f.lane.ptr, f.lane.len)) };
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("points".into(), json!(f.points));
    if f.sampled {
        m.insert("draw".into(), json!(f.draw));
    }
    if f.split {
        m.insert("lane_draw".into(), json!(f.lane_draw));
    }
    if !lane.is_empty() {
        m.insert("lane".into(), json!(lane));
    }
    Value::Object(m)
}

/// The outcome as assembled from the evaluator's single-value readers.
#[expect(
    clippy::undocumented_unsafe_blocks,
    reason = "one contract for every call here: a live evaluator holding an outcome, \
              valid out-parameters, and borrowed strings read before the next call"
)]
fn from_readers(e: *mut semaforo_evaluator) -> Value {
    let id = read_str("id", |p, n| unsafe { semaforo_evaluator_id(e, p, n) });
    let lane = read_str("lane", |p, n| unsafe { semaforo_evaluator_lane(e, p, n) });
    let mut score = 0i64;
    ok(unsafe { semaforo_evaluator_score(e, &mut score) }, "score");
    let mut count = 0usize;
    ok(
        unsafe { semaforo_evaluator_fired_count(e, &mut count) },
        "fired count",
    );
    let mut draws = Map::new();
    let fired: Vec<Value> = (0..count)
        .map(|i| {
            let f = read_entry(|f| unsafe { semaforo_evaluator_fired(e, i, f) });
            if let Some(d) = f.get("draw") {
                draws.insert(f["id"].as_str().unwrap().to_string(), d.clone());
            }
            f
        })
        .collect();
    ok(
        unsafe { semaforo_evaluator_monitored_count(e, &mut count) },
        "monitored count",
    );
    let monitored: Vec<Value> = (0..count)
        .map(|i| read_entry(|f| unsafe { semaforo_evaluator_monitored(e, i, f) }))
        .collect();
    ok(
        unsafe { semaforo_evaluator_note_count(e, &mut count) },
        "note count",
    );
    let notes: Vec<String> = (0..count)
        .map(|i| {
            read_str("note", |p, n| unsafe {
                semaforo_evaluator_note(e, i, p, n)
            })
        })
        .collect();
    ok(
        unsafe { semaforo_evaluator_undetermined_count(e, &mut count) },
        "undetermined count",
    );
    let undetermined: Vec<String> = (0..count)
        .map(|i| {
            read_str("undetermined", |p, n| unsafe {
                semaforo_evaluator_undetermined(e, i, p, n)
            })
        })
        .collect();
    ok(
        unsafe { semaforo_evaluator_overridden_count(e, &mut count) },
        "overridden count",
    );
    let overridden: Vec<Value> = (0..count)
        .map(|i| {
            let mut o = std::mem::MaybeUninit::<semaforo_overridden_rule>::zeroed();
            ok(
                unsafe { semaforo_evaluator_overridden(e, i, o.as_mut_ptr()) },
                "overridden",
            );
            // SAFETY: filled by the call above, which succeeded.
            let o = unsafe { o.assume_init() };
            // SAFETY: strings the evaluator just wrote, read before the next call.
            let (id, reason) =
                unsafe { (text(o.id.ptr, o.id.len), text(o.reason.ptr, o.reason.len)) };
            json!({
                "id": id,
                "change": if o.disabled { "disabled" } else { "adjusted" },
                "original": o.original,
                "applied": o.applied,
                "reason": reason,
            })
        })
        .collect();
    json!({
        "id": id,
        "lane": lane,
        "score": score,
        "fired": fired,
        "monitored": monitored,
        "undetermined": undetermined,
        "notes": notes,
        "draws": draws,
        "overridden": overridden,
    })
}

/// Runs one vector; returns a message per mismatching outcome.
fn run_vector(v: &Vector) -> Vec<String> {
    let name = &v.name;
    let rs = compile(v);
    let ctx = context(v);
    // SAFETY: a live ruleset (every call below).
    let fingerprint = read_str("fingerprint", |p, n| unsafe {
        semaforo_ruleset_fingerprint(rs, p, n)
    });
    // SAFETY: `semaforo_version` returns a static C string.
    let version = unsafe { CStr::from_ptr(semaforo_version()) }
        .to_str()
        .unwrap();
    assert_eq!(version, semaforo_core::ENGINE_VERSION);
    let mut e = ptr::null_mut();
    // SAFETY: a live ruleset and a valid out-parameter.
    ok(unsafe { semaforo_evaluator_new(rs, &mut e) }, "evaluator");
    let mut failures = Vec::new();
    for (i, input) in v.inputs.iter().enumerate() {
        // SAFETY: live handles; the input is live for the call.
        let status =
            unsafe { semaforo_evaluator_eval_json(e, ctx, input.as_ptr().cast(), input.len()) };
        if status != semaforo_status::SEMAFORO_OK {
            // SAFETY: a live evaluator and valid out-parameters.
            let error = read_str("last error", |p, n| unsafe {
                semaforo_evaluator_last_error(e, p, n)
            });
            panic!("{name} line {}: {status:?}: {error}", i + 1);
        }
        // SAFETY: a live evaluator and valid out-parameters.
        let line = read_str("outcome json", |p, n| unsafe {
            semaforo_evaluator_outcome_json(e, p, n)
        });
        let got: Value = serde_json::from_str(&line).unwrap();
        let at = format!("{name} line {}", i + 1);
        assert_eq!(got["sampling_key_id"], v.sampling_key_id.as_str(), "{at}");
        assert_eq!(got["ruleset"]["fingerprint"], fingerprint.as_str(), "{at}");
        assert_eq!(
            got["ruleset"]["engine"], version,
            "{at}: engine beside fingerprint"
        );
        failures.extend(v.compare(i, "outcome_json", &got));
        failures.extend(v.compare(i, "readers", &from_readers(e)));
    }
    // SAFETY: handles this test owns, freed once.
    unsafe {
        semaforo_evaluator_free(e);
        semaforo_context_free(ctx);
        semaforo_ruleset_release(rs);
    }
    failures
}

/// Every directory of `tests/data/eval/`, through the C ABI; one failure
/// report naming every vector and line that differs.
#[test]
fn every_vector_through_the_c_abi() {
    shared::run_all(run_vector);
}
