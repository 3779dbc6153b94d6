//! What the server answers: diagnostics, formatting, hover, definition and
//! completion, from an [`Analysis`] of the document's group.

use super::position::LineMap;
use super::state::Analysis;
use lsp_types::{
    CompletionItem, CompletionItemKind, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, TextEdit, Uri,
};
use semaforo::{FileId, Severity, Span, Symbol, SymbolKind, Symbols};

/// The words offered by completion outside a field access.
const KEYWORDS: &[&str] = &[
    "ruleset",
    "package",
    "uses",
    "version",
    "lanes",
    "threshold",
    "schema",
    "record",
    "key",
    "list",
    "table",
    "rule",
    "monitor",
    "profile",
    "active",
    "from",
    "to",
    "tags",
    "when",
    "sample",
    "then",
    "score",
    "lane",
    "note",
    "test",
    "today",
    "given",
    "expect",
    "fired",
    "not",
    "undetermined",
    "monitored",
    "override",
    "disable",
    "reason",
    "until",
    "and",
    "or",
    "in",
    "is",
    "missing",
    "present",
    "starts",
    "with",
    "contains",
    "true",
    "false",
    "any",
    "all",
    "count",
    "sum",
    "min",
    "max",
    "lookup",
    "lookup_prefix",
    "len",
    "text",
    "number",
    "bool",
    "date",
];

fn uri(text: &str) -> Option<Uri> {
    text.parse().ok()
}

/// The location of a span in the group.
fn location(a: &Analysis, span: Span) -> Option<Location> {
    let (u, text) = a.file(span.file)?;
    let map = LineMap::new(text);
    Some(Location::new(uri(&u)?, map.range(span.start, span.end)))
}

/// The LSP diagnostics of each file of the group (its rule files, in
/// compilation order, then the external data files read), each with its
/// URI; a file without diagnostics has an empty list.
pub(crate) fn diagnostics(a: &Analysis) -> Vec<(String, Vec<Diagnostic>)> {
    // Every source: the members are ids 0.., the data files follow.
    let files: Vec<(FileId, String, &str)> = a
        .report
        .sources
        .iter()
        .filter_map(|(id, _)| a.file(id).map(|(u, t)| (id, u, t)))
        .collect();
    let maps: Vec<LineMap<'_>> = files.iter().map(|(_, _, t)| LineMap::new(t)).collect();
    let mut out: Vec<(String, Vec<Diagnostic>)> = files
        .iter()
        .map(|(_, u, _)| (u.clone(), Vec::new()))
        .collect();
    for d in &a.report.diagnostics {
        let Some(i) = files.iter().position(|(id, _, _)| *id == d.span.file) else {
            continue;
        };
        let (Some(map), Some((_, list))) = (maps.get(i), out.get_mut(i)) else {
            continue;
        };
        let related: Vec<DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .filter_map(|l| {
                Some(DiagnosticRelatedInformation {
                    location: location(a, l.span)?,
                    message: l.message.clone(),
                })
            })
            .collect();
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        list.push(Diagnostic {
            range: map.range(d.span.start, d.span.end),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.to_string())),
            source: Some("semaforo".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Diagnostic::default()
        });
    }
    out
}

/// The edits that format `text`: none if it is already formatted, or if
/// it does not parse (its syntax errors are already shown).
pub(crate) fn formatting(text: &str) -> Vec<TextEdit> {
    match semaforo::format_source(text) {
        Ok(f) if f != text => {
            let map = LineMap::new(text);
            vec![TextEdit::new(
                lsp_types::Range::new(Position::new(0, 0), map.end()),
                f,
            )]
        }
        _ => Vec::new(),
    }
}

/// The symbol named at `pos` of `uri`.
fn symbol_at<'a>(a: &'a Analysis, uri: &str, pos: Position) -> Option<&'a Symbol> {
    let file = a.file_of(uri)?;
    let (_, text) = a.file(file)?;
    let offset = LineMap::new(text).offset(pos);
    a.symbols.at(file, offset)
}

/// Where the name at `pos` is declared.
pub(crate) fn definition(a: &Analysis, uri: &str, pos: Position) -> Option<Location> {
    let s = symbol_at(a, uri, pos)?;
    location(a, s.span)
}

fn field_line(f: &Symbol) -> String {
    format!(
        "- {}`{}: {}{}`",
        if f.key { "key " } else { "" },
        f.name,
        f.ty.as_deref().unwrap_or("?"),
        if f.optional { "?" } else { "" }
    )
}

/// The element record of a `[record]` type.
fn element(ty: Option<&str>) -> Option<&str> {
    ty?.strip_prefix('[')?.strip_suffix(']')
}

fn fields_block(symbols: &Symbols, record: &str) -> String {
    let lines: Vec<String> = symbols.fields_of(record).map(field_line).collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!("\n\nfields of `{record}`:\n{}", lines.join("\n"))
    }
}

