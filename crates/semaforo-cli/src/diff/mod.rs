//! `semaforo diff`: evaluate one history of declarations with the live
//! (old) ruleset and a candidate (new) one and report what changes, before
//! the candidate is activated: the lane transition matrix, rule fire counts
//! matched by id, the lane load per group (`--by`), precision and recall
//! per lane (`--outcome`), and `--fail-if` gates for CI.
//!
//! The input layer is every command's (`input` pairs its batches with two
//! binders). Declarations are evaluated by both rulesets in batches on
//! several threads, as backtest does, and only counted (`tally`): memory
//! holds one batch of the input and of group labels, and counters whose
//! size depends on the rulesets and the number of groups (capped by
//! `--max-groups`), never one outcome per declaration. Chunks
//! are merged in input order, so the report and the messages do not depend
//! on the thread count.
//!
//! Modules, in the order data flows: `group` (`--by` specs and values),
//! `input`, `batches` (parallel evaluation), `tally`, `gate`
//! (`--fail-if`), `report` (the report and its text form) and `html`.

mod batches;
mod gate;
mod group;
mod html;
mod input;
mod report;
mod tally;

use crate::Status;
use crate::common::{ContextArgs, DataArgs, MapArgs, compile_rules, context, error, trouble};
use crate::csv_input::Mapping;
use crate::output::print_all;
use gate::Gate;
use group::{ByCol, BySpec};
use input::Opened;
use report::{Meta, RulesetInfo};
use semaforo::Ruleset;
use std::path::PathBuf;
use tally::{Lanes, Tally};

pub(crate) use crate::common::Format;

/// Options of `semaforo diff`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The live ruleset's files, compiled together in this order.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    old: Vec<PathBuf>,
    /// The candidate ruleset's files.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    new: Vec<PathBuf>,
    /// Declarations: `.csv` (see `--map`), `.jsonl`, `.json`; `-` reads
    /// JSON Lines from stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The input's format, when its name does not say it.
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// The inspection result (as for `backtest`): gives precision and
    /// recall per lane.
    #[arg(long, value_name = "FIELD")]
    outcome: Option<String>,
    /// Column mapping for CSV input (one mapping serves both rulesets).
    #[command(flatten)]
    map: MapArgs,
    /// Lane load per group: `COLUMN`, `COLUMN:day|week|month` (a date
    /// column, bucketed), or several joined with `,` (their combination).
    /// Repeatable: one breakdown per option.
    #[arg(long = "by", value_name = "COL[:BUCKET][,COL...]")]
    by: Vec<String>,
    /// The most groups a breakdown keeps; later values are counted in
    /// `(other)`.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_groups: u32,
    /// Worker threads (default: all cores). The report does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// A gate: exit 1 when it holds, e.g. `red.share > +0.5pp at office`,
    /// `moved > 100`, `rule.R12.fired > +10%` (see docs/cli.md).
    #[arg(long = "fail-if", value_name = "GATE")]
    fail_if: Vec<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write a self-contained HTML report (atomically).
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// External data for both rulesets.
    #[command(flatten)]
    data: DataArgs,
    /// An external list for the old ruleset only: `NAME=PATH`, replacing
    /// `--list NAME=...` there (for a list the candidate no longer has).
    #[arg(long = "old-list", value_name = "NAME=PATH")]
    old_lists: Vec<String>,
    /// An external table for the old ruleset only, replacing `--table`.
    #[arg(long = "old-table", value_name = "NAME=PATH")]
    old_tables: Vec<String>,
    /// An external list for the new ruleset only: `NAME=PATH`, replacing
    /// `--list NAME=...` there.
    #[arg(long = "new-list", value_name = "NAME=PATH")]
    new_lists: Vec<String>,
    /// An external table for the new ruleset only, replacing `--table`.
    #[arg(long = "new-table", value_name = "NAME=PATH")]
    new_tables: Vec<String>,
    /// Evaluation context (the same for both).
    #[command(flatten)]
    ctx: ContextArgs,
}

impl Args {
    /// The old ruleset's external data: `--list`/`--table`, with the
    /// names `--old-list`/`--old-table` give replaced or added.
    fn old_data(&self) -> DataArgs {
        DataArgs {
            lists: overlay(&self.data.lists, &self.old_lists),
            tables: overlay(&self.data.tables, &self.old_tables),
        }
    }

    /// The new ruleset's external data, likewise with `--new-list` and
    /// `--new-table`.
    fn new_data(&self) -> DataArgs {
        DataArgs {
            lists: overlay(&self.data.lists, &self.new_lists),
            tables: overlay(&self.data.tables, &self.new_tables),
        }
    }
}

