//! `--fail-if` gates: a small grammar over the diff's numbers, checked
//! exactly (fractions of counts, never rounded floats).
//!
//! ```text
//! gate      := metric op bound [ "at" BY ]
//! metric    := "moved" | LANE ".share" | LANE ".count" | LANE ".precision"
//!            | LANE ".recall" | "rule." ID ".fired" | "rule." ID ".undetermined"
//!            | "rule." ID ".monitored" | "rule." ID ".overridden"
//! op        := ">" | ">=" | "<" | "<="
//! bound     := moved:  N | N%                       (a level: count, or share of the compared)
//!              others: (+|-)N | (+|-)N% | (+|-)Npp  (a change, new minus old)
//! ```
//!
//! A gate *fails* when its comparison is true: `red.share > +0.5pp` fails
//! when the red lane's share grows by more than half a percentage point.
//! `pp` (percentage points) is for shares, precision and recall; `N%` on a
//! change is relative to the old value; a plain `±N` is for counts. With
//! `at BY` (the text of one `--by` option) the gate is checked in every
//! group of that breakdown and fails if any group fails.

use super::tally::{GroupTally, Lanes, RuleKey, Tally};
use std::cmp::Ordering;

/// An exact fraction `n / d`, `d > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Frac {
    n: i128,
    d: i128,
}

impl Frac {
    fn new(n: i128, d: i128) -> Option<Frac> {
        (d != 0).then(|| {
            if d < 0 {
                Frac { n: -n, d: -d }
            } else {
                Frac { n, d }
            }
        })
    }

    fn int(n: u64) -> Frac {
        Frac {
            n: i128::from(n),
            d: 1,
        }
    }

    fn ratio(n: u64, d: u64) -> Option<Frac> {
        Frac::new(i128::from(n), i128::from(d))
    }

    /// The value as a float, for display.
    pub(super) fn f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }

    fn sub(self, o: Frac) -> Option<Frac> {
        let n = self
            .n
            .checked_mul(o.d)?
            .checked_sub(o.n.checked_mul(self.d)?)?;
        Frac::new(n, self.d.checked_mul(o.d)?)
    }

    fn div(self, o: Frac) -> Option<Frac> {
        Frac::new(self.n.checked_mul(o.d)?, self.d.checked_mul(o.n)?)
    }

    fn cmp(self, o: Frac) -> Ordering {
        match (self.n.checked_mul(o.d), o.n.checked_mul(self.d)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.f64().partial_cmp(&o.f64()).unwrap_or(Ordering::Equal),
        }
    }
}

/// What a gate measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Metric {
    /// Declarations whose lane changed.
    Moved,
    /// A lane's share of the compared declarations.
    Share(String),
    /// A lane's count.
    Count(String),
    /// Precision when that lane or a more severe one is selected.
    Precision(String),
    /// Recall of the same selection.
    Recall(String),
    /// Declarations a rule fired on.
    Fired(String),
    /// Declarations where a rule's condition was unknown.
    Undetermined(String),
    /// Declarations a shadow rule (`monitor`) would have fired on.
    Monitored(String),
    /// Declarations with an `overridden` entry for a rule.
    Overridden(String),
}

impl Metric {
    fn parse(s: &str) -> Result<Metric, String> {
        if s == "moved" {
            return Ok(Metric::Moved);
        }
        if let Some(rest) = s.strip_prefix("rule.")
            && let Some((id, what)) = rest.rsplit_once('.')
            && !id.is_empty()
        {
            match what {
                "fired" => return Ok(Metric::Fired(id.to_string())),
                "undetermined" => return Ok(Metric::Undetermined(id.to_string())),
                "monitored" => return Ok(Metric::Monitored(id.to_string())),
                "overridden" => return Ok(Metric::Overridden(id.to_string())),
                _ => {}
            }
        }
        let Some((lane, what)) = s.split_once('.') else {
            return Err(format!(
                "unknown metric `{s}`; expected `moved`, `LANE.share`, `LANE.count`, `LANE.precision`, `LANE.recall`, `rule.ID.fired`, `rule.ID.undetermined`, `rule.ID.monitored` or `rule.ID.overridden`"
            ));
        };
        let lane = lane.to_string();
        match what {
            "share" => Ok(Metric::Share(lane)),
            "count" => Ok(Metric::Count(lane)),
            "precision" => Ok(Metric::Precision(lane)),
            "recall" => Ok(Metric::Recall(lane)),
            _ => Err(format!(
                "unknown measure `{what}` in `{s}`; a lane has `share`, `count`, `precision` and `recall`, a rule (`rule.ID.`) `fired`, `undetermined`, `monitored` and `overridden`"
            )),
        }
    }

