//! The running totals of a diff: counters only, whose size depends on the
//! two rulesets (lanes, rules) and on the number of groups (capped by
//! `--max-groups`), never on the number of declarations.

use super::group::{ByCol, BySpec, ByValue, label};
use semaforo::{Outcome, Ruleset};
use std::collections::BTreeMap;

/// The lanes of both rulesets, matched by name.
///
/// INVARIANT (union order): `names` holds the old ruleset's lanes in its
/// order of severity, then the lanes only the new ruleset has, in its
/// order; `old_of`/`new_of` map each side's lane index into `names`.
#[derive(Debug)]
pub(super) struct Lanes {
    /// Every lane name of either ruleset.
    pub names: Vec<String>,
    /// Old lane index -> index in `names`.
    pub old_of: Vec<usize>,
    /// New lane index -> index in `names`.
    pub new_of: Vec<usize>,
    /// The old ruleset's lane names, least severe first.
    pub old: Vec<String>,
    /// The new ruleset's lane names, least severe first.
    pub new: Vec<String>,
}

impl Lanes {
    /// Matches the lanes of `old` and `new` by name.
    pub(super) fn new(old: &Ruleset, new: &Ruleset) -> Lanes {
        let old: Vec<String> = old.lanes().iter().map(|l| l.to_string()).collect();
        let new: Vec<String> = new.lanes().iter().map(|l| l.to_string()).collect();
        let mut names = old.clone();
        let new_of = new
            .iter()
            .map(|l| match names.iter().position(|n| n == l) {
                Some(i) => i,
                None => {
                    names.push(l.clone());
                    names.len() - 1
                }
            })
            .collect();
        Lanes {
            old_of: (0..old.len()).collect(),
            names,
            new_of,
            old,
            new,
        }
    }

    /// The index of lane `name` in the old ruleset, if it has it.
    pub(super) fn in_old(&self, name: &str) -> Option<usize> {
        self.old.iter().position(|l| l == name)
    }

    /// The index of lane `name` in the new ruleset, if it has it.
    pub(super) fn in_new(&self, name: &str) -> Option<usize> {
        self.new.iter().position(|l| l == name)
    }
}

/// One rule of either ruleset, matched by id.
#[derive(Debug)]
pub(super) struct RuleKey {
    /// The rule's id.
    pub id: String,
    /// Its title (the new one when both have the rule).
    pub title: String,
    /// Its index in the old ruleset.
    pub old: Option<usize>,
    /// Its index in the new ruleset.
    pub new: Option<usize>,
    /// It is a shadow rule (`monitor`) in the old ruleset.
    pub old_monitor: bool,
    /// It is a shadow rule in the new ruleset.
    pub new_monitor: bool,
    /// A national `override` applies to it in the old ruleset.
    pub old_overridden: bool,
    /// In the new ruleset.
    pub new_overridden: bool,
}

/// The rules of both rulesets: the old ones in order, then those only the
/// new one has.
pub(super) fn rule_keys(old: &Ruleset, new: &Ruleset) -> Vec<RuleKey> {
    let mut keys: Vec<RuleKey> = old
        .rules()
        .enumerate()
        .map(|(i, r)| RuleKey {
            id: r.id.to_string(),
            title: r.title.to_string(),
            old: Some(i),
            new: None,
            old_monitor: r.monitor,
            new_monitor: false,
            old_overridden: r.overlay.is_some(),
            new_overridden: false,
        })
        .collect();
    let by_id: std::collections::HashMap<String, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.id.clone(), i))
        .collect();
    for (i, r) in new.rules().enumerate() {
        match by_id.get(r.id).and_then(|&k| keys.get_mut(k)) {
            Some(k) => {
                k.new = Some(i);
                k.new_monitor = r.monitor;
                k.new_overridden = r.overlay.is_some();
                r.title.clone_into(&mut k.title);
            }
            None => keys.push(RuleKey {
                id: r.id.to_string(),
                title: r.title.to_string(),
                old: None,
                new: Some(i),
                old_monitor: false,
                new_monitor: r.monitor,
                old_overridden: false,
                new_overridden: r.overlay.is_some(),
            }),
        }
    }
    keys
}

/// Declaration counts.
#[derive(serde::Serialize, Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// Declarations (or unreadable lines) read.
    pub read: u64,
    /// Declarations rejected by either ruleset (left out of every
    /// comparison).
    pub rejected: u64,
    /// Of which rejected by the old ruleset.
    pub rejected_old: u64,
    /// Of which rejected by the new ruleset.
    pub rejected_new: u64,
    /// Declarations evaluated by both: every number below counts these.
    pub compared: u64,
}

