//! `semaforo lists derive`: a list file of the values of a column whose
//! inspection history meets thresholds (the feedback loop from inspection
//! results back into the rules).
//!
//! Each declaration counts once for every distinct value it has in the
//! column. A value is kept when at least `--min-count` declarations with an
//! inspection result had it and at least `--min-rate` of them had a
//! finding. Entries are written sorted (byte order), after a header comment
//! recording how the list was derived.

use crate::Status;
use crate::cmd_eval::{read_input, split_input};
use crate::common::{MapArgs, error};
use crate::csv_input::{CsvTable, labelled_cells, parse_outcome};
use crate::output::print_all;
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
    /// Write a list of the values of a column with a high finding rate.
    Derive(DeriveArgs),
}

/// Options of `semaforo lists derive`.
#[derive(clap::Args, Debug)]
pub(crate) struct DeriveArgs {
    /// The inspection history: `.csv`, `.jsonl` or `.json`.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The inspection result: a CSV column or a top-level JSON member
    /// (`0`/`false` = nothing found, `1`/`true` or above zero = a finding,
    /// empty or null = not inspected, skipped).
    #[arg(long, value_name = "FIELD")]
    outcome: String,
    /// The column whose values are listed: a CSV column name, or a field
    /// path mapped to one with `--map`; for JSON a top-level member or
    /// `LIST.FIELD` for a member of the objects in an array.
    #[arg(long, value_name = "COLUMN")]
    by: String,
    /// CSV: the column identifying a declaration; consecutive rows with the
    /// same value form one declaration (default: one row, one declaration).
    #[arg(long, value_name = "COLUMN")]
    key: Option<String>,
    /// Keep values seen on at least this many inspected declarations.
    #[arg(long, value_name = "N", default_value_t = 10)]
    min_count: u64,
    /// Keep values whose finding rate is at least this (0 to 1).
    #[arg(long, value_name = "R", default_value_t = 0.5)]
    min_rate: f64,
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
    /// CSV only: data rows, and rows that could not be read.
    rows: Option<(u64, u64)>,
    /// Values that cannot be list entries (each warned about).
    skipped: u64,
    declarations: u64,
    labelled: u64,
    positives: u64,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    match args.command {
        ListsCommand::Derive(a) => derive(a),
    }
}

