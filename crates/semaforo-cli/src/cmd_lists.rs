//! `semaforo lists derive`: a list file of the values of a column (or of
//! composite keys of several columns, parts joined with `|`) whose
//! inspection history meets thresholds (the feedback loop from inspection
//! results back into the rules).
//!
//! Each declaration counts once for every distinct value it has. A value is
//! kept when at least `--min-count` declarations with an inspection result
//! had it and its finding rate is at least `--min-rate` (high-risk lists)
//! and at most `--max-rate` (low-risk lists, e.g. trusted operators).
//! Entries are written sorted (byte order), after a header comment
//! recording how the list was derived. The input is read by
//! [`crate::tables::history`], as `tables derive` reads it.

use crate::Status;
use crate::common::{MapArgs, error, warn};
use crate::input::Reader;
use crate::output::print_all;
use crate::tables::Problems;
use crate::tables::history::{self, Decl, KeyProblem, Spec};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Options of `semaforo lists`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: ListsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum ListsCommand {
    /// Write a list of the values of a column (or composite keys) by finding rate.
    Derive(DeriveArgs),
}

/// Options of `semaforo lists derive`.
#[derive(clap::Args, Debug)]
pub(crate) struct DeriveArgs {
    /// The inspection history: `.csv`, `.jsonl` or `.json` (`-`: JSON
    /// Lines on stdin), read as a stream.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// The inspection result: a CSV column or a top-level JSON member
    /// (`0`/`false` = nothing found, `1`/`true` or above zero = a finding,
    /// empty or null = not inspected, skipped).
    #[arg(long, value_name = "FIELD")]
    outcome: String,
    /// The column whose values are listed: a CSV column name, or a field
    /// path mapped to one with `--map`; for JSON a top-level member or
    /// `LIST.FIELD` for a member of the objects in an array. Repeat for
    /// composite keys, the parts joined with `|` in the order given.
    #[arg(long, value_name = "COLUMN", required = true)]
    by: Vec<String>,
    /// CSV: the column identifying a declaration; consecutive rows with the
    /// same value form one declaration (default: one row, one declaration).
    #[arg(long, value_name = "COLUMN")]
    key: Option<String>,
    /// Keep values seen on at least this many inspected declarations.
    #[arg(long, value_name = "N", default_value_t = 10)]
    min_count: u64,
    /// Keep values whose finding rate is at least this (0 to 1; default
    /// 0.5 unless `--max-rate` is given).
    #[arg(long, value_name = "R")]
    min_rate: Option<f64>,
    /// Keep values whose finding rate is at most this (0 to 1), for lists
    /// of low-risk values.
    #[arg(long, value_name = "R")]
    max_rate: Option<f64>,
    /// Column mapping, to name `--by` or `--key` by field path.
    #[command(flatten)]
    map: MapArgs,
    /// Write the list here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Per-value counts: declarations with a result, and with a finding.
type Tally = HashMap<String, (u64, u64)>;

/// What was read.
#[derive(Default)]
struct Totals {
    /// Values that cannot be list entries (each warned about).
    skipped: u64,
    declarations: u64,
    labelled: u64,
    positives: u64,
    /// Declarations that could not be read (each reported).
    bad: u64,
    /// Composite keys with an empty part.
    missing: Problems,
    /// Composite keys with `|` in a part.
    pipe: Problems,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    match args.command {
        ListsCommand::Derive(a) => derive(a),
    }
}

/// Checks a rate option: a number from 0 to 1.
fn rate(name: &str, r: Option<f64>) -> Result<(), String> {
    match r {
        Some(r) if !(0.0..=1.0).contains(&r) => {
            Err(format!("`--{name} {r}`: expected a number from 0 to 1"))
        }
        _ => Ok(()),
    }
}

fn derive(a: DeriveArgs) -> Status {
    if let Err(e) = rate("min-rate", a.min_rate).and_then(|()| rate("max-rate", a.max_rate)) {
        error(e);
        return Status::Trouble;
    }
    // High-risk lists by default; `--max-rate` alone lists low-risk values.
    let min_rate = a
        .min_rate
        .unwrap_or(if a.max_rate.is_some() { 0.0 } else { 0.5 });
    let max_rate = a.max_rate.unwrap_or(1.0);
    let mut reader = match Reader::open(&a.input, a.format_arg.of(&a.input)) {
        Ok(r) => r,
        Err(e) => {
            error(e);
            return Status::Trouble;
        }
    };
    let spec = Spec {
        by: &a.by,
        outcome: Some(&a.outcome),
        key: a.key.as_deref(),
        value: None,
        per: None,
        map: &a.map,
    };
    let mut tally = Tally::new();
    let mut totals = Totals::default();
    let rows = match history::read(&a.input, &mut reader, &spec, &mut |d| match d {
        Err(e) => {
            error(format!("{}:{}: {}", a.input.display(), e.line, e.msg));
            totals.bad += 1;
        }
        Ok(d) => add(&mut tally, &mut totals, d, &a.input),
    }) {
        Ok(r) => r,
        Err(e) => {
            error(e);
            return Status::Trouble;
        }
    };
    let mut kept: Vec<&String> = tally
        .iter()
        .filter(|(_, (n, h))| {
            let r = *h as f64 / *n as f64;
            *n >= a.min_count && *n > 0 && r >= min_rate && r <= max_rate
        })
        .map(|(v, _)| v)
        .collect();
    kept.sort();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Derived by `semaforo lists derive` from inspection results."
    );
    let _ = writeln!(out, "# input: {}", a.input.display());
    let _ = writeln!(out, "# outcome: {}", a.outcome);
    let _ = writeln!(out, "# by: {}", a.by.join(" | "));
    if let Some(k) = &a.key {
        let _ = writeln!(out, "# key: {k}");
    }
    let rates = match (a.min_rate, a.max_rate) {
        (_, None) => format!("finding rate at least {min_rate}"),
        (None, Some(max)) => format!("finding rate at most {max}"),
        (Some(min), Some(max)) => format!("finding rate from {min} to {max}"),
    };
    let _ = writeln!(
        out,
        "# thresholds: at least {} inspected declarations, {rates}",
        a.min_count
    );
    let _ = writeln!(
        out,
        "# counts: {} declarations, {} with a result, {} with a finding; {} distinct values, {} kept",
        totals.declarations,
        totals.labelled,
        totals.positives,
        tally.len(),
        kept.len()
    );
    let bad = totals.bad;
    let _ = writeln!(out, "# rejected: {bad} declarations could not be read");
    if totals.skipped > 0 {
        let _ = writeln!(
            out,
            "# skipped: {} values that cannot be list entries",
            totals.skipped
        );
    }
    if totals.missing.count() > 0 {
        let _ = writeln!(
            out,
            "# left out: {} rows with an empty key part",
            totals.missing.count()
        );
    }
    if totals.pipe.count() > 0 {
        let _ = writeln!(
            out,
            "# left out: {} rows with `|` in a key part",
            totals.pipe.count()
        );
    }
    if let Some((rows, rejected)) = rows {
        let _ = writeln!(
            out,
            "# rows: {rows} data rows, {} read, {rejected} rejected",
            rows - rejected
        );
    }
    for v in &kept {
        out.push_str(v);
        out.push('\n');
    }
    totals
        .missing
        .print(&a.input, false, "the row has no composite key");
    totals.pipe.print(&a.input, true, "the row is left out");
    let status = if bad > 0 {
        error(format!("{bad} declarations could not be read"));
        Status::Findings
    } else if totals.pipe.count() > 0 {
        Status::Findings
    } else {
        Status::Ok
    };
    let written = match &a.output {
        Some(p) => crate::common::replace_file(p, out.as_bytes()).map_err(|e| {
            format!(
                "cannot write `{}`: {e}; the file was left as it was",
                p.display()
            )
        }),
        None => match print_all(&out) {
            Ok(()) => Ok(()),
            Err(s) => return s.status(status),
        },
    };
    if let Err(e) = written {
        error(e);
        return Status::Trouble;
    }
    status
}

