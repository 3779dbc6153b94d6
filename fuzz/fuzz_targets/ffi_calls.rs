//! The C ABI: the input is read as a sequence of calls on handles, the way
//! a careless but not malicious C host would make them (NULL handles and
//! out-parameters, NULL text with a length, bytes that are not UTF-8, field
//! handles and elements of the wrong declaration or ruleset, indices out of
//! range, evaluators whose ruleset reference was released), and checks
//! after each call that:
//!
//! - no call panics (a caught panic would return `SEMAFORO_PANIC`, which
//!   fails the target too) and every status is one the header defines;
//! - every failed call that records its error (evaluations on an
//!   evaluator; setters, `_start_list`, `_push` and `_validate` on a
//!   declaration) leaves a non-empty `*_last_error`;
//! - out-parameters are not written on failure;
//! - after a failed evaluation call, and after a batch, no outcome is
//!   readable: every reader returns `SEMAFORO_NO_OUTCOME`; after a
//!   successful one, every reader succeeds;
//! - the reference count of a ruleset handle keeps it alive exactly as long
//!   as the target holds a reference (valgrind/ASan would catch the rest).
//!
//! The target never passes a dangling pointer: the ABI cannot detect one
//! (docs/c-abi.md), so a handle is forgotten the moment it is freed.
//!
//! The ffi crate has no rlib, so its source is mounted here as a module and
//! the exports are called as Rust functions.
#![no_main]

extern crate semaforo as semaforo_core;

#[allow(dead_code, unused_imports, unreachable_pub, missing_docs)]
#[path = "../../crates/semaforo-ffi/src/lib.rs"]
mod ffi;

use ffi::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::c_char;
use std::ptr;

const RULES_A: &str = r#"ruleset "fuzz" version "A"
lanes green, yellow, red
threshold red 50
record item {
  hs: text
  net_kg: number?
}
schema declaration {
  key id: text
  origin: text
  value: number
  aeo: bool?
  date: date?
  items: [item]
}
list high_risk = ["CN", "HK"]
rule ORIG "origin" { when origin in high_risk then score 30, note "origin" }
rule SHOE "shoes" { when any(it in items: it.hs starts with "6403") then lane red }
rule HEAVY "heavy" { when any(it in items: it.net_kg > 1000) then score 20 }
rule DATE "date" { when date < today then score 1 }
rule S "sampled" { sample 50% then score 1, note "sampled" }
"#;

/// The same schema, another version: a different ruleset (fingerprint,
/// plan), so its handles are of "another ruleset" to A's.
fn rules_b() -> String {
    RULES_A.replace("version \"A\"", "version \"B\"")
}

const RULES_BROKEN: &str = "ruleset \"x\" version \"1\"\nschema d { key id: text }\nrule R \"r\" { when nope == 1 then score 1 }\n";

const PATHS: &[&str] = &[
    "id",
    "origin",
    "value",
    "aeo",
    "date",
    "items",
    "items.hs",
    "items.net_kg",
    "nope",
    "items.",
    "",
];

const JSONS: &[&str] = &[
    r#"{"id":"D1","origin":"CN","value":10,"items":[{"hs":"640399","net_kg":2000}]}"#,
    r#"{"id":"D2","origin":"FR","value":0,"aeo":true,"date":"2020-01-01","items":[]}"#,
    r#"{"id":"D3","origin":"FR","value":1e30,"items":[]}"#,
    r#"{"id":"D4","origin":"\ud800","value":1,"items":[]}"#,
    r#"[{"id":"D5"}]"#,
    "{\"id\":\"D1\",\"origin\":\"CN\",\"value\":1,\"items\":[]}\n\n{nope\n",
];

/// The fuzz input as a stream of small decisions; zeros once it runs out.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// An index below `n`, or `n` itself (meaning "none": a NULL handle)
    /// about one time in eight.
    fn pick(&mut self, n: usize) -> usize {
        let b = self.byte() as usize;
        if n == 0 || b % 8 == 7 { n } else { b % n }
    }

    /// Up to 64 raw bytes.
    fn bytes(&mut self) -> &[u8] {
        let n = (self.byte() % 65) as usize;
        let n = n.min(self.data.len());
        let (b, rest) = self.data.split_at(n);
        self.data = rest;
        b
    }
}

