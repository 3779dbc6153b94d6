//! The names a ruleset declares and where each is used, for editors
//! (`semaforo lsp`: hover, go to definition, completion).
//!
//! [`CheckReport::symbols`] reads the syntax trees of the report's rule
//! sources (the checked program exists only for an error-free ruleset, and
//! an editor needs names while the author is mid-edit): every record,
//! field, list, table, column, lane, rule and quantifier variable with the
//! span of its name, and every name used in an expression, an action, a
//! test or an override with the declaration it names. Names are resolved
//! the way the checker resolves them; a name the checker would reject
//! simply has no reference. A file that does not parse contributes no
//! symbols (its syntax errors are in the report).
//!
//! ```
//! let mut c = semaforo::Compiler::new();
//! c.add_source("rules.sem", r#"
//! ruleset "demo" version "1"
//! schema declaration { key id: text
//!   origin: text }
//! list watched = ["CN", "VN"]
//! rule R1 "Watched origin" { when origin in watched then score 10 }
//! "#);
//! let report = c.check();
//! let symbols = report.symbols();
//! let watched = symbols.find(semaforo::SymbolKind::List, "watched").unwrap();
//! assert_eq!(watched.size, Some(2));
//! // The use of `origin` in the rule points at the field's declaration.
//! let text = &report.sources.get(semaforo::FileId(0)).unwrap().text;
//! let at = text.rfind("origin in").unwrap() as u32;
//! let origin = symbols.at(semaforo::FileId(0), at).unwrap();
//! assert_eq!((origin.kind, origin.ty.as_deref()), (semaforo::SymbolKind::Field, Some("text")));
//! ```

use crate::compiler::CheckReport;
use crate::externals::{read_list_file, read_table_file};
use crate::source::SourceKind;
use semaforo_syntax::ast::{
    Action, Expect, Expr, ExprKind, Item, ListBody, Literal, OverrideChange, ProfileValue,
    ScalarType, SourceFile, TableBody, TypeExpr,
};
use semaforo_syntax::{FileId, Span};

/// What a [`Symbol`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// A `schema` or `record` block.
    Record,
    /// A field of a record (`container` names the record).
    Field,
    /// A `list`.
    List,
    /// A `table`.
    Table,
    /// A column of a multi-column table (`container` names the table).
    Column,
    /// A lane of the `lanes` item.
    Lane,
    /// A rule (`name` is qualified, `sica/VAL-001`, in a package).
    Rule,
    /// The element variable of a quantifier (`it` in `any(it in items: ...)`;
    /// `ty` names the record it ranges over).
    Variable,
}

/// One declared name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// What it is.
    pub kind: SymbolKind,
    /// The name as other items refer to it.
    pub name: String,
    /// Where the name is declared (the name only).
    pub span: Span,
    /// The record of a field, the table of a column.
    pub container: Option<String>,
    /// The type as written: `text`, `[item]` for a list of records; a
    /// list's or table's element or value type; a variable's record.
    pub ty: Option<String>,
    /// A field marked `?` (may be missing).
    pub optional: bool,
    /// A field marked `key`.
    pub key: bool,
    /// The number of values of a list: an inline list's (`list l = [...]`),
    /// or an external list's as counted from its file by
    /// [`Symbols::count_list_file`]; the number of keys of a table counted
    /// by [`Symbols::count_table_file`]. `None` when the data is not known.
    pub size: Option<usize>,
    /// A rule's title.
    pub title: Option<String>,
    /// A rule's profile entries as written (`("owner", "\"GRGR\"")`), and
    /// `("monitor", "")` for a shadow rule.
    pub profile: Vec<(String, String)>,
}

/// A use of a declared name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Where the name is used.
    pub span: Span,
    /// The index of the declaration in [`Symbols::symbols`].
    pub target: usize,
}

/// Every declared name of a set of rule sources and every resolved use
/// ([`CheckReport::symbols`]).
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    /// Declarations in source order (files in the order given).
    pub symbols: Vec<Symbol>,
    /// Uses, in source order per file.
    pub references: Vec<Reference>,
}

impl Symbols {
    /// The declaration of this kind and name (a field: of any record).
    pub fn find(&self, kind: SymbolKind, name: &str) -> Option<&Symbol> {
        self.symbols
            .iter()
            .find(|s| s.kind == kind && s.name == name)
    }

