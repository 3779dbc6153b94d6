//! Where the declarations come from: the input read into *units* (one
//! declaration each, or a line that could not be read), and the evaluation
//! of one unit with its inspection result.

use crate::cmd_eval::{Record, split_input};
use crate::common::MapArgs;
use crate::csv_input::{CsvBinder, CsvTable, LineMsg, parse_outcome};
use semaforo::{Context, Evaluator, Outcome, Ruleset};
use std::ops::Range;
use std::path::Path;

/// The input, cut into units.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per run, built once and only borrowed after"
)]
pub(crate) enum Source<'a> {
    /// JSON or JSON Lines: one record per unit.
    Json {
        records: Vec<Record<'a>>,
        /// The inspection result's top-level member.
        outcome: Option<&'a str>,
        /// JSON Lines (else one JSON document).
        jsonl: bool,
    },
    /// CSV: one group of consecutive rows with the same key per unit.
    Csv {
        table: CsvTable,
        groups: Vec<Range<usize>>,
        binder: CsvBinder,
    },
}

/// A unit that was bound and evaluated.
pub(crate) struct Evaluated<'e> {
    /// Its inspection result (`None`: not inspected, or no `--outcome`).
    pub label: Option<bool>,
    /// Its outcome.
    pub outcome: &'e Outcome,
}

impl<'a> Source<'a> {
    /// Cuts `bytes`, read from `input`, into units: CSV rows grouped by the
    /// key column under `map`, or JSON records. The error is the message
    /// to print.
    pub(crate) fn read(
        bytes: &'a [u8],
        jsonl: bool,
        input: &Path,
        ruleset: &Ruleset,
        map: &MapArgs,
        outcome: Option<&'a str>,
    ) -> Result<Self, String> {
        let is_csv = input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let at = |e: String| format!("{}: {e}", input.display());
        if !is_csv {
            let records = split_input(bytes, jsonl).map_err(at)?;
            return Ok(Source::Json {
                records,
                outcome,
                jsonl,
            });
        }
        let table = CsvTable::parse(bytes).map_err(at)?;
        let mapping = map.mapping()?;
        let binder = CsvBinder::new(ruleset, &table, &mapping, outcome).map_err(at)?;
        let groups = table.group(Some(binder.key_col()));
        Ok(Source::Csv {
            table,
            groups,
            binder,
        })
    }

    /// How many units.
    pub(crate) fn len(&self) -> usize {
        match self {
            Source::Json { records, .. } => records.len(),
            Source::Csv { groups, .. } => groups.len(),
        }
    }

    /// `csv`, `jsonl` or `json`.
    pub(crate) fn format_name(&self) -> &'static str {
        match self {
            Source::Json { jsonl: true, .. } => "jsonl",
            Source::Json { .. } => "json",
            Source::Csv { .. } => "csv",
        }
    }

    /// CSV data rows, and of them the rows that could not be read (CSV
    /// only).
    pub(super) fn rows(&self) -> Option<(u64, u64)> {
        match self {
            Source::Json { .. } => None,
            Source::Csv { table, .. } => {
                Some((table.rows.len() as u64, table.rejected_rows() as u64))
            }
        }
    }

    /// Binds unit `i` into `ev` and evaluates it: its outcome and
    /// inspection result, or why it was rejected, with its line. Every
    /// unit gets one or the other, so none can be lost from the counts.
    pub(crate) fn evaluate<'e>(
        &self,
        i: usize,
        ev: &'e mut Evaluator,
        ctx: &'e Context,
        warnings: &mut Vec<LineMsg>,
    ) -> Result<Evaluated<'e>, LineMsg> {
        let missing = || LineMsg {
            line: 0,
            msg: format!("internal: no declaration number {i} in the input; please report this"),
        };
        match self {
            Source::Json {
                records, outcome, ..
            } => {
                let r = records.get(i).ok_or_else(missing)?;
                let line = r.line as u64;
                let label = match outcome {
                    Some(name) => match json_outcome(r.bytes, name) {
                        Ok(l) => l,
                        Err(msg) => {
                            // Binding reports syntax errors better: try it first.
                            let msg = match ev.eval_json(r.bytes, ctx) {
                                Err(e) => e.to_string(),
                                Ok(_) => msg,
                            };
                            return Err(LineMsg { line, msg });
                        }
                    },
                    None => None,
                };
                let view = ev.eval_json(r.bytes, ctx).map_err(|e| LineMsg {
                    line,
                    msg: e.to_string(),
                })?;
                Ok(Evaluated {
                    label,
                    outcome: view.raw(),
                })
            }
            Source::Csv {
                table,
                groups,
                binder,
            } => {
                let g = groups.get(i).ok_or_else(missing)?;
                let (label, view) = binder.evaluate(table, g.clone(), ev, ctx, warnings)?;
                Ok(Evaluated {
                    label,
                    outcome: view.raw(),
                })
            }
        }
    }
}

/// Reads a top-level member of a JSON object as an inspection result,
/// without building the document (also used by `diff`).
pub(crate) fn json_outcome(bytes: &[u8], name: &str) -> Result<Option<bool>, String> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Top(name)
        .deserialize(&mut de)
        .map_err(|e| format!("outcome member `{name}`: {e}"))?;
    Ok(v)
}

struct Top<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_> {
    type Value = Option<bool>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = None;
        let mut seen = false;
        while let Some(is) = m.next_key_seed(KeyIs(self.0))? {
            if is {
                if seen {
                    return Err(serde::de::Error::custom("appears twice"));
                }
                seen = true;
                out = m.next_value::<Label>()?.0;
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct KeyIs<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeyIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

struct Label(Option<bool>);

impl<'de> serde::Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        d.deserialize_any(LabelVisitor)
    }
}

struct LabelVisitor;

impl serde::de::Visitor<'_> for LabelVisitor {
    type Value = Label;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a bool, a number, `0`/`1` as text, or null")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Label, E> {
        Ok(Label(Some(v)))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Label, E> {
        Ok(Label(Some(v > 0)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Label, E> {
        Ok(Label(Some(v > 0)))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Label, E> {
        Ok(Label(Some(v > 0.0)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Label, E> {
        parse_outcome(v.as_bytes()).map(Label).map_err(E::custom)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Label, E> {
        Ok(Label(None))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Label, E> {
        Ok(Label(None))
    }
}
