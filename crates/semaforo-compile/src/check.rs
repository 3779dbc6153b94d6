//! The semantic checker: the ASTs of a ruleset's files -> [`crate::hir::Program`].
//!
//! [`check`] resolves every name (fields, records, lists, tables, lanes,
//! quantifier variables, rule ids), type-checks every expression against
//! SPEC §3.6, validates literals (exact decimals, real dates, percentages) and
//! lints the ruleset. It never stops at the first problem: it reports every
//! diagnostic of the ruleset, sorted by file, start offset and code, and
//! builds a [`Program`] only when none of them is an error.
//!
//! Cascades are avoided by *poisoning*: an expression whose check failed
//! becomes `None`, and every check that receives a `None` operand stays
//! silent about it, so one unknown name gives one error.
//!
//! The codes (`E01xx` structure, `E02xx` names, `E03xx` types, `E04xx` rules,
//! literals and tests, `W00xx` warnings) are documented with examples in
//! `docs/diagnostics.md`.
//!
//! # Input safety
//!
//! Expressions are checked recursively, one stack frame per AST level; the
//! parser bounds the nesting depth of the trees it builds, so the checker
//! inherits that bound. Every index is taken with `get`, numbers are read by
//! [`semaforo_plan::Decimal::parse`] (range-checked) and percentages from
//! their digit text without floating point.
//!
//! Nothing is dropped or renumbered silently: a ruleset with more than
//! [`MAX_LANES`] lanes is an error (`E0118`), and so is one with more
//! records, fields in a record, lists, tables or rules than `u32` ids
//! address (`E0119`, [`MAX_ITEMS`]).
//!
//! Time is linear in the size of the ruleset (hash maps for every name:
//! fields per record, lanes, lists, tables, rule ids, tags; a hash table
//! for the duplicates of each list). The exception is on error paths
//! only: a "did you mean" suggestion compares the unknown name with every
//! candidate name, so it costs `O(names)` per unknown name.

use std::borrow::Cow;
use std::collections::HashMap;

use semaforo_plan::{Field, FieldId, FieldType, Layout, Record, RecordId};
use semaforo_syntax::ast::{self, Item};
use semaforo_syntax::{Diagnostic, FileId, Span};

use crate::hir::{
    Actions, Const, ExprKind, LaneAction, LaneId, ListDef, Package, Program, RuleDef, Scalar,
    Score, TableDef, TableShape, TestDef, TestExpect, ThresholdGroups, Type,
};

mod expr;
mod fx;
mod lit;
mod packages;

use fx::FxMap;

/// The result of [`check`]: the checked program (if the ruleset has no
/// errors) and every diagnostic, errors and warnings, in a stable order.
#[derive(Debug)]
pub struct Checked {
    /// `Some` iff `diagnostics` holds no error.
    pub program: Option<Program>,
    /// All problems found, sorted by file, start offset and code.
    pub diagnostics: Vec<Diagnostic>,
}

/// The most lanes a ruleset may declare (`E0118` beyond): a lane is a
/// `u16` index in plans and outcomes.
pub const MAX_LANES: usize = u16::MAX as usize;

/// The most records, fields of one record, lists, tables or rules a ruleset
/// may declare (`E0119` beyond): they are addressed by `u32` ids. The
/// largest value is left free, so a count of ids also fits.
pub const MAX_ITEMS: usize = u32::MAX as usize - 1;

/// Checks the files of one ruleset; `files[i]` is the file with `FileId(i)`.
///
/// ```
/// # use semaforo_compile::check::check;
/// let checked = check(&[]);
/// // An empty ruleset has neither a header nor a schema.
/// assert!(checked.program.is_none());
/// assert!(checked.diagnostics.iter().any(|d| d.code == "E0101"));
/// ```
pub fn check(files: &[ast::SourceFile]) -> Checked {
    let mut cx = Checker::default();
    cx.run(files);
    cx.finish()
}

/// The type of a declared field, before the layout is built.
#[derive(Clone, Copy, Debug)]
enum FieldTy {
    Scalar(Scalar),
    /// A record list; `None` when the record name is unknown (reported).
    List(Option<RecordId>),
}

#[derive(Debug)]
struct FieldInfo {
    name: String,
    span: Span,
    ty: FieldTy,
    optional: bool,
}

#[derive(Debug)]
struct RecInfo {
    name: String,
    fields: Vec<FieldInfo>,
}

#[derive(Debug)]
struct LaneInfo {
    name: String,
    /// `None` for the default lanes.
    span: Option<Span>,
}

#[derive(Debug)]
struct ListInfo {
    name: String,
    name_span: Span,
    span: Span,
    /// `None` for an empty inline list not yet used.
    elem: Option<Scalar>,
    values: Option<Vec<Const>>,
    used: bool,
}

#[derive(Debug)]
struct TableInfo {
    name: String,
    name_span: Span,
    span: Span,
    shape: TableShape,
    used: bool,
}

#[derive(Default)]
struct Checker<'a> {
    diags: Vec<Diagnostic>,
    header: Option<(String, String)>,
    /// True when the ruleset has no schema: unknown bare names are then not
    /// reported (they would all be unknown).
    no_schema: bool,
    // INVARIANT (root): after `declare_records`, `records` is non-empty and
    // `records[0]` is the schema (possibly an empty placeholder).
    records: Vec<RecInfo>,
    key: Option<FieldId>,
    /// (record, field name) -> index in `records[record].fields`.
    field_names: FxMap<(RecordId, &'a str), usize>,
    // INVARIANT (lane names): maps the name of every lane in `lanes` to its
    // index there. Lanes at `MAX_LANES` and beyond were reported (E0118)
    // and resolve to no lane, silently.
    lanes: Vec<LaneInfo>,
    lane_names: FxMap<&'a str, usize>,
    /// The kinds of items already reported by E0119.
    too_many: Vec<&'static str>,
    thresholds: Vec<(LaneId, i64)>,
    threshold_groups: Option<ThresholdGroups>,
    lists: Vec<ListInfo>,
    list_names: FxMap<&'a str, usize>,
    tables: Vec<TableInfo>,
    table_names: FxMap<&'a str, usize>,
    /// Rule id (qualified by its package) -> (index in `rules`, span of
    /// the id) of its first definition.
    rule_ids: FxMap<Cow<'a, str>, (u32, Span)>,
    /// The packages given, in the order of their first file.
    packages: Vec<Package>,
    /// Where each package was first declared.
    package_spans: Vec<Span>,
    /// The package of each file that is part of one, and its header.
    file_package: FxMap<FileId, (u32, Span)>,
    /// Some file has a `ruleset` header.
    has_root: bool,
    rules: Vec<RuleDef>,
    tests: Vec<TestDef>,
    /// Reused buffers, so that checking a rule allocates only what the HIR
    /// keeps.
    scratch: Scratch<'a>,
}

/// Buffers reused from rule to rule; always empty between uses.
#[derive(Default)]
struct Scratch<'a> {
    /// The quantifier variables in scope.
    scope: Vec<expr::ScopeVar<'a>>,
    /// The duplicate check of a list's entries.
    dedup: fx::Dedup,
    /// The right operands (and node spans) of the `and`/`or` chains being
    /// checked, innermost chain on top (see `Checker::chain`).
    chains: Vec<(&'a ast::Expr, Span)>,
}

