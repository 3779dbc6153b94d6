//! The checks run on the text before pest: the size limit and the
//! pre-scan (comments, strings not closed on their line, bracket nesting),
//! which bound what pest may be given; and, lexing the same way, the scans
//! run after pest has rejected a file: which brackets are unclosed where
//! it stopped ([`unclosed_at`]) and where parsing may resume
//! ([`resume_at`], at an [`item_head`]).

use crate::ast::Comment;
use crate::span::{Diagnostic, FileId, Span};

use super::{E_TOO_DEEP, E_TOO_LARGE, E_UNTERMINATED, MAX_NESTING, MAX_SOURCE_BYTES, off};

/// The checks run before any parser: the size limit, then the pre-scan
/// (comments, unterminated strings, bracket nesting).
pub(super) fn check_input(source: &str, file: FileId) -> Result<Vec<Comment>, Vec<Diagnostic>> {
    check_size(source, file)?;
    prescan(source, file)
}

/// The size limit, `E0002` beyond [`MAX_SOURCE_BYTES`].
pub(super) fn check_size(source: &str, file: FileId) -> Result<(), Vec<Diagnostic>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(vec![
            Diagnostic::error(
                E_TOO_LARGE,
                Span::new(file, 0, 0),
                format!(
                    "source file is too large ({} bytes, the limit is {MAX_SOURCE_BYTES})",
                    source.len()
                ),
            )
            .with_help("split the ruleset into several files"),
        ]);
    }
    Ok(())
}

/// One linear pass over the bytes, before pest runs: collects comments,
/// reports strings not closed on their line, and rejects bracket nesting
/// deeper than [`MAX_NESTING`] (pest would otherwise recurse once per
/// bracket, and a million `(` would overflow the stack).
///
/// The lexing matches the grammar's: outside strings `#` starts a comment;
/// a string starts at `"` and ends at the next `"` not escaped by `\`; a
/// string may not contain a line break. Every valid file is lexed alike by
/// both, so the comments collected here are exactly the grammar's.
pub(super) fn prescan(source: &str, file: FileId) -> Result<Vec<Comment>, Vec<Diagnostic>> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut depth = 0u32;
    let mut line_has_code = false;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            b'#' => {
                let end = bytes
                    .get(i..)
                    .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
                    .map_or(bytes.len(), |p| i + p);
                // Trailing white space (a CRLF's `\r` included) is not part
                // of the comment, so formatting cannot change a comment by
                // moving it or by rewriting line ends.
                let mut text_end = end;
                while text_end > i + 1
                    && matches!(bytes.get(text_end - 1), Some(b' ' | b'\t' | b'\r'))
                {
                    text_end -= 1;
                }
                let text = source.get(i + 1..text_end).unwrap_or("").to_owned();
                comments.push(Comment {
                    text,
                    span: Span::new(file, off(i), off(text_end)),
                    trailing: line_has_code,
                });
                i = end;
            }
            b'"' => {
                line_has_code = true;
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => match bytes.get(i + 1) {
                            Some(b'\n' | b'\r') | None => {
                                return Err(vec![unterminated(file, start, i + 1)]);
                            }
                            Some(_) => i += 2,
                        },
                        Some(b'\n' | b'\r') | None => {
                            return Err(vec![unterminated(file, start, i)]);
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'(' | b'[' | b'{' => {
                line_has_code = true;
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(vec![
                        Diagnostic::error(
                            E_TOO_DEEP,
                            Span::new(file, off(i), off(i + 1)),
                            format!("brackets nested more than {MAX_NESTING} deep"),
                        )
                        .with_help("simplify the expression or the `given` object"),
                    ]);
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                line_has_code = true;
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                line_has_code = true;
                i += 1;
            }
        }
    }
    Ok(comments)
}

fn unterminated(file: FileId, start: usize, end: usize) -> Diagnostic {
    Diagnostic::error(
        E_UNTERMINATED,
        Span::new(file, off(start), off(end)),
        "string literal is not closed on its line",
    )
    .with_help("close the string with `\"`; write a line break inside a string as `\\n`")
}

