//! Binding Arrow record batches into declarations, column by column.
//!
//! For each batch, every column the schema names gets a reader chosen once
//! from its Arrow type and the field's type (a column of a type the field
//! cannot hold is refused before any row is read, naming the column); each
//! row is then bound through the facade's field handles and setters. No
//! Python object is made per row or per value.
//!
//! Types (the table in `docs/python.md`):
//!
//! | field | Arrow types read |
//! | --- | --- |
//! | `text` | utf8, large_utf8, utf8_view, dictionary of those |
//! | `number` | int8..int64, uint8..uint64, float32, float64 (through their shortest decimal text), decimal128 |
//! | `bool` | bool |
//! | `date` | date32, date64 and timestamps without a time zone (at midnight exactly), text `YYYY-MM-DD` |
//! | `[record]` | list, large_list of struct (the struct's fields by name) |
//!
//! A null reads as *missing* for an optional field and is an error for a
//! required one; a column of type `null` is all nulls. A row that cannot be
//! bound is an error for that row (its message names the row and the field
//! path), never a row evaluated without the value.

use crate::bind::{FieldPlan, Kind, RecordPlan, Value, number_from_f64, number_from_text, set};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, StructArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};
use semaforo::{Date, Decimal, Declaration, Element};

/// Reads the value of one row of a column, already converted to the
/// field's kind; `None` for a null.
type Reader<'a> = Box<dyn Fn(usize) -> Result<Option<Value<'a>>, String> + 'a>;

/// How one field is read from its column.
pub(crate) enum Binder<'a> {
    /// An optional field with no column: left missing.
    Absent,
    Scalar {
        field: &'a FieldPlan,
        read: Reader<'a>,
    },
    List {
        field: &'a FieldPlan,
        /// `(start, end)` of a row's elements in the struct array.
        offsets: Offsets<'a>,
        nulls: Option<&'a NullBuffer>,
        /// Nulls of the struct array itself (a null element).
        element_nulls: Option<&'a NullBuffer>,
        children: Vec<Binder<'a>>,
    },
}

pub(crate) enum Offsets<'a> {
    Small(&'a [i32]),
    Large(&'a [i64]),
}

impl Offsets<'_> {
    fn range(&self, row: usize) -> Result<(usize, usize), String> {
        let bad = || "list offsets out of range".to_string();
        let (a, b) = match self {
            Offsets::Small(o) => (
                usize::try_from(*o.get(row).ok_or_else(bad)?).map_err(|_| bad())?,
                usize::try_from(*o.get(row + 1).ok_or_else(bad)?).map_err(|_| bad())?,
            ),
            Offsets::Large(o) => (
                usize::try_from(*o.get(row).ok_or_else(bad)?).map_err(|_| bad())?,
                usize::try_from(*o.get(row + 1).ok_or_else(bad)?).map_err(|_| bad())?,
            ),
        };
        if a > b { Err(bad()) } else { Ok((a, b)) }
    }
}

/// A lazily written path (`items[2].net_kg`), rendered only for a message.
#[derive(Clone, Copy)]
pub(crate) struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    name: &'p str,
    index: Option<usize>,
}

impl Path<'_> {
    fn render(&self, leaf: &str) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            if !p.name.is_empty() {
                parts.push(match p.index {
                    Some(i) => format!("{}[{i}]", p.name),
                    None => p.name.to_string(),
                });
            }
            cur = p.parent;
        }
        parts.reverse();
        parts.push(leaf.to_string());
        parts.join(".")
    }
}

const ROOT_PATH: Path<'static> = Path {
    parent: None,
    name: "",
    index: None,
};

