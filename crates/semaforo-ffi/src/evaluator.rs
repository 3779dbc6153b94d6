//! The evaluator handle: per-thread scratch space, the last outcome and its
//! readers, and the batch call.

use super::context::semaforo_context;
use super::declaration::semaforo_declaration;
use super::ruleset::semaforo_ruleset;
use super::status::{Status, guard, input_status, semaforo_status};
use super::util::{
    ArgError, bytes, free_handle, handle, handle_mut, into_handle, out, semaforo_str, wipe_key,
    write, write_str,
};
use semaforo_core::{
    Context, Declaration, InputError, JsonBinder, Outcome, OutcomeView, Ruleset, Scratch,
    split_json_array,
};
use std::ffi::c_char;
use std::fmt::Write as _;

/// One fired rule, as filled by `semaforo_evaluator_fired` (or a shadow
/// rule that would have fired, by `semaforo_evaluator_monitored`). The
/// strings are borrowed from the evaluator.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct semaforo_fired_rule {
    /// The rule's id (`VAL-001`).
    pub id: semaforo_str,
    /// The rule's title.
    pub title: semaforo_str,
    /// True for a sampled rule; then `draw` holds its draw.
    pub sampled: bool,
    /// The sample draw (`hash % 1000000`), for replay by an auditor; 0 when
    /// `sampled` is false.
    pub draw: u32,
    /// The rule's points: its score rounded half to even and clamped to
    /// ±1000000; 0 without a score or when the score expression is missing.
    pub points: i64,
    /// True for a rule with a lane split; then `lane_draw` holds its lane
    /// draw.
    pub split: bool,
    /// The lane draw (over `0x1E`), for replay; 0 when `split` is false.
    pub lane_draw: u32,
    /// The lane action in effect (`lane L`, or the lane the split chose);
    /// empty (`len` 0) when there is none.
    pub lane: semaforo_str,
}

/// A package's rule whose `override` applied to the declaration, as filled
/// by `semaforo_evaluator_overridden`. The strings are borrowed from the
/// evaluator.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct semaforo_overridden_rule {
    /// The rule's id, qualified by its package (`sica/VAL-001`).
    pub id: semaforo_str,
    /// True when the override disables the rule (otherwise it adjusts it).
    pub disabled: bool,
    /// The rule as its package defines it would have fired.
    pub original: bool,
    /// The rule fired as the override makes it (it is then among the fired
    /// or monitored rules).
    pub applied: bool,
    /// The override's reason.
    pub reason: semaforo_str,
}

impl semaforo_fired_rule {
    fn of(f: &semaforo_core::FiredRule<'_>) -> semaforo_fired_rule {
        semaforo_fired_rule {
            id: semaforo_str::of(f.id),
            title: semaforo_str::of(f.title),
            sampled: f.draw.is_some(),
            draw: f.draw.unwrap_or(0),
            points: f.points,
            split: f.lane_draw.is_some(),
            lane_draw: f.lane_draw.unwrap_or(0),
            lane: semaforo_str::of(f.lane.unwrap_or("")),
        }
    }
}

/// Everything one thread needs to evaluate declarations of one ruleset:
/// scratch space, a JSON binder and declaration buffer, and the outcome of
/// the last evaluation with its text buffers, all reused so that evaluation
/// does not allocate once warm. Belongs to one thread at a time (create one
/// per thread). Free with `semaforo_evaluator_free`.
///
/// Strings read from an evaluator are borrowed from it (see "Strings out" in
/// the conventions above).
pub struct semaforo_evaluator {
    ruleset: Ruleset,
    /// The JSON path's declaration buffer.
    decl: Declaration,
    /// The key of the last evaluated declaration, for the outcome's `id`:
    /// a directly filled declaration belongs to its caller and may change
    /// or be freed while the outcome is still read.
    id: String,
    scratch: Scratch,
    outcome: Outcome,
    binder: JsonBinder,
    /// A copy of the context of the last evaluation (the outcome's readers
    /// need its date and key label). It holds the secret sampling key too,
    /// wiped when the evaluator is freed.
    ctx: Context,
    /// INVARIANT (outcome): true only when the last evaluation call on this
    /// handle succeeded. Every evaluation call sets it false first, before
    /// any check that can fail, so no failure leaves an earlier outcome
    /// readable.
    has_outcome: bool,
    json: String,
    /// The message of the last failed evaluation call (see `reject`).
    last_error: String,
    /// A batch item's error message, kept apart from `last_error`: a batch
    /// that runs succeeds, and a successful call leaves `last_error` alone.
    item_error: String,
    batch_out: String,
    batch_status: Vec<semaforo_status>,
}

