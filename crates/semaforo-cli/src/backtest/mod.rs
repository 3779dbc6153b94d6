//! `semaforo backtest`: evaluate a history of declarations and report what
//! the rules would have selected, and, given the inspection results, how
//! well.
//!
//! The input (JSON, JSON Lines or CSV) is read as a stream of batches of
//! *units* (one declaration each, or a line that could not be read; see
//! [`crate::input`]). Each batch is split into contiguous chunks, one per
//! thread (`std::thread::scope`), each thread with its own
//! [`semaforo::Evaluator`]. Per-declaration results are merged on the
//! calling thread in input order into totals whose size depends on the
//! ruleset and the number of distinct scores, never on the number of
//! declarations; so the report, the messages and the `--max-errors` cut
//! are the same whatever the number of threads, and memory is bounded by
//! the batch size, not the input's.
//!
//! Modules, in the order data flows: `source` (the input opened, one unit
//! bound and evaluated), `batches` (parallel evaluation, `--outcomes`
//! lines), `metrics` (the running totals and the report built from them),
//! `report` (the report's data and its text form) and `html` (its HTML
//! form).

mod batches;
mod html;
mod metrics;
pub(crate) mod report;
pub(crate) mod source;

use crate::Status;
use crate::common::{ContextArgs, DataArgs, MapArgs, Replacing, context, error};
use crate::input::Batch;
use crate::output::print_all;
use batches::{Pool, run_batch};
use metrics::{Acc, build_report};
use report::human;
use source::Source;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Input files at least this large get a progress counter (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

/// Report formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutFormat {
    /// A readable table.
    Human,
    /// One JSON object.
    Json,
}

/// Options of `semaforo backtest`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declarations: `.csv` (one row per item, see `--map`), `.jsonl` (one
    /// object per line), `.json` (an object or an array); `-` reads JSON
    /// Lines from stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The input's format, when its name does not say it.
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// The inspection result: a CSV column (it need not be in the schema;
    /// a declaration's result is the maximum over its rows) or a top-level
    /// JSON member. `0`/`false` = nothing found; `1`/`true` or a number
    /// above zero = a finding; empty or null = not inspected.
    #[arg(long, value_name = "FIELD")]
    outcome: Option<String>,
    /// Column mapping for CSV input.
    #[command(flatten)]
    map: MapArgs,
    /// Stop after this many rejected declarations.
    #[arg(long, value_name = "N")]
    max_errors: Option<u64>,
    /// Worker threads (default: all cores). The report does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
    /// Also write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Also write every declaration's outcome there, as `eval` writes
    /// them (JSON Lines, line `i` for declaration `i`).
    #[arg(long, value_name = "FILE.jsonl")]
    outcomes: Option<PathBuf>,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Evaluation context.
    #[command(flatten)]
    ctx: ContextArgs,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let ruleset = match crate::common::compile_rules(&args.files, &args.data) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let ctx = match context(&args.ctx) {
        Ok(c) => c,
        Err(s) => return s,
    };
    let format = args.format_arg.of(&args.input);
    let mut opened = match source::open(
        &args.input,
        format,
        &ruleset,
        &args.map,
        args.outcome.as_deref(),
    ) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return Status::Trouble;
        }
    };
    let mut lines = match &args.outcomes {
        None => None,
        Some(path) => match Replacing::begin(path) {
            Ok(w) => Some(w),
            Err(e) => {
                error(format!("cannot write `{}`: {e}", path.display()));
                return Status::Trouble;
            }
        },
    };
    let threads = args
        .threads
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let progress = progress_bar(&args.input);
    let rules = ruleset.rules().len();
    let mut acc = Acc::new(rules, ruleset.lanes().len());
    let mut pool = Pool::new(&ruleset, threads);
    let mut batch = Batch::default();
    let mut stopped = false;
    loop {
        match opened.reader.next_batch(&mut batch) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                error(e);
                return Status::Trouble;
            }
        }
        let src = Source {
            batch: &batch,
            binder: opened.binder.as_ref(),
            outcome: args.outcome.as_deref(),
        };
        match run_batch(
            src,
            &ruleset,
            &ctx,
            &mut pool,
            &mut acc,
            &args.input,
            args.max_errors,
            lines.as_mut(),
        ) {
            Ok(s) => stopped = s,
            Err(e) => {
                let path = args.outcomes.as_deref().unwrap_or(Path::new(""));
                error(format!("cannot write `{}`: {e}", path.display()));
                return Status::Trouble;
            }
        }
        if let Some(pb) = &progress {
            pb.set_position(acc.counts.read);
        }
        if stopped {
            break;
        }
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    // Stopped by `--max-errors`: the rest is read, not evaluated, for the
    // counts the report gives (declarations left, CSV rows).
    if stopped && let Err(e) = opened.reader.drain() {
        error(e);
        return Status::Trouble;
    }
    let total = opened.reader.units();
    let report = build_report(
        &acc,
        &ruleset,
        &args.input,
        opened.reader.format().name(),
        opened.reader.csv_rows(),
        &ctx,
        args.outcome.as_deref(),
        stopped && (acc.counts.read as usize) < total,
    );
    if let (Some(path), Some(w)) = (&args.outcomes, lines)
        && let Err(e) = w.commit()
    {
        error(format!("cannot write `{}`: {e}", path.display()));
        return Status::Trouble;
    }
    if let Some(path) = &args.report {
        let html = html::render(&report);
        if let Err(e) = crate::common::replace_file(path, html.as_bytes()) {
            error(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ));
            return Status::Trouble;
        }
    }
    let text = match args.format {
        OutFormat::Human => human(&report),
        OutFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(mut j) => {
                j.push('\n');
                j
            }
            Err(e) => {
                error(format!("{}: {e}", args.input.display()));
                return Status::Trouble;
            }
        },
    };
    let status = if acc.counts.rejected > 0 {
        error(format!(
            "{} of {} declarations could not be evaluated",
            acc.counts.rejected, acc.counts.read
        ));
        Status::Findings
    } else {
        Status::Ok
    };
    match print_all(&text) {
        Ok(()) => status,
        Err(s) => s.status(status),
    }
}

