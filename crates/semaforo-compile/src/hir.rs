//! The checked form of a ruleset: names resolved, types known.
//!
//! The checker (`check`) turns the ASTs of a ruleset's source files into one
//! [`Program`]; lowering (`lower`) turns a `Program` plus the external lists
//! and tables into the flat plan. The interpreter (`interp`) walks this
//! form directly, as the test oracle and as `explain`, so it is the
//! meaning of a ruleset that it and the plan evaluator must agree on.
//!
//! Every reference is an index: fields by `(RecordId, FieldId)` of the
//! [`Layout`], lists by [`ListId`], tables by [`TableId`], lanes by
//! [`LaneId`], quantifier variables by [`VarId`].

use semaforo_plan::{Date, Decimal, FieldId, Layout, RecordId};
use semaforo_syntax::{Span, Text};

/// Index of a lane in [`Program::lanes`]; a higher index is more severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LaneId(pub u16);

/// Index of a list in [`Program::lists`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListId(pub u32);

/// Index of a table in [`Program::tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u32);

/// A quantifier variable: its nesting depth inside the rule's condition
/// (0 for the outermost quantifier), so evaluators can keep variables in a
/// fixed array indexed by `VarId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

/// A scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `text`
    Text,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `date`
    Date,
}

/// The type of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A scalar.
    Scalar(Scalar),
    /// A list of records of this type (only as a quantifier's source).
    Records(RecordId),
}

/// A constant value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    /// Text, shared with the syntax tree's literal (see
    /// `semaforo_syntax::ast::StrLit`).
    Text(Text),
    /// A number.
    Number(Decimal),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(Date),
}

impl Const {
    /// The constant's type.
    pub fn scalar(&self) -> Scalar {
        match self {
            Const::Text(_) => Scalar::Text,
            Const::Number(_) => Scalar::Number,
            Const::Bool(_) => Scalar::Bool,
            Const::Date(_) => Scalar::Date,
        }
    }
}

/// The whole checked ruleset.
#[derive(Debug)]
pub struct Program {
    /// `ruleset NAME`.
    pub name: String,
    /// `version STRING`.
    pub version: String,
    /// Lane names, least severe (the default) first.
    pub lanes: Vec<String>,
    /// `(lane, minimum score)`, in ascending order of both (checked).
    pub thresholds: Vec<(LaneId, i64)>,
    /// `threshold LANE N for FIELD "VALUE"`: thresholds per group.
    pub threshold_groups: Option<ThresholdGroups>,
    /// The schema and records.
    pub layout: Layout,
    /// Lists, in declaration order.
    pub lists: Vec<ListDef>,
    /// Tables, in declaration order.
    pub tables: Vec<TableDef>,
    /// Rules, in ruleset order (files in the order given).
    pub rules: Vec<RuleDef>,
    /// Tests, in source order.
    pub tests: Vec<TestDef>,
    /// The packages the ruleset is built from (`package` headers), in the
    /// order their first file was given.
    pub packages: Vec<Package>,
    /// The ruleset has its own `ruleset` header (it is not a package
    /// compiled on its own): the packages' tests are then not run.
    pub has_root: bool,
}

/// A package: `package "name" version "v"` at the top of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// Its name (letters, digits, `_`, `.`, `-`), the qualifier of its
    /// rule ids: `sica/VAL-001`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// A rule's `profile` clause: who owns it and where it is in its lifecycle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// `owner "..."`: the unit that owns the rule.
    pub owner: Option<String>,
    /// `level regional | national | office`.
    pub level: Option<Level>,
    /// `status draft | active | suspended | retired` (`active` when absent).
    pub status: Status,
    /// `approved "..."`: who approved it.
    pub approved: Option<String>,
    /// `basis "..."`: the legal basis or reference.
    pub basis: Option<String>,
    /// `review DATE`: the day by which it must be reviewed.
    pub review: Option<Date>,
}

/// The level of the administration a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// A regional profile, the same in every country.
    Regional,
    /// A national rule.
    National,
    /// A rule of one customs office.
    Office,
}

impl Level {
    /// The word as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Regional => "regional",
            Level::National => "national",
            Level::Office => "office",
        }
    }
}

/// Where a rule is in its lifecycle. Only an `active` rule is evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Status {
    /// Being written: never fires.
    Draft,
    /// In force.
    #[default]
    Active,
    /// Taken out of force for a while: never fires.
    Suspended,
    /// Out of force for good, kept for the record: never fires.
    Retired,
}

impl Status {
    /// The word as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Retired => "retired",
        }
    }
}

/// An `override` of a package's rule by the ruleset that uses the package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlay {
    /// `reason "..."`.
    pub reason: String,
    /// `until DATE`: the last day the override applies; always when `None`.
    pub until: Option<Date>,
    /// `None` for `disable`; otherwise what changes.
    pub adjust: Option<Adjustment>,
    /// The `override` item.
    pub span: Span,
}