// ---------------------------------------------------------------- after a syntax error
//
// The functions below run only once pest has rejected a file: they never
// decide validity, they explain an error (which brackets are unclosed) and
// find where parsing may resume (the next item start). They lex like
// `prescan` (strings and comments skipped) and each looks at a stretch of
// text that the caller's next step moves past, so reporting every error of
// a file stays linear.

/// The item keywords that begin a line at column 1 where parsing may resume
/// after a syntax error.
const ITEM_KEYWORDS: [&str; 12] = [
    "ruleset",
    "package",
    "uses",
    "override",
    "rule",
    "test",
    "schema",
    "record",
    "list",
    "table",
    "lanes",
    "threshold",
];

/// The most brackets tracked while explaining one error; beyond it (only
/// pathological input gets there) no bracket is labelled.
const MAX_TRACKED: usize = 4 * MAX_NESTING as usize;

/// One past the end of the comment starting at `i` (its line break is not
/// part of it).
fn comment_end(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map_or(bytes.len(), |p| i + p)
}

/// One past the end of the string starting at `i` (its closing quote, or
/// where the line or text ends when it is not closed).
fn string_end(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    loop {
        match bytes.get(j) {
            Some(b'"') => return j + 1,
            Some(b'\\') => match bytes.get(j + 1) {
                Some(b'\n' | b'\r') | None => return j + 1,
                Some(_) => j += 2,
            },
            Some(b'\n' | b'\r') | None => return j,
            Some(_) => j += 1,
        }
    }
}

/// Whether `i` is the first byte of a line (a byte order mark before the
/// first line is skipped).
fn at_line_start(bytes: &[u8], i: usize) -> bool {
    i == 0 || bytes.get(i - 1) == Some(&b'\n') || (i == 3 && bytes.starts_with(b"\xEF\xBB\xBF"))
}

/// The length of the run of bytes from `i` that satisfy `f`.
fn run(bytes: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(i..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| f(c)).count())
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The length of the identifier at `i` (0 if there is none).
fn ident_len(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i) {
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' => run(bytes, i, is_ident_char),
        _ => 0,
    }
}

/// If the line starting at `i` begins with the head of an item, written
/// at column 1 as items are (`rule ID "`, `test "`, `schema NAME {`,
/// `list NAME =`, ...), the item keyword. The heads are shapes no valid
/// continuation of an earlier item can take (`test "` and `rule R "`
/// cannot continue an expression, nor `table t:` a field list), so a
/// match is a place where the next item almost certainly begins.
pub(super) fn item_head(bytes: &[u8], i: usize) -> Option<&'static str> {
    let rest = bytes.get(i..)?;
    let kw = ITEM_KEYWORDS.into_iter().find(|k| {
        rest.starts_with(k.as_bytes()) && rest.get(k.len()).copied().is_some_and(is_blank)
    })?;
    let mut j = i + kw.len();
    j += run(bytes, j, is_blank);
    let at = |j: usize| bytes.get(j).copied();
    let ok = match kw {
        "ruleset" | "package" | "uses" | "test" => at(j) == Some(b'"'),
        // `override PKG/ID {`
        "override" => {
            let n = run(bytes, j, |c| {
                is_ident_char(c) || matches!(c, b'.' | b'-' | b'/')
            });
            let blanks = run(bytes, j + n, is_blank);
            n > 0 && at(j + n + blanks) == Some(b'{')
        }
        "rule" => {
            let n = if at(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
                run(bytes, j, |c| is_ident_char(c) || c == b'.' || c == b'-')
            } else {
                0
            };
            let blanks = run(bytes, j + n, is_blank);
            n > 0 && blanks > 0 && at(j + n + blanks) == Some(b'"')
        }
        "lanes" => ident_len(bytes, j) > 0,
        _ => {
            let n = ident_len(bytes, j);
            let blanks = run(bytes, j + n, is_blank);
            let next = at(j + n + blanks);
            n > 0
                && match kw {
                    "schema" | "record" => next == Some(b'{'),
                    "list" => matches!(next, Some(b'=' | b':')),
                    "table" => next == Some(b':'),
                    // `threshold LANE N`
                    _ => blanks > 0 && next.is_some_and(|c| c == b'-' || c.is_ascii_digit()),
                }
        }
    };
    ok.then_some(kw)
}

