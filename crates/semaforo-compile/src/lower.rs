//! Lowering: a checked [`hir::Program`] plus its external lists and tables
//! -> the flat [`Plan`] that `semaforo-plan` evaluates.
//!
//! Lowering first checks the external data against the declarations
//! (codes `E0501`..`E0505`, see `docs/diagnostics.md`), then translates
//! every rule's condition into plan ops through [`PlanBuilder`], which
//! hash-conses identical sub-expressions and builds each list in the shape
//! its use needs (a hash set for text `in`, a sorted slice for numbers and
//! dates, per-length sets for `starts with`, an Aho-Corasick automaton for
//! `contains`). A list used in several ways is built once per way. A table
//! is built once, while its values are checked ([`TableData`]: its keys in
//! one text table, its values in one column), and shared by its `lookup`
//! and `lookup_prefix` shapes; lowering copies no list or table entry
//! other than into the plan's own structures.
//!
//! Arithmetic and negation on number constants are folded into one
//! constant (`reference * 0.5` with a literal reference is one number).
//!
//! Input safety: a condition's depth is measured without recursion before
//! it is lowered, and a condition deeper than [`MAX_DEPTH`] is an error
//! (`E0506`), so neither lowering nor evaluation can overflow the stack.

use std::collections::HashMap;
use std::sync::Arc;

use semaforo_plan::plan::{
    ArithOp, Base, CmpOp, ContainsSetId, MAX_DEPTH, Op, OpId, PrefixSetId, Quant, QuantKind, SetId,
    TableRef,
};
use semaforo_plan::sets::{SetError, TableBuilder, TableData};
use semaforo_plan::value::Value;
use semaforo_plan::{
    Constant, FieldType, Layout, OverlayInfo, Plan, PlanBuilder, PlanError, RuleInfo,
};
use semaforo_syntax::{Diagnostic, Span};

use crate::hir;

/// The external lists and tables supplied at compile time, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Externals {
    /// `list NAME: TYPE` values, in the order given.
    pub lists: HashMap<String, Vec<hir::Const>>,
    /// `table NAME: ...` rows, in the order given.
    pub tables: HashMap<String, TableRows>,
}

/// The rows of an external table: a key and one cell per column (one
/// column for `table NAME: TYPE`), in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableRows {
    /// Cells per row: 1 for a one-value table.
    pub columns: usize,
    /// The keys, in the order given.
    pub keys: Vec<String>,
    /// The cells, row after row: `cells[row * columns + column]`; `None`
    /// is an empty cell (only in a multi-column table).
    pub cells: Vec<Option<hir::Const>>,
}

impl TableRows {
    /// A one-value table from `(key, value)` pairs.
    pub fn values(entries: impl IntoIterator<Item = (String, hir::Const)>) -> TableRows {
        let mut t = TableRows {
            columns: 1,
            ..TableRows::default()
        };
        for (k, v) in entries {
            t.keys.push(k);
            t.cells.push(Some(v));
        }
        t
    }