fn derive(a: DeriveArgs) -> Status {
    if !(0.0..=1.0).contains(&a.min_rate) {
        error(format!(
            "`--min-rate {}`: expected a number from 0 to 1",
            a.min_rate
        ));
        return Status::Trouble;
    }
    let (bytes, jsonl) = match read_input(&a.input) {
        Ok(x) => x,
        Err(e) => {
            error(e);
            return Status::Trouble;
        }
    };
    let is_csv = a
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut tally = Tally::new();
    let mut totals = Totals::default();
    let result = if is_csv {
        tally_csv(&a, &bytes, &mut tally, &mut totals)
    } else {
        tally_json(&a, &bytes, jsonl, &mut tally, &mut totals)
    };
    let bad = match result {
        Ok(bad) => bad,
        Err(e) => {
            error(format!("{}: {e}", a.input.display()));
            return Status::Trouble;
        }
    };
    let mut kept: Vec<(&String, u64, u64)> = tally
        .iter()
        .filter(|(_, (n, h))| *n >= a.min_count && *n > 0 && (*h as f64 / *n as f64) >= a.min_rate)
        .map(|(v, (n, h))| (v, *n, *h))
        .collect();
    kept.sort_by(|x, y| x.0.cmp(y.0));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Derived by `semaforo lists derive` from inspection results."
    );
    let _ = writeln!(out, "# input: {}", a.input.display());
    let _ = writeln!(out, "# outcome: {}", a.outcome);
    let _ = writeln!(out, "# by: {}", a.by);
    if let Some(k) = &a.key {
        let _ = writeln!(out, "# key: {k}");
    }
    let _ = writeln!(
        out,
        "# thresholds: at least {} inspected declarations, finding rate at least {}",
        a.min_count, a.min_rate
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
    let _ = writeln!(out, "# rejected: {bad} declarations could not be read");
    if totals.skipped > 0 {
        let _ = writeln!(
            out,
            "# skipped: {} values that cannot be list entries",
            totals.skipped
        );
    }
    if let Some((rows, rejected)) = totals.rows {
        let _ = writeln!(
            out,
            "# rows: {rows} data rows, {} read, {rejected} rejected",
            rows - rejected
        );
    }
    for (v, _, _) in &kept {
        out.push_str(v);
        out.push('\n');
    }
    let status = if bad > 0 {
        error(format!("{bad} declarations could not be read"));
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

/// Adds one declaration's distinct values.
fn add(tally: &mut Tally, totals: &mut Totals, values: &mut Vec<String>, label: Option<bool>) {
    totals.declarations += 1;
    let Some(hit) = label else {
        // Not inspected: its values say nothing about findings.
        values.clear();
        return;
    };
    totals.labelled += 1;
    totals.positives += u64::from(hit);
    values.sort();
    values.dedup();
    for v in values.drain(..) {
        let e = tally.entry(v).or_insert((0, 0));
        e.0 += 1;
        e.1 += u64::from(hit);
    }
}

/// Entries are lines of a list file: a value must be one line, not a
/// comment, with no control or invisible character (the list reader
/// refuses those). `Ok(None)` for an empty value (nothing to list),
/// `Err` with the reason for a value that cannot be an entry.
fn entry(v: &str) -> Result<Option<&str>, String> {
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.starts_with('#') {
        return Err(format!(
            "value {} starts with `#`, which a list file reads as a comment",
            serde_json::Value::from(t)
        ));
    }
    if let Some((c, what)) = t
        .chars()
        .find_map(|c| semaforo::charset::entry_problem(c).map(|w| (c, w)))
    {
        return Err(format!(
            "value {} holds {what} (U+{:04X}), which a list file cannot hold",
            serde_json::Value::from(t),
            u32::from(c)
        ));
    }
    Ok(Some(t))
}

/// Adds `v` to `values`, or warns (with the input line) that it cannot be
/// a list entry; returns whether it was skipped.
fn push_entry(values: &mut Vec<String>, v: &str, input: &std::path::Path, line: u64) -> bool {
    match entry(v) {
        Ok(Some(t)) => values.push(t.to_string()),
        Ok(None) => {}
        Err(why) => {
            crate::common::warn(format!("{}:{line}: {why}; not listed", input.display()));
            return true;
        }
    }
    false
}

fn tally_csv(
    a: &DeriveArgs,
    bytes: &[u8],
    tally: &mut Tally,
    totals: &mut Totals,
) -> Result<u64, String> {
    let table = CsvTable::parse(bytes)?;
    totals.rows = Some((table.rows.len() as u64, table.rejected_rows() as u64));
    let mapping = a.map.mapping()?;
    let col = |name: &str, what: &str| {
        table
            .column(name)
            .or_else(|| mapping.column_of(name).and_then(|c| table.column(c)))
            .ok_or_else(|| format!("the CSV header has no {what} column `{name}`"))
    };
    let by = col(&a.by, "`--by`")?;
    let outcome = col(&a.outcome, "outcome")?;
    let key = a.key.as_deref().map(|k| col(k, "`--key`")).transpose()?;
    let outcome_name = a.outcome.as_str();
    let groups = match key {
        Some(k) => table.group(Some(k)),
        None => (0..table.rows.len()).map(|i| i..i + 1).collect(),
    };
    let mut bad = 0u64;
    let mut values = Vec::new();
    for g in groups {
        let (label, cells) = match labelled_cells(&table, g, by, outcome, outcome_name) {
            Ok(x) => x,
            Err(e) => {
                error(format!("{}:{}: {}", a.input.display(), e.line, e.msg));
                bad += 1;
                continue;
            }
        };
        for (line, cell) in cells {
            let v = String::from_utf8_lossy(cell);
            totals.skipped += u64::from(push_entry(&mut values, &v, &a.input, line));
        }
        add(tally, totals, &mut values, label);
    }
    Ok(bad)
}

fn tally_json(
    a: &DeriveArgs,
    bytes: &[u8],
    jsonl: bool,
    tally: &mut Tally,
    totals: &mut Totals,
) -> Result<u64, String> {
    let records = split_input(bytes, jsonl)?;
    let (list, member) = match a.by.split_once('.') {
        Some((l, m)) => (Some(l), m),
        None => (None, a.by.as_str()),
    };
    let mut bad = 0u64;
    let mut values = Vec::new();
    for r in records {
        let doc: serde_json::Value = match serde_json::from_slice(r.bytes) {
            Ok(d) => d,
            Err(e) => {
                error(format!("{}:{}: {e}", a.input.display(), r.line));
                bad += 1;
                continue;
            }
        };
        let label = match doc.get(&a.outcome) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Bool(b)) => Some(*b),
            Some(serde_json::Value::Number(n)) => Some(n.as_f64().is_some_and(|x| x > 0.0)),
            Some(serde_json::Value::String(s)) => match parse_outcome(s.as_bytes()) {
                Ok(l) => l,
                Err(e) => {
                    error(format!(
                        "{}:{}: outcome member `{}`: {e}",
                        a.input.display(),
                        r.line,
                        a.outcome
                    ));
                    bad += 1;
                    continue;
                }
            },
            Some(_) => {
                error(format!(
                    "{}:{}: outcome member `{}`: expected a bool, a number or text",
                    a.input.display(),
                    r.line,
                    a.outcome
                ));
                bad += 1;
                continue;
            }
        };
        let line = r.line as u64;
        let mut skipped = 0u64;
        let mut push = |v: Option<&serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) => {
                skipped += u64::from(push_entry(&mut values, s, &a.input, line));
            }
            Some(serde_json::Value::Number(n)) => values.push(n.to_string()),
            None | Some(serde_json::Value::Null) => {}
            Some(other) => {
                crate::common::warn(format!(
                    "{}:{line}: `{}` is {}, not text or a number; not listed",
                    a.input.display(),
                    a.by,
                    match other {
                        serde_json::Value::Bool(_) => "a bool",
                        serde_json::Value::Array(_) => "an array",
                        _ => "an object",
                    }
                ));
                skipped += 1;
            }
        };
        match list {
            None => push(doc.get(member)),
            Some(l) => {
                if let Some(serde_json::Value::Array(items)) = doc.get(l) {
                    for it in items {
                        push(it.get(member));
                    }
                }
            }
        }
        totals.skipped += skipped;
        add(tally, totals, &mut values, label);
    }
    Ok(bad)
}