/// Readers for every field of `plan` over the columns of `columns` (the
/// batch's columns, or a struct's children). The key field comes first, so
/// a row that fails later still has its key in the output.
pub(crate) fn binders<'a>(
    plan: &'a RecordPlan,
    column: &dyn Fn(&str) -> Option<&'a dyn Array>,
    key_field: Option<&str>,
    where_: &str,
) -> Result<Vec<Binder<'a>>, String> {
    let mut out = Vec::with_capacity(plan.fields.len());
    let mut order: Vec<&FieldPlan> = plan.fields.iter().collect();
    if let Some(k) = key_field {
        order.sort_by_key(|f| f.name != k);
    }
    for f in order {
        let Some(array) = column(&f.name) else {
            if f.optional {
                out.push(Binder::Absent);
                continue;
            }
            return Err(format!(
                "{where_}has no column `{}`, and the schema's field `{}` is required",
                f.name, f.path
            ));
        };
        out.push(binder(f, array)?);
    }
    Ok(out)
}

fn binder<'a>(f: &'a FieldPlan, array: &'a dyn Array) -> Result<Binder<'a>, String> {
    let refuse = || {
        format!(
            "column `{}` has Arrow type {}, which the schema's {} field `{}` cannot hold{}",
            f.path,
            array.data_type(),
            f.kind.name(),
            f.path,
            hint(&f.kind, array.data_type()),
        )
    };
    match &f.kind {
        Kind::List(rec) => {
            let (offsets, values) = match array.data_type() {
                DataType::List(_) => {
                    let l = array.as_list::<i32>();
                    (Offsets::Small(l.value_offsets()), l.values())
                }
                DataType::LargeList(_) => {
                    let l = array.as_list::<i64>();
                    (Offsets::Large(l.value_offsets()), l.values())
                }
                DataType::Null => {
                    return Ok(Binder::Scalar {
                        field: f,
                        read: Box::new(|_| Ok(None)),
                    });
                }
                _ => return Err(refuse()),
            };
            let Some(st) = values.as_any().downcast_ref::<StructArray>() else {
                return Err(refuse());
            };
            let column =
                |name: &str| -> Option<&'a dyn Array> { st.column_by_name(name).map(|c| &**c) };
            let children = binders(
                rec,
                &column,
                None,
                &format!("the elements of column `{}` ", f.path),
            )?;
            Ok(Binder::List {
                field: f,
                offsets,
                nulls: array.nulls(),
                element_nulls: st.nulls(),
                children,
            })
        }
        Kind::TooDeep => Err(format!(
            "column `{}`: lists nested this deep are not supported",
            f.path
        )),
        kind => Ok(Binder::Scalar {
            field: f,
            read: reader(kind, array).ok_or_else(refuse)?,
        }),
    }
}

/// A suggestion for a refused column type.
fn hint(kind: &Kind, ty: &DataType) -> &'static str {
    let numeric = ty.is_numeric();
    match kind {
        Kind::Text if numeric => {
            " (convert it to text first, e.g. `df[col].astype(str)`: numbers are never read as codes silently)"
        }
        Kind::Number
            if matches!(
                ty,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            " (convert it to a numeric type first)"
        }
        Kind::Date if matches!(ty, DataType::Timestamp(_, Some(_))) => {
            " (a timestamp with a time zone: convert it to a date in the calendar the rules mean first)"
        }
        _ => "",
    }
}

fn int<'a>(v: i64) -> Result<Value<'a>, String> {
    Ok(Value::Number(Decimal::from_i64(v)))
}

fn uint<'a>(v: u64) -> Result<Value<'a>, String> {
    match i64::try_from(v) {
        Ok(v) => Ok(Value::Number(Decimal::from_i64(v))),
        Err(_) => number_from_text(&v.to_string()).map(Value::Number),
    }
}

