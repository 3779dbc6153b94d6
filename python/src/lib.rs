//! `semaforo._semaforo`: the native half of the Python package.
//!
//! The Python package (`python/semaforo/__init__.py`) normalises arguments
//! (paths, dates, keys, pandas and polars frames) and calls this module,
//! which works through the `semaforo` facade only: [`semaforo::Compiler`]
//! to compile, a [`semaforo::Declaration`] filled by field handle from a
//! `dict` or from Arrow columns (or the facade's JSON binder for JSON
//! text), [`semaforo::Ruleset::evaluate`], and
//! [`semaforo::Ruleset::explain`].
//!
//! Every error is a Python exception: `CompileError` (its text the rendered
//! diagnostics), `InputError` (a declaration, or a column, that cannot be
//! read; the message names the field path, the row or the column) and
//! `EvaluationError` (the evaluator hit a limit). Evaluation of a table
//! runs without the GIL. Nothing here panics on input: the crate denies
//! `unwrap`, `expect`, `panic` and indexing.

mod arrow_in;
mod arrow_out;
mod bind;

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, Table};
use arrow_schema::ArrowError;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use semaforo::{
    Compiler, Context, Date, Evaluator, FieldType, InputError as FacadeInputError, Outcome,
    SamplingKey, SchemaField,
};
use std::collections::HashMap;

create_exception!(
    semaforo,
    SemaforoError,
    PyException,
    "Base class of every error the semaforo package raises."
);
create_exception!(
    semaforo,
    CompileError,
    SemaforoError,
    "The rules or their external data could not be compiled; the message is the rendered diagnostics."
);
create_exception!(
    semaforo,
    InputError,
    SemaforoError,
    "A declaration (or a column of a table) could not be read; the message names where."
);
create_exception!(
    semaforo,
    EvaluationError,
    SemaforoError,
    "The evaluator hit a limit on a declaration; route it to manual selection."
);

/// The error for a declaration that could not be bound or evaluated.
fn input_error(e: FacadeInputError) -> PyErr {
    match e {
        FacadeInputError::Eval(e) => EvaluationError::new_err(e.to_string()),
        e => InputError::new_err(e.to_string()),
    }
}

/// The evaluation context: `today` as `YYYY-MM-DD`, the 16-byte key and
/// its label.
fn context(today: &str, key: &[u8], key_id: &str) -> PyResult<Context> {
    let today = Date::parse(today)
        .ok_or_else(|| PyValueError::new_err(format!("`today`: invalid date `{today}`")))?;
    let key: [u8; 16] = key
        .try_into()
        .map_err(|_| PyValueError::new_err("the sampling key must be exactly 16 bytes"))?;
    Ok(Context::new(today, SamplingKey(key), key_id))
}

/// Compiles rule sources and external data (already read by the Python
/// side) into a ruleset.
#[pyfunction]
#[pyo3(signature = (sources, list_files, lists, table_files, tables, table_rows))]
#[allow(clippy::type_complexity)]
fn compile(
    py: Python<'_>,
    sources: Vec<(String, String)>,
    list_files: Vec<(String, String, String)>,
    lists: Vec<(String, Vec<String>)>,
    table_files: Vec<(String, String, String)>,
    tables: Vec<(String, Vec<(String, String)>)>,
    table_rows: Vec<(String, Vec<String>, Vec<(String, Vec<Option<String>>)>)>,
) -> PyResult<NativeRuleset> {
    let result = py.detach(move || {
        let mut c = Compiler::new();
        for (name, text) in sources {
            c.add_source(name, text);
        }
        for (name, file, text) in list_files {
            c.add_list_file(name, file, text);
        }
        for (name, entries) in lists {
            c.add_list(name, entries);
        }
        for (name, file, text) in table_files {
            c.add_table_file(name, file, text);
        }
        for (name, entries) in tables {
            c.add_table(name, entries);
        }
        for (name, columns, rows) in table_rows {
            c.add_table_rows(name, columns, rows);
        }
        c.compile()
    });
    match result {
        Ok(ruleset) => {
            let plan = bind::plan(&ruleset).map_err(InputError::new_err)?;
            Ok(NativeRuleset { ruleset, plan })
        }
        Err(e) => {
            let rendered = e.render(false);
            let summary = semaforo::render::summary(&e.diagnostics);
            let json = semaforo::render::render_json(&e.diagnostics, &e.sources);
            let err = CompileError::new_err(format!(
                "{}error: could not compile the ruleset: {summary}",
                rendered
            ));
            // The diagnostics as data too, one dict each (the JSON the
            // `semaforo check --format json` command prints).
            let loads = py.import("json")?.getattr("loads")?;
            let list = PyList::empty(py);
            for line in json.lines().filter(|l| !l.is_empty()) {
                list.append(loads.call1((line,))?)?;
            }
            let value = err.value(py);
            value.setattr("diagnostics", list)?;
            value.setattr("rendered", rendered)?;
            Err(err)
        }
    }
}

