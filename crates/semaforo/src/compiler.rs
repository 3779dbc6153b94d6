//! Compiling sources and external data into a [`Ruleset`].

use crate::externals::{RawEntry, TableRow, check_entry, read_list_file, read_table_file, typed};
use crate::fingerprint::fingerprint;
use crate::ruleset::Ruleset;
use crate::source::{SourceKind, Sources};
use semaforo_compile::check::check;
use semaforo_compile::hir::{Const, Program, Scalar, TableShape};
use semaforo_compile::lower::{Externals, TableRows, lower};
use semaforo_plan::Date;
use semaforo_syntax::{Diagnostic, FileId, Span};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The checked program with its warnings, or every diagnostic.
type FrontEnd = Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>>;

/// The parsed sources, kept until checking and lowering are done.
type Trees = Vec<semaforo_syntax::ast::SourceFile>;

#[derive(Clone, Debug)]
enum Data {
    /// Entries given through the API.
    Values(Vec<String>),
    /// A file to read: its name and text.
    File(String, String),
}

#[derive(Clone, Debug)]
enum TableData {
    Values(Vec<(String, String)>),
    /// Column names, then rows of a key and one cell per named column.
    Rows(Vec<String>, Vec<(String, Vec<Option<String>>)>),
    File(String, String),
}

/// Collects rule sources and external lists and tables, and compiles them.
///
/// ```
/// let mut c = semaforo::Compiler::new();
/// c.add_source("rules.sem", r#"
/// ruleset "demo" version "1"
/// schema declaration { key id: text
///   origin: text }
/// list watched: text
/// rule R1 "Watched origin" { when origin in watched then score 10 }
/// "#);
/// c.add_list("watched", ["CN", "VN"]);
/// let ruleset = c.compile().expect("compiles");
/// assert_eq!(ruleset.name(), "demo");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Compiler {
    rules: Vec<(String, Arc<str>)>,
    /// The day past which a rule's `review` date is reported (W0008).
    review_date: Option<semaforo_plan::Date>,
    lists: Vec<(String, Data)>,
    tables: Vec<(String, TableData)>,
}

/// The result of [`Compiler::check`]: every diagnostic, and the sources
/// their spans point into ([`CheckReport::render`] renders them).
pub struct CheckReport {
    /// Errors and warnings in a stable order.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources, for rendering.
    pub sources: Sources,
}

impl CheckReport {
    /// True if any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// W0008 for each rule in force whose `review` date is before `today`.
fn overdue_reviews(program: &Program, today: Date) -> impl Iterator<Item = Diagnostic> + '_ {
    program.rules.iter().filter_map(move |r| {
        let review = r.profile.review?;
        (review < today && r.in_force()).then(|| {
            Diagnostic::warning(
                "W0008",
                r.span,
                format!("rule `{}` was due for review on {review}", r.id),
            )
            .with_help("review the rule with its owner, then move its `review` date on")
        })
    })
}

/// Compilation failed; `diagnostics` holds every error (and the warnings).
///
/// `Display` lists every error, one a line, with its location;
/// [`CompileError::render`] shows them with source excerpts, as the
/// `semaforo` command does. `Debug` names the sources without their text.
#[derive(thiserror::Error)]
pub struct CompileError {
    /// Errors and warnings in a stable order.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources, for rendering.
    pub sources: Sources,
}

impl Compiler {
    /// An empty compiler.
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// Adds a rule source; `name` is used in diagnostics. Sources are
    /// compiled in the order they are added.
    pub fn add_source(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
    ) -> &mut Compiler {
        self.rules.push((name.into(), Arc::from(text.into())));
        self
    }

