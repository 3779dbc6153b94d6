//! The typed abstract syntax tree of a Semáforo source file.
//!
//! Every node carries the [`Span`] it was parsed from. The tree is exactly
//! what the author wrote (parentheses included, see [`ExprKind::Paren`]), so
//! the formatter can print it back; names are not resolved and types are not
//! checked here: that is `semaforo-compile`'s job.
//!
//! Literal values are kept as written where their meaning is checked later:
//! numbers and percentages as their digit text (the exact decimal is built by
//! the compiler), dates as year/month/day numbers (validity is checked by the
//! compiler, so `2026-02-30` parses and is then reported as E-code), strings
//! with their escapes already decoded.

use crate::Text;
use crate::span::Span;

/// One parsed source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The items in source order.
    pub items: Vec<Item>,
    /// Every `#` comment in source order, for the formatter.
    pub comments: Vec<Comment>,
    /// The byte offset of every blank line (only spaces, tabs or `\r`), in
    /// source order, so that the formatter can keep the author's blank lines.
    pub blank_lines: Vec<u32>,
}

/// A `#` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The text after `#`, up to the end of the line, without trailing
    /// white space (spaces, tabs, carriage returns).
    pub text: String,
    /// From the `#` to the end of the text.
    pub span: Span,
    /// True when code precedes the comment on its line (`lanes a, b  # x`);
    /// false for a comment on a line of its own. The formatter keeps a
    /// trailing comment on the line of the code it follows.
    pub trailing: bool,
}

/// A name: field, record, list, table, lane, variable, tag or function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: Text,
    /// Where.
    pub span: Span,
}

/// A rule id such as `VAL-001` (`[A-Za-z0-9][A-Za-z0-9_.-]*`). Where a
/// rule is referred to (an `expect` line, an `override`), it may be
/// qualified by a package: `sica/VAL-001`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleId {
    /// The id as written.
    pub name: Text,
    /// Where.
    pub span: Span,
}

/// A string literal with its escapes decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    /// The decoded value, shared: an escape-free literal parsed by the fast
    /// parser points into its (shared) source file, and the checked
    /// program's constants (one per entry of a list of thousands, in a
    /// large ruleset) point at the same text instead of copying it.
    pub value: Text,
    /// Where, quotes included.
    pub span: Span,
}

/// An integer literal with an optional leading minus (scores, thresholds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntLit {
    /// The value. Literals that do not fit in `i64` are a syntax error.
    pub value: i64,
    /// Where, sign included.
    pub span: Span,
}

/// A decimal literal as written (`12`, `12.50`, `0.5`), without sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumLit {
    /// The digits, possibly with one `.`: matches `[0-9]+(\.[0-9]+)?`.
    pub text: Text,
    /// Where.
    pub span: Span,
}

/// A `YYYY-MM-DD` literal; not yet checked to be a real date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateLit {
    /// Four-digit year.
    pub year: u16,
    /// Two-digit month as written (may be out of range).
    pub month: u8,
    /// Two-digit day as written (may be out of range).
    pub day: u8,
    /// Where.
    pub span: Span,
}

/// A percentage after `sample`, as written without the `%`: `2.5`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PercentLit {
    /// The digits, possibly with one `.`: matches `[0-9]+(\.[0-9]+)?`.
    pub text: String,
    /// Where, `%` included.
    pub span: Span,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `ruleset "name" version "v"`
    Ruleset(RulesetHeader),
    /// `lanes green, yellow, red`
    Lanes(Lanes),
    /// `threshold red 70`
    Threshold(Threshold),
    /// `schema declaration { ... }`
    Schema(RecordDecl),
    /// `record item { ... }`
    Record(RecordDecl),
    /// `list name = [...]` or `list name: type`
    List(ListDecl),
    /// `table name: type`
    Table(TableDecl),
    /// `rule ID "title" { ... }`
    Rule(Rule),
    /// `test "name" { ... }`
    Test(Test),
    /// `package "name" version "v"`: the file's items belong to a package.
    Package(RulesetHeader),
    /// `uses "name" version "v"`: the ruleset builds on that package.
    Uses(RulesetHeader),
    /// `override PKG/ID { ... }`: a national change to a package's rule.
    Override(Override),
}

