//! The interpreter of the checked program: SPEC §3.4–§3.8 written for
//! clarity, with an optional trace.
//!
//! It walks a [`hir::Program`](crate::hir::Program) directly and is the
//! one executable reading of the language's meaning outside the plan: the
//! test oracle (`semaforo_testkit::reference` runs it without a trace) and
//! `explain` (the facade runs it with a tracer that records every
//! sub-expression's value). It shares nothing with the optimised plan
//! evaluator (`semaforo_plan::eval`) except the value types (`Decimal`,
//! `Date`, `Declaration`, `Layout`, `Outcome`): no plan, no rule index, no
//! short-circuit, its own sampling hash. That independence is what the
//! differential tests rely on, so keep it: never call into the plan's
//! evaluator, sets or text helpers from here.
//!
//! Every operand is evaluated (no short-circuit), and each rule of the spec
//! is one small function below, so a reader can check it against the spec
//! line by line. It allocates freely (record lists are collected, `contains`
//! lowercases into new strings); it is an oracle and an explainer, not the
//! hot path. Named lists and tables are looked up in hash sets and maps
//! built on their first use by an [`Interpreter`] and kept for its later
//! declarations, never scanned per test.
//!
//! Tracing is a type parameter: [`Interpreter::evaluate`] runs with
//! [`NoTrace`], whose node type is `()`, so the oracle builds no trace at
//! all; [`Interpreter::evaluate_traced`] hands each evaluated
//! sub-expression, quantifier element, rule and threshold to a [`Trace`].
//!
//! # Input safety
//!
//! Recursion follows the expression tree, `and`/`or` links included,
//! whose depth the parser bounds (`semaforo_syntax::MAX_EXPR_DEPTH`, 512);
//! each form is evaluated by its own function, so a level holds only that
//! form's locals (the facade's `explain` tests pin the stack the deepest
//! accepted condition takes). Nothing here panics on any program or
//! declaration: every index is checked, a missing list, table or field is
//! missing data.

use std::collections::{HashMap, HashSet};
use std::hash::Hasher;

use semaforo_plan::{
    Date, Decimal, Declaration, FieldId, FieldType, Fired, Node, Outcome, Overridden, RecordId,
    SamplingKey, Slot,
};
use siphasher::sip::SipHasher24;

use crate::hir::{
    Arith, Base, Cmp, Const, Expr, ExprKind, LaneAction, LaneId, ListId, Pattern, Program, Quant,
    RuleDef, Score, TableId,
};
use crate::lower::Externals;

/// A value during evaluation. For conditions, `Bool` and `Missing` are
/// Kleene's *true*/*false* and *unknown*. Text borrows from the program,
/// the external data or the declaration, or, for a composite key (the one
/// operator that makes new text), from the evaluation's arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Missing data, or *unknown* as a truth value.
    Missing,
    /// A boolean.
    Bool(bool),
    /// An exact decimal.
    Number(Decimal),
    /// A date.
    Date(Date),
    /// Text.
    Text(&'a str),
    /// A record list: its elements, or `None` when the (optional) list field
    /// is absent.
    Records(Option<Vec<Node>>),
}

impl<'a> Value<'a> {
    /// The value of a constant.
    pub fn from_const(c: &'a Const) -> Value<'a> {
        match c {
            Const::Text(t) => Value::Text(t),
            Const::Number(n) => Value::Number(*n),
            Const::Bool(b) => Value::Bool(*b),
            Const::Date(d) => Value::Date(*d),
        }
    }

    /// The value as a Kleene truth value (`None` = *unknown*).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A Kleene truth value as a value (*unknown* is `Missing`).
    pub fn from_truth(t: Option<bool>) -> Value<'a> {
        t.map_or(Value::Missing, Value::Bool)
    }

    /// Missing data: `Missing`, or an absent record list.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing | Value::Records(None))
    }
}

/// Kleene conjunction: false wins, then unknown.
pub fn kleene_and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Kleene disjunction: true wins, then unknown.
pub fn kleene_or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// The SipHash-2-4 draw of SPEC §3.4, built from the message bytes
/// `UTF-8(rule id) ‖ 0x1F ‖ UTF-8(key field value)`, modulo 1,000,000.
pub fn draw(key: &SamplingKey, rule_id: &str, key_value: &str) -> u32 {
    siphash_draw(key, rule_id, 0x1F, key_value)
}

