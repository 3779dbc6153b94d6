//! The join: each outcome line is matched with the result of its
//! declaration (held in a map) and counted per rule, office and month,
//! per ruleset fingerprint. Memory: the result map, and counters that grow
//! with rules × offices × months, never with the number of outcomes.

use super::input::{Entry, Interner, Line, Money, ResultRec, Results, at, outcome_line};
use semaforo::Date;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The office key of selections without a result (no office is known).
pub(super) const NO_OFFICE: u32 = u32::MAX;
/// The month key when months are not a dimension.
pub(super) const NO_MONTH: i32 = i32::MIN;

/// Which dimensions rows are split by, besides the rule.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dims {
    pub office: bool,
    pub month: bool,
}

/// Counters of one row (or one rule, or the random sample).
#[derive(Clone, Debug, Default)]
pub(super) struct Cell {
    pub selections: u64,
    pub controls: u64,
    pub hits: u64,
    pub revenue: Money,
    pub overrides: u64,
    pub by_reason: BTreeMap<u32, u64>,
    pub by_type: BTreeMap<u32, u64>,
}

impl Cell {
    fn add(&mut self, r: Option<&ResultRec>) {
        self.selections += 1;
        let Some(r) = r else { return };
        if r.override_lane.is_some() {
            self.overrides += 1;
            if let Some(reason) = r.override_reason {
                *self.by_reason.entry(reason).or_default() += 1;
            }
        }
        if let Some(f) = r.finding {
            self.controls += 1;
            if f {
                self.hits += 1;
                self.revenue = self.revenue.add(Money(i128::from(r.revenue)));
                if let Some(t) = r.finding_type {
                    *self.by_type.entry(t).or_default() += 1;
                }
            }
        }
    }
}

/// One rule's totals over every office and month.
#[derive(Clone, Debug, Default)]
pub(super) struct RuleAcc {
    pub shadow: bool,
    pub sampled: bool,
    pub cell: Cell,
    pub first_selected: Option<Date>,
    pub last_hit: Option<Date>,
}

/// Everything counted for one ruleset fingerprint.
#[derive(Debug, Default)]
pub(super) struct Group {
    pub fingerprint: String,
    /// Position in the order fingerprints were first seen.
    pub order: usize,
    pub name: Option<String>,
    pub version: Option<String>,
    pub outcomes: u64,
    pub with_result: u64,
    pub lane_differs: u64,
    /// (rule, office, month) -> counters.
    pub rows: BTreeMap<(u32, u32, i32), Cell>,
    pub rules: HashMap<u32, RuleAcc>,
    /// Declarations fired by at least one sampled rule.
    pub base: Cell,
    pub base_by_rule: BTreeMap<u32, Cell>,
}

/// Outcomes of a fingerprint other than the one asked for.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Other {
    pub outcomes: u64,
    pub with_result: u64,
}

/// The whole join.
#[derive(Debug)]
pub(super) struct Tally {
    pub names: Interner,
    pub results: Results,
    pub dims: Dims,
    /// The fingerprint (or a prefix of it, lower case) asked for.
    pub target: Option<String>,
    /// By fingerprint; `Group::order` keeps the order first seen.
    pub groups: HashMap<String, Group>,
    pub other: BTreeMap<String, Other>,
    pub outcome_lines: u64,
    pub outcome_rejected: u64,
    pub eval_errors: u64,
    pub duplicate_outcomes: u64,
    pub conflicts: u64,
    /// The latest evaluation or control date seen.
    pub latest: Option<Date>,
    lane_warnings: u64,
}

/// Lane differences printed before they are only counted.
const LANE_WARNINGS: u64 = 10;

/// The month of a date as a sortable number.
pub(super) fn month_key(d: Date) -> i32 {
    let (y, m, _) = d.ymd();
    y * 12 + i32::try_from(m).unwrap_or(0) - 1
}

