//! The history, read once and evaluated by both rulesets.
//!
//! The readers are backtest's: `split_input` for JSON and JSON Lines,
//! `CsvTable` and `CsvBinder` for CSV, `json_outcome` for the inspection
//! result. What this module adds is the pairing: one table (or one list
//! of records) bound by two binders, one per ruleset, so a CSV file is
//! parsed once whatever the two schemas are.

use super::group::{ByCol, ByValue};
use crate::backtest::source::json_outcome;
use crate::cmd_eval::{Record, split_input};
use crate::csv_input::{CsvBinder, CsvTable, LineMsg, Mapping};
use semaforo::{Context, Evaluator, Outcome, Ruleset};
use std::ops::Range;
use std::path::Path;

/// The input cut into declarations, ready for both rulesets.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per run, built once and only borrowed after"
)]
pub(super) enum Pair<'a> {
    /// JSON or JSON Lines: one record per declaration.
    Json {
        records: Vec<Record<'a>>,
        /// The inspection result's top-level member.
        outcome: Option<&'a str>,
        /// JSON Lines (else one JSON document).
        jsonl: bool,
    },
    /// CSV: one group of consecutive rows with the same key (under the
    /// old ruleset's key column) per declaration.
    Csv {
        table: CsvTable,
        groups: Vec<Range<usize>>,
        old: CsvBinder,
        new: CsvBinder,
    },
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

impl<'a> Pair<'a> {
    /// Cuts `bytes`, read from `input`, into declarations for `old` and
    /// `new`. The error is the message to print.
    pub(super) fn read(
        bytes: &'a [u8],
        jsonl: bool,
        input: &Path,
        (old, new): (&Ruleset, &Ruleset),
        mapping: &Mapping,
        outcome: Option<&'a str>,
    ) -> Result<Self, String> {
        let is_csv = input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let at = |e: String| format!("{}: {e}", input.display());
        if !is_csv {
            let records = split_input(bytes, jsonl).map_err(at)?;
            return Ok(Pair::Json {
                records,
                outcome,
                jsonl,
            });
        }
        let table = CsvTable::parse(bytes).map_err(at)?;
        let old_b = CsvBinder::new(old, &table, mapping, outcome)
            .map_err(|e| at(format!("old ruleset: {e}")))?;
        let new_b = CsvBinder::new(new, &table, mapping, outcome)
            .map_err(|e| at(format!("new ruleset: {e}")))?;
        let groups = table.group(Some(old_b.key_col()));
        Ok(Pair::Csv {
            table,
            groups,
            old: old_b,
            new: new_b,
        })
    }

    /// How many declarations.
    pub(super) fn len(&self) -> usize {
        match self {
            Pair::Json { records, .. } => records.len(),
            Pair::Csv { groups, .. } => groups.len(),
        }
    }

    /// `csv`, `jsonl` or `json`.
    pub(super) fn format_name(&self) -> &'static str {
        match self {
            Pair::Json { jsonl: true, .. } => "jsonl",
            Pair::Json { .. } => "json",
            Pair::Csv { .. } => "csv",
        }
    }

    /// CSV data rows, and of them the rows that could not be read.
    pub(super) fn rows(&self) -> Option<(u64, u64)> {
        match self {
            Pair::Json { .. } => None,
            Pair::Csv { table, .. } => {
                Some((table.rows.len() as u64, table.rejected_rows() as u64))
            }
        }
    }

    /// The line where declaration `i` starts.
    pub(super) fn line(&self, i: usize) -> u64 {
        match self {
            Pair::Json { records, .. } => records.get(i).map_or(0, |r| r.line as u64),
            Pair::Csv { table, groups, .. } => groups
                .get(i)
                .and_then(|g| table.rows.get(g.start))
                .map_or(0, |r| r.line),
        }
    }

    /// Resolves a `--by` column: a CSV header name or a field path mapped
    /// to one, or a top-level JSON member.
    pub(super) fn by_col(&self, name: &str, mapping: &Mapping) -> Result<ByCol, String> {
        match self {
            Pair::Json { .. } => Ok(ByCol::Member(name.to_string())),
            Pair::Csv { table, .. } => table
                .column(name)
                .or_else(|| mapping.column_of(name).and_then(|c| table.column(c)))
                .map(ByCol::Column)
                .ok_or_else(|| format!("the CSV header has no `--by` column `{name}`")),
        }
    }

    /// The values of the `--by` columns `cols` for declaration `i`, in
    /// order (CSV: from its first row).
    pub(super) fn by_values(&self, i: usize, cols: &[ByCol]) -> Vec<ByValue> {
        match self {
            Pair::Json { records, .. } => {
                let names: Vec<&str> = cols
                    .iter()
                    .map(|c| match c {
                        ByCol::Member(m) => m.as_str(),
                        ByCol::Column(_) => "",
                    })
                    .collect();
                records.get(i).map_or_else(
                    || vec![ByValue::Missing; cols.len()],
                    |r| super::group::json_members(r.bytes, &names),
                )
            }
            Pair::Csv { table, groups, .. } => {
                let row = groups.get(i).and_then(|g| table.rows.get(g.start));
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
        }
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
        match self {
            Pair::Json {
                records, outcome, ..
            } => {
                let Some(r) = records.get(i) else {
                    return Both {
                        old: Err(missing()),
                        new: Err(missing()),
                        label: None,
                    };
                };
                let line = r.line as u64;
                let label = outcome.map(|name| json_outcome(r.bytes, name)).transpose();
                let eval = |ev: &'e mut Evaluator| -> Side<'e> {
                    let view = ev
                        .eval_json(r.bytes, ctx)
                        .map_err(|e| LineMsg {
                            line,
                            msg: e.to_string(),
                        })?
                        .raw();
                    Ok(view)
                };
                let (old, new) = (eval(old_ev), eval(new_ev));
                with_label(old, new, label.map(Option::flatten), line)
            }
            Pair::Csv {
                table,
                groups,
                old,
                new,
            } => {
                let Some(g) = groups.get(i) else {
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
