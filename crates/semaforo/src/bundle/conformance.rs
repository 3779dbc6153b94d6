//! Conformance vectors: declarations with the outcomes the engine gave
//! them when the bundle was built.
//!
//! `expected.jsonl` has one line per declaration, in order:
//! `{"line":N,"id":KEY,"lane":..,"score":..,"fired":[..],"monitored":[..],"undetermined":[..]}`,
//! where `line` is the declaration's line in the declarations file.

use super::{BundleError, ConformanceFiles};
use crate::ruleset::{Context, OutcomeView, Ruleset};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The part of an outcome a conformance vector fixes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ExpectedOutcome {
    /// The lane.
    pub lane: String,
    /// The score.
    pub score: i64,
    /// Fired rule ids, in ruleset order.
    pub fired: Vec<String>,
    /// Shadow rules that would have fired.
    pub monitored: Vec<String>,
    /// Rules that could not be decided.
    pub undetermined: Vec<String>,
}

impl ExpectedOutcome {
    fn of(view: &OutcomeView<'_>) -> ExpectedOutcome {
        ExpectedOutcome {
            lane: view.lane().to_string(),
            score: view.score(),
            fired: view.fired().map(|f| f.id.to_string()).collect(),
            monitored: view.monitored().map(|f| f.id.to_string()).collect(),
            undetermined: view.undetermined().map(str::to_string).collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedLine {
    line: usize,
    id: String,
    #[serde(flatten)]
    outcome: ExpectedOutcome,
}

/// A vector whose outcome differs from the expected one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConformanceMismatch {
    /// The declaration's line in the declarations file.
    pub line: usize,
    /// The declaration's key.
    pub id: String,
    /// The expected outcome.
    pub expected: ExpectedOutcome,
    /// The outcome the ruleset gave, or why it gave none.
    pub got: Result<ExpectedOutcome, String>,
}

fn ids(v: &[String]) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ConformanceMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, declaration `{}`: ", self.line, self.id)?;
        let got = match &self.got {
            Err(e) => return write!(f, "no outcome: {e}"),
            Ok(g) => g,
        };
        let e = &self.expected;
        let mut parts = Vec::new();
        if e.lane != got.lane {
            parts.push(format!("lane expected `{}`, got `{}`", e.lane, got.lane));
        }
        if e.score != got.score {
            parts.push(format!("score expected {}, got {}", e.score, got.score));
        }
        for (what, a, b) in [
            ("fired", &e.fired, &got.fired),
            ("monitored", &e.monitored, &got.monitored),
            ("undetermined", &e.undetermined, &got.undetermined),
        ] {
            if a != b {
                parts.push(format!("{what} expected {}, got {}", ids(a), ids(b)));
            }
        }
        write!(f, "{}", parts.join("; "))
    }
}

/// The result of running a bundle's conformance vectors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConformanceReport {
    /// Vectors run.
    pub total: usize,
    /// Those whose outcome differs, in file order.
    pub mismatches: Vec<ConformanceMismatch>,
    /// The fingerprint of the ruleset they ran against.
    pub fingerprint: String,
}

impl ConformanceReport {
    /// True if at least one vector ran and every vector gave its expected
    /// outcome.
    pub fn passed(&self) -> bool {
        self.total > 0 && self.mismatches.is_empty()
    }
}

/// The non-blank lines of a JSON Lines text with their line numbers.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// The expected outcomes of `declarations`, as `expected.jsonl` text. A
/// declaration that cannot be bound is an error: a vector must be a
/// decision.
pub(crate) fn expected_lines(
    ruleset: &Ruleset,
    ctx: &Context,
    file: &str,
    declarations: &str,
) -> Result<String, BundleError> {
    let mut ev = ruleset.evaluator();
    let mut out = String::new();
    for (line, text) in lines(declarations) {
        let view = ev
            .eval_json(text.as_bytes(), ctx)
            .map_err(|e| BundleError::Conformance {
                path: file.to_string(),
                line,
                message: format!("the declaration cannot be evaluated: {e}"),
            })?;
        let record = ExpectedLine {
            line,
            id: view.id().to_string(),
            outcome: ExpectedOutcome::of(&view),
        };
        let json = serde_json::to_string(&record).map_err(|e| BundleError::Conformance {
            path: file.to_string(),
            line,
            message: e.to_string(),
        })?;
        out.push_str(&json);
        out.push('\n');
    }
    if out.is_empty() {
        return Err(BundleError::Conformance {
            path: file.to_string(),
            line: 0,
            message: "no declarations".into(),
        });
    }
    Ok(out)
}

/// Runs the vectors against `ruleset`.
pub(crate) fn run(
    ruleset: &Ruleset,
    ctx: &Context,
    files: &ConformanceFiles,
    declarations: &str,
    expected: &str,
) -> Result<ConformanceReport, BundleError> {
    let decl_path = &files.declarations.path;
    let exp_path = &files.expected.path;
    let mut decls = lines(declarations);
    let mut ev = ruleset.evaluator();
    let mut report = ConformanceReport {
        total: 0,
        mismatches: Vec::new(),
        fingerprint: ruleset.fingerprint_hex().to_string(),
    };
    for (exp_line, text) in lines(expected) {
        let want: ExpectedLine =
            serde_json::from_str(text).map_err(|e| BundleError::Conformance {
                path: exp_path.clone(),
                line: exp_line,
                message: e.to_string(),
            })?;
        let Some((line, decl)) = decls.next() else {
            return Err(BundleError::Conformance {
                path: exp_path.clone(),
                line: exp_line,
                message: format!("more expected outcomes than declarations in `{decl_path}`"),
            });
        };
        if line != want.line {
            return Err(BundleError::Conformance {
                path: exp_path.clone(),
                line: exp_line,
                message: format!(
                    "expects declaration line {}, the next declaration is on line {line}",
                    want.line
                ),
            });
        }
        report.total += 1;
        let got = ev
            .eval_json(decl.as_bytes(), ctx)
            .map(|v| (v.id().to_string(), ExpectedOutcome::of(&v)))
            .map_err(|e| e.to_string());
        let ok = matches!(&got, Ok((id, o)) if *id == want.id && *o == want.outcome);
        if !ok {
            report.mismatches.push(ConformanceMismatch {
                line,
                id: want.id,
                expected: want.outcome,
                got: got.map(|(_, o)| o),
            });
        }
    }
    if let Some((line, _)) = decls.next() {
        return Err(BundleError::Conformance {
            path: decl_path.clone(),
            line,
            message: format!("the declaration has no expected outcome in `{exp_path}`"),
        });
    }
    if report.total == 0 {
        return Err(BundleError::Conformance {
            path: exp_path.clone(),
            line: 0,
            message: "no conformance vectors".into(),
        });
    }
    Ok(report)
}
