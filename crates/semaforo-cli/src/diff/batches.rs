//! Parallel evaluation, as in backtest: the input's batches, each batch
//! cut into contiguous chunks, one per thread, each
//! thread with one evaluator per ruleset. A worker sums its chunk into its
//! own [`Tally`] and keeps, in input order, the messages to print and each
//! compared declaration's lanes and group labels. The calling thread then
//! takes the chunks in input order: prints the messages, adds the sums and
//! fills the groups. So the report and the messages are the same for any
//! thread count, and what is held besides the counters is one batch.

use super::group::{ByCol, BySpec};
use super::input::{Both, Opened, Pair};
use super::tally::{self, Lanes, Tally};
use crate::common::{error, warn};
use crate::csv_input::LineMsg;
use crate::input::Batch;
use crate::parallel::split_batch;
use semaforo::{Context, Evaluator, Ruleset};
use std::ops::Range;
use std::path::Path;

/// A line for stderr, printed by the calling thread in input order.
enum Msg {
    Error(String),
    Warning(String),
}

/// One compared declaration's place in the breakdowns.
struct Placed {
    /// Old and new lane (each side's index).
    lanes: (u16, u16),
    /// Its labels, one list per breakdown.
    labels: Vec<Vec<String>>,
}

/// What a worker makes of its chunk.
struct ChunkOut {
    tally: Tally,
    msgs: Vec<Msg>,
    placed: Vec<Placed>,
}

/// What every worker reads.
struct Shared<'s> {
    pair: Pair<'s>,
    rulesets: (&'s Ruleset, &'s Ruleset),
    lanes: &'s Lanes,
    ctx: &'s Context,
    /// The breakdowns' specs and where their values are read.
    by: &'s [(BySpec, Vec<ByCol>)],
    input: &'s Path,
}

/// Evaluates every declaration into `t` on `threads` threads; the error
/// is the message to print when the input cannot be read to its end.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename the arguments"
)]
pub(super) fn run(
    opened: &mut Opened,
    outcome: Option<&str>,
    rulesets: (&Ruleset, &Ruleset),
    ctx: &Context,
    lanes: &Lanes,
    t: &mut Tally,
    input: &Path,
    threads: usize,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(), String> {
    let by: Vec<(BySpec, Vec<ByCol>)> = t
        .breakdowns
        .iter()
        .map(|b| (b.spec.clone(), b.cols.clone()))
        .collect();
    let threads = threads.clamp(1, 256);
    let mut evs: Vec<(Evaluator, Evaluator)> = (0..threads)
        .map(|_| (rulesets.0.evaluator(), rulesets.1.evaluator()))
        .collect();
    let mut batch = Batch::default();
    while opened.reader.next_batch(&mut batch)? {
        let shared = Shared {
            pair: Pair {
                batch: &batch,
                binders: opened.binders.as_ref(),
                outcome,
            },
            rulesets,
            lanes,
            ctx,
            by: &by,
            input,
        };
        let outs = split_batch(
            &mut evs,
            0..batch.len(),
            &|r, ev: &mut (Evaluator, Evaluator)| work(&shared, r, ev),
            &|r| lost(&shared, r),
        );
        for out in outs {
            absorb(t, lanes, out);
        }
        if let Some(pb) = progress {
            pb.set_position(opened.reader.units() as u64);
        }
    }
    Ok(())
}

/// The output of a chunk whose worker failed: every declaration in it
/// counted as rejected on both sides, with one message, so none is lost
/// from the counts.
fn lost(sh: &Shared<'_>, r: Range<usize>) -> ChunkOut {
    let mut tally = Tally::new(sh.lanes, sh.rulesets, Vec::new(), 1);
    let n = r.len() as u64;
    tally.counts.read = n;
    tally.counts.rejected = n;
    tally.counts.rejected_old = n;
    tally.counts.rejected_new = n;
    ChunkOut {
        tally,
        msgs: vec![Msg::Error(format!(
            "{}: internal: the evaluation of declarations {} to {} failed; please report this",
            sh.input.display(),
            sh.pair.batch.first + r.start + 1,
            sh.pair.batch.first + r.end
        ))],
        placed: Vec::new(),
    }
}

/// Adds one chunk to the totals, in input order.
fn absorb(t: &mut Tally, lanes: &Lanes, out: ChunkOut) {
    for m in out.msgs {
        match m {
            Msg::Error(e) => error(e),
            Msg::Warning(w) => warn(w),
        }
    }
    t.merge(&out.tally);
    for p in out.placed {
        t.add_groups(lanes, p.lanes, &p.labels);
    }
}

/// Evaluates declarations `range` with both rulesets.
fn work(
    sh: &Shared<'_>,
    range: Range<usize>,
    (old_ev, new_ev): &mut (Evaluator, Evaluator),
) -> ChunkOut {
    let mut out = ChunkOut {
        tally: Tally::new(sh.lanes, sh.rulesets, Vec::new(), 1),
        msgs: Vec::new(),
        placed: Vec::new(),
    };
    let mut warnings = Vec::new();
    for i in range {
        warnings.clear();
        let both = sh.pair.evaluate(i, (old_ev, new_ev), sh.ctx, &mut warnings);
        out.tally.counts.read += 1;
        for w in &warnings {
            out.tally.warnings += 1;
            out.msgs.push(Msg::Warning(at(sh.input, w)));
        }
        let (o, n, label) = match both {
            Both {
                old: Ok(o),
                new: Ok(n),
                label,
            } => (o, n, label),
            rejected => {
                reject(rejected, &mut out, sh.input);
                continue;
            }
        };
        out.tally.add((o, n), label);
        if !sh.by.is_empty() {
            let labels = place(sh, i, &mut out);
            out.placed.push(Placed {
                lanes: (o.lane, n.lane),
                labels,
            });
        }
    }
    out
}

/// The group labels of declaration `i` in every breakdown; a value that
/// is not what was asked for is a warning with its line.
fn place(sh: &Shared<'_>, i: usize, out: &mut ChunkOut) -> Vec<Vec<String>> {
    let line = sh.pair.line(i);
    sh.by
        .iter()
        .map(|(spec, cols)| {
            let values = sh.pair.by_values(i, cols);
            tally::labels(spec, &values, &mut |m| {
                out.tally.warnings += 1;
                out.msgs
                    .push(Msg::Warning(format!("{}:{line}: {m}", sh.input.display())));
            })
        })
        .collect()
}

fn at(input: &Path, m: &LineMsg) -> String {
    format!("{}:{}: {}", input.display(), m.line, m.msg)
}

/// Counts a declaration one side (or both) rejected, and says why: once
/// when both sides give the same reason, else per side.
fn reject(both: Both<'_>, out: &mut ChunkOut, input: &Path) {
    let c = &mut out.tally.counts;
    c.rejected += 1;
    let (old, new) = (both.old.err(), both.new.err());
    c.rejected_old += u64::from(old.is_some());
    c.rejected_new += u64::from(new.is_some());
    let mut say = |side: &str, e: &LineMsg| {
        out.msgs.push(Msg::Error(format!(
            "{}:{}: {side}{}",
            input.display(),
            e.line,
            e.msg
        )));
    };
    match (&old, &new) {
        (Some(a), Some(b)) if a == b => say("", a),
        _ => {
            if let Some(e) = &old {
                say("old ruleset: ", e);
            }
            if let Some(e) = &new {
                say("new ruleset: ", e);
            }
        }
    }
}
