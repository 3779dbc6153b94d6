//! `semaforo tables derive`: table files learnt from an inspection
//! history, for scorecards (`score lookup(points, key(hs6, origin))`) and
//! value controls.
//!
//! Two kinds of table, by composite key (the `--by` values joined with
//! `|`, as `key(a, b)` builds them in the language):
//!
//! - **points** (`--outcome`): the smoothed log-odds of a finding for the
//!   key against the base rate, in integer points (`key,value`), or with
//!   `--columns` also the counts and the smoothed rate
//!   (`key,n,hits,rate,points`);
//! - **value statistics** (`--stats COLUMN`, optionally `--per COLUMN`):
//!   `key,n,min,max,mean,median,p10,p90` of a number per key, in exact
//!   decimals.
//!
//! The formulas are stated in `docs/cli.md` so that another implementation
//! can reproduce every entry; the header comment of each file records the
//! command line and the SHA-256 of what was read.

pub(crate) mod history;

use crate::Status;
use crate::common::{MapArgs, error, warn};
use crate::csv_input::LineMsg;
use crate::input::Reader;
use crate::output::print_all;
use history::{Decl, KeyProblem, Spec};
use semaforo::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Options of `semaforo tables`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: TablesCommand,
}

#[derive(clap::Subcommand, Debug)]
enum TablesCommand {
    /// Write a points table (smoothed log-odds of a finding) or a value
    /// statistics table per composite key.
    Derive(DeriveArgs),
}

/// The default m-estimate weight `M` of the base rate.
pub(crate) const DEFAULT_SMOOTHING: f64 = 20.0;
/// The default points per unit of log-odds `S`.
pub(crate) const DEFAULT_POINTS: f64 = 100.0;
/// The default least number of inspected declarations of a points key.
pub(crate) const DEFAULT_MIN_COUNT: u64 = 1;
/// The default least number of values of a statistics key.
pub(crate) const DEFAULT_MIN_VALUES: u64 = 5;
/// Points are clamped to this, as the language clamps a score (SPEC §3.9).
const MAX_POINTS: f64 = 1_000_000.0;
/// Examples printed per kind of problem before only counting.
const EXAMPLES: usize = 10;

/// Options of `semaforo tables derive`.
#[derive(clap::Args, Debug)]
pub(crate) struct DeriveArgs {
    /// The inspection history: `.csv`, `.jsonl` or `.json` (`-`: JSON
    /// Lines on stdin), read as a stream.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    #[command(flatten)]
    format_arg: crate::input::FormatArg,
    /// A key column (repeat for a composite key, parts joined with `|` in
    /// the order given): a CSV column name or a field path mapped to one;
    /// JSON: a top-level member or `LIST.FIELD`.
    #[arg(long, value_name = "COLUMN", required = true)]
    by: Vec<String>,
    /// Points table: the inspection result (`0`/`false` nothing found,
    /// `1`/`true` or above zero a finding, empty or null not inspected).
    #[arg(long, value_name = "FIELD", required_unless_present = "stats")]
    outcome: Option<String>,
    /// Value statistics table of this numeric column instead of points.
    #[arg(long, value_name = "COLUMN", conflicts_with_all = ["outcome", "columns"])]
    stats: Option<String>,
    /// With `--stats`: divide the value by this column (e.g. price per kg);
    /// a row where it is empty or zero has no value.
    #[arg(long, value_name = "COLUMN", requires = "stats")]
    per: Option<String>,
    /// With `--stats`: only declarations inspected with nothing found in
    /// this result column (reference values without the ones found
    /// wrong).
    #[arg(long, value_name = "FIELD", requires = "stats")]
    clean: Option<String>,
    /// CSV: consecutive rows with the same value in this column are one
    /// declaration (default: one row, one declaration).
    #[arg(long, value_name = "COLUMN")]
    key: Option<String>,
    /// The m-estimate weight M of the base rate in the smoothed rate
    /// (r = (h + M·p) / (n + M)); above zero.
    #[arg(long, value_name = "M", default_value_t = DEFAULT_SMOOTHING, conflicts_with = "stats")]
    smoothing: f64,
    /// Points per unit of log-odds S.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_POINTS, conflicts_with = "stats")]
    points: f64,
    /// Leave out keys seen fewer times: inspected declarations (default 1:
    /// smoothing already pulls small counts towards 0 points); with
    /// `--stats`, values (default 5).
    #[arg(long, value_name = "N")]
    min_count: Option<u64>,
    /// Points table with the columns `key,n,hits,rate,points`.
    #[arg(long)]
    columns: bool,
    /// Leave out the header comment lines, for a table reader that does
    /// not skip `#` lines (the provenance is then lost).
    #[arg(long)]
    no_comments: bool,
    /// Column mapping, to name columns by field path.
    #[command(flatten)]
    map: MapArgs,
    /// Write the table here (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    match args.command {
        TablesCommand::Derive(a) => match derive(&a) {
            Ok(s) | Err(s) => s,
        },
    }
}

