//! The reference interpreter: SPEC §3.4–§3.8 written for clarity, not speed.
//!
//! It walks the checked [`hir::Program`] directly and shares nothing with the
//! optimised plan evaluator except the value types (`Decimal`, `Date`,
//! `Declaration`, `Layout`, `Outcome`). Values are owned (`String` for text),
//! every operand is evaluated (no short-circuit), and each rule of the spec is
//! one small function below, so a reader can check it against the spec line by
//! line. It allocates freely; it is a test oracle, not a product.

use std::hash::Hasher;

use semaforo_compile::hir::{self, Arith, Base, Cmp, Const, Expr, ExprKind, Pattern, Quant};
use semaforo_plan::{
    Date, Decimal, Declaration, Fired, Node, Outcome, RecordId, SamplingKey, Slot,
};
use siphasher::sip::SipHasher24;

use crate::Externals;

/// A value during reference evaluation. For conditions, `Bool` and `Missing`
/// are Kleene's *true*/*false* and *unknown*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefValue {
    /// Missing data, or *unknown* as a truth value.
    Missing,
    /// A boolean.
    Bool(bool),
    /// An exact decimal.
    Number(Decimal),
    /// A date.
    Date(Date),
    /// Owned text.
    Text(String),
    /// A record list: its elements, or `None` when the (optional) list field
    /// is absent.
    Records(Option<Vec<Node>>),
}

impl RefValue {
    fn from_const(c: &Const) -> RefValue {
        match c {
            Const::Text(t) => RefValue::Text(t.to_string()),
            Const::Number(n) => RefValue::Number(*n),
            Const::Bool(b) => RefValue::Bool(*b),
            Const::Date(d) => RefValue::Date(*d),
        }
    }