/// `base` without the names `over` assigns, then `over`.
fn overlay(base: &[String], over: &[String]) -> Vec<String> {
    let name = |s: &String| s.split_once('=').map(|(n, _)| n.to_string());
    let replaced: Vec<Option<String>> = over.iter().map(name).collect();
    base.iter()
        .filter(|b| name(b).is_none() || !replaced.contains(&name(b)))
        .chain(over)
        .cloned()
        .collect()
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    match try_run(&args) {
        Ok(s) | Err(s) => s,
    }
}

fn try_run(args: &Args) -> Result<Status, Status> {
    let (gates, specs) = parse_options(args).map_err(trouble)?;
    let old = compile_side(&args.old, &args.old_data(), "old")?;
    let new = compile_side(&args.new, &args.new_data(), "new")?;
    let ctx = context(&args.ctx)?;
    let mapping = args.map.mapping().map_err(trouble)?;
    let outcome = args.outcome.as_deref();
    let format = args.format_arg.of(&args.input);
    let mut opened =
        input::open(&args.input, format, (&old, &new), &mapping, outcome).map_err(trouble)?;
    let breakdowns = resolve_by(&opened, specs, &mapping).map_err(trouble)?;
    let lanes = Lanes::new(&old, &new);
    let rules = tally::rule_keys(&old, &new);
    let by_texts: Vec<String> = breakdowns.iter().map(|b| b.0.text.clone()).collect();
    for g in &gates {
        g.check_names(&lanes, &rules, &by_texts, outcome.is_some())
            .map_err(trouble)?;
    }
    let max_groups = usize::try_from(args.max_groups).unwrap_or(usize::MAX);
    let mut t = Tally::new(&lanes, (&old, &new), breakdowns, max_groups);
    let progress = crate::backtest::progress_bar(&args.input);
    batches::run(
        &mut opened,
        outcome,
        (&old, &new),
        &ctx,
        &lanes,
        &mut t,
        &args.input,
        thread_count(args.threads),
        progress.as_ref(),
    )
    .map_err(trouble)?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let results = gates
        .iter()
        .map(|g| gate::check(g, &t, &lanes, &rules))
        .collect();
    let meta = Meta {
        old: RulesetInfo::of(&old, &args.old),
        new: RulesetInfo::of(&new, &args.new),
        input: args.input.display().to_string(),
        input_format: opened.reader.format().name(),
        today: ctx.today.to_string(),
        rows: opened.reader.csv_rows(),
        outcome: args.outcome.clone(),
    };
    finish(args, &report::build(meta, &t, &lanes, &rules, results))
}

/// Parses the gates and `--by` options, before anything is read.
fn parse_options(args: &Args) -> Result<(Vec<Gate>, Vec<BySpec>), String> {
    let gates = args
        .fail_if
        .iter()
        .map(|g| Gate::parse(g))
        .collect::<Result<_, _>>()?;
    let specs = args
        .by
        .iter()
        .map(|b| BySpec::parse(b))
        .collect::<Result<_, _>>()?;
    Ok((gates, specs))
}

/// `--threads`, or all cores.
fn thread_count(threads: Option<usize>) -> usize {
    threads
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Compiles one side; diagnostics are printed by `compile_rules`.
fn compile_side(files: &[PathBuf], data: &DataArgs, side: &str) -> Result<Ruleset, Status> {
    compile_rules(files, data).inspect_err(|s| {
        if *s == Status::Findings {
            error(format!("the {side} ruleset does not compile"));
        }
    })
}

/// Resolves every `--by` column against the input.
fn resolve_by(
    opened: &Opened,
    specs: Vec<BySpec>,
    mapping: &Mapping,
) -> Result<Vec<(BySpec, Vec<ByCol>)>, String> {
    specs
        .into_iter()
        .map(|s| {
            let cols = s
                .parts
                .iter()
                .map(|p| opened.by_col(&p.column, mapping))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((s, cols))
        })
        .collect()
}

/// Writes the HTML report and the output, prints failed gates, and gives
/// the exit status.
fn finish(args: &Args, r: &report::Report) -> Result<Status, Status> {
    if let Some(path) = &args.report {
        crate::common::replace_file(path, html::render(r).as_bytes()).map_err(|e| {
            trouble(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ))
        })?;
    }
    let text = match args.format {
        Format::Text => report::text(r),
        Format::Json => {
            let mut j = serde_json::to_string_pretty(r)
                .map_err(|e| trouble(format!("{}: {e}", args.input.display())))?;
            j.push('\n');
            j
        }
    };
    let mut status = Status::Ok;
    let d = r.declarations;
    if d.rejected > 0 {
        error(format!(
            "{} of {} declarations could not be evaluated by both rulesets",
            d.rejected, d.read
        ));
        status = Status::Findings;
    }
    for g in r.gates.iter().filter(|g| g.failed) {
        for f in &g.failures {
            error(format!("gate failed: `{}`: {}", g.gate, f.message));
        }
        status = Status::Findings;
    }
    Ok(match print_all(&text) {
        Ok(()) => status,
        Err(s) => s.status(status),
    })
}
