//! Reading external lists and tables (SPEC §5) into typed constants.
//!
//! Every data file, list or table, is read by one line reader
//! ([`DataLines`]) with one policy, so that an entry is exactly what an
//! analyst sees in an editor, or the file is refused with a diagnostic that
//! names the line:
//!
//! - a UTF-8 byte order mark at the very start of the file is skipped;
//! - lines end with LF or CRLF; a carriage return not followed by LF (the
//!   old Mac line end, or a stray CR) is error E0606;
//! - each entry (a list line, a CSV field) is trimmed of surrounding white
//!   space; what remains must not contain a control character (tab
//!   included), an invisible formatting character (zero-width space, joiners,
//!   direction marks, a byte order mark, soft hyphen, ...) or white space
//!   other than the ASCII space: each is error E0606 at the character.
//!   Such a character makes an entry that looks like `IMP-7` differ from
//!   `IMP-7`, so the watched importer would silently stop matching.
//!
//! List files hold one entry per line; a line whose first non-blank
//! character is `#` is a comment, and blank lines are skipped. Table files
//! are CSV with the header `key,value` (a one-value table) or `key` and one
//! column per declared column, in any order (a multi-column table, where an
//! empty field is an empty cell); comments and blank lines as in list
//! files; fields may be quoted with `"` (a doubled `""` inside quotes is a
//! quote; a quoted field ends on its line). A key given twice is an error
//! naming both lines.
//! Entries are typed by the list or table declaration: numbers in JSON
//! number syntax (exact), dates as `YYYY-MM-DD`, bools as `true`/`false`,
//! text as written. Entries given through the API are checked for the same
//! characters (they are not trimmed).

use std::collections::HashMap;

use semaforo_compile::hir::{Const, Scalar};
use semaforo_plan::{Date, Decimal};
use semaforo_syntax::{Diagnostic, FileId, Span};

/// One raw entry of an external list or table, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry {
    /// The text as read (trimmed).
    pub(crate) text: String,
    /// Where in the data file (or in the pseudo-source of data given
    /// through the API).
    pub(crate) span: Span,
}

/// One line of a data file, without its line end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// Byte offset of the line's first byte in the file.
    pub(crate) start: usize,
    /// The line's text, without `\n` or `\r\n`.
    pub(crate) text: &'a str,
}

/// The lines of a data file, by the policy in the module docs: a leading
/// byte order mark skipped, LF or CRLF line ends, a bare CR an error.
pub(crate) struct DataLines<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
}

const BOM: &str = "\u{feff}";

impl<'a> DataLines<'a> {
    pub(crate) fn new(file: FileId, text: &'a str) -> DataLines<'a> {
        let pos = if text.starts_with(BOM) { BOM.len() } else { 0 };
        DataLines { file, text, pos }
    }
}

impl<'a> Iterator for DataLines<'a> {
    type Item = Result<Line<'a>, Diagnostic>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.text.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let start = self.pos;
        let (len, next) = match rest.find(['\n', '\r']) {
            None => (rest.len(), self.text.len()),
            Some(i) => match rest.as_bytes().get(i..i + 2) {
                Some(b"\r\n") => (i, start + i + 2),
                _ if rest.as_bytes().get(i) == Some(&b'\n') => (i, start + i + 1),
                _ => {
                    // A bare CR: the rest of the file is not read, so one
                    // diagnostic names the first one.
                    self.pos = self.text.len();
                    let at = (start + i) as u32;
                    return Some(Err(Diagnostic::error(
                        "E0606",
                        Span::new(self.file, at, at + 1),
                        "carriage return not followed by a line feed",
                    )
                    .with_help(
                        "save the file with LF or CRLF line ends (a bare CR is the old Mac line end, \
                         and would join lines into one entry)",
                    )));
                }
            },
        };
        self.pos = next;
        let text = rest.get(..len).unwrap_or("");
        Some(Ok(Line { start, text }))
    }
}

/// Checks an entry's characters; `start` is the byte offset of `text` in
/// the file. All-ASCII-printable entries (the usual case) are checked in
/// one pass over the bytes.
pub(crate) fn check_entry(file: FileId, start: usize, text: &str) -> Result<(), Diagnostic> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    for (i, c) in text.char_indices() {
        if let Some(what) = crate::charset::entry_problem(c) {
            let at = (start + i) as u32;
            return Err(Diagnostic::error(
                "E0606",
                Span::new(file, at, at + c.len_utf8() as u32),
                format!("entry contains {what} (U+{:04X})", c as u32),
            )
            .with_help(
                "an entry must be exactly the text it shows; remove the character \
                 (it often comes from copying out of a spreadsheet or a web page)",
            ));
        }
    }
    Ok(())
}

