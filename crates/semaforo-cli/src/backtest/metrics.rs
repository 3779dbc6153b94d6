//! The running totals of a backtest, merged in input order, and the report
//! built from them: shares, hit rates, recall, lift, top k% and the score
//! histogram.

use super::batches::ChunkOut;
use super::report::{
    Counts, Governance, Hits, LaneCount, LaneRow, OutcomeStats, Report, RuleRow, RuleStats,
    RulesetInfo, ScoreBin, ScoreDist, ShadowRow, SplitCount, TopK,
};
use crate::common::{error, warn};
use semaforo::{Context, Ruleset};
use std::collections::BTreeMap;
use std::path::Path;

/// The percentages of top-scored declarations inspected in the report.
const TOP_K: [u32; 4] = [1, 2, 5, 10];

/// Running totals, merged in input order.
pub(super) struct Acc {
    nlanes: usize,
    pub counts: Counts,
    warnings: u64,
    lanes: Vec<u64>,
    lane_labelled: Vec<u64>,
    lane_hits: Vec<u64>,
    rule_fired: Vec<u64>,
    rule_undet: Vec<u64>,
    rule_forced: Vec<u64>,
    rule_labelled: Vec<u64>,
    rule_hits: Vec<u64>,
    /// Sum of the points of each rule's entries (saturating).
    rule_points: Vec<i64>,
    /// `rule * (nlanes + 1) + lane`: the lane each entry's action set (a
    /// split's choice; `nlanes` for none).
    rule_chosen: Vec<u64>,
    /// Shadow rules: entries whose lane is more severe than the final one.
    rule_raises: Vec<u64>,
    /// `rule * nlanes + lane`.
    rule_lanes: Vec<u64>,
    /// Evaluated declarations by score: memory grows with the distinct
    /// scores, never with the declarations.
    scores: BTreeMap<i64, Cell>,
}

/// The evaluated declarations with one score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Cell {
    /// How many.
    pub count: u64,
    /// Of them, those with an inspection result.
    pub labelled: u64,
    /// Of them, those with a finding.
    pub positives: u64,
}

impl Acc {
    pub(super) fn new(nrules: usize, nlanes: usize) -> Acc {
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
            rule_points: vec![0; nrules],
            rule_chosen: vec![0; nrules * (nlanes + 1)],
            rule_raises: vec![0; nrules],
            rule_lanes: vec![0; nrules * nlanes],
            scores: BTreeMap::new(),
        }
    }
}

fn bump(v: &mut [u64], i: usize) {
    if let Some(x) = v.get_mut(i) {
        *x += 1;
    }
}