/// `override PKG/ID { disable | active ... then ..., reason "...", until DATE }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The rule changed, qualified by its package (`sica/VAL-001`).
    pub target: RuleId,
    /// What changes.
    pub change: OverrideChange,
    /// `reason "..."` (required).
    pub reason: StrLit,
    /// `until DATE`: the last day the override applies.
    pub until: Option<DateLit>,
    /// The whole item.
    pub span: Span,
}

/// What an override changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideChange {
    /// `disable`: the rule never fires while the override applies.
    Disable(Span),
    /// `active ...` and/or `then ...`: replace the rule's active window
    /// and/or its whole action list.
    Adjust {
        /// The new active window.
        active: Option<Active>,
        /// The new actions (empty: unchanged).
        actions: Vec<Action>,
    },
}

/// One `KEY VALUE` entry of a rule's `profile` clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileEntry {
    /// `owner`, `level`, `status`, `approved`, `basis` or `review`.
    pub key: Ident,
    /// The value.
    pub value: ProfileValue,
    /// The whole entry.
    pub span: Span,
}

/// The value of a profile entry: a string, a date or a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileValue {
    /// `"text"`.
    Str(StrLit),
    /// `2027-06-30`.
    Date(DateLit),
    /// `regional`, `draft`, ...
    Word(Ident),
}

/// `ruleset NAME version STRING`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesetHeader {
    /// The ruleset's name.
    pub name: StrLit,
    /// The ruleset's version.
    pub version: StrLit,
    /// The whole item.
    pub span: Span,
}

/// `lanes a, b, c` in ascending severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lanes {
    /// The lanes, least severe first.
    pub lanes: Vec<Ident>,
    /// The whole item.
    pub span: Span,
}

/// `threshold LANE N` or `threshold LANE N for FIELD "VALUE"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// The lane reached.
    pub lane: Ident,
    /// The minimum total score.
    pub score: IntLit,
    /// `for FIELD "VALUE"`: the threshold of one group of declarations.
    pub group: Option<ThresholdGroup>,
    /// The whole item.
    pub span: Span,
}

/// `for FIELD "VALUE"` after a threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThresholdGroup {
    /// A top-level text field of the schema.
    pub field: Ident,
    /// The field's value that selects the group.
    pub value: StrLit,
}

/// A `schema` or `record` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordDecl {
    /// The record's name (`declaration`, `item`).
    pub name: Ident,
    /// The fields in source order.
    pub fields: Vec<FieldDecl>,
    /// The whole item.
    pub span: Span,
}

/// `key? NAME: TYPE ?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDecl {
    /// Marked `key`.
    pub key: bool,
    /// The field's name.
    pub name: Ident,
    /// The field's type.
    pub ty: TypeExpr,
    /// Marked `?`: may be missing.
    pub optional: bool,
    /// The whole field declaration.
    pub span: Span,
}

/// A scalar type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `text`
    Text,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `date`
    Date,
}

/// A field type as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    /// `text`, `number`, `bool` or `date`.
    Scalar(ScalarType, Span),
    /// `[record]`: a list of records; the span covers the brackets.
    List(Ident, Span),
}

/// `list NAME = [...]` or `list NAME: TYPE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListDecl {
    /// The list's name.
    pub name: Ident,
    /// Inline values or external type.
    pub body: ListBody,
    /// The whole item.
    pub span: Span,
}

/// What follows a list's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListBody {
    /// `= [lit, lit, ...]`; the span covers the brackets.
    Inline(Vec<Literal>, Span),
    /// `: TYPE`, supplied at compile time.
    External(ScalarType, Span),
}

/// A literal value inside a list declaration or an inline list expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// A string.
    Str(StrLit),
    /// A number, with `negative` set when written with a leading `-`.
    Number {
        /// Written with a leading `-`.
        negative: bool,
        /// The digits.
        lit: NumLit,
        /// Sign included.
        span: Span,
    },
    /// `true` or `false`.
    Bool(bool, Span),
    /// A date.
    Date(DateLit),
}

impl Literal {
    /// Where the literal is.
    pub fn span(&self) -> Span {
        match self {
            Literal::Str(s) => s.span,
            Literal::Number { span, .. } | Literal::Bool(_, span) => *span,
            Literal::Date(d) => d.span,
        }
    }
}

/// `table NAME: TYPE` or `table NAME: { COL: TYPE, ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDecl {
    /// The table's name.
    pub name: Ident,
    /// One value per key, or a row of named columns.
    pub body: TableBody,
    /// The whole item.
    pub span: Span,
}