/// The hover text of a symbol, in Markdown.
pub(crate) fn describe(symbols: &Symbols, s: &Symbol) -> String {
    let ty = s.ty.as_deref().unwrap_or("?");
    match s.kind {
        SymbolKind::Field => {
            let mut t = format!(
                "field `{}: {ty}{}` of `{}`{}",
                s.name,
                if s.optional { "?" } else { "" },
                s.container.as_deref().unwrap_or("?"),
                if s.optional {
                    " (optional: may be missing)"
                } else {
                    ""
                }
            );
            if s.key {
                t.push_str(" (the declaration's key)");
            }
            if let Some(r) = element(s.ty.as_deref()) {
                t.push_str(&format!(": a list of `{r}` records"));
                t.push_str(&fields_block(symbols, r));
            }
            t
        }
        SymbolKind::Record => {
            let what = if ty == "schema" { "schema" } else { "record" };
            format!("{what} `{}`{}", s.name, fields_block(symbols, &s.name))
        }
        SymbolKind::List => match s.size {
            Some(n) => format!(
                "list `{}` of `{ty}`: {n} value{}",
                s.name,
                if n == 1 { "" } else { "s" }
            ),
            None => format!(
                "list `{}` of `{ty}`: external, its values are supplied at compile time (`--list {}=FILE`)",
                s.name, s.name
            ),
        },
        SymbolKind::Table => {
            let cols: Vec<String> = symbols
                .columns_of(&s.name)
                .map(|c| format!("- `{}: {}`", c.name, c.ty.as_deref().unwrap_or("?")))
                .collect();
            let size = match s.size {
                Some(n) => format!(", {n} key{}", if n == 1 { "" } else { "s" }),
                None => String::new(),
            };
            if cols.is_empty() {
                format!("table `{}`: `text` key -> `{ty}`{size}", s.name)
            } else {
                format!(
                    "table `{}`: `text` key -> a row of columns{size}\n\ncolumns:\n{}",
                    s.name,
                    cols.join("\n")
                )
            }
        }
        SymbolKind::Column => format!(
            "column `{}: {ty}` of table `{}`",
            s.name,
            s.container.as_deref().unwrap_or("?")
        ),
        SymbolKind::Lane => {
            let lanes: Vec<&str> = symbols.lanes().map(|l| l.name.as_str()).collect();
            let rank = lanes.iter().position(|l| *l == s.name).map_or(0, |i| i + 1);
            format!(
                "lane `{}`: severity {rank} of {} (`{}`, least severe first)",
                s.name,
                lanes.len(),
                lanes.join("` < `")
            )
        }
        SymbolKind::Rule => {
            let mut t = format!("rule `{}`: {}", s.name, s.title.as_deref().unwrap_or(""));
            for (k, v) in &s.profile {
                t.push_str(&format!("\n- {k} {v}"));
            }
            t
        }
        SymbolKind::Variable => {
            let mut t = format!("`{}`: an element of a list of `{ty}` records", s.name);
            t.push_str(&fields_block(symbols, ty));
            t
        }
    }
}

/// The hover at `pos`.
pub(crate) fn hover(a: &Analysis, uri: &str, pos: Position) -> Option<Hover> {
    let file = a.file_of(uri)?;
    let (_, text) = a.file(file)?;
    let map = LineMap::new(text);
    let offset = map.offset(pos);
    let s = a.symbols.at(file, offset)?;
    // The range of the name under the cursor (a use or the declaration).
    let span = a
        .symbols
        .references
        .iter()
        .map(|r| r.span)
        .chain(std::iter::once(s.span))
        .find(|sp| sp.file == file && sp.start <= offset && offset <= sp.end);
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: describe(&a.symbols, s),
        }),
        range: span.map(|sp| map.range(sp.start, sp.end)),
    })
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The name just before byte `end` of `text` (`end` excluded).
fn name_before(text: &str, end: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut start = end;
    while start > 0 && bytes.get(start - 1).is_some_and(|&b| is_name_byte(b)) {
        start -= 1;
    }
    text.get(start..end).filter(|n| !n.is_empty())
}

/// The list a quantifier variable ranges over, read from the text before
/// the cursor (`any(it in items:` gives `items`), so completion works in
/// an expression that does not parse yet.
fn quantified_list<'a>(before: &'a str, var: &str) -> Option<&'a str> {
    let mut search = before.len();
    while let Some(i) = before.get(..search).and_then(|b| b.rfind(var)) {
        search = i;
        let head_ok = i == 0
            || !before
                .as_bytes()
                .get(i - 1)
                .is_some_and(|&b| is_name_byte(b));
        let rest = before.get(i + var.len()..)?;
        let Some(rest) = rest.strip_prefix(|c: char| c.is_whitespace()) else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("in") else {
            continue;
        };
        if !head_ok || !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let rest = rest.trim_start();
        let colon = rest.find(':')?;
        let list = rest.get(..colon)?.trim();
        // `declaration.items` or `items`: the last name.
        return list.rsplit('.').next().map(str::trim);
    }
    None
}