impl Drop for semaforo_evaluator {
    /// Wipes the copy of the secret sampling key (see `ctx`).
    fn drop(&mut self) {
        wipe_key(&mut self.ctx.sampling_key);
    }
}

impl semaforo_evaluator {
    /// Records a failed evaluation: no outcome, and `last_error` says why.
    fn fail(&mut self, e: &InputError) -> semaforo_status {
        self.has_outcome = false;
        self.last_error.clear();
        let _ = write!(self.last_error, "{e}");
        input_status(e)
    }

    /// Records a failed evaluation call with a status and a message.
    fn reject(&mut self, status: Status, message: &str) -> semaforo_status {
        self.has_outcome = false;
        self.last_error.clear();
        self.last_error.push_str(message);
        status
    }

    /// Records a refused pointer/length argument named `what`.
    fn reject_arg(&mut self, e: ArgError, what: &str) -> semaforo_status {
        self.has_outcome = false;
        e.describe(&mut self.last_error, what);
        e.status()
    }

    /// Starts an evaluation call: drops the outcome of the previous one
    /// (INVARIANT (outcome)) and reads the context, recording a NULL one.
    ///
    /// # Safety
    /// `context` must be NULL or a live context handle.
    unsafe fn begin(&mut self, context: *const semaforo_context) -> Result<(), semaforo_status> {
        self.has_outcome = false;
        // SAFETY: NULL or a live handle, by the caller's contract.
        match unsafe { context.as_ref() } {
            Some(c) => {
                self.set_context(&c.inner);
                Ok(())
            }
            None => Err(self.reject(Status::SEMAFORO_NULL_PARAMETER, "context: NULL handle")),
        }
    }

    fn set_context(&mut self, c: &Context) {
        self.ctx.today = c.today;
        self.ctx.sampling_key = c.sampling_key.clone();
        self.ctx.sampling = c.sampling;
        if self.ctx.sampling_key_id != c.sampling_key_id {
            self.ctx.sampling_key_id.clear();
            self.ctx.sampling_key_id.push_str(&c.sampling_key_id);
        }
    }

    /// Binds and evaluates one JSON declaration into the outcome.
    fn eval_json(&mut self, json: &[u8]) -> Result<(), InputError> {
        self.has_outcome = false;
        self.ruleset
            .bind_json(&mut self.binder, json, &mut self.decl)?;
        self.ruleset
            .evaluate(&self.decl, &self.ctx, &mut self.scratch, &mut self.outcome)?;
        Self::copy_id(&mut self.id, &self.decl);
        self.has_outcome = true;
        Ok(())
    }

    /// Validates and evaluates a directly filled declaration into the
    /// outcome. Validation does not allocate unless a field is missing.
    fn eval_direct(&mut self, decl: &Declaration) -> Result<(), InputError> {
        self.has_outcome = false;
        decl.validate()?;
        self.ruleset
            .evaluate(decl, &self.ctx, &mut self.scratch, &mut self.outcome)?;
        Self::copy_id(&mut self.id, decl);
        self.has_outcome = true;
        Ok(())
    }

    /// Copies the key into the reused `id` buffer (no allocation once it
    /// is large enough).
    fn copy_id(id: &mut String, decl: &Declaration) {
        id.clear();
        id.push_str(decl.key());
    }

    fn view(&self) -> Result<OutcomeView<'_>, Status> {
        if self.has_outcome {
            Ok(self.ruleset.view_keyed(&self.id, &self.ctx, &self.outcome))
        } else {
            Err(Status::SEMAFORO_NO_OUTCOME)
        }
    }
}