    /// The rows, each a key and its cells.
    pub fn rows(&self) -> impl Iterator<Item = (&str, &[Option<hir::Const>])> {
        let width = self.columns.max(1);
        self.keys
            .iter()
            .map(String::as_str)
            .zip(self.cells.chunks(width))
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Lowers a checked program and its external data to a plan.
///
/// # Errors
/// Every problem with the external data (all of them, lists in
/// declaration order, then tables, then names the ruleset does not
/// declare, sorted), or a condition too deep for the evaluator.
pub fn lower(program: &hir::Program, externals: &Externals) -> Result<Plan, Vec<Diagnostic>> {
    let (lists, tables) = resolve_externals(program, externals)?;
    let layout = Layout::new(program.layout.records().to_vec(), program.layout.key())
        .map_err(|e| vec![internal(Span::default(), &e.to_string())])?;
    let lanes: Vec<&str> = program.lanes.iter().map(String::as_str).collect();
    let mut lowerer = Lowerer {
        b: PlanBuilder::new(&program.name, &program.version, &lanes, layout),
        lists: &lists,
        tables: &tables,
        in_sets: HashMap::new(),
        prefix_sets: HashMap::new(),
        contains_sets: HashMap::new(),
        table_refs: HashMap::new(),
        todo: Vec::new(),
        done: Vec::new(),
    };
    // Rules of the size analysts write lower to a handful of ops each
    // (hash-consing shares the rest).
    lowerer
        .b
        .reserve(program.rules.len(), program.rules.len().saturating_mul(4));
    let mut diags = Vec::new();
    let mut depth_stack = Vec::new();
    for &(lane, min) in &program.thresholds {
        if let Err(e) = lowerer.b.threshold(lane.0, min) {
            diags.push(plan_error(Span::default(), &e));
        }
    }
    if let Some(g) = &program.threshold_groups {
        for (value, list) in &g.groups {
            let list: Vec<(u16, i64)> = list.iter().map(|&(l, n)| (l.0, n)).collect();
            if let Err(e) = lowerer.b.threshold_group(g.field, value, &list) {
                diags.push(plan_error(Span::default(), &e));
            }
        }
    }
    for rule in &program.rules {
        let when = match &rule.when {
            None => None,
            Some(e) if depth(e, &mut depth_stack) > MAX_DEPTH as usize => {
                diags.push(
                    Diagnostic::error(
                        "E0506",
                        e.span,
                        format!(
                            "the condition of rule `{}` is nested more than {MAX_DEPTH} levels deep",
                            rule.id
                        ),
                    )
                    .with_help("split the condition into several rules or simplify it"),
                );
                continue;
            }
            Some(e) => match lowerer.expr(e) {
                Ok(id) => Some(id),
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            },
        };
        let Ok((score, score_expr, lane, split)) =
            lower_actions(&mut lowerer, &rule.id, &rule.score, &rule.lane, &mut diags)
        else {
            continue;
        };
        let overlay = match &rule.overlay {
            None => None,
            Some(ov) => {
                // While the override applies: its window and actions where
                // it gives them, the rule's own elsewhere.
                let adjust = ov.adjust.as_ref();
                let (from, to) = adjust
                    .and_then(|a| a.window)
                    .unwrap_or((rule.active_from, rule.active_to));
                let actions = adjust.and_then(|a| a.actions.as_ref());
                let (o_score, o_lane, o_notes) = match actions {
                    Some(a) => (&a.score, &a.lane, &a.notes),
                    None => (&rule.score, &rule.lane, &rule.notes),
                };
                let Ok((o_score, o_score_expr, o_lane, o_split)) =
                    lower_actions(&mut lowerer, &rule.id, o_score, o_lane, &mut diags)
                else {
                    continue;
                };
                Some(Box::new(OverlayInfo {
                    reason: ov.reason.as_str().into(),
                    until: ov.until,
                    disabled: adjust.is_none(),
                    active_from: from,
                    active_to: to,
                    score: o_score,
                    score_expr: o_score_expr,
                    lane: o_lane,
                    split: o_split,
                    notes: o_notes.iter().map(|n| n.as_str().into()).collect(),
                }))
            }
        };
        let info = RuleInfo {
            id: rule.id.as_str().into(),
            title: rule.title.as_str().into(),
            tags: rule.tags.iter().map(|t| t.as_str().into()).collect(),
            notes: rule.notes.iter().map(|n| n.as_str().into()).collect(),
            score,
            lane,
            sample: rule.sample,
            active_from: rule.active_from,
            active_to: rule.active_to,
            score_expr,
            split,
            monitor: rule.monitor,
            inert: !rule.in_force(),
            overlay,
        };
        if let Err(e) = lowerer.b.rule(info, when) {
            diags.push(plan_error(rule.span, &e));
        }
    }
    if diags.is_empty() {
        Ok(lowerer.b.build())
    } else {
        Err(diags)
    }
}

/// A rule's score and lane actions as the plan holds them: `(score,
/// score_expr, lane, split)`; `Err` once a diagnostic is pushed.
type LoweredActions = (Option<i64>, Option<OpId>, Option<u16>, Box<[(u16, u32)]>);

fn lower_actions<'p>(
    lowerer: &mut Lowerer<'p>,
    id: &str,
    score: &'p Option<hir::Score>,
    lane: &Option<hir::LaneAction>,
    diags: &mut Vec<Diagnostic>,
) -> Result<LoweredActions, ()> {
    let mut depth_stack = Vec::new();
    let (score, score_expr) = match score {
        None => (None, None),
        Some(hir::Score::Points(p)) => (Some(*p), None),
        Some(hir::Score::Expr(e)) if depth(e, &mut depth_stack) > MAX_DEPTH as usize => {
            diags.push(
                Diagnostic::error(
                    "E0506",
                    e.span,
                    format!(
                        "the score of rule `{}` is nested more than {MAX_DEPTH} levels deep",
                        id
                    ),
                )
                .with_help("simplify the score expression"),
            );
            return Err(());
        }
        Some(hir::Score::Expr(e)) => match lowerer.expr(e) {
            Ok(id) => (None, Some(id)),
            Err(d) => {
                diags.push(d);
                return Err(());
            }
        },
    };
    let (lane, split) = match lane {
        None => (None, Box::default()),
        Some(hir::LaneAction::Lane(l)) => (Some(l.0), Box::default()),
        Some(hir::LaneAction::Split(shares)) => {
            (None, shares.iter().map(|&(l, c)| (l.0, c)).collect())
        }
    };
    Ok((score, score_expr, lane, split))
}

/// List values by `ListId` (borrowed from the program or the externals),
/// table data by `TableId`.
type Resolved<'p> = (Vec<&'p [hir::Const]>, Vec<Arc<TableData>>);