impl Tally {
    pub(super) fn new(
        names: Interner,
        results: Results,
        dims: Dims,
        target: Option<String>,
    ) -> Tally {
        Tally {
            names,
            results,
            dims,
            target,
            groups: HashMap::new(),
            other: BTreeMap::new(),
            outcome_lines: 0,
            outcome_rejected: 0,
            eval_errors: 0,
            duplicate_outcomes: 0,
            conflicts: 0,
            latest: None,
            lane_warnings: 0,
        }
    }

    /// The group of a fingerprint, created on first use.
    pub(super) fn group(&mut self, fp: &str) -> &mut Group {
        let order = self.groups.len();
        self.groups.entry(fp.to_string()).or_insert_with(|| Group {
            fingerprint: fp.to_string(),
            order,
            ..Group::default()
        })
    }

    fn seen(&mut self, d: Date) {
        self.latest = Some(self.latest.map_or(d, |l| l.max(d)));
    }

    /// Reads one outcome log line by line (never held whole); every line
    /// that cannot be read goes to `report` with its file:line.
    pub(super) fn read_outcomes(
        &mut self,
        path: &Path,
        report: &mut dyn FnMut(String),
        warn: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        use std::io::BufRead;
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            if n == 0 {
                return Ok(());
            }
            line_no += 1;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.outcome_lines += 1;
            match outcome_line(&buf) {
                Ok(Line::EvalError) => self.eval_errors += 1,
                Ok(Line::Outcome {
                    id,
                    lane,
                    fired,
                    monitored,
                    today,
                    ruleset,
                }) => {
                    let fp = ruleset.fingerprint.to_ascii_lowercase();
                    let o = Seen {
                        id: &id,
                        lane: &lane,
                        fired: &fired,
                        monitored: &monitored,
                        today,
                        fp: &fp,
                        name: ruleset.name.as_deref(),
                        version: ruleset.version.as_deref(),
                    };
                    if let Err(e) = self.join(&o, path, line_no, warn) {
                        report(e);
                    }
                }
                Err(e) => {
                    self.outcome_rejected += 1;
                    report(at(path, line_no, e));
                }
            }
        }
    }

    /// Joins one outcome with its result and counts it.
    fn join(
        &mut self,
        o: &Seen<'_>,
        path: &Path,
        line: u64,
        warn: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        if let Some(t) = &self.target
            && !o.fp.starts_with(t.as_str())
        {
            let other = self.other.entry(o.fp.to_string()).or_default();
            other.outcomes += 1;
            if let Some(r) = self.results.get_mut(o.id)
                && !r.matched
            {
                r.matched = true;
                other.with_result += 1;
            }
            return Ok(());
        }
        let mut res = None;
        if let Some(r) = self.results.get_mut(o.id) {
            if r.matched {
                self.duplicate_outcomes += 1;
                return Err(at(
                    path,
                    line,
                    format!(
                        "declaration `{}` has another outcome before this one; the first is joined with its result, this one is not counted",
                        o.id
                    ),
                ));
            }
            r.matched = true;
            let conflict = r
                .fingerprint
                .map(|f| self.names.name(f))
                .filter(|f| !o.fp.starts_with(f));
            if let Some(f) = conflict {
                self.conflicts += 1;
                let where_ = r.line;
                return Err(at(
                    path,
                    line,
                    format!(
                        "declaration `{}` was evaluated by ruleset {}, but its result (line {where_} of its file) names fingerprint {f}; neither is counted",
                        o.id,
                        short(o.fp)
                    ),
                ));
            }
            res = Some(r.clone());
        }
        self.seen(o.today);
        if let Some(r) = &res {
            self.seen(r.date);
        }
        let dims = self.dims;
        let applied = res.as_ref().map(|r| self.names.name(r.lane).to_string());
        let fired: Vec<(u32, bool)> = o
            .fired
            .iter()
            .map(|e| (self.names.id(&e.id), e.draw.is_some()))
            .collect();
        let monitored: Vec<u32> = o.monitored.iter().map(|e| self.names.id(&e.id)).collect();
        let g = self.group(o.fp);
        if g.name.is_none() {
            g.name = o.name.map(str::to_string);
            g.version = o.version.map(str::to_string);
        }
        g.outcomes += 1;
        let mut lane_differs = false;
        if let Some(lane) = &applied {
            g.with_result += 1;
            if lane != o.lane {
                g.lane_differs += 1;
                lane_differs = true;
            }
        }
        let r = res.as_ref();
        let office = if dims.office {
            r.map_or(NO_OFFICE, |r| r.office)
        } else {
            NO_OFFICE
        };
        let month = if dims.month {
            month_key(o.today)
        } else {
            NO_MONTH
        };
        let mut sampled = false;
        let entries = fired
            .iter()
            .map(|&(rule, s)| (rule, s, false))
            .chain(monitored.iter().map(|&rule| (rule, false, true)));
        for (rule, is_sampled, shadow) in entries {
            g.rows.entry((rule, office, month)).or_default().add(r);
            let acc = g.rules.entry(rule).or_default();
            acc.shadow |= shadow;
            acc.sampled |= is_sampled;
            acc.cell.add(r);
            acc.first_selected = Some(acc.first_selected.map_or(o.today, |d| d.min(o.today)));
            if let Some(rr) = r.filter(|rr| rr.finding == Some(true)) {
                acc.last_hit = Some(acc.last_hit.map_or(rr.date, |d| d.max(rr.date)));
            }
            if is_sampled {
                sampled = true;
                g.base_by_rule.entry(rule).or_default().add(r);
            }
        }
        if sampled {
            g.base.add(r);
        }
        if lane_differs {
            self.lane_warnings += 1;
            if self.lane_warnings <= LANE_WARNINGS {
                warn(at(
                    path,
                    line,
                    format!(
                        "declaration `{}`: the outcome's lane is `{}`, its result says `{}` was applied",
                        o.id,
                        o.lane,
                        applied.unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Results never joined with an outcome, as (file, line, id), in file order.
    pub(super) fn unmatched(&self) -> Vec<(u32, u64, &str)> {
        let mut v: Vec<(u32, u64, &str)> = self
            .results
            .iter()
            .filter(|(_, r)| !r.matched)
            .map(|(id, r)| (r.file, r.line, id))
            .collect();
        v.sort_unstable();
        v
    }

    /// How many lane differences were not printed.
    pub(super) fn lane_warnings_left(&self) -> u64 {
        self.lane_warnings.saturating_sub(LANE_WARNINGS)
    }
}

/// One outcome line, read.
struct Seen<'a> {
    id: &'a str,
    lane: &'a str,
    fired: &'a [Entry<'a>],
    monitored: &'a [Entry<'a>],
    today: Date,
    fp: &'a str,
    name: Option<&'a str>,
    version: Option<&'a str>,
}

/// The first 12 hex digits of a fingerprint.
pub(super) fn short(fp: &str) -> &str {
    fp.get(..12).unwrap_or(fp)
}

/// The date `n` months before `d` (the day clamped to the month's length).
pub(super) fn months_before(d: Date, n: u32) -> Option<Date> {
    let (y, m, day) = d.ymd();
    let total = i64::from(y) * 12 + i64::from(m) - 1 - i64::from(n);
    let (y, m) = (
        i32::try_from(total.div_euclid(12)).ok()?,
        u32::try_from(total.rem_euclid(12)).ok()? + 1,
    );
    (1..=day).rev().find_map(|dd| Date::from_ymd(y, m, dd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_before_clamps_the_day() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(months_before(d("2026-08-31"), 6), Some(d("2026-02-28")));
        assert_eq!(months_before(d("2026-03-15"), 6), Some(d("2025-09-15")));
        assert_eq!(months_before(d("2026-03-15"), 0), Some(d("2026-03-15")));
    }
}
