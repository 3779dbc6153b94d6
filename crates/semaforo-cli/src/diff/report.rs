//! The diff report (also the `--format json` output), built from the
//! totals, and its text form; the HTML form is in `html`.

use super::gate::{GateResult, lane_totals, moved};
use super::tally::{Counts, GroupTally, Lanes, RuleKey, Tally};
use serde::Serialize;
use std::fmt::Write as _;

/// The diff report. Its JSON shape is documented in `docs/cli.md`.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Report {
    /// The live ruleset.
    pub old: RulesetInfo,
    /// The candidate.
    pub new: RulesetInfo,
    /// The input file as given.
    pub input: String,
    /// `csv`, `jsonl` or `json`.
    pub input_format: &'static str,
    /// The evaluation date.
    pub today: String,
    /// CSV data rows (CSV only).
    pub rows: Option<u64>,
    /// Of which rows that could not be read (CSV only).
    pub rows_rejected: Option<u64>,
    /// Declaration counts.
    pub declarations: Counts,
    /// Warnings printed on stderr.
    pub warnings: u64,
    /// Compared declarations whose lane (by name) changed.
    pub moved: u64,
    /// `moved / compared`.
    pub moved_share: Option<f64>,
    /// Lane load, old lanes first, then lanes only the new ruleset has.
    pub lanes: Vec<LaneLoad>,
    /// Declarations per (old lane, new lane).
    pub transitions: Transitions,
    /// Rules of both rulesets, matched by id.
    pub rules: Vec<RuleDiff>,
    /// One per `--by`.
    pub breakdowns: Vec<BreakdownReport>,
    /// Precision and recall, with `--outcome`.
    pub outcome: Option<OutcomeDiff>,
    /// Every `--fail-if`, in the order given.
    pub gates: Vec<GateResult>,
}

/// Ruleset identity.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct RulesetInfo {
    /// The rule files, as given.
    pub files: Vec<String>,
    /// `ruleset NAME`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// SHA-256 fingerprint over the rules and external data, hex.
    pub fingerprint: String,
    /// The engine version.
    pub engine: String,
}

impl RulesetInfo {
    /// The identity of `r`, compiled from `files`.
    pub(super) fn of(r: &semaforo::Ruleset, files: &[std::path::PathBuf]) -> RulesetInfo {
        RulesetInfo {
            files: files.iter().map(|f| f.display().to_string()).collect(),
            name: r.name().to_string(),
            version: r.version().to_string(),
            fingerprint: r.fingerprint_hex().to_string(),
            engine: semaforo::ENGINE_VERSION.to_string(),
        }
    }
}

/// A lane's load under both rulesets.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct LaneLoad {
    /// The lane's name.
    pub lane: String,
    /// Whether the old ruleset has this lane.
    pub in_old: bool,
    /// Whether the new ruleset has it.
    pub in_new: bool,
    /// Declarations there under the old ruleset.
    pub old: u64,
    /// Under the new ruleset.
    pub new: u64,
    /// `old / compared`.
    pub old_share: Option<f64>,
    /// `new / compared`.
    pub new_share: Option<f64>,
    /// `(new_share - old_share) * 100`.
    pub change_pp: Option<f64>,
}

/// The lane transition matrix.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Transitions {
    /// Rows: the old ruleset's lanes, least severe first.
    pub old_lanes: Vec<String>,
    /// Columns: the new ruleset's lanes.
    pub new_lanes: Vec<String>,
    /// `counts[i][j]`: declarations in old lane `i` and new lane `j`.
    pub counts: Vec<Vec<u64>>,
}

/// One rule's counts under both rulesets.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct RuleDiff {
    /// The rule's id.
    pub id: String,
    /// Its title (the new one when both have it).
    pub title: String,
    /// `kept` (in both), `added` (new only) or `removed` (old only).
    pub status: &'static str,
    /// Declarations it fired on under the old ruleset (`None` if absent).
    pub old_fired: Option<u64>,
    /// Under the new ruleset.
    pub new_fired: Option<u64>,
    /// Declarations where its condition was unknown, old.
    pub old_undetermined: Option<u64>,
    /// The same, new.
    pub new_undetermined: Option<u64>,
    /// Whether it is a shadow rule (`monitor`) in the old ruleset.
    pub old_monitor: Option<bool>,
    /// In the new ruleset.
    pub new_monitor: Option<bool>,
    /// Declarations it would have fired on as a shadow rule, old (0 for
    /// a rule that is not one: it is then counted in `old_fired`).
    pub old_monitored: Option<u64>,
    /// The same, new.
    pub new_monitored: Option<u64>,
    /// Declarations where a national `override` of the rule applied and
    /// the rule fired as its package defines it, as overridden, or both
    /// (`overridden` entries), old; present only when the old ruleset
    /// overrides the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_overridden: Option<u64>,
    /// The same, new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_overridden: Option<u64>,
}

