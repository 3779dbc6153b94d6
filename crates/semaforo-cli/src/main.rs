//! The `semaforo` command: check, format, test and evaluate rulesets.

mod backtest;
mod calibrate;
mod cmd_bundle;
mod cmd_check;
mod cmd_eval;
mod cmd_explain;
mod cmd_fmt;
mod cmd_lists;
mod cmd_test;
mod common;
mod csv_input;
mod diff;
mod html;
mod input;
mod lsp;
mod output;
mod parallel;
mod render;
mod results;
mod tables;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Semáforo: customs risk rules, checked, tested and evaluated.
#[derive(Parser, Debug)]
#[command(name = "semaforo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse, type-check and lint rule files.
    Check(cmd_check::Args),
    /// Format rule files canonically (in place, or `--check`).
    Fmt(cmd_fmt::Args),
    /// Run the `test` blocks of a ruleset.
    Test(cmd_test::Args),
    /// Evaluate declarations; one JSON object per declaration on stdout.
    Eval(cmd_eval::Args),
    /// Explain one declaration's decision, rule by rule and condition by condition.
    Explain(cmd_explain::Args),
    /// Evaluate a history of declarations and report lanes, rule hits and hit rates.
    Backtest(backtest::Args),
    /// Compute the thresholds that give target inspection rates per lane (and per office).
    Calibrate(calibrate::Args),
    /// Compare a candidate ruleset with the live one on a history of declarations.
    Diff(diff::Args),
    /// Join outcome logs with control results: hit rates, revenue and overrides per rule.
    Results(results::Args),
    /// Work with list files (`lists derive` builds one from inspection results).
    Lists(cmd_lists::Args),
    /// Work with table files (`tables derive` learns points tables and value statistics).
    Tables(tables::Args),
    /// Signed ruleset bundles: keygen, build, sign, verify, inspect.
    Bundle(cmd_bundle::Args),
    /// Run a bundle's conformance vectors (against its own ruleset, or the rule files given).
    Conformance(cmd_bundle::ConformanceArgs),
    /// A language server over stdin/stdout for editors (docs/lsp.md).
    Lsp(lsp::Args),
}

/// Exit status of a command: 0 success, 1 findings (errors, failed tests,
/// rejected declarations), 2 usage or I/O errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Findings,
    Trouble,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check(a) => cmd_check::run(a),
        Command::Fmt(a) => cmd_fmt::run(a),
        Command::Test(a) => cmd_test::run(a),
        Command::Backtest(a) => backtest::run(a),
        Command::Calibrate(a) => calibrate::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Results(a) => results::run(a),
        Command::Lists(a) => cmd_lists::run(a),
        Command::Tables(a) => tables::run(a),
        Command::Bundle(a) => cmd_bundle::run(a),
        Command::Conformance(a) => cmd_bundle::conformance(a),
        Command::Eval(a) => cmd_eval::run(a),
        Command::Explain(a) => cmd_explain::run(a),
        Command::Lsp(a) => lsp::run(a),
    };
    match status {
        Status::Ok => ExitCode::SUCCESS,
        Status::Findings => ExitCode::from(1),
        Status::Trouble => ExitCode::from(2),
    }
}
