//! `semaforo backtest`: evaluate a history of declarations and report what
//! the rules would have selected, and, given the inspection results, how
//! well.
//!
//! The input (JSON, JSON Lines or CSV) is read into memory and cut into
//! *units* (one declaration each, or a line that could not be read). Units
//! are evaluated in fixed-size batches; each batch is split into contiguous
//! chunks, one per thread (`std::thread::scope`), each thread with its own
//! [`Evaluator`]. Per-declaration results are merged on the calling thread
//! in input order, so the report, the messages and the `--max-errors` cut
//! are the same whatever the number of threads.

use crate::Status;
use crate::cmd_eval::{Record, read_input, split_input};
use crate::common::{ContextArgs, DataArgs, MapArgs, context, error, warn};
use crate::csv_input::{CsvBinder, CsvTable, LineMsg, parse_outcome};
use crate::output::print_all;
use semaforo::{Context, Evaluator, Ruleset};
use serde::Serialize;
use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Declarations per batch. Fixed, so results never depend on the thread
/// count.
const BATCH: usize = 16_384;

/// Inputs at least this large get a progress bar (on a terminal).
const PROGRESS_MIN: usize = 50_000;

/// The percentages of top-scored declarations inspected in the report.
pub(crate) const TOP_K: [u32; 4] = [1, 2, 5, 10];

/// Report formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutFormat {
    /// A readable table.
    Human,
    /// One JSON object.
    Json,
}

/// Options of `semaforo backtest`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declarations: `.csv` (one row per item, see `--map`), `.jsonl` (one
    /// object per line), `.json` (an object or an array); `-` reads JSON
    /// Lines from stdin.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The inspection result: a CSV column (it need not be in the schema;
    /// a declaration's result is the maximum over its rows) or a top-level
    /// JSON member. `0`/`false` = nothing found; `1`/`true` or a number
    /// above zero = a finding; empty or null = not inspected.
    #[arg(long, value_name = "FIELD")]
    outcome: Option<String>,
    /// Column mapping for CSV input.
    #[command(flatten)]
    map: MapArgs,
    /// Stop after this many rejected declarations.
    #[arg(long, value_name = "N")]
    max_errors: Option<u64>,
    /// Worker threads (default: all cores). The report does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: OutFormat,
    /// Also write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Evaluation context.
    #[command(flatten)]
    ctx: ContextArgs,
}

/// The backtest report (also the `--format json` output).
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Report {
    /// Which rules decided.
    pub ruleset: RulesetInfo,
    /// The input file as given.
    pub input: String,
    /// `csv`, `jsonl` or `json`.
    pub input_format: &'static str,
    /// The evaluation date.
    pub today: String,
    /// CSV data rows in the file, blank lines excepted (CSV only).
    pub rows: Option<u64>,
    /// Of which rows that could not be read: a quote not closed on its
    /// line, a cell count other than the header's, a bad character (CSV
    /// only). Each rejects its declaration and is reported with its line.
    pub rows_rejected: Option<u64>,
    /// Declaration counts.
    pub declarations: Counts,
    /// Warnings (CSV rows disagreeing with their declaration's first row).
    pub warnings: u64,
    /// True if `--max-errors` stopped the run before the end of the input.
    pub stopped_early: bool,
    /// Lane distribution, least severe first.
    pub lanes: Vec<LaneRow>,
    /// Per-rule statistics, in ruleset order.
    pub rules: Vec<RuleRow>,
    /// Score distribution.
    pub scores: ScoreDist,
    /// Inspection-result statistics, with `--outcome`.
    pub outcome: Option<OutcomeStats>,
}

/// Ruleset identity.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct RulesetInfo {
    /// `ruleset NAME`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// SHA-256 fingerprint, hex.
    pub fingerprint: String,
    /// The engine version that evaluated ([`semaforo::ENGINE_VERSION`]):
    /// the fingerprint names the rules and data, this their meaning.
    pub engine: String,
}

/// How many declarations were read, rejected and evaluated.
#[derive(Serialize, Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// Declarations (or unreadable lines) read.
    pub read: u64,
    /// Declarations that could not be bound or evaluated.
    pub rejected: u64,
    /// Declarations evaluated.
    pub evaluated: u64,
}

