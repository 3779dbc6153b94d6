//! Explaining a decision: the interpreter of the checked program, traced.
//!
//! [`Ruleset::explain`] evaluates one declaration with
//! `semaforo_compile::interp`, the interpreter of the checked form
//! (`hir::Program`) that is also the reference the differential tests
//! compare the plan with, and records what it hands to its [`Trace`]: the
//! value of every sub-expression, each comparison or test with the operands
//! it saw, each quantifier with the result per element, each rule's active
//! window, sample draw and verdict, then the score, the thresholds reached
//! and the lane. This module only turns that trace into an [`Explanation`];
//! the meaning of the language lives in the interpreter alone.
//!
//! It is not the hot path: it allocates freely, but within bounds: a
//! quantifier evaluates and counts every element and keeps the trace of at
//! most [`Step::ELEMENT_DETAIL`] elements of each result, so an
//! explanation's size does not grow with the number of elements; named
//! lists and tables are looked up in sets and maps the interpreter builds
//! once per explanation, not scanned per test. Its verdict (fired,
//! undetermined, score, lane) is checked against [`Ruleset::evaluate`] on
//! the plan on every call ([`Explanation::verdict_agrees`]); the tests
//! check that on the regional example and on random programs.

use crate::ruleset::{Context, Declaration, Ruleset};
use crate::source::Sources;
use semaforo_compile::hir::{
    Expr, ExprKind, LaneAction, LaneId, Program, RuleDef, Scalar, Score, TableId, Type,
};
use semaforo_compile::interp::{Among, Detail, Interpreter, RuleVerdict, Trace, Value};
use semaforo_compile::lower::Externals;
use semaforo_plan::{Date, Decimal, Fired, Node, Outcome, Overridden, SamplingKey, Slot};
use semaforo_syntax::Span;
use std::fmt;

/// A Kleene truth value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Truth {
    /// *true*.
    True,
    /// *false*.
    False,
    /// *unknown* (data missing).
    Unknown,
}

impl Truth {
    fn from_option(b: Option<bool>) -> Truth {
        match b {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => Truth::Unknown,
        }
    }

    /// `true`, `false` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Truth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value a sub-expression had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplainedValue {
    /// Missing data; for a condition, *unknown*.
    Missing,
    /// A boolean (a condition's *true* or *false*).
    Bool(bool),
    /// An exact decimal.
    Number(Decimal),
    /// A date.
    Date(Date),
    /// Text.
    Text(String),
    /// A record list with this many elements.
    Records(usize),
}

impl ExplainedValue {
    /// The value as a truth value: a boolean, or *unknown* for anything else.
    pub fn truth(&self) -> Truth {
        match self {
            ExplainedValue::Bool(b) => Truth::from_option(Some(*b)),
            _ => Truth::Unknown,
        }
    }
}

impl fmt::Display for ExplainedValue {
    /// `missing`, `true`, `12.5`, `2026-06-01`, `"CN"` (a JSON-style string),
    /// `3 elements`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExplainedValue::Missing => f.write_str("missing"),
            ExplainedValue::Bool(b) => write!(f, "{b}"),
            ExplainedValue::Number(n) => write!(f, "{n}"),
            ExplainedValue::Date(d) => write!(f, "{d}"),
            ExplainedValue::Text(t) => write!(f, "{}", quote(t)),
            ExplainedValue::Records(1) => f.write_str("1 element"),
            ExplainedValue::Records(n) => write!(f, "{n} elements"),
        }
    }
}

/// `s` as a double-quoted string with `"`, `\` and control characters escaped.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    crate::ruleset::json_str(&mut out, s);
    out
}