/// A compiled ruleset and its schema resolved to field handles.
#[pyclass(frozen, module = "semaforo._semaforo")]
struct NativeRuleset {
    ruleset: semaforo::Ruleset,
    plan: bind::RecordPlan,
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Bool => "bool",
        FieldType::Date => "date",
        FieldType::List(_) => "list",
    }
}

fn field_dict<'py>(py: Python<'py>, f: &SchemaField<'_>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", f.name())?;
    d.set_item("type", type_name(f.field_type()))?;
    d.set_item("optional", f.is_optional())?;
    if let FieldType::List(_) = f.field_type() {
        let fields = PyList::empty(py);
        for c in f.element_fields() {
            fields.append(field_dict(py, &c)?)?;
        }
        d.set_item("fields", fields)?;
    }
    Ok(d)
}

#[pymethods]
impl NativeRuleset {
    #[getter]
    fn name(&self) -> &str {
        self.ruleset.name()
    }

    #[getter]
    fn version(&self) -> &str {
        self.ruleset.version()
    }

    #[getter]
    fn fingerprint(&self) -> &str {
        self.ruleset.fingerprint_hex()
    }

    #[getter]
    fn key_field(&self) -> &str {
        self.ruleset.key_field()
    }

    #[getter]
    fn lanes(&self) -> Vec<String> {
        self.ruleset.lanes().iter().map(|l| l.to_string()).collect()
    }

    /// The ids of the rules the rule index never skips (evaluated for
    /// every declaration), in ruleset order.
    fn unindexed_rules(&self) -> Vec<String> {
        self.ruleset.unindexed_rules().map(str::to_string).collect()
    }

    /// Every rule, in ruleset order, as dicts.
    fn rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let lanes = self.ruleset.lanes();
        let out = PyList::empty(py);
        for r in self.ruleset.rules() {
            let d = PyDict::new(py);
            d.set_item("id", r.id)?;
            d.set_item("title", r.title)?;
            d.set_item(
                "lane",
                r.lane
                    .and_then(|l| lanes.get(usize::from(l)).map(|l| l.to_string())),
            )?;
            d.set_item("score", r.score)?;
            d.set_item("monitor", r.monitor)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The schema's fields, as dicts (`name`, `type`, `optional`, and
    /// `fields` for a list of records).
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for f in self.ruleset.fields() {
            out.append(field_dict(py, &f)?)?;
        }
        Ok(out)
    }

    /// The compiler's warnings, rendered; empty without any.
    fn warnings(&self) -> String {
        let w = self.ruleset.warnings();
        if w.is_empty() {
            String::new()
        } else {
            semaforo::render::render_text(w, self.ruleset.sources(), false)
        }
    }

    /// Evaluates one declaration (a dict, or JSON as str or bytes) and
    /// returns its outcome as the JSON line `semaforo eval` writes.
    fn evaluate(
        &self,
        py: Python<'_>,
        decl: &Bound<'_, PyAny>,
        today: &str,
        key: &[u8],
        key_id: &str,
    ) -> PyResult<String> {
        let ctx = context(today, key, key_id)?;
        let mut ev = self.ruleset.evaluator();
        self.bind(py, decl, &mut ev)?;
        let view = ev.eval(&ctx).map_err(input_error)?;
        let mut out = String::new();
        view.write_json(&mut out);
        Ok(out)
    }

