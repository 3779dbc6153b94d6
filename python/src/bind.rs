//! The schema as a tree of resolved field handles, and binding a Python
//! `dict` into a declaration through them (no JSON in between).
//!
//! Python values are read exactly or refused: `bool` is never a number,
//! a `float` is read through its shortest decimal text (what `repr` shows),
//! a `datetime` is not a date, `None` is *missing* for an optional field and
//! an error for a required one. Keys the schema does not name are ignored,
//! as the JSON binder ignores unknown members.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyString};
use semaforo::{Date, Decimal, Declaration, Element, FieldHandle, FieldType, Ruleset, SchemaField};

/// How deep list fields are followed when the schema's record types nest
/// recursively (a record holding a list of its own type). Deeper data is
/// refused with an error naming the path, never dropped.
const MAX_LIST_DEPTH: usize = 8;

/// What kind of value a field holds.
#[derive(Debug)]
pub(crate) enum Kind {
    Text,
    Number,
    Bool,
    Date,
    /// A list of records, with the fields of its records.
    List(RecordPlan),
    /// A list nested deeper than [`MAX_LIST_DEPTH`].
    TooDeep,
}

/// One field: its name, handle and kind.
#[derive(Debug)]
pub(crate) struct FieldPlan {
    pub(crate) name: String,
    /// The dotted path (`items.hs`), for messages.
    pub(crate) path: String,
    pub(crate) handle: FieldHandle,
    pub(crate) optional: bool,
    pub(crate) kind: Kind,
}

/// The fields of one record type (the declaration, or a list's records).
#[derive(Debug, Default)]
pub(crate) struct RecordPlan {
    pub(crate) fields: Vec<FieldPlan>,
}

impl Kind {
    /// The schema's name of the kind, for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Date => "date",
            Kind::List(_) | Kind::TooDeep => "list",
        }
    }
}

/// Resolves every field of the schema once, by path.
pub(crate) fn plan(ruleset: &Ruleset) -> Result<RecordPlan, String> {
    let fields: Vec<SchemaField<'_>> = ruleset.fields().collect();
    record_plan(ruleset, &fields, "", 0)
}

fn record_plan(
    ruleset: &Ruleset,
    fields: &[SchemaField<'_>],
    prefix: &str,
    depth: usize,
) -> Result<RecordPlan, String> {
    let mut out = RecordPlan::default();
    for f in fields {
        let path = if prefix.is_empty() {
            f.name().to_string()
        } else {
            format!("{prefix}.{}", f.name())
        };
        let handle = ruleset.field(&path).map_err(|e| e.to_string())?;
        let kind = match f.field_type() {
            FieldType::Text => Kind::Text,
            FieldType::Number => Kind::Number,
            FieldType::Bool => Kind::Bool,
            FieldType::Date => Kind::Date,
            FieldType::List(_) if depth >= MAX_LIST_DEPTH => Kind::TooDeep,
            FieldType::List(_) => {
                let children: Vec<SchemaField<'_>> = f.element_fields().collect();
                Kind::List(record_plan(ruleset, &children, &path, depth + 1)?)
            }
        };
        out.fields.push(FieldPlan {
            name: f.name().to_string(),
            path,
            handle,
            optional: f.is_optional(),
            kind,
        });
    }
    Ok(out)
}

/// A scalar value ready for a setter.
pub(crate) enum Value<'a> {
    Text(&'a str),
    Number(Decimal),
    Bool(bool),
    Date(Date),
}

/// Stores a scalar into a field; the message names the field.
pub(crate) fn set(
    decl: &mut Declaration,
    at: Element,
    h: FieldHandle,
    v: Value<'_>,
) -> Result<(), String> {
    let r = match v {
        Value::Text(s) => decl.set_text(at, h, s),
        Value::Number(n) => decl.set_number(at, h, n),
        Value::Bool(b) => decl.set_bool(at, h, b),
        Value::Date(d) => decl.set_date(at, h, d),
    };
    r.map_err(|e| e.to_string())
}

/// Reads a number written in decimal text exactly (JSON syntax, more
/// than six fractional digits rounded half to even, as the JSON binder
/// does).
pub(crate) fn number_from_text(text: &str) -> Result<Decimal, String> {
    Decimal::parse(text)
        .map(|p| p.value)
        .map_err(|e| format!("`{text}`: {e}"))
}

/// Reads a float through its shortest decimal text (`0.1` is 0.1, as
/// Python's `repr` and JSON show it); NaN and infinities are refused.
pub(crate) fn number_from_f64(v: f64) -> Result<Decimal, String> {
    if v.is_finite() {
        number_from_text(&format!("{v}"))
    } else {
        Err(format!("`{v}` is not a number a rule can compare"))
    }
}

/// A path inside a declaration, as the JSON binder writes it
/// (`items[3].net_kg`).
pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Binds a Python mapping into `decl` (cleared first), then validates.
pub(crate) fn bind_dict(
    plan: &RecordPlan,
    obj: &Bound<'_, PyAny>,
    decl: &mut Declaration,
) -> Result<(), String> {
    decl.clear();
    let root = decl.root();
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| format!("expected a dict, found {}", type_name(obj)))?;
    bind_record(plan, dict, decl, root, "")?;
    decl.validate().map_err(|e| e.to_string())
}

