//! What the server answers about one name across the group: its
//! references, the outline of a file, and renaming, from an [`Analysis`].
//!
//! A rename is checked before it is offered: the group is compiled again
//! with the edits applied, and the rename is refused (with the checker's
//! own message) if that adds an error, or if any other use would then
//! resolve to another declaration (a variable renamed to a field's name
//! shadows it, say). So a rename never changes what a ruleset means except
//! for the name.

use super::position::LineMap;
use super::state::Analysis;
use lsp_types::{
    DocumentSymbol, Location, Position, PrepareRenameResponse, Range, SymbolKind as LspKind,
    TextEdit, Uri, WorkspaceEdit,
};
use semaforo::{Compiler, FileId, Severity, Span, SymbolKind, Symbols};
use std::collections::HashMap;

/// The index in `a.symbols.symbols` of the name at `pos` of `uri` (a
/// declaration or a use), and the span of the name under the cursor.
fn target_at(a: &Analysis, uri: &str, pos: Position) -> Option<(usize, Span)> {
    let file = a.file_of(uri)?;
    let (_, text) = a.file(file)?;
    let offset = LineMap::new(text).offset(pos);
    let inside = |s: Span| s.file == file && s.start <= offset && offset <= s.end;
    if let Some(r) = a.symbols.references.iter().find(|r| inside(r.span)) {
        return Some((r.target, r.span));
    }
    let i = a.symbols.symbols.iter().position(|s| inside(s.span))?;
    Some((i, a.symbols.symbols.get(i)?.span))
}

/// Every span naming symbol `target`: its declaration first, then its
/// uses in source order.
fn spans_of(symbols: &Symbols, target: usize) -> Vec<Span> {
    symbols
        .symbols
        .get(target)
        .map(|s| s.span)
        .into_iter()
        .chain(
            symbols
                .references
                .iter()
                .filter(|r| r.target == target)
                .map(|r| r.span),
        )
        .collect()
}

fn location(a: &Analysis, span: Span) -> Option<Location> {
    let (u, text) = a.file(span.file)?;
    let uri: Uri = u.parse().ok()?;
    Some(Location::new(
        uri,
        LineMap::new(text).range(span.start, span.end),
    ))
}

/// The uses of the name at `pos`, and its declaration if asked.
pub(crate) fn references(
    a: &Analysis,
    uri: &str,
    pos: Position,
    include_declaration: bool,
) -> Vec<Location> {
    let Some((target, _)) = target_at(a, uri, pos) else {
        return Vec::new();
    };
    spans_of(&a.symbols, target)
        .into_iter()
        .skip(usize::from(!include_declaration))
        .filter_map(|s| location(a, s))
        .collect()
}

fn lsp_kind(k: SymbolKind) -> LspKind {
    match k {
        SymbolKind::Record => LspKind::STRUCT,
        SymbolKind::Field | SymbolKind::Column => LspKind::FIELD,
        SymbolKind::List => LspKind::ARRAY,
        SymbolKind::Table => LspKind::OBJECT,
        SymbolKind::Lane => LspKind::ENUM_MEMBER,
        SymbolKind::Rule => LspKind::FUNCTION,
        SymbolKind::Variable => LspKind::VARIABLE,
    }
}

/// The outline of `uri`: records with their fields, lists, tables with
/// their columns, lanes and rules (with their titles), in source order.
/// Quantifier variables are left out: they are not declarations an
/// author navigates to.
#[expect(
    deprecated,
    reason = "`DocumentSymbol::deprecated` must be written; `tags` replaces it"
)]
pub(crate) fn document_symbols(a: &Analysis, uri: &str) -> Vec<DocumentSymbol> {
    let Some(file) = a.file_of(uri) else {
        return Vec::new();
    };
    let Some((_, text)) = a.file(file) else {
        return Vec::new();
    };
    let map = LineMap::new(text);
    let symbol = |s: &semaforo::Symbol, children: Option<Vec<DocumentSymbol>>| {
        let range = map.range(s.span.start, s.span.end);
        DocumentSymbol {
            name: s.name.clone(),
            detail: s.title.clone().or_else(|| s.ty.clone()),
            kind: lsp_kind(s.kind),
            tags: None,
            deprecated: None,
            range,
            selection_range: range,
            children,
        }
    };
    let mut out = Vec::new();
    for s in a.symbols.symbols.iter().filter(|s| s.span.file == file) {
        let members = match s.kind {
            SymbolKind::Record => SymbolKind::Field,
            SymbolKind::Table => SymbolKind::Column,
            SymbolKind::List | SymbolKind::Lane | SymbolKind::Rule => {
                out.push(symbol(s, None));
                continue;
            }
            // Shown under their record or table.
            SymbolKind::Field | SymbolKind::Column | SymbolKind::Variable => continue,
        };
        let children: Vec<DocumentSymbol> = a
            .symbols
            .symbols
            .iter()
            .filter(|c| {
                c.kind == members
                    && c.span.file == file
                    && c.container.as_deref() == Some(s.name.as_str())
            })
            .map(|c| symbol(c, None))
            .collect();
        out.push(symbol(s, Some(children)));
    }
    out
}