/// Adds one declaration's distinct values; warns about values that cannot
/// be entries and records composite keys that cannot be formed.
fn add(tally: &mut Tally, totals: &mut Totals, d: Decl, input: &std::path::Path) {
    totals.declarations += 1;
    let mut values = Vec::with_capacity(d.items.len());
    for it in d.items {
        match it.key {
            Ok(Some(v)) => values.push(v),
            Ok(None) => {}
            Err(KeyProblem::NotEntry(why)) => {
                warn(format!(
                    "{}:{}: {why}; not listed",
                    input.display(),
                    it.line
                ));
                totals.skipped += 1;
            }
            Err(KeyProblem::Missing(by)) => totals.missing.add(it.line, format!("`{by}` is empty")),
            Err(KeyProblem::Pipe { by, value }) => totals.pipe.add(
                it.line,
                format!(
                    "`{by}` is {}, which holds `|`: the composite key would be ambiguous",
                    serde_json::Value::from(value)
                ),
            ),
        }
    }
    let Some(hit) = d.label else {
        // Not inspected: its values say nothing about findings.
        return;
    };
    totals.labelled += 1;
    totals.positives += u64::from(hit);
    values.sort();
    values.dedup();
    for v in values {
        let e = tally.entry(v).or_insert((0, 0));
        e.0 += 1;
        e.1 += u64::from(hit);
    }
}
