//! `semaforo test`.

use crate::Status;
use crate::common::{ContextArgs, DataArgs, compile_rules, context, evaluation_date, warn};
use crate::render::Format;
use semaforo::{Sources, TestFailure, TestResult};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Options of `semaforo test`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Run only the tests whose name contains TEXT (case-sensitive);
    /// repeat to run the tests matching any of them.
    #[arg(long = "filter", value_name = "TEXT")]
    filters: Vec<String>,
    /// Output format: `human` text, or `json` (JSON Lines: one object per
    /// test, then a summary object).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
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
    let ctx = if args.ctx.key_given() {
        match context(&args.ctx) {
            Ok(c) => c,
            Err(s) => return s,
        }
    } else {
        match evaluation_date(&args.ctx) {
            Ok(d) => semaforo::Context::new(d, Default::default(), "zero-key"),
            Err(s) => return s,
        }
    };
    let all = ruleset.run_tests(&ctx);
    let not_run = ruleset.package_tests_not_run();
    if not_run > 0 {
        warn(format!(
            "{not_run} test(s) of the packages used were not run: they test each package as published; run `semaforo test` on the package's files alone"
        ));
    }
    let total = all.len();
    let selected: Vec<&TestResult> = all
        .iter()
        .filter(|r| args.filters.is_empty() || args.filters.iter().any(|f| r.name.contains(f)))
        .collect();
    if !args.filters.is_empty() && selected.is_empty() && total > 0 {
        warn(format!(
            "no test name contains {}",
            args.filters
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    let summary = Summary {
        passed: selected.iter().filter(|r| r.passed()).count(),
        failed: selected.iter().filter(|r| !r.passed()).count(),
        filtered_out: total - selected.len(),
    };
    let sources = ruleset.sources();
    let out = match args.format {
        Format::Human => human(&selected, sources, &summary, !args.filters.is_empty()),
        Format::Json => json(&selected, sources, &summary),
    };
    let status = if summary.failed > 0 {
        Status::Findings
    } else {
        Status::Ok
    };
    match crate::output::print_all(&out) {
        Ok(()) => status,
        Err(s) => s.status(status),
    }
}

/// The counts of the summary line.
struct Summary {
    passed: usize,
    failed: usize,
    filtered_out: usize,
}

fn human(results: &[&TestResult], sources: &Sources, summary: &Summary, filtered: bool) -> String {
    let mut out = String::new();
    for r in results {
        if r.passed() {
            let _ = writeln!(out, "test {} ... ok", r.name);
        } else {
            let (file, line, _) = sources.locate(r.span);
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
    let _ = write!(
        out,
        "\n{} passed, {} failed",
        summary.passed, summary.failed
    );
    if filtered {
        let _ = write!(out, ", {} filtered out", summary.filtered_out);
    }
    out.push('\n');
    out
}

fn json(results: &[&TestResult], sources: &Sources, summary: &Summary) -> String {
    let mut out = String::new();
    for r in results {
        let (file, line, column) = sources.locate(r.span);
        let failures: Vec<serde_json::Value> =
            r.failures.iter().map(|f| failure(f, sources)).collect();
        let v = serde_json::json!({
            "type": "test",
            "name": r.name,
            "file": file,
            "line": line,
            "column": column,
            "today": r.today.to_string(),
            "passed": r.passed(),
            "failures": failures,
        });
        let _ = writeln!(out, "{v}");
    }
    let v = serde_json::json!({
        "type": "summary",
        "passed": summary.passed,
        "failed": summary.failed,
        "filtered_out": summary.filtered_out,
    });
    let _ = writeln!(out, "{v}");
    out
}

/// One unmet expectation as JSON: where it is, the expectation as written
/// (`expected`), what happened instead (`actual`) and the whole message.
fn failure(f: &TestFailure, sources: &Sources) -> serde_json::Value {
    let (file, line, column) = sources.locate(f.span);
    let written = sources
        .get(f.span.file)
        .and_then(|s| s.text.get(f.span.start as usize..f.span.end as usize))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
    // An `expect` clause reads `expect WHAT`; a `given` that cannot be
    // bound has no expectation, only what happened.
    let expected = written
        .as_deref()
        .and_then(|t| t.strip_prefix("expect "))
        .map(str::to_string);
    let actual = match expected {
        Some(_) => actual_of(&f.message),
        None => f.message.clone(),
    };
    serde_json::json!({
        "file": file,
        "line": line,
        "column": column,
        "expected": expected,
        "actual": actual,
        "message": f.message,
    })
}

/// What happened, from a failure message `expected X, found Y (...)`,
/// `expected X; fired: ...` or `expected X, but it fired`: the part after
/// the expectation; the whole message when it has another shape.
fn actual_of(message: &str) -> String {
    let seps = [", found ", "; ", ", but "];
    seps.iter()
        .filter_map(|s| message.find(s).map(|i| (i, s.len())))
        .min()
        .and_then(|(i, len)| message.get(i + len..))
        .map_or_else(|| message.to_string(), str::to_string)
}
