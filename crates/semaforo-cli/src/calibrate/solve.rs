//! The thresholds themselves: exact integer arithmetic over a histogram of
//! (score, forced lane) pairs.
//!
//! For a lane `L` with threshold `N`, when every more severe lane's
//! threshold is above `N`, the declarations in `L` or a more severe lane
//! are
//!
//! `f(N) = #{forced lane ≥ L} + #{forced lane < L and score ≥ N}`
//!
//! (a declaration at or above a more severe threshold is also at or above
//! `N`). So, once the thresholds increase strictly, each lane's rate
//! depends on its own threshold alone. `f` never increases with `N`, so
//! the smallest `N` with `f(N) ≤ t` is one above the highest score at
//! which the condition fails, or the lowest score of the history when it
//! never fails; when the forced lanes alone exceed the target, it is one
//! above the highest score (no declaration reaches it by score).
//!
//! Lanes are then taken from the least severe up: a lane whose smallest
//! threshold is not above the previous lane's is raised to one above it.
//! Raising a threshold only lowers its lane's rate, so every target the
//! forced lanes allow is met; the raised lane selects less than its
//! target allows, and the report says so.

use std::collections::BTreeMap;

/// Declarations of one group, counted by score and forced lane, and by
/// the lane the ruleset gave them as it is.
#[derive(Clone, Debug, Default)]
pub(super) struct Hist {
    /// Declarations counted.
    pub n: u64,
    /// For each score, the declarations by forced lane (index = lane).
    pub by_score: BTreeMap<i64, Vec<u64>>,
    /// Declarations by the lane the ruleset gave them (its own thresholds).
    pub current: Vec<u64>,
}

impl Hist {
    /// Counts one declaration.
    pub(super) fn add(&mut self, score: i64, forced: u16, current: u16, lanes: usize) {
        self.n += 1;
        let row = self.by_score.entry(score).or_insert_with(|| vec![0; lanes]);
        if let Some(c) = row.get_mut(usize::from(forced)) {
            *c += 1;
        }
        if self.current.len() < lanes {
            self.current.resize(lanes, 0);
        }
        if let Some(c) = self.current.get_mut(usize::from(current)) {
            *c += 1;
        }
    }

    /// Adds another histogram's counts.
    pub(super) fn merge(&mut self, other: &Hist) {
        self.n += other.n;
        for (s, row) in &other.by_score {
            let mine = self
                .by_score
                .entry(*s)
                .or_insert_with(|| vec![0; row.len()]);
            if mine.len() < row.len() {
                mine.resize(row.len(), 0);
            }
            for (m, o) in mine.iter_mut().zip(row) {
                *m += o;
            }
        }
        if self.current.len() < other.current.len() {
            self.current.resize(other.current.len(), 0);
        }
        for (m, o) in self.current.iter_mut().zip(&other.current) {
            *m += o;
        }
    }

    /// Declarations whose forced lane is `lane` or more severe.
    pub(super) fn forced_at_least(&self, lane: u16) -> u64 {
        self.by_score
            .values()
            .map(|row| row.iter().skip(usize::from(lane)).sum::<u64>())
            .sum()
    }

    /// Declarations the ruleset as it is puts in `lane` or a more severe one.
    pub(super) fn current_at_least(&self, lane: u16) -> u64 {
        self.current.iter().skip(usize::from(lane)).sum()
    }

    /// `f(N)`: declarations in `lane` or a more severe one when `lane`'s
    /// threshold is `n` (and more severe thresholds are above `n`).
    pub(super) fn at_least(&self, lane: u16, n: i64) -> u64 {
        let below = |row: &Vec<u64>| row.iter().take(usize::from(lane)).sum::<u64>();
        self.forced_at_least(lane) + self.by_score.range(n..).map(|(_, r)| below(r)).sum::<u64>()
    }
}

/// A target: at most `ppm` millionths of the declarations in `lane` or a
/// more severe one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Target {
    /// The lane's index (never 0, the default lane).
    pub lane: u16,
    /// The share, in millionths (a percentage × 10,000).
    pub ppm: u32,
}

/// Why a target is not met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unmet {
    /// The forced lanes alone put more declarations there.
    Forced,
    /// A group below `--min-group`: the general thresholds give it more.
    General,
}

/// One lane's calibrated threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Solved {
    /// The target.
    pub target: Target,
    /// The threshold.
    pub threshold: i64,
    /// The smallest threshold meeting the target, before the order of the
    /// lanes was enforced (`threshold` is above it when raised).
    pub smallest: i64,
    /// Declarations in the lane or a more severe one with it.
    pub achieved: u64,
    /// `None` when the target is met.
    pub unmet: Option<Unmet>,
}

/// `count / n ≤ ppm / 1,000,000`, exactly.
pub(super) fn within(count: u64, n: u64, ppm: u32) -> bool {
    u128::from(count) * 1_000_000 <= u128::from(ppm) * u128::from(n)
}