/// The part of `span` that a rename replaces: the whole name, or for a
/// rule reference qualified by its package (`sica/VAL-001`), the id after
/// the `/`.
fn renamed_part(text: &str, span: Span) -> Option<(u32, u32, &str)> {
    let name = text.get(span.start as usize..span.end as usize)?;
    match name.rsplit_once('/') {
        Some((package, id)) => {
            let start = span.start + u32::try_from(package.len()).ok()? + 1;
            Some((start, span.end, id))
        }
        None => Some((span.start, span.end, name)),
    }
}

/// Whether the name at `pos` can be renamed: its range and current text.
pub(crate) fn prepare_rename(
    a: &Analysis,
    uri: &str,
    pos: Position,
) -> Option<PrepareRenameResponse> {
    let (_, span) = target_at(a, uri, pos)?;
    let (_, text) = a.file(span.file)?;
    // Only names in rule files: data files are not edited.
    a.members.get(span.file.0 as usize)?;
    let (start, end, name) = renamed_part(text, span)?;
    Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: LineMap::new(text).range(start, end),
        placeholder: name.to_string(),
    })
}

/// What every use resolves to, by declaration kind, name and container,
/// counted: a rename must leave this unchanged except for the name.
type Declared = (SymbolKind, String, Option<String>);

fn resolution(symbols: &Symbols) -> HashMap<Declared, usize> {
    let mut m = HashMap::new();
    for r in &symbols.references {
        if let Some(s) = symbols.symbols.get(r.target) {
            *m.entry((s.kind, s.name.clone(), s.container.clone()))
                .or_insert(0) += 1;
        }
    }
    m
}

