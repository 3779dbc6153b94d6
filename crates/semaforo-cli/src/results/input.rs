//! Reading the two sides of the join: result records (CSV or JSON Lines),
//! held in a map of declaration id -> compact record, and outcome lines
//! (the output of `eval`), read one at a time.

use crate::input::{Batch, Format, Reader};
use semaforo::Date;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// Distinct texts (offices, lanes, reasons, finding types, rule ids,
/// fingerprints) stored once and named by index, so a record holds `u32`s.
#[derive(Debug, Default)]
pub(super) struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    /// The index of `s`, added if new.
    pub(super) fn id(&mut self, s: &str) -> u32 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    /// The text of index `i`.
    pub(super) fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }
}

/// An amount of money, exact: millionths of the currency unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Money(pub i128);

/// Fractional digits a revenue may have.
const MONEY_SCALE: u32 = 6;

impl Money {
    /// Reads `123`, `0.5`, `-12.345678` (at most 6 fractional digits, no
    /// exponent, no thousands separators).
    pub(super) fn parse(s: &str) -> Result<Money, String> {
        let bad = || {
            format!(
                "`{s}` is not a decimal amount (digits, an optional `.` and at most {MONEY_SCALE} fractional digits)"
            )
        };
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || int.len() > 24
            || frac.len() > MONEY_SCALE as usize
            || (body.contains('.') && frac.is_empty())
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let mut v: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            v = v * 10 + i128::from(b - b'0');
        }
        for _ in frac.len()..MONEY_SCALE as usize {
            v *= 10;
        }
        Ok(Money(if neg { -v } else { v }))
    }

    /// The sum; saturates (never near for real revenue).
    pub(super) fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }

    /// `self / n` rounded half to even to 2 fractional digits, written
    /// with exactly 2 (`None` for `n == 0`).
    pub(super) fn per(self, n: u64) -> Option<String> {
        if n == 0 {
            return None;
        }
        // Cents, exactly: value in millionths / 10^4 / n, half to even.
        let den = i128::from(n) * 10_000;
        let (q, r) = (self.0.div_euclid(den), self.0.rem_euclid(den));
        let q = match (2 * r).cmp(&den) {
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal if q % 2 != 0 => q + 1,
            _ => q,
        };
        let sign = if q < 0 { "-" } else { "" };
        let a = q.unsigned_abs();
        Some(format!("{sign}{}.{:02}", a / 100, a % 100))
    }
}

impl std::fmt::Display for Money {
    /// The canonical form: no exponent, no trailing fractional zeros.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let unit = 10u128.pow(MONEY_SCALE);
        let (int, frac) = (a / unit, a % unit);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let digits = format!("{frac:06}");
        write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
    }
}

/// One control result, compact: texts are interned.
#[derive(Clone, Debug)]
pub(super) struct ResultRec {
    /// Where it was read: index into the result file names, and line.
    pub file: u32,
    pub line: u64,
    /// A prefix of the fingerprint of the ruleset whose outcome the control followed.
    pub fingerprint: Option<u32>,
    /// The lane the system applied.
    pub lane: u32,
    /// The lane an officer moved the declaration to, and why.
    pub override_lane: Option<u32>,
    pub override_reason: Option<u32>,
    /// `None`: no control was made (an override to a lane without one).
    pub finding: Option<bool>,
    pub finding_type: Option<u32>,
    /// Millionths, as `Money` (a record's revenue fits an `i64`; sums
    /// are `i128`).
    pub revenue: i64,
    pub office: u32,
    pub date: Date,
    /// Joined with an outcome already.
    pub matched: bool,
}

/// Every column or member of a result record, in documentation order.
pub(super) const FIELDS: [&str; 10] = [
    "id",
    "fingerprint",
    "lane",
    "override_lane",
    "override_reason",
    "finding",
    "finding_type",
    "revenue",
    "office",
    "date",
];