fn constant(c: &hir::Const) -> Constant {
    match c {
        hir::Const::Text(t) => Constant::Text((**t).into()),
        hir::Const::Number(n) => Constant::Number(*n),
        hir::Const::Bool(b) => Constant::Bool(*b),
        hir::Const::Date(d) => Constant::Date(*d),
    }
}

/// A checked constant as a plan value, borrowing its text.
fn const_value(c: &hir::Const) -> Value<'_> {
    match c {
        hir::Const::Text(t) => Value::Text(t),
        hir::Const::Number(n) => Value::Number(*n),
        hir::Const::Bool(b) => Value::Bool(*b),
        hir::Const::Date(d) => Value::Date(*d),
    }
}

fn field_type(s: hir::Scalar) -> FieldType {
    match s {
        hir::Scalar::Text => FieldType::Text,
        hir::Scalar::Number => FieldType::Number,
        hir::Scalar::Bool => FieldType::Bool,
        hir::Scalar::Date => FieldType::Date,
    }
}

fn scalar_name(s: hir::Scalar) -> &'static str {
    match s {
        hir::Scalar::Text => "text",
        hir::Scalar::Number => "number",
        hir::Scalar::Bool => "bool",
        hir::Scalar::Date => "date",
    }
}

/// Checks the supplied externals against the declarations and collects
/// every list's and table's values.
///
/// A table's data is built here, in the same pass that checks its values'
/// types and finds its repeated keys (E0503): one hash probe per entry, and
/// no copy of the entries other than the table itself.
fn resolve_externals<'p>(
    program: &'p hir::Program,
    externals: &'p Externals,
) -> Result<Resolved<'p>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut lists = Vec::with_capacity(program.lists.len());
    for def in &program.lists {
        let values: &[hir::Const] = match (&def.values, externals.lists.get(&def.name)) {
            (Some(inline), _) => inline,
            (None, Some(supplied)) => supplied,
            (None, None) => {
                diags.push(
                    Diagnostic::error(
                        "E0501",
                        def.span,
                        format!("external list `{}` was not supplied", def.name),
                    )
                    .with_help(format!(
                        "supply it when compiling (`--list {}=PATH` on the command line)",
                        def.name
                    )),
                );
                &[]
            }
        };
        for (i, v) in values.iter().enumerate() {
            if v.scalar() != def.elem {
                diags.push(Diagnostic::error(
                    "E0502",
                    def.span,
                    format!(
                        "entry #{i} of list `{}` is a {}, expected {}",
                        def.name,
                        scalar_name(v.scalar()),
                        scalar_name(def.elem)
                    ),
                ));
            }
        }
        lists.push(values);
    }
    let mut tables = Vec::with_capacity(program.tables.len());
    for def in &program.tables {
        let Some(entries) = externals.tables.get(&def.name) else {
            diags.push(
                Diagnostic::error(
                    "E0501",
                    def.span,
                    format!("external table `{}` was not supplied", def.name),
                )
                .with_help(format!(
                    "supply it when compiling (`--table {}=PATH` on the command line)",
                    def.name
                )),
            );
            tables.push(Arc::new(TableBuilder::with_capacity(0, 0).finish()));
            continue;
        };
        let types = def.shape.column_types();
        let names: Vec<&str> = match &def.shape {
            hir::TableShape::Value(_) => vec!["value"],
            hir::TableShape::Columns(c) => c.iter().map(|(n, _)| n.as_str()).collect(),
        };
        let multi = matches!(def.shape, hir::TableShape::Columns(_));
        if entries.columns != types.len() {
            diags.push(internal(
                def.span,
                &format!(
                    "table `{}` was supplied with {} columns, expected {}",
                    def.name,
                    entries.columns,
                    types.len()
                ),
            ));
            tables.push(Arc::new(TableBuilder::with_capacity(0, 0).finish()));
            continue;
        }
        let key_bytes = entries.keys.iter().map(String::len).sum();
        let field_types: Vec<FieldType> = types.iter().map(|&t| field_type(t)).collect();
        let mut data = TableBuilder::with_columns(&field_types, entries.len(), key_bytes);
        let mut row: Vec<Value<'_>> = Vec::with_capacity(types.len());
        for (key, cells) in entries.rows() {
            row.clear();
            let mut ok = true;
            for ((cell, &ty), name) in cells.iter().zip(&types).zip(&names) {
                match cell {
                    Some(v) if v.scalar() != ty => {
                        let what = if multi {
                            format!("column `{name}` of key `{key}`")
                        } else {
                            format!("the value of key `{key}`")
                        };
                        diags.push(Diagnostic::error(
                            "E0502",
                            def.span,
                            format!(
                                "{what} in table `{}` is a {}, expected {}",
                                def.name,
                                scalar_name(v.scalar()),
                                scalar_name(ty)
                            ),
                        ));
                        ok = false;
                    }
                    Some(v) => row.push(const_value(v)),
                    None if multi => row.push(Value::Missing),
                    None => {
                        diags.push(internal(def.span, "an empty cell in a one-value table"));
                        ok = false;
                    }
                }
            }
            if !ok {
                continue;
            }
            match data.insert_row(key, &row) {
                Ok(true) => {}
                Ok(false) => diags.push(Diagnostic::error(
                    "E0503",
                    def.span,
                    format!("key `{key}` is given twice in table `{}`", def.name),
                )),
                Err(e) => {
                    diags.push(set_error(def.span, &format!("table `{}`", def.name), &e));
                    break;
                }
            }
        }
        tables.push(Arc::new(data.finish()));
    }
    // Supplied names the ruleset does not declare, sorted for a stable order.
    let list_defs: HashMap<&str, &hir::ListDef> =
        program.lists.iter().map(|d| (d.name.as_str(), d)).collect();
    let table_defs: HashMap<&str, &hir::TableDef> = program
        .tables
        .iter()
        .map(|d| (d.name.as_str(), d))
        .collect();
    let mut extra: Vec<Diagnostic> = Vec::new();
    let mut supplied_lists: Vec<&String> = externals.lists.keys().collect();
    supplied_lists.sort();
    for name in supplied_lists {
        match list_defs.get(name.as_str()) {
            Some(def) if def.values.is_some() => extra.push(
                Diagnostic::error(
                    "E0505",
                    def.span,
                    format!("list `{name}` is defined in the ruleset and cannot be supplied"),
                )
                .with_help("declare it as `list NAME: TYPE` to supply it at compile time"),
            ),
            Some(_) => {}
            None => extra.push(undeclared(
                "list",
                name,
                table_defs.get(name.as_str()).map(|t| t.span),
            )),
        }
    }
    let mut supplied_tables: Vec<&String> = externals.tables.keys().collect();
    supplied_tables.sort();
    for name in supplied_tables {
        if !table_defs.contains_key(name.as_str()) {
            extra.push(undeclared(
                "table",
                name,
                list_defs.get(name.as_str()).map(|l| l.span),
            ));
        }
    }
    diags.extend(extra);
    if diags.is_empty() {
        Ok((lists, tables))
    } else {
        Err(diags)
    }
}