/// One kind of problem: how many, and the first few with their lines.
#[derive(Default)]
pub(crate) struct Problems {
    count: u64,
    first: Vec<LineMsg>,
}

impl Problems {
    /// Records one problem.
    pub(crate) fn add(&mut self, line: u64, msg: impl Into<String>) {
        self.count += 1;
        if self.first.len() < EXAMPLES {
            self.first.push(LineMsg {
                line,
                msg: msg.into(),
            });
        }
    }

    /// How many were recorded.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Prints the examples and, when there were more, how many, as errors
    /// or warnings; `what` says what happened to the rows.
    pub(crate) fn print(&self, input: &Path, is_error: bool, what: &str) {
        if self.count == 0 {
            return;
        }
        let say = |m: String| if is_error { error(m) } else { warn(m) };
        for e in &self.first {
            say(format!("{}:{}: {}; {what}", input.display(), e.line, e.msg));
        }
        let more = self.count - self.first.len() as u64;
        if more > 0 {
            say(format!(
                "{}: {more} more like the above ({} in all); {what}",
                input.display(),
                self.count
            ));
        }
    }
}

/// Everything that was read, and every row left out, by reason.
#[derive(Default)]
struct Tally {
    declarations: u64,
    /// Statistics with `--clean`: declarations left out because they were
    /// not inspected or had a finding.
    not_clean: u64,
    labelled: u64,
    positives: u64,
    /// Points: (inspected declarations, with a finding) per key.
    counts: BTreeMap<String, (u64, u64)>,
    /// Statistics: the values per key.
    values: BTreeMap<String, Vec<Decimal>>,
    rejected: Problems,
    missing: Problems,
    pipe: Problems,
    not_entry: Problems,
    no_value: Problems,
    bad_value: Problems,
}

impl Tally {
    /// The key of an item, or `None` after recording why it has none.
    fn key(&mut self, line: u64, key: Result<Option<String>, KeyProblem>) -> Option<String> {
        match key {
            Ok(Some(k)) => return Some(k),
            Ok(None) => self.missing.add(line, "the key column is empty"),
            Err(KeyProblem::Missing(by)) => self.missing.add(line, format!("`{by}` is empty")),
            Err(KeyProblem::Pipe { by, value }) => self.pipe.add(
                line,
                format!(
                    "`{by}` is {}, which holds `|`: the composite key would be ambiguous",
                    serde_json::Value::from(value)
                ),
            ),
            Err(KeyProblem::NotEntry(why)) => self.not_entry.add(line, why),
        }
        None
    }