/// Lane counts of one group.
#[derive(Debug, Clone)]
pub(super) struct GroupTally {
    /// Declarations compared in the group.
    pub total: u64,
    /// Per lane of [`Lanes::names`], under the old ruleset.
    pub old: Vec<u64>,
    /// The same under the new ruleset.
    pub new: Vec<u64>,
    /// Declarations whose lane changed.
    pub moved: u64,
}

/// The label of the group that takes every value past `--max-groups`.
pub(super) const OTHER: &str = "(other)";

/// One `--by` breakdown.
#[derive(Debug)]
pub(super) struct Breakdown {
    /// The option as given.
    pub spec: BySpec,
    /// Where each part's value is read.
    pub cols: Vec<ByCol>,
    /// Groups by their labels (one per part).
    pub groups: BTreeMap<Vec<String>, GroupTally>,
    /// Declarations put in `(other)` because `--max-groups` was reached.
    pub overflow: u64,
}

/// Precision and recall counters of one side, per lane index of that
/// side: declarations at that lane or a more severe one are *selected*.
#[derive(Debug, Clone)]
pub(super) struct Selection {
    /// Selected declarations with a known result.
    pub selected: Vec<u64>,
    /// Of which with a finding.
    pub hits: Vec<u64>,
}

impl Selection {
    fn new(n: usize) -> Selection {
        Selection {
            selected: vec![0; n],
            hits: vec![0; n],
        }
    }

    fn add(&mut self, lane: usize, finding: bool) {
        for l in 0..=lane {
            bump(&mut self.selected, l);
            if finding {
                bump(&mut self.hits, l);
            }
        }
    }
}

/// Fired, undetermined, monitored and overridden counts of one side, per
/// rule index.
#[derive(Debug, Clone)]
pub(super) struct RuleCounts {
    /// Declarations each rule fired on.
    pub fired: Vec<u64>,
    /// Declarations where each rule's condition was unknown.
    pub undetermined: Vec<u64>,
    /// Declarations each shadow rule (`monitor`) would have fired on.
    pub monitored: Vec<u64>,
    /// Declarations with an `overridden` entry for each rule: its national
    /// override applied and it fired as the package defines it, as
    /// overridden, or both.
    pub overridden: Vec<u64>,
}

impl RuleCounts {
    fn new(n: usize) -> RuleCounts {
        RuleCounts {
            fired: vec![0; n],
            undetermined: vec![0; n],
            monitored: vec![0; n],
            overridden: vec![0; n],
        }
    }

    fn add(&mut self, o: &Outcome) {
        for f in &o.fired {
            bump(&mut self.fired, f.rule as usize);
        }
        for f in &o.monitored {
            bump(&mut self.monitored, f.rule as usize);
        }
        for &u in &o.undetermined {
            bump(&mut self.undetermined, u as usize);
        }
        for x in &o.overridden {
            bump(&mut self.overridden, x.rule as usize);
        }
    }
}

/// The running totals.
#[derive(Debug)]
pub(super) struct Tally {
    /// Declaration counts.
    pub counts: Counts,
    /// Warnings (CSV rows disagreeing with their declaration's first row,
    /// `--by` values that are not dates or not values).
    pub warnings: u64,
    /// `old lane * new lanes + new lane` (each side's own indices).
    pub transitions: Vec<u64>,
    /// Rules of the old ruleset.
    pub old_rules: RuleCounts,
    /// Rules of the new ruleset.
    pub new_rules: RuleCounts,
    /// Compared declarations with a known inspection result.
    pub labelled: u64,
    /// Of which with a finding.
    pub positives: u64,
    /// Selection counters of the old ruleset (old lane indices).
    pub old_sel: Selection,
    /// Selection counters of the new ruleset (new lane indices).
    pub new_sel: Selection,
    /// One per `--by`.
    pub breakdowns: Vec<Breakdown>,
    /// The most groups a breakdown keeps.
    max_groups: usize,
    nnew: usize,
}

fn bump(v: &mut [u64], i: usize) {
    if let Some(x) = v.get_mut(i) {
        *x += 1;
    }
}