/// `E0504`: an external the ruleset does not declare; `other` is where
/// it is declared as the other kind, if it is.
fn undeclared(kind: &str, name: &str, other: Option<Span>) -> Diagnostic {
    let d = Diagnostic::error(
        "E0504",
        Span::default(),
        format!("{kind} `{name}` was supplied but the ruleset declares no such {kind}"),
    );
    match other {
        Some(span) => d
            .with_label(span, "declared here with the other kind")
            .with_help(format!(
                "`{name}` is declared as a {}",
                if kind == "list" { "table" } else { "list" }
            )),
        None => d.with_help("check the name for a typo"),
    }
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        "E0507",
        span,
        format!("internal error while building the plan: {what}"),
    )
    .with_help("this is a bug in semaforo; please report it with the ruleset")
}

fn plan_error(span: Span, e: &PlanError) -> Diagnostic {
    match e {
        PlanError::TooDeep | PlanError::TooManyVars => Diagnostic::error(
            "E0506",
            span,
            format!("the rule is too deeply nested for the evaluator: {e}"),
        ),
        PlanError::TooLarge => too_large(span, "the rules"),
        PlanError::Set(e) => set_error(span, "a list or table", e),
        _ => internal(span, &e.to_string()),
    }
}

/// A set or table that could not be built: `E0508` when it is too large,
/// otherwise an internal error (the checks before make the rest
/// impossible).
fn set_error(span: Span, what: &str, e: &SetError) -> Diagnostic {
    match e {
        SetError::TooLarge => too_large(span, what),
        _ => internal(span, &e.to_string()),
    }
}

/// `E0508`: beyond what the plan's `u32` ids and offsets address.
fn too_large(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        "E0508",
        span,
        format!("{what} too large for the plan"),
    )
    .with_help("the texts of one list or table must hold less than 4 GiB, and a plan fewer than 4,294,967,296 ops, constants, sets or tables; split the data or the ruleset")
}

