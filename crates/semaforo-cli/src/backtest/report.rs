//! The backtest report (also the `--format json` output) and its
//! readable form; the HTML form is in `html`.

use serde::Serialize;

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
    /// Per-rule statistics, in ruleset order (shadow rules apart).
    pub rules: Vec<RuleRow>,
    /// Shadow rules (`monitor`), in ruleset order: what they would have
    /// selected.
    pub shadow_rules: Vec<ShadowRow>,
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
    /// The packages the ruleset is built from, `NAME VERSION` (omitted
    /// when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
}

/// A rule's profile and override, as the reports show them (omitted for
/// a rule with neither).
#[derive(Serialize, Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Governance {
    /// `owner`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `level`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// `status` (`active` unless the profile says otherwise).
    pub status: String,
    /// `review` date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
    /// The ruleset's override of this package rule: `disabled` or
    /// `adjusted`, its reason and last day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
}

impl Governance {
    /// From the rules API; `None` when there is nothing to show.
    pub(crate) fn of(r: &semaforo::RuleSummary<'_>) -> Option<Governance> {
        let p = r.profile;
        let g = Governance {
            owner: p.owner.map(str::to_string),
            level: p.level.map(str::to_string),
            status: p.status.to_string(),
            review: p.review.map(|d| d.to_string()),
            overridden: r.overlay.map(|o| {
                format!(
                    "{}: {}{}",
                    if o.disabled { "disabled" } else { "adjusted" },
                    o.reason,
                    o.until.map(|d| format!(" (until {d})")).unwrap_or_default()
                )
            }),
        };
        let plain = Governance {
            status: "active".to_string(),
            ..Governance::default()
        };
        (g != plain).then_some(g)
    }

    /// One line for text and HTML: `owner X · level regional · ...`.
    pub(crate) fn line(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.owner {
            parts.push(format!("owner {o}"));
        }
        if let Some(l) = &self.level {
            parts.push(format!("level {l}"));
        }
        if self.status != "active" {
            parts.push(format!("status {}", self.status));
        }
        if let Some(r) = &self.review {
            parts.push(format!("review {r}"));
        }
        if let Some(o) = &self.overridden {
            parts.push(format!("override {o}"));
        }
        parts.join(" · ")
    }
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

/// What is counted alike for rules and shadow rules.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct RuleStats {
    /// Declarations the rule fired on (a shadow rule: would have).
    pub fired: u64,
    /// `fired / evaluated`.
    pub share: f64,
    /// The sum of its points over those declarations.
    pub points: i64,
    /// `points / fired`.
    pub mean_points: Option<f64>,
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

/// How often a lane split chose each of its lanes.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct SplitCount {
    /// The lane; `None` (JSON `null`) for a draw past the last cut-off,
    /// when the rule fired without a lane.
    pub lane: Option<String>,
    /// How many times.
    pub count: u64,
}

/// One rule's statistics.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct RuleRow {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
    /// Declarations where its condition was unknown.
    pub undetermined: u64,
    /// Declarations it fired on whose final lane is the lane its action
    /// set (the rule alone sufficed for that lane).
    pub forced: u64,
    /// Fired, points, lanes, hits.
    #[serde(flatten)]
    pub stats: RuleStats,
    /// A lane split's choices, in the split's order, then the draws past
    /// it; `None` without a split.
    pub split: Option<Vec<SplitCount>>,
    /// Profile and override, when the rule has either.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub governance: Option<Governance>,
}

/// One shadow rule (`monitor`): what it would have done. It changed
/// nothing: its declarations' lanes and scores are those of the other
/// rules.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct ShadowRow {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
    /// Always true: marks the row as a shadow rule's.
    pub monitor: bool,
    /// Would have fired (`fired`), points, lanes, hits.
    #[serde(flatten)]
    pub stats: RuleStats,
    /// Declarations whose lane it would have made more severe by its lane
    /// action (its points aside).
    pub raises_lane: u64,
    /// As for a rule.
    pub split: Option<Vec<SplitCount>>,
    /// As for a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub governance: Option<Governance>,
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

/// A number of findings that may be fractional: written as an integer
/// when it is one (`12`), else as a JSON number (`12.5`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hits(pub f64);

impl Hits {
    /// Whole, if it is a whole number of findings.
    fn whole(self) -> Option<u64> {
        let v = self.0;
        // A count of declarations: far below 2^53, where f64 is exact.
        (v.fract() == 0.0 && (0.0..9.0e15).contains(&v)).then_some(v as u64)
    }
}

impl Serialize for Hits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.whole() {
            Some(n) => s.serialize_u64(n),
            None => s.serialize_f64(self.0),
        }
    }
}

impl std::fmt::Display for Hits {
    /// An integer as an integer, else with at most 2 decimals (`12.5`,
    /// `3.33`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self.whole() {
            Some(n) => n.to_string(),
            None => {
                let t = format!("{:.2}", self.0);
                t.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        };
        f.pad(&text)
    }
}

