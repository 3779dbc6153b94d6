//! `--by`: what a breakdown groups by, reading its values from a
//! declaration, and the date buckets (`day`, `week`, `month`).
//!
//! A breakdown is one `--by` option: one column (`office`), a date column
//! with a bucket (`declared_on:month`), or several of them joined with `,`
//! (`office,declared_on:month`), which groups by the combination.

use semaforo::Date;

/// How a date column is bucketed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bucket {
    /// `YYYY-MM-DD`.
    Day,
    /// The ISO 8601 week, `YYYY-Www` (weeks start on Monday; week 1 holds
    /// the year's first Thursday).
    Week,
    /// `YYYY-MM`.
    Month,
}

impl Bucket {
    /// The bucket's name in a `--by` option.
    pub(super) fn name(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
        }
    }
}

/// One column of a breakdown, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ByPart {
    /// The column (CSV header or mapped field path) or JSON member.
    pub column: String,
    /// The date bucket, if any.
    pub bucket: Option<Bucket>,
}

/// One `--by` option: its text and its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BySpec {
    /// The option's text, which names the breakdown (and `at` in gates).
    pub text: String,
    /// The columns, in order.
    pub parts: Vec<ByPart>,
}

impl BySpec {
    /// Parses `COL[:day|week|month][,COL...]`. The spec's text is its
    /// canonical form, without spaces around the parts, so `at` in a gate
    /// matches however the option was spaced.
    pub(super) fn parse(text: &str) -> Result<BySpec, String> {
        let parts = text
            .split(',')
            .map(|p| parse_part(text, p.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let text = parts
            .iter()
            .map(|p| match p.bucket {
                None => p.column.clone(),
                Some(b) => format!("{}:{}", p.column, b.name()),
            })
            .collect::<Vec<_>>()
            .join(",");
        Ok(BySpec { text, parts })
    }
}

fn parse_part(whole: &str, p: &str) -> Result<ByPart, String> {
    let (column, bucket) = match p.rsplit_once(':') {
        Some((c, "day")) => (c, Some(Bucket::Day)),
        Some((c, "week")) => (c, Some(Bucket::Week)),
        Some((c, "month")) => (c, Some(Bucket::Month)),
        Some((_, other)) => {
            return Err(format!(
                "`--by {whole}`: unknown date bucket `{other}`; expected `day`, `week` or `month`"
            ));
        }
        None => (p, None),
    };
    if column.trim().is_empty() {
        return Err(format!("`--by {whole}`: a column name is empty"));
    }
    Ok(ByPart {
        column: column.trim().to_string(),
        bucket,
    })
}

/// Where a `--by` column's value is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ByCol {
    /// A CSV column, by index.
    Column(usize),
    /// A top-level JSON member.
    Member(String),
}

/// A `--by` value as read from a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ByValue {
    /// Absent, empty or null.
    Missing,
    /// Text, or a number or bool written as text.
    Text(String),
    /// An object or an array: not a value to group by.
    Composite,
}

/// The group label of `value` under `bucket`; `Err` holds the label and
/// why the value is not what was asked for (a warning).
pub(super) fn label(value: &ByValue, bucket: Option<Bucket>) -> Result<String, (String, String)> {
    match (value, bucket) {
        (ByValue::Missing, _) => Ok("(missing)".to_string()),
        (ByValue::Composite, _) => Err((
            "(not a value)".to_string(),
            "an object or array cannot be grouped by".to_string(),
        )),
        (ByValue::Text(t), None) => Ok(t.clone()),
        (ByValue::Text(t), Some(b)) => match Date::parse(t.trim()) {
            Some(d) => Ok(bucket_of(d, b)),
            None => Err((
                "(not a date)".to_string(),
                format!("`{t}` is not a date `YYYY-MM-DD`"),
            )),
        },
    }
}