/// The lane draw of SPEC §3.9: as [`draw`] with `0x1E` between the rule id
/// and the key field value.
pub fn lane_draw(key: &SamplingKey, rule_id: &str, key_value: &str) -> u32 {
    siphash_draw(key, rule_id, 0x1E, key_value)
}

fn siphash_draw(key: &SamplingKey, rule_id: &str, separator: u8, key_value: &str) -> u32 {
    let (first, last) = key.0.split_at(8);
    let k0 = <[u8; 8]>::try_from(first).unwrap_or_default();
    let k1 = <[u8; 8]>::try_from(last).unwrap_or_default();
    let mut message: Vec<u8> = Vec::with_capacity(rule_id.len() + 1 + key_value.len());
    message.extend_from_slice(rule_id.as_bytes());
    message.push(separator);
    message.extend_from_slice(key_value.as_bytes());
    let mut h = SipHasher24::new_with_keys(u64::from_le_bytes(k0), u64::from_le_bytes(k1));
    h.write(&message);
    (h.finish() % 1_000_000) as u32
}

/// Where the entries a test looked in came from, for a trace's detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Among {
    /// A single text expression (`starts with e`).
    Pattern,
    /// An inline list of constants.
    Inline,
    /// A named list.
    List(ListId),
}

/// What decided a test, lookup or arithmetic result, when there is more to
/// say than the value (for a trace; the evaluation does not need it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail<'a> {
    /// Nothing to add.
    None,
    /// `in`: whether the value is among the entries (before `not`).
    Found {
        /// It is.
        found: bool,
        /// Where it was looked for.
        among: Among,
    },
    /// `starts with` / `contains`: the first entry that matched.
    Matched(&'a str),
    /// `starts with` / `contains`: no entry matched.
    NoMatch(Among),
    /// `/` by zero.
    DivisionByZero,
    /// An arithmetic result out of range.
    Overflow,
    /// A quantifier's record list is absent.
    MissingList,
    /// `lookup`: the key of the table entry found.
    Key {
        /// The table.
        table: TableId,
        /// The entry's key.
        key: &'a str,
    },
    /// `lookup`: no key of the table matched.
    NoKey(TableId),
}

/// One active or inactive rule's part in the decision, for a trace.
#[derive(Debug)]
pub struct RuleVerdict<N> {
    /// Active on the evaluation date.
    pub active: bool,
    /// The traced `when` condition (`None` if the rule has none or is not
    /// active).
    pub when: Option<N>,
    /// The condition's truth value: `None` when the rule is not active,
    /// `Some(None)` for *unknown*, `Some(Some(true))` without a `when`.
    pub condition: Option<Option<bool>>,
    /// The draw, for an active sampled rule (whatever its condition).
    pub draw: Option<u32>,
    /// The rule fired (for a shadow rule: would have fired).
    pub fired: bool,
    /// The traced `score` expression, evaluated only when the rule fired.
    pub score: Option<N>,
    /// The outcome entry when the rule fired (points, draws, lane); in
    /// `Outcome::monitored` for a shadow rule.
    pub entry: Option<Fired>,
}

/// Receives what the interpreter evaluates, bottom-up: each sub-expression
/// after its operands, each quantifier element's body, then the rule.
pub trait Trace {
    /// A traced sub-expression (`()` when not tracing).
    type Node;
    /// The traced elements of one quantifier, collected by
    /// [`Trace::element`] and handed to [`Trace::quantifier`].
    type Elements: Default;

    /// An evaluated sub-expression other than a quantifier: its value, its
    /// operands' nodes in source order, and what decided it.
    fn expr(
        &mut self,
        e: &Expr,
        value: &Value<'_>,
        operands: Vec<Self::Node>,
        detail: Detail<'_>,
    ) -> Self::Node;

    /// A quantifier's body evaluated for element `index` of `list` (the
    /// list's node); `best` when, for `min`/`max`, it is the first element
    /// with the best value so far.
    fn element(
        &mut self,
        elements: &mut Self::Elements,
        list: &Self::Node,
        index: usize,
        body: Self::Node,
        best: bool,
    );

    /// An evaluated quantifier: its value, its list's node, how many
    /// elements the list had (0 for a missing list) and the elements.
    fn quantifier(
        &mut self,
        e: &Expr,
        value: &Value<'_>,
        list: Self::Node,
        total: usize,
        elements: Self::Elements,
        detail: Detail<'_>,
    ) -> Self::Node;

    /// A rule of the program, in ruleset order (`index` in
    /// `Program::rules`).
    fn rule(&mut self, index: u32, rule: &RuleDef, verdict: RuleVerdict<Self::Node>);

