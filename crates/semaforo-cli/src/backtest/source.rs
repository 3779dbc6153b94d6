//! Where the declarations come from: the input opened as a stream
//! ([`crate::input`]) with, for CSV, the binder resolved from its header,
//! and one batch of it seen as *units* (one declaration each, or a line
//! that could not be read) that are bound and evaluated one at a time.

use crate::common::MapArgs;
use crate::csv_input::{CsvBinder, LineMsg, parse_outcome};
use crate::input::{Batch, Format, Reader};
use semaforo::{Context, Evaluator, Outcome, Ruleset};
use std::path::Path;

/// The input opened for one ruleset.
pub(crate) struct Opened {
    /// The stream of batches.
    pub reader: Reader,
    /// CSV: the column bindings (rows are grouped by its key column).
    pub binder: Option<CsvBinder>,
}

/// Opens `input`, read as `format`, for `ruleset`: CSV rows grouped by
/// the key column under `map`, else JSON records. The error is the message to print.
pub(crate) fn open(
    input: &Path,
    format: Format,
    ruleset: &Ruleset,
    map: &MapArgs,
    outcome: Option<&str>,
) -> Result<Opened, String> {
    let mut reader = Reader::open(input, format)?;
    let binder = match reader.csv_header_table() {
        None => None,
        Some(header) => {
            let mapping = map.mapping()?;
            let b = CsvBinder::new(ruleset, header, &mapping, outcome)
                .map_err(|e| format!("{}: {e}", input.display()))?;
            Some(b)
        }
    };
    reader.set_csv_key(binder.as_ref().map(CsvBinder::key_col));
    Ok(Opened { reader, binder })
}

/// One batch of the input, seen as units.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The units.
    pub batch: &'a Batch,
    /// CSV: the bindings.
    pub binder: Option<&'a CsvBinder>,
    /// JSON: the inspection result's top-level member.
    pub outcome: Option<&'a str>,
}

/// A unit that was bound and evaluated.
pub(crate) struct Evaluated<'e> {
    /// Its inspection result (`None`: not inspected, or no `--outcome`).
    pub label: Option<bool>,
    /// Its outcome.
    pub outcome: &'e Outcome,
}

impl<'a> Source<'a> {
    /// How many units.
    pub(crate) fn len(&self) -> usize {
        self.batch.len()
    }

    /// Binds unit `i` of the batch into `ev` and evaluates it: its outcome
    /// and inspection result, or why it was rejected, with its line. Every
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
        if let Some(binder) = self.binder {
            let g = self.batch.groups.get(i).ok_or_else(missing)?;
            let (label, view) = binder.evaluate(&self.batch.table, g.clone(), ev, ctx, warnings)?;
            return Ok(Evaluated {
                label,
                outcome: view.raw(),
            });
        }
        let (line, bytes) = self.batch.json_unit(i).ok_or_else(missing)?;
        let label = match self.outcome {
            Some(name) => match json_outcome(bytes, name) {
                Ok(l) => l,
                Err(msg) => {
                    // Binding reports syntax errors better: try it first.
                    let msg = match ev.eval_json(bytes, ctx) {
                        Err(e) => e.to_string(),
                        Ok(_) => msg,
                    };
                    return Err(LineMsg { line, msg });
                }
            },
            None => None,
        };
        let view = ev.eval_json(bytes, ctx).map_err(|e| LineMsg {
            line,
            msg: e.to_string(),
        })?;
        Ok(Evaluated {
            label,
            outcome: view.raw(),
        })
    }

    /// JSON: the bytes of unit `i`.
    pub(crate) fn json_bytes(&self, i: usize) -> Option<&'a [u8]> {
        if self.binder.is_some() {
            return None;
        }
        self.batch.json_unit(i).map(|(_, b)| b)
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
