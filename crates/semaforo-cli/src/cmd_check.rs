//! `semaforo check`.

use crate::Status;
use crate::common::{DataArgs, Stdin, date_option, load_with};
use crate::render::{self, Format};
use std::io::Write;
use std::path::PathBuf;

/// Options of `semaforo check`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order; `-` reads one from
    /// standard input (named `<stdin>` in diagnostics).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Treat warnings as errors (an overdue `review` date among them).
    #[arg(long)]
    deny_warnings: bool,
    /// The date rules' `review` dates are checked against (W0008),
    /// `YYYY-MM-DD` (default: the current date in UTC, or at
    /// `--utc-offset`).
    #[arg(long, value_name = "DATE")]
    today: Option<String>,
    /// Without `--today`, take the current date at this offset from UTC,
    /// `±HH:MM` (e.g. `-06:00` for Central America).
    #[arg(
        long,
        value_name = "±HH:MM",
        conflicts_with = "today",
        allow_hyphen_values = true
    )]
    utc_offset: Option<String>,
    /// Also compile the ruleset (with its external data, given as for
    /// `eval`) and list the rules the rule index never skips: evaluated
    /// for every declaration.
    #[arg(long)]
    index: bool,
    /// External data; when any is given, it is checked too (a full compile).
    #[command(flatten)]
    data: DataArgs,
}

/// Writes `--index`'s report on stdout: the rules evaluated for every
/// declaration, as text or (`--format json`) as one more JSON line,
/// `{"index":{"rules":N,"every_declaration":[ids]}}`.
fn index_report(ruleset: &semaforo::Ruleset, format: Format) -> Result<(), crate::output::Stopped> {
    // The count alone (`stats` also sums the plan's heap).
    let rules = ruleset.rules().len();
    let every: Vec<&str> = ruleset.unindexed_rules().collect();
    let mut text = String::new();
    match format {
        Format::Json => {
            let ids = serde_json::to_string(&every).unwrap_or_else(|_| "[]".into());
            text.push_str(&format!(
                "{{\"index\":{{\"rules\":{rules},\"every_declaration\":{ids}}}}}\n"
            ));
        }
        Format::Human if every.is_empty() => {
            text.push_str(&format!(
                "index: every rule of {rules} has a guard the rule index uses\n"
            ));
        }
        Format::Human => {
            text.push_str(&format!(
                "index: {} of {rules} rules are evaluated for every declaration \
                 (no top-level conjunct is a guard the rule index uses; see \
                 docs/performance.md, \"Writing rules the index can use\"):\n",
                every.len()
            ));
            for id in every {
                text.push_str(&format!("  {id}\n"));
            }
        }
    }
    let mut out = crate::output::Output::stdout();
    out.write_str(&text)?;
    out.finish()
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let mut compiler = match load_with(&args.files, &args.data, Stdin::Allowed) {
        Ok(c) => c,
        Err(s) => return s,
    };
    match date_option(args.today.as_deref(), args.utc_offset.as_deref()) {
        Ok(today) => compiler.review_date(today),
        Err(s) => return s,
    };
    let full = args.index || !args.data.lists.is_empty() || !args.data.tables.is_empty();
    let mut compiled = None;
    let (diags, sources) = if full {
        match compiler.compile() {
            Ok(r) => {
                let found = (r.warnings().to_vec(), r.sources().clone());
                compiled = Some(r);
                found
            }
            Err(e) => (e.diagnostics, e.sources),
        }
    } else {
        let report = compiler.check();
        (report.diagnostics, report.sources)
    };
    let errors = diags.iter().any(|d| d.is_error());
    let failed = errors || (args.deny_warnings && !diags.is_empty());
    let status = if failed { Status::Findings } else { Status::Ok };
    if let Err(s) = render::diagnostics(&diags, &sources, args.format) {
        return s.status(status);
    }
    if let Some(ruleset) = compiled.as_ref().filter(|_| args.index)
        && let Err(s) = index_report(ruleset, args.format)
    {
        return s.status(status);
    }
    if args.format == Format::Human {
        let _ = writeln!(
            std::io::stderr(),
            "{}: {}",
            if failed { "failed" } else { "ok" },
            render::summary(&diags)
        );
    }
    status
}
