//! The checks run on the text before pest: the size limit and the
//! pre-scan (comments, strings not closed on their line, bracket nesting),
//! which bound what pest may be given.

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