/// Where parsing resumes after a syntax error at `pos` in a parse that
/// began at `start`: the last item head in `start+1..=pos` that pest read
/// through as part of an earlier item (one inside an open bracket, or
/// the one pest stopped at), since the error is then most likely a missing
/// closer before it; else the first item head after `pos`. `None` when
/// there is none.
pub(super) fn resume_at(source: &str, start: usize, pos: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut last = None;
    let mut depth = 0usize;
    let mut i = start;
    while i < pos.min(bytes.len()) {
        let Some(&b) = bytes.get(i) else { break };
        if i > start && depth > 0 && at_line_start(bytes, i) && item_head(bytes, i).is_some() {
            last = Some(i);
        }
        match b {
            b'#' => i = comment_end(bytes, i),
            b'"' => i = string_end(bytes, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    if pos > start && at_line_start(bytes, pos) && item_head(bytes, pos).is_some() {
        return Some(pos);
    }
    if last.is_some() {
        return last;
    }
    // The first item head after `pos`, line by line.
    let mut i = comment_end(bytes, pos.max(start)) + 1;
    while i < bytes.len() {
        if item_head(bytes, i).is_some() {
            return Some(i);
        }
        i = comment_end(bytes, i) + 1;
    }
    None
}

/// The `n`th item head after `start` (`start` itself not counted), at a
/// line start.
pub(super) fn nth_item_head_after(source: &str, start: usize, n: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut seen = 0usize;
    let mut i = comment_end(bytes, start) + 1;
    while i < bytes.len() {
        if item_head(bytes, i).is_some() {
            seen += 1;
            if seen >= n {
                return Some(i);
            }
        }
        i = comment_end(bytes, i) + 1;
    }
    None
}

/// What became of a bracket that was open where pest stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fate {
    /// Its own closer came first (never in an [`Unclosed`]).
    Closed,
    /// A closer of an outer bracket (at this offset) came first.
    OuterClose(usize),
    /// An item head at column 1 (at this offset) came first: the closer is
    /// probably missing before it.
    ItemHead(usize),
    /// The text ended first.
    Eof,
}

/// A bracket open where pest stopped and never closed by its own closer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Unclosed {
    /// Its byte offset.
    pub(super) at: usize,
    /// `(`, `[` or `{`.
    pub(super) byte: u8,
    /// The offset of the item head it is the first bracket of (the `{` of
    /// a rule, test, schema, ...).
    pub(super) item: Option<usize>,
    /// What came instead of its closer.
    pub(super) fate: Fate,
}

#[derive(Clone, Copy)]
struct Open {
    at: usize,
    byte: u8,
    item: Option<usize>,
    /// The first item head met while this bracket was open.
    head: Option<usize>,
    /// The indentation of its line.
    indent: usize,
}

/// How far below the bracket a closer matches the indentation heuristic
/// looks for one opened on a line indented like the closer.
const INDENT_LOOKBACK: usize = 8;

/// The brackets open at the error with their fates so far, how many of
/// them are still on the stack, and how many have no fate yet.
type Watched = (Vec<(Open, Option<Fate>)>, usize, usize);

fn opener_of(closer: u8) -> u8 {
    match closer {
        b')' => b'(',
        b']' => b'[',
        _ => b'{',
    }
}

fn slot(byte: u8) -> usize {
    match byte {
        b'(' => 0,
        b'[' => 1,
        _ => 2,
    }
}

/// The brackets open at `pos` (as pest saw them, parsing from `start`)
/// that are never closed by their own closer, outermost first, each with
/// what came instead. Closers that match no open bracket are skipped. The
/// scan runs from `start` to the point where every bracket open at `pos`
/// is settled, the next item head after `pos`, or the end.
pub(super) fn unclosed_at(source: &str, start: usize, pos: usize) -> Vec<Unclosed> {
    let bytes = source.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    // How many of each opener the stack holds, so a closer that matches
    // none is skipped without walking the stack.
    let mut counts = [0usize; 3];
    // The bottom `headed` entries of the stack have met an item head.
    let mut headed = 0usize;
    // The item head of the current item and whether no bracket has been
    // opened since it.
    let (mut item, mut fresh) = (Some(start).filter(|&s| item_head(bytes, s).is_some()), true);
    // Once `pos` is reached: the brackets open there with their fates
    // (`Closed` for one closed by its own closer), how many of them are
    // still on the stack, and how many of those have no fate yet.
    let mut watched: Option<Watched> = None;
    // The start of the current line and its indentation.
    let (mut line_start, mut line_indent) = (start, run(bytes, start, is_blank));
    let mut i = start;
    loop {
        if watched.is_none() && i >= pos {
            let entries: Vec<(Open, Option<Fate>)> = stack
                .iter()
                .map(|o| (*o, o.head.map(Fate::ItemHead)))
                .collect();
            let unsettled = entries.iter().filter(|(_, f)| f.is_none()).count();
            watched = Some((entries, stack.len(), unsettled));
        }
        if let Some((_, _, 0)) = watched {
            break;
        }
        let Some(&b) = bytes.get(i) else { break };
        if at_line_start(bytes, i) {
            line_start = i;
            line_indent = run(bytes, i, is_blank);
        }
        if i > start && at_line_start(bytes, i) && item_head(bytes, i).is_some() {
            if let Some((entries, live, _)) = &mut watched {
                for (_, f) in entries.iter_mut().take(*live) {
                    f.get_or_insert(Fate::ItemHead(i));
                }
                break;
            }
            for o in stack.iter_mut().skip(headed) {
                o.head = Some(i);
            }
            headed = stack.len();
            item = Some(i);
            fresh = true;
        }
        match b {
            b'#' => i = comment_end(bytes, i),
            b'"' => i = string_end(bytes, i),
            b'(' | b'[' | b'{' => {
                if stack.len() >= MAX_TRACKED {
                    return Vec::new();
                }
                stack.push(Open {
                    at: i,
                    byte: b,
                    item: if fresh { item } else { None },
                    head: None,
                    indent: line_indent,
                });
                fresh = false;
                if let Some(c) = counts.get_mut(slot(b)) {
                    *c += 1;
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                let want = opener_of(b);
                let matched = if counts.get(slot(want)).is_some_and(|&c| c > 0) {
                    stack.iter().rposition(|o| o.byte == want)
                } else {
                    None
                };
                if let Some(mut target) = matched {
                    // A closer that begins a line indented less than the
                    // line of the bracket it would close probably closes
                    // an outer one opened on a line indented like it (the
                    // `}` of a rule at column 1 after an unclosed `{` of
                    // its `given` object).
                    if i == line_start + line_indent
                        && stack.get(target).is_some_and(|o| o.indent > line_indent)
                        && let Some(k) = (target.saturating_sub(INDENT_LOOKBACK)..target)
                            .rev()
                            .find(|&k| {
                                stack
                                    .get(k)
                                    .is_some_and(|o| o.byte == want && o.indent == line_indent)
                            })
                    {
                        target = k;
                    }
                    while stack.len() > target {
                        let Some(o) = stack.pop() else { break };
                        if let Some(c) = counts.get_mut(slot(o.byte)) {
                            *c = c.saturating_sub(1);
                        }
                        let idx = stack.len();
                        let closed = idx == target;
                        if let Some((entries, live, unsettled)) = &mut watched
                            && idx < *live
                        {
                            *live = idx;
                            if let Some((_, f)) = entries.get_mut(idx)
                                && f.is_none()
                            {
                                *unsettled = unsettled.saturating_sub(1);
                                *f = Some(if closed {
                                    Fate::Closed
                                } else {
                                    Fate::OuterClose(i)
                                });
                            }
                        }
                    }
                    headed = headed.min(stack.len());
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let Some((entries, _, _)) = watched else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter(|(_, f)| *f != Some(Fate::Closed))
        .map(|(o, f)| Unclosed {
            at: o.at,
            byte: o.byte,
            item: o.item,
            fate: f.unwrap_or(Fate::Eof),
        })
        .collect()
}

/// The keyword and name of the item whose head is at `k` (`("rule",
/// "R1")`, `("test", "\"t\"")` with its quotes), for naming the item in a
/// label. Long names are not shortened: they are the user's.
pub(super) fn item_name(source: &str, k: usize) -> Option<(&'static str, &str)> {
    let bytes = source.as_bytes();
    let kw = item_head(bytes, k)?;
    let j = k + kw.len();
    let j = j + run(bytes, j, is_blank);
    let end = match kw {
        "ruleset" | "package" | "uses" | "test" => string_end(bytes, j),
        "rule" => j + run(bytes, j, |c| is_ident_char(c) || c == b'.' || c == b'-'),
        "override" => {
            j + run(bytes, j, |c| {
                is_ident_char(c) || matches!(c, b'.' | b'-' | b'/')
            })
        }
        _ => j + ident_len(bytes, j),
    };
    Some((kw, source.get(j..end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_heads_are_the_shapes_items_begin_with() {
        let heads = [
            ("ruleset \"x\" version \"1\"", "ruleset"),
            ("rule R-1.a \"t\" {", "rule"),
            ("rule 2026-01 \"t\"", "rule"),
            ("test \"t\" {", "test"),
            ("schema declaration {", "schema"),
            ("record item{", "record"),
            ("list l = [1]", "list"),
            ("list l: text", "list"),
            ("table t : number", "table"),
            ("lanes green, red", "lanes"),
            ("threshold red -5", "threshold"),
        ];
        for (line, kw) in heads {
            assert_eq!(item_head(line.as_bytes(), 0), Some(kw), "{line}");
        }
        // Continuations of an item, and item keywords used as names.
        let not_heads = [
            "table == 1",
            "list in l",
            "rule in l and x",
            "rule R {",
            "test == \"t\"",
            "schema: text",
            "threshold red",
            "lanes",
            "rules R \"t\"",
            "  rule R \"t\" {",
        ];
        for line in not_heads {
            assert_eq!(item_head(line.as_bytes(), 0), None, "{line}");
        }
    }

    #[test]
    fn resume_prefers_a_head_read_through_inside_a_bracket() {
        let src = "schema s {\n  a: text\nrule R \"t\" {\n  when x\n}\nrule S \"t\" {}\n";
        let k = src.find("rule R").unwrap();
        // pest stopped at `R`, having read `rule` as a field name.
        assert_eq!(resume_at(src, 0, k + 5), Some(k));
        // An error inside the rule itself resumes at the next item.
        let src2 = "rule R \"t\" {\n  when )\n}\nrule S \"t\" {}\n";
        let pos = src2.find(')').unwrap();
        assert_eq!(resume_at(src2, 0, pos), src2.find("rule S"));
        assert_eq!(
            resume_at(src2, src2.find("rule S").unwrap(), src2.len()),
            None
        );
    }

    #[test]
    fn unclosed_brackets_and_their_fates() {
        let src = "rule R \"t\" {\n  when (a\n  then score 1\n}\nrule S \"t\" {}\n";
        let pos = src.find("then").unwrap();
        let u = unclosed_at(src, 0, pos);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].at, src.find('(').unwrap());
        assert_eq!(u[0].fate, Fate::OuterClose(src.find("\n}").unwrap() + 1));
        let src = "rule R \"t\" {\n  when a\nrule S \"t\" {}\n";
        let pos = src.find("rule S").unwrap();
        let u = unclosed_at(src, 0, pos);
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].item, u[0].fate), (Some(0), Fate::ItemHead(pos)));
        assert_eq!(item_name(src, 0), Some(("rule", "R")));
        // Brackets in strings and comments do not count.
        let src = "rule R \"(\" { # (\n  when a ==\n}\n";
        let pos = src.find("\n}").unwrap();
        assert!(unclosed_at(src, 0, pos).is_empty());
    }
}