/// The results read, with the counts of what could not be: records in a
/// vector, and a map of declaration id -> position (a map entry is the
/// boxed id and a `u32`, so the table stays small however large a record).
#[derive(Debug, Default)]
pub(super) struct Results {
    ids: HashMap<Box<str>, u32>,
    recs: Vec<ResultRec>,
    /// Lines (records) seen, rejected, and ids seen again (the later
    /// record replaces nothing: the first is kept).
    pub lines: u64,
    pub rejected: u64,
    pub duplicates: u64,
}

/// A message about one line of one file.
pub(super) fn at(file: &Path, line: u64, msg: impl std::fmt::Display) -> String {
    format!("{}:{line}: {msg}", file.display())
}

/// The fields of one record as texts (`None`: absent or empty).
type Fields<'a> = [Option<Cow<'a, str>>; 10];

impl Results {
    /// Reads one result file (`.csv`, else JSON Lines) into the map.
    /// Lines that cannot be read are passed to `report` with file:line and
    /// counted. `Err` only when the file cannot be read at all.
    pub(super) fn read_file(
        &mut self,
        path: &Path,
        file: u32,
        names: &mut Interner,
        report: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        let cannot = |e: std::io::Error| format!("cannot read `{}`: {e}", path.display());
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv {
            // Read as a stream, one row per unit, never held whole.
            let mut reader = Reader::open(path, Format::Csv)?;
            let Some(table) = reader.csv_header_table() else {
                return Ok(());
            };
            let cols: Vec<Option<usize>> = FIELDS.iter().map(|f| table.column(f)).collect();
            for req in ["id", "lane", "office", "date"] {
                if table.column(req).is_none() {
                    return Err(format!(
                        "{}: line 1: the header has no column `{req}` (columns: {})",
                        path.display(),
                        FIELDS.join(", ")
                    ));
                }
            }
            reader.set_csv_key(None);
            let mut batch = Batch::default();
            while reader.next_batch(&mut batch)? {
                let table = &batch.table;
                for row in &table.rows {
                    self.lines += 1;
                    if let Some(p) = table.problem(row) {
                        self.rejected += 1;
                        report(at(path, row.line, p));
                        continue;
                    }
                    let mut fields: Fields<'_> = Default::default();
                    for (slot, col) in fields.iter_mut().zip(&cols) {
                        *slot = col
                            .and_then(|c| table.cell(row, c))
                            .map(|c| String::from_utf8_lossy(c))
                            .map(|c| match c {
                                Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
                                Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
                            })
                            .filter(|c| !c.is_empty());
                    }
                    self.add(fields, file, row.line, names).unwrap_or_else(|e| {
                        self.rejected += 1;
                        report(at(path, row.line, e));
                    });
                }
            }
            return Ok(());
        }
        // JSON Lines are read one line at a time, never held whole.
        use std::io::BufRead;
        let mut reader =
            std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path).map_err(cannot)?);
        let mut line = Vec::new();
        let mut line_no = 0u64;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(cannot)? == 0 {
                break;
            }
            line_no += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.lines += 1;
            match json_fields(&line) {
                Ok(fields) => self.add(fields, file, line_no, names),
                Err(e) => Err(e),
            }
            .unwrap_or_else(|e| {
                self.rejected += 1;
                report(at(path, line_no, e));
            });
        }
        Ok(())
    }

    /// Checks one record's fields and stores it.
    fn add(
        &mut self,
        f: Fields<'_>,
        file: u32,
        line: u64,
        names: &mut Interner,
    ) -> Result<(), String> {
        let [
            id,
            fp,
            lane,
            ov_lane,
            ov_reason,
            finding,
            ftype,
            revenue,
            office,
            date,
        ] = f;
        let id = need(id, "id")?;
        let lane = need(lane, "lane")?;
        let office = need(office, "office")?;
        let date_text = need(date, "date")?;
        let date = Date::parse(&date_text)
            .ok_or_else(|| format!("`date`: `{date_text}` is not a date `YYYY-MM-DD`"))?;
        let fingerprint = match fp {
            Some(h) if h.len() >= 12 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(names.id(&h.to_ascii_lowercase()))
            }
            Some(h) => {
                return Err(format!(
                    "`fingerprint`: `{h}` is not a fingerprint (at least 12 hexadecimal digits)"
                ));
            }
            None => None,
        };
        let finding = match finding.as_deref() {
            None => None,
            Some(t) => Some(parse_finding(t)?),
        };
        if ov_lane.is_some() != ov_reason.is_some() {
            return Err(
                "`override_lane` and `override_reason` go together: give both or neither".into(),
            );
        }
        if finding.is_none() && ov_lane.is_none() {
            return Err("`finding` is missing: a record without a finding must record an override (no control made)".into());
        }
        if ftype.is_some() && finding != Some(true) {
            return Err("`finding_type` is given but `finding` is not yes".into());
        }
        let revenue = match revenue.as_deref() {
            None => Money::default(),
            Some(r) => Money::parse(r).map_err(|e| format!("`revenue`: {e}"))?,
        };
        if revenue.0 < 0 {
            return Err("`revenue` is negative".into());
        }
        if revenue.0 > 0 && finding != Some(true) {
            return Err("`revenue` above zero needs `finding` yes".into());
        }
        let revenue = i64::try_from(revenue.0)
            .map_err(|_| "`revenue` is too large (at most 9,223,372,036,854.775807)".to_string())?;
        let rec = ResultRec {
            file,
            line,
            fingerprint,
            lane: names.id(&lane),
            override_lane: ov_lane.map(|l| names.id(&l)),
            override_reason: ov_reason.map(|r| names.id(&r)),
            finding,
            finding_type: ftype.map(|t| names.id(&t)),
            revenue,
            office: names.id(&office),
            date,
            matched: false,
        };
        if let Some(first) = self.get(&id).map(|r| r.line) {
            self.duplicates += 1;
            return Err(format!(
                "declaration `{id}` already has a result (line {first}); a declaration has one result, this one is not used"
            ));
        }
        let at = u32::try_from(self.recs.len())
            .map_err(|_| "more than 4,294,967,295 results".to_string())?;
        self.recs.push(rec);
        self.ids.insert(id.into_owned().into_boxed_str(), at);
        Ok(())
    }

    /// The result of declaration `id`.
    pub(super) fn get(&self, id: &str) -> Option<&ResultRec> {
        self.ids.get(id).and_then(|i| self.recs.get(*i as usize))
    }

    /// The result of declaration `id`, to mark it joined.
    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut ResultRec> {
        self.ids
            .get(id)
            .and_then(|i| self.recs.get_mut(*i as usize))
    }

    /// Every result with its declaration id.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &ResultRec)> {
        self.ids
            .iter()
            .filter_map(|(id, i)| self.recs.get(*i as usize).map(|r| (&**id, r)))
    }
}