/// The depth of an expression tree, measured with an explicit stack (the
/// tree may be arbitrarily deep, so no recursion here); `stack` is a work
/// buffer reused across calls.
fn depth<'e>(e: &'e hir::Expr, stack: &mut Vec<(&'e hir::Expr, usize)>) -> usize {
    let mut max = 0;
    stack.clear();
    stack.push((e, 1usize));
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        macro_rules! push {
            ($c:expr) => {
                stack.push(($c, d + 1))
            };
        }
        match &e.kind {
            hir::ExprKind::Const(_) | hir::ExprKind::Today | hir::ExprKind::Field { .. } => {}
            hir::ExprKind::Neg(a) | hir::ExprKind::Not(a) | hir::ExprKind::Len(a) => push!(a),
            hir::ExprKind::Is { value, .. } => push!(value),
            hir::ExprKind::Lookup { key, .. } => push!(key),
            hir::ExprKind::Key(parts) => {
                for p in parts {
                    push!(p);
                }
            }
            hir::ExprKind::And(a, b)
            | hir::ExprKind::Or(a, b)
            | hir::ExprKind::Arith(_, a, b)
            | hir::ExprKind::DateDiff(a, b)
            | hir::ExprKind::Cmp(_, a, b) => {
                push!(a);
                push!(b);
            }
            hir::ExprKind::In { value, list, .. } => {
                push!(value);
                if let hir::Pattern::Expr(p) = list {
                    push!(p);
                }
            }
            hir::ExprKind::StartsWith(t, p) | hir::ExprKind::Contains(t, p) => {
                push!(t);
                if let hir::Pattern::Expr(p) = p {
                    push!(p);
                }
            }
            hir::ExprKind::Quant { list, body, .. } => {
                push!(list);
                push!(body);
            }
        }
    }
    max
}

/// How a text pattern list is used, which decides its shape in the plan.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Use {
    Prefix,
    Contains,
}

struct Lowerer<'p> {
    b: PlanBuilder,
    lists: &'p [&'p [hir::Const]],
    tables: &'p [Arc<TableData>],
    in_sets: HashMap<hir::ListId, SetId>,
    prefix_sets: HashMap<hir::ListId, PrefixSetId>,
    contains_sets: HashMap<hir::ListId, ContainsSetId>,
    table_refs: HashMap<(hir::TableId, bool, u32), TableRef>,
    /// Work buffers of [`Lowerer::expr`], reused across rules.
    todo: Vec<(&'p hir::Expr, bool)>,
    done: Vec<OpId>,
}

/// The texts of a list used as patterns, or `None` if one is not text.
fn texts(values: &[hir::Const]) -> Option<Vec<Box<str>>> {
    values
        .iter()
        .map(|v| match v {
            hir::Const::Text(t) => Some(Box::from(&**t)),
            _ => None,
        })
        .collect()
}

impl<'p> Lowerer<'p> {
    fn push(&mut self, op: Op, span: Span) -> Result<OpId, Diagnostic> {
        self.b.push(op).map_err(|e| plan_error(span, &e))
    }