/// One evaluated sub-expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Its source text (from its span; empty when the program has no
    /// sources, as for generated programs).
    pub text: String,
    /// Where it is written.
    pub span: Span,
    /// True if it is a condition (type `bool`): its value is a truth value,
    /// and *missing* means *unknown*.
    pub condition: bool,
    /// True for a literal, whose text already is its value.
    pub constant: bool,
    /// Its value.
    pub value: ExplainedValue,
    /// What decided a test or lookup, when there is more to say than the
    /// value: ``matched `6403` ``, ``no entry of `footwear` matched``.
    pub detail: Option<String>,
    /// Its operands, in source order.
    pub operands: Vec<Step>,
    /// For a quantifier or aggregate: the body evaluated for some of the
    /// elements, in index order: at most [`Step::ELEMENT_DETAIL`] of each
    /// result (see [`Step::elements_with`]), so that an explanation's size
    /// does not grow with the number of elements.
    pub elements: Vec<ElementStep>,
    /// For a quantifier or aggregate: how many elements its list had
    /// (0 for a missing list).
    pub element_total: usize,
    /// How many element bodies were *true*, *false*, *unknown* (for a body
    /// that is a value, not a condition: 0, 0 and the missing values).
    element_counts: [usize; 3],
}

impl Step {
    /// The most elements of each result a quantifier keeps in full in
    /// [`Step::elements`]: for a condition body, the first ones that were
    /// *true*, the first *false* and the first *unknown*; for a value body
    /// (`sum`, `min`, `max`), the first ones with a value, the first
    /// missing ones, and for `min`/`max` the element that gave the result.
    pub const ELEMENT_DETAIL: usize = 10;

    /// How many element bodies of a quantifier had this result (for a
    /// value body, `Truth::Unknown` counts the missing values).
    pub fn elements_with(&self, t: Truth) -> usize {
        let i = match t {
            Truth::True => 0,
            Truth::False => 1,
            Truth::Unknown => 2,
        };
        self.element_counts.get(i).copied().unwrap_or(0)
    }

    /// The value as a truth value (for conditions).
    pub fn truth(&self) -> Truth {
        self.value.truth()
    }

    /// The value as text: the truth value for conditions (`unknown` for a
    /// missing one), else the value.
    pub fn shown(&self) -> String {
        if self.condition {
            self.truth().to_string()
        } else {
            self.value.to_string()
        }
    }
}

/// A quantifier's body evaluated for one element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementStep {
    /// The element's position in its list, from 0.
    pub index: usize,
    /// The element written as the list's text and the index: `items[2]`.
    pub label: String,
    /// The body's evaluation for this element.
    pub body: Step,
}

/// The sample draw of a sampled rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleDraw {
    /// The cut-off in millionths (`round(percent × 10_000)`).
    pub cutoff: u32,
    /// The draw, `hash % 1_000_000`.
    pub draw: u32,
    /// `draw < cutoff`.
    pub selected: bool,
}

/// One rule's part in the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleExplanation {
    /// The rule's position in the ruleset.
    pub index: u32,
    /// The rule's id.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// First active day, inclusive.
    pub active_from: Option<Date>,
    /// Last active day, inclusive.
    pub active_to: Option<Date>,
    /// Active on the evaluation date.
    pub active: bool,
    /// The traced `when` condition; `None` if the rule has none or is not
    /// active (then it is not evaluated).
    pub when: Option<Step>,
    /// The condition's truth value (*true* without a `when`); `None` when the
    /// rule is not active.
    pub condition: Option<Truth>,
    /// The draw, for an active sampled rule.
    pub sample: Option<SampleDraw>,
    /// The rule fired (a shadow rule: would have fired, see `monitor`).
    pub fired: bool,
    /// `monitor`: a shadow rule, listed in `monitored` and deciding
    /// nothing.
    pub monitor: bool,
    /// `score N` with an integer literal (clamped); `None` without a score
    /// or for `score EXPR`.
    pub score: Option<i64>,
    /// The traced `score EXPR`, evaluated only when the rule fired.
    pub score_expr: Option<Step>,
    /// The source text of `score EXPR` (not of an integer literal), known
    /// whether or not the rule fired; empty without sources.
    pub score_text: Option<String>,
    /// The points the rule contributed (would have, for a shadow rule):
    /// `Some` when it fired.
    pub points: Option<i64>,
    /// The lane action in effect: `lane L`, or the lane a split chose
    /// when the rule fired (`None` if the draw fell past the split).
    pub lane: Option<String>,
    /// A lane split: each lane with its cumulative cut-off in millionths.
    pub lane_split: Vec<(String, u32)>,
    /// The lane draw of a split rule that fired.
    pub lane_draw: Option<u32>,
    /// The rule's notes.
    pub notes: Vec<String>,
    /// The rule's `profile` entries that are set, in the order of the
    /// language's table (`owner`, `level`, `status`, `approved`, `basis`,
    /// `review`), as written (strings unquoted). `status` is always there.
    pub profile: Vec<(&'static str, String)>,
}