fn errors(report: &semaforo::CheckReport) -> Vec<&semaforo::Diagnostic> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// The edits that rename the name at `pos` of `uri` to `new_name` in
/// every rule file of the group; `Ok(None)` if nothing renamable is at
/// `pos`, an error message if the rename would break or change the
/// ruleset.
#[expect(
    clippy::mutable_key_type,
    reason = "`WorkspaceEdit::changes` is keyed by `Uri`, whose cache is never changed here"
)]
pub(crate) fn rename(
    a: &Analysis,
    uri: &str,
    pos: Position,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    let Some((target, _)) = target_at(a, uri, pos) else {
        return Ok(None);
    };
    let Some(symbol) = a.symbols.symbols.get(target) else {
        return Ok(None);
    };
    if new_name.contains('/') {
        return Err(format!(
            "`{new_name}`: a package's name is not part of a rename; give the new id alone"
        ));
    }
    // The parts to replace, per member, in source order.
    let mut parts: Vec<(FileId, u32, u32, String)> = Vec::new();
    for span in spans_of(&a.symbols, target) {
        let Some(m) = a.members.get(span.file.0 as usize) else {
            return Err(format!(
                "`{}` is named outside the rule files; rename it there first",
                symbol.name
            ));
        };
        let Some((start, end, old)) = renamed_part(&m.text, span) else {
            return Err(format!(
                "cannot read the name at {}..{}",
                span.start, span.end
            ));
        };
        parts.push((span.file, start, end, old.to_string()));
    }
    if parts.iter().all(|p| p.3 == new_name) {
        return Ok(Some(WorkspaceEdit::default()));
    }
    // The group with the rename applied, checked as the server checks it.
    let mut texts: Vec<String> = a.members.iter().map(|m| m.text.clone()).collect();
    let mut sorted = parts.clone();
    sorted.sort_by_key(|p| std::cmp::Reverse((p.0.0, p.1)));
    for (file, start, end, _) in &sorted {
        if let Some(t) = texts.get_mut(file.0 as usize)
            && t.is_char_boundary(*start as usize)
            && t.is_char_boundary(*end as usize)
            && (*start as usize) <= (*end as usize)
            && (*end as usize) <= t.len()
        {
            t.replace_range(*start as usize..*end as usize, new_name);
        }
    }
    let mut c = Compiler::new();
    for (m, t) in a.members.iter().zip(&texts) {
        c.add_source(m.uri.clone(), t.clone());
    }
    let after = c.check();
    let before_errors = errors(&a.report).len();
    let after_errors = errors(&after);
    if after_errors.len() > before_errors {
        let why = after_errors
            .iter()
            .find(|d| !a.report.diagnostics.iter().any(|b| b.message == d.message))
            .or(after_errors.first())
            .map_or_else(String::new, |d| format!(": {}", d.message));
        return Err(format!(
            "renaming `{}` to `{new_name}` would not compile{why}",
            parts.first().map_or(symbol.name.as_str(), |p| p.3.as_str())
        ));
    }
    // Every other use must still resolve to what it did.
    let old = symbol.name.clone();
    let new_full = match old.rsplit_once('/') {
        Some((package, _)) => format!("{package}/{new_name}"),
        None => new_name.to_string(),
    };
    let mut expected = resolution(&a.symbols);
    let key = (symbol.kind, old, symbol.container.clone());
    if let Some(n) = expected.remove(&key) {
        *expected.entry((key.0, new_full, key.2)).or_insert(0) += n;
    }
    if resolution(&after.symbols()) != expected {
        return Err(format!(
            "renaming to `{new_name}` would change what other names refer to (it is already declared where these uses can see it)"
        ));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (file, start, end, _) in parts {
        let Some(m) = a.members.get(file.0 as usize) else {
            continue;
        };
        let Ok(u) = m.uri.parse::<Uri>() else {
            continue;
        };
        let range: Range = LineMap::new(&m.text).range(start, end);
        changes
            .entry(u)
            .or_default()
            .push(TextEdit::new(range, new_name.to_string()));
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::lsp::state::Member;

    fn analysis(files: &[(&str, &str)]) -> Analysis {
        let members: Vec<Member> = files
            .iter()
            .map(|(u, t)| Member {
                uri: (*u).to_string(),
                text: (*t).to_string(),
            })
            .collect();
        let mut c = Compiler::new();
        for m in &members {
            c.add_source(m.uri.clone(), m.text.clone());
        }
        let report = c.check();
        let symbols = report.symbols();
        Analysis {
            members,
            report,
            symbols,
        }
    }

    fn at(text: &str, needle: &str) -> Position {
        let i = text.find(needle).unwrap();
        LineMap::new(text).position(u32::try_from(i).unwrap())
    }

    const RULES: &str = "ruleset \"r\" version \"1\"\nschema declaration {\n  key id: text\n  origin: text\n  items: [item]\n}\nrecord item {\n  hs: text\n}\nlist watched = [\"CN\"]\nrule R-1 \"t\" {\n  when origin in watched and any(it in items: it.hs starts with \"64\")\n  then score 1\n}\n";

    #[test]
    #[expect(
        clippy::mutable_key_type,
        reason = "`WorkspaceEdit::changes` is keyed by `Uri`"
    )]
    fn a_list_is_renamed_at_its_declaration_and_its_uses() {
        let a = analysis(&[("file:///r.sem", RULES)]);
        let e = rename(&a, "file:///r.sem", at(RULES, "watched ="), "vigilados")
            .unwrap()
            .unwrap();
        let edits = e.changes.unwrap();
        let edits = edits.values().next().unwrap();
        assert_eq!(edits.len(), 2);
        assert!(edits.iter().all(|t| t.new_text == "vigilados"));
    }

    #[test]
    fn a_rename_that_would_not_compile_or_would_shadow_is_refused() {
        let a = analysis(&[("file:///r.sem", RULES)]);
        // A reserved word.
        let e = rename(&a, "file:///r.sem", at(RULES, "watched ="), "and").unwrap_err();
        assert!(e.contains("would not compile"), "{e}");
        // The variable renamed to a field its body does not use: fine.
        assert!(rename(&a, "file:///r.sem", at(RULES, "it in"), "line").is_ok());
        // A field renamed to another field of its record.
        let e = rename(&a, "file:///r.sem", at(RULES, "origin: text"), "id").unwrap_err();
        assert!(e.contains("would not compile"), "{e}");
        // A variable renamed to the name of a field its body reads: the
        // field's use would become the variable's (the checker refuses
        // the shadowing; the resolution check behind it would too).
        let shadow = RULES.replace(
            "it.hs starts with \"64\")",
            "it.hs starts with \"64\" and origin is present)",
        );
        let a = analysis(&[("file:///r.sem", &shadow)]);
        assert!(errors(&a.report).is_empty());
        let e = rename(&a, "file:///r.sem", at(&shadow, "it in"), "origin").unwrap_err();
        assert!(e.contains("shadows a field"), "{e}");
    }
}
