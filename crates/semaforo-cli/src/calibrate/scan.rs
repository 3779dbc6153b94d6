//! The history evaluated into histograms: for every declaration, its
//! score, its forced lane (the most severe `lane` action of its fired
//! rules, the default lane without one), the lane the ruleset gave it,
//! and its group (`--by`).
//!
//! The input's batches are each cut into contiguous chunks, one per
//! thread, as in backtest. Histograms are sums,
//! so they do not depend on the thread count; messages are printed in
//! input order.

use crate::backtest::source::{Evaluated, Opened, Source};
use crate::common::{error, warn};
use crate::input::Batch;
use crate::parallel::split_batch;
use semaforo::{Context, Evaluator, Ruleset};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use super::solve::Hist;

/// Where the `--by` value is read.
#[derive(Clone, Debug)]
pub(super) enum ByCol {
    /// A top-level JSON member.
    Member(String),
    /// A CSV column (its index).
    Column(usize),
}

/// The whole history, and per group.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Declarations read.
    pub read: u64,
    /// Of them, those that could not be evaluated.
    pub rejected: u64,
    /// Every evaluated declaration.
    pub all: Hist,
    /// Declarations by `--by` value (those without one only in `all`).
    pub groups: BTreeMap<String, Hist>,
    /// Evaluated declarations without a `--by` value.
    pub ungrouped: u64,
}

impl Scan {
    fn merge(&mut self, o: &Scan) {
        self.read += o.read;
        self.rejected += o.rejected;
        self.ungrouped += o.ungrouped;
        self.all.merge(&o.all);
        for (k, h) in &o.groups {
            match self.groups.get_mut(k) {
                Some(mine) => mine.merge(h),
                None => {
                    self.groups.insert(k.clone(), h.clone());
                }
            }
        }
    }
}

/// A message for stderr, printed by the calling thread in input order.
enum Msg {
    Error(String),
    Warning(String),
}

/// Evaluates every declaration of the input; the error is the message
/// to print when the input cannot be read to its end.
pub(super) fn run(
    opened: &mut Opened,
    ruleset: &Ruleset,
    ctx: &Context,
    by: Option<&ByCol>,
    input: &Path,
    threads: usize,
) -> Result<Scan, String> {
    let threads = threads.clamp(1, 256);
    let lanes = ruleset.lanes().len();
    let mut evs: Vec<Evaluator> = (0..threads).map(|_| ruleset.evaluator()).collect();
    let mut total = Scan::default();
    let mut batch = Batch::default();
    let progress = crate::backtest::progress_bar(input);
    while opened.reader.next_batch(&mut batch)? {
        let src = Source {
            batch: &batch,
            binder: opened.binder.as_ref(),
            outcome: None,
        };
        let first = batch.first;
        let job = |r: Range<usize>, ev: &mut Evaluator| work(src, r, ev, ctx, by, input, lanes);
        let outs = split_batch(&mut evs, 0..src.len(), &job, &|r| {
            lost(first + r.start..first + r.end, input)
        });
        for (scan, msgs) in outs {
            for m in msgs {
                match m {
                    Msg::Error(e) => error(e),
                    Msg::Warning(w) => warn(w),
                }
            }
            total.merge(&scan);
        }
        if let Some(pb) = &progress {
            pb.set_position(total.read);
        }
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    Ok(total)
}

/// A chunk whose worker failed: every declaration in it rejected, with
/// one message, so none is lost from the counts.
fn lost(r: Range<usize>, input: &Path) -> (Scan, Vec<Msg>) {
    let n = r.len() as u64;
    let scan = Scan {
        read: n,
        rejected: n,
        ..Scan::default()
    };
    let msg = format!(
        "{}: internal: the evaluation of declarations {} to {} failed; please report this",
        input.display(),
        r.start + 1,
        r.end
    );
    (scan, vec![Msg::Error(msg)])
}

/// Evaluates declarations `range`.
fn work(
    src: Source<'_>,
    range: Range<usize>,
    ev: &mut Evaluator,
    ctx: &Context,
    by: Option<&ByCol>,
    input: &Path,
    lanes: usize,
) -> (Scan, Vec<Msg>) {
    let mut scan = Scan::default();
    let mut msgs = Vec::new();
    let mut warnings = Vec::new();
    for i in range {
        warnings.clear();
        scan.read += 1;
        let r = src.evaluate(i, ev, ctx, &mut warnings);
        for w in &warnings {
            msgs.push(Msg::Warning(format!(
                "{}:{}: {}",
                input.display(),
                w.line,
                w.msg
            )));
        }
        let o = match r {
            Ok(Evaluated { outcome, .. }) => outcome,
            Err(e) => {
                scan.rejected += 1;
                msgs.push(Msg::Error(format!(
                    "{}:{}: {}",
                    input.display(),
                    e.line,
                    e.msg
                )));
                continue;
            }
        };
        let forced = o.fired.iter().filter_map(|f| f.lane).max().unwrap_or(0);
        scan.all.add(o.score, forced, o.lane, lanes);
        let Some(by) = by else { continue };
        match group_value(&src, i, by) {
            Some(v) => scan
                .groups
                .entry(v)
                .or_default()
                .add(o.score, forced, o.lane, lanes),
            None => scan.ungrouped += 1,
        }
    }
    (scan, msgs)
}

/// Declaration `i`'s `--by` value: a JSON string member, or a non-empty
/// CSV cell of its first row; `None` when missing.
fn group_value(src: &Source<'_>, i: usize, by: &ByCol) -> Option<String> {
    match by {
        ByCol::Member(name) => json_text_member(src.json_bytes(i)?, name),
        ByCol::Column(col) => {
            let b = src.batch;
            let row = b.table.rows.get(b.groups.get(i)?.start)?;
            match b.table.cell(row, *col)? {
                b"" => None,
                b => Some(String::from_utf8_lossy(b).into_owned()),
            }
        }
    }
}

/// A top-level string member of a JSON object, without building the
/// document. Anything else (absent, `null`, another type, not an object)
/// is `None`: a declaration whose member is not text is rejected by the
/// binder and never counted.
fn json_text_member(bytes: &[u8], name: &str) -> Option<String> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Member(name).deserialize(&mut de).ok().flatten()
}

struct Member<'a>(&'a str);

impl<'de> serde::de::DeserializeSeed<'de> for Member<'_> {
    type Value = Option<String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Member<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = None;
        while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.0 {
                let v: serde_json::Value = m.next_value()?;
                out = v.as_str().map(str::to_string);
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::json_text_member;

    #[test]
    fn reads_a_text_member() {
        let j = br#"{"a":{"office":"X"},"office":"GT\u00301","n":1}"#;
        assert_eq!(json_text_member(j, "office").as_deref(), Some("GT01"));
        assert_eq!(json_text_member(br#"{"office":null}"#, "office"), None);
        assert_eq!(json_text_member(br#"{"office":3}"#, "office"), None);
        assert_eq!(json_text_member(b"[1]", "office"), None);
    }
}