    /// The fields of record `record`, in declaration order.
    pub fn fields_of<'a>(&'a self, record: &'a str) -> impl Iterator<Item = &'a Symbol> + 'a {
        self.symbols
            .iter()
            .filter(move |s| s.kind == SymbolKind::Field && s.container.as_deref() == Some(record))
    }

    /// The columns of table `table`, in declaration order.
    pub fn columns_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Symbol> + 'a {
        self.symbols
            .iter()
            .filter(move |s| s.kind == SymbolKind::Column && s.container.as_deref() == Some(table))
    }

    /// The lanes, least severe first.
    pub fn lanes(&self) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(|s| s.kind == SymbolKind::Lane)
    }

    /// The schema's record (the one declared by `schema`), if any.
    pub fn schema(&self) -> Option<&Symbol> {
        self.symbols
            .iter()
            .find(|s| s.kind == SymbolKind::Record && s.ty.as_deref() == Some("schema"))
    }

    /// Sets the size of external list `name` from the text of its list
    /// file, read exactly as [`Compiler::add_list_file`](crate::Compiler::add_list_file)
    /// reads it (an entry the reader refuses is not counted; `compile`
    /// reports it). Returns the size set, or `None` if no external list
    /// `name` is declared.
    pub fn count_list_file(&mut self, name: &str, text: &str) -> Option<usize> {
        let list = self
            .symbols
            .iter_mut()
            .find(|s| s.kind == SymbolKind::List && s.name == name && s.size.is_none())?;
        let mut problems = Vec::new();
        let n = read_list_file(FileId(0), text, &mut problems).len();
        list.size = Some(n);
        Some(n)
    }

    /// Sets the number of keys of table `name` from the text of its CSV
    /// file, read as [`Compiler::add_table_file`](crate::Compiler::add_table_file)
    /// reads it. Returns the size set, or `None` if no table `name` is
    /// declared or the file does not match its declaration (`compile`
    /// reports why).
    pub fn count_table_file(&mut self, name: &str, text: &str) -> Option<usize> {
        let columns: Vec<String> = self.columns_of(name).map(|c| c.name.clone()).collect();
        let multi = !columns.is_empty();
        let names: Vec<&str> = if multi {
            columns.iter().map(String::as_str).collect()
        } else {
            vec!["value"]
        };
        let rows = read_table_file(FileId(0), text, &names, multi).ok()?.len();
        let table = self
            .symbols
            .iter_mut()
            .find(|s| s.kind == SymbolKind::Table && s.name == name)?;
        table.size = Some(rows);
        Some(rows)
    }

    /// The declaration named at byte `offset` of `file`: the declared name
    /// itself, or a use of it. Variables are included.
    pub fn at(&self, file: FileId, offset: u32) -> Option<&Symbol> {
        let inside = |s: Span| s.file == file && s.start <= offset && offset <= s.end;
        if let Some(r) = self.references.iter().find(|r| inside(r.span)) {
            return self.symbols.get(r.target);
        }
        self.symbols.iter().find(|s| inside(s.span))
    }
}

impl CheckReport {
    /// The declared names of the report's rule sources and their uses (see
    /// the module's documentation); spans point into
    /// [`CheckReport::sources`].
    pub fn symbols(&self) -> Symbols {
        let mut files = Vec::new();
        for (id, s) in self.sources.iter() {
            if s.kind != SourceKind::Rules {
                continue;
            }
            if let Ok(f) = semaforo_syntax::parse_shared(&s.text, id) {
                files.push(f);
            }
        }
        let mut b = Builder::default();
        for f in &files {
            b.declare(f);
        }
        for f in &files {
            b.resolve(f);
        }
        b.out
    }
}

#[derive(Default)]
struct Builder {
    out: Symbols,
    /// Quantifier variables in scope: name, symbol index.
    scope: Vec<(String, usize)>,
    /// The package of the file being resolved.
    package: Option<String>,
}

fn scalar(t: ScalarType) -> &'static str {
    match t {
        ScalarType::Text => "text",
        ScalarType::Number => "number",
        ScalarType::Bool => "bool",
        ScalarType::Date => "date",
    }
}

fn package_of(f: &SourceFile) -> Option<String> {
    match f.items.first() {
        Some(Item::Package(h)) => Some(h.name.value.to_string()),
        _ => None,
    }
}

fn symbol(kind: SymbolKind, name: &str, span: Span) -> Symbol {
    Symbol {
        kind,
        name: name.to_string(),
        span,
        container: None,
        ty: None,
        optional: false,
        key: false,
        size: None,
        title: None,
        profile: Vec::new(),
    }
}

