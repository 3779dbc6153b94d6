//! Explaining a decision: a tracing tree-walker over the checked program.
//!
//! [`Ruleset::explain`] evaluates one declaration the way SPEC §3.4–§3.8
//! define it, but over the checked form (`hir::Program`) rather than the
//! optimised plan, and records the value of every sub-expression: each
//! comparison or test with the operands it saw, each quantifier with the
//! result per element, each rule's active window, sample draw and verdict,
//! then the score, the thresholds reached and the lane.
//!
//! It is not the hot path: it allocates freely, but within bounds: a
//! quantifier evaluates and counts every element and keeps the trace of at
//! most [`Step::ELEMENT_DETAIL`] elements of each result, so an
//! explanation's size does not grow with the number of elements, and a
//! named list tested inside a quantifier is looked up in a hash set built
//! once, not copied per element. Its verdict (fired,
//! undetermined, score, lane) must equal [`Ruleset::evaluate`]'s; the tests
//! check that on the regional example and on random programs.

use crate::ruleset::{Context, Declaration, Ruleset};
use crate::source::Sources;
use semaforo_compile::hir::{
    self, Arith, Base, Cmp, Const, Expr, ExprKind, Pattern, Program, Quant, Scalar, Type,
};
use semaforo_compile::lower::Externals;
use semaforo_plan::{Date, Decimal, FieldType, Node, SamplingKey, Slot};
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
    fn from_const(c: &Const) -> ExplainedValue {
        match c {
            Const::Text(t) => ExplainedValue::Text(t.to_string()),
            Const::Number(n) => ExplainedValue::Number(*n),
            Const::Bool(b) => ExplainedValue::Bool(*b),
            Const::Date(d) => ExplainedValue::Date(*d),
        }
    }

    fn truth_opt(&self) -> Option<bool> {
        match self {
            ExplainedValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn from_truth(t: Option<bool>) -> ExplainedValue {
        t.map_or(ExplainedValue::Missing, ExplainedValue::Bool)
    }

    /// The value as a truth value: a boolean, or *unknown* for anything else.
    pub fn truth(&self) -> Truth {
        Truth::from_option(self.truth_opt())
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
    /// The rule fired.
    pub fired: bool,
    /// `score N`.
    pub score: Option<i64>,
    /// `lane L`, by name.
    pub lane: Option<String>,
    /// The rule's notes.
    pub notes: Vec<String>,
}

impl RuleExplanation {
    /// The rule is active and its condition was *unknown*.
    pub fn undetermined(&self) -> bool {
        self.condition == Some(Truth::Unknown)
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
}

impl Explanation {
    /// The fired rules, in ruleset order.
    pub fn fired(&self) -> impl Iterator<Item = &RuleExplanation> {
        self.rules.iter().filter(|r| r.fired)
    }

    /// The active rules whose condition was *unknown*, in ruleset order.
    pub fn undetermined(&self) -> impl Iterator<Item = &RuleExplanation> {
        self.rules.iter().filter(|r| r.undetermined())
    }
}

impl Ruleset {
    /// Explains the decision for a bound declaration: every rule with its
    /// active window, the value of every sub-expression of its condition,
    /// its sample draw and whether it fired; then the score, thresholds and
    /// lane. The verdict equals [`Ruleset::evaluate`]'s.
    ///
    /// ```
    /// # let mut c = semaforo::Compiler::new();
    /// # c.add_source("r.sem", "ruleset \"d\" version \"1\"\nschema d { key id: text\n origin: text }\nrule R \"CN\" { when origin == \"CN\" then lane red }\n");
    /// # let ruleset = c.compile().unwrap();
    /// let ctx = semaforo::Context::new(semaforo::Date::parse("2026-06-01").unwrap(), Default::default(), "k0");
    /// let mut ev = ruleset.evaluator();
    /// ev.eval_json(br#"{"id": "D1", "origin": "CN"}"#, &ctx).unwrap();
    /// let e = ruleset.explain(ev.declaration(), &ctx);
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
        e
    }
}

/// Explains `program` on a plan-level declaration made for its layout.
/// `sources` give the sub-expressions' text; without them it is empty.
pub(crate) fn explain_program(
    program: &Program,
    externals: &Externals,
    sources: Option<&Sources>,
    decl: &semaforo_plan::Declaration,
    today: Date,
    key: &SamplingKey,
) -> Explanation {
    let tracer = Tracer {
        program,
        externals,
        sources,
        decl,
        today,
        sets: Default::default(),
    };
    let key_value = match decl.slot(Node::ROOT, program.layout.key()) {
        Slot::Text { start, len } => decl.text(start, len).to_string(),
        _ => String::new(),
    };
    let lane_name = |l: u16| {
        program
            .lanes
            .get(usize::from(l))
            .cloned()
            .unwrap_or_default()
    };
    let mut rules = Vec::with_capacity(program.rules.len());
    let mut score: i64 = 0;
    let mut lane: u16 = 0;
    for (index, rule) in program.rules.iter().enumerate() {
        let active = rule.active_from.is_none_or(|from| from <= today)
            && rule.active_to.is_none_or(|to| today <= to);
        let (when, condition) = if !active {
            (None, None)
        } else {
            match &rule.when {
                None => (None, Some(Truth::True)),
                Some(e) => {
                    let step = tracer.eval(e, &mut Vec::new());
                    let t = step.truth();
                    (Some(step), Some(t))
                }
            }
        };
        let sample = match (active, rule.sample) {
            (true, Some(cutoff)) => {
                let draw = semaforo_plan::sample::draw(key, &rule.id, &key_value);
                Some(SampleDraw {
                    cutoff,
                    draw,
                    selected: draw < cutoff,
                })
            }
            _ => None,
        };
        let fired = condition == Some(Truth::True) && sample.is_none_or(|s| s.selected);
        if fired {
            score = score.saturating_add(rule.score.unwrap_or(0));
            if let Some(l) = rule.lane {
                lane = lane.max(l.0);
            }
        }
        rules.push(RuleExplanation {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            id: rule.id.clone(),
            title: rule.title.clone(),
            active_from: rule.active_from,
            active_to: rule.active_to,
            active,
            when,
            condition,
            sample,
            fired,
            score: rule.score,
            lane: rule.lane.map(|l| lane_name(l.0)),
            notes: rule.notes.clone(),
        });
    }
    let thresholds = program
        .thresholds
        .iter()
        .map(|(l, minimum)| {
            let reached = score >= *minimum;
            if reached {
                lane = lane.max(l.0);
            }
            ThresholdCheck {
                lane: lane_name(l.0),
                minimum: *minimum,
                reached,
            }
        })
        .collect();
    Explanation {
        id: key_value,
        today,
        sampling_key_id: String::new(),
        ruleset_name: program.name.clone(),
        ruleset_version: program.version.clone(),
        fingerprint: String::new(),
        rules,
        score,
        thresholds,
        lane_index: lane,
        lane: lane_name(lane),
    }
}

/// Kleene conjunction: false wins, then unknown.
fn kleene_and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Kleene disjunction: true wins, then unknown.
fn kleene_or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// The runtime value of a sub-expression (record lists keep their elements).
enum Val {
    Scalar(ExplainedValue),
    /// A record list, or `None` when the optional list field is absent.
    Records(Option<Vec<Node>>),
}

struct Tracer<'a> {
    program: &'a Program,
    externals: &'a Externals,
    sources: Option<&'a Sources>,
    decl: &'a semaforo_plan::Declaration,
    today: Date,
    /// Hash sets of the named lists `in` has tested, built on first use,
    /// so a test inside a quantifier costs one lookup per element, not a
    /// copy and a scan of the list.
    sets: std::cell::RefCell<std::collections::HashMap<u32, std::collections::HashSet<&'a Const>>>,
}

/// The values a pattern stands for.
enum Items<'a> {
    /// A missing text expression: the test is *unknown*.
    Missing,
    /// One value (a text expression).
    One(ExplainedValue),
    /// The entries of an inline list (`None`) or of named list `Some(id)`.
    Consts(&'a [Const], Option<u32>),
}

/// The constant a value would be, to look it up in a set of constants.
fn to_const(v: &ExplainedValue) -> Option<Const> {
    match v {
        ExplainedValue::Text(t) => Some(Const::Text(t.as_str().into())),
        ExplainedValue::Number(n) => Some(Const::Number(*n)),
        ExplainedValue::Bool(b) => Some(Const::Bool(*b)),
        ExplainedValue::Date(d) => Some(Const::Date(*d)),
        ExplainedValue::Missing | ExplainedValue::Records(_) => None,
    }
}

impl<'a> Tracer<'a> {
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

    /// Evaluates a scalar expression and records it; `vars[i]` is the
    /// element bound to `VarId(i)`.
    fn eval(&self, e: &Expr, vars: &mut Vec<Node>) -> Step {
        match &e.kind {
            ExprKind::Const(c) => self.step(e, ExplainedValue::from_const(c), Vec::new()),
            ExprKind::Today => self.step(e, ExplainedValue::Date(self.today), Vec::new()),
            ExprKind::Field { .. } => {
                let value = match self.value(e, vars) {
                    Val::Scalar(v) => v,
                    Val::Records(r) => r.map_or(ExplainedValue::Missing, |r| {
                        ExplainedValue::Records(r.len())
                    }),
                };
                self.step(e, value, Vec::new())
            }
            ExprKind::Neg(a) => {
                let a = self.eval(a, vars);
                let v = match &a.value {
                    ExplainedValue::Number(n) => ExplainedValue::Number(n.neg()),
                    _ => ExplainedValue::Missing,
                };
                self.step(e, v, vec![a])
            }
            ExprKind::Not(a) => {
                let a = self.eval(a, vars);
                let v = ExplainedValue::from_truth(a.value.truth_opt().map(|b| !b));
                self.step(e, v, vec![a])
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let a = self.eval(a, vars);
                let b = self.eval(b, vars);
                let (x, y) = (a.value.truth_opt(), b.value.truth_opt());
                let v = if matches!(e.kind, ExprKind::And(..)) {
                    kleene_and(x, y)
                } else {
                    kleene_or(x, y)
                };
                self.step(e, ExplainedValue::from_truth(v), vec![a, b])
            }
            ExprKind::Arith(op, a, b) => {
                let a = self.eval(a, vars);
                let b = self.eval(b, vars);
                let mut detail = None;
                let v = match (&a.value, &b.value) {
                    (ExplainedValue::Number(x), ExplainedValue::Number(y)) => {
                        let r = match op {
                            Arith::Add => x.checked_add(*y),
                            Arith::Sub => x.checked_sub(*y),
                            Arith::Mul => x.checked_mul(*y),
                            Arith::Div => x.checked_div(*y),
                        };
                        if r.is_none() {
                            detail = Some(if *op == Arith::Div && *y == Decimal::ZERO {
                                "division by zero".to_string()
                            } else {
                                "overflow".to_string()
                            });
                        }
                        r.map_or(ExplainedValue::Missing, ExplainedValue::Number)
                    }
                    _ => ExplainedValue::Missing,
                };
                let mut s = self.step(e, v, vec![a, b]);
                s.detail = detail;
                s
            }
            ExprKind::DateDiff(a, b) => {
                let a = self.eval(a, vars);
                let b = self.eval(b, vars);
                let v = match (&a.value, &b.value) {
                    (ExplainedValue::Date(x), ExplainedValue::Date(y)) => ExplainedValue::Number(
                        Decimal::from_i64(i64::from(x.days()) - i64::from(y.days())),
                    ),
                    _ => ExplainedValue::Missing,
                };
                self.step(e, v, vec![a, b])
            }
            ExprKind::Cmp(op, a, b) => {
                let a = self.eval(a, vars);
                let b = self.eval(b, vars);
                let v = ExplainedValue::from_truth(compare(*op, &a.value, &b.value));
                self.step(e, v, vec![a, b])
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value, vars);
                let (items, name, mut operands) = self.pattern(list, vars);
                let found = match (&v.value, &items) {
                    (ExplainedValue::Missing, _) | (_, Items::Missing) => None,
                    (x, Items::One(y)) => Some(x == y),
                    (x, Items::Consts(consts, None)) => {
                        Some(consts.iter().any(|c| ExplainedValue::from_const(c) == *x))
                    }
                    (x, Items::Consts(_, Some(id))) => Some(self.in_list(*id, x)),
                };
                let detail = match found {
                    Some(true) => Some(format!("found in {name}")),
                    Some(false) => Some(format!("not found in {name}")),
                    None => None,
                };
                let t = if *negated { found.map(|b| !b) } else { found };
                operands.insert(0, v);
                let mut s = self.step(e, ExplainedValue::from_truth(t), operands);
                s.detail = detail;
                s
            }
            ExprKind::StartsWith(t, p) | ExprKind::Contains(t, p) => {
                let starts = matches!(e.kind, ExprKind::StartsWith(..));
                let t = self.eval(t, vars);
                let (items, name, mut operands) = self.pattern(p, vars);
                let matches = |p: &str, text: &str| {
                    if starts {
                        text.starts_with(p)
                    } else {
                        semaforo_plan::text::contains_ci(text, p)
                    }
                };
                let (truth, detail) = match (&t.value, items) {
                    (ExplainedValue::Text(text), items @ (Items::One(_) | Items::Consts(..))) => {
                        let hit = match items {
                            Items::One(ExplainedValue::Text(p)) => matches(&p, text).then_some(p),
                            Items::Consts(consts, _) => consts.iter().find_map(|c| match c {
                                Const::Text(p) => matches(p, text).then(|| p.to_string()),
                                _ => None,
                            }),
                            Items::One(_) | Items::Missing => None,
                        };
                        match hit {
                            Some(p) => (Some(true), Some(format!("matched {}", quote(&p)))),
                            None if name.starts_with('`') => {
                                (Some(false), Some(format!("no entry of {name} matched")))
                            }
                            None => (Some(false), Some("no match".to_string())),
                        }
                    }
                    _ => (None, None),
                };
                operands.insert(0, t);
                let mut s = self.step(e, ExplainedValue::from_truth(truth), operands);
                s.detail = detail;
                s
            }
            ExprKind::Is { value, present } => {
                let v = self.eval(value, vars);
                let missing = v.value == ExplainedValue::Missing;
                self.step(e, ExplainedValue::Bool(missing != *present), vec![v])
            }
            ExprKind::Quant {
                kind,
                var,
                list,
                body,
                ..
            } => self.quantify(e, *kind, var.0 as usize, list, body, vars),
            ExprKind::Lookup { table, key, prefix } => {
                let k = self.eval(key, vars);
                let (v, detail) = match &k.value {
                    ExplainedValue::Text(k) => self.lookup(*table, k, *prefix),
                    _ => (ExplainedValue::Missing, None),
                };
                let mut s = self.step(e, v, vec![k]);
                s.detail = detail;
                s
            }
            ExprKind::Len(t) => {
                let t = self.eval(t, vars);
                let v = match &t.value {
                    ExplainedValue::Text(t) => {
                        ExplainedValue::Number(Decimal::from_i64(t.chars().count() as i64))
                    }
                    _ => ExplainedValue::Missing,
                };
                self.step(e, v, vec![t])
            }
        }
    }

    /// The value of a field or record-list expression (only fields have
    /// type `Records`).
    fn value(&self, e: &Expr, vars: &[Node]) -> Val {
        let ExprKind::Field {
            base,
            record,
            field,
        } = &e.kind
        else {
            return Val::Scalar(ExplainedValue::Missing);
        };
        let node = match base {
            Base::Root => Some(Node::ROOT),
            Base::Var(v) => vars.get(v.0 as usize).copied(),
        };
        let Some(node) = node else {
            return Val::Scalar(ExplainedValue::Missing);
        };
        let ty = self.program.layout.field(*record, *field).map(|f| f.ty);
        match self.decl.slot(node, *field) {
            Slot::Missing => match ty {
                Some(FieldType::List(_)) => Val::Records(None),
                _ => Val::Scalar(ExplainedValue::Missing),
            },
            Slot::Bool(b) => Val::Scalar(ExplainedValue::Bool(b)),
            Slot::Number(n) => Val::Scalar(ExplainedValue::Number(n)),
            Slot::Date(d) => Val::Scalar(ExplainedValue::Date(d)),
            Slot::Text { start, len } => {
                Val::Scalar(ExplainedValue::Text(self.decl.text(start, len).to_string()))
            }
            slot @ Slot::List { .. } => match ty {
                Some(FieldType::List(elem)) => {
                    Val::Records(Some(self.decl.elements(elem, slot).collect()))
                }
                _ => Val::Scalar(ExplainedValue::Missing),
            },
        }
    }

    /// The values a pattern stands for, its name for messages, and its
    /// traced operand if it is an expression.
    fn pattern<'p>(
        &'p self,
        p: &'p Pattern,
        vars: &mut Vec<Node>,
    ) -> (Items<'p>, String, Vec<Step>) {
        match p {
            Pattern::Expr(e) => {
                let s = self.eval(e, vars);
                let items = match &s.value {
                    ExplainedValue::Missing => Items::Missing,
                    v => Items::One(v.clone()),
                };
                (items, "the pattern".to_string(), vec![s])
            }
            Pattern::Inline(items) => (
                Items::Consts(items, None),
                "the list".to_string(),
                Vec::new(),
            ),
            Pattern::List(id) => {
                let Some(def) = self.program.lists.get(id.0 as usize) else {
                    return (Items::Consts(&[], None), "the list".to_string(), Vec::new());
                };
                (
                    Items::Consts(self.list_entries(id.0), Some(id.0)),
                    format!("`{}`", def.name),
                    Vec::new(),
                )
            }
        }
    }

    /// The entries of named list `id`: its inline values or its external
    /// data.
    fn list_entries(&self, id: u32) -> &'a [Const] {
        let program: &'a Program = self.program;
        let externals: &'a Externals = self.externals;
        let Some(def) = program.lists.get(id as usize) else {
            return &[];
        };
        match &def.values {
            Some(values) => values,
            None => externals.lists.get(&def.name).map_or(&[][..], |v| &v[..]),
        }
    }

    /// Whether `x` is an entry of named list `id`, through a hash set built
    /// on the list's first test.
    fn in_list(&self, id: u32, x: &ExplainedValue) -> bool {
        let Some(c) = to_const(x) else {
            return false;
        };
        let mut sets = self.sets.borrow_mut();
        sets.entry(id)
            .or_insert_with(|| self.list_entries(id).iter().collect())
            .contains(&c)
    }

    /// `lookup` / `lookup_prefix`: the value and which key matched.
    fn lookup(
        &self,
        table: hir::TableId,
        k: &str,
        prefix: bool,
    ) -> (ExplainedValue, Option<String>) {
        let Some(def) = self.program.tables.get(table.0 as usize) else {
            return (ExplainedValue::Missing, None);
        };
        let entries = self
            .externals
            .tables
            .get(&def.name)
            .map_or(&[][..], |v| &v[..]);
        let hit = if prefix {
            // Longest prefix; among equal keys the first, as the plan keeps.
            let mut best: Option<&(String, Const)> = None;
            for entry in entries {
                if k.starts_with(entry.0.as_str()) && best.is_none_or(|b| entry.0.len() > b.0.len())
                {
                    best = Some(entry);
                }
            }
            best
        } else {
            entries.iter().find(|(tk, _)| tk == k)
        };
        match hit {
            Some((tk, v)) => (
                ExplainedValue::from_const(v),
                Some(format!("key {} of `{}`", quote(tk), def.name)),
            ),
            None => (
                ExplainedValue::Missing,
                Some(format!("no key of `{}` matched", def.name)),
            ),
        }
    }

    fn quantify(
        &self,
        e: &Expr,
        kind: Quant,
        var: usize,
        list: &Expr,
        body: &Expr,
        vars: &mut Vec<Node>,
    ) -> Step {
        let elements = match self.value(list, vars) {
            Val::Records(r) => r,
            Val::Scalar(_) => None,
        };
        let list_step = self.step(
            list,
            elements.as_ref().map_or(ExplainedValue::Missing, |r| {
                ExplainedValue::Records(r.len())
            }),
            Vec::new(),
        );
        let Some(elements) = elements else {
            let mut s = self.step(e, ExplainedValue::Missing, vec![list_step]);
            s.detail = Some(format!("`{}` is missing", list_step_text(&s)));
            return s;
        };
        // Every element is evaluated and counted, but only a bounded number
        // of element traces is kept (`Step::ELEMENT_DETAIL` per result),
        // so memory does not grow with the list.
        let total = elements.len();
        let mut counts = [0usize; 3];
        let mut kept = [0usize; 3];
        let mut traced = Vec::new();
        let mut acc_truth = match kind {
            Quant::All => Some(true),
            _ => Some(false),
        };
        let mut count = 0usize;
        let mut sum = Some(Decimal::ZERO);
        // For `min`/`max`: the best value so far and its element's trace,
        // kept aside unless it is kept anyway.
        let mut best: Option<(Decimal, ElementStep)> = None;
        for (index, element) in elements.into_iter().enumerate() {
            vars.truncate(var);
            while vars.len() < var {
                vars.push(Node::ROOT);
            }
            vars.push(element);
            let b = self.eval(body, vars);
            let class = match (&b.value, b.condition) {
                (ExplainedValue::Bool(true), true) => 0,
                (ExplainedValue::Bool(false), true) => 1,
                (ExplainedValue::Missing, _) => 2,
                // A value body with a value: counted in no truth class, kept
                // in the first slot.
                _ => 0,
            };
            if (b.condition || b.value == ExplainedValue::Missing)
                && let Some(c) = counts.get_mut(class)
            {
                *c += 1;
            }
            let t = b.value.truth_opt();
            match kind {
                Quant::Any => acc_truth = kleene_or(acc_truth, t),
                Quant::All => acc_truth = kleene_and(acc_truth, t),
                Quant::Count => count += usize::from(t == Some(true)),
                Quant::Sum => {
                    if let ExplainedValue::Number(n) = &b.value {
                        sum = sum.and_then(|s| s.checked_add(*n));
                    }
                }
                Quant::Min | Quant::Max => {}
            }
            let keep = kept.get(class).is_some_and(|k| *k < Step::ELEMENT_DETAIL);
            let new_best = match (&b.value, kind, &best) {
                (ExplainedValue::Number(n), Quant::Min, Some((m, _))) => n < m,
                (ExplainedValue::Number(n), Quant::Max, Some((m, _))) => n > m,
                (ExplainedValue::Number(_), Quant::Min | Quant::Max, None) => true,
                _ => false,
            };
            if !keep && !new_best {
                continue;
            }
            let step = ElementStep {
                index,
                label: format!("{}[{index}]", list_step.text),
                body: b,
            };
            if new_best && let ExplainedValue::Number(n) = step.body.value {
                best = Some((n, step.clone()));
            }
            if keep {
                if let Some(k) = kept.get_mut(class) {
                    *k += 1;
                }
                traced.push(step);
            }
        }
        vars.truncate(var);
        let value = match kind {
            Quant::Any | Quant::All => ExplainedValue::from_truth(acc_truth),
            Quant::Count => {
                ExplainedValue::Number(Decimal::from_i64(i64::try_from(count).unwrap_or(i64::MAX)))
            }
            Quant::Sum => sum.map_or(ExplainedValue::Missing, ExplainedValue::Number),
            Quant::Min | Quant::Max => best
                .as_ref()
                .map_or(ExplainedValue::Missing, |(n, _)| ExplainedValue::Number(*n)),
        };
        if let Some((_, step)) = best
            && let Err(at) = traced.binary_search_by_key(&step.index, |t| t.index)
        {
            traced.insert(at, step);
        }
        let mut s = self.step(e, value, vec![list_step]);
        s.elements = traced;
        s.element_total = total;
        s.element_counts = counts;
        s
    }
}

