//! Parallel evaluation: units in fixed-size batches, each batch cut into
//! contiguous chunks, one per thread, each with its own [`Evaluator`];
//! the chunks are merged in input order on the calling thread.

use super::metrics::{Acc, merge};
use super::source::{Evaluated, Source};
use crate::csv_input::LineMsg;
use semaforo::{Context, Evaluator, Ruleset};
use std::ops::Range;
use std::path::Path;

/// Declarations per batch. Fixed, so results never depend on the thread
/// count.
const BATCH: usize = 16_384;

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
}

impl ChunkOut {
    fn clear(&mut self) {
        self.res.clear();
        self.fired.clear();
        self.monitored.clear();
        self.undet.clear();
        self.warnings.clear();
        self.errors.clear();
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

/// Evaluates units `range` of `src` into `out`: one result per unit,
/// evaluated or rejected.
fn work(
    src: &Source<'_>,
    range: Range<usize>,
    ev: &mut Evaluator,
    ctx: &Context,
    out: &mut ChunkOut,
) {
    out.clear();
    for i in range {
        match src.evaluate(i, ev, ctx, &mut out.warnings) {
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
            }
            Err(e) => out.push_err(e),
        }
    }
}

/// Evaluates every unit in batches; returns whether `--max-errors` stopped
/// the run, and how many units were merged.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename the arguments"
)]
pub(super) fn run_batches(
    src: &Source<'_>,
    ruleset: &Ruleset,
    ctx: &Context,
    threads: usize,
    acc: &mut Acc,
    input: &Path,
    max_errors: Option<u64>,
    progress: Option<&indicatif::ProgressBar>,
) -> (bool, usize) {
    let total = src.len();
    let threads = threads.clamp(1, 256);
    let mut evs: Vec<Evaluator> = (0..threads).map(|_| ruleset.evaluator()).collect();
    let mut outs: Vec<ChunkOut> = (0..threads).map(|_| ChunkOut::default()).collect();
    let mut start = 0usize;
    while start < total {
        let end = (start + BATCH).min(total);
        let per = (end - start).div_ceil(threads);
        if threads == 1 || end - start < 256 {
            if let (Some(ev), Some(out)) = (evs.first_mut(), outs.first_mut()) {
                work(src, start..end, ev, ctx, out);
            }
            for o in outs.iter_mut().skip(1) {
                o.clear();
            }
        } else {
            std::thread::scope(|s| {
                for (i, (ev, out)) in evs.iter_mut().zip(outs.iter_mut()).enumerate() {
                    let a = (start + i * per).min(end);
                    let b = (a + per).min(end);
                    s.spawn(move || work(src, a..b, ev, ctx, out));
                }
            });
        }
        for out in &outs {
            if merge(acc, out, input, max_errors, false) {
                return (true, acc.counts.read as usize);
            }
        }
        if let Some(pb) = progress {
            pb.set_position(end as u64);
        }
        start = end;
    }
    (false, total)
}