fn date(d: &semaforo_syntax::ast::DateLit) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

impl Builder {
    fn push(&mut self, s: Symbol) -> usize {
        self.out.symbols.push(s);
        self.out.symbols.len() - 1
    }

    fn index(&self, kind: SymbolKind, name: &str) -> Option<usize> {
        self.out
            .symbols
            .iter()
            .position(|s| s.kind == kind && s.name == name)
    }

    fn member(&self, kind: SymbolKind, container: &str, name: &str) -> Option<usize> {
        self.out.symbols.iter().position(|s| {
            s.kind == kind && s.name == name && s.container.as_deref() == Some(container)
        })
    }

    fn refer(&mut self, span: Span, target: Option<usize>) {
        if let Some(target) = target {
            self.out.references.push(Reference { span, target });
        }
    }

    fn declare(&mut self, f: &SourceFile) {
        let package = package_of(f);
        for item in &f.items {
            match item {
                Item::Schema(r) | Item::Record(r) => {
                    let mut s = symbol(SymbolKind::Record, &r.name.name, r.name.span);
                    s.ty = Some(
                        if matches!(item, Item::Schema(_)) {
                            "schema"
                        } else {
                            "record"
                        }
                        .into(),
                    );
                    self.push(s);
                    for fd in &r.fields {
                        let mut s = symbol(SymbolKind::Field, &fd.name.name, fd.name.span);
                        s.container = Some(r.name.name.to_string());
                        s.ty = Some(match &fd.ty {
                            TypeExpr::Scalar(t, _) => scalar(*t).to_string(),
                            TypeExpr::List(rec, _) => format!("[{}]", rec.name),
                        });
                        s.optional = fd.optional;
                        s.key = fd.key;
                        self.push(s);
                    }
                }
                Item::List(l) => {
                    let mut s = symbol(SymbolKind::List, &l.name.name, l.name.span);
                    match &l.body {
                        ListBody::Inline(values, _) => {
                            s.size = Some(values.len());
                            s.ty = values.first().map(|v| {
                                match v {
                                    Literal::Str(_) => "text",
                                    Literal::Number { .. } => "number",
                                    Literal::Bool(..) => "bool",
                                    Literal::Date(_) => "date",
                                }
                                .to_string()
                            });
                        }
                        ListBody::External(t, _) => s.ty = Some(scalar(*t).to_string()),
                    }
                    self.push(s);
                }
                Item::Table(t) => {
                    let mut s = symbol(SymbolKind::Table, &t.name.name, t.name.span);
                    match &t.body {
                        TableBody::Value(v, _) => s.ty = Some(scalar(*v).to_string()),
                        TableBody::Columns(cols, _) => {
                            let written: Vec<String> = cols
                                .iter()
                                .map(|c| format!("{}: {}", c.name.name, scalar(c.ty)))
                                .collect();
                            s.ty = Some(format!("{{ {} }}", written.join(", ")));
                        }
                    }
                    self.push(s);
                    if let TableBody::Columns(cols, _) = &t.body {
                        for c in cols {
                            let mut s = symbol(SymbolKind::Column, &c.name.name, c.name.span);
                            s.container = Some(t.name.name.to_string());
                            s.ty = Some(scalar(c.ty).to_string());
                            self.push(s);
                        }
                    }
                }
                Item::Lanes(l) => {
                    for lane in &l.lanes {
                        self.push(symbol(SymbolKind::Lane, &lane.name, lane.span));
                    }
                }
                Item::Rule(r) => {
                    let name = match &package {
                        Some(p) => format!("{p}/{}", r.id.name),
                        None => r.id.name.to_string(),
                    };
                    let mut s = symbol(SymbolKind::Rule, &name, r.id.span);
                    s.title = Some(r.title.value.to_string());
                    if r.monitor.is_some() {
                        s.profile.push(("monitor".into(), String::new()));
                    }
                    for e in &r.profile {
                        let v = match &e.value {
                            ProfileValue::Str(v) => format!("{:?}", &*v.value),
                            ProfileValue::Date(d) => date(d),
                            ProfileValue::Word(w) => w.name.to_string(),
                        };
                        s.profile.push((e.key.name.to_string(), v));
                    }
                    self.push(s);
                }
                _ => {}
            }
        }
    }