impl RuleExplanation {
    /// The rule is active and its condition was *unknown* (never a shadow
    /// rule, which is then listed nowhere).
    pub fn undetermined(&self) -> bool {
        self.active && self.condition == Some(Truth::Unknown) && !self.monitor
    }
}

/// One threshold and whether the score reached it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThresholdCheck {
    /// The lane it leads to.
    pub lane: String,
    /// The minimum score.
    pub minimum: i64,
    /// `score >= minimum`.
    pub reached: bool,
}

/// Why a declaration got its lane, rule by rule and condition by condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The declaration's key field value.
    pub id: String,
    /// The evaluation date.
    pub today: Date,
    /// The sampling key's label.
    pub sampling_key_id: String,
    /// `ruleset NAME`.
    pub ruleset_name: String,
    /// The ruleset's version.
    pub ruleset_version: String,
    /// The ruleset's fingerprint, hexadecimal.
    pub fingerprint: String,
    /// Every rule, in ruleset order.
    pub rules: Vec<RuleExplanation>,
    /// The total score of the fired rules.
    pub score: i64,
    /// The thresholds in ascending order, each reached or not.
    pub thresholds: Vec<ThresholdCheck>,
    /// The lane's index, 0 for the default lane.
    pub lane_index: u16,
    /// The lane's name.
    pub lane: String,
    /// The verdict above (lane, score, fired rules with their draws,
    /// undetermined rules) equals the plan's evaluation of the same
    /// declaration: checked by [`Ruleset::explain`] on every call. False
    /// means a bug (the interpreter and the plan evaluator implement the
    /// same spec independently); do not show such an explanation as the
    /// reason for the decision.
    pub verdict_agrees: bool,
    /// Package rules whose override applied and that fired either way, in
    /// ruleset order (as [`OutcomeView::overridden`](crate::OutcomeView::overridden)).
    pub overridden: Vec<ExplainedOverride>,
}

/// A package rule whose override applied to the declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedOverride {
    /// The rule's index in ruleset order.
    pub index: u32,
    /// The rule's (qualified) id.
    pub id: String,
    /// `disable` (otherwise the override adjusted the rule).
    pub disabled: bool,
    /// The rule as its package defines it would have fired.
    pub original: bool,
    /// The rule fired as the override makes it.
    pub applied: bool,
    /// The override's reason.
    pub reason: String,
}

impl Explanation {
    /// The fired rules, in ruleset order.
    pub fn fired(&self) -> impl Iterator<Item = &RuleExplanation> {
        self.rules.iter().filter(|r| r.fired && !r.monitor)
    }

    /// The shadow rules that would have fired, in ruleset order.
    pub fn monitored(&self) -> impl Iterator<Item = &RuleExplanation> {
        self.rules.iter().filter(|r| r.fired && r.monitor)
    }

    /// The active rules whose condition was *unknown*, in ruleset order.
    pub fn undetermined(&self) -> impl Iterator<Item = &RuleExplanation> {
        self.rules.iter().filter(|r| r.undetermined())
    }

