//! `semaforo explain`: why one declaration got its lane.
//!
//! The explanation comes from [`semaforo::Ruleset::explain`]; this module
//! only picks the declaration and renders the explanation as an indented
//! tree an officer can read, or as one JSON object.

use crate::Status;
use crate::backtest::source::{Source, open};
use crate::cmd_eval::key_of;
use crate::common::{ContextArgs, DataArgs, compile_rules, context, error};
use crate::input::Batch;
use crate::output::print_all;
use semaforo::Explanation;
use std::fmt::Write as _;
use std::path::PathBuf;

/// How the explanation is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExplainFormat {
    /// An indented tree on stdout.
    #[default]
    Human,
    /// One JSON object on stdout.
    Json,
}

/// Options of `semaforo explain`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declarations: `.json` (one object or an array of objects), `.jsonl`
    /// (one object per line) or `.csv` (with `--map-file`/`--map`, as for
    /// `backtest`); `-` reads JSON Lines from stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The input's format, when its name does not say it.
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// CSV column mapping.
    #[command(flatten)]
    map: crate::common::MapArgs,
    /// Explain the declaration whose key field is ID (default: the first).
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: ExplainFormat,
    /// Show the conditions of every rule, not only of the fired, shadow
    /// and undetermined ones (the human form; the JSON form has them all).
    #[arg(long)]
    all: bool,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Evaluation context.
    #[command(flatten)]
    ctx: ContextArgs,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let ruleset = match compile_rules(&args.files, &args.data) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let ctx = match context(&args.ctx) {
        Ok(c) => c,
        Err(s) => return s,
    };
    let mut ev = ruleset.evaluator();
    match find(&args, &ruleset, &ctx, &mut ev) {
        Ok((found, unbound)) => explain_found(&args, &ruleset, &ctx, &ev, found, unbound),
        Err(s) => s,
    }
}

/// Reads the input as a stream until the declaration to explain (the
/// first, or the one whose key is `--id`) is bound in `ev`, and stops
/// there. Whether it was found, and how many declarations could not be
/// bound before; a declaration asked for that cannot be bound is the
/// answer (JSON: one whose key can still be read is recognised).
fn find(
    args: &Args,
    ruleset: &semaforo::Ruleset,
    ctx: &semaforo::Context,
    ev: &mut semaforo::Evaluator,
) -> Result<(bool, usize), Status> {
    let fail = |e: String| {
        error(e);
        Status::Trouble
    };
    let format = args.format_arg.of(&args.input);
    let mut opened = open(&args.input, format, ruleset, &args.map, None).map_err(fail)?;
    let csv = opened.binder.is_some();
    let mut batch = Batch::default();
    let mut warnings = Vec::new();
    let mut unbound = 0usize;
    while opened.reader.next_batch(&mut batch).map_err(fail)? {
        let src = Source {
            batch: &batch,
            binder: opened.binder.as_ref(),
            outcome: None,
        };
        for i in 0..src.len() {
            match src.evaluate(i, ev, ctx, &mut warnings) {
                Ok(_) => {
                    if args
                        .id
                        .as_deref()
                        .is_none_or(|id| id == ev.declaration().key())
                    {
                        return Ok((true, unbound));
                    }
                }
                Err(e) => {
                    // The declaration asked for (the first, or the one
                    // with that key) cannot be bound: the binding error is
                    // the answer.
                    let asked = match args.id.as_deref() {
                        None => true,
                        Some(_) if csv => false,
                        Some(id) => src
                            .json_bytes(i)
                            .and_then(|b| key_of(ruleset, b))
                            .is_some_and(|k| k == id),
                    };
                    if asked {
                        error(format!("{}:{}: {}", args.input.display(), e.line, e.msg));
                        return Err(Status::Findings);
                    }
                    unbound += 1;
                }
            }
        }
    }
    // CSV declarations that cannot be bound were never counted here.
    Ok((false, if csv { 0 } else { unbound }))
}

/// Explains the declaration bound in `ev` if it was found, or says why not.
fn explain_found(
    args: &Args,
    ruleset: &semaforo::Ruleset,
    ctx: &semaforo::Context,
    ev: &semaforo::Evaluator,
    found: bool,
    unbound: usize,
) -> Status {
    if !found {
        match &args.id {
            Some(id) => {
                let mut msg = format!(
                    "no declaration with key `{id}` in `{}`",
                    args.input.display()
                );
                if unbound > 0 {
                    let _ = write!(msg, " ({unbound} declarations could not be bound)");
                }
                error(msg);
            }
            None => error(format!("`{}` holds no declaration", args.input.display())),
        }
        return Status::Trouble;
    }
    let explanation = ruleset.explain(ev.declaration(), ctx);
    if let Err(msg) = trusted(&explanation) {
        error(msg);
        return Status::Trouble;
    }
    let text = match args.format {
        ExplainFormat::Human => explanation.render_text(args.all),
        ExplainFormat::Json => {
            let mut s = explanation.render_json();
            s.push('\n');
            s
        }
    };
    match print_all(&text) {
        Ok(()) => Status::Ok,
        Err(s) => s.into(),
    }
}

/// Refuses an explanation whose verdict differs from the plan's
/// ([`Explanation::verdict_agrees`], checked by the facade on every call).
/// The interpreter and the plan evaluator implement the same spec
/// independently; a difference is a bug, and the officer must not be shown
/// a tree that does not lead to the decision that was taken.
fn trusted(e: &Explanation) -> Result<(), String> {
    if e.verdict_agrees {
        Ok(())
    } else {
        Err(format!(
            "internal: the explanation of `{}` disagrees with its evaluation; please report this",
            e.id
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests unwrap: a failure is the test's report"
    )]
    use super::*;

    fn explanation() -> Explanation {
        let mut c = semaforo::Compiler::new();
        c.add_source(
            "r.sem",
            "ruleset \"d\" version \"1\"\nschema d { key id: text\n origin: text }\n\
             rule R \"CN\" { when origin == \"CN\" then lane red }\n",
        );
        let ruleset = c.compile().map_err(|e| format!("{e:?}")).unwrap();
        let ctx = semaforo::Context::new(
            semaforo::Date::parse("2026-06-01").unwrap(),
            semaforo::SamplingKey::default(),
            "k0",
        );
        let mut ev = ruleset.evaluator();
        ev.eval_json(br#"{"id": "D1", "origin": "CN"}"#, &ctx)
            .unwrap();
        ruleset.explain(ev.declaration(), &ctx)
    }

    #[test]
    fn an_agreeing_explanation_is_shown() {
        let e = explanation();
        assert!(e.verdict_agrees);
        assert_eq!(trusted(&e), Ok(()));
    }

    #[test]
    fn a_disagreeing_explanation_is_refused() {
        // The facade never produces one unless interpreter and plan differ;
        // the flag is what the CLI trusts, so set it as such a bug would.
        let mut e = explanation();
        e.verdict_agrees = false;
        let msg = trusted(&e).unwrap_err();
        assert!(
            msg.starts_with("internal: the explanation of `D1` disagrees"),
            "{msg}"
        );
    }
}