    fn points(&mut self, d: Decl) {
        self.declarations += 1;
        let mut keys = BTreeSet::new();
        for it in d.items {
            if let Some(k) = self.key(it.line, it.key) {
                keys.insert(k);
            }
        }
        let Some(hit) = d.label else {
            return;
        };
        self.labelled += 1;
        self.positives += u64::from(hit);
        for k in keys {
            let e = self.counts.entry(k).or_insert((0, 0));
            e.0 += 1;
            e.1 += u64::from(hit);
        }
    }

    fn stats(&mut self, d: Decl, column: &str, clean_only: bool) {
        self.declarations += 1;
        if clean_only && d.label != Some(false) {
            self.not_clean += 1;
            return;
        }
        for it in d.items {
            let Some(k) = self.key(it.line, it.key) else {
                continue;
            };
            match it.value {
                Some(Ok(Some(v))) => self.values.entry(k).or_default().push(v),
                Some(Ok(None)) | None => self.no_value.add(
                    it.line,
                    format!("no value of {column} (an empty cell, or a zero divisor)"),
                ),
                Some(Err(e)) => self.bad_value.add(it.line, e),
            }
        }
    }
}

/// Quotes an argument for the header comment as a POSIX shell would need.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The SHA-256 of some bytes, in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A CSV cell: quoted when it holds `,` or `"`, or surrounding spaces.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The log-odds `ln(x / (1 − x))`.
fn logit(x: f64) -> f64 {
    (x / (1.0 - x)).ln()
}

/// The points of a key: `round_half_even(S × (logit(r) − logit(p)))`
/// with `r = (h + M·p) / (n + M)`, clamped to ±1,000,000, and `r`.
pub(crate) fn points(n: u64, h: u64, p: f64, m: f64, s: f64) -> (i64, f64) {
    let r = (h as f64 + m * p) / (n as f64 + m);
    let x = (s * (logit(r) - logit(p)))
        .round_ties_even()
        .clamp(-MAX_POINTS, MAX_POINTS);
    // In range: clamped to ±10^6 above.
    #[expect(clippy::cast_possible_truncation, reason = "clamped to ±10^6 above")]
    (x as i64, r)
}

/// The value statistics of one key: `n,min,max,mean,median,p10,p90`
/// (`values` sorted). The mean is empty if the sum overflows.
fn stats_row(values: &[Decimal]) -> Option<String> {
    let n = values.len();
    let (first, last) = (values.first()?, values.last()?);
    let at = |rank: usize| values.get(rank.saturating_sub(1)).copied();
    let two = Decimal::from_i64(2);
    let mean = values
        .iter()
        .try_fold(Decimal::ZERO, |s, v| s.checked_add(*v))
        .and_then(|s| s.checked_div(Decimal::from_i64(i64::try_from(n).ok()?)));
    let median = if n % 2 == 1 {
        at(n / 2 + 1)
    } else {
        at(n / 2)
            .zip(at(n / 2 + 1))
            .and_then(|(a, b)| a.checked_add(b))
            .and_then(|s| s.checked_div(two))
    };
    // Nearest rank: the ceil(q·n)-th smallest value.
    let p10 = at(n.div_ceil(10));
    let p90 = at((9 * n).div_ceil(10));
    let cell = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    Some(format!(
        "{n},{first},{last},{},{},{},{}",
        cell(mean),
        cell(median),
        cell(p10),
        cell(p90)
    ))
}

