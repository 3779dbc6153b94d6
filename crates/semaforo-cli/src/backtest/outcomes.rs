//! `backtest --outcomes FILE`: every declaration's outcome, in the JSON
//! Lines `eval` writes, so an analyst can pick declarations from the
//! report (the top k% by score, a rule's hits) and `explain` them, or feed
//! the file to `semaforo results`.
//!
//! The units are evaluated a second time, on one thread and in input
//! order, after the report's parallel run: the parallel run keeps no
//! outcome, and its code stays as it is. Line `i` answers unit `i`; a unit
//! that could not be evaluated gets `eval`'s error record.

use super::source::Source;
use crate::cmd_eval::key_of;
use semaforo::{Context, Ruleset};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Writes the outcomes of the first `units` units of `src` to `path`.
pub(super) fn write(
    path: &Path,
    src: &Source<'_>,
    units: usize,
    ruleset: &Ruleset,
    ctx: &Context,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let mut ev = ruleset.evaluator();
    let mut warnings = Vec::new();
    let mut line = String::new();
    for i in 0..units.min(src.len()) {
        line.clear();
        warnings.clear();
        match src.evaluate(i, &mut ev, ctx, &mut warnings) {
            Ok(_) => {
                if let Some(o) = ev.outcome() {
                    ruleset.view(ev.declaration(), ctx, o).write_json(&mut line);
                    line.push('\n');
                }
            }
            Err(e) => {
                let _ = write!(line, "{{\"index\":{i},\"line\":{},", e.line);
                let id = match src {
                    Source::Json { records, .. } => {
                        records.get(i).and_then(|r| key_of(ruleset, r.bytes))
                    }
                    Source::Csv { .. } => None,
                };
                if let Some(id) = id {
                    let _ = write!(line, "\"id\":{},", Value::from(id));
                }
                let _ = writeln!(line, "\"error\":{}}}", Value::from(e.msg));
            }
        }
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}