/// Creates an evaluator for `ruleset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_new(
    ruleset: *const semaforo_ruleset,
    out_evaluator: *mut *mut semaforo_evaluator,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(ruleset) }?;
        let o = out(out_evaluator)?;
        let rs = r.inner.clone();
        let ctx = Context::new(
            semaforo_core::Date::from_ymd(1970, 1, 1).ok_or(Status::SEMAFORO_PANIC)?,
            Default::default(),
            "",
        );
        let e = semaforo_evaluator {
            decl: rs.new_declaration(),
            id: String::new(),
            scratch: rs.new_scratch(),
            outcome: Outcome::default(),
            binder: JsonBinder::default(),
            ctx,
            has_outcome: false,
            json: String::new(),
            last_error: String::new(),
            item_error: String::new(),
            batch_out: String::new(),
            batch_status: Vec::new(),
            ruleset: rs,
        };
        // SAFETY: non-NULL and writable by contract.
        unsafe { o.write(into_handle(e)) };
        Ok(())
    })
}

/// Frees an evaluator; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_free(evaluator: *mut semaforo_evaluator) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle from `semaforo_evaluator_new`.
        unsafe { free_handle(evaluator) };
        Ok(())
    });
}

/// Binds one JSON object (SPEC §4) and evaluates it under `context`. On
/// success the outcome is readable with the `semaforo_evaluator_*` readers.
/// On any failure (a NULL context or text, `SEMAFORO_INVALID_UTF8`,
/// `SEMAFORO_JSON_SYNTAX`, `SEMAFORO_JSON_SCHEMA`, ...) the evaluator holds
/// no outcome (its readers return `SEMAFORO_NO_OUTCOME`) and
/// `semaforo_evaluator_last_error` says why (`items[3].net_kg: expected
/// number, found string`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_eval_json(
    evaluator: *mut semaforo_evaluator,
    context: *const semaforo_context,
    json: *const c_char,
    json_len: usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let e = unsafe { handle_mut(evaluator) }?;
        // SAFETY: NULL or a live handle, by contract.
        unsafe { e.begin(context) }?;
        // SAFETY: NULL or `json_len` readable bytes, by contract.
        let json = unsafe { bytes(json, json_len) }.map_err(|a| e.reject_arg(a, "json"))?;
        e.eval_json(json).map_err(|err| e.fail(&err))
    })
}

/// Validates a declaration filled through field handles and evaluates it
/// under `context`. On any failure (a NULL context or declaration, a
/// declaration of another ruleset, ...) the evaluator holds no outcome and
/// `semaforo_evaluator_last_error` says why: a required field that was
/// never set gives `SEMAFORO_MISSING_REQUIRED`, named by path
/// (`items[1].hs: required field is missing`).
/// Performs no heap allocation once the evaluator has seen a declaration of
/// similar size (unless validation fails).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_eval(
    evaluator: *mut semaforo_evaluator,
    context: *const semaforo_context,
    declaration: *const semaforo_declaration,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let e = unsafe { handle_mut(evaluator) }?;
        // SAFETY: NULL or a live handle, by contract.
        unsafe { e.begin(context) }?;
        // SAFETY: NULL or a live handle, by contract.
        let Some(d) = (unsafe { declaration.as_ref() }) else {
            return Err(e.reject(Status::SEMAFORO_NULL_PARAMETER, "declaration: NULL handle"));
        };
        if !d.ruleset.same_compilation(&e.ruleset) {
            return Err(e.reject(
                Status::SEMAFORO_WRONG_RULESET,
                "declaration buffer belongs to another ruleset",
            ));
        }
        e.eval_direct(&d.inner).map_err(|err| e.fail(&err))
    })
}

/// The message of the most recent failed evaluation call on this evaluator
/// (`_eval_json`, `_eval`, `_eval_batch`), or empty if none has failed; a
/// successful call does not clear it. A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_last_error(
    evaluator: *const semaforo_evaluator,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(&handle(evaluator)?.last_error, out_ptr, out_len) }
    })
}

/// The evaluated declaration's key (its `id`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_id(
    evaluator: *const semaforo_evaluator,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(v.id(), out_ptr, out_len) }
    })
}

/// The lane's name (`green`, `red`, ...).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_lane(
    evaluator: *const semaforo_evaluator,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(v.lane(), out_ptr, out_len) }
    })
}

/// The lane's index (0 = the default, least severe; see
/// `semaforo_ruleset_lane_name`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_lane_index(
    evaluator: *const semaforo_evaluator,
    out_index: *mut u32,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_index, u32::from(v.raw().lane)) }
    })
}

