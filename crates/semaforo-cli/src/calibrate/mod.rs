//! `semaforo calibrate`: the thresholds that give target inspection rates
//! per lane on a history of declarations, for the whole history and per
//! group (`--by office`), with the rates they achieve and the ruleset
//! change that applies them (`--write`).
//!
//! The input layer is backtest's. Each declaration is counted by score,
//! forced lane (from its fired rules' `lane` actions alone) and group
//! (`scan`); the thresholds are computed exactly on those counts
//! (`solve`); `report` prints them and writes the threshold items.

mod report;
mod scan;
mod solve;

use crate::Status;
use crate::backtest::source::{Opened, open};
use crate::common::{ContextArgs, DataArgs, MapArgs, compile_rules, context, error, trouble, warn};
use crate::output::print_all;
use semaforo::{FieldType, Ruleset};
use std::path::PathBuf;

use scan::ByCol;
use solve::Target;

pub(crate) use crate::common::Format;

/// Options of `semaforo calibrate`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The history: `.csv` (see `--map`), `.jsonl`, `.json`; `-` reads
    /// JSON Lines from stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The input's format, when its name does not say it.
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// A target `LANE=P%`: at most P% of the declarations in LANE or a
    /// more severe lane (e.g. `red=5%`, `yellow=15%`). Repeatable, one per
    /// lane; P has at most 4 decimals.
    #[arg(long = "target", required = true, value_name = "LANE=P%")]
    targets: Vec<String>,
    /// Also calibrate per value of this top-level text field (the FIELD of
    /// `threshold LANE N for FIELD "VALUE"`).
    #[arg(long, value_name = "FIELD")]
    by: Option<String>,
    /// Groups with fewer declarations keep the general thresholds.
    #[arg(long, value_name = "N", default_value_t = 200)]
    min_group: u64,
    /// Write the calibrated threshold items to this rule file
    /// (atomically); it replaces the ruleset's own `threshold` items.
    #[arg(long, value_name = "FILE.sem")]
    write: Option<PathBuf>,
    /// Column mapping for CSV input.
    #[command(flatten)]
    map: MapArgs,
    /// Worker threads (default: all cores). The result does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
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
    let targets = parse_targets(&args.targets, &ruleset).map_err(trouble)?;
    if let Some(field) = &args.by {
        check_by(&ruleset, field).map_err(trouble)?;
    }
    let ctx = context(&args.ctx)?;
    let format = args.format_arg.of(&args.input);
    let mut opened = open(&args.input, format, &ruleset, &args.map, None).map_err(trouble)?;
    let by = match &args.by {
        None => None,
        Some(f) => Some(by_col(&opened, &args.map, f).map_err(trouble)?),
    };
    let threads = args
        .threads
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let scan = scan::run(
        &mut opened,
        &ruleset,
        &ctx,
        by.as_ref(),
        &args.input,
        threads,
    )
    .map_err(trouble)?;
    if scan.all.n == 0 {
        return Err(trouble(format!(
            "{}: no declaration could be evaluated; nothing to calibrate",
            args.input.display()
        )));
    }
    let meta = report::Meta {
        ruleset: &ruleset,
        input: args.input.display().to_string(),
        today: ctx.today.to_string(),
        by: args.by.clone(),
        min_group: args.min_group,
    };
    let r = report::build(&meta, &scan, &targets).ok_or_else(|| {
        trouble("internal: no thresholds for a non-empty history; please report this")
    })?;
    for lane in ruleset.lanes().iter().skip(1) {
        if !r.targets.iter().any(|t| t.lane == **lane) {
            warn(format!(
                "lane `{lane}` has no --target: the calibrated thresholds give it none"
            ));
        }
    }
    if let Some(path) = &args.write {
        let text = report::threshold_items(&r, &ruleset);
        crate::common::replace_file(path, text.as_bytes()).map_err(|e| {
            trouble(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ))
        })?;
    }
    let out = match args.format {
        Format::Text => report::text(&r),
        Format::Json => {
            let mut j = serde_json::to_string_pretty(&r)
                .map_err(|e| trouble(format!("{}: {e}", args.input.display())))?;
            j.push('\n');
            j
        }
    };
    let mut status = Status::Ok;
    if scan.rejected > 0 {
        error(format!(
            "{} of {} declarations could not be evaluated",
            scan.rejected, scan.read
        ));
        status = Status::Findings;
    }
    if r.unmet > 0 {
        error(format!(
            "{} target(s) cannot be met (see `unmet` in the report)",
            r.unmet
        ));
        status = Status::Findings;
    }
    Ok(match print_all(&out) {
        Ok(()) => status,
        Err(s) => s.status(status),
    })
}