/// A text argument: a fixed string, raw fuzz bytes, or NULL with a length.
fn text_arg<'a>(input: &mut Input<'a>, fixed: &'a [&'a str]) -> (*const c_char, usize, Vec<u8>) {
    match input.byte() % 4 {
        0 => (ptr::null(), (input.byte() % 3) as usize, Vec::new()),
        1 => {
            let b = input.bytes().to_vec();
            (ptr::null(), 0, b)
        }
        _ => {
            let s = fixed.get(input.pick(fixed.len())).copied().unwrap_or("");
            (ptr::null(), 0, s.as_bytes().to_vec())
        }
    }
}

/// Turns a text argument into the pointer and length to pass: the owned
/// bytes, or the NULL pointer and length chosen.
fn ptr_len(arg: &(*const c_char, usize, Vec<u8>)) -> (*const c_char, usize) {
    if arg.1 > 0 {
        (arg.0, arg.1)
    } else {
        (arg.2.as_ptr().cast(), arg.2.len())
    }
}

const KNOWN: &[u32] = &[
    0, 7001, 7002, 7004, 7005, 7006, 7100, 7200, 7201, 7300, 7301, 7302, 7303, 7304, 7305, 7306,
    7307, 7400, 7401,
];

fn known(s: semaforo_status) -> semaforo_status {
    assert!(KNOWN.contains(&(s as u32)), "unexpected status {s:?}");
    s
}

struct Evaluator {
    ptr: *mut semaforo_evaluator,
    /// Whether the last evaluation call on it succeeded.
    has_outcome: bool,
}

#[derive(Default)]
struct State {
    /// Ruleset handles with the references the target holds on each.
    rulesets: Vec<(*mut semaforo_ruleset, usize)>,
    evaluators: Vec<Evaluator>,
    contexts: Vec<*mut semaforo_context>,
    declarations: Vec<*mut semaforo_declaration>,
    fields: Vec<*mut semaforo_field>,
    elements: Vec<semaforo_element>,
}

fn get<T: Copy>(v: &[T], i: usize, null: T) -> T {
    v.get(i).copied().unwrap_or(null)
}

/// A borrowed string of the library.
fn borrowed(p: *const c_char, n: usize) -> Vec<u8> {
    assert!(!p.is_null() || n == 0);
    if n == 0 {
        return Vec::new();
    }
    // SAFETY: the library returned `p` with `n` readable bytes, and the
    // handle it came from has not been changed since.
    unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) }.to_vec()
}

fn evaluator_error(ev: *const semaforo_evaluator) -> Vec<u8> {
    let (mut p, mut n) = (ptr::null(), 0);
    // SAFETY: a live evaluator and local out-parameters.
    assert_eq!(
        unsafe { semaforo_evaluator_last_error(ev, &mut p, &mut n) },
        semaforo_status::SEMAFORO_OK
    );
    borrowed(p, n)
}

fn declaration_error(d: *const semaforo_declaration) -> Vec<u8> {
    let (mut p, mut n) = (ptr::null(), 0);
    // SAFETY: a live declaration and local out-parameters.
    assert_eq!(
        unsafe { semaforo_declaration_last_error(d, &mut p, &mut n) },
        semaforo_status::SEMAFORO_OK
    );
    borrowed(p, n)
}