/// The total score.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_score(
    evaluator: *const semaforo_evaluator,
    out_score: *mut i64,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_score, v.score()) }
    })
}

/// The number of fired rules.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_fired_count(
    evaluator: *const semaforo_evaluator,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, v.raw().fired.len()) }
    })
}

/// Fired rule number `index`, in ruleset order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_fired(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_rule: *mut semaforo_fired_rule,
) -> semaforo_status {
    // SAFETY: the caller's contract is this function's.
    unsafe { entry(evaluator, index, out_rule, Entries::Fired) }
}

/// The number of shadow rules (`monitor`) that would have fired.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_monitored_count(
    evaluator: *const semaforo_evaluator,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, v.raw().monitored.len()) }
    })
}

/// Shadow rule number `index` that would have fired, in ruleset order,
/// with its draws and points as a fired rule would have them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_monitored(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_rule: *mut semaforo_fired_rule,
) -> semaforo_status {
    // SAFETY: the caller's contract is this function's.
    unsafe { entry(evaluator, index, out_rule, Entries::Monitored) }
}

/// The number of package rules whose override applied and that fired
/// either way (0 for a ruleset without overrides).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_overridden_count(
    evaluator: *const semaforo_evaluator,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, v.raw().overridden.len()) }
    })
}

/// Overridden rule number `index`, in ruleset order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_overridden(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_rule: *mut semaforo_overridden_rule,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        let o = v
            .overridden()
            .nth(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        let rule = semaforo_overridden_rule {
            id: semaforo_str::of(o.id),
            disabled: o.disabled,
            original: o.original,
            applied: o.applied,
            reason: semaforo_str::of(o.reason),
        };
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_rule, rule) }
    })
}

/// Which entries of an outcome a reader reads.
#[derive(Clone, Copy)]
enum Entries {
    Fired,
    Monitored,
}

/// Writes entry `index` of the fired or monitored entries to `out_rule`:
/// the body of `semaforo_evaluator_fired` and `_monitored`.
///
/// # Safety
/// `evaluator` NULL or a live handle; `out_rule` NULL or writable.
unsafe fn entry(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_rule: *mut semaforo_fired_rule,
    which: Entries,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        let f = match which {
            Entries::Fired => v.fired().nth(index),
            Entries::Monitored => v.monitored().nth(index),
        }
        .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_rule, semaforo_fired_rule::of(&f)) }
    })
}

/// The number of notes (of all fired rules).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_note_count(
    evaluator: *const semaforo_evaluator,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, v.notes().count()) }
    })
}

/// Note number `index`, in the order of the fired rules.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_note(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        let n = v
            .notes()
            .nth(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(n, out_ptr, out_len) }
    })
}

/// The number of undetermined rules (active rules whose condition could not
/// be decided for missing data).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_undetermined_count(
    evaluator: *const semaforo_evaluator,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, v.raw().undetermined.len()) }
    })
}

/// The id of undetermined rule number `index`, in ruleset order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_undetermined(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        let v = unsafe { handle(evaluator) }?.view()?;
        let u = v
            .undetermined()
            .nth(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(u, out_ptr, out_len) }
    })
}

/// The whole outcome as one JSON object (no newline): `id`, `lane`,
/// `score`, `fired` (entries with `id`, `points`, and `draw`, `lane_draw`,
/// `lane` when they apply), `monitored` (the same for shadow rules),
/// `draws`, `notes`, `undetermined`, `today`,
/// `sampling_key_id` and `ruleset` (`name`, `version`, `fingerprint` and
/// `engine`, which is `semaforo_version()`). A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_outcome_json(
    evaluator: *mut semaforo_evaluator,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let e = unsafe { handle_mut(evaluator) }?;
        out(out_ptr)?;
        out(out_len)?;
        let mut json = std::mem::take(&mut e.json);
        json.clear();
        let r = e.view().map(|v| v.write_json(&mut json));
        e.json = json;
        r?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(&e.json, out_ptr, out_len) }
    })
}