    /// A threshold, in ascending order, and whether the score reached it.
    fn threshold(&mut self, lane: LaneId, minimum: i64, reached: bool);
}

/// The trace that records nothing: evaluation without tracing costs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTrace;

impl Trace for NoTrace {
    type Node = ();
    type Elements = ();

    #[inline]
    fn expr(&mut self, _: &Expr, _: &Value<'_>, _: Vec<()>, _: Detail<'_>) {}

    #[inline]
    fn element(&mut self, _: &mut (), _: &(), _: usize, _: (), _: bool) {}

    #[inline]
    fn quantifier(&mut self, _: &Expr, _: &Value<'_>, _: (), _: usize, _: (), _: Detail<'_>) {}

    #[inline]
    fn rule(&mut self, _: u32, _: &RuleDef, _: RuleVerdict<()>) {}

    #[inline]
    fn threshold(&mut self, _: LaneId, _: i64, _: bool) {}
}

/// A constant as a hash key, borrowing its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Text(&'a str),
    Number(Decimal),
    Bool(bool),
    Date(Date),
}

impl<'a> Key<'a> {
    fn of_const(c: &'a Const) -> Key<'a> {
        match c {
            Const::Text(t) => Key::Text(t),
            Const::Number(n) => Key::Number(*n),
            Const::Bool(b) => Key::Bool(*b),
            Const::Date(d) => Key::Date(*d),
        }
    }

    fn of_value<'v>(v: &Value<'v>) -> Option<Key<'v>> {
        match v {
            Value::Text(t) => Some(Key::Text(t)),
            Value::Number(n) => Some(Key::Number(*n)),
            Value::Bool(b) => Some(Key::Bool(*b)),
            Value::Date(d) => Some(Key::Date(*d)),
            Value::Missing | Value::Records(_) => None,
        }
    }
}

/// A table row: one cell per column, `None` for an empty cell.
type Row<'p> = &'p [Option<Const>];

/// The interpreter of one program with its external data. Reuse it across
/// declarations: the hash sets of named lists and the maps of tables are
/// built on first use and kept.
#[derive(Debug)]
pub struct Interpreter<'p> {
    program: &'p Program,
    externals: &'p Externals,
    /// Per list: its entries as a set, once `in` has tested it.
    sets: Vec<Option<HashSet<Key<'p>>>>,
    /// Per table: key to row (the first row of a key), once looked up.
    tables: Vec<Option<HashMap<&'p str, Row<'p>>>>,
}