/// A reader of `array` for a scalar kind, or `None` if the type does not fit.
fn reader<'a>(kind: &Kind, array: &'a dyn Array) -> Option<Reader<'a>> {
    macro_rules! prim {
        ($t:ty, $conv:expr) => {{
            let a = array.as_primitive::<$t>();
            let conv = $conv;
            Some(Box::new(move |i: usize| {
                if a.is_null(i) {
                    Ok(None)
                } else {
                    conv(a.value(i)).map(Some)
                }
            }) as Reader<'a>)
        }};
    }
    let ty = array.data_type();
    if *ty == DataType::Null {
        return Some(Box::new(|_| Ok(None)));
    }
    match kind {
        Kind::Text => text_reader(array)
            .map(|r| Box::new(move |i: usize| Ok(r(i).map(Value::Text))) as Reader<'a>),
        Kind::Bool => match ty {
            DataType::Boolean => {
                let a = array.as_boolean();
                Some(Box::new(move |i: usize| {
                    Ok((!a.is_null(i)).then(|| Value::Bool(a.value(i))))
                }))
            }
            _ => None,
        },
        Kind::Number => match ty {
            DataType::Int8 => prim!(Int8Type, |v: i8| int(i64::from(v))),
            DataType::Int16 => prim!(Int16Type, |v: i16| int(i64::from(v))),
            DataType::Int32 => prim!(Int32Type, |v: i32| int(i64::from(v))),
            DataType::Int64 => prim!(Int64Type, int),
            DataType::UInt8 => prim!(UInt8Type, |v: u8| uint(u64::from(v))),
            DataType::UInt16 => prim!(UInt16Type, |v: u16| uint(u64::from(v))),
            DataType::UInt32 => prim!(UInt32Type, |v: u32| uint(u64::from(v))),
            DataType::UInt64 => prim!(UInt64Type, uint),
            DataType::Float64 => prim!(Float64Type, |v: f64| number_from_f64(v).map(Value::Number)),
            DataType::Float32 => prim!(Float32Type, |v: f32| {
                if v.is_finite() {
                    // The float32's own shortest text (`0.1`), not its
                    // widened binary value.
                    number_from_text(&format!("{v}")).map(Value::Number)
                } else {
                    Err(format!("`{v}` is not a number a rule can compare"))
                }
            }),
            DataType::Decimal128(_, scale) => {
                let scale = i32::from(*scale);
                prim!(arrow_array::types::Decimal128Type, move |v: i128| {
                    number_from_text(&format!("{v}e{}", -scale)).map(Value::Number)
                })
            }
            _ => None,
        },
        Kind::Date => match ty {
            DataType::Date32 => prim!(Date32Type, |v: i32| from_days(i64::from(v))),
            DataType::Date64 => prim!(Date64Type, move |v: i64| at_midnight(v, 86_400_000)),
            DataType::Timestamp(unit, None) => match unit {
                TimeUnit::Second => {
                    prim!(TimestampSecondType, move |v: i64| at_midnight(v, 86_400))
                }
                TimeUnit::Millisecond => {
                    prim!(TimestampMillisecondType, move |v: i64| at_midnight(
                        v, 86_400_000
                    ))
                }
                TimeUnit::Microsecond => {
                    prim!(TimestampMicrosecondType, move |v: i64| at_midnight(
                        v,
                        86_400_000_000
                    ))
                }
                TimeUnit::Nanosecond => {
                    prim!(TimestampNanosecondType, move |v: i64| at_midnight(
                        v,
                        86_400_000_000_000
                    ))
                }
            },
            _ => text_reader(array).map(|r| {
                Box::new(move |i: usize| match r(i) {
                    None => Ok(None),
                    Some(s) => Date::parse(s)
                        .map(|d| Some(Value::Date(d)))
                        .ok_or_else(|| format!("invalid date `{s}`")),
                }) as Reader<'a>
            }),
        },
        Kind::List(_) | Kind::TooDeep => None,
    }
}

fn from_days<'a>(d: i64) -> Result<Value<'a>, String> {
    i32::try_from(d)
        .ok()
        .and_then(Date::from_days)
        .map(Value::Date)
        .ok_or_else(|| "date out of range (years 0000 to 9999)".to_string())
}

/// A timestamp is a date only at midnight exactly.
fn at_midnight<'a>(v: i64, per_day: i64) -> Result<Value<'a>, String> {
    if v.rem_euclid(per_day) == 0 {
        from_days(v.div_euclid(per_day))
    } else {
        Err("a timestamp with a time of day is not a date (convert it to a date first)".to_string())
    }
}

type TextReader<'a> = Box<dyn Fn(usize) -> Option<&'a str> + 'a>;

/// A reader of a text column (`None` for a null).
fn text_reader<'a>(array: &'a dyn Array) -> Option<TextReader<'a>> {
    match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            Some(Box::new(move |i| (!a.is_null(i)).then(|| a.value(i))))
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            Some(Box::new(move |i| (!a.is_null(i)).then(|| a.value(i))))
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            Some(Box::new(move |i| (!a.is_null(i)).then(|| a.value(i))))
        }
        DataType::Dictionary(_, _) => {
            let d = array.as_any_dictionary_opt()?;
            let values = text_reader(d.values().as_ref())?;
            let keys = d.normalized_keys();
            let nulls = array.logical_nulls();
            // Every key of a non-null row must name a value: a producer
            // that breaks this is refused as a column, never read as null.
            let n = d.values().len();
            let bad = keys
                .iter()
                .enumerate()
                .any(|(i, k)| *k >= n && !nulls.as_ref().is_some_and(|m| m.is_null(i)));
            if bad {
                return None;
            }
            Some(Box::new(move |i| {
                if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                    return None;
                }
                keys.get(i).and_then(|k| values(*k))
            }))
        }
        _ => None,
    }
}