/// One lane's share.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct LaneRow {
    /// The lane's name.
    pub lane: String,
    /// Declarations in the lane.
    pub count: u64,
    /// `count / evaluated`.
    pub share: f64,
    /// Declarations in the lane with a finding (with `--outcome`).
    pub hits: Option<u64>,
    /// `hits / labelled declarations in the lane`.
    pub hit_rate: Option<f64>,
}

/// A lane name and a count.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct LaneCount {
    /// The lane's name.
    pub lane: String,
    /// How many.
    pub count: u64,
}

/// One rule's statistics.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct RuleRow {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
    /// Declarations the rule fired on.
    pub fired: u64,
    /// Declarations where its condition was unknown.
    pub undetermined: u64,
    /// `fired / evaluated`.
    pub share: f64,
    /// Declarations it fired on whose final lane is the rule's own `lane`
    /// action (the rule alone sufficed for that lane).
    pub forced: u64,
    /// Final lanes of the declarations it fired on.
    pub lanes: Vec<LaneCount>,
    /// Fired declarations with a finding.
    pub hits: Option<u64>,
    /// `hits / labelled fired declarations` (precision).
    pub hit_rate: Option<f64>,
    /// `hits / all findings`.
    pub recall: Option<f64>,
    /// `hit_rate / base rate`.
    pub lift: Option<f64>,
}

/// Scores of evaluated declarations.
#[derive(Serialize, Debug, Clone, Default)]
pub(crate) struct ScoreDist {
    /// Lowest score.
    pub min: Option<i64>,
    /// Highest score.
    pub max: Option<i64>,
    /// Bins `from..=to` in ascending order (one per distinct score when
    /// there are at most 30 of them).
    pub histogram: Vec<ScoreBin>,
}

/// One histogram bin.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct ScoreBin {
    /// Lowest score in the bin.
    pub from: i64,
    /// Highest score in the bin.
    pub to: i64,
    /// Declarations in the bin.
    pub count: u64,
    /// Of which with a finding (with `--outcome`).
    pub hits: Option<u64>,
}

/// Inspection-result statistics.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct OutcomeStats {
    /// The outcome field.
    pub field: String,
    /// Evaluated declarations with a known result.
    pub labelled: u64,
    /// Of which with a finding.
    pub positives: u64,
    /// `positives / labelled`.
    pub base_rate: Option<f64>,
    /// Inspecting the top k% by score.
    pub top: Vec<TopK>,
}

/// Precision and recall when inspecting the top `k` percent by score.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct TopK {
    /// Percent of labelled declarations inspected.
    pub k_percent: u32,
    /// `ceil(labelled * k / 100)`.
    pub inspected: u64,
    /// Findings among them.
    pub hits: u64,
    /// `hits / inspected`.
    pub precision: Option<f64>,
    /// `hits / positives`.
    pub recall: Option<f64>,
    /// The lowest score inspected (the cut).
    pub min_score: Option<i64>,
}

/// Where the declarations come from.
enum Source<'a> {
    Json {
        records: Vec<Record<'a>>,
        outcome: Option<&'a str>,
    },
    Csv {
        table: &'a CsvTable,
        groups: Vec<Range<usize>>,
        binder: &'a CsvBinder,
    },
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Json { records, .. } => records.len(),
            Source::Csv { groups, .. } => groups.len(),
        }
    }
}

/// One unit's result, written by a worker.
#[derive(Clone, Copy, Debug)]
struct Res {
    lane: u16,
    score: i64,
    label: Option<bool>,
    fired_end: usize,
    undet_end: usize,
    warn_end: usize,
    /// Index into `ChunkOut::errors` if the unit was rejected.
    error: Option<usize>,
}

/// A worker's output for its chunk of a batch; reused across batches.
#[derive(Default, Debug)]
struct ChunkOut {
    res: Vec<Res>,
    fired: Vec<u32>,
    undet: Vec<u32>,
    warnings: Vec<LineMsg>,
    errors: Vec<LineMsg>,
}

impl ChunkOut {
    fn clear(&mut self) {
        self.res.clear();
        self.fired.clear();
        self.undet.clear();
        self.warnings.clear();
        self.errors.clear();
    }

    fn push_err(&mut self, e: LineMsg) {
        self.errors.push(e);
        self.res.push(Res {
            lane: 0,
            score: 0,
            label: None,
            fired_end: self.fired.len(),
            undet_end: self.undet.len(),
            warn_end: self.warnings.len(),
            error: Some(self.errors.len() - 1),
        });
    }
}