/// What an `override` that does not disable changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    /// `active ...`: the new window `(from, to)`, replacing the rule's.
    pub window: Option<(Option<Date>, Option<Date>)>,
    /// `then ...`: the new actions, replacing all of the rule's.
    pub actions: Option<Actions>,
}

/// A rule's actions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    /// `score N` or `score EXPR`.
    pub score: Option<Score>,
    /// `lane L` or a lane split.
    pub lane: Option<LaneAction>,
    /// `note "..."`, in order.
    pub notes: Vec<String>,
}

impl Overlay {
    /// True if the override applies on `today` (no `until`, or `today` on
    /// or before it).
    pub fn in_effect(&self, today: Date) -> bool {
        self.until.is_none_or(|u| today <= u)
    }
}

/// Thresholds that differ by group (`threshold red 60 for office "GT01"`):
/// a declaration whose text field `field` is one of the groups' values is
/// decided by that group's thresholds, every other one (the field missing,
/// or another value) by [`Program::thresholds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThresholdGroups {
    /// The top-level text field (one per ruleset).
    pub field: FieldId,
    /// Each group's value and its thresholds: the general thresholds with
    /// the group's own in place of those of the same lanes, by lane, in
    /// ascending order of both (checked).
    pub groups: Vec<(String, Vec<(LaneId, i64)>)>,
}

/// A list declaration.
#[derive(Debug)]
pub struct ListDef {
    /// The list's name.
    pub name: String,
    /// The element type. For an empty inline list this is the type it is
    /// first used with, or `Text` if never used.
    pub elem: Scalar,
    /// `Some` for inline lists, `None` for external ones (supplied at
    /// compile time).
    pub values: Option<Vec<Const>>,
    /// Where it is declared.
    pub span: Span,
}

/// A table declaration; values are supplied at compile time.
#[derive(Debug)]
pub struct TableDef {
    /// The table's name.
    pub name: String,
    /// What each key maps to.
    pub shape: TableShape,
    /// Where it is declared.
    pub span: Span,
}

/// What a table maps each key to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableShape {
    /// `table NAME: TYPE`: one value.
    Value(Scalar),
    /// `table NAME: { COL: TYPE, ... }`: a row of named columns (at least
    /// one, names distinct, none named `key`), in declaration order; a
    /// row's cell may be empty (*missing*).
    Columns(Vec<(String, Scalar)>),
}

impl TableShape {
    /// The columns' types in order; a one-value table has one column.
    pub fn column_types(&self) -> Vec<Scalar> {
        match self {
            TableShape::Value(s) => vec![*s],
            TableShape::Columns(c) => c.iter().map(|(_, s)| *s).collect(),
        }
    }
}

/// A rule's `score` action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Score {
    /// An integer literal, already clamped to
    /// [`POINTS_MIN`]..=[`POINTS_MAX`].
    Points(i64),
    /// A number expression, evaluated when the rule fires: its value
    /// rounded half to even to an integer and clamped; *missing* gives 0.
    Expr(Expr),
}

/// The least points one rule contributes (SPEC §3.9).
pub const POINTS_MIN: i64 = -1_000_000;
/// The most points one rule contributes (SPEC §3.9).
pub const POINTS_MAX: i64 = 1_000_000;

/// A rule's `lane` action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaneAction {
    /// `lane L`.
    Lane(LaneId),
    /// `lane L1 P1%, L2 P2%, ...`: the lanes with their cumulative cut-offs
    /// in millionths, `round((P1 + ... + Pi) × 10_000)`, increasing and at
    /// most 1,000,000. The rule's lane is the first `L_i` whose cut-off is
    /// above the lane draw; none when the draw is at or above the last.
    Split(Vec<(LaneId, u32)>),
}

/// A checked rule.
#[derive(Clone, Debug)]
pub struct RuleDef {
    /// The rule's id.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// Tags.
    pub tags: Vec<String>,
    /// First active day, inclusive.
    pub active_from: Option<Date>,
    /// Last active day, inclusive.
    pub active_to: Option<Date>,
    /// The condition; `None` is *true*.
    pub when: Option<Expr>,
    /// `sample P%` as a cut-off in millionths: `round(P × 10_000)`, 0..=1_000_000.
    pub sample: Option<u32>,
    /// `score N` or `score EXPR`.
    pub score: Option<Score>,
    /// `lane L` or a lane split.
    pub lane: Option<LaneAction>,
    /// `monitor`: a shadow rule, reported in `monitored` and never
    /// deciding anything.
    pub monitor: bool,
    /// `note "..."`, in order.
    pub notes: Vec<String>,
    /// The package the rule belongs to (index into [`Program::packages`]);
    /// its `id` is then qualified: `sica/VAL-001`.
    pub package: Option<u32>,
    /// The `profile` clause.
    pub profile: Profile,
    /// The `override` of this rule, if the ruleset has one.
    pub overlay: Option<Overlay>,
    /// The whole rule.
    pub span: Span,
}