fn list_step_text(s: &Step) -> &str {
    s.operands.first().map_or("", |o| o.text.as_str())
}

/// A comparison of two values of one type; unknown if either is missing.
fn compare(op: Cmp, a: &ExplainedValue, b: &ExplainedValue) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering: Ordering = match (a, b) {
        (ExplainedValue::Number(a), ExplainedValue::Number(b)) => a.cmp(b),
        (ExplainedValue::Date(a), ExplainedValue::Date(b)) => a.cmp(b),
        (ExplainedValue::Text(a), ExplainedValue::Text(b)) => a.cmp(b),
        (ExplainedValue::Bool(a), ExplainedValue::Bool(b)) => a.cmp(b),
        _ => return None,
    };
    Some(match op {
        Cmp::Eq => ordering == Ordering::Equal,
        Cmp::Ne => ordering != Ordering::Equal,
        Cmp::Lt => ordering == Ordering::Less,
        Cmp::Le => ordering != Ordering::Greater,
        Cmp::Gt => ordering == Ordering::Greater,
        Cmp::Ge => ordering != Ordering::Less,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use semaforo_plan::{EvalContext, Outcome};
    use semaforo_testkit::generate::{ProgramConfig, random_inputs, random_program};

    /// The explanation's verdict as an `Outcome`, for comparison.
    fn verdict(e: &Explanation) -> Outcome {
        Outcome {
            lane: e.lane_index,
            score: e.score,
            fired: e
                .fired()
                .map(|r| semaforo_plan::Fired {
                    rule: r.index,
                    draw: r.sample.map(|s| s.draw),
                })
                .collect(),
            undetermined: e.undetermined().map(|r| r.index).collect(),
        }
    }

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
                    sampling_key: input.key.clone(),
                };
                assert!(
                    plan.evaluate(&plan_decl, &ctx, &mut scratch, &mut out)
                        .is_ok()
                );
                let reference = semaforo_testkit::reference::evaluate(
                    &g.program,
                    &g.externals,
                    &decl,
                    input.today,
                    &input.key,
                );
                let mine = verdict(&e);
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
}