impl RuleDiff {
    /// `shadow`, `live`, or `shadow -> live` when it changed.
    pub(crate) fn kind(&self) -> String {
        let name = |m: bool| if m { "shadow" } else { "live" };
        match (self.old_monitor, self.new_monitor) {
            (Some(a), Some(b)) if a != b => format!("{} -> {}", name(a), name(b)),
            (Some(m), _) | (None, Some(m)) => name(m).to_string(),
            (None, None) => String::new(),
        }
    }
}

/// One `--by` breakdown.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct BreakdownReport {
    /// The option as given.
    pub by: String,
    /// The group columns (with `:bucket` when bucketed).
    pub columns: Vec<String>,
    /// Declarations put in `(other)` because `--max-groups` was reached.
    pub overflow: u64,
    /// The groups, sorted by their labels.
    pub groups: Vec<GroupReport>,
}

/// One group's load.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct GroupReport {
    /// Its label per column.
    pub key: Vec<String>,
    /// Declarations compared in the group.
    pub count: u64,
    /// Of which changed lane.
    pub moved: u64,
    /// Every lane of either ruleset, in the order of `lanes`.
    pub lanes: Vec<LaneLoad>,
}

/// Precision and recall per lane.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct OutcomeDiff {
    /// The outcome field.
    pub field: String,
    /// Compared declarations with a known result.
    pub labelled: u64,
    /// Of which with a finding.
    pub positives: u64,
    /// One per lane of either ruleset.
    pub lanes: Vec<LaneSelection>,
}

/// Selecting one lane or more severe, under both rulesets.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct LaneSelection {
    /// The lane.
    pub lane: String,
    /// Under the old ruleset (`None` if it has no such lane).
    pub old: Option<Selected>,
    /// Under the new ruleset.
    pub new: Option<Selected>,
}

/// One side's selection at a lane.
#[derive(Serialize, Debug, Clone, Copy)]
pub(crate) struct Selected {
    /// Labelled declarations at the lane or a more severe one.
    pub selected: u64,
    /// Of which with a finding.
    pub hits: u64,
    /// `hits / selected`.
    pub precision: Option<f64>,
    /// `hits / positives`.
    pub recall: Option<f64>,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Lane loads from per-lane counts (indexed as `lanes.names`).
fn loads(lanes: &Lanes, old: &[u64], new: &[u64], total: u64) -> Vec<LaneLoad> {
    lanes
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (o, n) = (
                old.get(i).copied().unwrap_or(0),
                new.get(i).copied().unwrap_or(0),
            );
            let (os, ns) = (ratio(o, total), ratio(n, total));
            LaneLoad {
                lane: name.clone(),
                in_old: lanes.in_old(name).is_some(),
                in_new: lanes.in_new(name).is_some(),
                old: o,
                new: n,
                old_share: os,
                new_share: ns,
                change_pp: os.zip(ns).map(|(a, b)| (b - a) * 100.0),
            }
        })
        .collect()
}

/// Everything the report needs besides the totals.
pub(super) struct Meta {
    pub old: RulesetInfo,
    pub new: RulesetInfo,
    pub input: String,
    pub input_format: &'static str,
    pub today: String,
    pub rows: Option<(u64, u64)>,
    pub outcome: Option<String>,
}

