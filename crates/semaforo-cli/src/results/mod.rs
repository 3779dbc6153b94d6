//! `semaforo results`: control results fed back to the rules. Joins the
//! outcome logs `eval` writes with the results of the controls made (CSV
//! or JSON Lines, one record per controlled declaration) by declaration
//! id, and reports per rule, office and month: selections, controls, hits,
//! hit rate, revenue per control and officer overrides; shadow rules as
//! would-have-selected; the unbiased base rate from random-sample rules;
//! and the rules with no hit in `--stale-months`.
//!
//! Memory: the results are held in a map of declaration id -> compact
//! record (texts interned); the outcome logs, the larger side (one line
//! per declaration evaluated), are read line by line and never held. The
//! counters grow with rules × offices × months.
//!
//! Modules, in the order data flows: `input` (both readers), `tally` (the
//! join and the counters), `report` (the report and its text form) and
//! `html`.

mod html;
mod input;
mod report;
mod tally;

use crate::Status;
use crate::common::{DataArgs, compile_rules, error, trouble, warn};
use crate::output::print_all;
use input::{Interner, Results};
use report::Meta;
use std::path::PathBuf;
use tally::{Dims, Tally};

pub(crate) use crate::common::Format;

/// Options of `semaforo results`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Outcome logs: the JSON Lines `semaforo eval` (or `backtest
    /// --outcomes`) writes. Repeatable, and several files may follow.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    outcomes: Vec<PathBuf>,
    /// Control results: `.csv` (header names the fields) or JSON Lines.
    /// Repeatable, and several files may follow.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    results: Vec<PathBuf>,
    /// The ruleset to report on, compiled from these files (with `--list`
    /// and `--table`, which the fingerprint covers): outcomes of any other
    /// fingerprint are counted apart, and its rules that never fired are
    /// flagged stale too.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "fingerprint")]
    ruleset: Vec<PathBuf>,
    /// The fingerprint to report on (at least 12 hexadecimal digits, a
    /// prefix of the full one): outcomes of any other are counted apart.
    #[arg(long, value_name = "HEX")]
    fingerprint: Option<String>,
    /// Row dimensions besides the rule: `rule`, `office`, `month`, joined
    /// with `,` (default: all three).
    #[arg(long, value_name = "DIMS", default_value = "rule,office,month")]
    by: String,
    /// Flag rules without a hit in this many months before `--as-of`.
    #[arg(long, value_name = "N", default_value_t = 6)]
    stale_months: u32,
    /// The date staleness is measured from (default: the latest evaluation
    /// or control date read).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write a self-contained HTML report (atomically).
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// External data of `--ruleset`.
    #[command(flatten)]
    data: DataArgs,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    match try_run(&args) {
        Ok(s) | Err(s) => s,
    }
}

/// `--by`: which dimensions besides the rule.
fn parse_by(s: &str) -> Result<Dims, String> {
    let mut d = Dims {
        office: false,
        month: false,
    };
    for part in s.split(',').map(str::trim) {
        match part {
            "rule" => {}
            "office" => d.office = true,
            "month" => d.month = true,
            _ => {
                return Err(format!(
                    "`--by {s}`: `{part}` is not a dimension (`rule`, `office`, `month`)"
                ));
            }
        }
    }
    Ok(d)
}

fn try_run(args: &Args) -> Result<Status, Status> {
    let dims = parse_by(&args.by).map_err(trouble)?;
    let as_of = match &args.as_of {
        None => None,
        Some(t) => Some(
            semaforo::Date::parse(t)
                .ok_or_else(|| trouble(format!("`--as-of {t}`: expected a date `YYYY-MM-DD`")))?,
        ),
    };
    if args.ruleset.is_empty() && !(args.data.lists.is_empty() && args.data.tables.is_empty()) {
        return Err(trouble("`--list` and `--table` go with `--ruleset`"));
    }
    let mut governance = std::collections::HashMap::new();
    let ruleset = if args.ruleset.is_empty() {
        None
    } else {
        let r = compile_rules(&args.ruleset, &args.data)?;
        let ids = r.rules().map(|s| s.id.to_string()).collect();
        for rule in r.rules() {
            if let Some(g) = crate::backtest::report::Governance::of(&rule) {
                governance.insert(rule.id.to_string(), g);
            }
        }
        Some((
            r.fingerprint_hex().to_string(),
            r.name().to_string(),
            r.version().to_string(),
            ids,
        ))
    };
    let target = match (&ruleset, &args.fingerprint) {
        (Some(r), _) => Some(r.0.clone()),
        (None, Some(f)) => {
            if f.len() < 12 || !f.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(trouble(format!(
                    "`--fingerprint {f}`: expected at least 12 hexadecimal digits"
                )));
            }
            Some(f.to_ascii_lowercase())
        }
        (None, None) => None,
    };
    let mut bad_lines = 0u64;
    let mut report_bad = |m: String| {
        bad_lines += 1;
        error(m);
    };
    let mut names = Interner::default();
    let mut results = Results::default();
    for (i, path) in args.results.iter().enumerate() {
        let file = u32::try_from(i).unwrap_or(u32::MAX);
        results
            .read_file(path, file, &mut names, &mut report_bad)
            .map_err(trouble)?;
    }
    let mut t = Tally::new(names, results, dims, target);
    let mut warn_line = |m: String| warn(m);
    for path in &args.outcomes {
        t.read_outcomes(path, &mut report_bad, &mut warn_line)
            .map_err(trouble)?;
    }
    let left = t.lane_warnings_left();
    if left > 0 {
        warn(format!(
            "... and {left} more results whose lane differs from the outcome's"
        ));
    }
    let unmatched = t.unmatched();
    for (file, line, id) in unmatched.iter().take(10) {
        let path = args
            .results
            .get(*file as usize)
            .map(|p| p.display().to_string());
        warn(format!(
            "{}:{line}: declaration `{id}` has a result but no outcome in the logs given",
            path.unwrap_or_default()
        ));
    }
    if unmatched.len() > 10 {
        warn(format!(
            "... and {} more results without an outcome",
            unmatched.len() - 10
        ));
    }
    let meta = Meta {
        outcome_files: args
            .outcomes
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        result_files: args
            .results
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        ruleset,
        governance,
        as_of,
        stale_months: args.stale_months,
    };
    let r = report::build(t, meta);
    if let Some(path) = &args.report {
        crate::common::replace_file(path, html::render(&r).as_bytes()).map_err(|e| {
            trouble(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ))
        })?;
    }
    let text = match args.format {
        Format::Text => report::text(&r),
        Format::Json => {
            let mut j = serde_json::to_string_pretty(&r).map_err(trouble)?;
            j.push('\n');
            j
        }
    };
    let status = if bad_lines > 0 {
        error(format!(
            "{bad_lines} lines could not be read or joined (listed above); they are not counted"
        ));
        Status::Findings
    } else {
        Status::Ok
    };
    Ok(match print_all(&text) {
        Ok(()) => status,
        Err(s) => s.status(status),
    })
}