    /// The explanation's verdict (lane, score, fired rules with their
    /// draws, undetermined rules) in the plan evaluator's terms.
    pub(crate) fn verdict(&self, lanes: &[String]) -> Outcome {
        let entry = |r: &RuleExplanation| Fired {
            rule: r.index,
            draw: r.sample.map(|s| s.draw),
            lane_draw: r.lane_draw,
            lane: r
                .lane
                .as_ref()
                .and_then(|l| lanes.iter().position(|x| x == l))
                .and_then(|i| u16::try_from(i).ok()),
            points: r.points.unwrap_or(0),
        };
        Outcome {
            lane: self.lane_index,
            score: self.score,
            fired: self.fired().map(entry).collect(),
            undetermined: self.undetermined().map(|r| r.index).collect(),
            monitored: self.monitored().map(entry).collect(),
            overridden: self
                .overridden
                .iter()
                .map(|o| Overridden {
                    rule: o.index,
                    original: o.original,
                    applied: o.applied,
                })
                .collect(),
        }
    }
}

impl Ruleset {
    /// Explains the decision for a bound declaration: every rule with its
    /// active window, the value of every sub-expression of its condition,
    /// its sample draw and whether it fired; then the score, thresholds and
    /// lane.
    ///
    /// The explanation comes from the interpreter of the checked program
    /// (`semaforo_compile::interp`), not from the plan; it is then checked
    /// against [`Ruleset::evaluate`] on the plan, and
    /// [`Explanation::verdict_agrees`] says whether lane, score, fired rules
    /// (with their draws) and undetermined rules are the same. They always
    /// should be: a disagreement is a bug, and such an explanation must not
    /// be shown as the reason for the decision.
    ///
    /// ```
    /// # let mut c = semaforo::Compiler::new();
    /// # c.add_source("r.sem", "ruleset \"d\" version \"1\"\nschema d { key id: text\n origin: text }\nrule R \"CN\" { when origin == \"CN\" then lane red }\n");
    /// # let ruleset = c.compile().unwrap();
    /// let ctx = semaforo::Context::new(semaforo::Date::parse("2026-06-01").unwrap(), Default::default(), "k0");
    /// let mut ev = ruleset.evaluator();
    /// ev.eval_json(br#"{"id": "D1", "origin": "CN"}"#, &ctx).unwrap();
    /// let e = ruleset.explain(ev.declaration(), &ctx);
    /// assert!(e.verdict_agrees);
    /// let when = e.rules[0].when.as_ref().unwrap();
    /// assert_eq!(when.text, "origin == \"CN\"");
    /// assert_eq!(when.operands[0].shown(), "\"CN\"");
    /// assert_eq!(e.lane, "red");
    /// ```
    pub fn explain(&self, decl: &Declaration, ctx: &Context) -> Explanation {
        let mut e = explain_program(
            self.program(),
            self.externals(),
            Some(self.sources()),
            decl.as_plan(),
            ctx.today,
            &ctx.sampling_key,
        );
        e.sampling_key_id = ctx.sampling_key_id.clone();
        e.fingerprint = self.fingerprint_hex().to_string();
        let mut scratch = self.new_scratch();
        let mut outcome = Outcome::default();
        e.verdict_agrees = self.evaluate(decl, ctx, &mut scratch, &mut outcome).is_ok()
            && e.verdict(&self.program().lanes) == outcome;
        e
    }
}

/// Explains `program` on a plan-level declaration made for its layout.
/// `sources` give the sub-expressions' text; without them it is empty.
/// The verdict is not checked against a plan (`verdict_agrees` is false).
pub(crate) fn explain_program(
    program: &Program,
    externals: &Externals,
    sources: Option<&Sources>,
    decl: &semaforo_plan::Declaration,
    today: Date,
    key: &SamplingKey,
) -> Explanation {
    let mut explainer = Explainer {
        program,
        today,
        sources,
        rules: Vec::with_capacity(program.rules.len()),
        thresholds: Vec::with_capacity(program.thresholds.len()),
    };
    let outcome =
        Interpreter::new(program, externals).evaluate_traced(decl, today, key, &mut explainer);
    let key_value = match decl.slot(Node::ROOT, program.layout.key()) {
        Slot::Text { start, len } => decl.text(start, len).to_string(),
        _ => String::new(),
    };
    Explanation {
        id: key_value,
        today,
        sampling_key_id: String::new(),
        ruleset_name: program.name.clone(),
        ruleset_version: program.version.clone(),
        fingerprint: String::new(),
        lane: explainer.lane_name(outcome.lane),
        rules: explainer.rules,
        score: outcome.score,
        thresholds: explainer.thresholds,
        lane_index: outcome.lane,
        verdict_agrees: false,
        overridden: outcome
            .overridden
            .iter()
            .filter_map(|o| {
                let rule = program.rules.get(o.rule as usize)?;
                let ov = rule.overlay.as_ref()?;
                Some(ExplainedOverride {
                    index: o.rule,
                    id: rule.id.clone(),
                    disabled: ov.adjust.is_none(),
                    original: o.original,
                    applied: o.applied,
                    reason: ov.reason.clone(),
                })
            })
            .collect(),
    }
}

