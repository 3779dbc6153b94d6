//! `semaforo test`.

use crate::Status;
use crate::common::{ContextArgs, DataArgs, compile_rules, context};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Options of `semaforo test`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Evaluation context (tests without `today` use `--today`).
    #[command(flatten)]
    ctx: ContextArgs,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let ruleset = match compile_rules(&args.files, &args.data) {
        Ok(r) => r,
        Err(s) => return s,
    };
    // Tests are deterministic by default: without a key, the all-zero key,
    // without the warning `eval` prints.
    let ctx = if !args.ctx.key_given() {
        match args.ctx.today.as_deref().map(semaforo::Date::parse) {
            Some(None) => {
                crate::common::error("`--today`: expected a date `YYYY-MM-DD`");
                return Status::Trouble;
            }
            Some(Some(d)) => semaforo::Context::new(d, Default::default(), "zero-key"),
            None => match crate::common::current_date() {
                Some(d) => semaforo::Context::new(d, Default::default(), "zero-key"),
                None => return Status::Trouble,
            },
        }
    } else {
        match context(&args.ctx) {
            Ok(c) => c,
            Err(s) => return s,
        }
    };
    let results = ruleset.run_tests(&ctx);
    let mut out = String::new();
    let sources = ruleset.sources();
    let (mut passed, mut failed) = (0usize, 0usize);
    for r in &results {
        let (file, line, _) = sources.locate(r.span);
        if r.passed() {
            passed += 1;
            let _ = writeln!(out, "test {} ... ok", r.name);
        } else {
            failed += 1;
            let _ = writeln!(
                out,
                "test {} ... FAILED ({file}:{line}, today {})",
                r.name, r.today
            );
            for f in &r.failures {
                let (file, line, col) = sources.locate(f.span);
                let _ = writeln!(out, "  {file}:{line}:{col}: {}", f.message);
            }
        }
    }
    let _ = writeln!(out, "\n{passed} passed, {failed} failed");
    let status = if failed > 0 {
        Status::Findings
    } else {
        Status::Ok
    };
    match crate::output::print_all(&out) {
        Ok(()) => status,
        Err(s) => s.status(status),
    }
}