/// Builds the report.
pub(super) fn build(
    meta: Meta,
    t: &Tally,
    lanes: &Lanes,
    rules: &[RuleKey],
    gates: Vec<GateResult>,
) -> Report {
    let total = t.counts.compared;
    let (old_lanes, new_lanes) = lane_totals(t, lanes);
    let moved = moved(t, lanes);
    let nn = lanes.new.len();
    let counts = (0..lanes.old.len())
        .map(|o| {
            t.transitions
                .get(o * nn..(o + 1) * nn)
                .unwrap_or_default()
                .to_vec()
        })
        .collect();
    Report {
        old: meta.old,
        new: meta.new,
        input: meta.input,
        input_format: meta.input_format,
        today: meta.today,
        rows: meta.rows.map(|r| r.0),
        rows_rejected: meta.rows.map(|r| r.1),
        declarations: t.counts,
        warnings: t.warnings,
        moved,
        moved_share: ratio(moved, total),
        lanes: loads(lanes, &old_lanes, &new_lanes, total),
        transitions: Transitions {
            old_lanes: lanes.old.clone(),
            new_lanes: lanes.new.clone(),
            counts,
        },
        rules: rule_diffs(t, rules),
        breakdowns: t
            .breakdowns
            .iter()
            .map(|b| BreakdownReport {
                by: b.spec.text.clone(),
                columns: b
                    .spec
                    .parts
                    .iter()
                    .map(|p| match p.bucket {
                        None => p.column.clone(),
                        Some(k) => format!("{}:{}", p.column, k.name()),
                    })
                    .collect(),
                overflow: b.overflow,
                groups: sorted_groups(b, lanes),
            })
            .collect(),
        outcome: meta.outcome.map(|field| outcome_diff(field, t, lanes)),
        gates,
    }
}

