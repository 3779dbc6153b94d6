//! The history, read once as a stream and evaluated by both rulesets.
//!
//! The reader is every command's ([`crate::input`]); binding is
//! backtest's: `CsvBinder` for CSV, `json_outcome` for the inspection
//! result. What this module adds is the pairing: one batch of rows (or of
//! records) bound by two binders, one per ruleset, so a CSV file is
//! parsed once whatever the two schemas are.

use super::group::{ByCol, ByValue};
use crate::backtest::source::json_outcome;
use crate::csv_input::{CsvBinder, LineMsg, Mapping};
use crate::input::{Batch, Format, Reader};
use semaforo::{Context, Evaluator, Outcome, Ruleset};
use std::path::Path;

/// The input opened for both rulesets.
pub(super) struct Opened {
    /// The stream of batches.
    pub reader: Reader,
    /// CSV: the old and the new ruleset's bindings; rows are grouped by
    /// the old ruleset's key column.
    pub binders: Option<(CsvBinder, CsvBinder)>,
}

/// Opens `input`, read as `format`, for `old` and `new`. The error is the message to print.
pub(super) fn open(
    input: &Path,
    format: Format,
    (old, new): (&Ruleset, &Ruleset),
    mapping: &Mapping,
    outcome: Option<&str>,
) -> Result<Opened, String> {
    let mut reader = Reader::open(input, format)?;
    let at = |e: String| format!("{}: {e}", input.display());
    let binders = match reader.csv_header_table() {
        None => None,
        Some(table) => {
            let old_b = CsvBinder::new(old, table, mapping, outcome)
                .map_err(|e| at(format!("old ruleset: {e}")))?;
            let new_b = CsvBinder::new(new, table, mapping, outcome)
                .map_err(|e| at(format!("new ruleset: {e}")))?;
            Some((old_b, new_b))
        }
    };
    reader.set_csv_key(binders.as_ref().map(|b| b.0.key_col()));
    Ok(Opened { reader, binders })
}

impl Opened {
    /// Resolves a `--by` column: a CSV header name or a field path mapped
    /// to one, or a top-level JSON member.
    pub(super) fn by_col(&self, name: &str, mapping: &Mapping) -> Result<ByCol, String> {
        match self.reader.csv_header_table() {
            None => Ok(ByCol::Member(name.to_string())),
            Some(table) => table
                .column(name)
                .or_else(|| mapping.column_of(name).and_then(|c| table.column(c)))
                .map(ByCol::Column)
                .ok_or_else(|| format!("the CSV header has no `--by` column `{name}`")),
        }
    }
}

/// One batch of the input, ready for both rulesets.
#[derive(Clone, Copy)]
pub(super) struct Pair<'a> {
    /// The declarations.
    pub batch: &'a Batch,
    /// CSV: both sides' bindings.
    pub binders: Option<&'a (CsvBinder, CsvBinder)>,
    /// JSON: the inspection result's top-level member.
    pub outcome: Option<&'a str>,
}

/// One side's result for a declaration.
pub(super) type Side<'e> = Result<&'e Outcome, LineMsg>;

/// Both sides' results for one declaration, and its inspection result.
pub(super) struct Both<'e> {
    /// The old ruleset's outcome, or why it rejected the declaration.
    pub old: Side<'e>,
    /// The new ruleset's outcome, or why it rejected the declaration.
    pub new: Side<'e>,
    /// The inspection result (read once; `None`: not inspected or no
    /// `--outcome`). An unreadable result rejects the declaration on both
    /// sides.
    pub label: Option<bool>,
}

impl Pair<'_> {
    /// The line where declaration `i` of the batch starts.
    pub(super) fn line(&self, i: usize) -> u64 {
        self.batch.line(i)
    }

    /// The values of the `--by` columns `cols` for declaration `i`, in
    /// order (CSV: from its first row).
    pub(super) fn by_values(&self, i: usize, cols: &[ByCol]) -> Vec<ByValue> {
        if self.binders.is_none() {
            let names: Vec<&str> = cols
                .iter()
                .map(|c| match c {
                    ByCol::Member(m) => m.as_str(),
                    ByCol::Column(_) => "",
                })
                .collect();
            return self.batch.json_unit(i).map_or_else(
                || vec![ByValue::Missing; cols.len()],
                |(_, bytes)| super::group::json_members(bytes, &names),
            );
        }
        let table = &self.batch.table;
        let row = self
            .batch
            .groups
            .get(i)
            .and_then(|g| table.rows.get(g.start));
        cols.iter()
            .map(|c| {
                let cell = match (c, row) {
                    (ByCol::Column(col), Some(r)) => table.cell(r, *col),
                    _ => None,
                };
                match cell {
                    None | Some(b"") => ByValue::Missing,
                    Some(b) => ByValue::Text(String::from_utf8_lossy(b).into_owned()),
                }
            })
            .collect()
    }

    /// Evaluates declaration `i` with both rulesets. Each side gets an
    /// outcome or the reason it rejected the declaration, with its line,
    /// so no declaration can drop out of the counts.
    pub(super) fn evaluate<'e>(
        &self,
        i: usize,
        (old_ev, new_ev): (&'e mut Evaluator, &'e mut Evaluator),
        ctx: &'e Context,
        warnings: &mut Vec<LineMsg>,
    ) -> Both<'e> {
        let missing = || LineMsg {
            line: 0,
            msg: format!("internal: no declaration number {i} in the input; please report this"),
        };
        let Some((old, new)) = self.binders else {
            let Some((line, bytes)) = self.batch.json_unit(i) else {
                return Both {
                    old: Err(missing()),
                    new: Err(missing()),
                    label: None,
                };
            };
            let label = self
                .outcome
                .map(|name| json_outcome(bytes, name))
                .transpose();
            let eval = |ev: &'e mut Evaluator| -> Side<'e> {
                let view = ev
                    .eval_json(bytes, ctx)
                    .map_err(|e| LineMsg {
                        line,
                        msg: e.to_string(),
                    })?
                    .raw();
                Ok(view)
            };
            let (o, n) = (eval(old_ev), eval(new_ev));
            return with_label(o, n, label.map(Option::flatten), line);
        };
        let table = &self.batch.table;
        let Some(g) = self.batch.groups.get(i) else {
            return Both {
                old: Err(missing()),
                new: Err(missing()),
                label: None,
            };
        };
        let o = old.evaluate(table, g.clone(), old_ev, ctx, warnings);
        // The new side's warnings repeat the old side's for every
        // column both map; keep only those that differ.
        let mut new_warnings = Vec::new();
        let n = new.evaluate(table, g.clone(), new_ev, ctx, &mut new_warnings);
        for w in new_warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        let label = match &o {
            Ok((l, _)) => *l,
            Err(_) => None,
        };
        Both {
            old: o.map(|(_, v)| v.raw()),
            new: n.map(|(_, v)| v.raw()),
            label,
        }
    }
}

/// Joins both sides with the inspection result: a result that cannot be
/// read rejects the declaration on each side that had an outcome.
fn with_label<'e>(
    old: Side<'e>,
    new: Side<'e>,
    label: Result<Option<bool>, String>,
    line: u64,
) -> Both<'e> {
    match label {
        Ok(label) => Both { old, new, label },
        Err(msg) => {
            let reject = |side: Side<'e>| -> Side<'e> {
                side.and_then(|_| {
                    Err(LineMsg {
                        line,
                        msg: msg.clone(),
                    })
                })
            };
            Both {
                old: reject(old),
                new: reject(new),
                label: None,
            }
        }
    }
}