    /// Supplies the entries of the external list `name`.
    pub fn add_list<I, S>(&mut self, name: impl Into<String>, entries: I) -> &mut Compiler
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = entries.into_iter().map(Into::into).collect();
        self.lists.push((name.into(), Data::Values(values)));
        self
    }

    /// Supplies the external list `name` as the text of a list file (one
    /// entry per line, `#` comments and blank lines skipped; a byte order
    /// mark, a bare carriage return or an invisible character in an entry
    /// is refused, see `docs/language.md`, "External data files").
    pub fn add_list_file(
        &mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        text: impl Into<String>,
    ) -> &mut Compiler {
        self.lists
            .push((name.into(), Data::File(file_name.into(), text.into())));
        self
    }

    /// Supplies the entries of the external table `name`.
    pub fn add_table<I, K, V>(&mut self, name: impl Into<String>, entries: I) -> &mut Compiler
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let values = entries
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.tables.push((name.into(), TableData::Values(values)));
        self
    }

    /// Supplies the rows of the multi-column table `name`: `columns` names
    /// each cell of a row (every declared column once, in any order), and
    /// each row is a key and its cells, `None` for an empty cell.
    ///
    /// ```
    /// let mut c = semaforo::Compiler::new();
    /// c.add_source("rules.sem", r#"
    /// ruleset "demo" version "1"
    /// schema declaration { key id: text
    ///   hs6: text
    ///   unit_price: number }
    /// table value_control: { min: number, max: number }
    /// rule V1 "Below the usual price" {
    ///   when unit_price < lookup(value_control, hs6).min then score 10 }
    /// "#);
    /// c.add_table_rows(
    ///     "value_control",
    ///     ["max", "min"],
    ///     [("640399", vec![Some("80"), Some("12.5")]), ("610910", vec![None, Some("2")])],
    /// );
    /// assert!(c.compile().is_ok());
    /// ```
    pub fn add_table_rows<C, S, I, K, V>(
        &mut self,
        name: impl Into<String>,
        columns: C,
        rows: I,
    ) -> &mut Compiler
    where
        C: IntoIterator<Item = S>,
        S: Into<String>,
        I: IntoIterator<Item = (K, Vec<Option<V>>)>,
        K: Into<String>,
        V: Into<String>,
    {
        let columns = columns.into_iter().map(Into::into).collect();
        let rows = rows
            .into_iter()
            .map(|(k, cells)| {
                (
                    k.into(),
                    cells.into_iter().map(|c| c.map(Into::into)).collect(),
                )
            })
            .collect();
        self.tables
            .push((name.into(), TableData::Rows(columns, rows)));
        self
    }

    /// Supplies the external table `name` as the text of a CSV file: the
    /// header `key,value` for a one-value table, or `key` and each
    /// declared column (any order) for a multi-column table.
    pub fn add_table_file(
        &mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        text: impl Into<String>,
    ) -> &mut Compiler {
        self.tables
            .push((name.into(), TableData::File(file_name.into(), text.into())));
        self
    }

    /// Reports every rule whose profile's `review` date is before `today`
    /// (warning W0008; `semaforo check --deny-warnings` makes it a gate).
    /// Without this call no review date is checked: the library does not
    /// read the clock.
    pub fn review_date(&mut self, today: Date) -> &mut Compiler {
        self.review_date = Some(today);
        self
    }

    /// Parses and checks the rule sources (external data is not needed).
    pub fn check(&self) -> CheckReport {
        let (sources, result, trees) = self.front_end();
        drop_elsewhere(trees);
        match result {
            Ok((_, diagnostics)) | Err(diagnostics) => CheckReport {
                diagnostics,
                sources,
            },
        }
    }

    /// Parses and checks every source; on success the checked program and
    /// the warnings. The syntax trees are handed back for the caller to
    /// free when it suits it ([`drop_elsewhere`]).
    fn front_end(&self) -> (Sources, FrontEnd, Trees) {
        let mut sources = Sources::default();
        let mut files = Vec::new();
        let mut diagnostics = Vec::new();
        for (name, text) in &self.rules {
            // The source is kept once: `sources` and the tree's texts share it.
            let id = sources.add(name.clone(), Arc::clone(text), SourceKind::Rules);
            match semaforo_syntax::parse_shared(text, id) {
                Ok(f) => files.push(f),
                Err(mut d) => diagnostics.append(&mut d),
            }
        }
        if !diagnostics.is_empty() {
            return (sources, Err(diagnostics), files);
        }
        let checked = check(&files);
        let result = match checked.program {
            Some(p) => {
                let mut diagnostics = checked.diagnostics;
                if let Some(today) = self.review_date {
                    let before = diagnostics.len();
                    diagnostics.extend(overdue_reviews(&p, today));
                    if diagnostics.len() > before {
                        diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.code));
                    }
                }
                let mut bad = given_errors(&p);
                if bad.is_empty() {
                    Ok((p, diagnostics))
                } else {
                    diagnostics.append(&mut bad);
                    diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.code));
                    Err(diagnostics)
                }
            }
            None => Err(checked.diagnostics),
        };
        (sources, result, files)
    }

    /// Compiles the sources and external data into a [`Ruleset`].
    pub fn compile(&self) -> Result<Ruleset, CompileError> {
        let (mut sources, result, trees) = self.front_end();
        // The syntax trees are freed once the ruleset is built (or compiling
        // failed), not beside lowering: see `drop_elsewhere`.
        let _trees = DropLater(trees);
        let (program, mut diagnostics) = match result {
            Ok(x) => x,
            Err(diagnostics) => {
                return Err(CompileError {
                    diagnostics,
                    sources,
                });
            }
        };
        let mut externals = Externals::default();
        let mut lists: BTreeMap<String, Vec<Const>> = BTreeMap::new();
        let mut tables: BTreeMap<String, TableRows> = BTreeMap::new();
        let mut errors = Vec::new();

        for (name, data) in &self.lists {
            let entries = match data {
                Data::Values(v) => host_entries(
                    &mut sources,
                    &format!("<list `{name}` given by the host>"),
                    v.iter(),
                    &mut errors,
                ),
                Data::File(file, text) => {
                    let id = sources.add(file.clone(), text.clone(), SourceKind::List);
                    read_list_file(id, text, &mut errors)
                }
            };
            if lists.contains_key(name) {
                errors.push(Diagnostic::error(
                    "E0605",
                    entries.first().map_or(Span::default(), |e| e.span),
                    format!("list `{name}` is supplied twice"),
                ));
                continue;
            }
            // Undeclared lists are passed on as text so that lowering
            // reports them.
            let ty = program
                .lists
                .iter()
                .find(|l| &l.name == name)
                .map_or(semaforo_compile::hir::Scalar::Text, |l| l.elem);
            let mut values = Vec::with_capacity(entries.len());
            for e in &entries {
                match typed(e, ty, &format!("list `{name}`")) {
                    Ok(v) => values.push(v),
                    Err(d) => errors.push(d),
                }
            }
            lists.insert(name.clone(), values);
        }
        for (name, data) in &self.tables {
            // An undeclared table is passed on empty, unread, so that
            // lowering reports it as such (E0504) rather than its file as
            // not matching a declaration it does not have.
            let Some(shape) = program
                .tables
                .iter()
                .find(|t| &t.name == name)
                .map(|t| t.shape.clone())
            else {
                tables.entry(name.clone()).or_insert_with(|| TableRows {
                    columns: 1,
                    ..TableRows::default()
                });
                continue;
            };
            let (names, types, multi): (Vec<&str>, Vec<Scalar>, bool) = match &shape {
                TableShape::Value(v) => (vec!["value"], vec![*v], false),
                TableShape::Columns(c) => (
                    c.iter().map(|(n, _)| n.as_str()).collect(),
                    c.iter().map(|(_, t)| *t).collect(),
                    true,
                ),
            };
            let rows: Vec<TableRow> = match data {
                TableData::Values(v) => {
                    let label = format!("<table `{name}` given by the host>");
                    let flat = host_entries(
                        &mut sources,
                        &label,
                        v.iter().flat_map(|(k, v)| [k, v]),
                        &mut errors,
                    );
                    if multi {
                        errors.push(Diagnostic::error(
                            "E0602",
                            flat.first().map_or(Span::default(), |e| e.span),
                            format!(
                                "table `{name}` has columns (`{}`): supply its rows with `add_table_rows` or a CSV file",
                                names.join("`, `")
                            ),
                        ));
                        continue;
                    }
                    flat.chunks_exact(2)
                        .filter_map(|p| match p {
                            [k, v] => Some((k.clone(), vec![Some(v.clone())])),
                            _ => None,
                        })
                        .collect()
                }
                TableData::Rows(columns, v) => {
                    let label = format!("<table `{name}` given by the host>");
                    match host_rows(&mut sources, &label, columns, v, &names, &mut errors) {
                        Some(rows) => rows,
                        None => continue,
                    }
                }
                TableData::File(file, text) => {
                    let id = sources.add(file.clone(), text.clone(), SourceKind::Table);
                    match read_table_file(id, text, &names, multi) {
                        Ok(e) => e,
                        Err(mut d) => {
                            errors.append(&mut d);
                            continue;
                        }
                    }
                }
            };
            if tables.contains_key(name) {
                errors.push(Diagnostic::error(
                    "E0605",
                    rows.first().map_or(Span::default(), |e| e.0.span),
                    format!("table `{name}` is supplied twice"),
                ));
                continue;
            }
            let mut out = TableRows {
                columns: types.len(),
                keys: Vec::with_capacity(rows.len()),
                cells: Vec::with_capacity(rows.len() * types.len()),
            };
            for (k, cells) in &rows {
                let mut typed_cells = Vec::with_capacity(cells.len());
                let mut ok = true;
                for ((cell, &ty), col) in cells.iter().zip(&types).zip(&names) {
                    let Some(cell) = cell else {
                        typed_cells.push(None);
                        continue;
                    };
                    let what = if multi {
                        format!("table `{name}`, key `{}`, column `{col}`", k.text)
                    } else {
                        format!("table `{name}`, key `{}`", k.text)
                    };
                    match typed(cell, ty, &what) {
                        Ok(c) => typed_cells.push(Some(c)),
                        Err(d) => {
                            errors.push(d);
                            ok = false;
                        }
                    }
                }
                if ok {
                    out.keys.push(k.text.clone());
                    out.cells.extend(typed_cells);
                }
            }
            tables.insert(name.clone(), out);
        }
        if !errors.is_empty() {
            diagnostics.append(&mut errors);
            return Err(CompileError {
                diagnostics,
                sources,
            });
        }
        externals.lists = lists.into_iter().collect();
        externals.tables = tables.into_iter().collect();
        // The fingerprint hashes every source byte; for a large ruleset it
        // is computed on a second thread while the program is lowered.
        let texts = || self.rules.iter().map(|(_, t)| &**t);
        let print = || fingerprint(texts(), &externals.lists, &externals.tables);
        let large = texts().map(str::len).sum::<usize>() >= FINGERPRINT_THREAD_BYTES;
        let (lowered, fp) = std::thread::scope(|scope| {
            let handle = large
                .then(|| {
                    std::thread::Builder::new()
                        .name("semaforo-fingerprint".into())
                        .spawn_scoped(scope, print)
                        .ok()
                })
                .flatten();
            let lowered = lower(&program, &externals);
            let fp = match handle.map(|h| h.join()) {
                Some(Ok(fp)) => fp,
                Some(Err(payload)) => std::panic::resume_unwind(payload),
                None => print(),
            };
            (lowered, fp)
        });
        let plan = match lowered {
            Ok(p) => p,
            Err(mut d) => {
                diagnostics.append(&mut d);
                return Err(CompileError {
                    diagnostics,
                    sources,
                });
            }
        };
        Ok(Ruleset::new(
            plan,
            program,
            externals,
            fp,
            diagnostics,
            sources,
        ))
    }
}