    /// Explains one declaration as text; refuses an explanation whose
    /// verdict is not the evaluator's.
    #[pyo3(signature = (decl, today, key, key_id, all=false))]
    fn explain(
        &self,
        py: Python<'_>,
        decl: &Bound<'_, PyAny>,
        today: &str,
        key: &[u8],
        key_id: &str,
        all: bool,
    ) -> PyResult<String> {
        let ctx = context(today, key, key_id)?;
        let mut ev = self.ruleset.evaluator();
        self.bind(py, decl, &mut ev)?;
        ev.declaration().validate().map_err(input_error)?;
        let e = self.ruleset.explain(ev.declaration(), &ctx);
        if !e.verdict_agrees {
            return Err(EvaluationError::new_err(
                "the explanation's verdict differs from the evaluator's (a bug in the engine): not shown",
            ));
        }
        Ok(e.render_text(all))
    }

    /// Evaluates every row of an Arrow stream (anything with
    /// `__arrow_c_stream__`: a pyarrow Table or RecordBatchReader, a polars
    /// DataFrame) in slices of at most `batch_size` rows, on `threads`
    /// threads (0: one per core) without the GIL; returns a pyarrow Table
    /// with one outcome row per input row, in input order.
    #[pyo3(signature = (data, today, key, key_id, batch_size=65_536, threads=1))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        today: &str,
        key: &[u8],
        key_id: &str,
        batch_size: usize,
        threads: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if batch_size == 0 {
            return Err(PyValueError::new_err("`batch_size` must be at least 1"));
        }
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let ctx = context(today, key, key_id)?;
        let reader = arrow_array::ffi_stream::RecordBatchStreamReader::from_pyarrow_bound(data)?;
        let schema = arrow_out::schema(self.metadata(&ctx));
        // One set of buffers per thread, reused for every slice.
        let mut evs: Vec<Eval> = (0..threads).map(|_| Eval::new(&self.ruleset)).collect();
        let mut out = Vec::new();
        let mut row_base = 0usize;
        // Batches are pulled from the stream with the GIL held (a producer
        // may be Python code); only evaluation runs without it.
        for batch in reader {
            let batch = batch.map_err(arrow_error)?;
            let n = batch.num_rows();
            // Enough slices for every thread to have one.
            let size = batch_size.min(n.div_ceil(threads)).max(1);
            let slices: Vec<(usize, RecordBatch)> = (0..n)
                .step_by(size)
                .map(|off| (row_base + off, batch.slice(off, size.min(n - off))))
                .collect();
            for group in slices.chunks(threads) {
                let done = py.detach(|| self.run_group(group, &mut evs, &ctx, &schema));
                for r in done {
                    out.push(r.map_err(InputError::new_err)?);
                }
            }
            row_base += n;
        }
        Table::try_new(out, schema)
            .map_err(arrow_error)?
            .into_pyarrow(py)
    }
}

fn arrow_error(e: ArrowError) -> PyErr {
    InputError::new_err(format!("reading the Arrow data: {e}"))
}