impl<'p> Interpreter<'p> {
    /// An interpreter of `program`, whose external lists and tables are
    /// `externals` (a missing one is empty).
    pub fn new(program: &'p Program, externals: &'p Externals) -> Interpreter<'p> {
        Interpreter {
            program,
            externals,
            sets: program.lists.iter().map(|_| None).collect(),
            tables: program.tables.iter().map(|_| None).collect(),
        }
    }

    /// Evaluates the program on one declaration, as SPEC §3.4–§3.5
    /// describe.
    ///
    /// `decl` must have been made for `program.layout` (or a structurally
    /// equal layout); fields are read by index.
    pub fn evaluate(&mut self, decl: &Declaration, today: Date, key: &SamplingKey) -> Outcome {
        self.evaluate_traced(decl, today, key, &mut NoTrace)
    }

    /// [`Interpreter::evaluate`], handing everything evaluated to `tracer`.
    pub fn evaluate_traced<T: Trace>(
        &mut self,
        decl: &Declaration,
        today: Date,
        key: &SamplingKey,
        tracer: &mut T,
    ) -> Outcome {
        let program = self.program;
        let arena = bumpalo::Bump::new();
        let mut run = Run {
            interp: self,
            decl,
            today,
            tracer,
            vars: Vec::new(),
            arena: &arena,
        };
        let key_value = match decl.slot(Node::ROOT, program.layout.key()) {
            Slot::Text { start, len } => decl.text(start, len),
            _ => "",
        };
        let mut outcome = Outcome::default();
        let mut lane: u16 = 0;
        for (index, rule) in program.rules.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            let window = |from: Option<Date>, to: Option<Date>| {
                from.is_none_or(|from| from <= today) && to.is_none_or(|to| today <= to)
            };
            // A rule not in force is never evaluated. A rule whose override
            // applies today is evaluated as the override makes it (not at
            // all when disabled), and as its package defines it to tell
            // whether the override changed anything.
            let overlay = rule
                .overlay
                .as_ref()
                .filter(|o| rule.in_force() && o.in_effect(today));
            let overridden = overlay.is_some();
            let (active, score_action, lane_action) = match overlay {
                None => (
                    rule.in_force() && window(rule.active_from, rule.active_to),
                    &rule.score,
                    &rule.lane,
                ),
                Some(o) => match &o.adjust {
                    None => (false, &rule.score, &rule.lane),
                    Some(a) => {
                        let (from, to) = a.window.unwrap_or((rule.active_from, rule.active_to));
                        match &a.actions {
                            Some(acts) => (window(from, to), &acts.score, &acts.lane),
                            None => (window(from, to), &rule.score, &rule.lane),
                        }
                    }
                },
            };
            let original_active = overridden && window(rule.active_from, rule.active_to);
            if !active && !original_active {
                run.tracer.rule(
                    index,
                    rule,
                    RuleVerdict {
                        active: false,
                        when: None,
                        condition: None,
                        draw: None,
                        fired: false,
                        score: None,
                        entry: None,
                    },
                );
                continue;
            }
            let (condition, when) = match &rule.when {
                None => (Some(true), None),
                Some(e) => {
                    run.vars.clear();
                    let (v, node) = run.eval(e);
                    (v.truth(), Some(node))
                }
            };
            let draw = rule.sample.map(|_| draw(key, &rule.id, key_value));
            let selected = match (rule.sample, draw) {
                (Some(cutoff), Some(d)) => d < cutoff,
                _ => true,
            };
            // An unknown condition leaves the rule undetermined (sampled or
            // not; a shadow rule is listed nowhere); a true one fires it if
            // the sample selects it.
            if condition.is_none() && active && !rule.monitor {
                outcome.undetermined.push(index);
            }
            let selected_today = condition == Some(true) && selected;
            let fired = active && selected_today;
            if overridden && selected_today && (fired || original_active) {
                outcome.overridden.push(Overridden {
                    rule: index,
                    original: original_active,
                    applied: fired,
                });
            }
            let mut score_node = None;
            let mut fired_entry = None;
            if fired {
                // Points and the lane draw only for a rule that fires.
                let points = match score_action {
                    None => 0,
                    Some(Score::Points(p)) => *p,
                    Some(Score::Expr(e)) => {
                        run.vars.clear();
                        let (v, node) = run.eval(e);
                        score_node = Some(node);
                        match v {
                            Value::Number(n) => n.to_points(),
                            _ => 0,
                        }
                    }
                };
                let (lane_action, lane_draw) = match lane_action {
                    None => (None, None),
                    Some(LaneAction::Lane(l)) => (Some(l.0), None),
                    Some(LaneAction::Split(shares)) => {
                        let d = lane_draw(key, &rule.id, key_value);
                        let chosen = shares.iter().find(|(_, cut)| d < *cut).map(|(l, _)| l.0);
                        (chosen, Some(d))
                    }
                };
                let entry = Fired {
                    rule: index,
                    draw,
                    lane_draw,
                    lane: lane_action,
                    points,
                };
                fired_entry = Some(entry);
                if rule.monitor {
                    outcome.monitored.push(entry);
                } else {
                    outcome.fired.push(entry);
                    outcome.score = outcome.score.saturating_add(points);
                    if let Some(l) = lane_action {
                        lane = lane.max(l);
                    }
                }
            }
            run.tracer.rule(
                index,
                rule,
                RuleVerdict {
                    active,
                    when,
                    condition: Some(condition),
                    draw,
                    fired,
                    score: score_node,
                    entry: fired_entry,
                },
            );
        }
        // The declaration's group's thresholds, if it is in one.
        let mut thresholds = &program.thresholds;
        if let Some(g) = &program.threshold_groups
            && let Slot::Text { start, len } = decl.slot(Node::ROOT, g.field)
        {
            let value = decl.text(start, len);
            if let Some((_, list)) = g.groups.iter().find(|(v, _)| v == value) {
                thresholds = list;
            }
        }
        for (threshold_lane, minimum) in thresholds {
            let reached = outcome.score >= *minimum;
            if reached {
                lane = lane.max(threshold_lane.0);
            }
            run.tracer.threshold(*threshold_lane, *minimum, reached);
        }
        outcome.lane = lane;
        outcome
    }

    /// The entries of named list `id`: its inline values or its external
    /// data (none if it was not supplied).
    fn list_entries(&self, id: ListId) -> Option<&'p [Const]> {
        let program: &'p Program = self.program;
        let externals: &'p Externals = self.externals;
        let def = program.lists.get(id.0 as usize)?;
        Some(match &def.values {
            Some(values) => values,
            None => externals.lists.get(&def.name).map_or(&[][..], |v| &v[..]),
        })
    }

    /// Whether `v` is an entry of named list `id` (`None` if the program has
    /// no such list).
    fn in_list(&mut self, id: ListId, v: &Value<'_>) -> Option<bool> {
        let entries = self.list_entries(id)?;
        let set = self
            .sets
            .get_mut(id.0 as usize)?
            .get_or_insert_with(|| entries.iter().map(Key::of_const).collect());
        Some(Key::of_value(v).is_some_and(|k| set.contains(&k)))
    }

    /// `lookup` (`prefix` false: the row whose key is `k`) or
    /// `lookup_prefix` (the row with the longest key that `k` starts
    /// with); with its key. `None` if the program has no such table.
    fn lookup(
        &mut self,
        table: TableId,
        k: &str,
        prefix: bool,
    ) -> Option<Option<(&'p str, Row<'p>)>> {
        let program: &'p Program = self.program;
        let externals: &'p Externals = self.externals;
        let def = program.tables.get(table.0 as usize)?;
        let map = self
            .tables
            .get_mut(table.0 as usize)?
            .get_or_insert_with(|| {
                let mut map = HashMap::new();
                if let Some(rows) = externals.tables.get(&def.name) {
                    map.reserve(rows.len());
                    for (key, cells) in rows.rows() {
                        // Lowering rejects a key given twice; should one
                        // reach here, the first row wins.
                        map.entry(key).or_insert(cells);
                    }
                }
                map
            });
        let hit = |key: &str| map.get_key_value(key).map(|(k, v)| (*k, *v));
        if !prefix {
            return Some(hit(k));
        }
        // Longest prefix first: every prefix of `k` ending at a character
        // boundary, `k` itself first and the empty prefix last.
        let ends = k
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(k.len()))
            .rev();
        for end in ends {
            if let Some(found) = k.get(..end).and_then(hit) {
                return Some(Some(found));
            }
        }
        Some(None)
    }
}

