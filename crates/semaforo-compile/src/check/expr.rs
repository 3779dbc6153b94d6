//! Name resolution and type checking of expressions (SPEC §3.6).
//!
//! Every function returns `None` for an expression whose check failed; the
//! failure has been reported, and callers stay silent about `None` operands
//! so one mistake gives one diagnostic.

use std::fmt;

use semaforo_plan::{FieldId, RecordId};
use semaforo_syntax::ast::{self, BinOp, ExprKind as A, QuantKind, UnOp};
use semaforo_syntax::{Diagnostic, Span, keywords};

use super::{Checker, FieldTy, lit, scalar_name};
use crate::hir::{
    Arith, Base, Cmp, Const, Expr, ExprKind, Pattern, Quant, Scalar, TableShape, Type, VarId,
};

/// A quantifier variable in scope; its index in the scope is its [`VarId`].
pub(super) struct ScopeVar<'a> {
    /// The variable's name, borrowed from the syntax tree.
    name: &'a str,
    span: Span,
    /// `None` when the iterated list's record type is unknown (reported).
    record: Option<RecordId>,
}

/// What a bare name refers to.
enum Resolved {
    /// A quantifier variable: depth, record.
    Var(u32, Option<RecordId>),
    /// A top-level field: index in the root record.
    Field(usize),
    /// A list: index in `lists`.
    List(usize),
    /// A table: index in `tables`.
    Table(usize),
    /// Nothing.
    Unknown,
}

/// What the right-hand side of `in`, `starts with` or `contains` may be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PatMode {
    /// `in`: an inline list or a list name.
    In,
    /// `starts with` / `contains`: also a text expression.
    Text,
}

