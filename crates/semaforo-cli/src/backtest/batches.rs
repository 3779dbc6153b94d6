//! Parallel evaluation: the input's batches, each cut into contiguous
//! chunks, one per thread, each with its own [`Evaluator`]; the chunks are
//! merged in input order on the calling thread, and with `--outcomes`
//! each unit's outcome line (written by its worker) goes to the file as
//! its chunk is merged.

use super::metrics::{Acc, merge};
use super::source::{Evaluated, Source};
use crate::cmd_eval::key_of;
use crate::common::Replacing;
use crate::csv_input::LineMsg;
use semaforo::{Context, Evaluator, Ruleset};
use serde_json::Value;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

/// One unit's result, written by a worker.
#[derive(Clone, Copy, Debug)]
pub(super) struct Res {
    /// The lane's index (0 if rejected).
    pub lane: u16,
    /// The score (0 if rejected).
    pub score: i64,
    /// The inspection result.
    pub label: Option<bool>,
    /// Where this unit's fired rules end in `ChunkOut::fired` (they start
    /// where the previous unit's end).
    pub fired_end: usize,
    /// The same in `ChunkOut::monitored`.
    pub monitored_end: usize,
    /// The same in `ChunkOut::undet`.
    pub undet_end: usize,
    /// The same in `ChunkOut::warnings`.
    pub warn_end: usize,
    /// Index into `ChunkOut::errors` if the unit was rejected.
    pub error: Option<usize>,
}

/// A fired (or monitored) rule of one unit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hit {
    /// The rule's index.
    pub rule: u32,
    /// Its points.
    pub points: i64,
    /// The lane its action set (a split's choice), if any.
    pub lane: Option<u16>,
}

/// A worker's output for its chunk of a batch; reused across batches.
#[derive(Default, Debug)]
pub(super) struct ChunkOut {
    pub res: Vec<Res>,
    pub fired: Vec<Hit>,
    pub monitored: Vec<Hit>,
    pub undet: Vec<u32>,
    pub warnings: Vec<LineMsg>,
    pub errors: Vec<LineMsg>,
    /// `--outcomes`: the units' outcome lines, one after the other.
    pub lines: String,
    /// Where each unit's line ends in `lines`.
    pub line_ends: Vec<usize>,
}

impl ChunkOut {
    fn clear(&mut self) {
        self.res.clear();
        self.fired.clear();
        self.monitored.clear();
        self.undet.clear();
        self.warnings.clear();
        self.errors.clear();
        self.lines.clear();
        self.line_ends.clear();
    }

    fn push_err(&mut self, e: LineMsg) {
        self.errors.push(e);
        self.res.push(Res {
            lane: 0,
            score: 0,
            label: None,
            fired_end: self.fired.len(),
            monitored_end: self.monitored.len(),
            undet_end: self.undet.len(),
            warn_end: self.warnings.len(),
            error: Some(self.errors.len() - 1),
        });
    }
}

/// What every worker reads.
struct Shared<'s> {
    src: Source<'s>,
    ruleset: &'s Ruleset,
    ctx: &'s Context,
    /// Whether to write each unit's outcome line.
    lines: bool,
}

/// Evaluates units `range` of the batch into `out`: one result per unit,
/// evaluated or rejected.
fn work(sh: &Shared<'_>, range: Range<usize>, ev: &mut Evaluator, out: &mut ChunkOut) {
    out.clear();
    for i in range {
        match sh.src.evaluate(i, ev, sh.ctx, &mut out.warnings) {
            Ok(Evaluated { label, outcome: o }) => {
                for (to, from) in [
                    (&mut out.fired, &o.fired),
                    (&mut out.monitored, &o.monitored),
                ] {
                    to.extend(from.iter().map(|f| Hit {
                        rule: f.rule,
                        points: f.points,
                        lane: f.lane,
                    }));
                }
                out.undet.extend_from_slice(&o.undetermined);
                out.res.push(Res {
                    lane: o.lane,
                    score: o.score,
                    label,
                    fired_end: out.fired.len(),
                    monitored_end: out.monitored.len(),
                    undet_end: out.undet.len(),
                    warn_end: out.warnings.len(),
                    error: None,
                });
                if sh.lines
                    && let Some(o) = ev.outcome()
                {
                    sh.ruleset
                        .view(ev.declaration(), sh.ctx, o)
                        .write_json(&mut out.lines);
                    out.lines.push('\n');
                }
            }
            Err(e) => {
                if sh.lines {
                    // `eval`'s error record: line `i` answers unit `i`.
                    let index = sh.src.batch.first + i;
                    let _ = write!(out.lines, "{{\"index\":{index},\"line\":{},", e.line);
                    let id = sh.src.json_bytes(i).and_then(|b| key_of(sh.ruleset, b));
                    if let Some(id) = id {
                        let _ = write!(out.lines, "\"id\":{},", Value::from(id));
                    }
                    let _ = writeln!(out.lines, "\"error\":{}}}", Value::from(e.msg.as_str()));
                }
                out.push_err(e);
            }
        }
        if sh.lines {
            out.line_ends.push(out.lines.len());
        }
    }
}

/// The evaluators and chunk outputs, kept from batch to batch.
pub(super) struct Pool {
    evs: Vec<Evaluator>,
    outs: Vec<ChunkOut>,
}

impl Pool {
    /// One evaluator and one output per thread.
    pub(super) fn new(ruleset: &Ruleset, threads: usize) -> Pool {
        let threads = threads.clamp(1, 256);
        Pool {
            evs: (0..threads).map(|_| ruleset.evaluator()).collect(),
            outs: (0..threads).map(|_| ChunkOut::default()).collect(),
        }
    }
}

/// Evaluates one batch into `acc`, writing outcome lines to `lines` if
/// given; returns whether `--max-errors` stopped the run (the units after
/// the one that reached it are not counted, and get no line).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename the arguments"
)]
pub(super) fn run_batch(
    src: Source<'_>,
    ruleset: &Ruleset,
    ctx: &Context,
    pool: &mut Pool,
    acc: &mut Acc,
    input: &Path,
    max_errors: Option<u64>,
    mut lines: Option<&mut Replacing>,
) -> std::io::Result<bool> {
    let sh = Shared {
        src,
        ruleset,
        ctx,
        lines: lines.is_some(),
    };
    let total = src.len();
    let threads = pool.evs.len();
    if threads == 1 || total < 256 {
        if let (Some(ev), Some(out)) = (pool.evs.first_mut(), pool.outs.first_mut()) {
            work(&sh, 0..total, ev, out);
        }
        for o in pool.outs.iter_mut().skip(1) {
            o.clear();
        }
    } else {
        let per = total.div_ceil(threads);
        let sh = &sh;
        std::thread::scope(|s| {
            for (i, (ev, out)) in pool.evs.iter_mut().zip(pool.outs.iter_mut()).enumerate() {
                let a = (i * per).min(total);
                let b = (a + per).min(total);
                s.spawn(move || work(sh, a..b, ev, out));
            }
        });
    }
    for out in &pool.outs {
        let merged = merge(acc, out, input, max_errors, false);
        if let Some(w) = lines.as_deref_mut() {
            let n = merged.unwrap_or(out.res.len());
            let end = n
                .checked_sub(1)
                .and_then(|k| out.line_ends.get(k))
                .copied()
                .unwrap_or(0);
            w.write_all(out.lines.as_bytes().get(..end).unwrap_or_default())?;
        }
        if merged.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}
