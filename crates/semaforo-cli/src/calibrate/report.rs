//! The calibration's result: its data (serialized as the JSON output), its
//! text form, and the threshold items `--write` writes.

use super::scan::Scan;
use super::solve::{self, Hist, Solved, Target, Unmet};
use semaforo::Ruleset;
use serde::Serialize;
use std::fmt::Write as _;

/// What the report says besides the numbers.
pub(super) struct Meta<'a> {
    pub ruleset: &'a Ruleset,
    pub input: String,
    pub today: String,
    pub by: Option<String>,
    pub min_group: u64,
}

/// The report (the JSON output's shape, see docs/cli.md).
#[derive(Serialize, Debug)]
pub(super) struct Report {
    pub ruleset: RulesetInfo,
    pub input: String,
    pub today: String,
    pub declarations: Counts,
    /// The targets, most severe lane first.
    pub targets: Vec<TargetOut>,
    /// The grouping field, if any.
    pub by: Option<String>,
    /// Groups with fewer declarations keep the general thresholds.
    pub min_group: Option<u64>,
    /// The thresholds for the whole history (the general ones).
    pub general: Set,
    /// One entry per `--by` value seen, in byte order of the value.
    pub groups: Vec<Group>,
    /// Targets not met by the general thresholds or a calibrated group's.
    pub unmet: u64,
}

#[derive(Serialize, Debug)]
pub(super) struct RulesetInfo {
    pub name: String,
    pub version: String,
    pub fingerprint: String,
}

#[derive(Serialize, Debug, Clone, Copy)]
pub(super) struct Counts {
    pub read: u64,
    pub evaluated: u64,
    pub rejected: u64,
    /// Evaluated declarations without a `--by` value (general thresholds
    /// only); 0 without `--by`.
    pub without_group: u64,
}

#[derive(Serialize, Debug)]
pub(super) struct TargetOut {
    pub lane: String,
    /// The target as given, a percentage (`"5"`, `"2.5"`).
    pub percent: String,
}

/// Thresholds for one set of declarations.
#[derive(Serialize, Debug)]
pub(super) struct Set {
    pub declarations: u64,
    /// Most severe lane first.
    pub lanes: Vec<LaneOut>,
}

/// One group.
#[derive(Serialize, Debug)]
pub(super) struct Group {
    pub value: String,
    /// False: fewer than `min_group` declarations, the general thresholds
    /// apply (and are what `lanes` shows, with their rates on the group).
    pub calibrated: bool,
    #[serde(flatten)]
    pub set: Set,
}

/// One lane's threshold and the rates of "this lane or a more severe one".
#[derive(Serialize, Debug)]
pub(super) struct LaneOut {
    pub lane: String,
    pub target_percent: String,
    pub threshold: i64,
    /// The smallest threshold meeting this lane's target by itself; below
    /// `threshold` when a less severe lane's threshold was at or above it
    /// (thresholds increase strictly), so the lane selects less than its
    /// target allows.
    pub smallest: i64,
    /// `threshold > smallest`.
    pub raised: bool,
    /// With the calibrated thresholds.
    pub achieved: Rate,
    /// With the ruleset as it is (its own thresholds).
    pub current: Rate,
    /// From rules' `lane` actions alone.
    pub forced: Rate,
    pub met: bool,
    /// Why not: `forced` (the forced lanes alone exceed the target) or
    /// `general` (a group below `min_group`, where the general thresholds
    /// exceed the target; not counted in `unmet`).
    pub unmet: Option<&'static str>,
}

/// A count of declarations and its share of the set, as a percentage
/// (`count × 100 / declarations`; the count is exact, the percentage
/// is for reading).
#[derive(Serialize, Debug, Clone, Copy)]
pub(super) struct Rate {
    pub count: u64,
    pub percent: f64,
}

fn rate(count: u64, n: u64) -> Rate {
    let percent = if n == 0 {
        0.0
    } else {
        // Exact enough for reading: both are below 2^53 in practice.
        (count as f64) * 100.0 / (n as f64)
    };
    Rate { count, percent }
}

/// A share in millionths as a percentage without trailing zeros.
fn percent_text(ppm: u32) -> String {
    let (int, frac) = (ppm / 10_000, ppm % 10_000);
    if frac == 0 {
        int.to_string()
    } else {
        format!("{int}.{frac:04}").trim_end_matches('0').to_string()
    }
}