fn derive(a: &DeriveArgs) -> Result<Status, Status> {
    let usage = |m: String| {
        error(m);
        Status::Trouble
    };
    if a.stats.is_none() {
        if !(a.smoothing.is_finite() && a.smoothing > 0.0) {
            return Err(usage(format!(
                "`--smoothing {}`: expected a number above zero",
                a.smoothing
            )));
        }
        if !a.points.is_finite() {
            return Err(usage(format!("`--points {}`: expected a number", a.points)));
        }
    }
    let (mut reader, digest) =
        Reader::open_digested(&a.input, a.format_arg.of(&a.input)).map_err(usage)?;
    let spec = Spec {
        by: &a.by,
        outcome: a.outcome.as_deref().or(a.clean.as_deref()),
        key: a.key.as_deref(),
        value: a.stats.as_deref(),
        per: a.per.as_deref(),
        map: &a.map,
    };
    // What the statistics are of, for messages and the header.
    let of = match (&a.stats, &a.per) {
        (Some(v), Some(per)) => format!("`{v}` / `{per}`"),
        (Some(v), None) => format!("`{v}`"),
        _ => String::new(),
    };
    let mut t = Tally::default();
    let rows = history::read(&a.input, &mut reader, &spec, &mut |d| match d {
        Err(e) => {
            t.declarations += 1;
            t.rejected.add(e.line, e.msg);
        }
        Ok(d) => match &a.stats {
            Some(_) => t.stats(d, &of, a.clean.is_some()),
            None => t.points(d),
        },
    })
    .map_err(usage)?;

    let mut out = String::new();
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|s| shell_word(&s.to_string_lossy()))
        .collect();
    let _ = writeln!(out, "# semaforo {}", args.join(" "));
    let _ = writeln!(
        out,
        "# input: {} sha256:{}",
        a.input.display(),
        digest.hex()
    );
    if let Some(m) = &a.map.map_file {
        let text = std::fs::read(m).unwrap_or_default();
        let _ = writeln!(
            out,
            "# map-file: {} sha256:{}",
            m.display(),
            sha256_hex(&text)
        );
    }
    let _ = writeln!(out, "# key: {}", a.by.join(" | "));
    let body = match &a.stats {
        None => points_body(a, &t, &mut out)?,
        Some(_) => stats_body(a, &of, &t, &mut out),
    };
    if let Some((n, bad)) = rows {
        let _ = writeln!(
            out,
            "# rows: {n} data rows, {} read, {bad} rejected",
            n - bad
        );
    }
    let left_out = [
        (&t.rejected, "declarations that could not be read"),
        (&t.missing, "rows with an empty key column"),
        (&t.pipe, "rows with `|` in a key part"),
        (&t.not_entry, "rows whose key cannot be a table key"),
        (&t.no_value, "rows without a value"),
        (&t.bad_value, "rows whose value is not a number"),
    ];
    for (p, what) in left_out {
        if p.count() > 0 {
            let _ = writeln!(out, "# left out: {} {what}", p.count());
        }
    }
    if a.no_comments {
        out.clear();
    }
    out.push_str(&body);

    t.rejected
        .print(&a.input, true, "the declaration is left out");
    t.pipe.print(&a.input, true, "the row is left out");
    t.bad_value.print(&a.input, true, "the row is left out");
    t.missing.print(&a.input, false, "the row has no key");
    t.not_entry.print(&a.input, false, "the row is left out");
    t.no_value.print(&a.input, false, "the row is left out");
    let status = if t.rejected.count() + t.pipe.count() + t.bad_value.count() > 0 {
        Status::Findings
    } else {
        Status::Ok
    };
    match &a.output {
        Some(p) => crate::common::replace_file(p, out.as_bytes()).map_err(|e| {
            usage(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                p.display()
            ))
        })?,
        None => print_all(&out).map_err(|s| s.status(status))?,
    }
    Ok(status)
}

