//! Compiling sources and external data into a [`Ruleset`].

use crate::externals::{RawEntry, check_entry, read_list_file, read_table_file, typed};
use crate::fingerprint::fingerprint;
use crate::ruleset::Ruleset;
use crate::source::{SourceKind, Sources};
use semaforo_compile::check::check;
use semaforo_compile::hir::{Const, Program};
use semaforo_compile::lower::{Externals, lower};
use semaforo_syntax::{Diagnostic, FileId, Span};
use std::collections::BTreeMap;

/// The checked program with its warnings, or every diagnostic.
type FrontEnd = Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>>;

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
    rules: Vec<(String, String)>,
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
        self.rules.push((name.into(), text.into()));
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

    /// Supplies the external table `name` as the text of a CSV file with the
    /// header `key,value`.
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

    /// Parses and checks the rule sources (external data is not needed).
    pub fn check(&self) -> CheckReport {
        let (sources, result) = self.front_end();
        match result {
            Ok((_, diagnostics)) | Err(diagnostics) => CheckReport {
                diagnostics,
                sources,
            },
        }
    }

    /// Parses and checks every source; on success the checked program and
    /// the warnings.
    fn front_end(&self) -> (Sources, FrontEnd) {
        let mut sources = Sources::default();
        let mut files = Vec::new();
        let mut diagnostics = Vec::new();
        for (name, text) in &self.rules {
            let id = sources.add(name.clone(), text.clone(), SourceKind::Rules);
            match semaforo_syntax::parse(text, id) {
                Ok(f) => files.push(f),
                Err(mut d) => diagnostics.append(&mut d),
            }
        }
        if !diagnostics.is_empty() {
            return (sources, Err(diagnostics));
        }
        let checked = check(&files);
        drop_elsewhere(files);
        let result = match checked.program {
            Some(p) => {
                let mut diagnostics = checked.diagnostics;
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
        (sources, result)
    }

    /// Compiles the sources and external data into a [`Ruleset`].
    pub fn compile(&self) -> Result<Ruleset, CompileError> {
        let (mut sources, result) = self.front_end();
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
        let mut tables: BTreeMap<String, Vec<(String, Const)>> = BTreeMap::new();
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
            let entries = match data {
                TableData::Values(v) => {
                    let label = format!("<table `{name}` given by the host>");
                    let flat = host_entries(
                        &mut sources,
                        &label,
                        v.iter().flat_map(|(k, v)| [k, v]),
                        &mut errors,
                    );
                    flat.chunks_exact(2)
                        .filter_map(|p| match p {
                            [k, v] => Some((k.clone(), v.clone())),
                            _ => None,
                        })
                        .collect()
                }
                TableData::File(file, text) => {
                    let id = sources.add(file.clone(), text.clone(), SourceKind::Table);
                    match read_table_file(id, text) {
                        Ok(e) => e,
                        Err(d) => {
                            errors.push(d);
                            continue;
                        }
                    }
                }
            };
            if tables.contains_key(name) {
                errors.push(Diagnostic::error(
                    "E0605",
                    entries.first().map_or(Span::default(), |e| e.0.span),
                    format!("table `{name}` is supplied twice"),
                ));
                continue;
            }
            let ty = program
                .tables
                .iter()
                .find(|t| &t.name == name)
                .map_or(semaforo_compile::hir::Scalar::Text, |t| t.value);
            let mut values = Vec::with_capacity(entries.len());
            for (k, v) in &entries {
                match typed(v, ty, &format!("table `{name}`, key `{}`", k.text)) {
                    Ok(c) => values.push((k.text.clone(), c)),
                    Err(d) => errors.push(d),
                }
            }
            tables.insert(name.clone(), values);
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
        let texts = || self.rules.iter().map(|(_, t)| t.as_str());
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

/// Drops the syntax trees on a short-lived thread: freeing a large
/// ruleset's tree (hundreds of thousands of nodes) takes as long as
/// checking it, and nothing waits for it. If no thread can be started,
/// the trees are dropped here.
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