fn lane_name(ruleset: &Ruleset, lane: u16) -> String {
    ruleset
        .lanes()
        .get(usize::from(lane))
        .map_or_else(String::new, |l| l.to_string())
}

/// The lines of one set from solved thresholds.
fn lanes_of(ruleset: &Ruleset, h: &Hist, solved: &[Solved]) -> Vec<LaneOut> {
    solved
        .iter()
        .map(|s| LaneOut {
            lane: lane_name(ruleset, s.target.lane),
            target_percent: percent_text(s.target.ppm),
            threshold: s.threshold,
            smallest: s.smallest,
            raised: s.threshold > s.smallest,
            achieved: rate(s.achieved, h.n),
            current: rate(h.current_at_least(s.target.lane), h.n),
            forced: rate(h.forced_at_least(s.target.lane), h.n),
            met: s.unmet.is_none(),
            unmet: s.unmet.map(|u| match u {
                Unmet::Forced => "forced",
                Unmet::General => "general",
            }),
        })
        .collect()
}

/// `general`'s thresholds applied to `h`.
fn with_thresholds(h: &Hist, general: &[Solved]) -> Vec<Solved> {
    general
        .iter()
        .map(|g| {
            let achieved = h.at_least(g.target.lane, g.threshold);
            Solved {
                achieved,
                unmet: (!solve::within(achieved, h.n, g.target.ppm)).then_some(Unmet::General),
                ..*g
            }
        })
        .collect()
}

/// Calibrates and builds the report; `None` when nothing was evaluated.
pub(super) fn build(meta: &Meta<'_>, scan: &Scan, targets: &[Target]) -> Option<Report> {
    let rs = meta.ruleset;
    let general = solve::solve(&scan.all, targets)?;
    let mut unmet = general.iter().filter(|s| s.unmet.is_some()).count() as u64;
    let mut groups = Vec::with_capacity(scan.groups.len());
    for (value, h) in &scan.groups {
        let calibrated = h.n >= meta.min_group;
        let solved = if calibrated {
            let s = solve::solve(h, targets)?;
            unmet += s.iter().filter(|s| s.unmet.is_some()).count() as u64;
            s
        } else {
            with_thresholds(h, &general)
        };
        groups.push(Group {
            value: value.clone(),
            calibrated,
            set: Set {
                declarations: h.n,
                lanes: lanes_of(rs, h, &solved),
            },
        });
    }
    Some(Report {
        ruleset: RulesetInfo {
            name: rs.name().to_string(),
            version: rs.version().to_string(),
            fingerprint: rs.fingerprint_hex().to_string(),
        },
        input: meta.input.clone(),
        today: meta.today.clone(),
        declarations: Counts {
            read: scan.read,
            evaluated: scan.all.n,
            rejected: scan.rejected,
            without_group: scan.ungrouped,
        },
        targets: general
            .iter()
            .map(|s| TargetOut {
                lane: lane_name(rs, s.target.lane),
                percent: percent_text(s.target.ppm),
            })
            .collect(),
        by: meta.by.clone(),
        min_group: meta.by.as_ref().map(|_| meta.min_group),
        general: Set {
            declarations: scan.all.n,
            lanes: lanes_of(rs, &scan.all, &general),
        },
        groups,
        unmet,
    })
}