/// A required field's text.
fn need<'a>(v: Option<Cow<'a, str>>, name: &str) -> Result<Cow<'a, str>, String> {
    v.ok_or_else(|| format!("`{name}` is missing or empty"))
}

/// `yes`/`no`, `true`/`false`, `1`/`0` (case-insensitive).
fn parse_finding(t: &str) -> Result<bool, String> {
    match t.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Ok(true),
        "no" | "false" | "0" => Ok(false),
        _ => Err(format!("`finding`: `{t}` is not yes/no, true/false or 1/0")),
    }
}

/// The fields of one JSON Lines result record. Values are texts, except
/// `finding` (also a bool or 0/1) and `revenue` (also a number, read from
/// its shortest decimal form); `null` is the same as absent.
fn json_fields(line: &[u8]) -> Result<Fields<'static>, String> {
    use serde_json::Value;
    let v: serde_json::Map<String, Value> =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
    for k in v.keys() {
        if !FIELDS.contains(&k.as_str()) {
            return Err(format!(
                "unknown member `{k}` (members: {})",
                FIELDS.join(", ")
            ));
        }
    }
    let mut out: Fields<'static> = Default::default();
    for (slot, name) in out.iter_mut().zip(FIELDS) {
        *slot = match v.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(Cow::<str>::Owned(s.trim().to_string())).filter(|s| !s.is_empty())
            }
            Some(Value::Bool(b)) if name == "finding" => Some(Cow::Owned(b.to_string())),
            Some(Value::Number(n)) if name == "finding" || name == "revenue" => {
                Some(Cow::Owned(n.to_string()))
            }
            Some(other) => return Err(format!("`{name}`: expected text, found `{other}`")),
        };
    }
    Ok(out)
}