fn bind_record(
    plan: &RecordPlan,
    dict: &Bound<'_, PyDict>,
    decl: &mut Declaration,
    at: Element,
    prefix: &str,
) -> Result<(), String> {
    for f in &plan.fields {
        let Some(v) = dict.get_item(&f.name).map_err(|e| e.to_string())? else {
            // Absent: `validate` reports a required field by path.
            continue;
        };
        let path = || join(prefix, &f.name);
        if v.is_none() {
            if f.optional {
                decl.set_missing(at, f.handle).map_err(|e| e.to_string())?;
                continue;
            }
            return Err(format!(
                "{}: expected {}, found None",
                path(),
                f.kind.name()
            ));
        }
        match &f.kind {
            Kind::List(rec) => {
                let list = v
                    .try_iter()
                    .map_err(|_| format!("{}: expected list, found {}", path(), type_name(&v)))?;
                if v.is_instance_of::<PyString>() || v.is_instance_of::<PyDict>() {
                    return Err(format!(
                        "{}: expected list, found {}",
                        path(),
                        type_name(&v)
                    ));
                }
                decl.start_list(at, f.handle).map_err(|e| e.to_string())?;
                for (i, item) in list.enumerate() {
                    let item = item.map_err(|e| e.to_string())?;
                    let here = format!("{}[{i}]", path());
                    let d = item.cast::<PyDict>().map_err(|_| {
                        format!("{here}: expected object, found {}", type_name(&item))
                    })?;
                    let el = decl.push(at, f.handle).map_err(|e| e.to_string())?;
                    bind_record(rec, d, decl, el, &here)?;
                }
            }
            Kind::TooDeep => {
                return Err(format!(
                    "{}: lists nested more than {MAX_LIST_DEPTH} levels deep are not supported",
                    path()
                ));
            }
            scalar => {
                let value = scalar_from_py(scalar, &v).map_err(|e| format!("{}: {e}", path()))?;
                set(decl, at, f.handle, value).map_err(|e| format!("{}: {e}", path()))?;
            }
        }
    }
    Ok(())
}

/// Converts a Python scalar to the field's kind, exactly, or says why not.
fn scalar_from_py<'a>(kind: &Kind, v: &'a Bound<'_, PyAny>) -> Result<Value<'a>, String> {
    let wrong = || format!("expected {}, found {}", kind.name(), type_name(v));
    match kind {
        Kind::Text => {
            let s = v.cast::<PyString>().map_err(|_| wrong())?;
            // A str that is not valid UTF-8 (a lone surrogate) is refused.
            let s = s.to_str().map_err(|e| e.to_string())?;
            Ok(Value::Text(s))
        }
        Kind::Bool => {
            let b = v.cast::<PyBool>().map_err(|_| wrong())?;
            Ok(Value::Bool(b.is_true()))
        }
        Kind::Number => {
            if v.is_instance_of::<PyBool>() {
                return Err(wrong());
            }
            if v.is_instance_of::<PyInt>() {
                let text = v.str().map_err(|e| e.to_string())?;
                return number_from_text(text.to_str().map_err(|e| e.to_string())?)
                    .map(Value::Number);
            }
            if let Ok(f) = v.cast::<PyFloat>() {
                return number_from_f64(f.value()).map(Value::Number);
            }
            // decimal.Decimal: its text is exact.
            let ty = v.get_type();
            let qual = ty.name().map(|n| n.to_string()).unwrap_or_default();
            if qual == "Decimal" {
                let text = v.str().map_err(|e| e.to_string())?;
                return number_from_text(text.to_str().map_err(|e| e.to_string())?)
                    .map(Value::Number);
            }
            Err(wrong())
        }
        Kind::Date => {
            if v.is_instance_of::<PyDateTime>() {
                return Err(
                    "expected date, found datetime (a date has no time of day: pass `.date()`)"
                        .to_string(),
                );
            }
            if let Ok(d) = v.cast::<PyDate>() {
                let part = |name: &str| -> Result<u32, String> {
                    d.getattr(name)
                        .and_then(|v| v.extract::<u32>())
                        .map_err(|e| e.to_string())
                };
                let (y, m, day) = (part("year")?, part("month")?, part("day")?);
                return Date::from_ymd(y as i32, m, day)
                    .map(Value::Date)
                    .ok_or_else(|| format!("date `{y:04}-{m:02}-{day:02}` out of range"));
            }
            if let Ok(s) = v.cast::<PyString>() {
                let s = s.to_str().map_err(|e| e.to_string())?;
                return Date::parse(s)
                    .map(Value::Date)
                    .ok_or_else(|| format!("invalid date `{s}`"));
            }
            Err(wrong())
        }
        Kind::List(_) | Kind::TooDeep => Err(wrong()),
    }
}

/// The Python type's name, for messages.
pub(crate) fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}