    /// Whether the metric is a fraction (shares, precision, recall).
    fn is_rate(&self) -> bool {
        matches!(
            self,
            Metric::Share(_) | Metric::Precision(_) | Metric::Recall(_)
        )
    }
}

/// The comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
        }
    }
}

/// How the bound is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    /// A plain number: a count (`moved`) or a change in a count.
    Plain,
    /// `pp`: a change in percentage points.
    Points,
    /// `%`: for `moved`, a share of the compared declarations; otherwise a
    /// change relative to the old value.
    Percent,
}

/// One parsed `--fail-if`.
#[derive(Clone, Debug)]
pub(super) struct Gate {
    /// The text as given.
    pub text: String,
    metric: Metric,
    op: Op,
    /// The bound, in its unit (`0.5` for `+0.5pp`).
    bound: Frac,
    signed: bool,
    unit: Unit,
    /// The `--by` breakdown it is checked in.
    pub at: Option<String>,
}

/// Parses a decimal number (at most 15 integer and 9 fraction digits).
fn parse_number(s: &str) -> Option<Frac> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok = |p: &str, max: usize| p.len() <= max && p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !ok(int, 15) || !ok(frac, 9) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let n: i128 = format!("{int}{frac}").parse().ok()?;
    Frac::new(n, 10i128.pow(u32::try_from(frac.len()).ok()?))
}

