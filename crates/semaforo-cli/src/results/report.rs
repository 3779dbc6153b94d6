//! The results report: its data (serialised as the documented JSON) and
//! its text form.

use super::input::Interner;
use super::tally::{Cell, Group, NO_MONTH, NO_OFFICE, Tally, months_before, short};
use crate::backtest::report::Governance;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Counters and rates of a row, a rule or the random sample.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Stats {
    pub selections: u64,
    pub controls: u64,
    pub hits: u64,
    pub hit_rate: Option<f64>,
    pub revenue: String,
    pub revenue_per_control: Option<String>,
    pub overrides: u64,
    pub overrides_by_reason: BTreeMap<String, u64>,
    pub findings_by_type: BTreeMap<String, u64>,
}

impl Stats {
    fn of(c: &Cell, names: &Interner) -> Stats {
        let named = |m: &BTreeMap<u32, u64>| {
            m.iter()
                .map(|(k, v)| (names.name(*k).to_string(), *v))
                .collect()
        };
        Stats {
            selections: c.selections,
            controls: c.controls,
            hits: c.hits,
            hit_rate: ratio(c.hits, c.controls),
            revenue: c.revenue.to_string(),
            revenue_per_control: c.revenue.per(c.controls),
            overrides: c.overrides,
            overrides_by_reason: named(&c.by_reason),
            findings_by_type: named(&c.by_type),
        }
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// One row: a rule in one office and month.
#[derive(Serialize, Debug)]
pub(crate) struct Row {
    pub rule: String,
    pub shadow: bool,
    /// Absent when offices are not a dimension; `null` for selections
    /// without a result (no office known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office: Option<Option<String>>,
    /// `YYYY-MM` of the evaluation; absent when months are not a dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    #[serde(flatten)]
    pub stats: Stats,
    pub lift: Option<f64>,
}

/// One rule over every office and month.
#[derive(Serialize, Debug)]
pub(crate) struct RuleRow {
    pub rule: String,
    pub shadow: bool,
    pub sampled: bool,
    #[serde(flatten)]
    pub stats: Stats,
    pub lift: Option<f64>,
    pub first_selected: Option<String>,
    pub last_hit: Option<String>,
    pub stale: bool,
    /// The rule's profile and override, from the ruleset given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub governance: Option<Governance>,
}

/// The unbiased base rate: declarations selected by sampled rules.
#[derive(Serialize, Debug)]
pub(crate) struct BaseRate {
    pub rules: Vec<String>,
    #[serde(flatten)]
    pub stats: Stats,
    pub by_rule: Vec<BaseByRule>,
}

/// The base rate of one sampled rule.
#[derive(Serialize, Debug)]
pub(crate) struct BaseByRule {
    pub rule: String,
    #[serde(flatten)]
    pub stats: Stats,
}

/// Everything about one ruleset fingerprint.
#[derive(Serialize, Debug)]
pub(crate) struct RulesetReport {
    pub fingerprint: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub outcomes: u64,
    pub with_result: u64,
    pub without_result: u64,
    pub lane_differs: u64,
    pub base_rate: BaseRate,
    pub rows: Vec<Row>,
    pub rules: Vec<RuleRow>,
    pub stale: Vec<String>,
}

/// Counts over the outcome logs.
#[derive(Serialize, Debug, Clone, Copy)]
pub(crate) struct OutcomeCounts {
    pub lines: u64,
    pub rejected: u64,
    pub eval_errors: u64,
    pub duplicates: u64,
    pub other_fingerprint: u64,
}

/// Counts over the result files.
#[derive(Serialize, Debug, Clone, Copy)]
pub(crate) struct ResultCounts {
    pub lines: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub joined: u64,
    pub without_outcome: u64,
    pub fingerprint_conflicts: u64,
    pub other_fingerprint: u64,
}

/// Outcomes of a fingerprint other than the one asked for.
#[derive(Serialize, Debug)]
pub(crate) struct OtherReport {
    pub fingerprint: String,
    pub outcomes: u64,
    pub with_result: u64,
}

/// The report.
#[derive(Serialize, Debug)]
pub(crate) struct Report {
    pub outcome_files: Vec<String>,
    pub result_files: Vec<String>,
    pub by: Vec<&'static str>,
    pub expected_fingerprint: Option<String>,
    pub as_of: Option<String>,
    pub stale_months: u32,
    pub stale_before: Option<String>,
    pub outcomes: OutcomeCounts,
    pub results: ResultCounts,
    pub other_fingerprints: Vec<OtherReport>,
    pub rulesets: Vec<RulesetReport>,
}

/// What the report is built from besides the tally.
pub(crate) struct Meta {
    pub outcome_files: Vec<String>,
    pub result_files: Vec<String>,
    /// The ruleset given: fingerprint, name, version, rule ids in order.
    pub ruleset: Option<(String, String, String, Vec<String>)>,
    /// The profile and override of each rule of the ruleset given that
    /// has either, by id.
    pub governance: HashMap<String, Governance>,
    pub as_of: Option<semaforo::Date>,
    pub stale_months: u32,
}

/// Builds the report.
pub(crate) fn build(mut t: Tally, meta: Meta) -> Report {
    // With a ruleset given, its group exists even when no outcome matched,
    // so its rules can be flagged.
    if let Some((fp, name, version, _)) = &meta.ruleset {
        let g = t.group(fp);
        g.name.get_or_insert_with(|| name.clone());
        g.version.get_or_insert_with(|| version.clone());
    }
    let as_of = meta.as_of.or(t.latest);
    let stale_before = as_of.and_then(|d| months_before(d, meta.stale_months));
    let order: HashMap<&str, usize> = meta
        .ruleset
        .as_ref()
        .map(|r| {
            r.3.iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect()
        })
        .unwrap_or_default();
    let without_outcome = t.unmatched().len() as u64;
    let other_with_result: u64 = t.other.values().map(|o| o.with_result).sum();
    let joined: u64 = t.groups.values().map(|g| g.with_result).sum();
    let mut groups: Vec<&Group> = t.groups.values().collect();
    groups.sort_by_key(|g| g.order);
    let ruleset_ids = meta.ruleset.as_ref().map(|r| (&r.0, &r.3));
    let rulesets = groups
        .into_iter()
        .map(|g| {
            let extra: &[String] = match ruleset_ids {
                Some((fp, ids)) if *fp == g.fingerprint => ids,
                _ => &[],
            };
            let gov = match ruleset_ids {
                Some((fp, _)) if *fp == g.fingerprint => Some(&meta.governance),
                _ => None,
            };
            let mut report = group_report(g, &t.names, &order, extra, stale_before, t.dims.office);
            if let Some(gov) = gov {
                for r in &mut report.rules {
                    r.governance = gov.get(&r.rule).cloned();
                }
            }
            report
        })
        .collect();
    let mut by = vec!["rule"];
    if t.dims.office {
        by.push("office");
    }
    if t.dims.month {
        by.push("month");
    }
    Report {
        outcome_files: meta.outcome_files,
        result_files: meta.result_files,
        by,
        expected_fingerprint: t.target.clone(),
        as_of: as_of.map(|d| d.to_string()),
        stale_months: meta.stale_months,
        stale_before: stale_before.map(|d| d.to_string()),
        outcomes: OutcomeCounts {
            lines: t.outcome_lines,
            rejected: t.outcome_rejected,
            eval_errors: t.eval_errors,
            duplicates: t.duplicate_outcomes,
            other_fingerprint: t.other.values().map(|o| o.outcomes).sum(),
        },
        results: ResultCounts {
            lines: t.results.lines,
            rejected: t.results.rejected,
            duplicates: t.results.duplicates,
            joined,
            without_outcome,
            fingerprint_conflicts: t.conflicts,
            other_fingerprint: other_with_result,
        },
        other_fingerprints: std::mem::take(&mut t.other)
            .into_iter()
            .map(|(fingerprint, o)| OtherReport {
                fingerprint,
                outcomes: o.outcomes,
                with_result: o.with_result,
            })
            .collect(),
        rulesets,
    }
}

fn lift(rate: Option<f64>, base: Option<f64>) -> Option<f64> {
    match (rate, base) {
        (Some(r), Some(b)) if b > 0.0 => Some(r / b),
        _ => None,
    }
}

fn month_text(m: i32) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

fn group_report(
    g: &Group,
    names: &Interner,
    order: &HashMap<&str, usize>,
    ruleset_ids: &[String],
    stale_before: Option<semaforo::Date>,
    office_dim: bool,
) -> RulesetReport {
    let base = Stats::of(&g.base, names);
    let base_rate = base.hit_rate;
    let rule_key = |id: &str| (order.get(id).copied().unwrap_or(usize::MAX), id.to_string());
    let mut rows: Vec<Row> = g
        .rows
        .iter()
        .map(|(&(rule, office, month), c)| {
            let stats = Stats::of(c, names);
            Row {
                rule: names.name(rule).to_string(),
                shadow: g.rules.get(&rule).is_some_and(|r| r.shadow),
                office: office_dim
                    .then(|| (office != NO_OFFICE).then(|| names.name(office).to_string())),
                month: (month != NO_MONTH).then(|| month_text(month)),
                lift: lift(stats.hit_rate, base_rate),
                stats,
            }
        })
        .collect();
    // Rule order, then office (selections without a result last), then month.
    rows.sort_by_cached_key(|r| {
        let office = r.office.clone().flatten();
        (rule_key(&r.rule), office.is_none(), office, r.month.clone())
    });
    let mut rules: Vec<RuleRow> = g
        .rules
        .iter()
        .map(|(&rule, acc)| {
            let stats = Stats::of(&acc.cell, names);
            RuleRow {
                rule: names.name(rule).to_string(),
                shadow: acc.shadow,
                sampled: acc.sampled,
                lift: lift(stats.hit_rate, base_rate),
                stats,
                first_selected: acc.first_selected.map(|d| d.to_string()),
                last_hit: acc.last_hit.map(|d| d.to_string()),
                stale: match (acc.last_hit, stale_before) {
                    (Some(h), Some(b)) => h < b,
                    _ => true,
                },
                governance: None,
            }
        })
        .collect();
    for id in ruleset_ids {
        if !rules.iter().any(|r| &r.rule == id) {
            rules.push(RuleRow {
                rule: id.clone(),
                shadow: false,
                sampled: false,
                stats: Stats::of(&Cell::default(), names),
                lift: None,
                first_selected: None,
                last_hit: None,
                stale: true,
                governance: None,
            });
        }
    }
    rules.sort_by_key(|r| rule_key(&r.rule));
    let stale = rules
        .iter()
        .filter(|r| r.stale)
        .map(|r| r.rule.clone())
        .collect();
    let mut by_rule: Vec<BaseByRule> = g
        .base_by_rule
        .iter()
        .map(|(&rule, c)| BaseByRule {
            rule: names.name(rule).to_string(),
            stats: Stats::of(c, names),
        })
        .collect();
    by_rule.sort_by_key(|b| rule_key(&b.rule));
    RulesetReport {
        fingerprint: g.fingerprint.clone(),
        name: g.name.clone(),
        version: g.version.clone(),
        outcomes: g.outcomes,
        with_result: g.with_result,
        without_result: g.outcomes - g.with_result,
        lane_differs: g.lane_differs,
        base_rate: BaseRate {
            rules: by_rule.iter().map(|b| b.rule.clone()).collect(),
            stats: base,
            by_rule,
        },
        rows,
        rules,
        stale,
    }
}

/// A rate as a percentage with one decimal, `-` when there is none.
pub(crate) fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// A lift with two decimals, `-` when there is none.
pub(crate) fn times(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x"))
}

/// `reason=N; reason=N`, or empty.
pub(crate) fn reasons(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The text form.
pub(crate) fn text(r: &Report) -> String {
    let mut s = String::new();
    let o = &r.outcomes;
    let _ = writeln!(
        s,
        "outcomes: {} lines, {} unreadable, {} eval error records, {} duplicates, {} of other rulesets",
        o.lines, o.rejected, o.eval_errors, o.duplicates, o.other_fingerprint
    );
    let x = &r.results;
    let _ = writeln!(
        s,
        "results: {} lines, {} unreadable, {} duplicates, {} joined, {} without an outcome, {} fingerprint conflicts, {} of other rulesets",
        x.lines,
        x.rejected,
        x.duplicates,
        x.joined,
        x.without_outcome,
        x.fingerprint_conflicts,
        x.other_fingerprint
    );
    for other in &r.other_fingerprints {
        let _ = writeln!(
            s,
            "not counted: {} outcomes ({} with a result) of ruleset {}, not the one given",
            other.outcomes,
            other.with_result,
            short(&other.fingerprint)
        );
    }
    for g in &r.rulesets {
        group_text(&mut s, g, r);
    }
    s
}

fn group_text(s: &mut String, g: &RulesetReport, r: &Report) {
    let _ = writeln!(
        s,
        "\nruleset `{}` version `{}` (fingerprint {}): {} outcomes, {} with a result, {} without",
        g.name.as_deref().unwrap_or("?"),
        g.version.as_deref().unwrap_or("?"),
        short(&g.fingerprint),
        g.outcomes,
        g.with_result,
        g.without_result
    );
    if g.lane_differs > 0 {
        let _ = writeln!(
            s,
            "lane differs: {} results name a lane other than the outcome's",
            g.lane_differs
        );
    }
    let b = &g.base_rate;
    if b.rules.is_empty() {
        let _ = writeln!(
            s,
            "base rate: no declaration was selected by a sampled rule"
        );
    } else {
        let _ = writeln!(
            s,
            "base rate (random sample: {}): {} selected, {} controlled, {} hits, {}",
            b.rules.join(", "),
            b.stats.selections,
            b.stats.controls,
            b.stats.hits,
            pct(b.stats.hit_rate)
        );
    }
    let mut head = vec!["rule", "kind"];
    if r.by.contains(&"office") {
        head.push("office");
    }
    if r.by.contains(&"month") {
        head.push("month");
    }
    // Rule, kind, office and month are text: left-aligned.
    let left = head.len();
    head.extend([
        "selected",
        "controls",
        "hits",
        "hit rate",
        "lift",
        "revenue",
        "rev/control",
        "overrides",
    ]);
    let mut table: Vec<Vec<String>> = vec![head.iter().map(|h| h.to_string()).collect()];
    for row in &g.rows {
        let mut cells = vec![row.rule.clone(), kind(row.shadow).to_string()];
        if let Some(o) = &row.office {
            cells.push(o.clone().unwrap_or_else(|| "-".to_string()));
        }
        if let Some(m) = &row.month {
            cells.push(m.clone());
        }
        let st = &row.stats;
        cells.extend([
            st.selections.to_string(),
            st.controls.to_string(),
            st.hits.to_string(),
            pct(st.hit_rate),
            times(row.lift),
            st.revenue.clone(),
            st.revenue_per_control.clone().unwrap_or_else(|| "-".into()),
            st.overrides.to_string(),
        ]);
        table.push(cells);
    }
    s.push('\n');
    columns(s, &table, left);
    let mut reasons_lines = Vec::new();
    for row in g.rules.iter().filter(|r| r.stats.overrides > 0) {
        reasons_lines.push(format!(
            "  {}: {}",
            row.rule,
            reasons(&row.stats.overrides_by_reason)
        ));
    }
    if !reasons_lines.is_empty() {
        let _ = writeln!(s, "\noverrides by reason");
        for l in reasons_lines {
            let _ = writeln!(s, "{l}");
        }
    }
    let governed: Vec<String> = g
        .rules
        .iter()
        .filter_map(|r| {
            r.governance
                .as_ref()
                .map(|gv| format!("  {}: {}", r.rule, gv.line()))
        })
        .collect();
    if !governed.is_empty() {
        let _ = writeln!(s, "\nrule profiles and national overrides");
        for l in governed {
            let _ = writeln!(s, "{l}");
        }
    }
    let _ = writeln!(
        s,
        "\nstale (no hit since {}, {} months before {}): {}",
        r.stale_before.as_deref().unwrap_or("-"),
        r.stale_months,
        r.as_of.as_deref().unwrap_or("-"),
        if g.stale.is_empty() {
            "none".to_string()
        } else {
            g.stale.join(", ")
        }
    );
}

/// `live` or `shadow`.
pub(crate) fn kind(shadow: bool) -> &'static str {
    if shadow { "shadow" } else { "live" }
}

/// Writes rows as columns: the first `left` left-aligned, the rest right.
fn columns(s: &mut String, rows: &[Vec<String>], left: usize) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let fill = w.saturating_sub(c.chars().count());
            if i < left {
                line.push_str(c);
                line.extend(std::iter::repeat_n(' ', fill));
            } else {
                line.extend(std::iter::repeat_n(' ', fill));
                line.push_str(c);
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
}