/// One evaluation: the declaration, the date, the tracer and the bound
/// quantifier variables.
struct Run<'r, 'p, 'd, T> {
    interp: &'r mut Interpreter<'p>,
    decl: &'d Declaration,
    today: Date,
    tracer: &'r mut T,
    /// `vars[i]` is the element bound to `VarId(i)`.
    vars: Vec<Node>,
    /// Where composite keys are built.
    arena: &'d bumpalo::Bump,
}

/// The entries a pattern stands for.
enum Items<'a> {
    /// A missing text expression: the test is *unknown*.
    Missing,
    /// One value (a text expression).
    One(Value<'a>),
    /// An inline list.
    Inline(&'a [Const]),
    /// A named list.
    List(ListId),
}

impl<'r, 'p: 'd, 'd, T: Trace> Run<'r, 'p, 'd, T> {
    fn node(&mut self, e: &Expr, v: Value<'d>, operands: Vec<T::Node>) -> (Value<'d>, T::Node) {
        self.node_with(e, v, operands, Detail::None)
    }

    fn node_with(
        &mut self,
        e: &Expr,
        v: Value<'d>,
        operands: Vec<T::Node>,
        detail: Detail<'_>,
    ) -> (Value<'d>, T::Node) {
        let n = self.tracer.expr(e, &v, operands, detail);
        (v, n)
    }

    /// Evaluates an expression.
    ///
    /// Each form is one function below, so the frame of this recursion is
    /// small: only the form at hand's locals are on the stack per level.
    fn eval(&mut self, e: &'p Expr) -> (Value<'d>, T::Node) {
        match &e.kind {
            ExprKind::Const(c) => self.node(e, Value::from_const(c), Vec::new()),
            ExprKind::Today => self.node(e, Value::Date(self.today), Vec::new()),
            ExprKind::Field {
                base,
                record,
                field,
            } => {
                let v = self.field(*base, *record, *field);
                self.node(e, v, Vec::new())
            }
            ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Len(a) => self.unary(e, a),
            ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Arith(_, a, b)
            | ExprKind::DateDiff(a, b)
            | ExprKind::Cmp(_, a, b) => self.binary(e, a, b),
            ExprKind::In {
                value,
                list,
                negated,
            } => self.in_test(e, value, list, *negated),
            ExprKind::StartsWith(t, p) => self.text_test(e, t, p, |t, p| t.starts_with(p)),
            ExprKind::Contains(t, p) => {
                self.text_test(e, t, p, |t, p| lowercase(t).contains(lowercase(p).as_str()))
            }
            ExprKind::Is { value, present } => {
                let (v, nv) = self.eval(value);
                let missing = v.is_missing();
                self.node(e, Value::Bool(missing != *present), vec![nv])
            }
            ExprKind::Quant {
                kind,
                var,
                list,
                body,
                ..
            } => self.quantify(e, *kind, var.0 as usize, list, body),
            ExprKind::Lookup {
                table,
                key,
                prefix,
                column,
            } => self.lookup(e, *table, key, *prefix, *column),
            ExprKind::Key(parts) => self.composite_key(e, parts),
        }
    }

    /// `key(e1, e2, ...)`: every part evaluated; the parts joined with `|`,
    /// *missing* if any part is.
    fn composite_key(&mut self, e: &Expr, parts: &'p [Expr]) -> (Value<'d>, T::Node) {
        let mut texts: Vec<Option<&'d str>> = Vec::with_capacity(parts.len());
        let mut nodes = Vec::with_capacity(parts.len());
        for p in parts {
            let (v, n) = self.eval(p);
            texts.push(match v {
                Value::Text(t) => Some(t),
                _ => None,
            });
            nodes.push(n);
        }
        let joined: Option<Vec<&str>> = texts.into_iter().collect();
        let arena: &'d bumpalo::Bump = self.arena;
        let v = match joined {
            Some(texts) => Value::Text(arena.alloc_str(&texts.join("|"))),
            None => Value::Missing,
        };
        self.node(e, v, nodes)
    }

    /// A field of the declaration or of a bound element.
    fn field(&self, base: Base, record: RecordId, field: FieldId) -> Value<'d> {
        let node = match base {
            Base::Root => Some(Node::ROOT),
            Base::Var(v) => self.vars.get(v.0 as usize).copied(),
        };
        match node {
            Some(node) => self.read_field(node, record, field),
            None => Value::Missing,
        }
    }

    /// `-a`, `not a`, `len(a)`.
    fn unary(&mut self, e: &Expr, a: &'p Expr) -> (Value<'d>, T::Node) {
        let (a, na) = self.eval(a);
        let v = match (&e.kind, a) {
            (ExprKind::Neg(_), Value::Number(n)) => Value::Number(n.neg()),
            (ExprKind::Not(_), a) => Value::from_truth(a.truth().map(|b| !b)),
            (ExprKind::Len(_), Value::Text(t)) => Value::Number(Decimal::from_i64(
                i64::try_from(t.chars().count()).unwrap_or(i64::MAX),
            )),
            _ => Value::Missing,
        };
        self.node(e, v, vec![na])
    }

    /// `and`, `or`, arithmetic, `date - date` and comparisons: both operands
    /// are evaluated.
    fn binary(&mut self, e: &Expr, a: &'p Expr, b: &'p Expr) -> (Value<'d>, T::Node) {
        let (a, na) = self.eval(a);
        let (b, nb) = self.eval(b);
        let (v, detail) = match &e.kind {
            ExprKind::And(..) => (
                Value::from_truth(kleene_and(a.truth(), b.truth())),
                Detail::None,
            ),
            ExprKind::Or(..) => (
                Value::from_truth(kleene_or(a.truth(), b.truth())),
                Detail::None,
            ),
            ExprKind::Arith(op, ..) => arith(*op, &a, &b),
            ExprKind::DateDiff(..) => match (a, b) {
                (Value::Date(a), Value::Date(b)) => (
                    Value::Number(Decimal::from_i64(i64::from(a.days()) - i64::from(b.days()))),
                    Detail::None,
                ),
                _ => (Value::Missing, Detail::None),
            },
            ExprKind::Cmp(op, ..) => (Value::from_truth(compare(*op, &a, &b)), Detail::None),
            _ => (Value::Missing, Detail::None),
        };
        self.node_with(e, v, vec![na, nb], detail)
    }

    /// `x in L` / `x not in L`: unknown if `x` is missing.
    fn in_test(
        &mut self,
        e: &Expr,
        value: &'p Expr,
        list: &'p Pattern,
        negated: bool,
    ) -> (Value<'d>, T::Node) {
        let (v, nv) = self.eval(value);
        let mut operands = vec![nv];
        let (items, among) = self.pattern(list, &mut operands);
        let found = if v.is_missing() {
            None
        } else {
            match items {
                Items::Missing => None,
                Items::One(x) => Some(x == v),
                Items::Inline(consts) => Some(consts.iter().any(|c| Value::from_const(c) == v)),
                Items::List(id) => self.interp.in_list(id, &v),
            }
        };
        let detail = found.map_or(Detail::None, |found| Detail::Found { found, among });
        let t = if negated { found.map(|b| !b) } else { found };
        self.node_with(e, Value::from_truth(t), operands, detail)
    }

    /// `lookup(t, k)` / `lookup_prefix(t, k)`: missing if the key is
    /// missing or no entry matches.
    fn lookup(
        &mut self,
        e: &Expr,
        table: TableId,
        key: &'p Expr,
        prefix: bool,
        column: u32,
    ) -> (Value<'d>, T::Node) {
        let (k, nk) = self.eval(key);
        let (v, detail) = match k {
            Value::Text(k) => match self.interp.lookup(table, k, prefix) {
                None => (Value::Missing, Detail::None),
                Some(None) => (Value::Missing, Detail::NoKey(table)),
                // The row first, then its cell: an empty cell is missing.
                Some(Some((key, row))) => match row.get(column as usize) {
                    Some(Some(v)) => (Value::from_const(v), Detail::Key { table, key }),
                    _ => (Value::Missing, Detail::Key { table, key }),
                },
            },
            _ => (Value::Missing, Detail::None),
        };
        self.node_with(e, v, vec![nk], detail)
    }

    fn read_field(&self, node: Node, record: RecordId, field: FieldId) -> Value<'d> {
        let decl: &'d Declaration = self.decl;
        let ty = self
            .interp
            .program
            .layout
            .field(record, field)
            .map(|f| f.ty);
        match decl.slot(node, field) {
            Slot::Missing => match ty {
                Some(FieldType::List(_)) => Value::Records(None),
                _ => Value::Missing,
            },
            Slot::Bool(b) => Value::Bool(b),
            Slot::Number(n) => Value::Number(n),
            Slot::Date(d) => Value::Date(d),
            Slot::Text { start, len } => Value::Text(decl.text(start, len)),
            slot @ Slot::List { .. } => match ty {
                Some(FieldType::List(elem)) => {
                    Value::Records(Some(decl.elements(elem, slot).collect()))
                }
                _ => Value::Missing,
            },
        }
    }

    /// The entries a pattern stands for, and where they come from; a
    /// pattern expression's node is pushed onto `operands`.
    fn pattern(&mut self, p: &'p Pattern, operands: &mut Vec<T::Node>) -> (Items<'d>, Among) {
        match p {
            Pattern::Expr(e) => {
                let (v, n) = self.eval(e);
                operands.push(n);
                let items = if v.is_missing() {
                    Items::Missing
                } else {
                    Items::One(v)
                };
                (items, Among::Pattern)
            }
            Pattern::Inline(items) => (Items::Inline(items), Among::Inline),
            Pattern::List(id) => (Items::List(*id), Among::List(*id)),
        }
    }

    /// `t starts with P` / `t contains P`: true if `test` holds for any of
    /// P's texts; unknown if `t` or a text expression `P` is missing.
    fn text_test(
        &mut self,
        e: &Expr,
        t: &'p Expr,
        p: &'p Pattern,
        test: impl Fn(&str, &str) -> bool,
    ) -> (Value<'d>, T::Node) {
        let (t, nt) = self.eval(t);
        let mut operands = vec![nt];
        let (items, among) = self.pattern(p, &mut operands);
        let (truth, detail) = match (&t, items) {
            (Value::Text(t), Items::One(Value::Text(p))) => {
                if test(t, p) {
                    (Some(true), Detail::Matched(p))
                } else {
                    (Some(false), Detail::NoMatch(among))
                }
            }
            (Value::Text(t), Items::Inline(entries)) => first_match(t, entries, &test, among),
            (Value::Text(t), Items::List(id)) => match self.interp.list_entries(id) {
                Some(entries) => first_match(t, entries, &test, among),
                None => (None, Detail::None),
            },
            (Value::Text(_), Items::One(_)) => (Some(false), Detail::NoMatch(among)),
            _ => (None, Detail::None),
        };
        self.node_with(e, Value::from_truth(truth), operands, detail)
    }

    fn quantify(
        &mut self,
        e: &Expr,
        kind: Quant,
        var: usize,
        list: &'p Expr,
        body: &'p Expr,
    ) -> (Value<'d>, T::Node) {
        let (elements, list_node) = self.eval(list);
        let Value::Records(Some(elements)) = elements else {
            // A missing list: the condition cannot be decided, the aggregate
            // has no value.
            let n = self.tracer.quantifier(
                e,
                &Value::Missing,
                list_node,
                0,
                T::Elements::default(),
                Detail::MissingList,
            );
            return (Value::Missing, n);
        };
        let total = elements.len();
        let mut traced = T::Elements::default();
        // Any: Kleene OR over the elements (an unknown does not stop the
        // scan: a later true still wins); All: Kleene AND.
        let mut truth = match kind {
            Quant::All => Some(true),
            _ => Some(false),
        };
        let mut count: i64 = 0;
        let mut sum = Some(Decimal::ZERO);
        // Min/Max: the first best value.
        let mut best: Option<Decimal> = None;
        for (index, element) in elements.into_iter().enumerate() {
            // Bind the variable at its depth; deeper variables are dropped.
            self.vars.truncate(var);
            while self.vars.len() < var {
                self.vars.push(Node::ROOT);
            }
            self.vars.push(element);
            let (r, node) = self.eval(body);
            let mut new_best = false;
            match kind {
                Quant::Any => truth = kleene_or(truth, r.truth()),
                Quant::All => truth = kleene_and(truth, r.truth()),
                Quant::Count => count += i64::from(r.truth() == Some(true)),
                Quant::Sum => {
                    if let Value::Number(n) = r {
                        sum = sum.and_then(|t| t.checked_add(n));
                    }
                }
                Quant::Min | Quant::Max => {
                    if let Value::Number(n) = r {
                        new_best = match best {
                            None => true,
                            Some(b) if kind == Quant::Min => n < b,
                            Some(b) => n > b,
                        };
                        if new_best {
                            best = Some(n);
                        }
                    }
                }
            }
            self.tracer
                .element(&mut traced, &list_node, index, node, new_best);
        }
        self.vars.truncate(var);
        let value = match kind {
            Quant::Any | Quant::All => Value::from_truth(truth),
            Quant::Count => Value::Number(Decimal::from_i64(count)),
            Quant::Sum => sum.map_or(Value::Missing, Value::Number),
            Quant::Min | Quant::Max => best.map_or(Value::Missing, Value::Number),
        };
        let n = self
            .tracer
            .quantifier(e, &value, list_node, total, traced, Detail::None);
        (value, n)
    }
}