/// From how many bytes of rule source the fingerprint is computed on a
/// second thread (below this, hashing takes less than starting a thread).
const FINGERPRINT_THREAD_BYTES: usize = 256 * 1024;

/// Binds every test's `given` object against the schema, so that `check`
/// reports a test whose declaration could never be evaluated (E0413).
fn given_errors(program: &Program) -> Vec<Diagnostic> {
    let mut binder = semaforo_plan::json::JsonBinder::default();
    let mut decl = semaforo_plan::Declaration::new(&program.layout);
    let mut out = Vec::new();
    for t in &program.tests {
        if let Err(e) = binder.bind(&program.layout, t.given.as_bytes(), &mut decl) {
            let at = t
                .given_span
                .start
                .saturating_add(e.offset as u32)
                .min(t.given_span.end);
            let span = Span::new(
                t.given_span.file,
                at,
                at.saturating_add(1).min(t.given_span.end).max(at),
            );
            out.push(
                Diagnostic::error(
                    "E0413",
                    span,
                    format!(
                        "the `given` declaration of test `{}` does not match the schema: {e}",
                        t.name
                    ),
                )
                .with_label(t.given_span, "this declaration")
                .with_help("a test's declaration is bound exactly like input to `semaforo eval`"),
            );
        }
    }
    out
}