/// Calibrates the thresholds of `targets` on `h`. The result is in order
/// of decreasing severity; `None` when `h` is empty.
pub(super) fn solve(h: &Hist, targets: &[Target]) -> Option<Vec<Solved>> {
    let (&min, _) = h.by_score.first_key_value()?;
    let (&max, _) = h.by_score.last_key_value()?;
    let mut sorted = targets.to_vec();
    sorted.sort_by_key(|t| t.lane);
    let mut out: Vec<Solved> = Vec::with_capacity(sorted.len());
    for t in sorted {
        let smallest = smallest(h, t, min, max);
        let threshold = match out.last() {
            Some(prev) if smallest <= prev.threshold => prev.threshold.saturating_add(1),
            _ => smallest,
        };
        let achieved = h.at_least(t.lane, threshold);
        out.push(Solved {
            target: t,
            threshold,
            smallest,
            achieved,
            unmet: (!within(achieved, h.n, t.ppm)).then_some(Unmet::Forced),
        });
    }
    out.reverse();
    Some(out)
}

/// The smallest `N` with `f(N) ≤ t`, or one above the highest score when
/// there is none (the forced lanes alone exceed the target), or the
/// lowest score when every declaration fits.
fn smallest(h: &Hist, t: Target, min: i64, max: i64) -> i64 {
    let mut count = h.forced_at_least(t.lane);
    if !within(count, h.n, t.ppm) {
        return max.saturating_add(1);
    }
    for (&s, row) in h.by_score.iter().rev() {
        count += row.iter().take(usize::from(t.lane)).sum::<u64>();
        if !within(count, h.n, t.ppm) {
            return s.saturating_add(1);
        }
    }
    min
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    const LANES: usize = 3; // green, yellow, red

    fn hist(decls: &[(i64, u16)]) -> Hist {
        let mut h = Hist::default();
        for &(s, f) in decls {
            h.add(s, f, f, LANES);
        }
        h
    }

    fn t(lane: u16, percent: u32) -> Target {
        Target {
            lane,
            ppm: percent * 10_000,
        }
    }

    #[test]
    fn uniform_scores() {
        let h = hist(&(1..=100).map(|s| (s, 0)).collect::<Vec<_>>());
        let r = solve(&h, &[t(1, 15), t(2, 5)]).unwrap();
        assert_eq!((r[0].threshold, r[0].achieved, r[0].unmet), (96, 5, None));
        assert_eq!((r[1].threshold, r[1].achieved, r[1].unmet), (86, 15, None));
    }

    #[test]
    fn forced_lanes_count() {
        // 10 forced red among scores 1..=100: red=15% leaves 5 for scores.
        let h = hist(
            &(1..=100)
                .map(|s| (s, if s % 10 == 0 { 2 } else { 0 }))
                .collect::<Vec<_>>(),
        );
        let r = solve(&h, &[t(2, 15)]).unwrap();
        // Scores 100, 90 are forced; non-forced from the top: 99..95 = 5.
        assert_eq!((r[0].threshold, r[0].achieved), (95, 15));
    }

    #[test]
    fn forced_alone_exceed() {
        let h = hist(&[(1, 2), (2, 2), (3, 0), (4, 0)]);
        let r = solve(&h, &[t(2, 25)]).unwrap();
        assert_eq!(r[0].threshold, 5);
        assert_eq!(r[0].achieved, 2);
        assert_eq!(r[0].unmet, Some(Unmet::Forced));
    }

    #[test]
    fn conflicting_targets_raise_the_severe_lane() {
        let h = hist(&(1..=100).map(|s| (s, 0)).collect::<Vec<_>>());
        // yellow-or-red at most 3% while red alone may take 5%: red is
        // raised above yellow, both met.
        let r = solve(&h, &[t(1, 3), t(2, 5)]).unwrap();
        assert_eq!((r[1].threshold, r[1].achieved, r[1].unmet), (98, 3, None));
        assert_eq!((r[0].threshold, r[0].smallest), (99, 96));
        assert_eq!((r[0].achieved, r[0].unmet), (2, None));
    }

    #[test]
    fn everything_fits() {
        let h = hist(&[(-3, 0), (7, 0)]);
        let r = solve(&h, &[t(2, 100)]).unwrap();
        assert_eq!((r[0].threshold, r[0].achieved, r[0].unmet), (-3, 2, None));
        assert!(solve(&Hist::default(), &[t(2, 5)]).is_none());
    }

    #[test]
    fn ties_are_not_split() {
        // Ten declarations at score 50 and ninety at 0: a 5% target
        // cannot take half of the tie.
        let mut d = vec![(50, 0); 10];
        d.extend(vec![(0, 0); 90]);
        let r = solve(&hist(&d), &[t(2, 5)]).unwrap();
        assert_eq!((r[0].threshold, r[0].achieved), (51, 0));
    }
}