/// Strips parentheses.
fn unparen(mut e: &ast::Expr) -> &ast::Expr {
    while let A::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

const BOOL: Type = Type::Scalar(Scalar::Bool);
const NUMBER: Type = Type::Scalar(Scalar::Number);
const TEXT: Type = Type::Scalar(Scalar::Text);
const DATE: Type = Type::Scalar(Scalar::Date);

fn boxed(kind: ExprKind, ty: Type, span: Span) -> Option<Expr> {
    Some(Expr { kind, ty, span })
}

impl<'a> Checker<'a> {
    fn resolve(&self, name: &str, scope: &[ScopeVar<'_>]) -> Resolved {
        if let Some((depth, var)) = scope.iter().enumerate().rev().find(|(_, v)| v.name == name) {
            // The scope is at most as deep as the expression (the parser's
            // nesting limit), far below `u32::MAX`.
            let depth = u32::try_from(depth).unwrap_or(u32::MAX);
            return Resolved::Var(depth, var.record);
        }
        if let Some(&i) = self.field_names.get(&(RecordId(0), name)) {
            return Resolved::Field(i);
        }
        if let Some(&i) = self.list_names.get(name) {
            return Resolved::List(i);
        }
        if let Some(&i) = self.table_names.get(name) {
            return Resolved::Table(i);
        }
        Resolved::Unknown
    }

    /// Reports an unknown name with a suggestion among `candidates`.
    pub(super) fn unknown_name<'c>(
        &mut self,
        id: &ast::Ident,
        candidates: impl Iterator<Item = &'c str>,
        what: &str,
    ) {
        let mut d = Diagnostic::error("E0202", id.span, format!("unknown {what} `{}`", id.name));
        if let Some(s) = lit::suggest(&id.name, candidates) {
            d = d.with_help(format!("did you mean `{s}`?"));
            // The suggested list or table was probably meant: do not also
            // report it as unused.
            if let Some(l) = self.list_names.get(s).and_then(|&i| self.lists.get_mut(i)) {
                l.used = true;
            }
            if let Some(t) = self
                .table_names
                .get(s)
                .and_then(|&i| self.tables.get_mut(i))
            {
                t.used = true;
            }
        }
        self.diags.push(d);
    }

    pub(super) fn root_field_names(&self) -> Vec<String> {
        self.records
            .first()
            .map(|r| r.fields.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The expression reading field `index` of `record` from `base`.
    fn field_expr(&self, base: Base, record: RecordId, index: usize, span: Span) -> Option<Expr> {
        let field = self.records.get(record.0 as usize)?.fields.get(index)?;
        let ty = match field.ty {
            FieldTy::Scalar(s) => Type::Scalar(s),
            FieldTy::List(Some(r)) => Type::Records(r),
            FieldTy::List(None) => return None,
        };
        boxed(
            ExprKind::Field {
                base,
                record,
                field: FieldId(u32::try_from(index).ok()?),
            },
            ty,
            span,
        )
    }

    /// A bare name in a value position.
    fn name_value(&mut self, id: &ast::Ident, scope: &[ScopeVar<'_>], span: Span) -> Option<Expr> {
        match self.resolve(&id.name, scope) {
            Resolved::Field(i) => self.field_expr(Base::Root, RecordId(0), i, span),
            Resolved::Var(_, record) => {
                let example = record
                    .and_then(|r| self.records.get(r.0 as usize))
                    .and_then(|r| r.fields.first())
                    .map_or_else(|| "field".to_string(), |f| f.name.clone());
                self.diags.push(
                    Diagnostic::error(
                        "E0210",
                        id.span,
                        format!(
                            "`{}` is a record element and cannot be used as a value",
                            id.name
                        ),
                    )
                    .with_help(format!(
                        "read one of its fields, e.g. `{}.{example}`",
                        id.name
                    )),
                );
                None
            }
            Resolved::List(i) => {
                if let Some(l) = self.lists.get_mut(i) {
                    l.used = true;
                }
                self.diags.push(
                    Diagnostic::error(
                        "E0208",
                        id.span,
                        format!("`{}` is a list and cannot be used as a value", id.name),
                    )
                    .with_help(
                        "a list can only follow `in`, `not in`, `starts with` or `contains`",
                    ),
                );
                None
            }
            Resolved::Table(i) => {
                if let Some(t) = self.tables.get_mut(i) {
                    t.used = true;
                }
                self.diags.push(
                    Diagnostic::error(
                        "E0209",
                        id.span,
                        format!("`{}` is a table and cannot be used as a value", id.name),
                    )
                    .with_help(format!(
                        "read it with `lookup({0}, key)` or `lookup_prefix({0}, key)`",
                        id.name
                    )),
                );
                None
            }
            Resolved::Unknown => {
                // A field of an element in scope, written without its variable.
                let element = scope.iter().rev().find_map(|v| {
                    let record = self.records.get(v.record?.0 as usize)?;
                    record
                        .fields
                        .iter()
                        .any(|f| f.name == *id.name)
                        .then(|| format!("{}.{}", v.name, id.name))
                });
                if let Some(path) = element {
                    self.diags.push(
                        Diagnostic::error("E0202", id.span, format!("unknown name `{}`", id.name))
                            .with_help(format!("did you mean `{path}`?")),
                    );
                } else if !self.no_schema {
                    let names = self.root_field_names();
                    self.unknown_name(id, names.iter().map(String::as_str), "name");
                }
                None
            }
        }
    }

    /// Requires `e` to have type `want`; E0301 otherwise, with `context` as
    /// the help (formatted only then).
    fn want(&mut self, e: &Expr, want: Scalar, context: fmt::Arguments<'_>) -> bool {
        if e.ty == Type::Scalar(want) {
            return true;
        }
        let found = self.type_name(e.ty);
        self.diags.push(
            Diagnostic::error(
                "E0301",
                e.span,
                format!("expected {}, found {found}", scalar_name(want)),
            )
            .with_help(fmt::format(context)),
        );
        false
    }

    /// Requires `e` to be a single value (not a record list); E0301 otherwise.
    /// [`Checker::want`] for both operands of a binary operator, left then
    /// right (an operand that failed to check is not ok and says nothing).
    fn want_both(
        &mut self,
        l: Option<&Expr>,
        r: Option<&Expr>,
        want: Scalar,
        context: fmt::Arguments<'_>,
    ) -> (bool, bool) {
        let l_ok = l.is_some_and(|l| self.want(l, want, context));
        let r_ok = r.is_some_and(|r| self.want(r, want, context));
        (l_ok, r_ok)
    }

    fn want_scalar(&mut self, e: &Expr) -> Option<Scalar> {
        match e.ty {
            Type::Scalar(s) => Some(s),
            Type::Records(_) => {
                let found = self.type_name(e.ty);
                self.diags.push(
                    Diagnostic::error("E0301", e.span, format!("expected a value, found {found}"))
                        .with_help("iterate over a record list with a quantifier, e.g. `any(x in items: ...)`"),
                );
                None
            }
        }
    }

    /// Checks an expression in a value position.
    pub(super) fn expr(&mut self, e: &'a ast::Expr, scope: &mut Vec<ScopeVar<'a>>) -> Option<Expr> {
        let span = e.span;
        match &e.kind {
            A::Number(n) => {
                let d = self.number(n, false, span)?;
                boxed(ExprKind::Const(Const::Number(d)), NUMBER, span)
            }
            A::Str(s) => boxed(ExprKind::Const(Const::Text(s.value.clone())), TEXT, span),
            A::Bool(b) => boxed(ExprKind::Const(Const::Bool(*b)), BOOL, span),
            A::Date(d) => {
                let d = self.date(d)?;
                boxed(ExprKind::Const(Const::Date(d)), DATE, span)
            }
            A::Today => boxed(ExprKind::Today, DATE, span),
            A::Name(id) => self.name_value(id, scope, span),
            A::Field(base, field) => self.field_access(base, field, scope, span),
            A::List(_) => {
                self.diags.push(
                    Diagnostic::error("E0311", span, "an inline list cannot be used as a value")
                        .with_help("an inline list can only follow `in`, `not in`, `starts with` or `contains`"),
                );
                None
            }
            A::Paren(inner) => self.expr(inner, scope),
            A::Unary(UnOp::Not, x) => {
                let x = self.expr(x, scope)?;
                if !self.want(&x, Scalar::Bool, format_args!("`not` negates a bool")) {
                    return None;
                }
                boxed(ExprKind::Not(Box::new(x)), BOOL, span)
            }
            A::Unary(UnOp::Neg, x) => {
                if let A::Number(n) = &x.kind {
                    // A negated literal is a constant.
                    let d = self.number(n, true, span)?;
                    return boxed(ExprKind::Const(Const::Number(d)), NUMBER, span);
                }
                let x = self.expr(x, scope)?;
                if !self.want(
                    &x,
                    Scalar::Number,
                    format_args!("unary `-` negates a number"),
                ) {
                    return None;
                }
                boxed(ExprKind::Neg(Box::new(x)), NUMBER, span)
            }
            A::Binary(op, a, b) => self.binary(*op, a, b, scope, span),
            A::In {
                value,
                list,
                negated,
            } => {
                let v = self.expr(value, scope);
                let want = match &v {
                    Some(v) => Some(self.want_scalar(v)?),
                    None => None,
                };
                let pattern = self.pattern(
                    list,
                    want,
                    v.as_ref().map(|v| v.span),
                    PatMode::In,
                    scope,
                    "in",
                );
                let (v, pattern) = (v?, pattern?);
                boxed(
                    ExprKind::In {
                        value: Box::new(v),
                        list: pattern,
                        negated: *negated,
                    },
                    BOOL,
                    span,
                )
            }
            A::StartsWith(t, p) | A::Contains(t, p) => {
                let op = if matches!(e.kind, A::StartsWith(..)) {
                    "starts with"
                } else {
                    "contains"
                };
                let t = self.expr(t, scope);
                let t_ok = match &t {
                    Some(t) => self.want(t, Scalar::Text, format_args!("`{op}` tests a text")),
                    None => false,
                };
                let pattern = self.pattern(p, Some(Scalar::Text), None, PatMode::Text, scope, op);
                let (t, pattern) = (t?, pattern?);
                if !t_ok {
                    return None;
                }
                let kind = if op == "contains" {
                    ExprKind::Contains(Box::new(t), pattern)
                } else {
                    ExprKind::StartsWith(Box::new(t), pattern)
                };
                boxed(kind, BOOL, span)
            }
            A::Is { value, present } => {
                let mut v = self.expr(value, scope)?;
                if let Type::Records(record) = v.ty {
                    // An optional record list is tested as a whole: it is
                    // missing exactly when `count(x in list: true)` is, so
                    // the test is lowered to that and every evaluator
                    // handles it with the quantifier rules it already has.
                    let list_span = v.span;
                    v = Expr {
                        kind: ExprKind::Quant {
                            kind: Quant::Count,
                            var: VarId(u32::try_from(scope.len()).ok()?),
                            record,
                            list: Box::new(v),
                            body: Box::new(Expr {
                                kind: ExprKind::Const(Const::Bool(true)),
                                ty: BOOL,
                                span: list_span,
                            }),
                        },
                        ty: NUMBER,
                        span: list_span,
                    };
                }
                boxed(
                    ExprKind::Is {
                        value: Box::new(v),
                        present: *present,
                    },
                    BOOL,
                    span,
                )
            }
            A::Quant {
                kind,
                var,
                list,
                body,
            } => self.quant(*kind, var, list, body, scope, span),
            A::Call { func, args } => self.call(func, args, scope, span),
        }
    }

    /// A chain `x1 op x2 op .. op xn` of one `and`/`or` operator, which the
    /// parser builds left-deep (`((x1 op x2) op x3) ..`): checked along its
    /// left spine with a loop, not one recursion per operand, so a chain
    /// of hundreds of alternatives needs no more stack than one operand.
    /// Builds the same tree and reports the same diagnostics, in the same
    /// order, as checking each `op` node recursively would.
    fn chain(
        &mut self,
        op: BinOp,
        a: &'a ast::Expr,
        b: &'a ast::Expr,
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        // The spine from the top: each node's right operand and span, on
        // the shared stack (operands checked below push their own chains
        // above `end` and pop them before returning).
        let start = self.scratch.chains.len();
        self.scratch.chains.push((b, span));
        let mut leftmost = a;
        while let A::Binary(inner, l, r) = &leftmost.kind
            && *inner == op
        {
            self.scratch.chains.push((r, leftmost.span));
            leftmost = l;
        }
        let end = self.scratch.chains.len();
        let op_str = op.as_str();
        let mut acc = self.expr(leftmost, scope);
        for at in (start..end).rev() {
            let Some(&(right, span)) = self.scratch.chains.get(at) else {
                break;
            };
            let r = self.expr(right, scope);
            let (l_ok, r_ok) = self.want_both(
                acc.as_ref(),
                r.as_ref(),
                Scalar::Bool,
                format_args!("`{op_str}` combines conditions (bool)"),
            );
            acc = match (acc, r) {
                (Some(l), Some(r)) if l_ok && r_ok => {
                    let (l, r) = (Box::new(l), Box::new(r));
                    let kind = if op == BinOp::And {
                        ExprKind::And(l, r)
                    } else {
                        ExprKind::Or(l, r)
                    };
                    boxed(kind, BOOL, span)
                }
                _ => None,
            };
        }
        self.scratch.chains.truncate(start);
        acc
    }

    fn binary(
        &mut self,
        op: BinOp,
        a: &'a ast::Expr,
        b: &'a ast::Expr,
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        if matches!(op, BinOp::And | BinOp::Or) {
            return self.chain(op, a, b, scope, span);
        }
        let l = self.expr(a, scope);
        let r = self.expr(b, scope);
        match op {
            BinOp::And | BinOp::Or => None,
            BinOp::Eq | BinOp::Ne => {
                let ls = l.as_ref().map(|l| self.want_scalar(l));
                let rs = r.as_ref().map(|r| self.want_scalar(r));
                let (l, r, ls, rs) = (l?, r?, ls??, rs??);
                if ls != rs {
                    self.mismatch(op, &l, &r, ls, rs);
                    return None;
                }
                let cmp = if op == BinOp::Eq { Cmp::Eq } else { Cmp::Ne };
                boxed(ExprKind::Cmp(cmp, Box::new(l), Box::new(r)), BOOL, span)
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ls = l.as_ref().and_then(|l| self.orderable(op, l));
                let rs = r.as_ref().and_then(|r| self.orderable(op, r));
                let (l, r, ls, rs) = (l?, r?, ls?, rs?);
                if ls != rs {
                    self.mismatch(op, &l, &r, ls, rs);
                    return None;
                }
                let cmp = match op {
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                boxed(ExprKind::Cmp(cmp, Box::new(l), Box::new(r)), BOOL, span)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let l_date = l.as_ref().is_some_and(|l| l.ty == DATE);
                let r_date = r.as_ref().is_some_and(|r| r.ty == DATE);
                if l_date || r_date {
                    let (l, r) = (l?, r?);
                    if op == BinOp::Sub && l_date && r_date {
                        return boxed(ExprKind::DateDiff(Box::new(l), Box::new(r)), NUMBER, span);
                    }
                    let lt = self.type_name(l.ty);
                    let rt = self.type_name(r.ty);
                    self.diags.push(
                        Diagnostic::error(
                            "E0304",
                            span,
                            format!("`{}` cannot be applied to {lt} and {rt}", op.as_str()),
                        )
                        .with_help("there is no date arithmetic besides `date - date` (whole days between two dates)"),
                    );
                    return None;
                }
                let op_str = op.as_str();
                let (l_ok, r_ok) = self.want_both(
                    l.as_ref(),
                    r.as_ref(),
                    Scalar::Number,
                    format_args!("`{op_str}` works on numbers"),
                );
                let (l, r) = (l?, r?);
                if !(l_ok && r_ok) {
                    return None;
                }
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    _ => Arith::Div,
                };
                boxed(
                    ExprKind::Arith(arith, Box::new(l), Box::new(r)),
                    NUMBER,
                    span,
                )
            }
        }
    }

    /// Requires a number or a date for `<`, `<=`, `>`, `>=`; E0303 otherwise.
    fn orderable(&mut self, op: BinOp, e: &Expr) -> Option<Scalar> {
        match e.ty {
            Type::Scalar(s @ (Scalar::Number | Scalar::Date)) => Some(s),
            ty => {
                let found = self.type_name(ty);
                self.diags.push(
                    Diagnostic::error(
                        "E0303",
                        e.span,
                        format!("`{}` compares numbers or dates, found {found}", op.as_str()),
                    )
                    .with_help("use `==` or `!=` for text and bool"),
                );
                None
            }
        }
    }

    /// E0302: the two sides of a comparison have different types.
    fn mismatch(&mut self, op: BinOp, l: &Expr, r: &Expr, ls: Scalar, rs: Scalar) {
        self.diags.push(
            Diagnostic::error(
                "E0302",
                r.span,
                format!(
                    "`{}` compares values of one type: expected {}, found {}",
                    op.as_str(),
                    scalar_name(ls),
                    scalar_name(rs)
                ),
            )
            .with_label(l.span, format!("this is {}", scalar_name(ls))),
        );
    }

    /// A literal inside an inline list expression: `Err(())` if the element
    /// is not a literal, `Ok(None)` if it is an invalid literal (reported).
    fn inline_literal(&mut self, e: &ast::Expr) -> Result<Option<Const>, ()> {
        match &e.kind {
            A::Number(n) => Ok(self.number(n, false, e.span).map(Const::Number)),
            A::Unary(UnOp::Neg, x) => match &x.kind {
                A::Number(n) => Ok(self.number(n, true, e.span).map(Const::Number)),
                _ => Err(()),
            },
            A::Str(s) => Ok(Some(Const::Text(s.value.clone()))),
            A::Bool(b) => Ok(Some(Const::Bool(*b))),
            A::Date(d) => Ok(self.date(d).map(Const::Date)),
            _ => Err(()),
        }
    }

    /// The right-hand side of `in`, `starts with`, `contains`. `want` is the
    /// element type required (`None` when the tested value failed).
    fn pattern(
        &mut self,
        p: &'a ast::Expr,
        want: Option<Scalar>,
        value_span: Option<Span>,
        mode: PatMode,
        scope: &mut Vec<ScopeVar<'a>>,
        op: &str,
    ) -> Option<Pattern> {
        let inner = unparen(p);
        match &inner.kind {
            A::List(elems) => {
                // Exact size unless entries are dropped; the duplicate
                // check's buffers are reused from list to list.
                let mut values: Vec<Const> = Vec::with_capacity(elems.len());
                let mut dedup = std::mem::take(&mut self.scratch.dedup);
                dedup.start(elems.len());
                let mut ok = true;
                for elem in elems {
                    match self.inline_literal(elem) {
                        Err(()) => {
                            ok = false;
                            self.diags.push(
                                Diagnostic::error(
                                    "E0306",
                                    elem.span,
                                    "an inline list holds only literals",
                                )
                                .with_help("use literal values such as `\"CN\"`, `12.5`, `-5` or `2026-01-01`"),
                            );
                        }
                        Ok(None) => ok = false,
                        Ok(Some(c)) => {
                            if let Some(want) = want
                                && c.scalar() != want
                            {
                                ok = false;
                                let mut d = Diagnostic::error(
                                    "E0305",
                                    elem.span,
                                    format!(
                                        "expected {}, found {}",
                                        scalar_name(want),
                                        scalar_name(c.scalar())
                                    ),
                                );
                                if let Some(vs) = value_span {
                                    d = d.with_label(vs, format!("this is {}", scalar_name(want)));
                                } else {
                                    d = d.with_help(format!("`{op}` takes text patterns"));
                                }
                                self.diags.push(d);
                                continue;
                            }
                            if !self.dedup_entry(&mut dedup, &values, &c, elem.span) {
                                values.push(c);
                            }
                        }
                    }
                }
                self.dedup_finish(&dedup);
                self.scratch.dedup = dedup;
                ok.then_some(Pattern::Inline(values))
            }
            A::Name(id) => match self.resolve(&id.name, scope) {
                Resolved::List(i) => self.list_pattern(i, id, want, value_span, op),
                Resolved::Unknown => {
                    if mode == PatMode::In {
                        let names: Vec<String> =
                            self.lists.iter().map(|l| l.name.clone()).collect();
                        self.unknown_name(id, names.iter().map(String::as_str), "list");
                    } else if !self.no_schema {
                        let mut names = self.root_field_names();
                        names.extend(self.lists.iter().map(|l| l.name.clone()));
                        self.unknown_name(id, names.iter().map(String::as_str), "name");
                    }
                    None
                }
                _ if mode == PatMode::Text => self.text_pattern(p, scope, op),
                resolved => {
                    let what = match resolved {
                        Resolved::Field(_) => "a field",
                        Resolved::Table(_) => "a table",
                        _ => "a record element",
                    };
                    if let Resolved::Table(i) = resolved
                        && let Some(t) = self.tables.get_mut(i)
                    {
                        t.used = true;
                    }
                    self.diags.push(
                        Diagnostic::error(
                            "E0213",
                            id.span,
                            format!("`{}` is {what}, not a list", id.name),
                        )
                        .with_help("`in` takes an inline list `[...]` or the name of a list"),
                    );
                    None
                }
            },
            _ if mode == PatMode::Text => self.text_pattern(p, scope, op),
            _ => {
                // Report problems inside the expression first, then the misuse.
                let checked = self.expr(p, scope);
                if checked.is_some() {
                    self.diags.push(
                        Diagnostic::error(
                            "E0213",
                            p.span,
                            "the right-hand side of `in` must be a list",
                        )
                        .with_help("`in` takes an inline list `[...]` or the name of a list; use `==` to compare two values"),
                    );
                }
                None
            }
        }
    }

    fn text_pattern(
        &mut self,
        p: &'a ast::Expr,
        scope: &mut Vec<ScopeVar<'a>>,
        op: &str,
    ) -> Option<Pattern> {
        let e = self.expr(p, scope)?;
        if !self.want(
            &e,
            Scalar::Text,
            format_args!("`{op}` takes a text, a list of texts or a list name"),
        ) {
            return None;
        }
        Some(Pattern::Expr(Box::new(e)))
    }

    /// A list name after `in`, `starts with` or `contains`.
    fn list_pattern(
        &mut self,
        index: usize,
        id: &ast::Ident,
        want: Option<Scalar>,
        value_span: Option<Span>,
        op: &str,
    ) -> Option<Pattern> {
        let list = self.lists.get_mut(index)?;
        list.used = true;
        let elem = match (list.elem, want) {
            (None, Some(w)) => {
                // An empty inline list takes the type it is first used with.
                list.elem = Some(w);
                Some(w)
            }
            (elem, _) => elem,
        };
        let empty = list.values.as_ref().is_some_and(Vec::is_empty);
        if let (Some(elem), Some(want)) = (elem, want)
            && elem != want
            && !empty
        {
            let mut d = Diagnostic::error(
                "E0305",
                id.span,
                format!(
                    "`{}` is a list of {}, expected a list of {}",
                    id.name,
                    scalar_name(elem),
                    scalar_name(want)
                ),
            );
            if let Some(vs) = value_span {
                d = d.with_label(vs, format!("this is {}", scalar_name(want)));
            } else {
                d = d.with_help(format!("`{op}` takes a list of texts"));
            }
            self.diags.push(d);
            return None;
        }
        Some(Pattern::List(crate::hir::ListId(
            u32::try_from(index).ok()?,
        )))
    }

    /// `base.field`: only a quantifier variable has fields.
    fn field_access(
        &mut self,
        base: &'a ast::Expr,
        field: &ast::Ident,
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        let base = unparen(base);
        if let A::Call { func, args } = &base.kind
            && matches!(func.name.as_str(), "lookup" | "lookup_prefix")
        {
            // `lookup(t, k).column` of a multi-column table.
            return self.lookup(func, args, Some(field), scope, span);
        }
        if let A::Name(id) = &base.kind {
            match self.resolve(&id.name, scope) {
                Resolved::Var(depth, record) => {
                    let record = record?;
                    if let Some(&i) = self.field_names.get(&(record, field.name.as_str())) {
                        return self.field_expr(Base::Var(VarId(depth)), record, i, span);
                    }
                    let rec = self.records.get(record.0 as usize)?;
                    let mut d = Diagnostic::error(
                        "E0203",
                        field.span,
                        format!("record `{}` has no field `{}`", rec.name, field.name),
                    );
                    if let Some(s) =
                        lit::suggest(&field.name, rec.fields.iter().map(|f| f.name.as_str()))
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                    return None;
                }
                Resolved::Unknown => {
                    if scope.is_empty() && self.no_schema {
                        return None;
                    }
                    let mut names: Vec<String> = scope.iter().map(|v| v.name.to_string()).collect();
                    names.extend(self.root_field_names());
                    self.unknown_name(id, names.iter().map(String::as_str), "name");
                    return None;
                }
                Resolved::Field(i) => {
                    let is_list = self
                        .records
                        .first()
                        .and_then(|r| r.fields.get(i))
                        .is_some_and(|f| matches!(f.ty, FieldTy::List(_)));
                    let help = if is_list {
                        format!(
                            "`{0}` is a record list: read its elements' fields inside a quantifier, e.g. `any(x in {0}: x.{1} ...)`",
                            id.name, field.name
                        )
                    } else {
                        format!(
                            "top-level fields are read by bare name: write `{}`",
                            id.name
                        )
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "E0211",
                            base.span,
                            format!(
                                "`{}` is a top-level field and has no field `{}`",
                                id.name, field.name
                            ),
                        )
                        .with_help(help),
                    );
                    return None;
                }
                Resolved::List(i) => {
                    if let Some(l) = self.lists.get_mut(i) {
                        l.used = true;
                    }
                }
                Resolved::Table(i) => {
                    if let Some(t) = self.tables.get_mut(i) {
                        t.used = true;
                    }
                }
            }
            self.diags.push(
                Diagnostic::error(
                    "E0211",
                    base.span,
                    format!("`{}` has no fields", id.name),
                )
                .with_help("only quantifier variables have fields, e.g. `any(it in items: it.hs == \"6401\")`"),
            );
            return None;
        }
        let b = self.expr(base, scope)?;
        let found = self.type_name(b.ty);
        let help = match b.ty {
            Type::Records(_) => format!(
                "iterate over the list with a quantifier and read `x.{}` of each element `x`",
                field.name
            ),
            Type::Scalar(_) => "only quantifier variables have fields".to_string(),
        };
        self.diags.push(
            Diagnostic::error(
                "E0211",
                field.span,
                format!("cannot read field `{}` of {found}", field.name),
            )
            .with_help(help),
        );
        None
    }

    /// The iterated list of a quantifier: a record-list field.
    fn quant_source(&mut self, list: &'a ast::Expr, scope: &mut Vec<ScopeVar<'a>>) -> Option<Expr> {
        let inner = unparen(list);
        let e = if let A::Name(id) = &inner.kind {
            match self.resolve(&id.name, scope) {
                Resolved::Unknown => {
                    if !self.no_schema {
                        let names: Vec<String> = self
                            .records
                            .first()
                            .map(|r| {
                                r.fields
                                    .iter()
                                    .filter(|f| matches!(f.ty, FieldTy::List(_)))
                                    .map(|f| f.name.clone())
                                    .collect()
                            })
                            .unwrap_or_default();
                        self.unknown_name(id, names.iter().map(String::as_str), "record list");
                    }
                    return None;
                }
                resolved @ (Resolved::List(_) | Resolved::Table(_)) => {
                    let what = match resolved {
                        Resolved::List(i) => {
                            if let Some(l) = self.lists.get_mut(i) {
                                l.used = true;
                            }
                            "a list of values"
                        }
                        Resolved::Table(i) => {
                            if let Some(t) = self.tables.get_mut(i) {
                                t.used = true;
                            }
                            "a table"
                        }
                        _ => "a name",
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "E0309",
                            id.span,
                            format!("`{}` is {what}, not a record list", id.name),
                        )
                        .with_help("quantifiers iterate over a record-list field such as `items`; test a value with `x in list`"),
                    );
                    return None;
                }
                _ => self.expr(list, scope)?,
            }
        } else {
            self.expr(list, scope)?
        };
        if let Type::Records(_) = e.ty {
            return Some(e);
        }
        let found = self.type_name(e.ty);
        self.diags.push(
            Diagnostic::error(
                "E0309",
                e.span,
                format!("a quantifier iterates over a record list, found {found}"),
            )
            .with_help(
                "name a record-list field such as `items`, or `v.f` of an enclosing variable",
            ),
        );
        None
    }

    fn quant(
        &mut self,
        kind: QuantKind,
        var: &'a ast::Ident,
        list: &'a ast::Expr,
        body: &'a ast::Expr,
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        let source = self.quant_source(list, scope);
        self.reserved(var, "variable");
        let shadowed = match self.resolve(&var.name, scope) {
            Resolved::Var(depth, _) => scope.get(depth as usize).map(|v| (v.span, "variable")),
            Resolved::Field(i) => self
                .records
                .first()
                .and_then(|r| r.fields.get(i))
                .map(|f| (f.span, "field")),
            Resolved::List(i) => self.lists.get(i).map(|l| (l.name_span, "list")),
            Resolved::Table(i) => self.tables.get(i).map(|t| (t.name_span, "table")),
            Resolved::Unknown => None,
        };
        if let Some((at, what)) = shadowed {
            self.diags.push(
                Diagnostic::error(
                    "E0207",
                    var.span,
                    format!("variable `{}` shadows a {what} of the same name", var.name),
                )
                .with_label(at, format!("the {what} is declared here"))
                .with_help("choose another name for the variable"),
            );
        }
        let record = match source.as_ref().map(|s| s.ty) {
            Some(Type::Records(r)) => Some(r),
            _ => None,
        };
        // The scope is bounded by the parser's nesting limit.
        let var_id = VarId(u32::try_from(scope.len()).ok()?);
        scope.push(ScopeVar {
            name: &var.name,
            span: var.span,
            record,
        });
        let b = self.expr(body, scope);
        scope.pop();
        let (want, quant, ty) = match kind {
            QuantKind::Any => (Scalar::Bool, Quant::Any, BOOL),
            QuantKind::All => (Scalar::Bool, Quant::All, BOOL),
            QuantKind::Count => (Scalar::Bool, Quant::Count, NUMBER),
            QuantKind::Sum => (Scalar::Number, Quant::Sum, NUMBER),
            QuantKind::Min => (Scalar::Number, Quant::Min, NUMBER),
            QuantKind::Max => (Scalar::Number, Quant::Max, NUMBER),
        };
        let b = b?;
        let what = if want == Scalar::Bool {
            "a condition"
        } else {
            "a number"
        };
        if !self.want(
            &b,
            want,
            format_args!("the body of `{}` is {what}", kind.as_str()),
        ) {
            return None;
        }
        let (source, record) = (source?, record?);
        if shadowed.is_some() {
            return None;
        }
        boxed(
            ExprKind::Quant {
                kind: quant,
                var: var_id,
                record,
                list: Box::new(source),
                body: Box::new(b),
            },
            ty,
            span,
        )
    }

    fn call(
        &mut self,
        func: &'a ast::Ident,
        args: &'a [ast::Expr],
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        match func.name.as_str() {
            "lookup" | "lookup_prefix" => self.lookup(func, args, None, scope, span),
            "key" => self.composite_key(args, scope, span),
            "len" => {
                let [arg] = args else {
                    self.arity(func, "`len(text)`", 1, args.len(), span);
                    return None;
                };
                let arg = self.expr(arg, scope)?;
                if !self.want(
                    &arg,
                    Scalar::Text,
                    format_args!("`len` counts the characters of a text"),
                ) {
                    return None;
                }
                boxed(ExprKind::Len(Box::new(arg)), NUMBER, span)
            }
            _ => {
                let mut d = Diagnostic::error(
                    "E0205",
                    func.span,
                    format!("unknown function `{}`", func.name),
                );
                // The function names come from the syntax crate's table of
                // reserved words, which the grammar is tested against, and
                // `key`, which is contextual (a field may be named `key`).
                let names = keywords::functions().chain(["key"]);
                d = match lit::suggest(&func.name, names) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => {
                        d.with_help("the functions are `lookup`, `lookup_prefix`, `key` and `len`")
                    }
                };
                self.diags.push(d);
                None
            }
        }
    }

    /// E0308: `func` called with `found` arguments instead of `arity`.
    fn arity(&mut self, func: &ast::Ident, usage: &str, arity: usize, found: usize, span: Span) {
        self.diags.push(
            Diagnostic::error(
                "E0308",
                span,
                format!(
                    "`{}` takes {arity} argument{}, found {found}",
                    func.name,
                    if arity == 1 { "" } else { "s" },
                ),
            )
            .with_help(format!("write {usage}")),
        );
    }

    /// `key(e1, e2, ...)`: two or more texts; a part that is itself a
    /// `key(...)` is flattened into this one (the same text, and *missing*
    /// in the same cases).
    fn composite_key(
        &mut self,
        args: &'a [ast::Expr],
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        if args.len() < 2 {
            self.diags.push(
                Diagnostic::error(
                    "E0308",
                    span,
                    format!("`key` takes two or more arguments, found {}", args.len()),
                )
                .with_help("write `key(a, b, ...)`; a single text is already a key"),
            );
            return None;
        }
        let mut parts = Vec::with_capacity(args.len());
        let mut ok = true;
        for a in args {
            let Some(part) = self.expr(a, scope) else {
                ok = false;
                continue;
            };
            if !self.want(
                &part,
                Scalar::Text,
                format_args!("the parts of a composite key are texts"),
            ) {
                ok = false;
                continue;
            }
            match part.kind {
                ExprKind::Key(inner) => parts.extend(inner),
                _ => parts.push(part),
            }
        }
        if !ok {
            return None;
        }
        boxed(ExprKind::Key(parts), TEXT, span)
    }

    /// `lookup(t, k)` / `lookup_prefix(t, k)`, with `column` for
    /// `lookup(t, k).column` on a multi-column table (E0313 without it,
    /// E0214 for a column the table does not have, E0211 for a column of
    /// a one-value table).
    fn lookup(
        &mut self,
        func: &'a ast::Ident,
        args: &'a [ast::Expr],
        column: Option<&ast::Ident>,
        scope: &mut Vec<ScopeVar<'a>>,
        span: Span,
    ) -> Option<Expr> {
        let [table_arg, key_arg] = args else {
            self.arity(
                func,
                &format!("`{}(table, text)`", func.name),
                2,
                args.len(),
                span,
            );
            return None;
        };
        let table = self.table_arg(&func.name, table_arg, scope);
        let key = self.expr(key_arg, scope);
        let key_ok = key
            .as_ref()
            .is_some_and(|k| self.want(k, Scalar::Text, format_args!("a table's keys are texts")));
        let ((table, shape), key) = (table?, key?);
        if !key_ok {
            return None;
        }
        let name = self.tables.get(table.0 as usize).map(|t| t.name.clone())?;
        let (column, value) = match (&shape, column) {
            (TableShape::Value(v), None) => (0, *v),
            (TableShape::Value(v), Some(c)) => {
                self.diags.push(
                    Diagnostic::error(
                        "E0211",
                        c.span,
                        format!(
                            "table `{name}` holds one {} per key and has no column `{}`",
                            scalar_name(*v),
                            c.name
                        ),
                    )
                    .with_help(format!("read its value with `{}({name}, key)`", func.name)),
                );
                return None;
            }
            (TableShape::Columns(cols), None) => {
                let first = cols.first().map_or("column", |(n, _)| n.as_str());
                self.diags.push(
                    Diagnostic::error(
                        "E0313",
                        span,
                        format!("a row of table `{name}` is not a value"),
                    )
                    .with_help(format!(
                        "read one of its columns, e.g. `{}({name}, key).{first}`",
                        func.name
                    )),
                );
                return None;
            }
            (TableShape::Columns(cols), Some(c)) => {
                match cols.iter().position(|(n, _)| *n == *c.name) {
                    Some(i) => (u32::try_from(i).ok()?, cols.get(i)?.1),
                    None => {
                        let mut d = Diagnostic::error(
                            "E0214",
                            c.span,
                            format!("table `{name}` has no column `{}`", c.name),
                        );
                        d = match lit::suggest(&c.name, cols.iter().map(|(n, _)| n.as_str())) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!(
                                "its columns are {}",
                                cols.iter()
                                    .map(|(n, _)| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.diags.push(d);
                        return None;
                    }
                }
            }
        };
        boxed(
            ExprKind::Lookup {
                table,
                key: Box::new(key),
                prefix: func.name == "lookup_prefix",
                column,
            },
            Type::Scalar(value),
            span,
        )
    }

    /// The first argument of `lookup`/`lookup_prefix`: a table name.
    fn table_arg(
        &mut self,
        func: &str,
        arg: &'a ast::Expr,
        scope: &mut Vec<ScopeVar<'a>>,
    ) -> Option<(crate::hir::TableId, TableShape)> {
        if let A::Name(id) = &unparen(arg).kind {
            match self.resolve(&id.name, scope) {
                Resolved::Table(i) => {
                    let t = self.tables.get_mut(i)?;
                    t.used = true;
                    return Some((crate::hir::TableId(u32::try_from(i).ok()?), t.shape.clone()));
                }
                Resolved::Unknown => {
                    let names: Vec<String> = self.tables.iter().map(|t| t.name.clone()).collect();
                    self.unknown_name(id, names.iter().map(String::as_str), "table");
                    return None;
                }
                Resolved::List(i) => {
                    if let Some(l) = self.lists.get_mut(i) {
                        l.used = true;
                    }
                }
                _ => {}
            }
        } else {
            // Report problems inside the argument before the misuse.
            self.expr(arg, scope)?;
        }
        self.diags.push(
            Diagnostic::error(
                "E0212",
                arg.span,
                format!("the first argument of `{func}` must be a table name"),
            )
            .with_help(format!(
                "write `{func}(table, key)` with a table declared as `table name: type`"
            )),
        );
        None
    }
}
