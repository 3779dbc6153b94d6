//! `semaforo eval`.

use crate::Status;
use crate::common::{ContextArgs, DataArgs, compile_rules, context, error};
use crate::output::Output;
use semaforo::{Context, Evaluator, Ruleset};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Options of `semaforo eval`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declarations: `.json` (one object or an array of objects), `.jsonl`
    /// (one object per line) or `.csv` (with `--map-file`/`--map`, as for
    /// `backtest`), read as a stream; `-` reads JSON Lines from stdin, one
    /// outcome written as soon as each line is read.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The input's format, when its name does not say it.
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// CSV column mapping.
    #[command(flatten)]
    map: crate::common::MapArgs,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Evaluation context.
    #[command(flatten)]
    ctx: ContextArgs,
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
    let mut ev = ruleset.evaluator();
    let format = args.format_arg.of(&args.input);
    if args.input.as_os_str() == "-" && format == crate::input::Format::Jsonl {
        return Ok(eval_stream(&ruleset, &mut ev, &ctx));
    }
    Ok(eval_file(
        &ruleset,
        &mut ev,
        &ctx,
        &args.input,
        format,
        &args.map,
    ))
}

/// JSON Lines from stdin, evaluated line by line: each outcome (or error
/// record) is written and flushed as soon as its line is read, so a host
/// can keep one `semaforo eval` running and talk to it through a pipe.
fn eval_stream(ruleset: &Ruleset, ev: &mut Evaluator, ctx: &Context) -> Status {
    use std::io::BufRead as _;
    let mut out = Output::stdout();
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let mut buf = Vec::new();
    let mut line = String::new();
    let (mut index, mut number, mut rejected) = (0usize, 0usize, 0usize);
    let so_far = |rejected: usize| {
        if rejected > 0 {
            Status::Findings
        } else {
            Status::Ok
        }
    };
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                error(format!("cannot read stdin: {e}"));
                return Status::Trouble;
            }
        }
        number += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        line.clear();
        match ev.eval_json(&buf, ctx) {
            Ok(view) => {
                view.write_json(&mut line);
                line.push('\n');
            }
            Err(e) => {
                rejected += 1;
                let msg = e.to_string();
                error(format!("<stdin>:{number}: {msg}"));
                error_record(&mut line, index, number, &msg, key_of(ruleset, &buf));
            }
        }
        index += 1;
        if let Err(s) = out.write_str(&line).and_then(|()| out.flush()) {
            return s.status(so_far(rejected));
        }
    }
    if let Err(s) = out.finish() {
        return s.status(so_far(rejected));
    }
    if rejected > 0 {
        error(format!(
            "{rejected} of {index} declarations could not be evaluated"
        ));
    }
    so_far(rejected)
}

/// A file of declarations (JSON, JSON Lines, or a CSV history grouped into
/// declarations by the key column under the column mapping, exactly as
/// `backtest` reads it), read as a stream: one outcome per declaration,
/// written as it is evaluated. A declaration that cannot be bound gets an
/// error record with its line (CSV: of its first row).
fn eval_file(
    ruleset: &Ruleset,
    ev: &mut Evaluator,
    ctx: &Context,
    input: &Path,
    format: crate::input::Format,
    map: &crate::common::MapArgs,
) -> Status {
    let mut opened = match crate::backtest::source::open(input, format, ruleset, map, None) {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return Status::Trouble;
        }
    };
    let mut out = Output::stdout();
    let mut line = String::new();
    let mut warnings = Vec::new();
    let mut rejected = 0usize;
    let so_far = |rejected: usize| {
        if rejected > 0 {
            Status::Findings
        } else {
            Status::Ok
        }
    };
    let mut batch = crate::input::Batch::default();
    loop {
        match opened.reader.next_batch(&mut batch) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // What was evaluated so far was written; the rest cannot be.
                let _ = out.finish();
                error(e);
                return Status::Trouble;
            }
        }
        let src = crate::backtest::source::Source {
            batch: &batch,
            binder: opened.binder.as_ref(),
            outcome: None,
        };
        for i in 0..src.len() {
            line.clear();
            warnings.clear();
            match src.evaluate(i, ev, ctx, &mut warnings) {
                Ok(_) => {
                    if let Some(o) = ev.outcome() {
                        ruleset.view(ev.declaration(), ctx, o).write_json(&mut line);
                        line.push('\n');
                    }
                }
                Err(e) => {
                    rejected += 1;
                    error(format!("{}:{}: {}", input.display(), e.line, e.msg));
                    let at = usize::try_from(e.line).unwrap_or(usize::MAX);
                    let id = src.json_bytes(i).and_then(|b| key_of(ruleset, b));
                    error_record(&mut line, batch.first + i, at, &e.msg, id);
                }
            }
            for w in &warnings {
                error(format!("{}:{}: {}", input.display(), w.line, w.msg));
            }
            if let Err(s) = out.write_str(&line) {
                return s.status(so_far(rejected));
            }
        }
    }
    if let Err(s) = out.finish() {
        return s.status(so_far(rejected));
    }
    if rejected > 0 {
        error(format!(
            "{rejected} of {} declarations could not be evaluated",
            opened.reader.units()
        ));
    }
    so_far(rejected)
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
    let value: Value = serde_json::from_slice(json).ok()?;
    value.get(ruleset.key_field())?.as_str().map(str::to_string)
}