/// Writes the points header lines to `out` and returns the body (header
/// row and entries).
fn points_body(a: &DeriveArgs, t: &Tally, out: &mut String) -> Result<String, Status> {
    if t.positives == 0 || t.positives == t.labelled {
        error(format!(
            "{}: {} of {} inspected declarations had a finding; points need both outcomes",
            a.input.display(),
            t.positives,
            t.labelled
        ));
        return Err(Status::Trouble);
    }
    let p = t.positives as f64 / t.labelled as f64;
    let min_count = a.min_count.unwrap_or(DEFAULT_MIN_COUNT);
    let (m, s) = (a.smoothing, a.points);
    let mut body = String::from(if a.columns {
        "key,n,hits,rate,points\n"
    } else {
        "key,value\n"
    });
    let mut written = 0u64;
    for (k, &(n, h)) in &t.counts {
        if n < min_count {
            continue;
        }
        written += 1;
        let (pts, r) = points(n, h, p, m, s);
        if a.columns {
            let _ = writeln!(body, "{},{n},{h},{r:.6},{pts}", csv_cell(k));
        } else {
            let _ = writeln!(body, "{},{pts}", csv_cell(k));
        }
    }
    let _ = writeln!(
        out,
        "# points = round_half_even({s} * (logit(r) - logit(p))), r = (h + {m} * p) / (n + {m}), p = {} / {}",
        t.positives, t.labelled
    );
    let _ = writeln!(
        out,
        "# counts: {} declarations, {} with a result, {} with a finding; {} keys, {written} with at least {} inspected declarations",
        t.declarations,
        t.labelled,
        t.positives,
        t.counts.len(),
        min_count
    );
    Ok(body)
}

/// Writes the statistics header lines to `out` and returns the body.
fn stats_body(a: &DeriveArgs, of: &str, t: &Tally, out: &mut String) -> String {
    let mut body = String::from("key,n,min,max,mean,median,p10,p90\n");
    let mut written = 0u64;
    let mut values = 0u64;
    let min_count = a.min_count.unwrap_or(DEFAULT_MIN_VALUES);
    for (k, v) in &t.values {
        values += v.len() as u64;
        if (v.len() as u64) < min_count {
            continue;
        }
        let mut v = v.clone();
        v.sort_unstable();
        if let Some(row) = stats_row(&v) {
            written += 1;
            let _ = writeln!(body, "{},{row}", csv_cell(k));
        }
    }
    let _ = writeln!(
        out,
        "# statistics of {of}: mean and median rounded half to even to 6 decimals, p10/p90 nearest rank"
    );
    if let Some(c) = &a.clean {
        let _ = writeln!(
            out,
            "# clean: only declarations inspected with nothing found in `{c}`; {} others left out",
            t.not_clean
        );
    }
    let _ = writeln!(
        out,
        "# counts: {} declarations, {values} values; {} keys, {written} with at least {} values",
        t.declarations,
        t.values.len(),
        min_count
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap().value
    }

    #[test]
    fn nearest_rank_percentiles_and_the_median() {
        let v: Vec<Decimal> = (1..=10).map(|i| Decimal::from_i64(i * 10)).collect();
        assert_eq!(stats_row(&v).unwrap(), "10,10,100,55,55,10,90");
        let v = [d("1"), d("2"), d("4")];
        assert_eq!(stats_row(&v).unwrap(), "3,1,4,2.333333,2,1,4");
        let v = [d("0.000001"), d("0.000002")];
        // Mean and median 0.0000015, half to even: 0.000002.
        assert_eq!(
            stats_row(&v).unwrap(),
            "2,0.000001,0.000002,0.000002,0.000002,0.000001,0.000002"
        );
        assert_eq!(stats_row(&[]), None);
    }

    #[test]
    fn points_are_the_rounded_log_odds_ratio() {
        // A key at the base rate scores nothing, whatever its size.
        assert_eq!(points(40, 10, 0.25, 20.0, 100.0).0, 0);
        // r = (10 + 20·0.25) / (10 + 20) = 0.5: 100·(0 − ln(1/3)) = 109.86.
        assert_eq!(points(10, 10, 0.25, 20.0, 100.0), (110, 0.5));
        assert_eq!(points(10, 0, 0.5, 1e-12, 1e9).0, -1_000_000);
    }

    #[test]
    fn shell_words_and_csv_cells() {
        assert_eq!(shell_word("--by"), "--by");
        assert_eq!(shell_word("HS6 Code"), "'HS6 Code'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_cell("6403|CN"), "6403|CN");
    }
}