    fn resolve(&mut self, f: &SourceFile) {
        self.package = package_of(f);
        let schema = self.out.schema().map(|s| s.name.clone());
        for item in &f.items {
            match item {
                Item::Schema(r) | Item::Record(r) => {
                    for fd in &r.fields {
                        if let TypeExpr::List(rec, _) = &fd.ty {
                            let t = self.index(SymbolKind::Record, &rec.name);
                            self.refer(rec.span, t);
                        }
                    }
                }
                Item::Threshold(t) => {
                    let lane = self.index(SymbolKind::Lane, &t.lane.name);
                    self.refer(t.lane.span, lane);
                    if let (Some(g), Some(schema)) = (&t.group, &schema) {
                        let field = self.member(SymbolKind::Field, schema, &g.field.name);
                        self.refer(g.field.span, field);
                    }
                }
                Item::Rule(r) => {
                    if let Some(e) = &r.when {
                        self.expr(e);
                    }
                    r.actions.iter().for_each(|a| self.action(a));
                }
                Item::Override(o) => {
                    let rule = self.index(SymbolKind::Rule, &o.target.name);
                    self.refer(o.target.span, rule);
                    if let OverrideChange::Adjust { actions, .. } = &o.change {
                        actions.iter().for_each(|a| self.action(a));
                    }
                }
                Item::Test(t) => {
                    for e in &t.expects {
                        match e {
                            Expect::Lane(l, _) => {
                                let lane = self.index(SymbolKind::Lane, &l.name);
                                self.refer(l.span, lane);
                            }
                            Expect::Fired(id, _)
                            | Expect::NotFired(id, _)
                            | Expect::Undetermined(id, _)
                            | Expect::Monitored(id, _) => {
                                // Inside a package, an unqualified id names
                                // the package's rule.
                                let qualified = match &self.package {
                                    Some(p) if !id.name.contains('/') => {
                                        format!("{p}/{}", id.name)
                                    }
                                    _ => id.name.to_string(),
                                };
                                let rule = self.index(SymbolKind::Rule, &qualified);
                                self.refer(id.span, rule);
                            }
                            Expect::Score(..) | Expect::Note(..) => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn action(&mut self, a: &Action) {
        match a {
            Action::Score(e, _) => self.expr(e),
            Action::Lane(l, _) => {
                let lane = self.index(SymbolKind::Lane, &l.name);
                self.refer(l.span, lane);
            }
            Action::LaneSplit(shares, _) => {
                for s in shares {
                    let lane = self.index(SymbolKind::Lane, &s.lane.name);
                    self.refer(s.lane.span, lane);
                }
            }
            Action::Note(..) => {}
        }
    }

    /// The record an expression's value is an element of, when it is one:
    /// a quantifier variable, or a list-of-records field.
    fn record_of(&self, e: &Expr) -> Option<String> {
        let target = match &e.kind {
            ExprKind::Paren(inner) => return self.record_of(inner),
            ExprKind::Name(i) => self.name_target(&i.name)?,
            ExprKind::Field(base, i) => self.field_target(base, &i.name)?,
            _ => return None,
        };
        let s = self.out.symbols.get(target)?;
        let ty = s.ty.as_deref()?;
        match s.kind {
            SymbolKind::Variable => Some(ty.to_string()),
            SymbolKind::Field => ty
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .map(str::to_string),
            _ => None,
        }
    }

    /// What a bare name refers to: a variable in scope, a top-level field,
    /// a list or a table.
    fn name_target(&self, name: &str) -> Option<usize> {
        if let Some((_, i)) = self.scope.iter().rev().find(|(n, _)| n == name) {
            return Some(*i);
        }
        let schema = self.out.schema().map(|s| s.name.clone());
        schema
            .and_then(|s| self.member(SymbolKind::Field, &s, name))
            .or_else(|| self.index(SymbolKind::List, name))
            .or_else(|| self.index(SymbolKind::Table, name))
    }

    /// What `base.name` refers to: a field of the base's record, or a
    /// column of the table looked up.
    fn field_target(&self, base: &Expr, name: &str) -> Option<usize> {
        if let ExprKind::Call { func, args } = &base.kind
            && (func.name == "lookup" || func.name == "lookup_prefix")
            && let Some(Expr {
                kind: ExprKind::Name(table),
                ..
            }) = args.first()
        {
            return self.member(SymbolKind::Column, &table.name, name);
        }
        let record = self.record_of(base)?;
        self.member(SymbolKind::Field, &record, name)
    }

    /// Resolves the names of an expression. Recursion follows the
    /// expression tree, whose depth the parser bounds.
    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Today => {}
            ExprKind::Name(i) => {
                let t = self.name_target(&i.name);
                self.refer(i.span, t);
            }
            ExprKind::Field(base, i) => {
                self.expr(base);
                let t = self.field_target(base, &i.name);
                self.refer(i.span, t);
            }
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => self.expr(inner),
            ExprKind::Binary(_, a, b) | ExprKind::StartsWith(a, b) | ExprKind::Contains(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::In { value, list, .. } => {
                self.expr(value);
                self.expr(list);
            }
            ExprKind::Is { value, .. } => self.expr(value),
            ExprKind::Quant {
                var, list, body, ..
            } => {
                self.expr(list);
                let mut v = symbol(SymbolKind::Variable, &var.name, var.span);
                v.ty = self.record_of(list);
                let i = self.push(v);
                self.scope.push((var.name.to_string(), i));
                self.expr(body);
                self.scope.pop();
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.expr(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;
    use crate::Compiler;

    const PACKAGE: &str = r#"package "sica" version "1"
lanes green, yellow, red
threshold red 50 for office "GT01"
schema declaration {
  key id: text
  office: text
  items: [item]
}
record item { hs: text
  value: number }
list ext: text
table vc: { min: number, max: number }
rule VAL-001 "Low" {
  when any(it in items: it.value < lookup(vc, it.hs).min)
  then lane yellow
}
test "t" {
  given { "id": "1", "office": "GT01", "items": [] }
  expect not fired VAL-001
  expect lane green
}
"#;

    /// The declaration that the use at the `n`th `needle` names.
    fn target<'a>(s: &'a Symbols, needle: &str, n: usize) -> Option<&'a Symbol> {
        let at = PACKAGE.match_indices(needle).nth(n).unwrap().0 as u32;
        let r = s.references.iter().find(|r| r.span.start == at)?;
        s.symbols.get(r.target)
    }

    #[test]
    fn uses_resolve_to_their_declarations() {
        let mut c = Compiler::new();
        c.add_source("sica.sem", PACKAGE);
        let report = c.check();
        assert!(!report.has_errors(), "{:?}", report.diagnostics);
        let s = report.symbols();
        // An unqualified id in the package's own test names its rule.
        let rule = target(&s, "VAL-001", 1).unwrap();
        assert_eq!(
            (rule.kind, rule.name.as_str()),
            (SymbolKind::Rule, "sica/VAL-001")
        );
        // `it.value`: the element record's field; `.min`: the column.
        let value = target(&s, "value <", 0).unwrap();
        assert_eq!(value.container.as_deref(), Some("item"));
        let min = target(&s, "min)", 0).unwrap();
        assert_eq!(
            (min.kind, min.container.as_deref()),
            (SymbolKind::Column, Some("vc"))
        );
        // The threshold's group field, lanes in actions and expectations.
        let office = target(&s, "office \"GT01\"", 0).unwrap();
        assert_eq!(
            (office.kind, office.name.as_str()),
            (SymbolKind::Field, "office")
        );
        assert_eq!(target(&s, "yellow\n}", 0).unwrap().kind, SymbolKind::Lane);
        assert_eq!(target(&s, "green\n}", 0).unwrap().name, "green");
        // `[item]` names the record.
        assert_eq!(target(&s, "item]", 0).unwrap().kind, SymbolKind::Record);
        // The quantifier variable ranges over `item`.
        let it = s.find(SymbolKind::Variable, "it").unwrap();
        assert_eq!(it.ty.as_deref(), Some("item"));
    }

    #[test]
    fn data_files_are_counted_as_the_compiler_reads_them() {
        let mut c = Compiler::new();
        c.add_source("sica.sem", PACKAGE);
        let mut s = c.check().symbols();
        assert_eq!(s.count_list_file("ext", "# c\nA\n\nB\n"), Some(2));
        assert_eq!(s.find(SymbolKind::List, "ext").unwrap().size, Some(2));
        assert_eq!(s.count_list_file("nope", "A\n"), None);
        assert_eq!(s.count_table_file("vc", "key,max,min\nA,1,2\n"), Some(1));
        // A header that does not match the columns: not counted.
        assert_eq!(s.count_table_file("vc", "key,value\nA,1\n"), None);
    }

    #[test]
    fn a_file_that_does_not_parse_has_no_symbols() {
        let mut c = Compiler::new();
        c.add_source("a.sem", "ruleset \"x\" version");
        let s = c.check().symbols();
        assert!(s.symbols.is_empty() && s.references.is_empty());
    }
}