/// A rule's profile entries that are set, in the language's order.
fn profile_entries(p: &semaforo_compile::hir::Profile) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(o) = &p.owner {
        out.push(("owner", o.clone()));
    }
    if let Some(l) = p.level {
        out.push(("level", l.as_str().to_string()));
    }
    out.push(("status", p.status.as_str().to_string()));
    if let Some(a) = &p.approved {
        out.push(("approved", a.clone()));
    }
    if let Some(b) = &p.basis {
        out.push(("basis", b.clone()));
    }
    if let Some(r) = p.review {
        out.push(("review", r.to_string()));
    }
    out
}

/// The tracer that turns the interpreter's evaluation into an explanation.
struct Explainer<'a> {
    program: &'a Program,
    /// The evaluation date (which overrides apply).
    today: Date,
    sources: Option<&'a Sources>,
    rules: Vec<RuleExplanation>,
    thresholds: Vec<ThresholdCheck>,
}

/// The element traces of one quantifier, as the interpreter hands them over.
#[derive(Default)]
struct Elements {
    /// The kept traces, in index order.
    traced: Vec<ElementStep>,
    /// How many traces of each class (true, false, unknown) are kept.
    kept: [usize; 3],
    /// How many bodies had each result.
    counts: [usize; 3],
    /// For `min`/`max`: the element that gave the best value so far.
    best: Option<ElementStep>,
}

fn explained(v: &Value<'_>) -> ExplainedValue {
    match v {
        Value::Missing | Value::Records(None) => ExplainedValue::Missing,
        Value::Bool(b) => ExplainedValue::Bool(*b),
        Value::Number(n) => ExplainedValue::Number(*n),
        Value::Date(d) => ExplainedValue::Date(*d),
        Value::Text(t) => ExplainedValue::Text((*t).to_string()),
        Value::Records(Some(r)) => ExplainedValue::Records(r.len()),
    }
}

impl Explainer<'_> {
    fn lane_name(&self, l: u16) -> String {
        self.program
            .lanes
            .get(usize::from(l))
            .cloned()
            .unwrap_or_default()
    }

    fn text(&self, span: Span) -> String {
        self.sources
            .and_then(|s| s.get(span.file))
            .and_then(|s| s.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
            .to_string()
    }

    fn step(&self, e: &Expr, value: ExplainedValue, operands: Vec<Step>) -> Step {
        Step {
            text: self.text(e.span),
            span: e.span,
            condition: e.ty == Type::Scalar(Scalar::Bool),
            constant: matches!(e.kind, ExprKind::Const(_)),
            value,
            detail: None,
            operands,
            elements: Vec::new(),
            element_total: 0,
            element_counts: [0; 3],
        }
    }

    /// How a test names the entries it looked in.
    fn among(&self, among: Among) -> String {
        match among {
            Among::Pattern => "the pattern".to_string(),
            Among::Inline => "the list".to_string(),
            Among::List(id) => format!(
                "`{}`",
                self.program
                    .lists
                    .get(id.0 as usize)
                    .map_or("", |l| l.name.as_str())
            ),
        }
    }

    fn table_name(&self, id: TableId) -> &str {
        self.program
            .tables
            .get(id.0 as usize)
            .map_or("", |t| t.name.as_str())
    }

    /// What decided a test or lookup, as shown: ``matched `6403` ``,
    /// ``no entry of `footwear` matched``.
    fn detail(&self, detail: Detail<'_>) -> Option<String> {
        Some(match detail {
            Detail::None | Detail::MissingList => return None,
            Detail::Found { found: true, among } => format!("found in {}", self.among(among)),
            Detail::Found {
                found: false,
                among,
            } => format!("not found in {}", self.among(among)),
            Detail::Matched(p) => format!("matched {}", quote(p)),
            Detail::NoMatch(among @ Among::List(_)) => {
                format!("no entry of {} matched", self.among(among))
            }
            Detail::NoMatch(_) => "no match".to_string(),
            Detail::DivisionByZero => "division by zero".to_string(),
            Detail::Overflow => "overflow".to_string(),
            Detail::Key { table, key } => {
                format!("key {} of `{}`", quote(key), self.table_name(table))
            }
            Detail::NoKey(table) => format!("no key of `{}` matched", self.table_name(table)),
        })
    }
}