/// The table of a `lookup(TABLE, ...)` call that ends just before byte
/// `end` (at its `)`).
fn looked_up_table(text: &str, end: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    if bytes.get(end.checked_sub(1)?) != Some(&b')') {
        return None;
    }
    let mut depth = 0usize;
    let mut i = end;
    while i > 0 {
        i -= 1;
        match bytes.get(i) {
            Some(b')') => depth += 1,
            Some(b'(') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let func = name_before(text, i)?;
                    if func != "lookup" && func != "lookup_prefix" {
                        return None;
                    }
                    let args = text.get(i + 1..end - 1)?;
                    return args.split(',').next().map(str::trim);
                }
            }
            _ => {}
        }
    }
    None
}

/// A completion item: the name, its kind and type as the detail, and the
/// hover text as its documentation.
fn item(
    label: &str,
    kind: CompletionItemKind,
    symbol: Option<(&Symbols, &Symbol)>,
) -> CompletionItem {
    let (detail, documentation) = match symbol {
        Some((symbols, s)) => (
            s.ty.clone().filter(|t| t != "schema" && t != "record"),
            Some(lsp_types::Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: describe(symbols, s),
            })),
        ),
        None => (Some("keyword".to_string()), None),
    };
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        documentation,
        ..CompletionItem::default()
    }
}

/// Completion at `pos` of `text`, with the names of `symbols` (the
/// group's last analysis that parsed).
pub(crate) fn completion(symbols: &Symbols, text: &str, pos: Position) -> Vec<CompletionItem> {
    let map = LineMap::new(text);
    let offset = map.offset(pos) as usize;
    let before = text.get(..offset).unwrap_or("");
    // The name being typed, then what precedes it.
    let typed = name_before(text, offset).map_or(0, str::len);
    let head = offset - typed;
    if before.as_bytes().get(head.wrapping_sub(1)) == Some(&b'.') {
        let dot = head - 1;
        // `lookup(t, k).` : the table's columns.
        if let Some(table) = looked_up_table(text, dot) {
            return symbols
                .columns_of(table)
                .map(|c| item(&c.name, CompletionItemKind::FIELD, Some((symbols, c))))
                .collect();
        }
        let Some(base) = name_before(text, dot) else {
            return Vec::new();
        };
        let record = quantified_list(text.get(..dot).unwrap_or(""), base)
            .and_then(|list| {
                symbols
                    .symbols
                    .iter()
                    .find(|s| s.kind == SymbolKind::Field && s.name == list)
                    .and_then(|s| element(s.ty.as_deref()))
            })
            .or_else(|| {
                symbols
                    .find(SymbolKind::Variable, base)
                    .and_then(|v| v.ty.as_deref())
            });
        return match record {
            Some(r) => symbols
                .fields_of(r)
                .map(|f| item(&f.name, CompletionItemKind::FIELD, Some((symbols, f))))
                .collect(),
            None => Vec::new(),
        };
    }
    let line = before.rsplit('\n').next().unwrap_or("");
    let wants_rule = ["override", "fired", "undetermined", "monitored"]
        .iter()
        .any(|w| line.contains(w));
    let schema = symbols.schema().map(|s| s.name.clone());
    let mut out = Vec::new();
    for s in &symbols.symbols {
        let kind = match s.kind {
            SymbolKind::Field if s.container == schema => CompletionItemKind::FIELD,
            SymbolKind::List => CompletionItemKind::VARIABLE,
            SymbolKind::Table => CompletionItemKind::STRUCT,
            SymbolKind::Lane => CompletionItemKind::ENUM_MEMBER,
            SymbolKind::Rule if wants_rule => CompletionItemKind::REFERENCE,
            _ => continue,
        };
        out.push(item(&s.name, kind, Some((symbols, s))));
    }
    out.extend(
        KEYWORDS
            .iter()
            .map(|k| item(k, CompletionItemKind::KEYWORD, None)),
    );
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn quantifier_lists_are_read_from_text() {
        let t = "when any(it in items: it.";
        assert_eq!(quantified_list(t, "it"), Some("items"));
        assert_eq!(quantified_list("all(x in d.lines : x.", "x"), Some("lines"));
        assert_eq!(quantified_list("fit in items:", "it"), None);
    }

    #[test]
    fn lookups_name_their_table() {
        let t = "lookup(value_control, f(hs6)).";
        assert_eq!(looked_up_table(t, t.len() - 1), Some("value_control"));
        assert_eq!(looked_up_table("len(x).", 6), None);
    }
}