/// Parses `LANE=P%` targets: a declared lane other than the default one,
/// at most once, P from 0 to 100 with at most 4 decimals.
fn parse_targets(specs: &[String], ruleset: &Ruleset) -> Result<Vec<Target>, String> {
    let lanes = ruleset.lanes();
    let mut out: Vec<Target> = Vec::with_capacity(specs.len());
    for s in specs {
        let (name, p) = s
            .split_once('=')
            .ok_or_else(|| format!("--target `{s}`: expected LANE=P%, e.g. red=5%"))?;
        let name = name.trim();
        let lane = lanes.iter().position(|l| **l == *name).ok_or_else(|| {
            let all: Vec<&str> = lanes.iter().map(|l| &**l).collect();
            format!(
                "--target `{s}`: no lane `{name}` (lanes: {})",
                all.join(", ")
            )
        })?;
        if lane == 0 {
            return Err(format!(
                "--target `{s}`: `{name}` is the default lane; every declaration is in it or a more severe one"
            ));
        }
        let lane = u16::try_from(lane).map_err(|_| format!("--target `{s}`: too many lanes"))?;
        if out.iter().any(|t| t.lane == lane) {
            return Err(format!("--target `{s}`: lane `{name}` has two targets"));
        }
        let ppm = parse_percent(p.trim())
            .ok_or_else(|| format!("--target `{s}`: expected a percentage from 0% to 100% with at most 4 decimals, e.g. 5% or 2.5%"))?;
        out.push(Target { lane, ppm });
    }
    Ok(out)
}

/// `5%`, `2.5%`, `0.0125%` (the `%` optional) in millionths.
fn parse_percent(s: &str) -> Option<u32> {
    let s = s.strip_suffix('%').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || int.len() > 3
        || frac.len() > 4
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (s.contains('.') && frac.is_empty())
    {
        return None;
    }
    let int: u32 = int.parse().ok()?;
    let mut f: u32 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..4 {
        f *= 10;
    }
    let ppm = int.checked_mul(10_000)?.checked_add(f)?;
    (ppm <= 1_000_000).then_some(ppm)
}

/// `--by` must name a top-level text field, as `threshold ... for FIELD`.
fn check_by(ruleset: &Ruleset, field: &str) -> Result<(), String> {
    match ruleset.field(field) {
        Ok(h) if h.is_top_level() && h.field_type() == FieldType::Text => Ok(()),
        Ok(_) => Err(format!(
            "--by `{field}`: thresholds are grouped by a top-level text field; `{field}` is not one"
        )),
        Err(_) => Err(format!("--by `{field}`: the schema has no field `{field}`")),
    }
}

/// Where the `--by` value is read: the top-level JSON member, or the CSV
/// column the field is mapped to (or named after it).
fn by_col(opened: &Opened, map: &MapArgs, field: &str) -> Result<ByCol, String> {
    match opened.reader.csv_header_table() {
        None => Ok(ByCol::Member(field.to_string())),
        Some(table) => {
            let mapping = map.mapping()?;
            mapping
                .column_of(field)
                .and_then(|c| table.column(c))
                .or_else(|| table.column(field))
                .map(ByCol::Column)
                .ok_or_else(|| format!("the CSV header has no column for `--by {field}`"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("5%"), Some(50_000));
        assert_eq!(parse_percent("2.5%"), Some(25_000));
        assert_eq!(parse_percent("0.0125"), Some(125));
        assert_eq!(parse_percent("100%"), Some(1_000_000));
        assert_eq!(parse_percent("0%"), Some(0));
        for bad in [
            "100.0001%",
            "-1%",
            "5.%",
            ".5%",
            "1e2%",
            "",
            "%",
            "1.00001%",
            "abc",
        ] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }
}