/// A progress counter on stderr for a large input file, when stderr is a
/// terminal: the input is a stream, so its count of declarations is not
/// known ahead.
pub(crate) fn progress_bar(input: &Path) -> Option<indicatif::ProgressBar> {
    let big = std::fs::metadata(input).is_ok_and(|m| m.len() >= PROGRESS_MIN_BYTES);
    (std::io::stderr().is_terminal() && big).then(|| {
        let pb = indicatif::ProgressBar::no_length();
        if let Some(style) = progress_style() {
            pb.set_style(style);
        }
        pb
    })
}

/// The progress counter of `backtest`, `diff` and `calibrate`: counts
/// with thousands separators and a whole rate (`{per_sec}` would print a
/// fraction, `347,638.6788/s`).
pub(crate) fn progress_style() -> Option<indicatif::ProgressStyle> {
    let style =
        indicatif::ProgressStyle::with_template("{spinner} {human_pos} declarations ({rate})")
            .ok()?;
    Some(style.with_key(
        "rate",
        |st: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate_text(st.per_sec()));
        },
    ))
}

/// A progress rate as whole declarations per second with thousands
/// separators: `347,639/s`.
fn rate_text(per_sec: f64) -> String {
    let whole = if per_sec.is_finite() && per_sec > 0.0 {
        // Saturates at u64::MAX; a rate is never near it.
        per_sec.round() as u64
    } else {
        0
    };
    format!("{}/s", indicatif::HumanCount(whole))
}

#[cfg(test)]
mod tests {
    use super::{progress_style, rate_text};

    #[test]
    fn progress_rate_is_a_whole_number() {
        assert_eq!(rate_text(347_638.678_8), "347,639/s");
        assert_eq!(rate_text(0.4), "0/s");
        // The template (shared with `diff`) parses, or there is no bar.
        assert!(progress_style().is_some());
        assert_eq!(rate_text(f64::NAN), "0/s");
        assert_eq!(rate_text(f64::INFINITY), "0/s");
    }
}
