//! What evaluating one declaration decides (SPEC §3.5, §3.9).

/// One fired rule (or, in [`Outcome::monitored`], a shadow rule that would
/// have fired).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    /// The rule's index in ruleset order.
    pub rule: u32,
    /// For a sampled rule, its draw (`hash % 1_000_000`), so an auditor can
    /// replay it.
    pub draw: Option<u32>,
    /// For a rule with a lane split, its lane draw (over `0x1E`), made
    /// whether or not it chose a lane.
    pub lane_draw: Option<u32>,
    /// The lane action in effect: the rule's `lane`, or the lane its split
    /// chose; `None` without one (or when the draw fell past the split).
    pub lane: Option<u16>,
    /// The rule's contribution to the score: its `score` rounded half to
    /// even and clamped to ±1,000,000; 0 without one or when the score
    /// expression is *missing*.
    pub points: i64,
}

/// A package's rule whose `override` applied to this declaration: it fired
/// as adjusted, or would have fired as its package defines it, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overridden {
    /// The rule's index in ruleset order.
    pub rule: u32,
    /// The rule as its package defines it would have fired (active on the
    /// evaluation date by its own window, condition *true*, draw selected).
    pub original: bool,
    /// The rule fired as the override makes it (always `false` for
    /// `disable`); it is then in `fired` (or `monitored`) too.
    pub applied: bool,
}

/// The decision for one declaration. Created empty, filled by evaluation,
/// reused from one declaration to the next (its vectors keep their
/// capacity, so evaluation does not allocate after warm-up).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Index of the lane (0 = the default, least severe).
    pub lane: u16,
    /// Sum of the points of the fired rules.
    pub score: i64,
    /// Fired rules in ruleset order (never a shadow rule).
    pub fired: Vec<Fired>,
    /// Active rules whose condition was unknown, in ruleset order (never a
    /// shadow rule).
    pub undetermined: Vec<u32>,
    /// Shadow rules (`monitor`) that would have fired, in ruleset order,
    /// with their draws and points; they change nothing else.
    pub monitored: Vec<Fired>,
    /// Rules whose override applied and that fired either way, in ruleset
    /// order (see [`Overridden`]).
    pub overridden: Vec<Overridden>,
}

impl Outcome {
    /// Empties the outcome, keeping capacity.
    pub fn clear(&mut self) {
        self.lane = 0;
        self.score = 0;
        self.fired.clear();
        self.undetermined.clear();
        self.monitored.clear();
        self.overridden.clear();
    }
}