/// Merges one chunk's results; when `max_errors` is reached, stops and
/// returns how many of the chunk's units were merged.
pub(super) fn merge(
    acc: &mut Acc,
    chunk: &ChunkOut,
    input: &Path,
    max_errors: Option<u64>,
    quiet: bool,
) -> Option<usize> {
    let (mut f0, mut m0, mut u0, mut w0) = (0usize, 0usize, 0usize, 0usize);
    for (k, r) in chunk.res.iter().enumerate() {
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
                return Some(k + 1);
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
        // A shadow rule is never in `fired`, so its `monitored` entries
        // count in the same per-rule totals; the report lists the two
        // kinds apart.
        let fired = chunk.fired.get(f0..r.fired_end).unwrap_or_default();
        let monitored = chunk.monitored.get(m0..r.monitored_end).unwrap_or_default();
        for (shadow, h) in fired
            .iter()
            .map(|h| (false, h))
            .chain(monitored.iter().map(|h| (true, h)))
        {
            let fi = h.rule as usize;
            bump(&mut acc.rule_fired, fi);
            bump(&mut acc.rule_lanes, fi * acc.nlanes + lane);
            if let Some(p) = acc.rule_points.get_mut(fi) {
                *p = p.saturating_add(h.points);
            }
            let chosen = h.lane.map_or(acc.nlanes, usize::from).min(acc.nlanes);
            bump(&mut acc.rule_chosen, fi * (acc.nlanes + 1) + chosen);
            if shadow {
                if h.lane.is_some_and(|l| l > r.lane) {
                    bump(&mut acc.rule_raises, fi);
                }
            } else if h.lane == Some(r.lane) {
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
        m0 = r.monitored_end;
        for &u in chunk.undet.get(u0..r.undet_end).unwrap_or_default() {
            bump(&mut acc.rule_undet, u as usize);
        }
        u0 = r.undet_end;
        let cell = acc.scores.entry(r.score).or_default();
        cell.count += 1;
        if let Some(l) = r.label {
            cell.labelled += 1;
            cell.positives += u64::from(l);
        }
    }
    None
}

/// `a / b` for a signed total (mean points), `None` when `b` is 0.
fn ratio_signed(a: i64, b: u64) -> Option<f64> {
    if b == 0 {
        None
    } else {
        Some(a as f64 / b as f64)
    }
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
pub(super) fn build_report(
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
    let labelled: u64 = acc.scores.values().map(|c| c.labelled).sum();
    let positives: u64 = acc.scores.values().map(|c| c.positives).sum();
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
    let stats = |i: usize| {
        let fired = acc.rule_fired.get(i).copied().unwrap_or(0);
        let hits = acc.rule_hits.get(i).copied().unwrap_or(0);
        let lab = acc.rule_labelled.get(i).copied().unwrap_or(0);
        let hit_rate = if has_outcome { ratio(hits, lab) } else { None };
        let points = acc.rule_points.get(i).copied().unwrap_or(0);
        RuleStats {
            fired,
            share: ratio(fired, ev).unwrap_or(0.0),
            points,
            mean_points: ratio_signed(points, fired),
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
    };
    // A split rule: how often each of its lanes was chosen, and how often
    // the draw fell past the split.
    let split = |i: usize, r: &semaforo::RuleSummary<'_>| -> Option<Vec<SplitCount>> {
        if r.split.is_empty() {
            return None;
        }
        let at = |l: usize| {
            acc.rule_chosen
                .get(i * (acc.nlanes + 1) + l)
                .copied()
                .unwrap_or(0)
        };
        let mut v: Vec<SplitCount> = r
            .split
            .iter()
            .map(|&(l, _)| SplitCount {
                lane: lanes_names.get(usize::from(l)).map(|n| n.to_string()),
                count: at(usize::from(l)),
            })
            .collect();
        v.push(SplitCount {
            lane: None,
            count: at(acc.nlanes),
        });
        Some(v)
    };
    let mut rules = Vec::new();
    let mut shadow_rules = Vec::new();
    for (i, r) in ruleset.rules().enumerate() {
        if r.monitor {
            shadow_rules.push(ShadowRow {
                id: r.id.to_string(),
                title: r.title.to_string(),
                monitor: true,
                stats: stats(i),
                raises_lane: acc.rule_raises.get(i).copied().unwrap_or(0),
                split: split(i, &r),
                governance: Governance::of(&r),
            });
        } else {
            rules.push(RuleRow {
                id: r.id.to_string(),
                title: r.title.to_string(),
                undetermined: acc.rule_undet.get(i).copied().unwrap_or(0),
                forced: acc.rule_forced.get(i).copied().unwrap_or(0),
                stats: stats(i),
                split: split(i, &r),
                governance: Governance::of(&r),
            });
        }
    }
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
            packages: ruleset
                .packages()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect(),
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
        shadow_rules,
        scores: score_dist(&acc.scores, has_outcome),
        outcome,
    }
}

/// Precision and recall when inspecting the top k% of labelled
/// declarations, ranked by score (highest first). `n = ceil(labelled * k /
/// 100)` are inspected: every labelled declaration scoring above the cut
/// score (the score of the n-th), and of those scoring exactly the cut,
/// as many as are still needed. Which of the tied ones would be taken is
/// not known (ranking them by input order would make the report depend on
/// the file's order, and needs every declaration in memory), so the hits
/// among them are the expected hits when ties are broken in a uniformly
/// random order: the tied group's hits times the share of it taken. So
/// `hits` may be fractional.
fn top_k(scores: &BTreeMap<i64, Cell>, labelled: u64, positives: u64) -> Vec<TopK> {
    TOP_K
        .iter()
        .map(|&k| {
            let n = (labelled * u64::from(k)).div_ceil(100);
            let (mut above, mut above_hits) = (0u64, 0u64);
            let mut cut = None;
            let mut hits = 0.0;
            for (&score, c) in scores.iter().rev().filter(|(_, c)| c.labelled > 0) {
                if above >= n {
                    break;
                }
                cut = Some(score);
                let need = n - above;
                if c.labelled >= need {
                    hits = above_hits as f64 + c.positives as f64 * need as f64 / c.labelled as f64;
                    break;
                }
                above += c.labelled;
                above_hits += c.positives;
                hits = above_hits as f64;
            }
            TopK {
                k_percent: k,
                inspected: n,
                hits: Hits(hits),
                precision: if n == 0 { None } else { Some(hits / n as f64) },
                recall: if positives == 0 {
                    None
                } else {
                    Some(hits / positives as f64)
                },
                min_score: cut,
            }
        })
        .collect()
}

/// The score histogram from the distinct-score tally.
fn score_dist(scores: &BTreeMap<i64, Cell>, has_outcome: bool) -> ScoreDist {
    let (Some(min), Some(max)) = (
        scores.first_key_value().map(|x| *x.0),
        scores.last_key_value().map(|x| *x.0),
    ) else {
        return ScoreDist::default();
    };
    let distinct: Vec<(i64, u64, u64)> = scores
        .iter()
        .map(|(&s, c)| (s, c.count, c.positives))
        .collect();
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

#[cfg(test)]
mod tests {
    use super::{BTreeMap, Cell, top_k};

    fn tally(rows: &[(i64, Option<bool>)]) -> BTreeMap<i64, Cell> {
        let mut t: BTreeMap<i64, Cell> = BTreeMap::new();
        for &(s, l) in rows {
            let c = t.entry(s).or_default();
            c.count += 1;
            if let Some(l) = l {
                c.labelled += 1;
                c.positives += u64::from(l);
            }
        }
        t
    }

    /// 200 labelled declarations: 1 scoring 50 (a hit), 4 scoring 40 (one
    /// hit), the rest 0 (none). Top 1% inspects 2: the 50 and one of the
    /// four 40s, which holds the hit with probability 1/4: 1.25 expected
    /// hits. Top 2% inspects 4: the 50 and three of the four, 1.75.
    /// Unlabelled declarations are not ranked.
    #[test]
    fn top_k_takes_the_expected_hits_of_a_tie_at_the_cut() {
        let mut rows = vec![(50, Some(true)), (40, Some(true)), (60, None)];
        rows.extend([(40, Some(false)); 3]);
        rows.extend([(0, Some(false)); 195]);
        let t = tally(&rows);
        let top = top_k(&t, 200, 2);
        let got: Vec<(u64, f64, Option<i64>)> = top
            .iter()
            .map(|k| (k.inspected, k.hits.0, k.min_score))
            .collect();
        assert_eq!(
            got,
            [
                (2, 1.25, Some(40)),
                (4, 1.75, Some(40)),
                (10, 2.0, Some(0)),
                (20, 2.0, Some(0))
            ]
        );
        assert_eq!(top[0].precision, Some(0.625));
        assert_eq!(top[0].recall, Some(0.625));
        let none = top_k(&tally(&[(5, None)]), 0, 0);
        assert!(
            none.iter()
                .all(|k| k.inspected == 0 && k.min_score.is_none())
        );
    }
}