/// Appends `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl semaforo_evaluator {
    /// Evaluates one batch item and appends its line.
    fn batch_item(&mut self, index: usize, json: Result<&[u8], InputError>) {
        let r = json.and_then(|j| self.eval_json(j));
        match r {
            Ok(()) => {
                let mut buf = std::mem::take(&mut self.batch_out);
                if let Ok(v) = self.view() {
                    v.write_json(&mut buf);
                }
                buf.push('\n');
                self.batch_out = buf;
                self.batch_status.push(Status::SEMAFORO_OK);
            }
            Err(err) => {
                let status = input_status(&err);
                self.item_error.clear();
                let _ = write!(self.item_error, "{err}");
                let _ = write!(
                    self.batch_out,
                    "{{\"index\":{index},\"status\":{},\"error\":",
                    status as u32
                );
                json_str(&mut self.batch_out, &self.item_error);
                self.batch_out.push_str("}\n");
                self.batch_status.push(status);
            }
        }
    }
}

/// Evaluates many JSON declarations in one call: `input` is JSON Lines (one
/// object per line) or one JSON array of objects (when its first non-blank
/// byte is `[`). The items are the non-blank lines (blank: empty or white
/// space only, skipped and not counted) or the array's elements.
///
/// For item `i` (0-based, in input order) the evaluator's batch
/// output gets line `i`: the outcome object (as from
/// `semaforo_evaluator_outcome_json`) or `{"index":i,"status":CODE,"error":
/// "message"}`, each followed by `\n`; read it with
/// `semaforo_evaluator_batch_output` and each item's status with
/// `semaforo_evaluator_batch_status`. A malformed array ends the batch at
/// the malformed element (which gets an error line). Returns `SEMAFORO_OK`
/// whenever the batch ran, even if items failed (their messages are in the
/// output, not in `semaforo_evaluator_last_error`): `*out_count` is the
/// number of items and `*out_failed` how many of them failed. If the call
/// itself fails (a NULL context, input or out-parameter), the batch output
/// is empty and the last error says why. Either way the evaluator holds no
/// single outcome afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_eval_batch(
    evaluator: *mut semaforo_evaluator,
    context: *const semaforo_context,
    input: *const c_char,
    input_len: usize,
    out_count: *mut usize,
    out_failed: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let e = unsafe { handle_mut(evaluator) }?;
        e.batch_out.clear();
        e.batch_status.clear();
        // SAFETY: NULL or a live handle, by contract.
        unsafe { e.begin(context) }?;
        // SAFETY: NULL or `input_len` readable bytes, by contract.
        let input = unsafe { bytes(input, input_len) }.map_err(|a| e.reject_arg(a, "input"))?;
        let (Ok(count_out), Ok(failed_out)) = (out(out_count), out(out_failed)) else {
            return Err(e.reject(
                Status::SEMAFORO_NULL_PARAMETER,
                "out_count or out_failed: NULL pointer",
            ));
        };
        let is_array = input
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'[');
        if is_array {
            for (i, item) in split_json_array(input).enumerate() {
                match item {
                    Ok((_, json)) => e.batch_item(i, Ok(json)),
                    Err(err) => {
                        e.batch_item(i, Err(InputError::Json(err)));
                        break;
                    }
                }
            }
        } else {
            let lines = input
                .split(|&b| b == b'\n')
                .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()));
            for (i, line) in lines.enumerate() {
                e.batch_item(i, Ok(line));
            }
        }
        e.has_outcome = false;
        let failed = e
            .batch_status
            .iter()
            .filter(|&&s| s != Status::SEMAFORO_OK)
            .count();
        // SAFETY: both are non-NULL and writable by contract.
        unsafe {
            count_out.write(e.batch_status.len());
            failed_out.write(failed);
        }
        Ok(())
    })
}

/// The JSON Lines written by the last `semaforo_evaluator_eval_batch`,
/// a borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_batch_output(
    evaluator: *const semaforo_evaluator,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: pointers follow the crate contract.
        unsafe { write_str(&handle(evaluator)?.batch_out, out_ptr, out_len) }
    })
}

/// Writes the `semaforo_status` of batch item `index` of the last batch
/// (`SEMAFORO_OK`, or the code in its error line).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_evaluator_batch_status(
    evaluator: *const semaforo_evaluator,
    index: usize,
    out_status: *mut semaforo_status,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let e = unsafe { handle(evaluator) }?;
        let s = *e
            .batch_status
            .get(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_status, s) }
    })
}