/// Reads every outcome reader and checks them against `has_outcome`.
fn read_outcome(ev: &Evaluator, index: usize) {
    use semaforo_status::{SEMAFORO_NO_OUTCOME as NO, SEMAFORO_OK as OK};
    let e = ev.ptr;
    let (mut p, mut n) = (ptr::dangling::<c_char>(), 7usize);
    let mut lane = 7u32;
    let mut score = 7i64;
    let mut count = 7usize;
    // SAFETY: a live evaluator and local out-parameters.
    unsafe {
        let s = known(semaforo_evaluator_lane(e, &mut p, &mut n));
        if ev.has_outcome {
            assert_eq!(s, OK);
            assert!(n > 0);
        } else {
            assert_eq!(s, NO);
            assert_eq!(n, 7, "out-parameter written on failure");
        }
        let expect = if ev.has_outcome { OK } else { NO };
        assert_eq!(semaforo_evaluator_id(e, &mut p, &mut n), expect);
        assert_eq!(semaforo_evaluator_lane_index(e, &mut lane), expect);
        assert_eq!(semaforo_evaluator_score(e, &mut score), expect);
        assert_eq!(semaforo_evaluator_fired_count(e, &mut count), expect);
        assert_eq!(semaforo_evaluator_outcome_json(e, &mut p, &mut n), expect);
        if !ev.has_outcome {
            assert_eq!(
                (lane, score, count),
                (7, 7, 7),
                "out-parameter written on failure"
            );
        }
        let mut rule = semaforo_fired_rule {
            id: semaforo_str {
                ptr: ptr::null(),
                len: 0,
            },
            title: semaforo_str {
                ptr: ptr::null(),
                len: 0,
            },
            sampled: false,
            draw: 7,
            points: 7,
            split: false,
            lane_draw: 7,
            lane: semaforo_str {
                ptr: ptr::null(),
                len: 0,
            },
        };
        let s = known(semaforo_evaluator_fired(e, index, &mut rule));
        assert!(if ev.has_outcome {
            s == OK || s == semaforo_status::SEMAFORO_INDEX_OUT_OF_RANGE
        } else {
            s == NO
        });
        // Shadow rules: the same contract.
        let s = known(semaforo_evaluator_monitored_count(e, &mut count));
        assert!(if ev.has_outcome { s == OK } else { s == NO });
        let s = known(semaforo_evaluator_monitored(e, index, &mut rule));
        assert!(if ev.has_outcome {
            s == OK || s == semaforo_status::SEMAFORO_INDEX_OUT_OF_RANGE
        } else {
            s == NO
        });
        let s = known(semaforo_evaluator_note(e, index, &mut p, &mut n));
        assert!(if ev.has_outcome {
            s == OK || s == semaforo_status::SEMAFORO_INDEX_OUT_OF_RANGE
        } else {
            s == NO
        });
        let s = known(semaforo_evaluator_undetermined(e, index, &mut p, &mut n));
        assert!(if ev.has_outcome {
            s == OK || s == semaforo_status::SEMAFORO_INDEX_OUT_OF_RANGE
        } else {
            s == NO
        });
        let _ = known(semaforo_evaluator_note_count(e, &mut count));
        let _ = known(semaforo_evaluator_undetermined_count(e, &mut count));
    }
}

/// After an evaluation call on `ev`: record the outcome state and check the
/// last error of a failure.
fn after_eval(ev: &mut Evaluator, s: semaforo_status) {
    known(s);
    ev.has_outcome = s == semaforo_status::SEMAFORO_OK;
    if !ev.has_outcome {
        assert!(
            !evaluator_error(ev.ptr).is_empty(),
            "failed evaluation without a message ({s:?})"
        );
    }
    read_outcome(ev, 0);
}

/// After a recording declaration call: a failure leaves a message.
fn after_decl(d: *mut semaforo_declaration, s: semaforo_status) {
    if known(s) != semaforo_status::SEMAFORO_OK && !d.is_null() {
        assert!(
            !declaration_error(d).is_empty(),
            "failed declaration call without a message ({s:?})"
        );
    }
}

fn compile(state: &mut State, which: u8) {
    let b = rules_b();
    let source = match which % 3 {
        0 => RULES_A,
        1 => b.as_str(),
        _ => RULES_BROKEN,
    };
    let mut c = ptr::null_mut();
    let mut rs = ptr::dangling_mut::<semaforo_ruleset>();
    let mut diag = ptr::null_mut();
    // SAFETY: local out-parameters and live handles.
    unsafe {
        assert_eq!(semaforo_compiler_new(&mut c), semaforo_status::SEMAFORO_OK);
        assert_eq!(
            semaforo_compiler_add_source(
                c,
                c"f.sem".as_ptr(),
                5,
                source.as_ptr().cast(),
                source.len()
            ),
            semaforo_status::SEMAFORO_OK
        );
        let s = semaforo_compiler_compile(c, &mut rs, &mut diag);
        semaforo_compiler_free(c);
        let mut count = 0;
        assert_eq!(
            semaforo_diagnostics_count(diag, &mut count),
            semaforo_status::SEMAFORO_OK
        );
        let (mut p, mut n) = (ptr::null(), 0);
        assert_eq!(
            semaforo_diagnostics_rendered(diag, &mut p, &mut n),
            semaforo_status::SEMAFORO_OK
        );
        semaforo_diagnostics_free(diag);
        if s == semaforo_status::SEMAFORO_OK {
            state.rulesets.push((rs, 1));
        } else {
            assert_eq!(s, semaforo_status::SEMAFORO_COMPILE_FAILED);
            assert_eq!(rs, ptr::dangling_mut(), "ruleset written on failure");
            assert!(count > 0);
        }
    }
}