    fn list(&self, id: hir::ListId, span: Span) -> Result<&'p [hir::Const], Diagnostic> {
        let lists: &'p [&'p [hir::Const]] = self.lists;
        lists
            .get(id.0 as usize)
            .copied()
            .ok_or_else(|| internal(span, &format!("list #{} does not exist", id.0)))
    }

    /// The values of a pattern list (inline or named) for a given use, as
    /// the plan's set id (cached per named list and use).
    fn in_set(&mut self, p: &hir::Pattern, span: Span) -> Result<SetId, Diagnostic> {
        match p {
            hir::Pattern::Inline(vs) => self
                .b
                .in_set_values(vs.iter().map(const_value))
                .map_err(|e| plan_error(span, &e)),
            hir::Pattern::List(id) => {
                if let Some(&s) = self.in_sets.get(id) {
                    return Ok(s);
                }
                let vs = self.list(*id, span)?;
                let s = self
                    .b
                    .in_set_values(vs.iter().map(const_value))
                    .map_err(|e| plan_error(span, &e))?;
                self.in_sets.insert(*id, s);
                Ok(s)
            }
            hir::Pattern::Expr(_) => Err(internal(span, "`in` with a single expression")),
        }
    }

    fn pattern_texts(&self, p: &hir::Pattern, span: Span) -> Result<Vec<Box<str>>, Diagnostic> {
        let values: &[hir::Const] = match p {
            hir::Pattern::Inline(vs) => vs,
            hir::Pattern::List(id) => self.list(*id, span)?,
            hir::Pattern::Expr(_) => &[],
        };
        texts(values).ok_or_else(|| internal(span, "a text pattern list holds a non-text value"))
    }

    /// `t starts with P` / `t contains P`, with `t` (and a single-pattern
    /// `P`) already lowered.
    fn text_test(
        &mut self,
        t: OpId,
        single: Option<OpId>,
        p: &hir::Pattern,
        how: Use,
        span: Span,
    ) -> Result<OpId, Diagnostic> {
        if let hir::Pattern::Expr(e) = p {
            // `t contains "text"` is a one-pattern set: its automaton
            // matches in one pass over `t`, folding ASCII case in place,
            // where `Op::Contains` lowercases both texts first (it is for
            // a pattern known only when evaluating).
            if how == Use::Contains
                && let hir::ExprKind::Const(hir::Const::Text(text)) = &e.kind
            {
                // The builder interns sets by content: the same text
                // twice is one set.
                let s = self
                    .b
                    .contains_set(&[Box::from(&**text)])
                    .map_err(|e| plan_error(span, &e))?;
                return self.push(Op::ContainsAny(t, s), span);
            }
            let p = single.ok_or_else(|| internal(span, "a pattern was not lowered"))?;
            let op = if how == Use::Prefix {
                Op::StartsWith(t, p)
            } else {
                Op::Contains(t, p)
            };
            return self.push(op, span);
        }
        let named = match p {
            hir::Pattern::List(id) => Some(*id),
            _ => None,
        };
        let op = match how {
            Use::Prefix => {
                let cached = named.and_then(|id| self.prefix_sets.get(&id).copied());
                let s = match cached {
                    Some(s) => s,
                    None => {
                        let pats = self.pattern_texts(p, span)?;
                        let s = self.b.prefix_set(&pats).map_err(|e| plan_error(span, &e))?;
                        if let Some(id) = named {
                            self.prefix_sets.insert(id, s);
                        }
                        s
                    }
                };
                Op::StartsWithAny(t, s)
            }
            Use::Contains => {
                let cached = named.and_then(|id| self.contains_sets.get(&id).copied());
                let s = match cached {
                    Some(s) => s,
                    None => {
                        let pats = self.pattern_texts(p, span)?;
                        let s = self
                            .b
                            .contains_set(&pats)
                            .map_err(|e| plan_error(span, &e))?;
                        if let Some(id) = named {
                            self.contains_sets.insert(id, s);
                        }
                        s
                    }
                };
                Op::ContainsAny(t, s)
            }
        };
        self.push(op, span)
    }

    fn table(
        &mut self,
        table: hir::TableId,
        prefix: bool,
        column: u32,
        span: Span,
    ) -> Result<TableRef, Diagnostic> {
        if let Some(&t) = self.table_refs.get(&(table, prefix, column)) {
            return Ok(t);
        }
        let data = self
            .tables
            .get(table.0 as usize)
            .ok_or_else(|| internal(span, &format!("table #{} does not exist", table.0)))?;
        // Every shape of a table shares its data.
        let t = self
            .b
            .table_data(Arc::clone(data), prefix, column)
            .map_err(|e| plan_error(span, &e))?;
        self.table_refs.insert((table, prefix, column), t);
        Ok(t)
    }

    /// Lowers one expression without recursion: a post-order walk with an
    /// explicit stack, so even a very deep tree cannot overflow the stack
    /// here (the depth limit protects the evaluator).
    fn expr(&mut self, root: &'p hir::Expr) -> Result<OpId, Diagnostic> {
        let mut todo = std::mem::take(&mut self.todo);
        let mut done = std::mem::take(&mut self.done);
        todo.clear();
        done.clear();
        todo.push((root, false));
        let result = self.expr_with(&mut todo, &mut done, root);
        self.todo = todo;
        self.done = done;
        result
    }

    /// [`Lowerer::expr`] with its work buffers.
    fn expr_with(
        &mut self,
        todo: &mut Vec<(&'p hir::Expr, bool)>,
        done: &mut Vec<OpId>,
        root: &'p hir::Expr,
    ) -> Result<OpId, Diagnostic> {
        while let Some((e, expanded)) = todo.pop() {
            if let Some(any) = chain_kind(e) {
                // A chain `x1 and x2 and ..` (left-deep in the HIR) becomes
                // one n-ary op over its operands, lowered left to right.
                if !expanded {
                    todo.push((e, true));
                    let mut cur = e;
                    while let Some((l, r)) = chain_step(cur, any) {
                        todo.push((r, false));
                        cur = l;
                    }
                    todo.push((cur, false));
                    continue;
                }
                let mut count = 1;
                let mut cur = e;
                while let Some((l, _)) = chain_step(cur, any) {
                    count += 1;
                    cur = l;
                }
                let at = done
                    .len()
                    .checked_sub(count)
                    .ok_or_else(|| internal(e.span, "lowering stack underflow"))?;
                let id = self
                    .b
                    .chain(any, done.get(at..).unwrap_or(&[]))
                    .map_err(|err| plan_error(e.span, &err))?;
                done.truncate(at);
                done.push(id);
                continue;
            }
            if let hir::ExprKind::Key(parts) = &e.kind {
                // A composite key is one op over its parts, in order.
                if !expanded {
                    todo.push((e, true));
                    for p in parts.iter().rev() {
                        todo.push((p, false));
                    }
                    continue;
                }
                let at = done
                    .len()
                    .checked_sub(parts.len())
                    .ok_or_else(|| internal(e.span, "lowering stack underflow"))?;
                let id = self
                    .b
                    .key(done.get(at..).unwrap_or(&[]))
                    .map_err(|err| plan_error(e.span, &err))?;
                done.truncate(at);
                done.push(id);
                continue;
            }
            let kids = children(e);
            if !expanded {
                todo.push((e, true));
                // Reversed, so the first child is lowered first.
                for c in kids.iter().rev().flatten() {
                    todo.push((c, false));
                }
                continue;
            }
            let count = kids.iter().flatten().count();
            let at = done
                .len()
                .checked_sub(count)
                .ok_or_else(|| internal(e.span, "lowering stack underflow"))?;
            let a = done.get(at).copied();
            let b = done.get(at + 1).copied();
            done.truncate(at);
            let id = self.node(e, a, b)?;
            done.push(id);
        }
        done.pop()
            .ok_or_else(|| internal(root.span, "empty expression"))
    }

    /// Lowers one node whose children (in the order of [`children`]) were
    /// lowered to `a` and `b`.
    fn node(
        &mut self,
        e: &hir::Expr,
        a: Option<OpId>,
        b: Option<OpId>,
    ) -> Result<OpId, Diagnostic> {
        use hir::ExprKind as K;
        let span = e.span;
        let missing = || internal(span, "an operand was not lowered");
        let a1 = || a.ok_or_else(missing);
        let b1 = || b.ok_or_else(missing);
        let op = match &e.kind {
            K::Const(c) => {
                return self
                    .b
                    .constant(&constant(c))
                    .map_err(|e| plan_error(span, &e));
            }
            K::Today => Op::Today,
            K::Field { base, field, .. } => {
                if matches!(e.ty, hir::Type::Records(_)) {
                    return Err(internal(span, "a record list used as a value"));
                }
                Op::Field {
                    base: lower_base(*base),
                    field: *field,
                }
            }
            K::Neg(_) => {
                let a = a1()?;
                if let Some(x) = self.b.number_value(a) {
                    return self
                        .b
                        .constant(&Constant::Number(x.neg()))
                        .map_err(|e| plan_error(span, &e));
                }
                Op::Neg(a)
            }
            K::Not(_) => Op::Not(a1()?),
            // Chains are lowered by `expr_with`; a lone node is a chain of
            // two.
            K::And(..) | K::Or(..) => {
                let any = matches!(e.kind, K::Or(..));
                return self
                    .b
                    .chain(any, &[a1()?, b1()?])
                    .map_err(|err| plan_error(span, &err));
            }
            K::Arith(k, ..) => {
                let k = match k {
                    hir::Arith::Add => ArithOp::Add,
                    hir::Arith::Sub => ArithOp::Sub,
                    hir::Arith::Mul => ArithOp::Mul,
                    hir::Arith::Div => ArithOp::Div,
                };
                let (a, b) = (a1()?, b1()?);
                // Constant folding: arithmetic on two number constants is
                // computed once here. Overflow and division by zero give
                // *missing*, which has no constant, so they stay ops.
                if let (Some(x), Some(y)) = (self.b.number_value(a), self.b.number_value(b)) {
                    let folded = match k {
                        ArithOp::Add => x.checked_add(y),
                        ArithOp::Sub => x.checked_sub(y),
                        ArithOp::Mul => x.checked_mul(y),
                        ArithOp::Div => x.checked_div(y),
                    };
                    if let Some(r) = folded {
                        return self
                            .b
                            .constant(&Constant::Number(r))
                            .map_err(|e| plan_error(span, &e));
                    }
                }
                Op::Arith(k, a, b)
            }
            K::DateDiff(..) => Op::DateDiff(a1()?, b1()?),
            K::Cmp(k, ..) => {
                let k = match k {
                    hir::Cmp::Eq => CmpOp::Eq,
                    hir::Cmp::Ne => CmpOp::Ne,
                    hir::Cmp::Lt => CmpOp::Lt,
                    hir::Cmp::Le => CmpOp::Le,
                    hir::Cmp::Gt => CmpOp::Gt,
                    hir::Cmp::Ge => CmpOp::Ge,
                };
                Op::Cmp(k, a1()?, b1()?)
            }
            K::In { list, negated, .. } => {
                let value = a1()?;
                let set = self.in_set(list, span)?;
                Op::In {
                    value,
                    set,
                    negated: *negated,
                }
            }
            K::StartsWith(_, p) => return self.text_test(a1()?, b, p, Use::Prefix, span),
            K::Contains(_, p) => return self.text_test(a1()?, b, p, Use::Contains, span),
            K::Is { present, .. } => Op::Is {
                value: a1()?,
                present: *present,
            },
            K::Quant {
                kind,
                var,
                record,
                list,
                ..
            } => {
                let K::Field {
                    base,
                    field: list_field,
                    ..
                } = &list.kind
                else {
                    return Err(internal(span, "a quantifier over something not a field"));
                };
                let kind = match kind {
                    hir::Quant::Any => QuantKind::Any,
                    hir::Quant::All => QuantKind::All,
                    hir::Quant::Count => QuantKind::Count,
                    hir::Quant::Sum => QuantKind::Sum,
                    hir::Quant::Min => QuantKind::Min,
                    hir::Quant::Max => QuantKind::Max,
                };
                return self
                    .b
                    .quant(Quant {
                        kind,
                        var: var.0,
                        record: *record,
                        base: lower_base(*base),
                        field: *list_field,
                        body: a1()?,
                    })
                    .map_err(|e| plan_error(span, &e));
            }
            K::Lookup {
                table,
                prefix,
                column,
                ..
            } => {
                let key = a1()?;
                Op::Lookup(self.table(*table, *prefix, *column, span)?, key)
            }
            K::Len(_) => Op::Len(a1()?),
            K::Key(_) => return Err(internal(span, "a composite key lowered as a node")),
        };
        self.push(op, span)
    }
}