/// Registers values given through the API as a pseudo-source (one value per
/// line) so that diagnostics about them can point at the value. A value
/// with a character that data files may not hold (see `externals`) is
/// reported in `errors`.
fn host_entries<'a>(
    sources: &mut Sources,
    label: &str,
    values: impl Iterator<Item = &'a String>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<RawEntry> {
    let mut text = String::new();
    let mut spans = Vec::new();
    for v in values {
        let start = text.len() as u32;
        text.push_str(v);
        spans.push((v.clone(), start, text.len() as u32));
        text.push('\n');
    }
    let id: FileId = sources.add(label.to_string(), text, SourceKind::List);
    spans
        .into_iter()
        .map(|(t, s, e)| {
            if let Err(d) = check_entry(id, s as usize, &t) {
                errors.push(d);
            }
            RawEntry {
                text: t,
                span: Span::new(id, s, e),
            }
        })
        .collect()
}

/// Rows of a multi-column table given through the API, in the declared
/// column order (registered as a pseudo-source, one cell per line, so that
/// diagnostics can point at a cell). `None` (reported) if the host's
/// columns are not the declared ones, or a row has the wrong length.
fn host_rows(
    sources: &mut Sources,
    label: &str,
    columns: &[String],
    rows: &[(String, Vec<Option<String>>)],
    declared: &[&str],
    errors: &mut Vec<Diagnostic>,
) -> Option<Vec<TableRow>> {
    let mut order = Vec::with_capacity(columns.len());
    for c in columns {
        order.push(declared.iter().position(|d| d == c));
    }
    let mut sorted = order.clone();
    sorted.sort();
    sorted.dedup();
    if order.iter().any(Option::is_none)
        || sorted.len() != declared.len()
        || order.len() != declared.len()
    {
        errors.push(Diagnostic::error(
            "E0602",
            Span::default(),
            format!(
                "{label}: the columns `{}` are not the declared columns `{}`",
                columns.join(","),
                declared.join(",")
            ),
        ));
        return None;
    }
    let empty = String::new();
    let flat = host_entries(
        sources,
        label,
        rows.iter().flat_map(|(k, cells)| {
            std::iter::once(k).chain(cells.iter().map(|c| c.as_ref().unwrap_or(&empty)))
        }),
        errors,
    );
    let mut entries = flat.into_iter();
    let mut out = Vec::with_capacity(rows.len());
    for (k, cells) in rows {
        let key = entries.next()?;
        if cells.len() != declared.len() {
            errors.push(Diagnostic::error(
                "E0603",
                key.span,
                format!(
                    "{label}: key `{k}` has {} cells, expected {}",
                    cells.len(),
                    declared.len()
                ),
            ));
            for _ in cells {
                entries.next();
            }
            continue;
        }
        let mut row: Vec<Option<RawEntry>> = vec![None; declared.len()];
        for (cell, slot) in cells.iter().zip(&order) {
            let e = entries.next()?;
            if let (Some(_), Some(i)) = (cell, slot)
                && let Some(r) = row.get_mut(*i)
            {
                *r = Some(e);
            }
        }
        out.push((key, row));
    }
    Some(out)
}

