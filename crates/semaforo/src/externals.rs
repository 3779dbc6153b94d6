//! Reading external lists and tables (SPEC §5) into typed constants.
//!
//! List files hold one entry per line; `#` starts a comment line and blank
//! lines are skipped; each entry is trimmed of surrounding white space (so a
//! CRLF file reads like an LF file). Table files are CSV with the header
//! `key,value`; fields may be quoted with `"` (a doubled `""` inside quotes is
//! a quote); each row is trimmed outside quotes. Entries are typed by the
//! list or table declaration: numbers in JSON number syntax (exact), dates as
//! `YYYY-MM-DD`, bools as `true`/`false`, text as written.

use semaforo_compile::hir::{Const, Scalar};
use semaforo_plan::{Date, Decimal};
use semaforo_syntax::{Diagnostic, FileId, Span};

/// One raw entry of an external list or table, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry {
    /// The text as read (trimmed).
    pub(crate) text: String,
    /// Where in the data file (or a zero-length span for data given through
    /// the API).
    pub(crate) span: Span,
}

/// Splits a list file into entries.
pub(crate) fn read_list_file(file: FileId, text: &str) -> Vec<RawEntry> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = content.len() - content.trim_start().len();
        let s = (start + lead) as u32;
        out.push(RawEntry {
            text: trimmed.to_string(),
            span: Span::new(file, s, s + trimmed.len() as u32),
        });
    }
    out
}

/// Splits a CSV table file with header `key,value` into `(key, value)` pairs.
pub(crate) fn read_table_file(
    file: FileId,
    text: &str,
) -> Result<Vec<(RawEntry, RawEntry)>, Diagnostic> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut header_seen = false;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            continue;
        }
        let line_span = Span::new(file, start as u32, (start + content.len()) as u32);
        let fields = split_csv_line(content, start).map_err(|col| {
            Diagnostic::error(
                "E0601",
                Span::new(file, col as u32, col as u32 + 1),
                "malformed CSV field",
            )
            .with_help("close the quoted field with `\"`; write a quote inside quotes as `\"\"`")
        })?;
        if !header_seen {
            header_seen = true;
            let names: Vec<&str> = fields.iter().map(|(t, _)| t.as_str()).collect();
            if names != ["key", "value"] {
                return Err(Diagnostic::error(
                    "E0602",
                    line_span,
                    "a table file must start with the header `key,value`",
                ));
            }
            continue;
        }
        let [(k, ks), (v, vs)] = <[(String, usize); 2]>::try_from(fields).map_err(|f| {
            Diagnostic::error(
                "E0603",
                line_span,
                format!("expected 2 fields (`key,value`), found {}", f.len()),
            )
        })?;
        out.push((
            RawEntry {
                span: Span::new(file, ks as u32, (ks + k.len()) as u32),
                text: k,
            },
            RawEntry {
                span: Span::new(file, vs as u32, (vs + v.len()) as u32),
                text: v,
            },
        ));
    }
    if !header_seen {
        return Err(Diagnostic::error(
            "E0602",
            Span::new(file, 0, 0),
            "a table file must start with the header `key,value`",
        ));
    }
    Ok(out)
}

/// Splits one CSV line; each field comes with the byte offset of its text.
/// On a malformed quote, returns the offending byte offset.
fn split_csv_line(line: &str, base: usize) -> Result<Vec<(String, usize)>, usize> {
    let mut fields = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0usize;
    loop {
        while bytes.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
            i += 1;
        }
        if bytes.get(i) == Some(&b'"') {
            let open = i;
            i += 1;
            let mut value = String::new();
            let content_start = i;
            loop {
                match bytes.get(i) {
                    None => return Err(base + open),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        value.push('"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let ch = line
                            .get(i..)
                            .and_then(|s| s.chars().next())
                            .ok_or(base + i)?;
                        value.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            fields.push((value, base + content_start));
            while bytes.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
                i += 1;
            }
            match bytes.get(i) {
                None => return Ok(fields),
                Some(b',') => i += 1,
                Some(_) => return Err(base + i),
            }
        } else {
            let start = i;
            while bytes.get(i).is_some_and(|b| *b != b',') {
                i += 1;
            }
            let raw = line.get(start..i).unwrap_or("");
            let trimmed = raw.trim();
            let lead = raw.len() - raw.trim_start().len();
            if trimmed.contains('"') {
                return Err(base + start + lead);
            }
            fields.push((trimmed.to_string(), base + start + lead));
            match bytes.get(i) {
                None => return Ok(fields),
                _ => i += 1,
            }
        }
    }
}

/// Reads one entry as a constant of type `ty`.
pub(crate) fn typed(entry: &RawEntry, ty: Scalar, what: &str) -> Result<Const, Diagnostic> {
    let t = entry.text.as_str();
    let bad = |expected: &str| {
        Diagnostic::error(
            "E0604",
            entry.span,
            format!("{what}: expected {expected}, found `{t}`"),
        )
    };
    Ok(match ty {
        Scalar::Text => Const::Text(t.into()),
        Scalar::Number => Const::Number(
            Decimal::parse(t)
                .map_err(|_| bad("a number such as `12.5`"))?
                .value,
        ),
        Scalar::Date => Const::Date(Date::parse(t).ok_or_else(|| bad("a date `YYYY-MM-DD`"))?),
        Scalar::Bool => match t {
            "true" => Const::Bool(true),
            "false" => Const::Bool(false),
            _ => return Err(bad("`true` or `false`")),
        },
    })
}
