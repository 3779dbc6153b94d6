//! Renders checked programs and declaration recipes as readable text, for
//! failure reports (close to the rule language, names resolved back).

use std::fmt::Write;

use semaforo_compile::hir::{
    Arith, Base, Cmp, Const, Expr, ExprKind, LaneAction, Pattern, Program, Quant, RuleDef, Score,
    TableShape,
};
use semaforo_plan::{FieldType, Layout, RecordId};

use crate::Externals;
use crate::generate::{Recipe, RecipeValue};

fn show_const(c: &Const) -> String {
    match c {
        Const::Text(t) => format!("{:?}", &**t),
        Const::Number(n) => n.to_string(),
        Const::Bool(b) => b.to_string(),
        Const::Date(d) => d.to_string(),
    }
}

fn show_pattern(p: &Program, pat: &Pattern) -> String {
    match pat {
        Pattern::Expr(e) => show_expr(p, e),
        Pattern::Inline(items) => {
            let items: Vec<String> = items.iter().map(show_const).collect();
            format!("[{}]", items.join(", "))
        }
        Pattern::List(id) => p
            .lists
            .get(id.0 as usize)
            .map_or_else(|| format!("list#{}", id.0), |l| l.name.clone()),
    }
}

/// An expression in (fully parenthesised) rule-language syntax; quantifier
/// variables are named `v0`, `v1`, ... by depth.
pub fn show_expr(p: &Program, e: &Expr) -> String {
    let s = |x: &Expr| show_expr(p, x);
    match &e.kind {
        ExprKind::Const(c) => show_const(c),
        ExprKind::Today => "today".to_string(),
        ExprKind::Field {
            base,
            record,
            field,
        } => {
            let name = p
                .layout
                .field(*record, *field)
                .map_or_else(|| format!("field#{}", field.0), |f| f.name.to_string());
            match base {
                Base::Root => name,
                Base::Var(v) => format!("v{}.{name}", v.0),
            }
        }
        ExprKind::Neg(a) => format!("-({})", s(a)),
        ExprKind::Not(a) => format!("not ({})", s(a)),
        ExprKind::And(a, b) => format!("({} and {})", s(a), s(b)),
        ExprKind::Or(a, b) => format!("({} or {})", s(a), s(b)),
        ExprKind::Arith(op, a, b) => {
            let op = match op {
                Arith::Add => "+",
                Arith::Sub => "-",
                Arith::Mul => "*",
                Arith::Div => "/",
            };
            format!("({} {op} {})", s(a), s(b))
        }
        ExprKind::DateDiff(a, b) => format!("({} - {})", s(a), s(b)),
        ExprKind::Cmp(op, a, b) => {
            let op = match op {
                Cmp::Eq => "==",
                Cmp::Ne => "!=",
                Cmp::Lt => "<",
                Cmp::Le => "<=",
                Cmp::Gt => ">",
                Cmp::Ge => ">=",
            };
            format!("({} {op} {})", s(a), s(b))
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => format!(
            "({} {}in {})",
            s(value),
            if *negated { "not " } else { "" },
            show_pattern(p, list)
        ),
        ExprKind::StartsWith(t, pat) => {
            format!("({} starts with {})", s(t), show_pattern(p, pat))
        }
        ExprKind::Contains(t, pat) => format!("({} contains {})", s(t), show_pattern(p, pat)),
        ExprKind::Is { value, present } => format!(
            "({} is {})",
            s(value),
            if *present { "present" } else { "missing" }
        ),
        ExprKind::Quant {
            kind,
            var,
            list,
            body,
            ..
        } => {
            let k = match kind {
                Quant::Any => "any",
                Quant::All => "all",
                Quant::Count => "count",
                Quant::Sum => "sum",
                Quant::Min => "min",
                Quant::Max => "max",
            };
            format!("{k}(v{} in {}: {})", var.0, s(list), s(body))
        }
        ExprKind::Lookup {
            table,
            key,
            prefix,
            column,
        } => {
            let def = p.tables.get(table.0 as usize);
            let name = def.map_or_else(|| format!("table#{}", table.0), |t| t.name.clone());
            let f = if *prefix { "lookup_prefix" } else { "lookup" };
            let col = match def.map(|t| &t.shape) {
                Some(TableShape::Columns(c)) => c
                    .get(*column as usize)
                    .map_or_else(|| format!(".#{column}"), |(n, _)| format!(".{n}")),
                _ => String::new(),
            };
            format!("{f}({name}, {}){col}", s(key))
        }
        ExprKind::Key(parts) => {
            let parts: Vec<String> = parts.iter().map(&s).collect();
            format!("key({})", parts.join(", "))
        }
        ExprKind::Len(t) => format!("len({})", s(t)),
    }
}

fn show_rule(p: &Program, r: &RuleDef, out: &mut String) {
    let monitor = if r.monitor { " monitor" } else { "" };
    let _ = writeln!(out, "rule {} {:?}{monitor} {{", r.id, r.title);
    match (r.active_from, r.active_to) {
        (Some(a), Some(b)) => {
            let _ = writeln!(out, "  active {a} to {b}");
        }
        (Some(a), None) => {
            let _ = writeln!(out, "  active from {a}");
        }
        (None, Some(b)) => {
            let _ = writeln!(out, "  active to {b}");
        }
        (None, None) => {}
    }
    if let Some(w) = &r.when {
        let _ = writeln!(out, "  when {}", show_expr(p, w));
    }
    if let Some(c) = r.sample {
        let _ = writeln!(out, "  sample {}% (cut-off {c})", f64::from(c) / 10_000.0);
    }
    let mut actions = Vec::new();
    match &r.score {
        Some(Score::Points(n)) => actions.push(format!("score {n}")),
        Some(Score::Expr(e)) => actions.push(format!("score {}", show_expr(p, e))),
        None => {}
    }
    let lane = |l: u16| p.lanes.get(usize::from(l)).cloned().unwrap_or_default();
    match &r.lane {
        Some(LaneAction::Lane(l)) => actions.push(format!("lane {}", lane(l.0))),
        Some(LaneAction::Split(shares)) => {
            let mut previous = 0;
            let shares: Vec<String> = shares
                .iter()
                .map(|&(l, cut)| {
                    let share = f64::from(cut - previous) / 10_000.0;
                    previous = cut;
                    format!("{} {share}%", lane(l.0))
                })
                .collect();
            actions.push(format!("lane {}", shares.join(", ")));
        }
        None => {}
    }
    for n in &r.notes {
        actions.push(format!("note {n:?}"));
    }
    let _ = writeln!(out, "  then {}\n}}", actions.join(", "));
}

fn show_type(layout: &Layout, ty: FieldType) -> String {
    match ty {
        FieldType::Text => "text".into(),
        FieldType::Number => "number".into(),
        FieldType::Bool => "bool".into(),
        FieldType::Date => "date".into(),
        FieldType::List(r) => format!(
            "[{}]",
            layout.record(r).map_or("?".into(), |r| r.name.to_string())
        ),
    }
}

/// The whole program (schema, lists, tables with their external data,
/// lanes, thresholds, rules) in rule-language-like text.
pub fn show_program(p: &Program, externals: &Externals) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "ruleset {:?} version {:?}", p.name, p.version);
    let _ = writeln!(out, "lanes {}", p.lanes.join(", "));
    for (l, n) in &p.thresholds {
        let name = p.lanes.get(usize::from(l.0)).cloned().unwrap_or_default();
        let _ = writeln!(out, "threshold {name} {n}");
    }
    for (i, r) in p.layout.records().iter().enumerate() {
        let kw = if i == 0 { "schema" } else { "record" };
        let _ = writeln!(out, "{kw} {} {{", r.name);
        for (j, f) in r.fields.iter().enumerate() {
            let key = if i == 0 && j == p.layout.key().0 as usize {
                "key "
            } else {
                ""
            };
            let q = if f.optional { "?" } else { "" };
            let _ = writeln!(out, "  {key}{}: {}{q}", f.name, show_type(&p.layout, f.ty));
        }
        let _ = writeln!(out, "}}");
    }
    for l in &p.lists {
        let (kind, values) = match &l.values {
            Some(v) => ("", v.clone()),
            None => (
                " (external)",
                externals.lists.get(&l.name).cloned().unwrap_or_default(),
            ),
        };
        let values: Vec<String> = values.iter().map(show_const).collect();
        let _ = writeln!(
            out,
            "list {}: {:?}{kind} = [{}]",
            l.name,
            l.elem,
            values.join(", ")
        );
    }
    for t in &p.tables {
        let entries: Vec<String> = externals
            .tables
            .get(&t.name)
            .map(|rows| {
                rows.rows()
                    .map(|(k, cells)| {
                        let cells: Vec<String> = cells
                            .iter()
                            .map(|c| c.as_ref().map_or("(empty)".into(), show_const))
                            .collect();
                        format!("{k:?}: {}", cells.join(" | "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "table {}: {:?} = {{{}}}",
            t.name,
            t.shape,
            entries.join(", ")
        );
    }
    for r in &p.rules {
        show_rule(p, r, &mut out);
    }
    out
}

/// A recipe as JSON-like text with the layout's field names.
pub fn show_recipe(layout: &Layout, recipe: &Recipe) -> String {
    show_recipe_at(layout, RecordId(0), recipe)
}

fn show_recipe_at(layout: &Layout, record: RecordId, recipe: &Recipe) -> String {
    let Some(r) = layout.record(record) else {
        return "?".into();
    };
    let mut parts = Vec::new();
    for (f, v) in r.fields.iter().zip(&recipe.values) {
        let value = match v {
            RecipeValue::Missing => continue,
            RecipeValue::Text(t) => format!("{t:?}"),
            RecipeValue::Number(n) => n.to_string(),
            RecipeValue::Bool(b) => b.to_string(),
            RecipeValue::Date(d) => format!("\"{d}\""),
            RecipeValue::List(elements) => {
                let elem = match f.ty {
                    FieldType::List(e) => e,
                    _ => record,
                };
                let items: Vec<String> = elements
                    .iter()
                    .map(|e| show_recipe_at(layout, elem, e))
                    .collect();
                format!("[{}]", items.join(", "))
            }
        };
        parts.push(format!("\"{}\": {value}", f.name));
    }
    format!("{{{}}}", parts.join(", "))
}