fn step(state: &mut State, input: &mut Input<'_>) {
    let op = input.byte() % 24;
    let ctx = get(
        &state.contexts,
        input.pick(state.contexts.len()),
        ptr::null_mut(),
    );
    let ei = input.pick(state.evaluators.len());
    let di = input.pick(state.declarations.len());
    let d = get(&state.declarations, di, ptr::null_mut());
    let f = get(
        &state.fields,
        input.pick(state.fields.len()),
        ptr::null_mut(),
    );
    let at = match input.byte() % 4 {
        0 => semaforo_element_root(),
        1 => semaforo_element {
            record: input.u32() % 4,
            index: input.u32() % 8,
        },
        _ => get(
            &state.elements,
            input.pick(state.elements.len()),
            semaforo_element_root(),
        ),
    };
    // SAFETY (every call below): every handle is NULL or live (the target
    // forgets a handle when it frees it), every pointer/length pair is NULL
    // with a length (the ABI must refuse it) or owned bytes of that length,
    // and out-parameters are locals.
    unsafe {
        match op {
            0 => compile(state, input.byte()),
            1 => {
                let i = input.pick(state.rulesets.len());
                let r = get(&state.rulesets, i, (ptr::null_mut(), 0)).0;
                let s = known(semaforo_ruleset_retain(r));
                if let Some(slot) = state.rulesets.get_mut(i) {
                    assert_eq!(s, semaforo_status::SEMAFORO_OK);
                    slot.1 += 1;
                } else {
                    assert_eq!(s, semaforo_status::SEMAFORO_NULL_PARAMETER);
                }
            }
            2 => {
                let i = input.pick(state.rulesets.len());
                let r = get(&state.rulesets, i, (ptr::null_mut(), 0)).0;
                semaforo_ruleset_release(r);
                if let Some(slot) = state.rulesets.get_mut(i) {
                    slot.1 -= 1;
                    if slot.1 == 0 {
                        state.rulesets.swap_remove(i);
                    } else {
                        // Still alive: its metadata still reads.
                        let (mut p, mut n) = (ptr::null(), 0);
                        assert_eq!(
                            semaforo_ruleset_fingerprint(r, &mut p, &mut n),
                            semaforo_status::SEMAFORO_OK
                        );
                        assert_eq!(n, 64);
                    }
                }
            }
            3 => {
                let r = get(
                    &state.rulesets,
                    input.pick(state.rulesets.len()),
                    (ptr::null_mut(), 0),
                )
                .0;
                let mut e = ptr::dangling_mut();
                let s = known(semaforo_evaluator_new(r, &mut e));
                if s == semaforo_status::SEMAFORO_OK {
                    state.evaluators.push(Evaluator {
                        ptr: e,
                        has_outcome: false,
                    });
                } else {
                    assert_eq!(e, ptr::dangling_mut());
                }
            }
            4 => {
                if ei < state.evaluators.len() {
                    let e = state.evaluators.swap_remove(ei);
                    semaforo_evaluator_free(e.ptr);
                } else {
                    semaforo_evaluator_free(ptr::null_mut());
                }
            }
            5 => {
                let mut c = ptr::dangling_mut();
                let (y, m, dd) = (
                    1900 + (input.byte() as i32) * 2,
                    u32::from(input.byte() % 14),
                    u32::from(input.byte() % 33),
                );
                if known(semaforo_context_new(y, m, dd, &mut c)) == semaforo_status::SEMAFORO_OK {
                    state.contexts.push(c);
                } else {
                    assert_eq!(c, ptr::dangling_mut());
                }
            }
            6 => {
                let key = input.bytes().to_vec();
                let label = text_arg(input, &["k1", ""]);
                let (lp, ll) = ptr_len(&label);
                known(semaforo_context_set_sampling_key(
                    ctx,
                    key.as_ptr(),
                    key.len(),
                    lp,
                    ll,
                ));
                known(semaforo_context_set_today(
                    ctx,
                    2026,
                    u32::from(input.byte() % 14),
                    1,
                ));
            }
            7 => {
                let i = input.pick(state.contexts.len());
                if i < state.contexts.len() {
                    semaforo_context_free(state.contexts.swap_remove(i));
                }
            }
            8 => {
                let r = get(
                    &state.rulesets,
                    input.pick(state.rulesets.len()),
                    (ptr::null_mut(), 0),
                )
                .0;
                let mut nd = ptr::dangling_mut();
                if known(semaforo_declaration_new(r, &mut nd)) == semaforo_status::SEMAFORO_OK {
                    state.declarations.push(nd);
                } else {
                    assert_eq!(nd, ptr::dangling_mut());
                }
            }
            9 => {
                if di < state.declarations.len() {
                    semaforo_declaration_free(state.declarations.swap_remove(di));
                }
            }
            10 => {
                known(semaforo_declaration_clear(d));
            }
            11 => {
                let r = get(
                    &state.rulesets,
                    input.pick(state.rulesets.len()),
                    (ptr::null_mut(), 0),
                )
                .0;
                let path = text_arg(input, PATHS);
                let (pp, pl) = ptr_len(&path);
                let mut nf = ptr::dangling_mut();
                if known(semaforo_ruleset_field(r, pp, pl, &mut nf)) == semaforo_status::SEMAFORO_OK
                {
                    state.fields.push(nf);
                } else {
                    assert_eq!(nf, ptr::dangling_mut());
                }
            }
            12 => {
                let i = input.pick(state.fields.len());
                if i < state.fields.len() {
                    semaforo_field_free(state.fields.swap_remove(i));
                }
            }
            13 => {
                let v = text_arg(
                    input,
                    &["CN", "6403990000", "CA\u{d1}A", "12.5", "2026-01-31", "1,5"],
                );
                let (vp, vl) = ptr_len(&v);
                let s = match input.byte() % 8 {
                    0 => semaforo_declaration_set_text(d, at, f, vp, vl),
                    1 => semaforo_declaration_set_number(d, at, f, vp, vl),
                    2 => semaforo_declaration_set_number_units(
                        d,
                        at,
                        f,
                        i64::from(input.u32() as i32),
                        u32::from(input.byte() % 9),
                    ),
                    3 => semaforo_declaration_set_bool(d, at, f, input.byte().is_multiple_of(2)),
                    4 => semaforo_declaration_set_date(
                        d,
                        at,
                        f,
                        2026,
                        u32::from(input.byte() % 14),
                        u32::from(input.byte() % 33),
                    ),
                    5 => semaforo_declaration_set_date_str(d, at, f, vp, vl),
                    6 => semaforo_declaration_set_missing(d, at, f),
                    _ => semaforo_declaration_start_list(d, at, f),
                };
                after_decl(d, s);
            }
            14 => {
                let mut el = semaforo_element {
                    record: 99,
                    index: 99,
                };
                let out = if input.byte().is_multiple_of(8) {
                    ptr::null_mut()
                } else {
                    &mut el as *mut _
                };
                let s = semaforo_declaration_push(d, at, f, out);
                after_decl(d, s);
                if s == semaforo_status::SEMAFORO_OK {
                    state.elements.push(el);
                } else {
                    assert_eq!(
                        el,
                        semaforo_element {
                            record: 99,
                            index: 99
                        }
                    );
                }
            }
            15 => {
                let s = semaforo_declaration_validate(d);
                after_decl(d, s);
            }
            16 | 17 => {
                let json = text_arg(input, JSONS);
                let (jp, jl) = ptr_len(&json);
                if let Some(ev) = state.evaluators.get_mut(ei) {
                    let s = semaforo_evaluator_eval_json(ev.ptr, ctx, jp, jl);
                    after_eval(ev, s);
                } else {
                    assert_eq!(
                        known(semaforo_evaluator_eval_json(ptr::null_mut(), ctx, jp, jl)),
                        semaforo_status::SEMAFORO_NULL_PARAMETER
                    );
                }
            }
            18 => {
                if let Some(ev) = state.evaluators.get_mut(ei) {
                    let s = semaforo_evaluator_eval(ev.ptr, ctx, d);
                    after_eval(ev, s);
                }
            }
            19 => {
                let json = text_arg(input, JSONS);
                let (jp, jl) = ptr_len(&json);
                let (mut count, mut failed) = (7usize, 7usize);
                let null_out = input.byte().is_multiple_of(8);
                if let Some(ev) = state.evaluators.get_mut(ei) {
                    let cp = if null_out {
                        ptr::null_mut()
                    } else {
                        &mut count as *mut usize
                    };
                    let s = known(semaforo_evaluator_eval_batch(
                        ev.ptr,
                        ctx,
                        jp,
                        jl,
                        cp,
                        &mut failed,
                    ));
                    ev.has_outcome = false;
                    if s == semaforo_status::SEMAFORO_OK {
                        assert!(failed <= count);
                        for i in 0..count.min(4) {
                            let mut st = semaforo_status::SEMAFORO_PANIC;
                            assert_eq!(
                                semaforo_evaluator_batch_status(ev.ptr, i, &mut st),
                                semaforo_status::SEMAFORO_OK
                            );
                            known(st);
                        }
                        let mut st = semaforo_status::SEMAFORO_PANIC;
                        assert_eq!(
                            semaforo_evaluator_batch_status(ev.ptr, count, &mut st),
                            semaforo_status::SEMAFORO_INDEX_OUT_OF_RANGE
                        );
                        assert_eq!(st, semaforo_status::SEMAFORO_PANIC);
                    } else {
                        assert_eq!((count, failed), (7, 7), "out-parameter written on failure");
                        assert!(!evaluator_error(ev.ptr).is_empty());
                    }
                    read_outcome(ev, 0);
                }
            }
            20 => {
                if let Some(ev) = state.evaluators.get(ei) {
                    read_outcome(ev, input.byte() as usize % 4);
                }
            }
            21 => {
                if let Some(ev) = state.evaluators.get(ei) {
                    let (mut p, mut n) = (ptr::null(), 0);
                    assert_eq!(
                        semaforo_evaluator_batch_output(ev.ptr, &mut p, &mut n),
                        semaforo_status::SEMAFORO_OK
                    );
                    let _ = borrowed(p, n);
                }
            }
            22 => {
                if !d.is_null() {
                    let (mut p, mut n) = (ptr::null(), 0);
                    assert_eq!(
                        semaforo_declaration_key(d, &mut p, &mut n),
                        semaforo_status::SEMAFORO_OK
                    );
                    let _ = borrowed(p, n);
                }
            }
            _ => {
                let r = get(
                    &state.rulesets,
                    input.pick(state.rulesets.len()),
                    (ptr::null_mut(), 0),
                )
                .0;
                let (mut p, mut n) = (ptr::null(), 0);
                let mut count = 0;
                known(semaforo_ruleset_name(r, &mut p, &mut n));
                known(semaforo_ruleset_lane_count(r, &mut count));
                known(semaforo_ruleset_lane_name(
                    r,
                    input.byte() as usize % 4,
                    &mut p,
                    &mut n,
                ));
                let mut t = 0u32;
                known(semaforo_field_type(f, &mut t));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let mut state = State::default();
    compile(&mut state, 0);
    let mut steps = 0;
    while !input.data.is_empty() && steps < 256 {
        step(&mut state, &mut input);
        steps += 1;
    }
    // SAFETY: every handle left is live and freed once; the references the
    // target holds on each ruleset are all dropped.
    unsafe {
        for e in state.evaluators.drain(..) {
            semaforo_evaluator_free(e.ptr);
        }
        for c in state.contexts.drain(..) {
            semaforo_context_free(c);
        }
        for d in state.declarations.drain(..) {
            semaforo_declaration_free(d);
        }
        for f in state.fields.drain(..) {
            semaforo_field_free(f);
        }
        for (r, refs) in state.rulesets.drain(..) {
            for _ in 0..refs {
                semaforo_ruleset_release(r);
            }
        }
    }
});