/// Syntax trees dropped with [`drop_elsewhere`] when this goes out of
/// scope: at the end of [`Compiler::compile`], on every return.
struct DropLater(Trees);

impl Drop for DropLater {
    fn drop(&mut self) {
        drop_elsewhere(std::mem::take(&mut self.0));
    }
}

/// Drops the syntax trees on a short-lived thread: freeing a large
/// ruleset's tree (hundreds of thousands of nodes) takes as long as
/// checking it, and nothing waits for it. If no thread can be started,
/// the trees are dropped here.
///
/// `Compiler::compile` calls it once the ruleset is built. Freeing the
/// trees while the program was lowered made lowering slower than the
/// freeing saved: on two cores both threads take the allocator's lock
/// for every block, and lowering allocates as much as freeing frees
/// (10,000 rules: 139 ms a compile with the trees freed beside lowering,
/// 96 ms with them freed after; `docs/performance.md`, "Compile time").
/// The trees stay in memory until then, about 4 KB a rule.
fn drop_elsewhere(files: Vec<semaforo_syntax::ast::SourceFile>) {
    // Small rulesets are not worth a thread.
    const WORTH_A_THREAD: usize = 500;
    let items: usize = files.iter().map(|f| f.items.len()).sum();
    if items < WORTH_A_THREAD {
        return;
    }
    // On failure `spawn` drops the closure, and with it the trees.
    let _ = std::thread::Builder::new()
        .name("semaforo-drop-ast".into())
        .spawn(move || drop(files));
}