/// What a table holds per key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableBody {
    /// `table NAME: TYPE`: one value; the span is the type name's.
    Value(ScalarType, Span),
    /// `table NAME: { COL: TYPE, ... }`: named columns, in source order; the
    /// span covers the braces.
    Columns(Vec<TableColumn>, Span),
}

/// One column of a multi-column table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableColumn {
    /// The column's name.
    pub name: Ident,
    /// Its type.
    pub ty: ScalarType,
    /// The whole `NAME: TYPE`.
    pub span: Span,
}

/// A rule. Clauses appear in this fixed order in the source:
/// `profile`, `active`, `tags`, `when`, `sample`, `then`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's id.
    pub id: RuleId,
    /// The rule's title.
    pub title: StrLit,
    /// `monitor` after the title (a shadow rule): the keyword's span.
    pub monitor: Option<Span>,
    /// `profile KEY VALUE, ...` (empty when absent).
    pub profile: Vec<ProfileEntry>,
    /// `active ...`.
    pub active: Option<Active>,
    /// `tags a, b` (empty when absent).
    pub tags: Vec<Ident>,
    /// `when EXPR`.
    pub when: Option<Expr>,
    /// `sample P%`.
    pub sample: Option<PercentLit>,
    /// `then ACTION, ...` (the grammar requires at least one).
    pub actions: Vec<Action>,
    /// The whole item.
    pub span: Span,
}

/// `active DATE to DATE`, `active from DATE` or `active to DATE`; bounds are
/// inclusive. At least one of `from`/`to` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Active {
    /// First active day.
    pub from: Option<DateLit>,
    /// Last active day.
    pub to: Option<DateLit>,
    /// The whole clause.
    pub span: Span,
}

/// One action after `then`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `score EXPR` (an integer literal, possibly negative, or any number
    /// expression); span covers the whole action.
    Score(Expr, Span),
    /// `lane NAME`.
    Lane(Ident, Span),
    /// `lane L1 P1%, L2 P2%, ...`: a lane split (at least one share).
    LaneSplit(Vec<LaneShare>, Span),
    /// `note "text"`.
    Note(StrLit, Span),
}

/// One `LANE PERCENT` of a lane split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneShare {
    /// The lane.
    pub lane: Ident,
    /// Its share of the draws.
    pub percent: PercentLit,
}

impl Action {
    /// Where the action is.
    pub fn span(&self) -> Span {
        match self {
            Action::Score(_, s)
            | Action::Lane(_, s)
            | Action::LaneSplit(_, s)
            | Action::Note(_, s) => *s,
        }
    }
}

/// `test "name" { today? given {...} expect... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    /// The test's name.
    pub name: StrLit,
    /// `today DATE`.
    pub today: Option<DateLit>,
    /// The `given` JSON object, as source text.
    pub given: JsonText,
    /// At least one expectation.
    pub expects: Vec<Expect>,
    /// The whole item.
    pub span: Span,
}

/// A JSON object literal kept as its exact source text; the grammar has
/// checked that it is syntactically JSON. Binding it against the schema is
/// done later, and errors are mapped back into `span`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonText {
    /// The source text from `{` to `}` inclusive.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// One `expect` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `expect lane LANE`.
    Lane(Ident, Span),
    /// `expect score N`.
    Score(IntLit, Span),
    /// `expect fired ID`.
    Fired(RuleId, Span),
    /// `expect not fired ID`.
    NotFired(RuleId, Span),
    /// `expect undetermined ID`.
    Undetermined(RuleId, Span),
    /// `expect monitored ID` (a shadow rule that would have fired).
    Monitored(RuleId, Span),
    /// `expect note "text"`.
    Note(StrLit, Span),
}

impl Expect {
    /// Where the expectation is.
    pub fn span(&self) -> Span {
        match self {
            Expect::Lane(_, s)
            | Expect::Score(_, s)
            | Expect::Fired(_, s)
            | Expect::NotFired(_, s)
            | Expect::Undetermined(_, s)
            | Expect::Monitored(_, s)
            | Expect::Note(_, s) => *s,
        }
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Binary operators that are not tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// Quantifiers and aggregates over a record list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantKind {
    /// `any(v in L: cond)`
    Any,
    /// `all(v in L: cond)`
    All,
    /// `count(v in L: cond)`
    Count,
    /// `sum(v in L: num)`
    Sum,
    /// `min(v in L: num)`
    Min,
    /// `max(v in L: num)`
    Max,
}

impl QuantKind {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            QuantKind::Any => "any",
            QuantKind::All => "all",
            QuantKind::Count => "count",
            QuantKind::Sum => "sum",
            QuantKind::Min => "min",
            QuantKind::Max => "max",
        }
    }
}