/// The sub-expressions lowered to ops before their parent, in order. A
/// quantifier's list is a field read by the quantifier op itself, so only
/// its body is a child.
fn children(e: &hir::Expr) -> [Option<&hir::Expr>; 2] {
    use hir::ExprKind as K;
    match &e.kind {
        // A key's parts are lowered by `expr_with`.
        K::Const(_) | K::Today | K::Field { .. } | K::Key(_) => [None, None],
        K::Neg(a) | K::Not(a) | K::Len(a) => [Some(a), None],
        K::Is { value, .. } => [Some(value), None],
        K::Lookup { key, .. } => [Some(key), None],
        K::Quant { body, .. } => [Some(body), None],
        K::And(a, b) | K::Or(a, b) | K::Arith(_, a, b) | K::DateDiff(a, b) | K::Cmp(_, a, b) => {
            [Some(a), Some(b)]
        }
        K::In { value, .. } => [Some(value), None],
        K::StartsWith(t, p) | K::Contains(t, p) => match p {
            hir::Pattern::Expr(p) => [Some(t), Some(p)],
            _ => [Some(t), None],
        },
    }
}

/// `Some(false)` for an `and` node, `Some(true)` for an `or` node.
fn chain_kind(e: &hir::Expr) -> Option<bool> {
    match e.kind {
        hir::ExprKind::And(..) => Some(false),
        hir::ExprKind::Or(..) => Some(true),
        _ => None,
    }
}