impl Tally {
    /// Empty totals for two rulesets and the breakdowns asked for.
    pub(super) fn new(
        lanes: &Lanes,
        (old, new): (&Ruleset, &Ruleset),
        breakdowns: Vec<(BySpec, Vec<ByCol>)>,
        max_groups: usize,
    ) -> Tally {
        let (no, nn) = (lanes.old.len(), lanes.new.len());
        Tally {
            counts: Counts::default(),
            warnings: 0,
            transitions: vec![0; no * nn],
            old_rules: RuleCounts::new(old.rules().len()),
            new_rules: RuleCounts::new(new.rules().len()),
            labelled: 0,
            positives: 0,
            old_sel: Selection::new(no),
            new_sel: Selection::new(nn),
            breakdowns: breakdowns
                .into_iter()
                .map(|(spec, cols)| Breakdown {
                    spec,
                    cols,
                    groups: BTreeMap::new(),
                    overflow: 0,
                })
                .collect(),
            max_groups: max_groups.max(1),
            nnew: nn,
        }
    }

    /// Counts one declaration both rulesets evaluated, in every total
    /// but the breakdowns (see [`Tally::add_groups`]).
    pub(super) fn add(&mut self, (old, new): (&Outcome, &Outcome), label: Option<bool>) {
        self.counts.compared += 1;
        let (ol, nl) = (usize::from(old.lane), usize::from(new.lane));
        bump(&mut self.transitions, ol * self.nnew + nl);
        self.old_rules.add(old);
        self.new_rules.add(new);
        if let Some(finding) = label {
            self.labelled += 1;
            self.positives += u64::from(finding);
            self.old_sel.add(ol, finding);
            self.new_sel.add(nl, finding);
        }
    }

    /// Counts one compared declaration, in lanes `old` and `new` (each
    /// side's index), in its group of every breakdown: `by` holds its
    /// labels, one list per breakdown. Called in input order, so the
    /// groups `--max-groups` keeps do not depend on the thread count.
    pub(super) fn add_groups(&mut self, lanes: &Lanes, (old, new): (u16, u16), by: &[Vec<String>]) {
        let (ou, nu) = (
            lanes.old_of.get(usize::from(old)).copied().unwrap_or(0),
            lanes.new_of.get(usize::from(new)).copied().unwrap_or(0),
        );
        let n = lanes.names.len();
        let max = self.max_groups;
        for (b, key) in self.breakdowns.iter_mut().zip(by) {
            let g = group_of(b, key, n, max);
            g.total += 1;
            bump(&mut g.old, ou);
            bump(&mut g.new, nu);
            g.moved += u64::from(ou != nu);
        }
    }

    /// Adds another tally's totals (a worker's), breakdowns excepted.
    pub(super) fn merge(&mut self, o: &Tally) {
        let c = &mut self.counts;
        c.read += o.counts.read;
        c.rejected += o.counts.rejected;
        c.rejected_old += o.counts.rejected_old;
        c.rejected_new += o.counts.rejected_new;
        c.compared += o.counts.compared;
        self.warnings += o.warnings;
        self.labelled += o.labelled;
        self.positives += o.positives;
        add_all(&mut self.transitions, &o.transitions);
        for (a, b) in [
            (&mut self.old_rules, &o.old_rules),
            (&mut self.new_rules, &o.new_rules),
        ] {
            add_all(&mut a.fired, &b.fired);
            add_all(&mut a.undetermined, &b.undetermined);
            add_all(&mut a.monitored, &b.monitored);
            add_all(&mut a.overridden, &b.overridden);
        }
        for (a, b) in [
            (&mut self.old_sel, &o.old_sel),
            (&mut self.new_sel, &o.new_sel),
        ] {
            add_all(&mut a.selected, &b.selected);
            add_all(&mut a.hits, &b.hits);
        }
    }
}

/// `a[i] += b[i]` (the two come from the same rulesets, so have one length).
fn add_all(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The group `key` of breakdown `b`, created when new and there is room,
/// else `(other)`.
fn group_of<'b>(b: &'b mut Breakdown, key: &[String], n: usize, max: usize) -> &'b mut GroupTally {
    let fresh = || GroupTally {
        total: 0,
        old: vec![0; n],
        new: vec![0; n],
        moved: 0,
    };
    let key = if b.groups.contains_key(key) || b.groups.len() < max {
        key.to_vec()
    } else {
        b.overflow += 1;
        vec![OTHER.to_string(); key.len()]
    };
    b.groups.entry(key).or_insert_with(fresh)
}

/// The group labels of one declaration under `spec`, with a warning for
/// each value that is not what was asked for.
pub(super) fn labels(
    spec: &BySpec,
    values: &[ByValue],
    warn: &mut dyn FnMut(String),
) -> Vec<String> {
    spec.parts
        .iter()
        .zip(values)
        .map(|(part, v)| match label(v, part.bucket) {
            Ok(l) => l,
            Err((l, why)) => {
                warn(format!(
                    "`--by {}`: column `{}`: {why}",
                    spec.text, part.column
                ));
                l
            }
        })
        .collect()
}