/// The report as readable tables.
pub(super) fn text(r: &Report) -> String {
    let mut o = String::new();
    let d = r.declarations;
    let _ = writeln!(
        o,
        "ruleset {} {}: {} declarations evaluated from {} (today {}){}",
        r.ruleset.name,
        r.ruleset.version,
        d.evaluated,
        r.input,
        r.today,
        if d.rejected > 0 {
            format!(", {} could not be", d.rejected)
        } else {
            String::new()
        }
    );
    let targets: Vec<String> = r
        .targets
        .iter()
        .map(|t| format!("{} or more severe <= {}%", t.lane, t.percent))
        .collect();
    let _ = writeln!(o, "targets: {}", targets.join("; "));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "general thresholds ({} declarations)",
        r.general.declarations
    );
    set_text(&mut o, &r.general);
    if let (Some(by), Some(min)) = (&r.by, r.min_group) {
        let _ = writeln!(
            o,
            "\nby {by}: groups of at least {min} declarations are calibrated, smaller ones keep the general thresholds{}",
            if d.without_group > 0 {
                format!(" ({} declarations without {by})", d.without_group)
            } else {
                String::new()
            }
        );
        for g in &r.groups {
            let _ = writeln!(
                o,
                "\n{by} {:?} ({} declarations{})",
                g.value,
                g.set.declarations,
                if g.calibrated {
                    ""
                } else {
                    ", too few: general thresholds"
                }
            );
            set_text(&mut o, &g.set);
        }
    }
    if r.unmet > 0 {
        let _ = writeln!(
            o,
            "\n{} target(s) not met: `forced` = rules' lane actions alone exceed the target",
            r.unmet
        );
    }
    if r.groups
        .iter()
        .map(|g| &g.set)
        .chain([&r.general])
        .any(|s| s.lanes.iter().any(|l| l.raised && l.unmet.is_none()))
    {
        let _ = writeln!(
            o,
            "\n`raised from N (order)`: N alone meets the target but is not above the threshold of a less severe lane; the lane selects less than its target allows"
        );
    }
    let over_general = r
        .groups
        .iter()
        .any(|g| g.set.lanes.iter().any(|l| l.unmet == Some("general")));
    if over_general {
        let _ = writeln!(
            o,
            "\n`general`: a group too small to calibrate, over its target with the general thresholds (not counted as unmet)"
        );
    }
    o
}

fn set_text(o: &mut String, s: &Set) {
    let _ = writeln!(
        o,
        "  {:<10} {:>8} {:>10} {:>18} {:>18} {:>18}",
        "lane", "target", "threshold", "achieved", "now", "forced"
    );
    let cell = |r: Rate| format!("{} ({:.2}%)", r.count, r.percent);
    for l in &s.lanes {
        let _ = writeln!(
            o,
            "  {:<10} {:>8} {:>10} {:>18} {:>18} {:>18}{}",
            l.lane,
            format!("{}%", l.target_percent),
            l.threshold,
            cell(l.achieved),
            cell(l.current),
            cell(l.forced),
            match (l.unmet, l.raised) {
                (Some(u), _) => format!("  NOT MET ({u})"),
                (None, true) => format!("  raised from {} (order)", l.smallest),
                (None, false) => String::new(),
            },
        );
    }
}

/// The threshold items for `--write`: the general thresholds, then those
/// of every calibrated group, each set in order of increasing severity.
pub(super) fn threshold_items(r: &Report, ruleset: &Ruleset) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Thresholds calibrated by `semaforo calibrate` for ruleset {:?} version {:?}",
        ruleset.name(),
        ruleset.version()
    );
    let _ = writeln!(
        o,
        "# on {} declarations of {} (today {}); targets: {}.",
        r.declarations.evaluated,
        comment_safe(&r.input),
        r.today,
        r.targets
            .iter()
            .map(|t| format!("{}={}%", t.lane, t.percent))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        o,
        "# This file replaces the ruleset's own `threshold` items: remove them\n# (a lane with two thresholds is E0116). Lanes without a target have none."
    );
    for l in r.general.lanes.iter().rev() {
        let _ = writeln!(o, "threshold {} {}", l.lane, l.threshold);
    }
    if let Some(by) = &r.by {
        for g in r.groups.iter().filter(|g| g.calibrated) {
            for l in g.set.lanes.iter().rev() {
                let _ = writeln!(
                    o,
                    "threshold {} {} for {by} {}",
                    l.lane,
                    l.threshold,
                    string_literal(&g.value)
                );
            }
        }
    }
    o
}

/// A rule-language string literal for `s`.
fn string_literal(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{{{:X}}}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Text for a comment line: control characters replaced.
fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{percent_text, string_literal};

    #[test]
    fn literals_and_percentages() {
        assert_eq!(string_literal("GT01"), "\"GT01\"");
        assert_eq!(
            string_literal("a\"b\\c\nd\u{1}"),
            "\"a\\\"b\\\\c\\nd\\u{1}\""
        );
        assert_eq!(percent_text(50_000), "5");
        assert_eq!(percent_text(25_000), "2.5");
        assert_eq!(percent_text(125), "0.0125");
    }
}
