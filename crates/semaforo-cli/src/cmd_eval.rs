//! `semaforo eval`.

use crate::Status;
use crate::common::{ContextArgs, DataArgs, compile_rules, context, error};
use crate::output::Output;
use semaforo::{Context, Evaluator, Ruleset};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Options of `semaforo eval`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declarations: `.json` (one object or an array of objects) or `.jsonl`
    /// (one object per line); `-` reads JSON Lines from stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Evaluation context.
    #[command(flatten)]
    ctx: ContextArgs,
}

/// One declaration's text and where it starts (1-based line).
pub(crate) struct Record<'a> {
    pub line: usize,
    pub bytes: &'a [u8],
}

/// Splits an input file into declarations. Errors that make the rest of the
/// file unreadable are returned as `Err` with a message naming the line.
pub(crate) fn split_input<'a>(input: &'a [u8], jsonl: bool) -> Result<Vec<Record<'a>>, String> {
    let mut records = Vec::new();
    if jsonl {
        for (i, line) in input.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            records.push(Record {
                line: i + 1,
                bytes: line,
            });
        }
        return Ok(records);
    }
    let first = input.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        for item in semaforo_plan::json::split_json_array(input) {
            let (offset, bytes) = item.map_err(|e| {
                let line = line_of(input, e.offset);
                format!("line {line}: {e}")
            })?;
            records.push(Record {
                line: line_of(input, offset),
                bytes,
            });
        }
    } else {
        records.push(Record {
            line: 1,
            bytes: input,
        });
    }
    Ok(records)
}

fn line_of(input: &[u8], offset: usize) -> usize {
    input
        .get(..offset.min(input.len()))
        .map_or(1, |s| s.iter().filter(|b| **b == b'\n').count() + 1)
}

/// Reads `--input` (a file, or stdin for `-`); returns the bytes and whether
/// it is JSON Lines.
pub(crate) fn read_input(path: &Path) -> Result<(Vec<u8>, bool), String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok((buf, true));
    }
    let jsonl = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"));
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Ok((bytes, jsonl))
}

/// Reads `--input` into `buf` and splits it into declarations; errors are
/// printed and turned into the exit status.
pub(crate) fn read_records<'a>(
    path: &Path,
    buf: &'a mut Vec<u8>,
) -> Result<Vec<Record<'a>>, Status> {
    let (bytes, jsonl) = read_input(path).map_err(|e| {
        error(e);
        Status::Trouble
    })?;
    *buf = bytes;
    split_input(buf, jsonl).map_err(|e| {
        error(format!("{}: {e}", path.display()));
        Status::Trouble
    })
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    match try_run(&args) {
        Ok(s) | Err(s) => s,
    }
}

fn try_run(args: &Args) -> Result<Status, Status> {
    let ruleset = compile_rules(&args.files, &args.data)?;
    let ctx = context(&args.ctx)?;
    let mut input = Vec::new();
    let records = read_records(&args.input, &mut input)?;
    let mut ev = ruleset.evaluator();
    Ok(eval_all(&ruleset, &mut ev, &records, &ctx, &args.input))
}

fn eval_all(
    ruleset: &Ruleset,
    ev: &mut Evaluator,
    records: &[Record<'_>],
    ctx: &Context,
    input: &Path,
) -> Status {
    let mut out = Output::stdout();
    let mut line = String::new();
    let mut rejected = 0usize;
    for (index, r) in records.iter().enumerate() {
        match ev.eval_json(r.bytes, ctx) {
            Ok(view) => {
                line.clear();
                view.write_json(&mut line);
                line.push('\n');
                if let Err(s) = out.write_str(&line) {
                    return s.into();
                }
            }
            Err(e) => {
                rejected += 1;
                let msg = e.to_string();
                error(format!("{}:{}: {msg}", input.display(), r.line));
                line.clear();
                error_record(&mut line, index, r.line, &msg, key_of(ruleset, r.bytes));
                if let Err(s) = out.write_str(&line) {
                    return s.status(Status::Findings);
                }
            }
        }
    }
    if let Err(s) = out.finish() {
        return s.into();
    }
    if rejected > 0 {
        error(format!(
            "{rejected} of {} declarations could not be evaluated",
            records.len()
        ));
        Status::Findings
    } else {
        Status::Ok
    }
}

/// The line `eval` writes for a declaration it could not evaluate, so that
/// output line `i` always answers input declaration `i`: the same shape as
/// the C ABI's batch error line (`index`, `error`), with the input line and
/// the declaration's key when it can be read.
fn error_record(out: &mut String, index: usize, line: usize, msg: &str, id: Option<String>) {
    let _ = write!(out, "{{\"index\":{index},\"line\":{line},");
    if let Some(id) = id {
        let _ = write!(out, "\"id\":{},", Value::from(id));
    }
    let _ = writeln!(out, "\"error\":{}}}", Value::from(msg));
}

/// The key field's value in a declaration that could not be bound, if it
/// is readable at all.
pub(crate) fn key_of(ruleset: &Ruleset, json: &[u8]) -> Option<String> {
    let layout = ruleset.plan().layout();
    let name: &str = &layout.field(semaforo_plan::RecordId(0), layout.key())?.name;
    let value: Value = serde_json::from_slice(json).ok()?;
    value.get(name)?.as_str().map(str::to_string)
}
