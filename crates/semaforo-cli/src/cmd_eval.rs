//! `semaforo eval`.

use crate::Status;
use crate::common::{ContextArgs, DataArgs, compile_rules, context, error};
use crate::output::Output;
use semaforo::{Context, Evaluator};
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
    Ok(eval_all(&mut ev, &records, &ctx, &args.input))
}

fn eval_all(ev: &mut Evaluator, records: &[Record<'_>], ctx: &Context, input: &Path) -> Status {
    let mut out = Output::stdout();
    let mut line = String::new();
    let mut rejected = 0usize;
    for r in records {
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
                error(format!("{}:{}: {e}", input.display(), r.line));
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