impl Trace for Explainer<'_> {
    type Node = Step;
    type Elements = Elements;

    fn expr(
        &mut self,
        e: &Expr,
        value: &Value<'_>,
        operands: Vec<Step>,
        detail: Detail<'_>,
    ) -> Step {
        let mut s = self.step(e, explained(value), operands);
        s.detail = self.detail(detail);
        s
    }

    /// Every element is counted, but only a bounded number of element
    /// traces is kept (`Step::ELEMENT_DETAIL` per result, and the element
    /// that gave `min`/`max`), so memory does not grow with the list.
    fn element(&mut self, acc: &mut Elements, list: &Step, index: usize, body: Step, best: bool) {
        let class = match (&body.value, body.condition) {
            (ExplainedValue::Bool(true), true) => 0,
            (ExplainedValue::Bool(false), true) => 1,
            (ExplainedValue::Missing, _) => 2,
            // A value body with a value: counted in no truth class, kept
            // in the first slot.
            _ => 0,
        };
        if (body.condition || body.value == ExplainedValue::Missing)
            && let Some(c) = acc.counts.get_mut(class)
        {
            *c += 1;
        }
        let keep = acc
            .kept
            .get(class)
            .is_some_and(|k| *k < Step::ELEMENT_DETAIL);
        if !keep && !best {
            return;
        }
        let step = ElementStep {
            index,
            label: format!("{}[{index}]", list.text),
            body,
        };
        if keep {
            if let Some(k) = acc.kept.get_mut(class) {
                *k += 1;
            }
            if best {
                acc.best = Some(step.clone());
            }
            acc.traced.push(step);
        } else {
            acc.best = Some(step);
        }
    }

    fn quantifier(
        &mut self,
        e: &Expr,
        value: &Value<'_>,
        list: Step,
        total: usize,
        acc: Elements,
        detail: Detail<'_>,
    ) -> Step {
        let missing = detail == Detail::MissingList;
        let mut traced = acc.traced;
        if let Some(step) = acc.best
            && let Err(at) = traced.binary_search_by_key(&step.index, |t| t.index)
        {
            traced.insert(at, step);
        }
        let mut s = self.step(e, explained(value), vec![list]);
        if missing {
            s.detail = Some(format!(
                "`{}` is missing",
                s.operands.first().map_or("", |o| o.text.as_str())
            ));
        }
        s.elements = traced;
        s.element_total = total;
        s.element_counts = acc.counts;
        s
    }

    fn rule(&mut self, index: u32, rule: &RuleDef, verdict: RuleVerdict<Step>) {
        // The definition that applies today: an override's window and
        // actions replace the rule's (`docs/language.md`, "Overrides").
        let adjust = rule
            .overlay
            .as_ref()
            .filter(|o| o.in_effect(self.today))
            .and_then(|o| o.adjust.as_ref());
        let (active_from, active_to) = adjust
            .and_then(|a| a.window)
            .unwrap_or((rule.active_from, rule.active_to));
        let acts = adjust.and_then(|a| a.actions.as_ref());
        let (rule_score, rule_lane, rule_notes) = match acts {
            Some(a) => (&a.score, &a.lane, &a.notes),
            None => (&rule.score, &rule.lane, &rule.notes),
        };
        let sample = match (verdict.active, rule.sample, verdict.draw) {
            (true, Some(cutoff), Some(draw)) => Some(SampleDraw {
                cutoff,
                draw,
                selected: draw < cutoff,
            }),
            _ => None,
        };
        let (lane, lane_split) = match rule_lane {
            None => (None, Vec::new()),
            Some(LaneAction::Lane(l)) => (Some(self.lane_name(l.0)), Vec::new()),
            Some(LaneAction::Split(shares)) => (
                verdict
                    .entry
                    .and_then(|e| e.lane)
                    .map(|l| self.lane_name(l)),
                shares
                    .iter()
                    .map(|&(l, cut)| (self.lane_name(l.0), cut))
                    .collect(),
            ),
        };
        let (score, score_text) = match rule_score {
            Some(Score::Points(p)) => (Some(*p), None),
            Some(Score::Expr(e)) => (None, Some(self.text(e.span))),
            None => (None, None),
        };
        self.rules.push(RuleExplanation {
            index,
            id: rule.id.clone(),
            title: rule.title.clone(),
            active_from,
            active_to,
            active: verdict.active,
            when: verdict.when,
            condition: verdict.condition.map(Truth::from_option),
            sample,
            fired: verdict.fired,
            monitor: rule.monitor,
            score,
            score_expr: verdict.score,
            score_text,
            points: verdict.entry.map(|e| e.points),
            lane,
            lane_split,
            lane_draw: verdict.entry.and_then(|e| e.lane_draw),
            profile: profile_entries(&rule.profile),
            notes: rule_notes.clone(),
        });
    }

    fn threshold(&mut self, lane: LaneId, minimum: i64, reached: bool) {
        let lane = self.lane_name(lane.0);
        self.thresholds.push(ThresholdCheck {
            lane,
            minimum,
            reached,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use semaforo_plan::EvalContext;
    use semaforo_testkit::generate::{ProgramConfig, random_inputs, random_program};

    #[test]
    fn random_programs_agree_with_the_plan_and_the_reference() {
        let programs: u64 = std::env::var("SEMAFORO_EXPLAIN_PROGRAMS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1_000);
        let mut compared = 0usize;
        let mut fired = 0usize;
        let mut undetermined = 0usize;
        for seed in 0..programs {
            let g = random_program(seed, &ProgramConfig::default());
            let Ok(plan) = semaforo_compile::lower::lower(&g.program, &g.externals) else {
                continue;
            };
            let mut scratch = plan.new_scratch();
            for input in random_inputs(seed, &g.program.layout, 8) {
                let Ok(decl) = input.recipe.build(&g.program.layout) else {
                    continue;
                };
                let Ok(plan_decl) = input.recipe.build(plan.layout()) else {
                    continue;
                };
                let e = explain_program(
                    &g.program,
                    &g.externals,
                    None,
                    &decl,
                    input.today,
                    &input.key,
                );
                let mut out = Outcome::default();
                let ctx = EvalContext {
                    today: input.today,
                    sampling_key: &input.key,
                };
                assert!(
                    plan.evaluate(&plan_decl, &ctx, &mut scratch, &mut out)
                        .is_ok()
                );
                // The reference is the same interpreter without a trace:
                // the explanation's verdict must not depend on tracing.
                let reference = semaforo_testkit::reference::evaluate(
                    &g.program,
                    &g.externals,
                    &decl,
                    input.today,
                    &input.key,
                );
                let mine = e.verdict(&g.program.lanes);
                assert_eq!(mine, reference, "seed {seed}: explain vs reference");
                assert_eq!(mine, out, "seed {seed}: explain vs plan");
                // Every traced condition's truth is the rule's condition.
                for r in &e.rules {
                    if let (Some(w), Some(c)) = (&r.when, r.condition) {
                        assert_eq!(w.truth(), c);
                    }
                }
                compared += 1;
                fired += mine.fired.len();
                undetermined += mine.undetermined.len();
            }
        }
        // The comparison must have exercised all three verdicts.
        assert!(compared > 100, "only {compared} cases compared");
        assert!(
            fired > 0 && undetermined > 0,
            "{fired} fired, {undetermined} undetermined"
        );
    }

    const RULES: &str = "ruleset \"d\" version \"1\"\nschema d { key id: text\n origin: text }\nrule R \"CN\" { when origin == \"CN\" then lane red }\n";

    fn compile() -> Ruleset {
        let mut c = crate::Compiler::new();
        c.add_source("r.sem", RULES);
        c.compile().unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_verdict_is_checked_against_the_plan() {
        let ruleset = compile();
        let ctx = Context::new(
            Date::parse("2026-06-01").unwrap_or_else(|| unreachable!()),
            Default::default(),
            "k0",
        );
        let mut ev = ruleset.evaluator();
        assert!(
            ev.eval_json(br#"{"id": "D1", "origin": "CN"}"#, &ctx)
                .is_ok()
        );
        let e = ruleset.explain(ev.declaration(), &ctx);
        assert!(e.verdict_agrees);
        assert_eq!(e.lane, "red");
        // A declaration bound for another ruleset (same schema, another
        // compilation) is refused by the plan: the explanation cannot be
        // confirmed, so it says so.
        let other = compile();
        let e = other.explain(ev.declaration(), &ctx);
        assert!(!e.verdict_agrees);
    }

    /// Explains `when` (compiled on a roomy thread) on a thread with
    /// `stack` bytes; true if the explanation agrees with the plan.
    fn explains_within(stack: usize, when: String) -> bool {
        const HEADER: &str = "ruleset \"deep\" version \"1\"\n\
            schema declaration {\n  key id: text\n  v: number?\n  aeo: bool?\n}\n";
        let compiled = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || {
                let mut c = crate::Compiler::new();
                c.add_source(
                    "deep.sem",
                    format!("{HEADER}rule R \"deep\" {{\n  when {when}\n  then score 1\n}}\n"),
                );
                let rs = c.compile().unwrap_or_else(|e| panic!("{e:?}"));
                let mut ev = rs.evaluator();
                let ctx = Context::new(
                    Date::parse("2026-01-01").unwrap_or_else(|| unreachable!()),
                    Default::default(),
                    "k",
                );
                assert!(
                    ev.eval_json(br#"{"id": "1", "v": 2, "aeo": true}"#, &ctx)
                        .is_ok()
                );
                (rs, ev, ctx)
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .join()
            .unwrap_or_else(|_| panic!("compiling panicked"));
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let (rs, ev, ctx) = compiled;
                rs.explain(ev.declaration(), &ctx).verdict_agrees
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .join()
            .unwrap_or_else(|_| panic!("explaining panicked"))
    }

    /// The interpreter recurses once per nesting level (and per `and`/`or`
    /// of a chain): the deepest conditions the parser accepts explain (and
    /// the explanation drops) within 4 MiB, with room to spare (about 2 MiB
    /// measured in a debug build, whose frames are the largest).
    #[test]
    fn the_deepest_conditions_explain_within_a_known_stack() {
        let stack = 4 << 20;
        for when in [
            format!("v > 1{}", " and aeo".repeat(500)),
            format!("v > 5{}", " or v > 9".repeat(499)) + " or aeo",
            format!("{}aeo", "not ".repeat(500)),
            format!("{}aeo{}", "(".repeat(250), ")".repeat(250)),
            format!("v{} > 100", " + v".repeat(500)),
            format!("{}v > 1", "- ".repeat(500)),
        ] {
            assert!(explains_within(stack, when));
        }
    }
}