    /// The value as a Kleene truth value (`None` = *unknown*).
    fn truth(&self) -> Option<bool> {
        match self {
            RefValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn from_truth(t: Option<bool>) -> RefValue {
        t.map_or(RefValue::Missing, RefValue::Bool)
    }

    fn is_missing(&self) -> bool {
        matches!(self, RefValue::Missing | RefValue::Records(None))
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

/// The SipHash-2-4 draw of SPEC §3.4, built from the message bytes.
pub fn reference_draw(key: &SamplingKey, rule_id: &str, key_value: &str) -> u32 {
    let (first, last) = key.0.split_at(8);
    let k0 = <[u8; 8]>::try_from(first).unwrap_or_default();
    let k1 = <[u8; 8]>::try_from(last).unwrap_or_default();
    let mut message: Vec<u8> = Vec::new();
    message.extend_from_slice(rule_id.as_bytes());
    message.push(0x1F);
    message.extend_from_slice(key_value.as_bytes());
    let mut h = SipHasher24::new_with_keys(u64::from_le_bytes(k0), u64::from_le_bytes(k1));
    h.write(&message);
    (h.finish() % 1_000_000) as u32
}

/// Evaluates `program` on one declaration, as SPEC §3.4–§3.5 describe.
///
/// `decl` must have been made for `program.layout` (or a structurally equal
/// layout); fields are read by index.
pub fn evaluate(
    program: &hir::Program,
    externals: &Externals,
    decl: &Declaration,
    today: Date,
    key: &SamplingKey,
) -> Outcome {
    let interp = Interp {
        program,
        externals,
        decl,
        today,
    };
    let key_value = match decl.slot(Node::ROOT, program.layout.key()) {
        Slot::Text { start, len } => decl.text(start, len).to_string(),
        _ => String::new(),
    };
    let mut outcome = Outcome::default();
    let mut lane: u16 = 0;
    for (index, rule) in program.rules.iter().enumerate() {
        let index = index as u32;
        let active = rule.active_from.is_none_or(|from| from <= today)
            && rule.active_to.is_none_or(|to| today <= to);
        if !active {
            continue;
        }
        let condition = match &rule.when {
            None => Some(true),
            Some(e) => interp.eval(e, &mut Vec::new()).truth(),
        };
        match condition {
            None => outcome.undetermined.push(index),
            Some(false) => {}
            Some(true) => {
                let draw = rule
                    .sample
                    .map(|_| reference_draw(key, &rule.id, &key_value));
                let selected = match (rule.sample, draw) {
                    (Some(cutoff), Some(d)) => d < cutoff,
                    _ => true,
                };
                if selected {
                    outcome.fired.push(Fired { rule: index, draw });
                    outcome.score = outcome.score.saturating_add(rule.score.unwrap_or(0));
                    if let Some(l) = rule.lane {
                        lane = lane.max(l.0);
                    }
                }
            }
        }
    }
    for (threshold_lane, minimum) in &program.thresholds {
        if outcome.score >= *minimum {
            lane = lane.max(threshold_lane.0);
        }
    }
    outcome.lane = lane;
    outcome
}

struct Interp<'a> {
    program: &'a hir::Program,
    externals: &'a Externals,
    decl: &'a Declaration,
    today: Date,
}

impl Interp<'_> {
    /// Evaluates an expression; `vars[i]` is the element bound to `VarId(i)`.
    fn eval(&self, e: &Expr, vars: &mut Vec<Node>) -> RefValue {
        match &e.kind {
            ExprKind::Const(c) => RefValue::from_const(c),
            ExprKind::Today => RefValue::Date(self.today),
            ExprKind::Field {
                base,
                record,
                field,
            } => {
                let node = match base {
                    Base::Root => Some(Node::ROOT),
                    Base::Var(v) => vars.get(v.0 as usize).copied(),
                };
                match node {
                    Some(node) => self.read_field(node, *record, *field),
                    None => RefValue::Missing,
                }
            }
            ExprKind::Neg(a) => match self.eval(a, vars) {
                RefValue::Number(n) => RefValue::Number(n.neg()),
                _ => RefValue::Missing,
            },
            ExprKind::Not(a) => RefValue::from_truth(self.eval(a, vars).truth().map(|b| !b)),
            ExprKind::And(a, b) => {
                let a = self.eval(a, vars).truth();
                let b = self.eval(b, vars).truth();
                RefValue::from_truth(kleene_and(a, b))
            }
            ExprKind::Or(a, b) => {
                let a = self.eval(a, vars).truth();
                let b = self.eval(b, vars).truth();
                RefValue::from_truth(kleene_or(a, b))
            }
            ExprKind::Arith(op, a, b) => {
                let (RefValue::Number(a), RefValue::Number(b)) =
                    (self.eval(a, vars), self.eval(b, vars))
                else {
                    return RefValue::Missing;
                };
                let result = match op {
                    Arith::Add => a.checked_add(b),
                    Arith::Sub => a.checked_sub(b),
                    Arith::Mul => a.checked_mul(b),
                    Arith::Div => a.checked_div(b),
                };
                result.map_or(RefValue::Missing, RefValue::Number)
            }
            ExprKind::DateDiff(a, b) => match (self.eval(a, vars), self.eval(b, vars)) {
                (RefValue::Date(a), RefValue::Date(b)) => {
                    RefValue::Number(Decimal::from_i64(i64::from(a.days()) - i64::from(b.days())))
                }
                _ => RefValue::Missing,
            },
            ExprKind::Cmp(op, a, b) => {
                let a = self.eval(a, vars);
                let b = self.eval(b, vars);
                RefValue::from_truth(compare(*op, &a, &b))
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value, vars);
                let found = if v.is_missing() {
                    None
                } else {
                    self.pattern_values(list, vars)
                        .map(|items| items.contains(&v))
                };
                RefValue::from_truth(if *negated { found.map(|b| !b) } else { found })
            }
            ExprKind::StartsWith(t, p) => {
                let t = self.eval(t, vars);
                RefValue::from_truth(self.text_test(&t, p, vars, |t, p| t.starts_with(p)))
            }
            ExprKind::Contains(t, p) => {
                let t = self.eval(t, vars);
                RefValue::from_truth(self.text_test(&t, p, vars, |t, p| {
                    lowercase(t).contains(lowercase(p).as_str())
                }))
            }
            ExprKind::Is { value, present } => {
                let missing = self.eval(value, vars).is_missing();
                RefValue::Bool(missing != *present)
            }
            ExprKind::Quant {
                kind,
                var,
                list,
                body,
                ..
            } => {
                let RefValue::Records(elements) = self.eval(list, vars) else {
                    return RefValue::Missing;
                };
                self.quantify(*kind, var.0 as usize, elements, body, vars)
            }
            ExprKind::Lookup { table, key, prefix } => {
                let RefValue::Text(k) = self.eval(key, vars) else {
                    return RefValue::Missing;
                };
                let Some(def) = self.program.tables.get(table.0 as usize) else {
                    return RefValue::Missing;
                };
                let Some(entries) = self.externals.tables.get(&def.name) else {
                    return RefValue::Missing;
                };
                let hit = if *prefix {
                    entries
                        .iter()
                        .filter(|(tk, _)| k.starts_with(tk.as_str()))
                        .max_by_key(|(tk, _)| tk.len())
                } else {
                    entries.iter().find(|(tk, _)| *tk == k)
                };
                hit.map_or(RefValue::Missing, |(_, v)| RefValue::from_const(v))
            }
            ExprKind::Len(t) => match self.eval(t, vars) {
                RefValue::Text(t) => RefValue::Number(Decimal::from_i64(t.chars().count() as i64)),
                _ => RefValue::Missing,
            },
        }
    }

    fn read_field(&self, node: Node, record: RecordId, field: semaforo_plan::FieldId) -> RefValue {
        let ty = self.program.layout.field(record, field).map(|f| f.ty);
        match self.decl.slot(node, field) {
            Slot::Missing => match ty {
                Some(semaforo_plan::FieldType::List(_)) => RefValue::Records(None),
                _ => RefValue::Missing,
            },
            Slot::Bool(b) => RefValue::Bool(b),
            Slot::Number(n) => RefValue::Number(n),
            Slot::Date(d) => RefValue::Date(d),
            Slot::Text { start, len } => RefValue::Text(self.decl.text(start, len).to_string()),
            slot @ Slot::List { .. } => match ty {
                Some(semaforo_plan::FieldType::List(elem)) => {
                    RefValue::Records(Some(self.decl.elements(elem, slot).collect()))
                }
                _ => RefValue::Missing,
            },
        }
    }

    /// The constants a pattern stands for (`None` if a text expression
    /// pattern is missing).
    fn pattern_values(&self, p: &Pattern, vars: &mut Vec<Node>) -> Option<Vec<RefValue>> {
        match p {
            Pattern::Expr(e) => {
                let v = self.eval(e, vars);
                if v.is_missing() { None } else { Some(vec![v]) }
            }
            Pattern::Inline(items) => Some(items.iter().map(RefValue::from_const).collect()),
            Pattern::List(id) => {
                let def = self.program.lists.get(id.0 as usize)?;
                let items = match &def.values {
                    Some(values) => values.clone(),
                    None => self
                        .externals
                        .lists
                        .get(&def.name)
                        .cloned()
                        .unwrap_or_default(),
                };
                Some(items.iter().map(RefValue::from_const).collect())
            }
        }
    }

    /// `t starts with P` / `t contains P`: true if `test` holds for any of
    /// P's texts; unknown if `t` or a text expression `P` is missing.
    fn text_test(
        &self,
        t: &RefValue,
        p: &Pattern,
        vars: &mut Vec<Node>,
        test: impl Fn(&str, &str) -> bool,
    ) -> Option<bool> {
        let RefValue::Text(t) = t else {
            return None;
        };
        let patterns = self.pattern_values(p, vars)?;
        Some(patterns.iter().any(|p| match p {
            RefValue::Text(p) => test(t, p),
            _ => false,
        }))
    }

    fn quantify(
        &self,
        kind: Quant,
        var: usize,
        elements: Option<Vec<Node>>,
        body: &Expr,
        vars: &mut Vec<Node>,
    ) -> RefValue {
        let Some(elements) = elements else {
            // A missing list: the condition cannot be decided, the aggregate
            // has no value.
            return RefValue::Missing;
        };
        let mut results = Vec::new();
        for element in elements {
            // Bind the variable at its depth; deeper variables are dropped.
            vars.truncate(var);
            while vars.len() < var {
                vars.push(Node::ROOT);
            }
            vars.push(element);
            results.push(self.eval(body, vars));
        }
        vars.truncate(var);
        match kind {
            Quant::Any => {
                // Kleene OR over the elements (an unknown does not stop the
                // scan: a later true still wins).
                let mut acc = Some(false);
                for r in &results {
                    acc = kleene_or(acc, r.truth());
                }
                RefValue::from_truth(acc)
            }
            Quant::All => {
                let mut acc = Some(true);
                for r in &results {
                    acc = kleene_and(acc, r.truth());
                }
                RefValue::from_truth(acc)
            }
            Quant::Count => {
                let n = results.iter().filter(|r| r.truth() == Some(true)).count();
                RefValue::Number(Decimal::from_i64(n as i64))
            }
            Quant::Sum => {
                let mut total = Some(Decimal::ZERO);
                for r in &results {
                    if let RefValue::Number(n) = r {
                        total = total.and_then(|t| t.checked_add(*n));
                    }
                }
                total.map_or(RefValue::Missing, RefValue::Number)
            }
            Quant::Min | Quant::Max => {
                let numbers = results.iter().filter_map(|r| match r {
                    RefValue::Number(n) => Some(*n),
                    _ => None,
                });
                let best = if kind == Quant::Min {
                    numbers.min()
                } else {
                    numbers.max()
                };
                best.map_or(RefValue::Missing, RefValue::Number)
            }
        }
    }
}

/// Lowercases per character with `char::to_lowercase` (no final-sigma rule).
fn lowercase(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// A comparison of two values of one type; unknown if either is missing.
fn compare(op: Cmp, a: &RefValue, b: &RefValue) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering: Ordering = match (a, b) {
        (RefValue::Number(a), RefValue::Number(b)) => a.cmp(b),
        (RefValue::Date(a), RefValue::Date(b)) => a.cmp(b),
        (RefValue::Text(a), RefValue::Text(b)) => a.cmp(b),
        (RefValue::Bool(a), RefValue::Bool(b)) => a.cmp(b),
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