/// The groups of `b` in natural order: labels that are both whole
/// numbers compare as numbers (office `9` before `10`), others as text
/// (ISO dates and buckets sort by time).
fn sorted_groups(b: &super::tally::Breakdown, lanes: &Lanes) -> Vec<GroupReport> {
    let mut groups: Vec<GroupReport> = b
        .groups
        .iter()
        .map(|(k, g)| group_report(k, g, lanes))
        .collect();
    groups.sort_by(|x, y| {
        x.key
            .iter()
            .zip(&y.key)
            .map(|(a, b)| match (a.parse::<i64>(), b.parse::<i64>()) {
                (Ok(a), Ok(b)) => a.cmp(&b),
                _ => a.cmp(b),
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    groups
}

fn group_report(key: &[String], g: &GroupTally, lanes: &Lanes) -> GroupReport {
    GroupReport {
        key: key.to_vec(),
        count: g.total,
        moved: g.moved,
        lanes: loads(lanes, &g.old, &g.new, g.total),
    }
}

fn rule_diffs(t: &Tally, rules: &[RuleKey]) -> Vec<RuleDiff> {
    let get = |v: &[u64], i: Option<usize>| i.map(|i| v.get(i).copied().unwrap_or(0));
    rules
        .iter()
        .map(|k| RuleDiff {
            id: k.id.clone(),
            title: k.title.clone(),
            status: match (k.old, k.new) {
                (Some(_), Some(_)) => "kept",
                (None, _) => "added",
                (_, None) => "removed",
            },
            old_fired: get(&t.old_rules.fired, k.old),
            new_fired: get(&t.new_rules.fired, k.new),
            old_undetermined: get(&t.old_rules.undetermined, k.old),
            new_undetermined: get(&t.new_rules.undetermined, k.new),
            old_monitor: k.old.map(|_| k.old_monitor),
            new_monitor: k.new.map(|_| k.new_monitor),
            old_monitored: get(&t.old_rules.monitored, k.old),
            new_monitored: get(&t.new_rules.monitored, k.new),
            old_overridden: get(&t.old_rules.overridden, k.old.filter(|_| k.old_overridden)),
            new_overridden: get(&t.new_rules.overridden, k.new.filter(|_| k.new_overridden)),
        })
        .collect()
}

fn outcome_diff(field: String, t: &Tally, lanes: &Lanes) -> OutcomeDiff {
    let side = |sel: &super::tally::Selection, i: Option<usize>| {
        i.map(|i| {
            let selected = sel.selected.get(i).copied().unwrap_or(0);
            let hits = sel.hits.get(i).copied().unwrap_or(0);
            Selected {
                selected,
                hits,
                precision: ratio(hits, selected),
                recall: ratio(hits, t.positives),
            }
        })
    };
    OutcomeDiff {
        field,
        labelled: t.labelled,
        positives: t.positives,
        lanes: lanes
            .names
            .iter()
            .map(|l| LaneSelection {
                lane: l.clone(),
                old: side(&t.old_sel, lanes.in_old(l)),
                new: side(&t.new_sel, lanes.in_new(l)),
            })
            .collect(),
    }
}

/// A share as `12.3%`, `-` when undefined.
pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// A change in percentage points as `+1.25pp`.
pub(super) fn pp(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:+.2}pp"))
}

/// A count, `-` when the ruleset does not have the lane or rule.
fn count(x: Option<u64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// A signed change of two optional counts.
pub(super) fn delta(old: Option<u64>, new: Option<u64>) -> String {
    let d = i128::from(new.unwrap_or(0)) - i128::from(old.unwrap_or(0));
    format!("{d:+}")
}

/// A ruleset's one-line identity.
fn ident(r: &RulesetInfo) -> String {
    let fp = r.fingerprint.get(..12).unwrap_or(&r.fingerprint);
    format!(
        "`{}` version `{}` (fingerprint {fp}, engine {})",
        r.name, r.version, r.engine
    )
}

/// Renders the report as readable tables.
pub(crate) fn text(r: &Report) -> String {
    let mut s = String::new();
    header(&mut s, r);
    lanes(&mut s, r);
    transitions(&mut s, r);
    rules(&mut s, r);
    for b in &r.breakdowns {
        breakdown(&mut s, b);
    }
    if let Some(o) = &r.outcome {
        outcome(&mut s, o);
    }
    if !r.gates.is_empty() {
        s.push('\n');
        for g in &r.gates {
            let _ = writeln!(
                s,
                "gate `{}`: {}",
                g.gate,
                if g.failed { "FAILED" } else { "passed" }
            );
            for f in &g.failures {
                let _ = writeln!(s, "  {}", f.message);
            }
        }
    }
    s
}

fn header(s: &mut String, r: &Report) {
    let _ = writeln!(s, "old: ruleset {}", ident(&r.old));
    let _ = writeln!(s, "new: ruleset {}", ident(&r.new));
    let d = r.declarations;
    let rows = match (r.rows, r.rows_rejected) {
        (Some(n), Some(bad)) => format!("{n} rows ({} read, {bad} rejected), ", n - bad),
        _ => String::new(),
    };
    let _ = writeln!(
        s,
        "input `{}` ({}), evaluated on {}: {rows}{} declarations read, {} rejected ({} by old, {} by new), {} compared",
        r.input,
        r.input_format,
        r.today,
        d.read,
        d.rejected,
        d.rejected_old,
        d.rejected_new,
        d.compared
    );
    if r.warnings > 0 {
        let _ = writeln!(s, "{} warnings", r.warnings);
    }
    let _ = writeln!(
        s,
        "moved: {} declarations changed lane ({})",
        r.moved,
        pct(r.moved_share)
    );
}

fn lanes(s: &mut String, r: &Report) {
    let w = lane_width(r);
    let _ = writeln!(
        s,
        "\n{:<w$} {:>9} {:>7} {:>9} {:>7} {:>9}",
        "lane", "old", "share", "new", "share", "change"
    );
    for l in &r.lanes {
        let _ = writeln!(
            s,
            "{:<w$} {:>9} {:>7} {:>9} {:>7} {:>9}",
            lane_label(l),
            l.old,
            pct(l.old_share),
            l.new,
            pct(l.new_share),
            pp(l.change_pp)
        );
    }
}

/// A lane's name, marked when only one ruleset has it.
fn lane_label(l: &LaneLoad) -> String {
    match (l.in_old, l.in_new) {
        (true, false) => format!("{} (old only)", l.lane),
        (false, true) => format!("{} (new only)", l.lane),
        _ => l.lane.clone(),
    }
}

fn lane_width(r: &Report) -> usize {
    r.lanes
        .iter()
        .map(|l| lane_label(l).chars().count())
        .max()
        .unwrap_or(4)
        .max(8)
}

fn transitions(s: &mut String, r: &Report) {
    let t = &r.transitions;
    let w = t
        .old_lanes
        .iter()
        .chain(&t.new_lanes)
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4)
        .max(9);
    let _ = write!(s, "\n{:<w$}", "old \\ new");
    for n in &t.new_lanes {
        let _ = write!(s, " {n:>w$}");
    }
    s.push('\n');
    for (o, row) in t.old_lanes.iter().zip(&t.counts) {
        let _ = write!(s, "{o:<w$}");
        for c in row {
            let _ = write!(s, " {c:>w$}");
        }
        s.push('\n');
    }
}

fn rules(s: &mut String, r: &Report) {
    let idw = r.rules.iter().map(|x| x.id.len()).max().unwrap_or(4).max(4);
    // Shadow rules (`monitor`) fire on nothing; what they would have fired
    // on is shown in columns of its own, when either ruleset has one.
    let shadow = r
        .rules
        .iter()
        .any(|x| x.old_monitor == Some(true) || x.new_monitor == Some(true));
    // National overrides: how many declarations each touched, when either
    // ruleset has one.
    let overridden = r
        .rules
        .iter()
        .any(|x| x.old_overridden.is_some() || x.new_overridden.is_some());
    let kindw = r
        .rules
        .iter()
        .map(|x| x.kind().len())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = write!(
        s,
        "\n{:<idw$} {:<8} {:>9} {:>9} {:>8} {:>9} {:>9}",
        "rule", "status", "old fired", "new fired", "change", "old undet", "new undet"
    );
    if overridden {
        let _ = write!(s, " {:>10} {:>10}", "old overr.", "new overr.");
    }
    if shadow {
        let _ = write!(
            s,
            " {:>10} {:>10} {:>8}  kind",
            "old shadow", "new shadow", "change"
        );
    }
    s.push('\n');
    for x in &r.rules {
        let _ = write!(
            s,
            "{:<idw$} {:<8} {:>9} {:>9} {:>8} {:>9} {:>9}",
            x.id,
            x.status,
            count(x.old_fired),
            count(x.new_fired),
            delta(x.old_fired, x.new_fired),
            count(x.old_undetermined),
            count(x.new_undetermined)
        );
        if overridden {
            let _ = write!(
                s,
                " {:>10} {:>10}",
                count(x.old_overridden),
                count(x.new_overridden)
            );
        }
        if shadow {
            let _ = write!(
                s,
                " {:>10} {:>10} {:>8}  {:<kindw$}",
                count(x.old_monitored),
                count(x.new_monitored),
                delta(x.old_monitored, x.new_monitored),
                x.kind()
            );
        }
        let end = s.trim_end_matches(' ').len();
        s.truncate(end);
        s.push('\n');
    }
}

fn breakdown(s: &mut String, b: &BreakdownReport) {
    let _ = writeln!(s, "\nby {}", b.by);
    let keyw = b
        .groups
        .iter()
        .map(|g| g.key.join(", ").chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let lanes: Vec<&str> = b
        .groups
        .first()
        .map(|g| g.lanes.iter().map(|l| l.lane.as_str()).collect())
        .unwrap_or_default();
    let _ = write!(s, "{:<keyw$} {:>7} {:>7}", "group", "count", "moved");
    for l in &lanes {
        let _ = write!(s, " {:>20}", format!("{l} old->new"));
        let _ = write!(s, " {:>9}", "change");
    }
    s.push('\n');
    for g in &b.groups {
        let _ = write!(
            s,
            "{:<keyw$} {:>7} {:>7}",
            g.key.join(", "),
            g.count,
            g.moved
        );
        for l in &g.lanes {
            let shares = format!("{} -> {}", pct(l.old_share), pct(l.new_share));
            let _ = write!(s, " {shares:>20} {:>9}", pp(l.change_pp));
        }
        s.push('\n');
    }
    if b.overflow > 0 {
        let _ = writeln!(
            s,
            "({} declarations in `(other)`: `--max-groups` reached)",
            b.overflow
        );
    }
}

fn outcome(s: &mut String, o: &OutcomeDiff) {
    let _ = writeln!(
        s,
        "\noutcome `{}`: {} labelled, {} with a finding; selected = at the lane or more severe",
        o.field, o.labelled, o.positives
    );
    let w = o
        .lanes
        .iter()
        .map(|l| l.lane.len())
        .max()
        .unwrap_or(4)
        .max(8);
    let _ = writeln!(
        s,
        "{:<w$} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "lane", "old selected", "old prec", "old recall", "new selected", "new prec", "new recall"
    );
    let side = |x: &Option<Selected>| match x {
        Some(v) => (v.selected.to_string(), pct(v.precision), pct(v.recall)),
        None => ("-".into(), "-".into(), "-".into()),
    };
    for l in &o.lanes {
        let (a, b, c) = side(&l.old);
        let (d, e, f) = side(&l.new);
        let _ = writeln!(
            s,
            "{:<w$} {a:>12} {b:>12} {c:>12} {d:>12} {e:>12} {f:>12}",
            l.lane
        );
    }
}
