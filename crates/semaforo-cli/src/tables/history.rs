//! The inspection history as the derive commands read it (`lists derive`,
//! `tables derive`): declarations, each with its inspection result and the
//! keys (and, for value statistics, the numbers) of its rows.
//!
//! CSV goes through the same reader as `backtest` ([`CsvTable`]): a row
//! that cannot be read rejects its whole declaration, never read with
//! shifted cells. Columns are named as in the header, or by the field path
//! `--map`/`--map-file` maps to one. JSON and JSON Lines records are one
//! declaration each; a name is a top-level member or `LIST.FIELD`, a member
//! of every object in the array `LIST`.
//!
//! A key is the `--by` values of one row (CSV) or one element (JSON; top-
//! level members repeated for each element), trimmed and joined with `|`,
//! the text `key(a, b, ...)` gives in the language (SPEC §3.9).

use crate::common::MapArgs;
use crate::csv_input::{CsvTable, LineMsg, labelled_cells, parse_outcome};
use crate::input::{Batch, Format, Reader};
use semaforo::Decimal;
use serde_json::Value;
use std::path::Path;

/// What to read.
pub(crate) struct Spec<'a> {
    /// The key columns, in key order.
    pub by: &'a [String],
    /// The inspection result column or member.
    pub outcome: Option<&'a str>,
    /// CSV: consecutive rows with the same value are one declaration.
    pub key: Option<&'a str>,
    /// A numeric column read on every row (value statistics).
    pub value: Option<&'a str>,
    /// A numeric column `value` is divided by.
    pub per: Option<&'a str>,
    /// The column mapping (CSV).
    pub map: &'a MapArgs,
}

/// Why a row has no key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// A part of a composite key is empty or absent: the `--by` name.
    Missing(String),
    /// A part of a composite key holds `|`, so the key would be ambiguous.
    Pipe {
        /// The `--by` name.
        by: String,
        /// The part's text.
        value: String,
    },
    /// The key cannot be an entry of a list or table file (a leading `#`,
    /// a control or invisible character, a JSON value that is not text or
    /// a number): why.
    NotEntry(String),
}

/// One row of a CSV declaration, or one element of a JSON one.
#[derive(Debug)]
pub(crate) struct Item {
    /// 1-based line of the row (JSON: of the record).
    pub line: u64,
    /// The key; `Ok(None)` when a single `--by` value is empty (nothing
    /// to key by).
    pub key: Result<Option<String>, KeyProblem>,
    /// The number read when [`Spec::value`] is set: `Ok(None)` when it is
    /// missing (an empty cell, or a `per` cell that is empty or zero).
    pub value: Option<Result<Option<Decimal>, String>>,
}

/// One declaration that could be read.
#[derive(Debug)]
pub(crate) struct Decl {
    /// Its inspection result (`None`: not inspected, or no outcome named).
    pub label: Option<bool>,
    /// Its rows or elements.
    pub items: Vec<Item>,
}

/// How the input read: CSV data rows and how many could not be read.
pub(crate) type RowCounts = Option<(u64, u64)>;

/// Reads the declarations of `reader` (opened on `input`) batch by batch
/// and hands every one to `f`, or the line and reason it could not be
/// read; memory does not grow with the input (see [`crate::input`]). The
/// error is the message to print about the whole input (a bad header, an
/// unknown column, a broken JSON array, a read failure).
pub(crate) fn read(
    input: &Path,
    reader: &mut Reader,
    spec: &Spec<'_>,
    f: &mut dyn FnMut(Result<Decl, LineMsg>),
) -> Result<RowCounts, String> {
    let at = |e: String| format!("{}: {e}", input.display());
    match reader.format() {
        Format::Csv => read_csv(reader, spec, f, &at).map(Some),
        Format::Json | Format::Jsonl => read_json(reader, spec, f, &at).map(|()| None),
    }
}

/// A key part as read, or a whole key: `Ok(None)` when empty or absent.
type Text = Result<Option<String>, KeyProblem>;

/// Builds a key from its parts (`None`: absent), by the rules in the
/// module docs.
fn compose(by: &[String], parts: &[Result<Option<String>, KeyProblem>]) -> Text {
    let mut key = String::new();
    let single = parts.len() == 1;
    for (i, (name, part)) in by.iter().zip(parts).enumerate() {
        let text = match part {
            Err(p) => return Err(p.clone()),
            Ok(t) => t.as_deref().map(str::trim).unwrap_or_default(),
        };
        if text.is_empty() {
            if single {
                return Ok(None);
            }
            return Err(KeyProblem::Missing(name.clone()));
        }
        if !single && text.contains('|') {
            return Err(KeyProblem::Pipe {
                by: name.clone(),
                value: text.to_string(),
            });
        }
        if i > 0 {
            key.push('|');
        }
        key.push_str(text);
    }
    entry_problem(&key).map_or(Ok(Some(key)), |why| Err(KeyProblem::NotEntry(why)))
}