impl Gate {
    /// Parses the gate text; the error says what is wrong with it.
    pub(super) fn parse(text: &str) -> Result<Gate, String> {
        let t = text.trim();
        let at_err = |e: String| format!("`--fail-if {t}`: {e}");
        let opi = t.find(['<', '>']).ok_or_else(|| {
            at_err(
                "expected a comparison `>`, `>=`, `<` or `<=`, as in `red.share > +0.5pp`".into(),
            )
        })?;
        let metric = Metric::parse(t.get(..opi).unwrap_or_default().trim()).map_err(at_err)?;
        let rest = t.get(opi..).unwrap_or_default();
        let (op, rest) = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)]
            .into_iter()
            .find_map(|(s, op)| rest.strip_prefix(s).map(|r| (op, r.trim_start())))
            .ok_or_else(|| at_err("expected `>`, `>=`, `<` or `<=`".into()))?;
        let (bound_text, at) = split_at_clause(rest).map_err(at_err)?;
        let (signed, bound, unit) = parse_bound(bound_text).map_err(at_err)?;
        let gate = Gate {
            text: t.to_string(),
            metric,
            op,
            bound,
            signed,
            unit,
            at,
        };
        gate.check_form().map_err(at_err)?;
        Ok(gate)
    }

    /// Checks that the bound's form fits the metric.
    fn check_form(&self) -> Result<(), String> {
        let m = &self.metric;
        if *m == Metric::Moved {
            if self.signed {
                return Err("`moved` is already a change: write a level, `100` or `2%` (of the compared declarations)".into());
            }
            if self.unit == Unit::Points {
                return Err("`moved` takes a count (`100`) or a share (`2%`), not `pp`".into());
            }
            return Ok(());
        }
        if !self.signed {
            return Err(format!(
                "the bound is a change (new minus old) and needs a sign: `+{0}` or `-{0}`",
                self.bound_text()
            ));
        }
        if self.unit == Unit::Points && !m.is_rate() {
            return Err("`pp` (percentage points) is for shares, precision and recall; write a count (`+100`) or a relative change (`+10%`)".into());
        }
        if self.unit == Unit::Plain && m.is_rate() {
            return Err("a share, precision or recall changes in percentage points (`+0.5pp`) or relatively (`+10%`)".into());
        }
        if self.at.is_some() && !matches!(m, Metric::Share(_) | Metric::Count(_) | Metric::Moved) {
            return Err("`at` applies to lane shares and counts and to `moved`; rules, precision and recall are counted over the whole input".into());
        }
        Ok(())
    }

    fn bound_text(&self) -> String {
        let unit = match self.unit {
            Unit::Plain => "",
            Unit::Points => "pp",
            Unit::Percent => "%",
        };
        format!("{}{unit}", self.bound.f64().abs())
    }

    /// Checks the names the gate uses against the rulesets and options.
    pub(super) fn check_names(
        &self,
        lanes: &Lanes,
        rules: &[RuleKey],
        by: &[String],
        outcome: bool,
    ) -> Result<(), String> {
        let err = |e: String| format!("`--fail-if {}`: {e}", self.text);
        if let Some(at) = &self.at
            && !by.iter().any(|b| b == at)
        {
            return Err(err(format!(
                "`at {at}` names no `--by` option (given: {})",
                if by.is_empty() {
                    "none".to_string()
                } else {
                    by.iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
        match &self.metric {
            Metric::Moved => Ok(()),
            Metric::Share(l) | Metric::Count(l) => {
                if lanes.names.contains(l) {
                    Ok(())
                } else {
                    Err(err(format!(
                        "no lane `{l}` in either ruleset (lanes: {})",
                        lanes.names.join(", ")
                    )))
                }
            }
            Metric::Precision(l) | Metric::Recall(l) => {
                if !outcome {
                    Err(err("precision and recall need `--outcome`".into()))
                } else if lanes.in_old(l).is_none() || lanes.in_new(l).is_none() {
                    Err(err(format!(
                        "lane `{l}` is not a lane of both rulesets, so its selections cannot be compared"
                    )))
                } else {
                    Ok(())
                }
            }
            Metric::Fired(id) | Metric::Undetermined(id) => {
                if rules.iter().any(|r| r.id == *id) {
                    Ok(())
                } else {
                    Err(err(format!("no rule `{id}` in either ruleset")))
                }
            }
            Metric::Monitored(id) => match rules.iter().find(|r| r.id == *id) {
                None => Err(err(format!("no rule `{id}` in either ruleset"))),
                Some(r) if !r.old_monitor && !r.new_monitor => Err(err(format!(
                    "rule `{id}` is a shadow rule (`monitor`) in neither ruleset, so it is never monitored; gate on `rule.{id}.fired`"
                ))),
                Some(_) => Ok(()),
            },
            Metric::Overridden(id) => match rules.iter().find(|r| r.id == *id) {
                None => Err(err(format!("no rule `{id}` in either ruleset"))),
                Some(r) if !r.old_overridden && !r.new_overridden => Err(err(format!(
                    "rule `{id}` has a national `override` in neither ruleset, so it is never overridden; gate on `rule.{id}.fired`"
                ))),
                Some(_) => Ok(()),
            },
        }
    }
}

/// Splits `BOUND [at BY]` into the bound and the `--by` text, the latter
/// in canonical form (the form `--by` options are compared in).
fn split_at_clause(rest: &str) -> Result<(&str, Option<String>), String> {
    let Some((bound, tail)) = rest.split_once(char::is_whitespace) else {
        return Ok((rest, None));
    };
    let tail = tail.trim();
    let by = tail
        .strip_prefix("at")
        .filter(|g| g.starts_with(char::is_whitespace))
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .ok_or_else(|| {
            format!("unexpected `{tail}` after the bound; expected `at BY` (a `--by` option)")
        })?;
    let by = super::group::BySpec::parse(by).map_or_else(|_| by.to_string(), |s| s.text);
    Ok((bound, Some(by)))
}

/// Splits `+0.5pp` into (signed, value, unit); the value carries the sign.
fn parse_bound(s: &str) -> Result<(bool, Frac, Unit), String> {
    let (neg, signed, body) = match s.as_bytes().first() {
        Some(b'+') => (false, true, s.get(1..).unwrap_or_default()),
        Some(b'-') => (true, true, s.get(1..).unwrap_or_default()),
        _ => (false, false, s),
    };
    let (num, unit) = if let Some(n) = body.strip_suffix("pp") {
        (n, Unit::Points)
    } else if let Some(n) = body.strip_suffix('%') {
        (n, Unit::Percent)
    } else {
        (body, Unit::Plain)
    };
    let v = parse_number(num).ok_or_else(|| {
        format!("bad bound `{s}`: expected a number such as `100`, `+10%`, `-0.5pp`")
    })?;
    let v = if neg { Frac { n: -v.n, d: v.d } } else { v };
    Ok((signed, v, unit))
}

/// Where a gate failed, with the numbers.
#[derive(serde::Serialize, Debug, Clone)]
pub(crate) struct Failure {
    /// The group's labels (with `at`), else `None` for the whole input.
    pub group: Option<Vec<String>>,
    /// The old value (a count, or a fraction for shares, precision and
    /// recall; `moved` has none).
    pub old: Option<f64>,
    /// The new value.
    pub new: Option<f64>,
    /// What was compared with the bound: the change (in the bound's unit)
    /// or, for `moved`, the level; `None` when it cannot be computed or
    /// is a relative change from zero.
    pub value: Option<f64>,
    /// A readable line.
    pub message: String,
}

/// One gate's result.
#[derive(serde::Serialize, Debug, Clone)]
pub(crate) struct GateResult {
    /// The gate as given.
    pub gate: String,
    /// Whether it failed.
    pub failed: bool,
    /// Every place it failed.
    pub failures: Vec<Failure>,
}

/// One side's value of a metric (`None`: cannot be computed) and what
/// it is measured against.
struct Values {
    old: Option<Frac>,
    new: Option<Frac>,
    moved: u64,
    total: u64,
}

/// Checks `gate` against the totals.
pub(super) fn check(gate: &Gate, t: &Tally, lanes: &Lanes, rules: &[RuleKey]) -> GateResult {
    let mut failures = Vec::new();
    match &gate.at {
        None => {
            let v = overall(&gate.metric, t, lanes, rules);
            if let Some(f) = judge(gate, &v, None) {
                failures.push(f);
            }
        }
        Some(at) => {
            if let Some(b) = t.breakdowns.iter().find(|b| b.spec.text == *at) {
                for (key, g) in &b.groups {
                    let v = in_group(&gate.metric, g, lanes);
                    if let Some(f) = judge(gate, &v, Some(key.clone())) {
                        failures.push(f);
                    }
                }
            }
        }
    }
    GateResult {
        gate: gate.text.clone(),
        failed: !failures.is_empty(),
        failures,
    }
}

fn lane_counts(lane: &str, lanes: &Lanes, old: &[u64], new: &[u64]) -> (u64, u64) {
    let i = lanes.names.iter().position(|n| n == lane);
    let get = |v: &[u64]| i.and_then(|i| v.get(i)).copied().unwrap_or(0);
    (get(old), get(new))
}

/// The metric over the whole input.
fn overall(m: &Metric, t: &Tally, lanes: &Lanes, rules: &[RuleKey]) -> Values {
    let total = t.counts.compared;
    let (old_lanes, new_lanes) = lane_totals(t, lanes);
    let moved = moved(t, lanes);
    let pair = |o: u64, n: u64| (Some(Frac::int(o)), Some(Frac::int(n)));
    let (old, new) = match m {
        Metric::Moved => (None, None),
        Metric::Share(l) => {
            let (o, n) = lane_counts(l, lanes, &old_lanes, &new_lanes);
            (Frac::ratio(o, total), Frac::ratio(n, total))
        }
        Metric::Count(l) => {
            let (o, n) = lane_counts(l, lanes, &old_lanes, &new_lanes);
            pair(o, n)
        }
        Metric::Precision(l) | Metric::Recall(l) => {
            let recall = matches!(m, Metric::Recall(_));
            let side = |sel: &super::tally::Selection, i: Option<usize>| {
                let i = i?;
                let hits = *sel.hits.get(i)?;
                let den = if recall {
                    t.positives
                } else {
                    *sel.selected.get(i)?
                };
                Frac::ratio(hits, den)
            };
            (
                side(&t.old_sel, lanes.in_old(l)),
                side(&t.new_sel, lanes.in_new(l)),
            )
        }
        Metric::Fired(id)
        | Metric::Undetermined(id)
        | Metric::Monitored(id)
        | Metric::Overridden(id) => {
            let k = rules.iter().find(|r| r.id == *id);
            let get = |c: &super::tally::RuleCounts, i: Option<usize>| {
                let v = match m {
                    Metric::Fired(_) => &c.fired,
                    Metric::Undetermined(_) => &c.undetermined,
                    Metric::Overridden(_) => &c.overridden,
                    _ => &c.monitored,
                };
                i.and_then(|i| v.get(i)).copied().unwrap_or(0)
            };
            pair(
                get(&t.old_rules, k.and_then(|k| k.old)),
                get(&t.new_rules, k.and_then(|k| k.new)),
            )
        }
    };
    Values {
        old,
        new,
        moved,
        total,
    }
}

/// The metric in one group.
fn in_group(m: &Metric, g: &GroupTally, lanes: &Lanes) -> Values {
    let (old, new) = match m {
        Metric::Share(l) => {
            let (o, n) = lane_counts(l, lanes, &g.old, &g.new);
            (Frac::ratio(o, g.total), Frac::ratio(n, g.total))
        }
        Metric::Count(l) => {
            let (o, n) = lane_counts(l, lanes, &g.old, &g.new);
            (Some(Frac::int(o)), Some(Frac::int(n)))
        }
        _ => (None, None),
    };
    Values {
        old,
        new,
        moved: g.moved,
        total: g.total,
    }
}

/// Per lane of `lanes.names`: declarations there under each ruleset.
pub(super) fn lane_totals(t: &Tally, lanes: &Lanes) -> (Vec<u64>, Vec<u64>) {
    let n = lanes.names.len();
    let (mut old, mut new) = (vec![0; n], vec![0; n]);
    let nn = lanes.new.len().max(1);
    for (i, c) in t.transitions.iter().enumerate() {
        let (o, w) = (i / nn, i % nn);
        if let Some(x) = lanes.old_of.get(o).and_then(|&u| old.get_mut(u)) {
            *x += c;
        }
        if let Some(x) = lanes.new_of.get(w).and_then(|&u| new.get_mut(u)) {
            *x += c;
        }
    }
    (old, new)
}

/// Declarations whose lane (by name) changed.
pub(super) fn moved(t: &Tally, lanes: &Lanes) -> u64 {
    let nn = lanes.new.len().max(1);
    t.transitions
        .iter()
        .enumerate()
        .filter(|(i, _)| lanes.old_of.get(i / nn) != lanes.new_of.get(i % nn))
        .map(|(_, c)| c)
        .sum()
}

/// What a gate compares with its bound, at one place.
enum Measured {
    /// A number, in the bound's unit.
    Value(Frac),
    /// A relative change from zero to more: above any bound.
    FromZero,
    /// Cannot be computed, and why.
    Unknown(&'static str),
}

/// The gate's measure of `v`, in the bound's unit.
fn measure(gate: &Gate, v: &Values) -> Measured {
    let percent = |f: Frac| f.div(Frac::ratio(1, 100)?);
    let known =
        |f: Option<Frac>| f.map_or(Measured::Unknown("too large to compare"), Measured::Value);
    if gate.metric == Metric::Moved {
        return match gate.unit {
            Unit::Percent => match Frac::ratio(v.moved, v.total) {
                Some(f) => known(percent(f)),
                None => Measured::Unknown("no declarations compared"),
            },
            _ => Measured::Value(Frac::int(v.moved)),
        };
    }
    let (Some(o), Some(n)) = (v.old, v.new) else {
        return Measured::Unknown("cannot be computed (nothing to divide by)");
    };
    match gate.unit {
        Unit::Points => known(n.sub(o).and_then(percent)),
        Unit::Plain => known(n.sub(o)),
        Unit::Percent if o.n == 0 && n.n == 0 => Measured::Value(Frac::int(0)),
        Unit::Percent if o.n == 0 => Measured::FromZero,
        Unit::Percent => known(n.sub(o).and_then(|c| c.div(o)).and_then(percent)),
    }
}

/// Compares one place's values with the gate; a failure when the
/// comparison holds or cannot be made (a gate never passes for want of
/// data).
fn judge(gate: &Gate, v: &Values, group: Option<Vec<String>>) -> Option<Failure> {
    let place = group
        .as_ref()
        .map(|g| {
            format!(
                "{} {}: ",
                gate.at.as_deref().unwrap_or_default(),
                g.join(", ")
            )
        })
        .unwrap_or_default();
    let unit = match gate.unit {
        Unit::Plain => "",
        Unit::Points => "pp",
        Unit::Percent => "%",
    };
    let (fails, value, shown) = match measure(gate, v) {
        Measured::Value(x) => {
            let shown = if gate.metric == Metric::Moved {
                format!("{}{unit}", round2(x.f64()))
            } else {
                format!("{:+}{unit}", round2(x.f64()))
            };
            (gate.op.holds(x.cmp(gate.bound)), Some(x.f64()), shown)
        }
        Measured::FromZero => (
            matches!(gate.op, Op::Gt | Op::Ge),
            None,
            "from zero: above any relative bound".to_string(),
        ),
        Measured::Unknown(why) => (true, None, why.to_string()),
    };
    let side = |x: Option<Frac>| match x {
        None => "-".to_string(),
        Some(f) if gate.metric.is_rate() => format!("{:.2}%", f.f64() * 100.0),
        Some(f) => format!("{}", f.f64()),
    };
    let message = if gate.metric == Metric::Moved {
        format!(
            "{place}{} of {} declarations moved ({shown})",
            v.moved, v.total
        )
    } else {
        format!("{place}{} -> {} ({shown})", side(v.old), side(v.new))
    };
    fails.then(|| Failure {
        group,
        old: v.old.map(Frac::f64),
        new: v.new.map(Frac::f64),
        value,
        message,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_parse() {
        let g = Gate::parse("red.share > +0.5pp at office").unwrap();
        assert_eq!(g.metric, Metric::Share("red".into()));
        assert_eq!(g.op, Op::Gt);
        assert_eq!(g.bound, Frac { n: 5, d: 10 });
        assert_eq!(g.unit, Unit::Points);
        assert_eq!(g.at.as_deref(), Some("office"));
        let g = Gate::parse("rule.VAL-001.x.fired>=+10%").unwrap();
        assert_eq!(g.metric, Metric::Fired("VAL-001.x".into()));
        assert_eq!(g.op, Op::Ge);
        let g = Gate::parse("moved > 100").unwrap();
        assert_eq!(g.metric, Metric::Moved);
        let g = Gate::parse("red.recall < -2pp").unwrap();
        assert_eq!(g.bound, Frac { n: -2, d: 1 });
    }

    #[test]
    fn bad_gates_say_why() {
        for (text, want) in [
            ("red.share +0.5pp", "expected a comparison"),
            ("red.share > 0.5pp", "needs a sign"),
            ("red.share > +0.5", "percentage points"),
            ("red.count > +1pp", "`pp`"),
            ("moved > +3", "already a change"),
            ("red.size > +1", "unknown measure `size`"),
            ("red.share > +x", "bad bound"),
            ("red.share > +1pp by office", "expected `at BY`"),
            ("rule.R1.fired > +1 at office", "`at` applies"),
            ("bogus > 1", "unknown metric"),
        ] {
            let e = Gate::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn fractions_compare_exactly() {
        // 1 of 200 is exactly half a percentage point.
        let c = Frac::ratio(1, 200)
            .unwrap()
            .div(Frac::ratio(1, 100).unwrap())
            .unwrap();
        assert_eq!(c.cmp(parse_number("0.5").unwrap()), Ordering::Equal);
    }
}