/// The bucket a date falls in.
pub(super) fn bucket_of(d: Date, b: Bucket) -> String {
    let (y, m, day) = d.ymd();
    match b {
        Bucket::Day => format!("{y:04}-{m:02}-{day:02}"),
        Bucket::Month => format!("{y:04}-{m:02}"),
        Bucket::Week => {
            let (wy, w) = iso_week(d);
            format!("{wy:04}-W{w:02}")
        }
    }
}

/// The ISO 8601 week-numbering year and week of a date: the week holds
/// the Thursday of the same Monday-to-Sunday week, whose year it takes.
fn iso_week(d: Date) -> (i32, i32) {
    // 1970-01-01 was a Thursday: Monday = 0.
    let weekday = (d.days() + 3).rem_euclid(7);
    let thursday = d.days() - weekday + 3;
    let year = Date::from_days(thursday).map_or(d.ymd().0, |t| t.ymd().0);
    let jan1 = Date::from_ymd(year, 1, 1).map_or(thursday, Date::days);
    (year, (thursday - jan1) / 7 + 1)
}

/// Reads the top-level members `names` of a JSON object as group values,
/// without building the document. A record that is not an object, or
/// does not parse, gives `Missing` everywhere: it is rejected by the
/// binder anyway and never reaches a group.
pub(super) fn json_members(bytes: &[u8], names: &[&str]) -> Vec<ByValue> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Members(names)
        .deserialize(&mut de)
        .unwrap_or_else(|_| vec![ByValue::Missing; names.len()])
}

struct Members<'a>(&'a [&'a str]);

impl<'de> serde::de::DeserializeSeed<'de> for Members<'_> {
    type Value = Vec<ByValue>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Members<'_> {
    type Value = Vec<ByValue>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![ByValue::Missing; self.0.len()];
        while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            if self.0.contains(&key.as_ref()) {
                // The same member may serve several parts of a breakdown.
                let v = m.next_value::<Scalar>()?.0;
                for (slot, n) in out.iter_mut().zip(self.0) {
                    if *n == key {
                        *slot = v.clone();
                    }
                }
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct Scalar(ByValue);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> serde::de::Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(ByValue::Text(v.to_string())))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(ByValue::Text(v.to_string())))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(ByValue::Text(v.to_string())))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(ByValue::Text(v.to_string())))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(if v.is_empty() {
            ByValue::Missing
        } else {
            ByValue::Text(v.to_string())
        }))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar(ByValue::Missing))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar(ByValue::Missing))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Scalar, A::Error> {
        while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Scalar(ByValue::Composite))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Scalar, A::Error> {
        while m
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Scalar(ByValue::Composite))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(s: &str) -> String {
        bucket_of(Date::parse(s).unwrap(), Bucket::Week)
    }

    #[test]
    fn iso_weeks_at_year_ends() {
        assert_eq!(week("2026-01-01"), "2026-W01"); // a Thursday
        assert_eq!(week("2025-12-29"), "2026-W01"); // its Monday
        assert_eq!(week("2027-01-01"), "2026-W53"); // a Friday
        assert_eq!(week("2021-01-03"), "2020-W53"); // a Sunday
        assert_eq!(week("2021-01-04"), "2021-W01");
    }

    #[test]
    fn specs_parse_and_bad_buckets_are_named() {
        let s = BySpec::parse(" office , declared_on:month").unwrap();
        assert_eq!(s.parts.len(), 2);
        assert_eq!(s.text, "office,declared_on:month");
        assert_eq!(s.parts[1].bucket, Some(Bucket::Month));
        let e = BySpec::parse("declared_on:year").unwrap_err();
        assert!(e.contains("`year`"), "{e}");
    }

    #[test]
    fn json_members_read_scalars() {
        let v = json_members(
            br#"{"a":"x","b":12.5,"c":[1],"d":null}"#,
            &["a", "b", "c", "d", "e"],
        );
        assert_eq!(
            v,
            vec![
                ByValue::Text("x".into()),
                ByValue::Text("12.5".into()),
                ByValue::Composite,
                ByValue::Missing,
                ByValue::Missing
            ]
        );
    }
}
