//! What evaluating one declaration decides (SPEC §3.5).

/// One fired rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    /// The rule's index in ruleset order.
    pub rule: u32,
    /// For a sampled rule, its draw (`hash % 1_000_000`), so an auditor can
    /// replay it.
    pub draw: Option<u32>,
}

/// The decision for one declaration. Created empty, filled by evaluation,
/// reused from one declaration to the next (its vectors keep their
/// capacity, so evaluation does not allocate after warm-up).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Index of the lane (0 = the default, least severe).
    pub lane: u16,
    /// Sum of the scores of the fired rules.
    pub score: i64,
    /// Fired rules in ruleset order.
    pub fired: Vec<Fired>,
    /// Active rules whose condition was unknown, in ruleset order.
    pub undetermined: Vec<u32>,
}

impl Outcome {
    /// Empties the outcome, keeping capacity.
    pub fn clear(&mut self) {
        self.lane = 0;
        self.score = 0;
        self.fired.clear();
        self.undetermined.clear();
    }
}