/// Evaluates units `range` of `src` into `out`.
fn work(
    src: &Source<'_>,
    range: Range<usize>,
    ev: &mut Evaluator,
    ctx: &Context,
    out: &mut ChunkOut,
) {
    out.clear();
    for i in range {
        let label = match src {
            Source::Json { records, outcome } => {
                let Some(r) = records.get(i) else { continue };
                let line = r.line as u64;
                let label = match outcome {
                    Some(name) => match json_outcome(r.bytes, name) {
                        Ok(l) => l,
                        Err(msg) => {
                            // Binding reports syntax errors better: try it first.
                            if let Err(e) = ev.eval_json(r.bytes, ctx) {
                                out.push_err(LineMsg {
                                    line,
                                    msg: e.to_string(),
                                });
                            } else {
                                out.push_err(LineMsg { line, msg });
                            }
                            continue;
                        }
                    },
                    None => None,
                };
                if let Err(e) = ev.eval_json(r.bytes, ctx) {
                    out.push_err(LineMsg {
                        line,
                        msg: e.to_string(),
                    });
                    continue;
                }
                label
            }
            Source::Csv {
                table,
                groups,
                binder,
            } => {
                let Some(g) = groups.get(i) else { continue };
                match binder.evaluate(table, g.clone(), ev, ctx, &mut out.warnings) {
                    Ok(label) => label,
                    Err(e) => {
                        out.push_err(e);
                        continue;
                    }
                }
            }
        };
        // Every path above that failed went on to the next declaration.
        let Some(o) = ev.outcome() else { continue };
        out.fired.extend(o.fired.iter().map(|f| f.rule));
        out.undet.extend_from_slice(&o.undetermined);
        out.res.push(Res {
            lane: o.lane,
            score: o.score,
            label,
            fired_end: out.fired.len(),
            undet_end: out.undet.len(),
            warn_end: out.warnings.len(),
            error: None,
        });
    }
}

/// Reads a top-level member of a JSON object as an inspection result,
/// without building the document.
fn json_outcome(bytes: &[u8], name: &str) -> Result<Option<bool>, String> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Top(name)
        .deserialize(&mut de)
        .map_err(|e| format!("outcome member `{name}`: {e}"))?;
    Ok(v)
}