/// `starts with` / `contains` against a list's entries: true with the first
/// text entry `test` accepts, else false.
fn first_match<'p>(
    t: &str,
    entries: &'p [Const],
    test: &impl Fn(&str, &str) -> bool,
    among: Among,
) -> (Option<bool>, Detail<'p>) {
    let hit = entries.iter().find_map(|c| match c {
        Const::Text(p) if test(t, p) => Some(&**p),
        _ => None,
    });
    match hit {
        Some(p) => (Some(true), Detail::Matched(p)),
        None => (Some(false), Detail::NoMatch(among)),
    }
}

/// Number arithmetic; missing if an operand is missing or the result is out
/// of range (decimals round half to even, SPEC §3.8).
fn arith<'d>(op: Arith, a: &Value<'d>, b: &Value<'d>) -> (Value<'d>, Detail<'static>) {
    let (Value::Number(a), Value::Number(b)) = (a, b) else {
        return (Value::Missing, Detail::None);
    };
    let result = match op {
        Arith::Add => a.checked_add(*b),
        Arith::Sub => a.checked_sub(*b),
        Arith::Mul => a.checked_mul(*b),
        Arith::Div => a.checked_div(*b),
    };
    match result {
        Some(n) => (Value::Number(n), Detail::None),
        None if op == Arith::Div && *b == Decimal::ZERO => (Value::Missing, Detail::DivisionByZero),
        None => (Value::Missing, Detail::Overflow),
    }
}

/// Lowercases per character with `char::to_lowercase` (no final-sigma rule).
fn lowercase(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// A comparison of two values of one type; unknown if either is missing.
fn compare(op: Cmp, a: &Value<'_>, b: &Value<'_>) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering: Ordering = match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.cmp(b),
        (Value::Date(a), Value::Date(b)) => a.cmp(b),
        (Value::Text(a), Value::Text(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
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