/// The items of all files, grouped by kind, in source order.
#[derive(Default)]
struct Items<'a> {
    headers: Vec<&'a ast::RulesetHeader>,
    lanes: Vec<&'a ast::Lanes>,
    thresholds: Vec<&'a ast::Threshold>,
    schemas: Vec<&'a ast::RecordDecl>,
    records: Vec<&'a ast::RecordDecl>,
    lists: Vec<&'a ast::ListDecl>,
    tables: Vec<&'a ast::TableDecl>,
    rules: Vec<&'a ast::Rule>,
    tests: Vec<&'a ast::Test>,
    packages: Vec<&'a ast::RulesetHeader>,
    uses: Vec<&'a ast::RulesetHeader>,
    overrides: Vec<&'a ast::Override>,
}

/// Maps an AST scalar type to the checked one.
fn scalar_of(s: ast::ScalarType) -> Scalar {
    match s {
        ast::ScalarType::Text => Scalar::Text,
        ast::ScalarType::Number => Scalar::Number,
        ast::ScalarType::Bool => Scalar::Bool,
        ast::ScalarType::Date => Scalar::Date,
    }
}

/// The name of a scalar type as written in the language.
fn scalar_name(s: Scalar) -> &'static str {
    match s {
        Scalar::Text => "text",
        Scalar::Number => "number",
        Scalar::Bool => "bool",
        Scalar::Date => "date",
    }
}

impl<'a> Checker<'a> {
    fn run(&mut self, files: &'a [ast::SourceFile]) {
        let mut items = Items::default();
        for file in files {
            for item in &file.items {
                match item {
                    Item::Ruleset(h) => items.headers.push(h),
                    Item::Lanes(l) => items.lanes.push(l),
                    Item::Threshold(t) => items.thresholds.push(t),
                    Item::Schema(s) => items.schemas.push(s),
                    Item::Record(r) => items.records.push(r),
                    Item::List(l) => items.lists.push(l),
                    Item::Table(t) => items.tables.push(t),
                    Item::Rule(r) => items.rules.push(r),
                    Item::Test(t) => items.tests.push(t),
                    Item::Package(h) => items.packages.push(h),
                    Item::Uses(h) => items.uses.push(h),
                    Item::Override(o) => items.overrides.push(o),
                }
            }
        }
        self.has_root = !items.headers.is_empty();
        self.check_packages(&items.packages, &items.uses, &items.headers);
        self.check_header(&items.headers);
        self.declare_lanes(&items.lanes);
        self.declare_records(&items.schemas, &items.records);
        self.declare_lists(&items.lists);
        self.declare_tables(&items.tables);
        self.check_thresholds(&items.thresholds);
        self.rules.reserve_exact(items.rules.len());
        self.rule_ids.reserve(items.rules.len());
        for rule in &items.rules {
            self.check_rule(rule);
        }
        self.check_overrides(&items.overrides);
        let mut test_names: HashMap<&str, Span> = HashMap::new();
        for test in &items.tests {
            if let Some(first) = test_names.get(&*test.name.value) {
                self.diags.push(
                    Diagnostic::error(
                        "E0412",
                        test.name.span,
                        format!("duplicate test name `{}`", test.name.value),
                    )
                    .with_label(*first, "first defined here")
                    .with_help("give every test a distinct name"),
                );
            } else {
                test_names.insert(&test.name.value, test.name.span);
            }
            self.check_test(test);
        }
        self.warn_unused();
    }

    fn finish(mut self) -> Checked {
        self.diags.sort_by(|a, b| {
            (a.span.file, a.span.start, a.code).cmp(&(b.span.file, b.span.start, b.code))
        });
        let program = if self.diags.iter().any(Diagnostic::is_error) {
            None
        } else {
            self.build_program()
        };
        Checked {
            program,
            diagnostics: self.diags,
        }
    }