/// The expression forms of SPEC §3.6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A decimal literal (unsigned; `-` is [`UnOp::Neg`]).
    Number(NumLit),
    /// A string literal.
    Str(StrLit),
    /// `true` / `false`.
    Bool(bool),
    /// A date literal.
    Date(DateLit),
    /// `today`.
    Today,
    /// A bare name: a top-level field, a list, or a quantifier variable.
    Name(Ident),
    /// `base.field`.
    Field(Box<Expr>, Ident),
    /// `[e, e, ...]` inline list (only literals are valid, checked later).
    List(Vec<Expr>),
    /// `(e)`, kept so the formatter prints what was written.
    Paren(Box<Expr>),
    /// `not e` / `-e`.
    Unary(UnOp, Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x in L` / `x not in L`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The list (a name or an inline list).
        list: Box<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `t starts with P`.
    StartsWith(Box<Expr>, Box<Expr>),
    /// `t contains P`.
    Contains(Box<Expr>, Box<Expr>),
    /// `e is missing` (`present == false`) / `e is present`.
    Is {
        /// The tested value.
        value: Box<Expr>,
        /// `is present` rather than `is missing`.
        present: bool,
    },
    /// `any/all/count/sum/min/max(var in list: body)`.
    Quant {
        /// Which quantifier or aggregate.
        kind: QuantKind,
        /// The element variable.
        var: Ident,
        /// The record list iterated over.
        list: Box<Expr>,
        /// The condition or term.
        body: Box<Expr>,
    },
    /// `name(args)`: `lookup`, `lookup_prefix`, `len` (other names are
    /// reported by the compiler as unknown functions).
    Call {
        /// The function's name.
        func: Ident,
        /// The arguments.
        args: Vec<Expr>,
    },
}

/// The reserved words, kept in [`crate::keywords`] (one table for the
/// grammar test, both parsers and the checker) and re-exported here for the
/// checker's use.
pub use crate::keywords::{RESERVED, is_reserved};

/// Sets every span in `file` to [`Span::default`], so that two files that
/// differ only by layout compare equal with `==` (used by the formatter's
/// round-trip tests). Comments keep their text and placement flag; blank-line
/// positions are cleared.
///
/// Recursion follows the expression tree, whose depth the parser bounds by
/// [`crate::MAX_EXPR_DEPTH`].
pub fn strip_spans(file: &mut SourceFile) {
    file.blank_lines.clear();
    for c in &mut file.comments {
        c.span = Span::default();
    }
    for item in &mut file.items {
        strip_item(item);
    }
}

fn strip_active(a: &mut Active) {
    let z = Span::default();
    a.span = z;
    if let Some(d) = &mut a.from {
        d.span = z;
    }
    if let Some(d) = &mut a.to {
        d.span = z;
    }
}

fn strip_action(a: &mut Action) {
    let z = Span::default();
    match a {
        Action::Score(e, s) => {
            strip_expr(e);
            *s = z;
        }
        Action::LaneSplit(shares, s) => {
            *s = z;
            for sh in shares {
                sh.lane.span = z;
                sh.percent.span = z;
            }
        }
        Action::Lane(i, s) => {
            i.span = z;
            *s = z;
        }
        Action::Note(n, s) => {
            n.span = z;
            *s = z;
        }
    }
}

fn strip_item(item: &mut Item) {
    let z = Span::default();
    match item {
        Item::Ruleset(h) => {
            h.name.span = z;
            h.version.span = z;
            h.span = z;
        }
        Item::Lanes(l) => {
            l.lanes.iter_mut().for_each(|i| i.span = z);
            l.span = z;
        }
        Item::Threshold(t) => {
            t.lane.span = z;
            t.score.span = z;
            t.span = z;
            if let Some(g) = &mut t.group {
                g.field.span = z;
                g.value.span = z;
            }
        }
        Item::Schema(r) | Item::Record(r) => {
            r.name.span = z;
            r.span = z;
            for f in &mut r.fields {
                f.name.span = z;
                f.span = z;
                match &mut f.ty {
                    TypeExpr::Scalar(_, s) => *s = z,
                    TypeExpr::List(i, s) => {
                        i.span = z;
                        *s = z;
                    }
                }
            }
        }
        Item::List(l) => {
            l.name.span = z;
            l.span = z;
            match &mut l.body {
                ListBody::Inline(lits, s) => {
                    *s = z;
                    lits.iter_mut().for_each(strip_literal);
                }
                ListBody::External(_, s) => *s = z,
            }
        }
        Item::Table(t) => {
            t.name.span = z;
            t.span = z;
            match &mut t.body {
                TableBody::Value(_, s) => *s = z,
                TableBody::Columns(cols, s) => {
                    *s = z;
                    for c in cols {
                        c.name.span = z;
                        c.span = z;
                    }
                }
            }
        }
        Item::Rule(r) => {
            r.id.span = z;
            r.title.span = z;
            r.span = z;
            if let Some(m) = &mut r.monitor {
                *m = z;
            }
            for e in &mut r.profile {
                e.key.span = z;
                e.span = z;
                match &mut e.value {
                    ProfileValue::Str(v) => v.span = z,
                    ProfileValue::Date(v) => v.span = z,
                    ProfileValue::Word(v) => v.span = z,
                }
            }
            if let Some(a) = &mut r.active {
                strip_active(a);
            }
            r.tags.iter_mut().for_each(|t| t.span = z);
            if let Some(e) = &mut r.when {
                strip_expr(e);
            }
            if let Some(p) = &mut r.sample {
                p.span = z;
            }
            r.actions.iter_mut().for_each(strip_action);
        }
        Item::Package(h) | Item::Uses(h) => {
            h.name.span = z;
            h.version.span = z;
            h.span = z;
        }
        Item::Override(o) => {
            o.target.span = z;
            o.reason.span = z;
            o.span = z;
            if let Some(d) = &mut o.until {
                d.span = z;
            }
            match &mut o.change {
                OverrideChange::Disable(s) => *s = z,
                OverrideChange::Adjust { active, actions } => {
                    if let Some(a) = active {
                        strip_active(a);
                    }
                    actions.iter_mut().for_each(strip_action);
                }
            }
        }
        Item::Test(t) => {
            t.name.span = z;
            t.span = z;
            t.given.span = z;
            if let Some(d) = &mut t.today {
                d.span = z;
            }
            for e in &mut t.expects {
                match e {
                    Expect::Lane(i, s) => {
                        i.span = z;
                        *s = z;
                    }
                    Expect::Score(i, s) => {
                        i.span = z;
                        *s = z;
                    }
                    Expect::Fired(i, s)
                    | Expect::NotFired(i, s)
                    | Expect::Undetermined(i, s)
                    | Expect::Monitored(i, s) => {
                        i.span = z;
                        *s = z;
                    }
                    Expect::Note(n, s) => {
                        n.span = z;
                        *s = z;
                    }
                }
            }
        }
    }
}

fn strip_literal(lit: &mut Literal) {
    let z = Span::default();
    match lit {
        Literal::Str(s) => s.span = z,
        Literal::Number { lit, span, .. } => {
            lit.span = z;
            *span = z;
        }
        Literal::Bool(_, s) => *s = z,
        Literal::Date(d) => d.span = z,
    }
}

fn strip_expr(e: &mut Expr) {
    let z = Span::default();
    e.span = z;
    match &mut e.kind {
        ExprKind::Number(n) => n.span = z,
        ExprKind::Str(s) => s.span = z,
        ExprKind::Bool(_) | ExprKind::Today => {}
        ExprKind::Date(d) => d.span = z,
        ExprKind::Name(i) => i.span = z,
        ExprKind::Field(base, i) => {
            i.span = z;
            strip_expr(base);
        }
        ExprKind::List(items) => items.iter_mut().for_each(strip_expr),
        ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => strip_expr(inner),
        ExprKind::Binary(_, a, b) | ExprKind::StartsWith(a, b) | ExprKind::Contains(a, b) => {
            strip_expr(a);
            strip_expr(b);
        }
        ExprKind::In { value, list, .. } => {
            strip_expr(value);
            strip_expr(list);
        }
        ExprKind::Is { value, .. } => strip_expr(value),
        ExprKind::Quant {
            var, list, body, ..
        } => {
            var.span = z;
            strip_expr(list);
            strip_expr(body);
        }
        ExprKind::Call { func, args } => {
            func.span = z;
            args.iter_mut().for_each(strip_expr);
        }
    }
}