/// One fired or monitored entry of an outcome.
#[derive(Deserialize)]
pub(super) struct Entry<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default)]
    pub draw: Option<u32>,
}

/// The ruleset an outcome names.
#[derive(Deserialize)]
pub(super) struct RulesetRef<'a> {
    #[serde(borrow)]
    pub fingerprint: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub version: Option<Cow<'a, str>>,
}

/// One line of an outcome log: an outcome or `eval`'s error record.
#[derive(Deserialize)]
pub(super) struct OutcomeLine<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub lane: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub fired: Option<Vec<Entry<'a>>>,
    #[serde(borrow, default)]
    pub monitored: Option<Vec<Entry<'a>>>,
    #[serde(borrow, default)]
    pub today: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub ruleset: Option<RulesetRef<'a>>,
    #[serde(default)]
    pub error: Option<serde::de::IgnoredAny>,
}

/// A line of the outcome log, checked.
pub(super) enum Line<'a> {
    /// An outcome.
    Outcome {
        id: Cow<'a, str>,
        lane: Cow<'a, str>,
        fired: Vec<Entry<'a>>,
        monitored: Vec<Entry<'a>>,
        today: Date,
        ruleset: RulesetRef<'a>,
    },
    /// `eval`'s record of a declaration it could not evaluate.
    EvalError,
}

/// Reads one outcome line.
pub(super) fn outcome_line(bytes: &[u8]) -> Result<Line<'_>, String> {
    let o: OutcomeLine<'_> = serde_json::from_slice(bytes).map_err(|e| {
        format!("not an outcome of `semaforo eval` (fired entries are objects `{{\"id\",\"points\",...}}`): {e}")
    })?;
    if o.error.is_some() {
        return Ok(Line::EvalError);
    }
    let missing = |m: &str| format!("not an outcome: member `{m}` is missing");
    let today_text = o.today.ok_or_else(|| missing("today"))?;
    let today = Date::parse(&today_text)
        .ok_or_else(|| format!("`today`: `{today_text}` is not a date `YYYY-MM-DD`"))?;
    let ruleset = o.ruleset.ok_or_else(|| missing("ruleset"))?;
    if ruleset.fingerprint.is_empty() || !ruleset.fingerprint.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err("`ruleset.fingerprint` is not hexadecimal".into());
    }
    Ok(Line::Outcome {
        id: o.id.ok_or_else(|| missing("id"))?,
        lane: o.lane.ok_or_else(|| missing("lane"))?,
        fired: o.fired.ok_or_else(|| missing("fired"))?,
        monitored: o.monitored.unwrap_or_default(),
        today,
        ruleset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact() {
        let m = |s| Money::parse(s).unwrap();
        assert_eq!(m("12").to_string(), "12");
        assert_eq!(m("0.5").to_string(), "0.5");
        assert_eq!(m("1250.125").add(m("0.875")).to_string(), "1251");
        assert!(Money::parse("1e3").is_err());
        assert!(Money::parse("1.").is_err());
        assert!(Money::parse("0.1234567").is_err());
        assert_eq!(m("10").per(4).unwrap(), "2.50");
        assert_eq!(m("0.125").per(1).unwrap(), "0.12");
        assert_eq!(m("0.135").per(1).unwrap(), "0.14");
        assert_eq!(m("1").per(3).unwrap(), "0.33");
        assert!(m("1").per(0).is_none());
    }

    #[test]
    fn json_result_records() {
        let f = json_fields(br#"{"id":"A","finding":true,"revenue":12.50,"office":"GT01","date":"2026-11-02","lane":"red"}"#).unwrap();
        assert_eq!(f[5].as_deref(), Some("true"));
        assert_eq!(f[7].as_deref(), Some("12.5"));
        assert!(json_fields(br#"{"id":"A","extra":1}"#).is_err());
        assert!(json_fields(br#"{"id":5}"#).is_err());
    }
}