/// Why a key cannot be a line of a list file or a key of a table file: it
/// starts with `#` (a comment), or holds a control or invisible character.
pub(crate) fn entry_problem(t: &str) -> Option<String> {
    if t.starts_with('#') {
        return Some(format!(
            "value {} starts with `#`, which a list or table file reads as a comment",
            Value::from(t)
        ));
    }
    t.chars()
        .find_map(|c| semaforo::charset::entry_problem(c).map(|w| (c, w)))
        .map(|(c, what)| {
            format!(
                "value {} holds {what} (U+{:04X}), which a list or table file cannot hold",
                Value::from(t),
                u32::from(c)
            )
        })
}

/// Reads a number cell or text; empty is missing.
fn number(name: &str, t: &str) -> Result<Option<Decimal>, String> {
    let t = t.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Decimal::parse(t)
        .map(|p| Some(p.value))
        .map_err(|e| format!("`{name}`: expected a number, found `{t}` ({e})"))
}

/// `value / per`, rounded half to even to six fractional digits; missing
/// when either is missing or `per` is zero.
fn ratio(
    value: Result<Option<Decimal>, String>,
    per: Option<Result<Option<Decimal>, String>>,
) -> Result<Option<Decimal>, String> {
    let v = value?;
    match per {
        None => Ok(v),
        Some(p) => {
            let p = p?;
            match (v, p) {
                (Some(v), Some(p)) if p != Decimal::ZERO => v
                    .checked_div(p)
                    .map(Some)
                    .ok_or_else(|| format!("{v} / {p} is out of range")),
                _ => Ok(None),
            }
        }
    }
}

fn read_csv(
    reader: &mut Reader,
    spec: &Spec<'_>,
    f: &mut dyn FnMut(Result<Decl, LineMsg>),
    at: &dyn Fn(String) -> String,
) -> Result<(u64, u64), String> {
    let mapping = spec.map.mapping()?;
    let empty = CsvTable::default();
    let header = reader.csv_header_table().unwrap_or(&empty);
    let col = |name: &str, what: &str| {
        header
            .column(name)
            .or_else(|| mapping.column_of(name).and_then(|c| header.column(c)))
            .ok_or_else(|| at(format!("the CSV header has no {what} column `{name}`")))
    };
    let by = spec
        .by
        .iter()
        .map(|b| col(b, "`--by`"))
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = spec.outcome.map(|o| col(o, "outcome")).transpose()?;
    let key = spec.key.map(|k| col(k, "`--key`")).transpose()?;
    let value = spec.value.map(|v| col(v, "value")).transpose()?;
    let per = spec.per.map(|v| col(v, "`--per`")).transpose()?;
    // Without `--key`, every row is a declaration.
    reader.set_csv_key(key);
    let mut batch = Batch::default();
    while reader.next_batch(&mut batch)? {
        let table = &batch.table;
        let text = |row, c: usize| {
            String::from_utf8_lossy(table.cell(row, c).unwrap_or_default()).into_owned()
        };
        for g in &batch.groups {
            // The same rejections as the `csv_input` fuzz target checks: a
            // row that cannot be read, or a bad outcome, rejects the group.
            let label = match (outcome, spec.outcome) {
                (Some(c), Some(name)) => labelled_cells(table, g.clone(), c, c, name).map(|x| x.0),
                _ => table.first_problem(g.clone()).map_or(Ok(None), Err),
            };
            let label = match label {
                Ok(l) => l,
                Err(e) => {
                    f(Err(e));
                    continue;
                }
            };
            let items = table
                .rows
                .get(g.clone())
                .unwrap_or_default()
                .iter()
                .map(|row| {
                    let parts: Vec<Text> = by.iter().map(|&c| Ok(Some(text(row, c)))).collect();
                    let value = value.map(|c| {
                        let v = number(spec.value.unwrap_or_default(), &text(row, c));
                        let p = per.map(|c| number(spec.per.unwrap_or_default(), &text(row, c)));
                        ratio(v, p)
                    });
                    Item {
                        line: row.line,
                        key: compose(spec.by, &parts),
                        value,
                    }
                })
                .collect();
            f(Ok(Decl { label, items }));
        }
    }
    Ok(reader.csv_rows().unwrap_or_default())
}

/// A JSON name: a top-level member, or `LIST.FIELD`.
fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((l, m)) => (Some(l), m),
        None => (None, name),
    }
}

/// A key part from a JSON value: text or a number; absent and null are
/// missing; anything else cannot be a key.
fn json_part(name: &str, v: Option<&Value>) -> Text {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(KeyProblem::NotEntry(format!(
            "`{name}` is {}, not text or a number",
            match other {
                Value::Bool(_) => "a bool",
                Value::Array(_) => "an array",
                _ => "an object",
            }
        ))),
    }
}

/// A number from a JSON value: a number or numeric text; absent and null
/// are missing.
fn json_number(name: &str, v: Option<&Value>) -> Result<Option<Decimal>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => number(name, &n.to_string()),
        Some(Value::String(s)) => number(name, s),
        Some(_) => Err(format!("`{name}`: expected a number")),
    }
}