impl NativeRuleset {
    /// Evaluates up to one slice per thread, in parallel; results in the
    /// slices' order. A thread that panicked (a bug, never input) is an
    /// error for its slice, not a crash of the interpreter.
    fn run_group(
        &self,
        group: &[(usize, RecordBatch)],
        evs: &mut [Eval],
        ctx: &Context,
        schema: &arrow_schema::SchemaRef,
    ) -> Vec<Result<RecordBatch, String>> {
        if let ([(base, slice)], [ev, ..]) = (group, &mut *evs) {
            return vec![ev.batch(&self.plan, slice, ctx, *base, schema.clone())];
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = group
                .iter()
                .zip(evs.iter_mut())
                .map(|((base, slice), ev)| {
                    scope.spawn(move || ev.batch(&self.plan, slice, ctx, *base, schema.clone()))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err("an evaluation thread failed (a bug in the engine)".to_string())
                    })
                })
                .collect()
        })
    }

    /// Binds a dict, or JSON text, into the evaluator's buffer.
    fn bind(&self, _py: Python<'_>, decl: &Bound<'_, PyAny>, ev: &mut Evaluator) -> PyResult<()> {
        if let Ok(d) = decl.cast::<PyDict>() {
            return bind::bind_dict(&self.plan, d.as_any(), ev.declaration_mut())
                .map_err(InputError::new_err);
        }
        let bytes: Vec<u8> = if let Ok(s) = decl.cast::<PyString>() {
            s.to_str()?.as_bytes().to_vec()
        } else if let Ok(b) = decl.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            return Err(InputError::new_err(format!(
                "expected a dict or JSON (str or bytes), found {}",
                bind::type_name(decl)
            )));
        };
        let mut binder = semaforo::JsonBinder::default();
        let (rs, d) = (self.ruleset.clone(), ev.declaration_mut());
        rs.bind_json(&mut binder, &bytes, d).map_err(input_error)
    }

    /// The ruleset and context, for an output table's schema metadata.
    fn metadata(&self, ctx: &Context) -> HashMap<String, String> {
        HashMap::from([
            ("semaforo.ruleset.name".into(), self.ruleset.name().into()),
            (
                "semaforo.ruleset.version".into(),
                self.ruleset.version().into(),
            ),
            (
                "semaforo.ruleset.fingerprint".into(),
                self.ruleset.fingerprint_hex().into(),
            ),
            (
                "semaforo.engine".into(),
                semaforo::ENGINE_VERSION.to_string(),
            ),
            ("semaforo.today".into(), ctx.today.to_string()),
            (
                "semaforo.sampling_key_id".into(),
                ctx.sampling_key_id.clone(),
            ),
        ])
    }
}

/// One thread's buffers for evaluating batches.
struct Eval {
    ruleset: semaforo::Ruleset,
    decl: semaforo::Declaration,
    scratch: semaforo::Scratch,
    outcome: Outcome,
}

impl Eval {
    fn new(ruleset: &semaforo::Ruleset) -> Eval {
        Eval {
            ruleset: ruleset.clone(),
            decl: ruleset.new_declaration(),
            scratch: ruleset.new_scratch(),
            outcome: Outcome::default(),
        }
    }

    /// Binds and evaluates every row of `batch`; a row that cannot be read
    /// gets its error, a column that cannot be read fails the call.
    fn batch(
        &mut self,
        plan: &bind::RecordPlan,
        batch: &RecordBatch,
        ctx: &Context,
        row_base: usize,
        schema: arrow_schema::SchemaRef,
    ) -> Result<RecordBatch, String> {
        let column = |name: &str| batch.column_by_name(name).map(|c| &**c);
        let binders =
            arrow_in::binders(plan, &column, Some(self.ruleset.key_field()), "the table ")?;
        let mut out = arrow_out::Outcomes::new();
        let root_path = arrow_in::root_path();
        for row in 0..batch.num_rows() {
            self.decl.clear();
            let root = self.decl.root();
            let bound = arrow_in::bind_row(&binders, &mut self.decl, root, row, &root_path)
                .and_then(|()| self.decl.validate().map_err(|e| e.to_string()));
            let result = bound.and_then(|()| {
                self.ruleset
                    .evaluate(&self.decl, ctx, &mut self.scratch, &mut self.outcome)
                    .map_err(|e| e.to_string())
            });
            match result {
                Ok(()) => out.push(&self.ruleset.view(&self.decl, ctx, &self.outcome))?,
                Err(e) => {
                    let key = self.decl.key();
                    let id = (!key.is_empty()).then_some(key);
                    out.push_error(id, &format!("row {}: {e}", row_base + row));
                }
            }
        }
        out.finish(schema)
    }
}

#[pymodule]
fn _semaforo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SemaforoError", py.get_type::<SemaforoError>())?;
    m.add("CompileError", py.get_type::<CompileError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("EvaluationError", py.get_type::<EvaluationError>())?;
    m.add("ENGINE_VERSION", semaforo::ENGINE_VERSION)?;
    m.add_class::<NativeRuleset>()?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    Ok(())
}