struct Top<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_> {
    type Value = Option<bool>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = None;
        let mut seen = false;
        while let Some(is) = m.next_key_seed(KeyIs(self.0))? {
            if is {
                if seen {
                    return Err(serde::de::Error::custom("appears twice"));
                }
                seen = true;
                out = m.next_value::<Label>()?.0;
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct KeyIs<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeyIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

struct Label(Option<bool>);

impl<'de> serde::Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        d.deserialize_any(LabelVisitor)
    }
}

struct LabelVisitor;

impl serde::de::Visitor<'_> for LabelVisitor {
    type Value = Label;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a bool, a number, `0`/`1` as text, or null")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Label, E> {
        Ok(Label(Some(v)))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Label, E> {
        Ok(Label(Some(v > 0)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Label, E> {
        Ok(Label(Some(v > 0)))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Label, E> {
        Ok(Label(Some(v > 0.0)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Label, E> {
        parse_outcome(v.as_bytes()).map(Label).map_err(E::custom)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Label, E> {
        Ok(Label(None))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Label, E> {
        Ok(Label(None))
    }
}

/// Running totals, merged in input order.
struct Acc {
    nlanes: usize,
    counts: Counts,
    warnings: u64,
    lanes: Vec<u64>,
    lane_labelled: Vec<u64>,
    lane_hits: Vec<u64>,
    rule_fired: Vec<u64>,
    rule_undet: Vec<u64>,
    rule_forced: Vec<u64>,
    rule_labelled: Vec<u64>,
    rule_hits: Vec<u64>,
    /// `rule * nlanes + lane`.
    rule_lanes: Vec<u64>,
    /// (score, label) per evaluated declaration, in input order.
    scores: Vec<(i64, Option<bool>)>,
}

impl Acc {
    fn new(nrules: usize, nlanes: usize) -> Acc {
        Acc {
            nlanes,
            counts: Counts::default(),
            warnings: 0,
            lanes: vec![0; nlanes],
            lane_labelled: vec![0; nlanes],
            lane_hits: vec![0; nlanes],
            rule_fired: vec![0; nrules],
            rule_undet: vec![0; nrules],
            rule_forced: vec![0; nrules],
            rule_labelled: vec![0; nrules],
            rule_hits: vec![0; nrules],
            rule_lanes: vec![0; nrules * nlanes],
            scores: Vec::new(),
        }
    }
}

fn bump(v: &mut [u64], i: usize) {
    if let Some(x) = v.get_mut(i) {
        *x += 1;
    }
}

/// Merges one chunk's results; returns true when `max_errors` is reached.
fn merge(
    acc: &mut Acc,
    chunk: &ChunkOut,
    ruleset: &Ruleset,
    input: &Path,
    max_errors: Option<u64>,
    quiet: bool,
) -> bool {
    let rules: Vec<semaforo::RuleSummary<'_>> = ruleset.rules().collect();
    let (mut f0, mut u0, mut w0) = (0usize, 0usize, 0usize);
    for r in &chunk.res {
        acc.counts.read += 1;
        for w in chunk.warnings.get(w0..r.warn_end).unwrap_or_default() {
            acc.warnings += 1;
            if !quiet {
                warn(format!("{}:{}: {}", input.display(), w.line, w.msg));
            }
        }
        w0 = r.warn_end;
        if let Some(e) = r.error.and_then(|i| chunk.errors.get(i)) {
            acc.counts.rejected += 1;
            if !quiet {
                error(format!("{}:{}: {}", input.display(), e.line, e.msg));
            }
            if max_errors.is_some_and(|m| acc.counts.rejected >= m) {
                return true;
            }
            continue;
        }
        acc.counts.evaluated += 1;
        let lane = usize::from(r.lane);
        bump(&mut acc.lanes, lane);
        if let Some(l) = r.label {
            bump(&mut acc.lane_labelled, lane);
            if l {
                bump(&mut acc.lane_hits, lane);
            }
        }
        for &f in chunk.fired.get(f0..r.fired_end).unwrap_or_default() {
            let fi = f as usize;
            bump(&mut acc.rule_fired, fi);
            bump(&mut acc.rule_lanes, fi * acc.nlanes + lane);
            if rules.get(fi).and_then(|ri| ri.lane) == Some(r.lane) {
                bump(&mut acc.rule_forced, fi);
            }
            if let Some(l) = r.label {
                bump(&mut acc.rule_labelled, fi);
                if l {
                    bump(&mut acc.rule_hits, fi);
                }
            }
        }
        f0 = r.fired_end;
        for &u in chunk.undet.get(u0..r.undet_end).unwrap_or_default() {
            bump(&mut acc.rule_undet, u as usize);
        }
        u0 = r.undet_end;
        acc.scores.push((r.score, r.label));
    }
    false
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    if b == 0 {
        None
    } else {
        Some(a as f64 / b as f64)
    }
}

/// Builds the report from the totals.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename the arguments"
)]
fn build_report(
    acc: &Acc,
    ruleset: &Ruleset,
    input: &Path,
    input_format: &'static str,
    rows: Option<(u64, u64)>,
    ctx: &Context,
    outcome: Option<&str>,
    stopped_early: bool,
) -> Report {
    let lanes_names = ruleset.lanes();
    let has_outcome = outcome.is_some();
    let labelled: u64 = acc.scores.iter().filter(|s| s.1.is_some()).count() as u64;
    let positives: u64 = acc.scores.iter().filter(|s| s.1 == Some(true)).count() as u64;
    let base = ratio(positives, labelled);
    let ev = acc.counts.evaluated;
    let lanes = lanes_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let count = acc.lanes.get(i).copied().unwrap_or(0);
            let hits = acc.lane_hits.get(i).copied().unwrap_or(0);
            let lab = acc.lane_labelled.get(i).copied().unwrap_or(0);
            LaneRow {
                lane: name.to_string(),
                count,
                share: ratio(count, ev).unwrap_or(0.0),
                hits: has_outcome.then_some(hits),
                hit_rate: if has_outcome { ratio(hits, lab) } else { None },
            }
        })
        .collect();
    let rules = ruleset
        .rules()
        .enumerate()
        .map(|(i, r)| {
            let fired = acc.rule_fired.get(i).copied().unwrap_or(0);
            let hits = acc.rule_hits.get(i).copied().unwrap_or(0);
            let lab = acc.rule_labelled.get(i).copied().unwrap_or(0);
            let hit_rate = if has_outcome { ratio(hits, lab) } else { None };
            RuleRow {
                id: r.id.to_string(),
                title: r.title.to_string(),
                fired,
                undetermined: acc.rule_undet.get(i).copied().unwrap_or(0),
                share: ratio(fired, ev).unwrap_or(0.0),
                forced: acc.rule_forced.get(i).copied().unwrap_or(0),
                lanes: lanes_names
                    .iter()
                    .enumerate()
                    .filter_map(|(l, name)| {
                        let c = acc.rule_lanes.get(i * acc.nlanes + l).copied().unwrap_or(0);
                        (c > 0).then(|| LaneCount {
                            lane: name.to_string(),
                            count: c,
                        })
                    })
                    .collect(),
                hits: has_outcome.then_some(hits),
                hit_rate,
                recall: if has_outcome {
                    ratio(hits, positives)
                } else {
                    None
                },
                lift: match (hit_rate, base) {
                    (Some(h), Some(b)) if b > 0.0 => Some(h / b),
                    _ => None,
                },
            }
        })
        .collect();
    let outcome = outcome.map(|field| OutcomeStats {
        field: field.to_string(),
        labelled,
        positives,
        base_rate: base,
        top: top_k(&acc.scores, labelled, positives),
    });
    Report {
        ruleset: RulesetInfo {
            name: ruleset.name().to_string(),
            version: ruleset.version().to_string(),
            fingerprint: ruleset.fingerprint_hex().to_string(),
            engine: semaforo::ENGINE_VERSION.to_string(),
        },
        input: input.display().to_string(),
        input_format,
        today: ctx.today.to_string(),
        rows: rows.map(|r| r.0),
        rows_rejected: rows.map(|r| r.1),
        declarations: acc.counts,
        warnings: acc.warnings,
        stopped_early,
        lanes,
        rules,
        scores: score_dist(&acc.scores, has_outcome),
        outcome,
    }
}

/// Precision and recall when inspecting the top k% of labelled
/// declarations, ranked by score (highest first), ties by input order.
fn top_k(scores: &[(i64, Option<bool>)], labelled: u64, positives: u64) -> Vec<TopK> {
    let mut ranked: Vec<(i64, bool)> = scores
        .iter()
        .filter_map(|(s, l)| l.map(|l| (*s, l)))
        .collect();
    // A stable sort keeps input order among equal scores.
    ranked.sort_by_key(|x| std::cmp::Reverse(x.0));
    TOP_K
        .iter()
        .map(|&k| {
            let n = (labelled * u64::from(k)).div_ceil(100);
            let taken = ranked.get(..n as usize).unwrap_or(&ranked);
            let hits = taken.iter().filter(|x| x.1).count() as u64;
            TopK {
                k_percent: k,
                inspected: n,
                hits,
                precision: ratio(hits, n),
                recall: ratio(hits, positives),
                min_score: taken.last().map(|x| x.0),
            }
        })
        .collect()
}

fn score_dist(scores: &[(i64, Option<bool>)], has_outcome: bool) -> ScoreDist {
    let mut sorted: Vec<(i64, bool)> = scores.iter().map(|(s, l)| (*s, *l == Some(true))).collect();
    sorted.sort_unstable();
    let (Some(min), Some(max)) = (sorted.first().map(|x| x.0), sorted.last().map(|x| x.0)) else {
        return ScoreDist::default();
    };
    let mut distinct: Vec<(i64, u64, u64)> = Vec::new();
    for (s, hit) in &sorted {
        match distinct.last_mut() {
            Some(d) if d.0 == *s => {
                d.1 += 1;
                d.2 += u64::from(*hit);
            }
            _ => distinct.push((*s, 1, u64::from(*hit))),
        }
    }
    let histogram = if distinct.len() <= 30 {
        distinct
            .iter()
            .map(|&(s, c, h)| ScoreBin {
                from: s,
                to: s,
                count: c,
                hits: has_outcome.then_some(h),
            })
            .collect()
    } else {
        let span = i128::from(max) - i128::from(min) + 1;
        let width = i64::try_from((span + 19) / 20).unwrap_or(i64::MAX).max(1);
        let mut bins: Vec<ScoreBin> = Vec::new();
        for &(s, c, h) in &distinct {
            let idx = (i128::from(s) - i128::from(min)) / i128::from(width);
            let from = i64::try_from(i128::from(min) + idx * i128::from(width)).unwrap_or(s);
            match bins.last_mut() {
                Some(b) if b.from == from => {
                    b.count += c;
                    b.hits = b.hits.map(|x| x + h);
                }
                _ => bins.push(ScoreBin {
                    from,
                    to: from.saturating_add(width - 1).min(max),
                    count: c,
                    hits: has_outcome.then_some(h),
                }),
            }
        }
        bins
    };
    ScoreDist {
        min: Some(min),
        max: Some(max),
        histogram,
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// Renders the report as readable tables.
pub(crate) fn human(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let fp = r
        .ruleset
        .fingerprint
        .get(..12)
        .unwrap_or(&r.ruleset.fingerprint);
    let _ = writeln!(
        s,
        "ruleset `{}` version `{}` (fingerprint {fp}, engine {}), evaluated on {}",
        r.ruleset.name, r.ruleset.version, r.ruleset.engine, r.today
    );
    let d = r.declarations;
    let rows = match (r.rows, r.rows_rejected) {
        (Some(n), Some(bad)) => format!("{n} rows ({} read, {bad} rejected), ", n - bad),
        (Some(n), None) => format!("{n} rows, "),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "input `{}` ({}): {rows}{} declarations read, {} rejected, {} evaluated",
        r.input, r.input_format, d.read, d.rejected, d.evaluated
    );
    if r.warnings > 0 {
        let _ = writeln!(s, "{} warnings", r.warnings);
    }
    if r.stopped_early {
        let _ = writeln!(s, "stopped early: `--max-errors` reached");
    }
    let o = r.outcome.as_ref();
    if let Some(o) = o {
        let _ = writeln!(
            s,
            "outcome `{}`: {} labelled, {} with a finding, base rate {}",
            o.field,
            o.labelled,
            o.positives,
            pct(o.base_rate)
        );
    }
    s.push('\n');
    let _ = writeln!(
        s,
        "{:<12} {:>9} {:>7}{}",
        "lane",
        "count",
        "share",
        if o.is_some() { "  hit rate" } else { "" }
    );
    for l in &r.lanes {
        let _ = write!(s, "{:<12} {:>9} {:>7}", l.lane, l.count, pct(Some(l.share)));
        if o.is_some() {
            let _ = write!(s, "  {:>8}", pct(l.hit_rate));
        }
        s.push('\n');
    }
    s.push('\n');
    let idw = r.rules.iter().map(|x| x.id.len()).max().unwrap_or(4).max(4);
    let _ = write!(
        s,
        "{:<idw$} {:>8} {:>7} {:>8} {:>7}",
        "rule", "fired", "share", "undeterm", "forced"
    );
    if o.is_some() {
        let _ = write!(
            s,
            " {:>7} {:>9} {:>7} {:>5}",
            "hits", "hit rate", "recall", "lift"
        );
    }
    s.push_str("  lanes\n");
    for x in &r.rules {
        let _ = write!(
            s,
            "{:<idw$} {:>8} {:>7} {:>8} {:>7}",
            x.id,
            x.fired,
            pct(Some(x.share)),
            x.undetermined,
            x.forced
        );
        if o.is_some() {
            let lift = x
                .lift
                .map_or_else(|| "-".to_string(), |l| format!("{l:.2}"));
            let _ = write!(
                s,
                " {:>7} {:>9} {:>7} {:>5}",
                x.hits.unwrap_or(0),
                pct(x.hit_rate),
                pct(x.recall),
                lift
            );
        }
        let lanes: Vec<String> = x
            .lanes
            .iter()
            .map(|l| format!("{} {}", l.lane, l.count))
            .collect();
        let _ = writeln!(s, "  {}", lanes.join(", "));
    }
    if let Some(o) = o {
        s.push('\n');
        let _ = writeln!(
            s,
            "{:<8} {:>9} {:>7} {:>9} {:>7} {:>9}",
            "top k%", "inspected", "hits", "precision", "recall", "min score"
        );
        for t in &o.top {
            let _ = writeln!(
                s,
                "{:<8} {:>9} {:>7} {:>9} {:>7} {:>9}",
                format!("{}%", t.k_percent),
                t.inspected,
                t.hits,
                pct(t.precision),
                pct(t.recall),
                t.min_score
                    .map_or_else(|| "-".to_string(), |m| m.to_string())
            );
        }
    }
    s
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let ruleset = match crate::common::compile_rules(&args.files, &args.data) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let ctx = match context(&args.ctx) {
        Ok(c) => c,
        Err(s) => return s,
    };
    let is_csv = args
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (bytes, jsonl) = match read_input(&args.input) {
        Ok(x) => x,
        Err(e) => {
            error(e);
            return Status::Trouble;
        }
    };
    let fail = |e: String| {
        error(format!("{}: {e}", args.input.display()));
        Status::Trouble
    };
    let table;
    let binder;
    let (src, input_format, rows) = if is_csv {
        table = match CsvTable::parse(&bytes) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let mapping = match args.map.mapping() {
            Ok(m) => m,
            Err(e) => {
                error(e);
                return Status::Trouble;
            }
        };
        binder = match CsvBinder::new(&ruleset, &table, &mapping, args.outcome.as_deref()) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let groups = table.group(Some(binder.key_col()));
        let rows = (table.rows.len() as u64, table.rejected_rows() as u64);
        (
            Source::Csv {
                table: &table,
                groups,
                binder: &binder,
            },
            "csv",
            Some(rows),
        )
    } else {
        let records = match split_input(&bytes, jsonl) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        (
            Source::Json {
                records,
                outcome: args.outcome.as_deref(),
            },
            if jsonl { "jsonl" } else { "json" },
            None,
        )
    };
    let threads = args
        .threads
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let total = src.len();
    let progress = (std::io::stderr().is_terminal() && total >= PROGRESS_MIN).then(|| {
        let pb = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} declarations ({per_sec}, {eta} left)",
        ) {
            pb.set_style(style);
        }
        pb
    });
    let rules = ruleset.rules().len();
    let mut acc = Acc::new(rules, ruleset.lanes().len());
    let (stopped, _) = run_batches(
        &src,
        &ruleset,
        &ctx,
        threads,
        &mut acc,
        &args.input,
        args.max_errors,
        progress.as_ref(),
    );
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let report = build_report(
        &acc,
        &ruleset,
        &args.input,
        input_format,
        rows,
        &ctx,
        args.outcome.as_deref(),
        stopped && (acc.counts.read as usize) < total,
    );
    if let Some(path) = &args.report {
        let html = crate::report_html::render(&report);
        if let Err(e) = crate::common::replace_file(path, html.as_bytes()) {
            error(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ));
            return Status::Trouble;
        }
    }
    let text = match args.format {
        OutFormat::Human => human(&report),
        OutFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(mut j) => {
                j.push('\n');
                j
            }
            Err(e) => return fail(e.to_string()),
        },
    };
    let status = if acc.counts.rejected > 0 {
        error(format!(
            "{} of {} declarations could not be evaluated",
            acc.counts.rejected, acc.counts.read
        ));
        Status::Findings
    } else {
        Status::Ok
    };
    match print_all(&text) {
        Ok(()) => status,
        Err(s) => s.status(status),
    }
}

/// Evaluates every unit in batches; returns whether `--max-errors` stopped
/// the run, and how many units were merged.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename the arguments"
)]
fn run_batches(
    src: &Source<'_>,
    ruleset: &Ruleset,
    ctx: &Context,
    threads: usize,
    acc: &mut Acc,
    input: &Path,
    max_errors: Option<u64>,
    progress: Option<&indicatif::ProgressBar>,
) -> (bool, usize) {
    let total = src.len();
    let threads = threads.clamp(1, 256);
    let mut evs: Vec<Evaluator> = (0..threads).map(|_| ruleset.evaluator()).collect();
    let mut outs: Vec<ChunkOut> = (0..threads).map(|_| ChunkOut::default()).collect();
    let mut start = 0usize;
    while start < total {
        let end = (start + BATCH).min(total);
        let per = (end - start).div_ceil(threads);
        if threads == 1 || end - start < 256 {
            if let (Some(ev), Some(out)) = (evs.first_mut(), outs.first_mut()) {
                work(src, start..end, ev, ctx, out);
            }
            for o in outs.iter_mut().skip(1) {
                o.clear();
            }
        } else {
            std::thread::scope(|s| {
                for (i, (ev, out)) in evs.iter_mut().zip(outs.iter_mut()).enumerate() {
                    let a = (start + i * per).min(end);
                    let b = (a + per).min(end);
                    s.spawn(move || work(src, a..b, ev, ctx, out));
                }
            });
        }
        for out in &outs {
            if merge(acc, out, ruleset, input, max_errors, false) {
                return (true, acc.counts.read as usize);
            }
        }
        if let Some(pb) = progress {
            pb.set_position(end as u64);
        }
        start = end;
    }
    (false, total)
}