/// The inspection result of a JSON declaration.
fn json_label(doc: &Value, name: &str) -> Result<Option<bool>, String> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => Ok(Some(n.as_f64().is_some_and(|x| x > 0.0))),
        Some(Value::String(s)) => {
            parse_outcome(s.as_bytes()).map_err(|e| format!("outcome member `{name}`: {e}"))
        }
        Some(_) => Err(format!(
            "outcome member `{name}`: expected a bool, a number or text"
        )),
    }
}

fn read_json(
    reader: &mut Reader,
    spec: &Spec<'_>,
    f: &mut dyn FnMut(Result<Decl, LineMsg>),
    at: &dyn Fn(String) -> String,
) -> Result<(), String> {
    let names: Vec<&str> = spec
        .by
        .iter()
        .map(String::as_str)
        .chain(spec.value)
        .chain(spec.per)
        .collect();
    let mut list: Option<&str> = None;
    for n in &names {
        if let (Some(l), _) = split_name(n) {
            match list {
                Some(other) if other != l => {
                    return Err(at(format!(
                        "`{n}` and a name in `{other}` are members of two different lists; at most one list per key"
                    )));
                }
                _ => list = Some(l),
            }
        }
    }
    let mut batch = Batch::default();
    while reader.next_batch(&mut batch)? {
        for i in 0..batch.len() {
            let Some((line, bytes)) = batch.json_unit(i) else {
                continue;
            };
            json_declaration(line, bytes, spec, list, f);
        }
    }
    Ok(())
}

/// Reads one JSON declaration of line `line` and hands it to `f`.
fn json_declaration(
    line: u64,
    bytes: &[u8],
    spec: &Spec<'_>,
    list: Option<&str>,
    f: &mut dyn FnMut(Result<Decl, LineMsg>),
) {
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        Err(e) => {
            f(Err(LineMsg {
                line,
                msg: e.to_string(),
            }));
            return;
        }
    };
    let label = match spec.outcome.map(|o| json_label(&doc, o)).transpose() {
        Ok(l) => l.flatten(),
        Err(msg) => {
            f(Err(LineMsg { line, msg }));
            return;
        }
    };
    let item = |el: Option<&Value>| {
        let get = |name: &str| match split_name(name) {
            (Some(_), m) => el.and_then(|e| e.get(m)),
            (None, m) => doc.get(m),
        };
        let parts: Vec<Text> = spec.by.iter().map(|b| json_part(b, get(b))).collect();
        let value = spec.value.map(|v| {
            let p = spec.per.map(|p| json_number(p, get(p)));
            ratio(json_number(v, get(v)), p)
        });
        Item {
            line,
            key: compose(spec.by, &parts),
            value,
        }
    };
    let items = match list {
        None => vec![item(None)],
        Some(l) => match doc.get(l) {
            Some(Value::Array(els)) => els.iter().map(|e| item(Some(e))).collect(),
            _ => Vec::new(),
        },
    };
    f(Ok(Decl { label, items }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &[&str]) -> Vec<Text> {
        p.iter().map(|s| Ok(Some((*s).to_string()))).collect()
    }

    #[test]
    fn keys_join_trimmed_parts_with_a_bar() {
        let by = ["a".to_string(), "b".to_string()];
        assert_eq!(
            compose(&by, &parts(&[" 6403 ", "CN"])),
            Ok(Some("6403|CN".to_string()))
        );
        assert_eq!(
            compose(&by, &parts(&["6403", " "])),
            Err(KeyProblem::Missing("b".to_string()))
        );
        assert_eq!(
            compose(&by, &parts(&["A|B", "C"])),
            Err(KeyProblem::Pipe {
                by: "a".to_string(),
                value: "A|B".to_string()
            })
        );
        assert!(matches!(
            compose(&by, &parts(&["#1", "C"])),
            Err(KeyProblem::NotEntry(_))
        ));
        // One part: empty is nothing to key by, and `|` is plain text.
        let one = ["a".to_string()];
        assert_eq!(compose(&one, &parts(&[""])), Ok(None));
        assert_eq!(compose(&one, &parts(&["A|B"])), Ok(Some("A|B".to_string())));
    }

    #[test]
    fn ratios_are_missing_on_a_zero_or_missing_divisor() {
        let d = |s: &str| Decimal::parse(s).unwrap().value;
        assert_eq!(
            ratio(Ok(Some(d("10"))), Some(Ok(Some(d("4"))))),
            Ok(Some(d("2.5")))
        );
        assert_eq!(
            ratio(Ok(Some(d("1"))), Some(Ok(Some(d("3"))))),
            Ok(Some(d("0.333333")))
        );
        assert_eq!(
            ratio(Ok(Some(d("10"))), Some(Ok(Some(Decimal::ZERO)))),
            Ok(None)
        );
        assert_eq!(ratio(Ok(None), Some(Ok(Some(d("2"))))), Ok(None));
        assert_eq!(ratio(Ok(Some(d("10"))), None), Ok(Some(d("10"))));
    }
}