/// Precision and recall when inspecting the top `k` percent by score.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct TopK {
    /// Percent of labelled declarations inspected.
    pub k_percent: u32,
    /// `ceil(labelled * k / 100)`.
    pub inspected: u64,
    /// Findings among them: the expected number when the declarations
    /// tied at the cut score are taken in a random order (see
    /// `metrics::top_k`), so possibly fractional.
    pub hits: Hits,
    /// `hits / inspected`.
    pub precision: Option<f64>,
    /// `hits / positives`.
    pub recall: Option<f64>,
    /// The lowest score inspected (the cut).
    pub min_score: Option<i64>,
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// `red 120, yellow 80, no lane 40`.
pub(crate) fn split_text(v: &[SplitCount]) -> String {
    v.iter()
        .map(|c| format!("{} {}", c.lane.as_deref().unwrap_or("no lane"), c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Total and mean points: `1234`, `12.3`.
fn mean(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |m| format!("{m:.1}"))
}

/// The rest of a rules table's heading: points, then hits, hit rate,
/// recall and lift with an outcome, then lanes.
fn stats_heading(s: &mut String, outcome: bool) {
    use std::fmt::Write as _;
    if outcome {
        let _ = write!(
            s,
            " {:>7} {:>9} {:>7} {:>5}",
            "hits", "hit rate", "recall", "lift"
        );
    }
    s.push_str("  lanes\n");
}

/// The rest of a rules table's row (after the kind's own columns).
fn stats_row(s: &mut String, x: &RuleStats, outcome: bool) {
    use std::fmt::Write as _;
    let _ = write!(s, " {:>9} {:>7}", x.points, mean(x.mean_points));
    if outcome {
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
    let idw = r
        .rules
        .iter()
        .map(|x| x.id.len())
        .chain(r.shadow_rules.iter().map(|x| x.id.len()))
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = write!(
        s,
        "{:<idw$} {:>8} {:>7} {:>8} {:>7} {:>9} {:>7}",
        "rule", "fired", "share", "undeterm", "forced", "points", "mean"
    );
    stats_heading(&mut s, o.is_some());
    for x in &r.rules {
        let _ = write!(
            s,
            "{:<idw$} {:>8} {:>7} {:>8} {:>7}",
            x.id,
            x.stats.fired,
            pct(Some(x.stats.share)),
            x.undetermined,
            x.forced,
        );
        stats_row(&mut s, &x.stats, o.is_some());
    }
    let splits: Vec<(&str, &[SplitCount])> = r
        .rules
        .iter()
        .filter_map(|x| x.split.as_deref().map(|v| (x.id.as_str(), v)))
        .chain(
            r.shadow_rules
                .iter()
                .filter_map(|x| x.split.as_deref().map(|v| (x.id.as_str(), v))),
        )
        .collect();
    if !r.shadow_rules.is_empty() {
        let _ = writeln!(
            s,
            "\nshadow rules (monitor): would have fired, changed nothing"
        );
        let _ = write!(
            s,
            "{:<idw$} {:>10} {:>7} {:>11} {:>9} {:>7}",
            "rule", "would fire", "share", "raises lane", "points", "mean"
        );
        stats_heading(&mut s, o.is_some());
        for x in &r.shadow_rules {
            let _ = write!(
                s,
                "{:<idw$} {:>10} {:>7} {:>11}",
                x.id,
                x.stats.fired,
                pct(Some(x.stats.share)),
                x.raises_lane,
            );
            stats_row(&mut s, &x.stats, o.is_some());
        }
    }
    let governed: Vec<(&str, &Governance)> = r
        .rules
        .iter()
        .filter_map(|x| x.governance.as_ref().map(|g| (x.id.as_str(), g)))
        .chain(
            r.shadow_rules
                .iter()
                .filter_map(|x| x.governance.as_ref().map(|g| (x.id.as_str(), g))),
        )
        .collect();
    if !governed.is_empty() {
        let _ = writeln!(s, "\nrule profiles and overrides");
        for (id, g) in governed {
            let _ = writeln!(s, "{id:<idw$} {}", g.line());
        }
    }
    if !splits.is_empty() {
        let _ = writeln!(s, "\nlane splits: the lane each draw chose");
        for (id, v) in splits {
            let _ = writeln!(s, "{id:<idw$} {}", split_text(v));
        }
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

#[cfg(test)]
mod tests {
    use super::Hits;

    #[test]
    fn hits_are_whole_when_they_can_be() {
        let json = |h: f64| serde_json::to_string(&Hits(h)).unwrap_or_default();
        assert_eq!(json(12.0), "12");
        assert_eq!(json(12.5), "12.5");
        assert_eq!(format!("{:>7}", Hits(12.0)), "     12");
        assert_eq!(format!("{}", Hits(12.5)), "12.5");
        assert_eq!(format!("{}", Hits(20.453_125)), "20.45");
        assert_eq!(format!("{}", Hits(1.0 / 3.0)), "0.33");
        assert_eq!(format!("{}", Hits(0.0)), "0");
    }
}