/// Binds row `row` of the binders' columns into `decl` at `at`.
pub(crate) fn bind_row(
    binders: &[Binder<'_>],
    decl: &mut Declaration,
    at: Element,
    row: usize,
    path: &Path<'_>,
) -> Result<(), String> {
    for b in binders {
        match b {
            Binder::Absent => {}
            Binder::Scalar { field, read } => {
                match read(row).map_err(|e| format!("{}: {e}", path.render(&field.name)))? {
                    Some(v) => set(decl, at, field.handle, v)
                        .map_err(|e| format!("{}: {e}", path.render(&field.name)))?,
                    None if field.optional => decl
                        .set_missing(at, field.handle)
                        .map_err(|e| format!("{}: {e}", path.render(&field.name)))?,
                    None => {
                        return Err(format!(
                            "{}: required {} field is null",
                            path.render(&field.name),
                            field.kind.name()
                        ));
                    }
                }
            }
            Binder::List {
                field,
                offsets,
                nulls,
                element_nulls,
                children,
            } => {
                if nulls.is_some_and(|n| n.is_null(row)) {
                    if field.optional {
                        decl.set_missing(at, field.handle)
                            .map_err(|e| format!("{}: {e}", path.render(&field.name)))?;
                        continue;
                    }
                    return Err(format!(
                        "{}: required list field is null",
                        path.render(&field.name)
                    ));
                }
                let (start, end) = offsets
                    .range(row)
                    .map_err(|e| format!("{}: {e}", path.render(&field.name)))?;
                decl.start_list(at, field.handle)
                    .map_err(|e| format!("{}: {e}", path.render(&field.name)))?;
                for (k, j) in (start..end).enumerate() {
                    let here = Path {
                        parent: Some(path),
                        name: &field.name,
                        index: Some(k),
                    };
                    if element_nulls.is_some_and(|n| n.is_null(j)) {
                        let whole = here.render("");
                        return Err(format!(
                            "{}: a null element (expected a record)",
                            whole.trim_end_matches('.')
                        ));
                    }
                    let el = decl
                        .push(at, field.handle)
                        .map_err(|e| format!("{}: {e}", path.render(&field.name)))?;
                    bind_row(children, decl, el, j, &here)?;
                }
            }
        }
    }
    Ok(())
}

/// The path of the declaration itself.
pub(crate) fn root_path() -> Path<'static> {
    ROOT_PATH
}