/// Splits a list file into entries; every diagnostic of the file is
/// pushed to `errors` (an entry with a bad character is left out, and the
/// compile fails).
pub(crate) fn read_list_file(
    file: FileId,
    text: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<RawEntry> {
    let mut out = Vec::new();
    for line in DataLines::new(file, text) {
        let line = match line {
            Ok(l) => l,
            Err(d) => {
                errors.push(d);
                break;
            }
        };
        let trimmed = line.text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = line.text.len() - line.text.trim_start().len();
        let s = line.start + lead;
        if let Err(d) = check_entry(file, s, trimmed) {
            errors.push(d);
            continue;
        }
        out.push(RawEntry {
            text: trimmed.to_string(),
            span: Span::new(file, s as u32, (s + trimmed.len()) as u32),
        });
    }
    out
}

/// One row of a table file: its key and one cell per declared column, in
/// declaration order (`None`: an empty cell of a multi-column table).
pub(crate) type TableRow = (RawEntry, Vec<Option<RawEntry>>);

/// Reads a CSV table file. `columns` are the declared column names, in
/// declaration order (`["value"]` for a one-value table); the header names
/// `key` and each of them exactly once, in any order (a one-value table's
/// header is exactly `key,value`). A line whose first non-blank character
/// is `#` is a comment and blank lines are skipped. In a multi-column
/// table (`multi`) an empty field is an empty cell. A key given twice is
/// E0503 at the second, with the first as a label. Every problem with the
/// file is returned (the header's alone when the header is wrong).
pub(crate) fn read_table_file(
    file: FileId,
    text: &str,
    columns: &[&str],
    multi: bool,
) -> Result<Vec<TableRow>, Vec<Diagnostic>> {
    let mut out: Vec<TableRow> = Vec::new();
    let mut errors = Vec::new();
    // Field `i` of a row goes to `order[i]` (`None`: the key).
    let mut order: Option<Vec<Option<usize>>> = None;
    let mut first_line: HashMap<String, Span> = HashMap::new();
    let expected_header = || {
        let mut h = String::from("key");
        for c in columns {
            h.push(',');
            h.push_str(c);
        }
        h
    };
    for line in DataLines::new(file, text) {
        let Line {
            start,
            text: content,
        } = match line {
            Ok(l) => l,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line_span = Span::new(file, start as u32, (start + content.len()) as u32);
        let fields = match split_csv_line(content, start) {
            Ok(f) => f,
            Err(col) => {
                errors.push(
                    Diagnostic::error(
                        "E0601",
                        Span::new(file, col as u32, col as u32 + 1),
                        "malformed CSV field",
                    )
                    .with_help(
                        "close the quoted field with `\"`; write a quote inside quotes as `\"\"`",
                    ),
                );
                continue;
            }
        };
        let mut bad_char = false;
        for (t, at) in &fields {
            if let Err(d) = check_entry(file, *at, t) {
                errors.push(d);
                bad_char = true;
            }
        }
        let Some(order) = &order else {
            match header_order(&fields, columns, multi) {
                Some(o) => order = Some(o),
                None => {
                    errors.push(
                        Diagnostic::error(
                            "E0602",
                            line_span,
                            format!(
                                "a table file must start with the header `{}`",
                                expected_header()
                            ),
                        )
                        .with_help(if multi {
                            "name the key column `key` and every declared column once, in any order"
                        } else {
                            "the first line names the two columns: `key,value`"
                        }),
                    );
                    return Err(errors);
                }
            }
            continue;
        };
        if fields.len() != order.len() {
            errors.push(Diagnostic::error(
                "E0603",
                line_span,
                format!(
                    "expected {} fields (`{}`), found {}",
                    order.len(),
                    expected_header(),
                    fields.len()
                ),
            ));
            continue;
        }
        if bad_char {
            continue;
        }
        let mut key = None;
        let mut cells: Vec<Option<RawEntry>> = vec![None; columns.len()];
        for ((t, at), slot) in fields.into_iter().zip(order) {
            let entry = RawEntry {
                span: Span::new(file, at as u32, (at + t.len()) as u32),
                text: t,
            };
            match slot {
                None => key = Some(entry),
                Some(c) => {
                    if let Some(cell) = cells.get_mut(*c)
                        && !(multi && entry.text.is_empty())
                    {
                        *cell = Some(entry);
                    }
                }
            }
        }
        let Some(key) = key else { continue };
        if let Some(first) = first_line.get(&key.text) {
            errors.push(
                Diagnostic::error(
                    "E0503",
                    key.span,
                    format!("key `{}` is given twice in the table file", key.text),
                )
                .with_label(*first, "first given here")
                .with_help("keep one row per key"),
            );
            continue;
        }
        first_line.insert(key.text.clone(), key.span);
        out.push((key, cells));
    }
    if order.is_none() && errors.is_empty() {
        errors.push(Diagnostic::error(
            "E0602",
            Span::new(file, 0, 0),
            format!(
                "a table file must start with the header `{}`",
                expected_header()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Where each header field goes: `None` for `key`, `Some(i)` for declared
/// column `i`; `None` if the header is not `key` and each column once (for
/// a one-value table: exactly `key,value`).
fn header_order(
    fields: &[(String, usize)],
    columns: &[&str],
    multi: bool,
) -> Option<Vec<Option<usize>>> {
    let names: Vec<&str> = fields.iter().map(|(t, _)| t.as_str()).collect();
    if !multi {
        return (names == ["key", "value"]).then(|| vec![None, Some(0)]);
    }
    if names.len() != columns.len() + 1 {
        return None;
    }
    let mut seen = vec![false; columns.len() + 1];
    let mut order = Vec::with_capacity(names.len());
    for n in names {
        let slot = if n == "key" {
            None
        } else {
            Some(columns.iter().position(|c| *c == n)?)
        };
        let mark = seen.get_mut(slot.map_or(0, |i| i + 1))?;
        if *mark {
            return None;
        }
        *mark = true;
        order.push(slot);
    }
    Some(order)
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