impl RuleDef {
    /// True if the rule's status lets it be evaluated at all (`active`).
    pub fn in_force(&self) -> bool {
        self.profile.status == Status::Active
    }
}

/// A checked test block.
#[derive(Debug)]
pub struct TestDef {
    /// The test's name.
    pub name: String,
    /// `today DATE`.
    pub today: Option<Date>,
    /// The `given` JSON object's source text.
    pub given: String,
    /// Where the `given` object is (to map binding errors back).
    pub given_span: Span,
    /// The expectations.
    pub expects: Vec<TestExpect>,
    /// The package whose file holds the test (index into
    /// [`Program::packages`]): it tests the package as published, so it
    /// runs only when the package is compiled on its own.
    pub package: Option<u32>,
    /// The whole test.
    pub span: Span,
}

/// A checked expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestExpect {
    /// `expect lane L`.
    Lane(LaneId, Span),
    /// `expect score N`.
    Score(i64, Span),
    /// `expect fired ID` (index into `Program::rules`).
    Fired(u32, Span),
    /// `expect not fired ID`.
    NotFired(u32, Span),
    /// `expect undetermined ID`.
    Undetermined(u32, Span),
    /// `expect monitored ID` (a shadow rule).
    Monitored(u32, Span),
    /// `expect note "..."`.
    Note(String, Span),
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Type,
    /// Where it was written (parentheses are not kept in this form).
    pub span: Span,
}

/// Where a field is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base {
    /// The declaration (top-level field by bare name).
    Root,
    /// The element bound to a quantifier variable.
    Var(VarId),
}

/// Arithmetic on numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// Comparisons. The operands' type is `lhs.ty` (both sides are equal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
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
}

/// The right-hand side of `in`, `starts with` and `contains`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// A single text expression (`starts with` / `contains` only).
    Expr(Box<Expr>),
    /// An inline list of constants.
    Inline(Vec<Const>),
    /// A named list.
    List(ListId),
}

/// Quantifiers and aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quant {
    /// `any`: Kleene disjunction over the elements.
    Any,
    /// `all`: Kleene conjunction over the elements.
    All,
    /// `count`: elements whose condition is true.
    Count,
    /// `sum`: skips missing terms; 0 for none.
    Sum,
    /// `min`: skips missing terms; missing for none.
    Min,
    /// `max`: skips missing terms; missing for none.
    Max,
}

/// The expression forms, with every name resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A constant.
    Const(Const),
    /// `today`: the evaluation date.
    Today,
    /// A field of the declaration or of a quantifier's element. `record` is
    /// the record type of the base.
    Field {
        /// Declaration or variable.
        base: Base,
        /// The base's record type.
        record: RecordId,
        /// The field.
        field: FieldId,
    },
    /// `-e` on a number.
    Neg(Box<Expr>),
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// Number arithmetic.
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// `date - date`: whole days, a number.
    DateDiff(Box<Expr>, Box<Expr>),
    /// Comparison of two operands of the same type.
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// `x in L` / `x not in L` (`Pattern::Expr` never occurs here).
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The list.
        list: Pattern,
        /// `not in`.
        negated: bool,
    },
    /// `t starts with P`.
    StartsWith(Box<Expr>, Pattern),
    /// `t contains P` (case-insensitive, per-char `char::to_lowercase`).
    Contains(Box<Expr>, Pattern),
    /// `e is missing` / `e is present`.
    Is {
        /// The tested value.
        value: Box<Expr>,
        /// `is present`.
        present: bool,
    },
    /// A quantifier or aggregate over a record list.
    Quant {
        /// Which one.
        kind: Quant,
        /// The element variable.
        var: VarId,
        /// The elements' record type.
        record: RecordId,
        /// The list (an expression of type `Records(record)`).
        list: Box<Expr>,
        /// Condition (`Any`/`All`/`Count`) or number term (`Sum`/`Min`/`Max`).
        body: Box<Expr>,
    },
    /// `lookup(t, k)` / `lookup_prefix(t, k)`, and `lookup(t, k).col` on a
    /// multi-column table.
    Lookup {
        /// The table.
        table: TableId,
        /// The text key.
        key: Box<Expr>,
        /// Longest-prefix match rather than exact.
        prefix: bool,
        /// The column read (its index in [`TableShape::Columns`]); 0 for a
        /// one-value table. The row is found first, then the column: an
        /// empty cell of the matched row is *missing* (a shorter matching
        /// key is not tried).
        column: u32,
    },
    /// `key(e1, e2, ...)`: the parts joined with `|` (two or more text
    /// parts, none itself a `key(...)`: nested keys are flattened); *missing*
    /// when any part is.
    Key(Vec<Expr>),
    /// `len(t)`: Unicode scalar values.
    Len(Box<Expr>),
}