/// The operands of `e` if it is an `or` node (`any`) or an `and` node.
fn chain_step(e: &hir::Expr, any: bool) -> Option<(&hir::Expr, &hir::Expr)> {
    match (&e.kind, any) {
        (hir::ExprKind::And(l, r), false) | (hir::ExprKind::Or(l, r), true) => Some((l, r)),
        _ => None,
    }
}

fn lower_base(b: hir::Base) -> Base {
    match b {
        hir::Base::Root => Base::Root,
        hir::Base::Var(v) => Base::Var(v.0),
    }
}

#[cfg(test)]
mod tests {
    use super::{plan_error, set_error};
    use semaforo_plan::PlanError;
    use semaforo_plan::sets::SetError;
    use semaforo_syntax::Span;

    #[test]
    fn limits_of_the_plan_are_user_errors_not_internal_ones() {
        let span = Span::default();
        assert_eq!(plan_error(span, &PlanError::TooLarge).code, "E0508");
        assert_eq!(
            plan_error(span, &PlanError::Set(SetError::TooLarge)).code,
            "E0508"
        );
        assert_eq!(
            set_error(span, "table `t`", &SetError::TooLarge).code,
            "E0508"
        );
        let other = SetError::DuplicateKey { key: "k".into() };
        assert_eq!(set_error(span, "table `t`", &other).code, "E0507");
    }
}