    /// Assembles the program; only called when there is no error.
    fn build_program(&mut self) -> Option<Program> {
        let records: Vec<Record> = self
            .records
            .iter()
            .map(|r| Record {
                name: r.name.as_str().into(),
                fields: r
                    .fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.as_str().into(),
                        ty: match f.ty {
                            FieldTy::Scalar(Scalar::Text) => FieldType::Text,
                            FieldTy::Scalar(Scalar::Number) => FieldType::Number,
                            FieldTy::Scalar(Scalar::Bool) => FieldType::Bool,
                            FieldTy::Scalar(Scalar::Date) => FieldType::Date,
                            // Unknown records were reported as errors, so
                            // this arm is never taken with `None` here.
                            FieldTy::List(r) => FieldType::List(r.unwrap_or(RecordId(0))),
                        },
                        optional: f.optional,
                    })
                    .collect(),
            })
            .collect();
        let layout = match Layout::new(records, self.key.unwrap_or(FieldId(0))) {
            Ok(layout) => layout,
            Err(e) => {
                // The checks above make this unreachable; report it rather
                // than panic.
                let span = Span::new(FileId(0), 0, 0);
                self.diags.push(Diagnostic::error(
                    "E0110",
                    span,
                    format!("invalid schema: {e}"),
                ));
                return None;
            }
        };
        let (name, version) = self.header.take().unwrap_or_default();
        Some(Program {
            name,
            version,
            lanes: self.lanes.iter().map(|l| l.name.clone()).collect(),
            thresholds: std::mem::take(&mut self.thresholds),
            threshold_groups: self.threshold_groups.take(),
            layout,
            lists: self
                .lists
                .drain(..)
                .map(|l| ListDef {
                    name: l.name,
                    elem: l.elem.unwrap_or(Scalar::Text),
                    values: l.values,
                    span: l.span,
                })
                .collect(),
            tables: self
                .tables
                .drain(..)
                .map(|t| TableDef {
                    name: t.name,
                    shape: t.shape,
                    span: t.span,
                })
                .collect(),
            rules: std::mem::take(&mut self.rules),
            tests: std::mem::take(&mut self.tests),
            packages: std::mem::take(&mut self.packages),
            has_root: self.has_root,
        })
    }

    // ----- structure -------------------------------------------------------

    fn check_header(&mut self, headers: &[&ast::RulesetHeader]) {
        match headers.split_first() {
            // A package compiled on its own is the ruleset.
            None if self.packages.len() == 1 => {
                self.header = self
                    .packages
                    .first()
                    .map(|p| (p.name.clone(), p.version.clone()));
            }
            None => self.diags.push(
                Diagnostic::error(
                    "E0101",
                    Span::new(FileId(0), 0, 0),
                    "the ruleset has no `ruleset` header",
                )
                .with_help("start the first file with `ruleset \"name\" version \"1\"`"),
            ),
            Some((first, rest)) => {
                self.header = Some((
                    first.name.value.to_string(),
                    first.version.value.to_string(),
                ));
                for dup in rest {
                    self.diags.push(
                        Diagnostic::error("E0102", dup.span, "duplicate `ruleset` header")
                            .with_label(first.span, "first header here")
                            .with_help("a ruleset has exactly one header; remove this one"),
                    );
                }
            }
        }
    }

    fn reserved(&mut self, id: &ast::Ident, what: &str) {
        if ast::is_reserved(&id.name) {
            self.diags.push(
                Diagnostic::error(
                    "E0201",
                    id.span,
                    format!("`{}` is a reserved word and cannot name a {what}", id.name),
                )
                .with_help(format!("choose another name, e.g. `{}_`", id.name)),
            );
        }
    }

    fn declare_lanes(&mut self, decls: &[&'a ast::Lanes]) {
        match decls.split_first() {
            None => {
                for name in ["green", "yellow", "red"] {
                    self.lane_names.insert(name, self.lanes.len());
                    self.lanes.push(LaneInfo {
                        name: name.to_string(),
                        span: None,
                    });
                }
            }
            Some((first, rest)) => {
                self.lanes.reserve(first.lanes.len());
                self.lane_names.reserve(first.lanes.len());
                for lane in &first.lanes {
                    self.reserved(lane, "lane");
                    if let Some(prev) = self.lane_names.get(lane.name.as_str()) {
                        let prev_span = self
                            .lanes
                            .get(*prev)
                            .and_then(|l| l.span)
                            .unwrap_or(lane.span);
                        self.diags.push(
                            Diagnostic::error(
                                "E0106",
                                lane.span,
                                format!("duplicate lane `{}`", lane.name),
                            )
                            .with_label(prev_span, "first listed here"),
                        );
                        continue;
                    }
                    if self.lanes.len() == MAX_LANES {
                        self.diags.push(
                            Diagnostic::error(
                                "E0118",
                                lane.span,
                                format!("more than {MAX_LANES} lanes"),
                            )
                            .with_help(format!(
                                "a ruleset declares at most {MAX_LANES} lanes; this one declares {}",
                                first.lanes.len()
                            )),
                        );
                    }
                    self.lane_names.insert(&lane.name, self.lanes.len());
                    self.lanes.push(LaneInfo {
                        name: lane.name.to_string(),
                        span: Some(lane.span),
                    });
                }
                for dup in rest {
                    self.diags.push(
                        Diagnostic::error("E0105", dup.span, "duplicate `lanes` declaration")
                            .with_label(first.span, "lanes first declared here")
                            .with_help("declare all lanes in one `lanes` item"),
                    );
                }
            }
        }
    }

    /// Finds a lane by name, reporting E0204 (with a suggestion) if unknown.
    /// A lane beyond [`MAX_LANES`] (reported by E0118) is no lane, silently.
    fn lane(&mut self, id: &ast::Ident) -> Option<LaneId> {
        if let Some(&i) = self.lane_names.get(id.name.as_str()) {
            return (i < MAX_LANES)
                .then(|| u16::try_from(i).ok().map(LaneId))
                .flatten();
        }
        let mut d = Diagnostic::error("E0204", id.span, format!("unknown lane `{}`", id.name));
        if let Some(s) = lit::suggest(&id.name, self.lanes.iter().map(|l| l.name.as_str())) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else {
            // At most a few names, so the help stays short whatever the
            // number of lanes.
            const SHOWN: usize = 8;
            let mut all: Vec<String> = self
                .lanes
                .iter()
                .take(SHOWN)
                .map(|l| format!("`{}`", l.name))
                .collect();
            if self.lanes.len() > SHOWN {
                all.push(format!("and {} more", self.lanes.len() - SHOWN));
            }
            d = d.with_help(format!("the lanes are {}", all.join(", ")));
        }
        self.diags.push(d);
        None
    }

    fn declare_records(
        &mut self,
        schemas: &[&'a ast::RecordDecl],
        records: &[&'a ast::RecordDecl],
    ) {
        let mut decls: Vec<Option<&'a ast::RecordDecl>> = Vec::new();
        let mut names: HashMap<String, (RecordId, Span)> = HashMap::new();
        match schemas.split_first() {
            None => {
                self.no_schema = true;
                self.diags.push(
                    Diagnostic::error(
                        "E0103",
                        Span::new(FileId(0), 0, 0),
                        "the ruleset has no `schema`",
                    )
                    .with_help("declare the declaration's fields: `schema declaration { key id: text ... }`"),
                );
                self.records.push(RecInfo {
                    name: "declaration".to_string(),
                    fields: Vec::new(),
                });
                decls.push(None);
            }
            Some((first, rest)) => {
                self.reserved(&first.name, "record");
                names.insert(first.name.name.to_string(), (RecordId(0), first.name.span));
                self.records.push(RecInfo {
                    name: first.name.name.to_string(),
                    fields: Vec::new(),
                });
                decls.push(Some(first));
                for dup in rest {
                    self.diags.push(
                        Diagnostic::error("E0104", dup.span, "duplicate `schema`")
                            .with_label(first.span, "schema first declared here")
                            .with_help(
                                "a ruleset has exactly one schema; use `record` for nested types",
                            ),
                    );
                }
            }
        }
        for r in records {
            self.reserved(&r.name, "record");
            if let Some((_, first)) = names.get(r.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "E0111",
                        r.name.span,
                        format!("duplicate record `{}`", r.name.name),
                    )
                    .with_label(*first, "first declared here"),
                );
                continue;
            }
            let Some(id) = self.id32(self.records.len(), "records", r.name.span) else {
                continue;
            };
            let id = RecordId(id);
            names.insert(r.name.name.to_string(), (id, r.name.span));
            self.records.push(RecInfo {
                name: r.name.name.to_string(),
                fields: Vec::new(),
            });
            decls.push(Some(r));
        }
        let mut key_span: Option<Span> = None;
        for (index, decl) in decls.iter().enumerate() {
            let Some(decl) = decl else { continue };
            let is_root = index == 0;
            // `decls` and `records` are pushed together, and the number of
            // records was checked above.
            let record = RecordId(u32::try_from(index).unwrap_or(u32::MAX));
            let mut fields: Vec<FieldInfo> = Vec::with_capacity(decl.fields.len());
            self.field_names.reserve(decl.fields.len());
            for f in &decl.fields {
                self.reserved(&f.name, "field");
                let Some(field_id) = self.id32(fields.len(), "fields in one record", f.name.span)
                else {
                    break;
                };
                if let Some(first) = self
                    .field_names
                    .get(&(record, f.name.name.as_str()))
                    .and_then(|&i| fields.get(i))
                {
                    self.diags.push(
                        Diagnostic::error(
                            "E0112",
                            f.name.span,
                            format!(
                                "duplicate field `{}` in record `{}`",
                                f.name.name, decl.name.name
                            ),
                        )
                        .with_label(first.span, "first declared here"),
                    );
                    continue;
                }
                let ty = match &f.ty {
                    ast::TypeExpr::Scalar(s, _) => FieldTy::Scalar(scalar_of(*s)),
                    ast::TypeExpr::List(r, _) => match names.get(r.name.as_str()) {
                        Some((id, _)) => FieldTy::List(Some(*id)),
                        None => {
                            let mut d = Diagnostic::error(
                                "E0113",
                                r.span,
                                format!("unknown record `{}`", r.name),
                            );
                            if let Some(s) = lit::suggest(&r.name, names.keys().map(String::as_str))
                            {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            } else {
                                d = d.with_help(format!(
                                    "declare it: `record {} {{ ... }}`",
                                    r.name
                                ));
                            }
                            self.diags.push(d);
                            FieldTy::List(None)
                        }
                    },
                };
                if f.key {
                    if !is_root {
                        self.diags.push(
                            Diagnostic::error(
                                "E0109",
                                f.span,
                                format!(
                                    "`key` field `{}` in record `{}`",
                                    f.name.name, decl.name.name
                                ),
                            )
                            .with_help(
                                "only a top-level field of the schema can be the key; remove `key`",
                            ),
                        );
                    } else if let Some(first) = key_span {
                        self.diags.push(
                            Diagnostic::error(
                                "E0108",
                                f.span,
                                "the schema has more than one `key` field",
                            )
                            .with_label(first, "first key field here")
                            .with_help("mark exactly one field as `key`"),
                        );
                    } else {
                        key_span = Some(f.span);
                        self.key = Some(FieldId(field_id));
                        if !matches!(ty, FieldTy::Scalar(Scalar::Text)) || f.optional {
                            self.diags.push(
                                Diagnostic::error(
                                    "E0110",
                                    f.span,
                                    format!(
                                        "the key field `{}` must be a required `text` field",
                                        f.name.name
                                    ),
                                )
                                .with_help(format!("declare it as `key {}: text`", f.name.name)),
                            );
                        }
                    }
                }
                self.field_names
                    .insert((record, f.name.name.as_str()), fields.len());
                fields.push(FieldInfo {
                    name: f.name.name.to_string(),
                    span: f.name.span,
                    ty,
                    optional: f.optional,
                });
            }
            if is_root && key_span.is_none() {
                self.diags.push(
                    Diagnostic::error("E0107", decl.name.span, "the schema has no `key` field")
                        .with_help("mark the declaration's identity field: `key id: text`"),
                );
            }
            if let Some(slot) = self.records.get_mut(index) {
                slot.fields = fields;
            }
        }
    }

    /// Reports a list or table name that is already taken: `Some(true)` if
    /// by another list or table (the new one is dropped), `Some(false)` if by
    /// a top-level field (it is kept but can never be named), `None` if free.
    fn name_taken(&mut self, name: &ast::Ident) -> Option<bool> {
        let first = self
            .list_names
            .get(name.name.as_str())
            .and_then(|&i| self.lists.get(i))
            .map(|l| l.name_span)
            .or_else(|| {
                self.table_names
                    .get(name.name.as_str())
                    .and_then(|&i| self.tables.get(i))
                    .map(|t| t.name_span)
            });
        if let Some(first) = first {
            self.diags.push(
                Diagnostic::error(
                    "E0114",
                    name.span,
                    format!("`{}` is already declared as a list or table", name.name),
                )
                .with_label(first, "first declared here"),
            );
            return Some(true);
        }
        let field = self
            .field_names
            .get(&(RecordId(0), name.name.as_str()))
            .and_then(|&i| self.records.first()?.fields.get(i))
            .map(|f| f.span);
        if let Some(field) = field {
            self.diags.push(
                Diagnostic::error(
                    "E0115",
                    name.span,
                    format!("`{}` has the same name as a schema field", name.name),
                )
                .with_label(field, "the field is declared here")
                .with_help("fields are read by bare name, so the name would be ambiguous; rename the list or table"),
            );
            return Some(false);
        }
        None
    }

    fn declare_lists(&mut self, lists: &[&'a ast::ListDecl]) {
        for l in lists {
            self.reserved(&l.name, "list");
            let (elem, values) = match &l.body {
                ast::ListBody::Inline(lits, _) => {
                    let (elem, values) = self.list_literals(lits);
                    (elem, Some(values))
                }
                ast::ListBody::External(s, _) => (Some(scalar_of(*s)), None),
            };
            let taken = self.name_taken(&l.name);
            if taken == Some(true) || self.id32(self.lists.len(), "lists", l.name.span).is_none() {
                continue;
            }
            self.list_names.insert(&l.name.name, self.lists.len());
            self.lists.push(ListInfo {
                name: l.name.name.to_string(),
                name_span: l.name.span,
                span: l.span,
                elem,
                values,
                // A list named like a field or by a reserved word cannot be
                // referenced; E0115 or E0201 says so, and W0002 would only
                // repeat it.
                used: taken.is_some() || ast::is_reserved(&l.name.name),
            });
        }
    }

    /// Checks the literals of a list declaration: one type (E0403 at the
    /// first odd one), duplicates (W0004).
    fn list_literals(&mut self, lits: &[ast::Literal]) -> (Option<Scalar>, Vec<Const>) {
        let mut elem: Option<(Scalar, Span)> = None;
        let mut mixed_reported = false;
        let mut values = Vec::with_capacity(lits.len());
        let mut dedup = std::mem::take(&mut self.scratch.dedup);
        dedup.start(lits.len());
        for literal in lits {
            let Some(c) = self.literal(literal) else {
                continue;
            };
            let span = literal.span();
            match elem {
                None => elem = Some((c.scalar(), span)),
                Some((ty, first)) if ty != c.scalar() => {
                    if !mixed_reported {
                        mixed_reported = true;
                        self.diags.push(
                            Diagnostic::error(
                                "E0403",
                                span,
                                format!(
                                    "a list holds values of one type: expected {}, found {}",
                                    scalar_name(ty),
                                    scalar_name(c.scalar())
                                ),
                            )
                            .with_label(
                                first,
                                format!("the list is {} because of this", scalar_name(ty)),
                            ),
                        );
                    }
                    continue;
                }
                Some(_) => {}
            }
            if !self.dedup_entry(&mut dedup, &values, &c, span) {
                values.push(c);
            }
        }
        self.dedup_finish(&dedup);
        self.scratch.dedup = dedup;
        (elem.map(|(t, _)| t), values)
    }

    /// The duplicate check of entry `c` of a list, written at `span`: true
    /// if it repeats an earlier entry. The first repeat of an entry gets
    /// the one W0004 of that entry; later repeats are only counted (see
    /// [`Checker::dedup_finish`]), so a list with a value repeated a million
    /// times gives one warning, not a million.
    fn dedup_entry(
        &mut self,
        dedup: &mut fx::Dedup,
        values: &[Const],
        c: &Const,
        span: Span,
    ) -> bool {
        let Some(repeat) = dedup.first(values, c, span) else {
            return false;
        };
        if repeat.times == 1 {
            dedup.warned(repeat.entry, self.diags.len());
            self.diags.push(
                Diagnostic::warning("W0004", span, "duplicate entry in a list")
                    .with_label(repeat.first, "first listed here")
                    .with_help("remove the repeated entry"),
            );
        }
        true
    }

    /// Says in each W0004 of the list just checked how many times its
    /// entry was repeated, when more than once.
    fn dedup_finish(&mut self, dedup: &fx::Dedup) {
        for (diag, times) in dedup.warnings() {
            if times > 1
                && let Some(d) = self.diags.get_mut(diag)
            {
                d.help = Some(format!(
                    "the entry is repeated {times} times in this list; remove the repeats"
                ));
            }
        }
    }

    /// A literal of a list declaration as a constant; `None` if invalid
    /// (reported).
    fn literal(&mut self, literal: &ast::Literal) -> Option<Const> {
        match literal {
            ast::Literal::Str(s) => Some(Const::Text(s.value.clone())),
            ast::Literal::Bool(b, _) => Some(Const::Bool(*b)),
            ast::Literal::Date(d) => self.date(d).map(Const::Date),
            ast::Literal::Number {
                negative,
                lit,
                span,
            } => self.number(lit, *negative, *span).map(Const::Number),
        }
    }

    fn declare_tables(&mut self, tables: &[&'a ast::TableDecl]) {
        for t in tables {
            self.reserved(&t.name, "table");
            let taken = self.name_taken(&t.name);
            if taken == Some(true)
                || self
                    .id32(self.tables.len(), "tables", t.name.span)
                    .is_none()
            {
                continue;
            }
            let shape = match &t.body {
                ast::TableBody::Value(ty, _) => TableShape::Value(scalar_of(*ty)),
                ast::TableBody::Columns(cols, span) => self.table_columns(&t.name, cols, *span),
            };
            self.table_names.insert(&t.name.name, self.tables.len());
            self.tables.push(TableInfo {
                name: t.name.name.to_string(),
                name_span: t.name.span,
                span: t.span,
                shape,
                used: taken.is_some() || ast::is_reserved(&t.name.name),
            });
        }
    }

    /// The columns of a multi-column table: at least one, names distinct,
    /// none named `key` (the key column of its data file).
    fn table_columns(
        &mut self,
        table: &ast::Ident,
        cols: &[ast::TableColumn],
        span: Span,
    ) -> TableShape {
        if cols.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "E0122",
                    span,
                    format!("table `{}` has no columns", table.name),
                )
                .with_help("declare its columns, e.g. `{ min: number, max: number }`, or one value: `table name: number`"),
            );
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut out = Vec::with_capacity(cols.len());
        for c in cols {
            if c.name.name == "key" {
                self.diags.push(
                    Diagnostic::error(
                        "E0121",
                        c.name.span,
                        format!("table `{}` has a column named `key`", table.name),
                    )
                    .with_help("`key` is the data file's key column; name this column otherwise"),
                );
                continue;
            }
            if let Some(first) = seen.get(c.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "E0120",
                        c.name.span,
                        format!(
                            "table `{}` has two columns named `{}`",
                            table.name, c.name.name
                        ),
                    )
                    .with_label(*first, "first column here")
                    .with_help("give each column its own name"),
                );
                continue;
            }
            seen.insert(&c.name.name, c.name.span);
            out.push((c.name.name.to_string(), scalar_of(c.ty)));
        }
        TableShape::Columns(out)
    }

    /// The general thresholds, then the thresholds of each group
    /// (`for FIELD "VALUE"`): one field for all groups, a top-level text
    /// field; in each group, the general thresholds with the group's in
    /// place of those of the same lanes must increase with severity.
    fn check_thresholds(&mut self, thresholds: &[&ast::Threshold]) {
        let (grouped, general): (Vec<&ast::Threshold>, Vec<&ast::Threshold>) =
            thresholds.iter().partition(|t| t.group.is_some());
        let general_spans = self.check_threshold_set(&general, &[]);
        self.thresholds = general_spans.iter().map(|&(l, n, _)| (l, n)).collect();
        let Some(field) = self.threshold_field(&grouped) else {
            return;
        };
        // Groups in the order their first threshold appears.
        let mut order: Vec<&str> = Vec::new();
        for t in &grouped {
            if let Some(g) = &t.group
                && !order.contains(&&*g.value.value)
            {
                order.push(&g.value.value);
            }
        }
        let mut groups = Vec::with_capacity(order.len());
        for value in order {
            let mine: Vec<&ast::Threshold> = grouped
                .iter()
                .copied()
                .filter(|t| t.group.as_ref().is_some_and(|g| &*g.value.value == value))
                .collect();
            let merged = self.check_threshold_set(&mine, &general_spans);
            groups.push((
                value.to_string(),
                merged.into_iter().map(|(l, n, _)| (l, n)).collect(),
            ));
        }
        self.threshold_groups = Some(ThresholdGroups { field, groups });
    }

    /// The one field the grouped thresholds name: a top-level text field
    /// (E0202 unknown, E0301 another type, E0123 a second field).
    fn threshold_field(&mut self, grouped: &[&ast::Threshold]) -> Option<FieldId> {
        let mut field: Option<(FieldId, &str, Span)> = None;
        let mut ok = true;
        for t in grouped {
            let Some(g) = &t.group else { continue };
            if let Some((_, name, first)) = field {
                if name != &*g.field.name {
                    self.diags.push(
                        Diagnostic::error(
                            "E0123",
                            g.field.span,
                            format!(
                                "thresholds are grouped by `{name}` and by `{}`",
                                g.field.name
                            ),
                        )
                        .with_label(first, "first grouped here")
                        .with_help("group every threshold of a ruleset by one field"),
                    );
                    ok = false;
                }
                continue;
            }
            let Some(&i) = self.field_names.get(&(RecordId(0), g.field.name.as_str())) else {
                let names = self.root_field_names();
                self.unknown_name(&g.field, names.iter().map(String::as_str), "field");
                return None;
            };
            let ty = self
                .records
                .first()
                .and_then(|r| r.fields.get(i))
                .map(|f| &f.ty);
            if !matches!(ty, Some(FieldTy::Scalar(Scalar::Text))) {
                self.diags.push(
                    Diagnostic::error(
                        "E0301",
                        g.field.span,
                        format!(
                            "thresholds are grouped by a text field; `{}` is not one",
                            g.field.name
                        ),
                    )
                    .with_help("group by a top-level text field such as `office` or `regime`"),
                );
                return None;
            }
            field = Some((FieldId(u32::try_from(i).ok()?), &g.field.name, g.field.span));
        }
        if ok { field.map(|(f, _, _)| f) } else { None }
    }

    /// Checks one set of thresholds (E0116 a lane twice, W0005 the default
    /// lane) over `base` (lanes the set does not name keep their threshold
    /// from `base`), and that the result increases with lane severity
    /// (E0117); returns it by lane.
    fn check_threshold_set(
        &mut self,
        thresholds: &[&ast::Threshold],
        base: &[(LaneId, i64, Span)],
    ) -> Vec<(LaneId, i64, Span)> {
        let mut seen: HashMap<LaneId, Span> = HashMap::new();
        let mut valid: Vec<(LaneId, i64, Span)> = Vec::new();
        for t in thresholds {
            let Some(lane) = self.lane(&t.lane) else {
                continue;
            };
            if let Some(first) = seen.get(&lane) {
                self.diags.push(
                    Diagnostic::error(
                        "E0116",
                        t.span,
                        format!("lane `{}` already has a threshold", t.lane.name),
                    )
                    .with_label(*first, "first threshold here")
                    .with_help("keep one threshold per lane"),
                );
                continue;
            }
            seen.insert(lane, t.span);
            if lane.0 == 0 {
                self.diags.push(
                    Diagnostic::warning(
                        "W0005",
                        t.span,
                        format!(
                            "threshold on the default lane `{}` has no effect",
                            t.lane.name
                        ),
                    )
                    .with_help(
                        "every declaration is at least in the default lane; remove this threshold",
                    ),
                );
                continue;
            }
            valid.push((lane, t.score.value, t.span));
        }
        for &(lane, score, span) in base {
            if !seen.contains_key(&lane) {
                valid.push((lane, score, span));
            }
        }
        valid.sort_by_key(|v| v.0);
        let mut last: Option<(i64, Span)> = None;
        let mut out = Vec::with_capacity(valid.len());
        for (lane, score, span) in valid {
            if let Some((prev, prev_span)) = last
                && score <= prev
            {
                let name = self
                    .lanes
                    .get(usize::from(lane.0))
                    .map_or("", |l| l.name.as_str());
                self.diags.push(
                        Diagnostic::error(
                            "E0117",
                            span,
                            format!(
                                "threshold {score} for lane `{name}` is not above the threshold of a less severe lane"
                            ),
                        )
                        .with_label(prev_span, format!("a less severe lane starts at {prev}"))
                        .with_help("thresholds must strictly increase with lane severity"),
                    );
                continue;
            }
            last = Some((score, span));
            out.push((lane, score, span));
        }
        out
    }

    // ----- rules and tests --------------------------------------------------

    fn check_rule(&mut self, rule: &'a ast::Rule) {
        let Some(index) = self.id32(self.rules.len(), "rules", rule.id.span) else {
            return;
        };
        let id = self.qualified(rule.span.file, &rule.id.name);
        if let Some((_, first)) = self.rule_ids.get(id.as_ref()) {
            self.diags.push(
                Diagnostic::error("E0404", rule.id.span, format!("duplicate rule id `{id}`"))
                    .with_label(*first, "first defined here")
                    .with_help(
                        "rule ids must be unique in the ruleset (in a package, in the package)",
                    ),
            );
        } else {
            self.rule_ids.insert(id.clone(), (index, rule.id.span));
        }
        let package = self.package_of(rule.span.file);
        let profile = self.profile(&rule.profile);

        let (active_from, active_to) = match &rule.active {
            Some(active) => self.window(active),
            None => (None, None),
        };

        let mut tags: Vec<String> = Vec::new();
        let mut tag_spans: FxMap<&str, Span> = FxMap::default();
        for tag in &rule.tags {
            if let Some(first) = tag_spans.get(tag.name.as_str()) {
                self.diags.push(
                    Diagnostic::warning("W0006", tag.span, format!("duplicate tag `{}`", tag.name))
                        .with_label(*first, "first listed here"),
                );
            } else {
                tag_spans.insert(&tag.name, tag.span);
                tags.push(tag.name.to_string());
            }
        }

        let mut when = None;
        if let Some(w) = &rule.when {
            let mut scope = std::mem::take(&mut self.scratch.scope);
            scope.clear();
            let checked = self.expr(w, &mut scope);
            self.scratch.scope = scope;
            if let Some(e) = checked {
                if e.ty != Type::Scalar(Scalar::Bool) {
                    let found = self.type_name(e.ty);
                    self.diags.push(
                        Diagnostic::error(
                            "E0310",
                            w.span,
                            format!("the condition of a rule must be bool, found {found}"),
                        )
                        .with_help("compare the value, e.g. `x > 0` or `x == \"A\"`"),
                    );
                } else {
                    if lit::const_bool(&e) == Some(false) {
                        self.diags.push(
                            Diagnostic::warning(
                                "W0003",
                                w.span,
                                format!("the condition of rule `{}` is always false", rule.id.name),
                            )
                            .with_help("the rule can never fire; fix or remove the condition"),
                        );
                    }
                    when = Some(e);
                }
            }
        }

        let sample = rule
            .sample
            .as_ref()
            .and_then(|p| self.percent(p, "a sampling rate"));

        let actions = self.actions(&rule.actions);
        if rule.actions.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "E0410",
                    rule.id.span,
                    format!("rule `{}` has no action", rule.id.name),
                )
                .with_help("add `then score N`, `then lane L` or `then note \"...\"`"),
            );
        }

        self.rules.push(RuleDef {
            id: id.into_owned(),
            title: rule.title.value.to_string(),
            tags,
            active_from,
            active_to,
            when,
            sample,
            score: actions.score,
            lane: actions.lane,
            monitor: rule.monitor.is_some(),
            notes: actions.notes,
            package,
            profile,
            overlay: None,
            span: rule.span,
        });
    }

    /// The actions of a `then` clause (of a rule or an override): at most
    /// one `score` (E0408) and one `lane` (E0409).
    fn actions(&mut self, list: &'a [ast::Action]) -> Actions {
        let mut score: Option<(Option<Score>, Span)> = None;
        let mut lane: Option<(Option<LaneAction>, Span)> = None;
        let mut notes = Vec::new();
        for action in list {
            match action {
                ast::Action::Score(e, span) => {
                    if let Some((_, first)) = score {
                        self.diags.push(
                            Diagnostic::error(
                                "E0408",
                                *span,
                                "a rule has at most one `score` action",
                            )
                            .with_label(first, "first score here")
                            .with_help("combine the scores into one"),
                        );
                        continue;
                    }
                    score = Some((self.score(e), *span));
                }
                ast::Action::Lane(_, span) | ast::Action::LaneSplit(_, span) => {
                    if let Some((_, first)) = lane {
                        self.diags.push(
                            Diagnostic::error(
                                "E0409",
                                *span,
                                "a rule has at most one `lane` action",
                            )
                            .with_label(first, "first lane here")
                            .with_help("keep the most severe lane"),
                        );
                        continue;
                    }
                    let checked = match action {
                        ast::Action::Lane(id, _) => self.lane(id).map(LaneAction::Lane),
                        ast::Action::LaneSplit(shares, _) => self.lane_split(shares),
                        _ => None,
                    };
                    lane = Some((checked, *span));
                }
                ast::Action::Note(s, _) => notes.push(s.value.to_string()),
            }
        }
        Actions {
            score: score.and_then(|(n, _)| n),
            lane: lane.and_then(|(l, _)| l),
            notes,
        }
    }

    /// A `score` action: an integer literal (possibly negated) is folded
    /// to its clamped points, with W0007 when clamping changes it; any
    /// other expression must be a number (E0312).
    fn score(&mut self, e: &'a ast::Expr) -> Option<Score> {
        let mut scope = std::mem::take(&mut self.scratch.scope);
        scope.clear();
        let checked = self.expr(e, &mut scope);
        self.scratch.scope = scope;
        let checked = checked?;
        if checked.ty != Type::Scalar(Scalar::Number) {
            let found = self.type_name(checked.ty);
            self.diags.push(
                Diagnostic::error(
                    "E0312",
                    e.span,
                    format!("a score must be a number, found {found}"),
                )
                .with_help("write an integer such as `score 10` or a number expression such as `score lookup(points, hs6)`"),
            );
            return None;
        }
        let literal = match &e.kind {
            ast::ExprKind::Number(_) => true,
            ast::ExprKind::Unary(ast::UnOp::Neg, x) => matches!(x.kind, ast::ExprKind::Number(_)),
            _ => false,
        };
        match (&checked.kind, literal) {
            (ExprKind::Const(Const::Number(d)), true) => {
                let points = d.to_points();
                if !d.is_integer() || d.to_i64() != Some(points) {
                    let mut w = Diagnostic::warning(
                        "W0007",
                        e.span,
                        format!("score {d} is not an integer from -1000000 to 1000000"),
                    );
                    w = w.with_help(format!(
                        "a rule contributes its score rounded half to even and clamped to that range: this one scores {points}"
                    ));
                    self.diags.push(w);
                }
                Some(Score::Points(points))
            }
            _ => Some(Score::Expr(checked)),
        }
    }

    /// A lane split: each share in (0%, 100%] with at most 4 decimals, no
    /// lane twice, 100% at most in all; the cumulative cut-offs.
    fn lane_split(&mut self, shares: &[ast::LaneShare]) -> Option<LaneAction> {
        let mut out = Vec::with_capacity(shares.len());
        let mut seen: HashMap<LaneId, Span> = HashMap::new();
        let mut total: u32 = 0;
        let mut ok = true;
        for sh in shares {
            let lane = self.lane(&sh.lane);
            let share = self.share(&sh.percent);
            let (Some(lane), Some(share)) = (lane, share) else {
                ok = false;
                continue;
            };
            if let Some(first) = seen.get(&lane) {
                self.diags.push(
                    Diagnostic::error(
                        "E0416",
                        sh.lane.span,
                        format!("lane `{}` appears twice in the split", sh.lane.name),
                    )
                    .with_label(*first, "first share here")
                    .with_help("give each lane one share"),
                );
                ok = false;
                continue;
            }
            seen.insert(lane, sh.lane.span);
            total = total.saturating_add(share);
            out.push((lane, total));
        }
        if total > 1_000_000 {
            let span = match (shares.first(), shares.last()) {
                (Some(a), Some(b)) => a.lane.span.to(b.percent.span),
                _ => Span::default(),
            };
            self.diags.push(
                Diagnostic::error(
                    "E0415",
                    span,
                    "the shares of a lane split add up to more than 100%",
                )
                .with_help(
                    "the shares are fractions of the rule's selections: at most 100% in all",
                ),
            );
            return None;
        }
        ok.then_some(LaneAction::Split(out))
    }

    /// One share of a lane split, in millionths: above 0% and at most 100%.
    fn share(&mut self, p: &ast::PercentLit) -> Option<u32> {
        let v = self.percent(p, "a lane share")?;
        if v == 0 {
            self.diags.push(
                Diagnostic::error(
                    "E0414",
                    p.span,
                    format!("a lane share of `{}%` selects nothing", p.text),
                )
                .with_help("a share is above 0% and at most 100%; remove the lane instead"),
            );
            return None;
        }
        Some(v)
    }

    /// `sample P%` as millionths, from the digit text (no floating point).
    fn percent(&mut self, p: &ast::PercentLit, what: &str) -> Option<u32> {
        let (int, frac) = p.text.split_once('.').unwrap_or((p.text.as_str(), ""));
        if frac.len() > 4 {
            self.diags.push(
                Diagnostic::error(
                    "E0407",
                    p.span,
                    format!("`{}%` has more than 4 decimals", p.text),
                )
                .with_help(format!(
                    "{what} has at most 4 decimals, e.g. `2.5%` or `0.0125%`"
                )),
            );
            return None;
        }
        let int = int.trim_start_matches('0');
        let out_of_range = || {
            Diagnostic::error(
                "E0406",
                p.span,
                format!("`{}%` is not between 0% and 100%", p.text),
            )
            .with_help(format!("{what} is a percentage from 0 to 100"))
        };
        if int.len() > 3 {
            self.diags.push(out_of_range());
            return None;
        }
        let digits = |s: &str| -> Option<u32> {
            s.bytes().try_fold(0u32, |acc, b| {
                b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
            })
        };
        let whole = digits(int)?;
        let mut frac_value = digits(frac)?;
        for _ in frac.len()..4 {
            frac_value *= 10;
        }
        let millionths = whole * 10_000 + frac_value;
        if millionths > 1_000_000 {
            self.diags.push(out_of_range());
            return None;
        }
        Some(millionths)
    }

    fn check_test(&mut self, test: &'a ast::Test) {
        let file = test.span.file;
        let today = test.today.as_ref().and_then(|d| self.date(d));
        let mut expects = Vec::new();
        for e in &test.expects {
            let checked = match e {
                ast::Expect::Lane(id, span) => self.lane(id).map(|l| TestExpect::Lane(l, *span)),
                ast::Expect::Score(n, span) => Some(TestExpect::Score(n.value, *span)),
                ast::Expect::Fired(id, span) => self
                    .test_rule_ref(id, file)
                    .filter(|&i| self.expect_kind(id, i, false))
                    .map(|i| TestExpect::Fired(i, *span)),
                ast::Expect::NotFired(id, span) => self
                    .test_rule_ref(id, file)
                    .filter(|&i| self.expect_kind(id, i, false))
                    .map(|i| TestExpect::NotFired(i, *span)),
                ast::Expect::Undetermined(id, span) => self
                    .test_rule_ref(id, file)
                    .filter(|&i| self.expect_kind(id, i, false))
                    .map(|i| TestExpect::Undetermined(i, *span)),
                ast::Expect::Monitored(id, span) => self
                    .test_rule_ref(id, file)
                    .filter(|&i| self.expect_kind(id, i, true))
                    .map(|i| TestExpect::Monitored(i, *span)),
                ast::Expect::Note(s, span) => Some(TestExpect::Note(s.value.to_string(), *span)),
            };
            expects.extend(checked);
        }
        self.tests.push(TestDef {
            name: test.name.value.to_string(),
            today,
            given: test.given.text.clone(),
            given_span: test.given.span,
            expects,
            package: self.package_of(file),
            span: test.span,
        });
    }

    /// Whether rule `index` is a shadow rule exactly when `monitor` says the
    /// expectation needs one (`expect monitored` names a shadow rule;
    /// `fired`, `not fired` and `undetermined` an ordinary one, since a
    /// shadow rule is never listed there); E0417 otherwise.
    fn expect_kind(&mut self, id: &ast::RuleId, index: u32, monitor: bool) -> bool {
        let is_monitor = self.rules.get(index as usize).is_some_and(|r| r.monitor);
        if is_monitor == monitor {
            return true;
        }
        let (message, help) = if monitor {
            (
                format!("rule `{}` is not a shadow rule", id.name),
                "`expect monitored` is for rules marked `monitor`; expect `fired` for this one",
            )
        } else {
            (
                format!("rule `{}` is a shadow rule (`monitor`)", id.name),
                "a shadow rule is never fired or undetermined: write `expect monitored` (or its absence) instead",
            )
        };
        self.diags
            .push(Diagnostic::error("E0417", id.span, message).with_help(help));
        false
    }

    /// The index of the rule named by a test in `file`: in a package's
    /// file an unqualified id names the package's own rule.
    fn test_rule_ref(&mut self, id: &ast::RuleId, file: FileId) -> Option<u32> {
        if !id.name.contains('/') {
            let q = self.qualified(file, &id.name);
            if let Cow::Owned(q) = q {
                if let Some((i, _)) = self.rule_ids.get(q.as_str()) {
                    return Some(*i);
                }
                let mut d = Diagnostic::error("E0206", id.span, format!("unknown rule `{q}`"));
                if let Some(s) = lit::suggest(&q, self.rule_ids.keys().map(|k| k.as_ref())) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                return None;
            }
        }
        self.rule_ref(id)
    }

    /// The index of the rule named `id` (qualified for a package's rule);
    /// E0206 if there is none.
    fn rule_ref(&mut self, id: &ast::RuleId) -> Option<u32> {
        if let Some((i, _)) = self.rule_ids.get(id.name.as_str()) {
            return Some(*i);
        }
        let mut d = Diagnostic::error("E0206", id.span, format!("unknown rule `{}`", id.name));
        if let Some(s) = lit::suggest(&id.name, self.rule_ids.keys().map(|k| k.as_ref())) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
        None
    }

    /// `n` as the `u32` id of the next item of a kind, or `None` beyond
    /// [`MAX_ITEMS`], reported (E0119) at the first item of the kind that
    /// does not fit.
    fn id32(&mut self, n: usize, what: &'static str, span: Span) -> Option<u32> {
        match u32::try_from(n) {
            Ok(id) if n < MAX_ITEMS => Some(id),
            _ => {
                if !self.too_many.contains(&what) {
                    self.too_many.push(what);
                    self.diags.push(
                        Diagnostic::error("E0119", span, format!("more than {MAX_ITEMS} {what}"))
                            .with_help("split the ruleset"),
                    );
                }
                None
            }
        }
    }

    fn warn_unused(&mut self) {
        for l in &self.lists {
            if !l.used {
                self.diags.push(
                    Diagnostic::warning(
                        "W0002",
                        l.name_span,
                        format!("list `{}` is never used", l.name),
                    )
                    .with_help("use it in a rule or remove it"),
                );
            }
        }
        for t in &self.tables {
            if !t.used {
                self.diags.push(
                    Diagnostic::warning(
                        "W0002",
                        t.name_span,
                        format!("table `{}` is never used", t.name),
                    )
                    .with_help("use it in a rule or remove it"),
                );
            }
        }
    }

    /// The name of a type for messages: `text`, `list of \`item\``.
    fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Scalar(s) => scalar_name(s).to_string(),
            Type::Records(r) => {
                let name = self
                    .records
                    .get(r.0 as usize)
                    .map_or("?", |r| r.name.as_str());
                format!("list of `{name}`")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Checker, MAX_ITEMS, check};
    use semaforo_syntax::Span;

    #[test]
    fn ids_beyond_the_limit_are_reported_once_per_kind() {
        let mut cx = Checker::default();
        let span = Span::default();
        assert_eq!(cx.id32(0, "rules", span), Some(0));
        assert_eq!(cx.id32(MAX_ITEMS - 1, "rules", span), Some(u32::MAX - 2));
        assert!(cx.diags.is_empty());
        for n in [MAX_ITEMS, MAX_ITEMS + 1, usize::MAX] {
            assert_eq!(cx.id32(n, "rules", span), None);
        }
        assert_eq!(cx.id32(MAX_ITEMS, "lists", span), None);
        let codes: Vec<&str> = cx.diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E0119", "E0119"]);
        assert_eq!(cx.diags[1].message, format!("more than {MAX_ITEMS} lists"));
    }
    use crate::hir::{Const, ExprKind, Pattern};
    use semaforo_plan::Decimal;
    use semaforo_syntax::{FileId, parse};

    #[test]
    fn a_value_repeated_many_times_gets_one_warning() {
        let list: Vec<String> = (0..1000).map(|i| format!("\"{}\"", i % 3)).collect();
        let src = format!(
            "ruleset \"t\" version \"1\"\nschema declaration {{ key id: text }}\n\
             list codes = [{}]\nrule R1 \"r\" {{ when id in codes or id in [\"x\", \"x\"] then score 1 }}\n",
            list.join(", ")
        );
        let file = parse(&src, FileId(0)).unwrap();
        let checked = check(std::slice::from_ref(&file));
        let found: Vec<(&str, Option<&str>)> = checked
            .diagnostics
            .iter()
            .map(|d| (d.code, d.help.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "W0004",
                    Some("the entry is repeated 333 times in this list; remove the repeats")
                ),
                (
                    "W0004",
                    Some("the entry is repeated 332 times in this list; remove the repeats")
                ),
                (
                    "W0004",
                    Some("the entry is repeated 332 times in this list; remove the repeats")
                ),
                ("W0004", Some("remove the repeated entry")),
            ]
        );
        let program = checked.program.unwrap();
        assert_eq!(program.lists[0].values.as_ref().map(Vec::len), Some(3));
    }

    /// `len` entries, every third one repeating an earlier entry (the
    /// numbers as `k.0`, equal to `k`), written with their byte offsets.
    fn entries(len: usize, text: bool, at: &mut usize, out: &mut String) -> Vec<(usize, String)> {
        let mut written = Vec::new();
        for i in 0..len {
            if i > 0 {
                out.push_str(", ");
                *at += 2;
            }
            let k = if i % 3 == 2 { i / 2 } else { i };
            let entry = match (text, i % 3 == 2) {
                (true, _) => format!("\"C{k}\""),
                (false, false) => format!("{k}"),
                (false, true) => format!("{k}.0"),
            };
            written.push((*at, format!("{k}")));
            *at += entry.len();
            out.push_str(&entry);
        }
        written
    }

    /// The W0004 warnings a quadratic scan expects: (offset, first offset).
    fn expected(written: &[(usize, String)]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, (at, key)) in written.iter().enumerate() {
            if let Some((first, _)) = written[..i].iter().find(|(_, k)| k == key) {
                out.push((*at, *first));
            }
        }
        out
    }

    #[test]
    fn long_lists_report_every_duplicate_at_its_first_entry() {
        for len in [3, 8, 9, 17, 40, 1000] {
            let mut src = String::from(
                "ruleset \"t\" version \"1\"\nschema declaration {\n  key id: text\n  value: number\n}\nlist codes = [",
            );
            let mut at = src.len();
            let declared = entries(len, true, &mut at, &mut src);
            src.push_str("]\nrule R1 \"r\" { when value in [");
            at = src.len();
            let inline = entries(len, false, &mut at, &mut src);
            src.push_str("] and id in codes then score 1 }\n");

            let file = parse(&src, FileId(0)).unwrap();
            let checked = check(std::slice::from_ref(&file));
            let found: Vec<(usize, usize)> = checked
                .diagnostics
                .iter()
                .map(|d| {
                    assert_eq!(d.code, "W0004", "{d:?}");
                    (d.span.start as usize, d.labels[0].span.start as usize)
                })
                .collect();
            let mut want = expected(&declared);
            want.extend(expected(&inline));
            assert_eq!(found, want, "len {len}");
            assert_eq!(found.is_empty(), len < 3);

            // Each list keeps its distinct entries once, in order.
            let program = checked.program.unwrap();
            let distinct = |text: bool| -> Vec<Const> {
                let mut seen: Vec<usize> = Vec::new();
                for i in 0..len {
                    let k = if i % 3 == 2 { i / 2 } else { i };
                    if !seen.contains(&k) {
                        seen.push(k);
                    }
                }
                seen.iter()
                    .map(|k| {
                        if text {
                            Const::Text(format!("C{k}").into())
                        } else {
                            Const::Number(Decimal::parse(&k.to_string()).unwrap().value)
                        }
                    })
                    .collect()
            };
            assert_eq!(program.lists[0].values, Some(distinct(true)));
            let when = program.rules[0].when.as_ref().unwrap();
            let ExprKind::And(a, _) = &when.kind else {
                panic!("expected `and`");
            };
            let ExprKind::In {
                list: Pattern::Inline(values),
                ..
            } = &a.kind
            else {
                panic!("expected an inline `in`");
            };
            assert_eq!(*values, distinct(false));
        }
    }
}
