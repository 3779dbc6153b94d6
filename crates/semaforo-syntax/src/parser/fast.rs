//! The fast path of [`parse`](super::parse): a hand-written recursive-descent
//! parser for the grammar in `grammar/semaforo.pest` that builds the AST in
//! one pass over the bytes, with no parse tree in between.
//!
//! It either returns exactly the [`SourceFile`] items the pest path would
//! build (same nodes, same spans), or gives up with `None` and lets the pest
//! path run, which then reports the diagnostics. It gives up at the first
//! thing it does not expect: any syntax error, a bad escape, an integer out
//! of range, a chained comparison, an expression deeper than
//! [`MAX_EXPR_DEPTH`]. So every diagnostic still comes from the pest path,
//! and the fast path only has to be right on valid input.
//!
//! Soundness argument, for reviewers: the parser follows the PEG rule by
//! rule. Where the grammar has an ordered choice, an optional part or a
//! repetition, it looks at the next token to decide; when that token matches
//! the alternative it takes the same alternative pest would try first, and
//! when the rest of that alternative then fails it gives up rather than
//! backtracking. Giving up is always safe (pest decides), so the fast path
//! can only disagree with pest by accepting a different tree, which the
//! differential tests check: `parser/tests.rs` on every `.sem` file of the
//! repository and its mutations, `tests/it/roundtrip.rs` on generated and
//! mutated sources.
//!
//! Recursion happens only through brackets (bounded by the pre-scan's
//! [`MAX_NESTING`](super::MAX_NESTING)), and operator chains are loops.

use std::sync::Arc;

use crate::Text;
use crate::ast::{
    Action, Active, BinOp, Comment, DateLit, Expect, Expr, ExprKind, FieldDecl, Ident, IntLit,
    Item, JsonText, LaneShare, Lanes, ListBody, ListDecl, Literal, NumLit, Override,
    OverrideChange, PercentLit, ProfileEntry, ProfileValue, RecordDecl, Rule, RuleId,
    RulesetHeader, ScalarType, SourceFile, StrLit, TableBody, TableColumn, TableDecl, Test,
    Threshold, ThresholdGroup, TypeExpr, UnOp,
};
use crate::keywords::{Role, role};
use crate::span::{FileId, Span};

use super::{MAX_EXPR_DEPTH, MAX_NESTING, decode_escape, off};

/// Parses `source` (already size-checked, not pre-scanned) into a whole
/// [`SourceFile`], or returns `None` when the pre-scan and the pest path
/// must decide.
///
/// The pre-scan's work is done on the way: comments are collected where
/// white space is skipped, blank lines are recorded at the line feeds of
/// skipped white space, and bracket nesting is counted at every bracket
/// token (giving up beyond [`MAX_NESTING`]). On a file the fast path
/// accepts, every byte belongs to a token, a comment or skipped white
/// space, strings hold no line break, and the brackets outside strings and
/// comments are exactly the bracket tokens, so the comments, blank lines
/// and nesting are those the pre-scan and `fmt::blank_lines` find.
///
/// Every identifier, number, rule id and escape-free string literal of the
/// tree is a [`Text`] part of `source`, which it shares.
pub(super) fn parse_file(source: &Arc<str>, file: FileId) -> Option<SourceFile> {
    parse_file_nested(source, file, MAX_NESTING)
}

/// [`parse_file`] giving up beyond `max_nesting` brackets (at most
/// [`MAX_NESTING`]), which bounds its recursion: [`parse`](super::parse)
/// first runs it on the caller's thread with a small bound.
pub(super) fn parse_file_nested(
    source: &Arc<str>,
    file: FileId,
    max_nesting: u32,
) -> Option<SourceFile> {
    let mut p = P {
        max_nesting: max_nesting.min(MAX_NESTING),
        s: source,
        b: source.as_bytes(),
        pos: 0,
        file,
        line_start: 0,
        depth: 0,
        comments: Vec::new(),
        blank_lines: Vec::new(),
        exprs: Vec::new(),
        lits: Vec::new(),
        shared: Arc::clone(source),
    };
    p.skip();
    if p.b.starts_with("\u{FEFF}".as_bytes()) {
        p.pos += 3;
        p.skip();
    }
    let mut items = Vec::new();
    while p.pos < p.b.len() {
        items.push(p.item()?);
    }
    Some(SourceFile {
        items,
        comments: p.comments,
        blank_lines: p.blank_lines,
    })
}

/// An ASCII letter, digit or `_` (the grammar's `ident_char`).
fn is_ic(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The offset of the first `"`, `\\`, line feed or carriage return in
/// `bytes` (what ends the plain part of a string literal), eight bytes at a
/// time.
fn string_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = ONES << 7;
    // A high bit set in each byte of `w` equal to `b`, and maybe in bytes
    // after the first such byte (the borrow), never before it.
    let eq = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let m = eq(w, b'"') | eq(w, b'\\') | eq(w, b'\n') | eq(w, b'\r');
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = bytes.get(i..)?;
    rest.iter()
        .position(|&c| matches!(c, b'"' | b'\\' | b'\n' | b'\r'))
        .map(|n| i + n)
}

/// The grammar's `WHITESPACE`.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A comparison or test operator (`cmp_tail` without its operand).
#[derive(Clone, Copy)]
enum CmpOp {
    Bin(BinOp),
    In { negated: bool },
    StartsWith,
    Contains,
    Is { present: bool },
}

/// The parser state: the source and the current byte offset, always at the
/// start of a token or at the end (whitespace and comments already skipped,
/// except inside atomic tokens), and what the pre-scan would collect.
struct P<'s> {
    s: &'s str,
    b: &'s [u8],
    pos: usize,
    file: FileId,
    /// The offset just after the last line feed skipped (0 before any).
    line_start: usize,
    /// The number of bracket tokens open at `pos`.
    depth: u32,
    /// Bracket nesting beyond which the parser gives up.
    max_nesting: u32,
    /// The comments skipped so far, as the pre-scan collects them.
    comments: Vec<Comment>,
    /// The blank lines seen so far, as `fmt::blank_lines` finds them.
    blank_lines: Vec<u32>,
    /// A stack of list elements being parsed (nested lists push above the
    /// outer list's), moved into a vector of the exact size at the list's
    /// end, so no list vector grows.
    exprs: Vec<Expr>,
    /// The same for the literals of a `list` declaration.
    lits: Vec<Literal>,
    /// The source, shared: the [`Text`] of every identifier, rule id,
    /// number and escape-free string literal points into it, so no text
    /// is an allocation of its own.
    shared: Arc<str>,
}

/// A point to backtrack to: the position and what skipping has recorded.
#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    line_start: usize,
    comments: usize,
    blank_lines: usize,
}

impl<'s> P<'s> {
    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn peek(&self) -> Option<u8> {
        self.at(self.pos)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, off(start), off(end))
    }

    fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            line_start: self.line_start,
            comments: self.comments.len(),
            blank_lines: self.blank_lines.len(),
        }
    }

    /// Goes back to `m`, forgetting what was skipped since.
    fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.line_start = m.line_start;
        self.comments.truncate(m.comments);
        self.blank_lines.truncate(m.blank_lines);
    }

    /// Skips whitespace and comments (pest's implicit `skip`). Inlined for
    /// the common cases, nothing or one space before the next token.
    #[inline(always)]
    fn skip(&mut self) {
        let seen = self.pos;
        if self.peek() == Some(b' ') {
            self.pos += 1;
        }
        if matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n' | b'#')) {
            self.white_space(true, seen);
        }
    }

    /// Skips white space, and comments if `comments`, recording comments
    /// and blank lines. `seen` is the end of the token before the white
    /// space (0 at the start of the file): the line holding it is not
    /// blank, and a later line is blank exactly when it starts at or after
    /// `seen` and after the last comment.
    #[inline(never)]
    fn white_space(&mut self, comments: bool, seen: usize) {
        let mut seen = seen;
        while let Some(&b) = self.b.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    if self.line_start >= seen {
                        self.blank_lines.push(off(self.line_start));
                    }
                    self.pos += 1;
                    self.line_start = self.pos;
                }
                b'#' if comments => {
                    self.comment(self.line_start < seen);
                    seen = self.pos;
                }
                _ => break,
            }
        }
    }

    /// Consumes the comment at the current position up to its line feed,
    /// recording it as the pre-scan does.
    fn comment(&mut self, trailing: bool) {
        let i = self.pos;
        let rest = self.b.get(i..).unwrap_or(&[]);
        let end = i + rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        // Trailing white space (a CRLF's `\r` included) is not part of the
        // comment.
        let mut text_end = end;
        while text_end > i + 1 && matches!(self.at(text_end - 1), Some(b' ' | b'\t' | b'\r')) {
            text_end -= 1;
        }
        let text = self.s.get(i + 1..text_end).unwrap_or("").to_owned();
        self.comments.push(Comment {
            text,
            span: self.span(i, text_end),
            trailing,
        });
        self.pos = end;
    }

    /// Counts an opening bracket token; `None` beyond `max_nesting` (at
    /// most [`MAX_NESTING`], which the pre-scan reports).
    fn open(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= self.max_nesting).then_some(())
    }

    /// Counts a closing bracket token.
    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The length of the identifier at `i` (0 if none).
    fn ident_len(&self, i: usize) -> usize {
        match self.at(i) {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let rest = self.b.get(i..).unwrap_or(&[]);
                rest.iter().position(|&c| !is_ic(c)).unwrap_or(rest.len())
            }
            _ => 0,
        }
    }

    /// The identifier at the current position, not consumed.
    fn peek_word(&self) -> &'s str {
        let n = self.ident_len(self.pos);
        self.s.get(self.pos..self.pos + n).unwrap_or("")
    }

    /// Whether the whole word `w` is at `i` (not followed by an identifier
    /// character), as the grammar's `kw_*` rules match.
    fn word_at(&self, i: usize, w: &str) -> bool {
        self.b.get(i..).is_some_and(|r| r.starts_with(w.as_bytes()))
            && !self.at(i + w.len()).is_some_and(is_ic)
    }

    /// Consumes the keyword `w` and the whitespace after it.
    fn kw(&mut self, w: &str) -> Option<Span> {
        if self.word_at(self.pos, w) {
            let start = self.pos;
            self.pos += w.len();
            let sp = self.span(start, self.pos);
            self.skip();
            Some(sp)
        } else {
            None
        }
    }

    /// Consumes the punctuation byte `c` and the whitespace after it,
    /// counting brackets.
    fn punct(&mut self, c: u8) -> Option<Span> {
        if self.peek() == Some(c) {
            match c {
                b'(' | b'[' | b'{' => self.open()?,
                b')' | b']' | b'}' => self.close(),
                _ => {}
            }
            let start = self.pos;
            self.pos += 1;
            let sp = self.span(start, self.pos);
            self.skip();
            Some(sp)
        } else {
            None
        }
    }

    /// Consumes an identifier (any, reserved words included).
    fn ident(&mut self) -> Option<Ident> {
        let n = self.ident_len(self.pos);
        if n == 0 {
            return None;
        }
        let start = self.pos;
        self.pos += n;
        let name = Text::part(&self.shared, start..self.pos)?;
        let span = self.span(start, self.pos);
        self.skip();
        Some(Ident { name, span })
    }

    /// The number of ASCII digits from `i`.
    fn digits(&self, i: usize) -> usize {
        let rest = self.b.get(i..).unwrap_or(&[]);
        rest.iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(rest.len())
    }

    /// The end of the `number` token at `i` (`i` if none).
    fn number_end(&self, i: usize) -> usize {
        let n = self.digits(i);
        if n == 0 {
            return i;
        }
        let mut end = i + n;
        if self.at(end) == Some(b'.') {
            let f = self.digits(end + 1);
            if f > 0 {
                end += 1 + f;
            }
        }
        end
    }

    /// Whether a `date` token starts at the current position.
    fn date_here(&self) -> bool {
        let i = self.pos;
        self.digits(i) >= 4
            && self.at(i + 4) == Some(b'-')
            && self.at(i + 5).is_some_and(|c| c.is_ascii_digit())
            && self.at(i + 6).is_some_and(|c| c.is_ascii_digit())
            && self.at(i + 7) == Some(b'-')
            && self.at(i + 8).is_some_and(|c| c.is_ascii_digit())
            && self.at(i + 9).is_some_and(|c| c.is_ascii_digit())
            && !self.at(i + 10).is_some_and(|c| c.is_ascii_digit())
            && self.digits(i) == 4
    }

    fn date(&mut self) -> Option<DateLit> {
        if !self.date_here() {
            return None;
        }
        let start = self.pos;
        let t = self.s.get(start..start + 10)?;
        let part = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<u16>().ok());
        let (year, month, day) = (part(0..4)?, part(5..7)?, part(8..10)?);
        self.pos += 10;
        let span = self.span(start, self.pos);
        self.skip();
        Some(DateLit {
            year,
            month: u8::try_from(month).unwrap_or(u8::MAX),
            day: u8::try_from(day).unwrap_or(u8::MAX),
            span,
        })
    }

    fn number(&mut self) -> Option<NumLit> {
        let start = self.pos;
        let end = self.number_end(start);
        if end == start {
            return None;
        }
        let text = Text::part(&self.shared, start..end)?;
        self.pos = end;
        let span = self.span(start, end);
        self.skip();
        Some(NumLit { text, span })
    }

    fn int(&mut self) -> Option<IntLit> {
        let start = self.pos;
        let sign = usize::from(self.peek() == Some(b'-'));
        let n = self.digits(start + sign);
        if n == 0 {
            return None;
        }
        let end = start + sign + n;
        let value = self.s.get(start..end)?.parse::<i64>().ok()?;
        self.pos = end;
        let span = self.span(start, end);
        self.skip();
        Some(IntLit { value, span })
    }

    fn rule_id(&mut self) -> Option<RuleId> {
        self.rule_id_or_ref(false)
    }

    /// A rule id, or a reference to one qualified by its package
    /// (`sica/VAL-001`) when `qualified` is allowed.
    fn rule_id_or_ref(&mut self, qualified: bool) -> Option<RuleId> {
        let start = self.pos;
        let id_len = |i: usize| -> usize {
            let rest = self.b.get(i..).unwrap_or(&[]);
            if !rest.first().is_some_and(|c| c.is_ascii_alphanumeric()) {
                return 0;
            }
            rest.iter()
                .position(|&c| !(is_ic(c) || c == b'.' || c == b'-'))
                .unwrap_or(rest.len())
        };
        let mut n = id_len(start);
        if n == 0 {
            return None;
        }
        if qualified && self.at(start + n) == Some(b'/') {
            let m = id_len(start + n + 1);
            if m == 0 {
                return None;
            }
            n += 1 + m;
        }
        let name = Text::part(&self.shared, start..start + n)?;
        self.pos = start + n;
        let span = self.span(start, self.pos);
        self.skip();
        Some(RuleId { name, span })
    }

    /// `active DATE to DATE`, `active from DATE` or `active to DATE`, its
    /// keyword already read at `kw`.
    fn active(&mut self, kw: Span) -> Option<Active> {
        let (from, to, end) = if self.kw("from").is_some() {
            let d = self.date()?;
            let end = d.span.end;
            (Some(d), None, end)
        } else if self.kw("to").is_some() {
            let d = self.date()?;
            let end = d.span.end;
            (None, Some(d), end)
        } else {
            let from = self.date()?;
            self.kw("to")?;
            let to = self.date()?;
            let end = to.span.end;
            (Some(from), Some(to), end)
        };
        Some(Active {
            from,
            to,
            span: Span::new(self.file, kw.start, end),
        })
    }

    /// `then ACTION, ...` after its keyword.
    fn actions(&mut self, into: &mut Vec<Action>) -> Option<()> {
        into.push(self.action()?);
        while self.punct(b',').is_some() {
            into.push(self.action()?);
        }
        Some(())
    }

    /// `KEY VALUE` of a profile clause.
    fn profile_entry(&mut self) -> Option<ProfileEntry> {
        let key = self.ident()?;
        let value = if self.peek() == Some(b'"') {
            ProfileValue::Str(self.string()?)
        } else if self.date_here() {
            ProfileValue::Date(self.date()?)
        } else {
            ProfileValue::Word(self.ident()?)
        };
        let end = match &value {
            ProfileValue::Str(v) => v.span.end,
            ProfileValue::Date(v) => v.span.end,
            ProfileValue::Word(v) => v.span.end,
        };
        let span = Span::new(self.file, key.span.start, end);
        Some(ProfileEntry { key, value, span })
    }

    /// `override PKG/ID { ... }` after its keyword.
    fn override_item(&mut self, start: usize) -> Option<Override> {
        let target = self.rule_id_or_ref(true)?;
        self.punct(b'{')?;
        let change = if let Some(d) = self.kw("disable") {
            OverrideChange::Disable(d)
        } else {
            let active = match self.kw("active") {
                Some(kw) => Some(self.active(kw)?),
                None => None,
            };
            let mut actions = Vec::new();
            if self.kw("then").is_some() {
                self.actions(&mut actions)?;
            }
            OverrideChange::Adjust { active, actions }
        };
        self.kw("reason")?;
        let reason = self.string()?;
        let until = if self.kw("until").is_some() {
            Some(self.date()?)
        } else {
            None
        };
        let close = self.punct(b'}')?;
        Some(Override {
            target,
            change,
            reason,
            until,
            span: Span::new(self.file, off(start), close.end),
        })
    }

    /// A string literal, decoded; `None` on a bad escape or a line break.
    fn string(&mut self) -> Option<StrLit> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return None;
        }
        let mut i = start + 1;
        // The common case, no escape: the text is the source's, shared.
        let n = string_special(self.b.get(i..)?)?;
        if self.at(i + n) == Some(b'"') {
            let value = Text::part(&self.shared, i..i + n)?;
            self.pos = i + n + 1;
            let span = self.span(start, self.pos);
            self.skip();
            return Some(StrLit { value, span });
        }
        let mut value = String::new();
        loop {
            let rest = self.b.get(i..)?;
            let n = rest
                .iter()
                .position(|&c| matches!(c, b'"' | b'\\' | b'\n' | b'\r'))?;
            value.push_str(self.s.get(i..i + n)?);
            i += n;
            match self.at(i)? {
                b'"' => break,
                b'\\' => {
                    let c = match self.at(i + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'n' => '\n',
                        b't' => '\t',
                        b'u' if self.at(i + 2) == Some(b'{') => {
                            let body = self.b.get(i + 3..)?;
                            let m = body
                                .iter()
                                .position(|&c| matches!(c, b'}' | b'"' | b'\n' | b'\r'))?;
                            if body.get(m) != Some(&b'}') {
                                return None;
                            }
                            let end = i + 3 + m + 1;
                            let c = decode_escape(self.s.get(i..end)?).ok()?;
                            i = end;
                            value.push(c);
                            continue;
                        }
                        _ => return None,
                    };
                    value.push(c);
                    i += 2;
                }
                _ => return None,
            }
        }
        self.pos = i + 1;
        let span = self.span(start, self.pos);
        self.skip();
        Some(StrLit {
            value: value.into(),
            span,
        })
    }

    fn scalar_type(&mut self) -> Option<(ScalarType, Span)> {
        let ty = match self.peek_word() {
            "text" => ScalarType::Text,
            "number" => ScalarType::Number,
            "bool" => ScalarType::Bool,
            "date" => ScalarType::Date,
            _ => return None,
        };
        let start = self.pos;
        self.pos += self.ident_len(start);
        let span = self.span(start, self.pos);
        self.skip();
        Some((ty, span))
    }

    // ------------------------------------------------------------- items

    fn item(&mut self) -> Option<Item> {
        let start = self.pos;
        let word = self.peek_word();
        let kw = self.kw(word)?;
        Some(match word {
            "ruleset" => {
                let name = self.string()?;
                self.kw("version")?;
                let version = self.string()?;
                let span = self.span(start, version.span.end as usize);
                Item::Ruleset(RulesetHeader {
                    name,
                    version,
                    span,
                })
            }
            "lanes" => {
                let mut lanes = vec![self.ident()?];
                while self.punct(b',').is_some() {
                    lanes.push(self.ident()?);
                }
                // The item ends with its last lane (the pest builder trims
                // the white space pest keeps after a failed repetition).
                let end = lanes
                    .last()
                    .map_or(kw.end as usize, |l| l.span.end as usize);
                Item::Lanes(Lanes {
                    lanes,
                    span: self.span(start, end),
                })
            }
            "threshold" => {
                let lane = self.ident()?;
                let score = self.int()?;
                let group = if self.kw("for").is_some() {
                    let field = self.ident()?;
                    let value = self.string()?;
                    Some(ThresholdGroup { field, value })
                } else {
                    None
                };
                let end = group.as_ref().map_or(score.span.end, |g| g.value.span.end);
                let span = self.span(start, end as usize);
                Item::Threshold(Threshold {
                    lane,
                    score,
                    group,
                    span,
                })
            }
            "schema" | "record" => {
                let name = self.ident()?;
                self.punct(b'{')?;
                let mut fields = Vec::new();
                while self.ident_len(self.pos) > 0 {
                    fields.push(self.field()?);
                    self.punct(b',');
                }
                let close = self.punct(b'}')?;
                let decl = RecordDecl {
                    name,
                    fields,
                    span: self.span(start, close.end as usize),
                };
                if word == "schema" {
                    Item::Schema(decl)
                } else {
                    Item::Record(decl)
                }
            }
            "list" => {
                let name = self.ident()?;
                let (body, end) = if self.punct(b'=').is_some() {
                    let open = self.punct(b'[')?;
                    while self.peek() != Some(b']') {
                        let lit = self.literal()?;
                        self.lits.push(lit);
                        if self.punct(b',').is_none() {
                            break;
                        }
                    }
                    let close = self.punct(b']')?;
                    let lits = self.lits.drain(..).collect();
                    (ListBody::Inline(lits, open.to(close)), close.end as usize)
                } else {
                    self.punct(b':')?;
                    let (ty, tspan) = self.scalar_type()?;
                    (ListBody::External(ty, tspan), tspan.end as usize)
                };
                Item::List(ListDecl {
                    name,
                    body,
                    span: self.span(start, end),
                })
            }
            "table" => {
                let name = self.ident()?;
                self.punct(b':')?;
                let (body, end) = if let Some(open) = self.punct(b'{') {
                    let mut cols = Vec::new();
                    while self.peek() != Some(b'}') {
                        let cname = self.ident()?;
                        self.punct(b':')?;
                        let (ty, tspan) = self.scalar_type()?;
                        cols.push(TableColumn {
                            span: cname.span.to(tspan),
                            name: cname,
                            ty,
                        });
                        self.punct(b',');
                    }
                    let close = self.punct(b'}')?;
                    (TableBody::Columns(cols, open.to(close)), close.end as usize)
                } else {
                    let (ty, ty_span) = self.scalar_type()?;
                    (TableBody::Value(ty, ty_span), ty_span.end as usize)
                };
                Item::Table(TableDecl {
                    name,
                    body,
                    span: self.span(start, end),
                })
            }
            "rule" => Item::Rule(self.rule(start)?),
            "test" => Item::Test(self.test(start)?),
            "package" | "uses" => {
                let name = self.string()?;
                self.kw("version")?;
                let version = self.string()?;
                let span = self.span(start, version.span.end as usize);
                let h = RulesetHeader {
                    name,
                    version,
                    span,
                };
                if word == "package" {
                    Item::Package(h)
                } else {
                    Item::Uses(h)
                }
            }
            "override" => Item::Override(self.override_item(start)?),
            _ => return None,
        })
    }

    fn field(&mut self) -> Option<FieldDecl> {
        let start = self.pos;
        let mut key = false;
        if self.word_at(self.pos, "key") {
            // `key` is the marker only when `name :` follows.
            let save = self.mark();
            self.pos += 3;
            self.skip();
            let after_key = self.mark();
            if self.ident().is_some() && self.peek() == Some(b':') {
                key = true;
                self.reset(after_key);
            } else {
                self.reset(save);
            }
        }
        let name = self.ident()?;
        self.punct(b':')?;
        let ty = if self.peek() == Some(b'[') {
            let open = self.punct(b'[')?;
            let rec = self.ident()?;
            let close = self.punct(b']')?;
            TypeExpr::List(rec, open.to(close))
        } else {
            let (s, sp) = self.scalar_type()?;
            TypeExpr::Scalar(s, sp)
        };
        let mut end = match &ty {
            TypeExpr::Scalar(_, sp) | TypeExpr::List(_, sp) => sp.end,
        };
        let optional = match self.punct(b'?') {
            Some(q) => {
                end = q.end;
                true
            }
            None => false,
        };
        Some(FieldDecl {
            key,
            name,
            ty,
            optional,
            span: Span::new(self.file, off(start), end),
        })
    }

    fn literal(&mut self) -> Option<Literal> {
        match self.peek()? {
            b'"' => Some(Literal::Str(self.string()?)),
            c if c.is_ascii_digit() && self.date_here() => Some(Literal::Date(self.date()?)),
            c if c.is_ascii_digit() || c == b'-' => {
                let start = self.pos;
                let negative = c == b'-';
                if negative {
                    if !self.at(start + 1).is_some_and(|d| d.is_ascii_digit()) {
                        return None;
                    }
                    self.pos += 1;
                }
                let lit = self.number()?;
                let span = self.span(start, lit.span.end as usize);
                Some(Literal::Number {
                    negative,
                    lit,
                    span,
                })
            }
            _ => {
                if let Some(sp) = self.kw("true") {
                    Some(Literal::Bool(true, sp))
                } else {
                    self.kw("false").map(|sp| Literal::Bool(false, sp))
                }
            }
        }
    }

    fn rule(&mut self, start: usize) -> Option<Rule> {
        let id = self.rule_id()?;
        let title = self.string()?;
        let monitor = self.kw("monitor");
        self.punct(b'{')?;
        let mut rule = Rule {
            id,
            title,
            monitor,
            profile: Vec::new(),
            active: None,
            tags: Vec::new(),
            when: None,
            sample: None,
            actions: Vec::new(),
            span: Span::default(),
        };
        if self.kw("profile").is_some() {
            rule.profile.push(self.profile_entry()?);
            while self.punct(b',').is_some() {
                rule.profile.push(self.profile_entry()?);
            }
        }
        if let Some(kw) = self.kw("active") {
            rule.active = Some(self.active(kw)?);
        }
        if self.kw("tags").is_some() {
            rule.tags.push(self.ident()?);
            while self.punct(b',').is_some() {
                rule.tags.push(self.ident()?);
            }
        }
        if self.kw("when").is_some() {
            let (e, _) = self.expr()?;
            rule.when = Some(e);
        }
        if self.kw("sample").is_some() {
            rule.sample = Some(self.percent()?);
        }
        if self.kw("then").is_some() {
            self.actions(&mut rule.actions)?;
        }
        let close = self.punct(b'}')?;
        rule.span = Span::new(self.file, off(start), close.end);
        Some(rule)
    }

    /// A percentage such as `2.5%` (`%` written right after the digits).
    fn percent(&mut self) -> Option<PercentLit> {
        let s = self.pos;
        let end = self.number_end(s);
        if end == s || self.at(end) != Some(b'%') {
            return None;
        }
        let text = self.s.get(s..end)?.to_owned();
        self.pos = end + 1;
        let span = self.span(s, self.pos);
        self.skip();
        Some(PercentLit { text, span })
    }

    /// True if a percentage starts here (a lane share continues).
    fn percent_here(&self) -> bool {
        let end = self.number_end(self.pos);
        end > self.pos && self.at(end) == Some(b'%')
    }

    fn action(&mut self) -> Option<Action> {
        let start = self.pos;
        if self.kw("score").is_some() {
            let (e, _) = self.expr()?;
            let span = self.span(start, e.span.end as usize);
            Some(Action::Score(e, span))
        } else if self.kw("lane").is_some() {
            let i = self.ident()?;
            if !self.percent_here() {
                let span = self.span(start, i.span.end as usize);
                return Some(Action::Lane(i, span));
            }
            let mut shares = vec![LaneShare {
                lane: i,
                percent: self.percent()?,
            }];
            // After a comma, `LANE PERCENT` continues the split and an
            // action keyword starts the next action.
            loop {
                let m = self.mark();
                if self.punct(b',').is_none() {
                    break;
                }
                let word = self.peek_word();
                if matches!(word, "score" | "lane" | "note") {
                    self.reset(m);
                    break;
                }
                let lane = self.ident()?;
                shares.push(LaneShare {
                    lane,
                    percent: self.percent()?,
                });
            }
            let end = shares.last().map_or(start, |s| s.percent.span.end as usize);
            Some(Action::LaneSplit(shares, self.span(start, end)))
        } else {
            self.kw("note")?;
            let s = self.string()?;
            let span = self.span(start, s.span.end as usize);
            Some(Action::Note(s, span))
        }
    }

    fn test(&mut self, start: usize) -> Option<Test> {
        let name = self.string()?;
        self.punct(b'{')?;
        let today = if self.kw("today").is_some() {
            Some(self.date()?)
        } else {
            None
        };
        self.kw("given")?;
        let jstart = self.pos;
        if self.peek() != Some(b'{') {
            return None;
        }
        self.json_object()?;
        let given = JsonText {
            text: self.s.get(jstart..self.pos)?.to_owned(),
            span: self.span(jstart, self.pos),
        };
        self.skip();
        let mut expects = Vec::new();
        while let Some(kw) = self.kw("expect") {
            let x = if self.kw("lane").is_some() {
                let i = self.ident()?;
                let sp = kw.to(i.span);
                Expect::Lane(i, sp)
            } else if self.kw("score").is_some() {
                let i = self.int()?;
                let sp = kw.to(i.span);
                Expect::Score(i, sp)
            } else if self.kw("fired").is_some() {
                let r = self.rule_id_or_ref(true)?;
                let sp = kw.to(r.span);
                Expect::Fired(r, sp)
            } else if self.kw("not").is_some() {
                self.kw("fired")?;
                let r = self.rule_id_or_ref(true)?;
                let sp = kw.to(r.span);
                Expect::NotFired(r, sp)
            } else if self.kw("undetermined").is_some() {
                let r = self.rule_id_or_ref(true)?;
                let sp = kw.to(r.span);
                Expect::Undetermined(r, sp)
            } else if self.kw("monitored").is_some() {
                let r = self.rule_id_or_ref(true)?;
                let sp = kw.to(r.span);
                Expect::Monitored(r, sp)
            } else {
                self.kw("note")?;
                let s = self.string()?;
                let sp = kw.to(s.span);
                Expect::Note(s, sp)
            };
            expects.push(x);
        }
        if expects.is_empty() {
            return None;
        }
        let close = self.punct(b'}')?;
        Some(Test {
            name,
            today,
            given,
            expects,
            span: Span::new(self.file, off(start), close.end),
        })
    }

    // -------------------------------------------------------------- JSON

    fn json_ws(&mut self) {
        if self.peek().is_some_and(is_ws) {
            self.white_space(false, self.pos);
        }
    }

    /// Validates a JSON object at the current position (no trailing skip).
    fn json_object(&mut self) -> Option<()> {
        self.open()?;
        self.pos += 1;
        self.json_ws();
        if self.peek() == Some(b'"') {
            self.json_member()?;
            loop {
                self.json_ws();
                if self.peek() != Some(b',') {
                    break;
                }
                self.pos += 1;
                self.json_ws();
                self.json_member()?;
            }
        }
        self.json_ws();
        (self.peek() == Some(b'}')).then(|| {
            self.close();
            self.pos += 1;
        })
    }

    fn json_member(&mut self) -> Option<()> {
        self.json_string()?;
        self.json_ws();
        if self.peek() != Some(b':') {
            return None;
        }
        self.pos += 1;
        self.json_ws();
        self.json_value()
    }

    fn json_array(&mut self) -> Option<()> {
        self.open()?;
        self.pos += 1;
        self.json_ws();
        if self.peek() != Some(b']') {
            self.json_value()?;
            loop {
                self.json_ws();
                if self.peek() != Some(b',') {
                    break;
                }
                self.pos += 1;
                self.json_ws();
                self.json_value()?;
            }
        }
        self.json_ws();
        (self.peek() == Some(b']')).then(|| {
            self.close();
            self.pos += 1;
        })
    }

    fn json_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' => self.json_object(),
            b'[' => self.json_array(),
            b'"' => self.json_string(),
            b'-' | b'0'..=b'9' => self.json_number(),
            _ => {
                for w in ["true", "false", "null"] {
                    if self.word_at(self.pos, w) {
                        self.pos += w.len();
                        return Some(());
                    }
                }
                None
            }
        }
    }

    fn json_string(&mut self) -> Option<()> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let mut i = self.pos + 1;
        loop {
            match self.at(i)? {
                b'"' => break,
                b'\\' => match self.at(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        for k in 2..6 {
                            if !self.at(i + k)?.is_ascii_hexdigit() {
                                return None;
                            }
                        }
                        i += 6;
                    }
                    _ => return None,
                },
                c if c < 0x20 => return None,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        Some(())
    }

    fn json_number(&mut self) -> Option<()> {
        let mut i = self.pos;
        if self.at(i) == Some(b'-') {
            i += 1;
        }
        match self.at(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => i += self.digits(i),
            _ => return None,
        }
        if self.at(i) == Some(b'.') && self.digits(i + 1) > 0 {
            i += 1 + self.digits(i + 1);
        }
        if matches!(self.at(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let d = self.digits(j);
            if d > 0 {
                i = j + d;
            }
        }
        self.pos = i;
        Some(())
    }

    // -------------------------------------------------------- expressions

    /// Makes a node one level deeper than `child_depth`; `None` beyond
    /// [`MAX_EXPR_DEPTH`] (the pest path reports it).
    fn node(kind: ExprKind, span: Span, child_depth: u32) -> Option<(Expr, u32)> {
        let depth = child_depth.saturating_add(1);
        (depth <= MAX_EXPR_DEPTH).then_some((Expr { kind, span }, depth))
    }

    fn expr(&mut self) -> Option<(Expr, u32)> {
        if let Some(leaf) = self.lone_literal() {
            return Some(leaf);
        }
        let (mut acc, mut d) = self.and_expr()?;
        while self.kw("or").is_some() {
            let (r, rd) = self.and_expr()?;
            let s = acc.span.to(r.span);
            (acc, d) = Self::node(
                ExprKind::Binary(BinOp::Or, Box::new(acc), Box::new(r)),
                s,
                d.max(rd),
            )?;
        }
        Some((acc, d))
    }

    /// A string or number literal that is a whole expression (followed by
    /// `,`, `]` or `)`, which no operator starts), as in long lists: the
    /// same leaf the precedence levels would build, without walking them.
    /// `None` (nothing consumed) otherwise.
    fn lone_literal(&mut self) -> Option<(Expr, u32)> {
        let save = self.mark();
        let leaf = match self.peek()? {
            b'"' => {
                let s = self.string()?;
                let span = s.span;
                Expr {
                    kind: ExprKind::Str(s),
                    span,
                }
            }
            b'0'..=b'9' if !self.date_here() => {
                let n = self.number()?;
                let span = n.span;
                Expr {
                    kind: ExprKind::Number(n),
                    span,
                }
            }
            _ => return None,
        };
        if matches!(self.peek(), Some(b',' | b']' | b')')) {
            Some((leaf, 1))
        } else {
            self.reset(save);
            None
        }
    }

    fn and_expr(&mut self) -> Option<(Expr, u32)> {
        let (mut acc, mut d) = self.not_expr()?;
        while self.kw("and").is_some() {
            let (r, rd) = self.not_expr()?;
            let s = acc.span.to(r.span);
            (acc, d) = Self::node(
                ExprKind::Binary(BinOp::And, Box::new(acc), Box::new(r)),
                s,
                d.max(rd),
            )?;
        }
        Some((acc, d))
    }

    fn not_expr(&mut self) -> Option<(Expr, u32)> {
        let mut ops = Vec::new();
        while let Some(sp) = self.kw("not") {
            ops.push(sp);
        }
        let (mut acc, mut d) = self.cmp_expr()?;
        for s in ops.into_iter().rev() {
            let whole = s.to(acc.span);
            (acc, d) = Self::node(ExprKind::Unary(UnOp::Not, Box::new(acc)), whole, d)?;
        }
        Some((acc, d))
    }

    /// The comparison or test operator at the current position and the
    /// offset just after it, without consuming it.
    fn cmp_op_here(&self) -> Option<(CmpOp, usize)> {
        let i = self.pos;
        let two = self.b.get(i..i + 2);
        let op = match two {
            Some(b"==") => Some(BinOp::Eq),
            Some(b"!=") => Some(BinOp::Ne),
            Some(b"<=") => Some(BinOp::Le),
            Some(b">=") => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            return Some((CmpOp::Bin(op), i + 2));
        }
        match self.peek()? {
            b'<' => return Some((CmpOp::Bin(BinOp::Lt), i + 1)),
            b'>' => return Some((CmpOp::Bin(BinOp::Gt), i + 1)),
            // The first letters of `not in`, `in`, `is`, `starts with` and
            // `contains`; nothing else starts an operator word.
            b'n' | b'i' | b's' | b'c' => {}
            _ => return None,
        }
        // `first WHITESPACE+ second`, as the compound-atomic operators match.
        let pair = |first: &str, second: &str| -> Option<usize> {
            if !self.word_at(i, first) {
                return None;
            }
            let j = i + first.len();
            let rest = self.b.get(j..)?;
            let ws = rest.iter().position(|&c| !is_ws(c)).unwrap_or(rest.len());
            (ws > 0 && self.word_at(j + ws, second)).then_some(j + ws + second.len())
        };
        if let Some(end) = pair("not", "in") {
            return Some((CmpOp::In { negated: true }, end));
        }
        if self.word_at(i, "in") {
            return Some((CmpOp::In { negated: false }, i + 2));
        }
        if let Some(end) = pair("starts", "with") {
            return Some((CmpOp::StartsWith, end));
        }
        if self.word_at(i, "contains") {
            return Some((CmpOp::Contains, i + 8));
        }
        if let Some(end) = pair("is", "missing") {
            return Some((CmpOp::Is { present: false }, end));
        }
        pair("is", "present").map(|end| (CmpOp::Is { present: true }, end))
    }

    fn cmp_expr(&mut self) -> Option<(Expr, u32)> {
        let (lhs, ld) = self.add_expr()?;
        let Some((op, end)) = self.cmp_op_here() else {
            return Some((lhs, ld));
        };
        // The white space inside a two-word operator (`is  missing`) may
        // hold blank lines.
        while self.pos < end {
            if self.peek().is_some_and(is_ws) {
                self.white_space(false, self.pos);
            } else {
                self.pos += 1;
            }
        }
        self.skip();
        let l = Box::new(lhs);
        let out = match op {
            CmpOp::Is { present } => {
                let whole = Span::new(self.file, l.span.start, off(end));
                Self::node(ExprKind::Is { value: l, present }, whole, ld)?
            }
            _ => {
                let (rhs, rd) = self.add_expr()?;
                let whole = l.span.to(rhs.span);
                let r = Box::new(rhs);
                let kind = match op {
                    CmpOp::Bin(b) => ExprKind::Binary(b, l, r),
                    CmpOp::In { negated } => ExprKind::In {
                        value: l,
                        list: r,
                        negated,
                    },
                    CmpOp::StartsWith => ExprKind::StartsWith(l, r),
                    CmpOp::Contains => ExprKind::Contains(l, r),
                    CmpOp::Is { .. } => return None,
                };
                Self::node(kind, whole, ld.max(rd))?
            }
        };
        // A second comparison is `E0008`: the pest path reports it.
        if self.cmp_op_here().is_some() {
            return None;
        }
        Some(out)
    }

    fn add_expr(&mut self) -> Option<(Expr, u32)> {
        self.left_assoc(
            |b| match b {
                b'+' => Some(BinOp::Add),
                b'-' => Some(BinOp::Sub),
                _ => None,
            },
            Self::mul_expr,
        )
    }

    fn mul_expr(&mut self) -> Option<(Expr, u32)> {
        self.left_assoc(
            |b| match b {
                b'*' => Some(BinOp::Mul),
                b'/' => Some(BinOp::Div),
                _ => None,
            },
            Self::neg_expr,
        )
    }

    /// A left-associative level of one-byte operators (`+ -`, `* /`) over
    /// operands parsed by `operand`.
    fn left_assoc(
        &mut self,
        op_of: fn(u8) -> Option<BinOp>,
        operand: fn(&mut Self) -> Option<(Expr, u32)>,
    ) -> Option<(Expr, u32)> {
        let (mut acc, mut d) = operand(self)?;
        while let Some(op) = self.peek().and_then(op_of) {
            self.pos += 1;
            self.skip();
            let (r, rd) = operand(self)?;
            let s = acc.span.to(r.span);
            (acc, d) = Self::node(
                ExprKind::Binary(op, Box::new(acc), Box::new(r)),
                s,
                d.max(rd),
            )?;
        }
        Some((acc, d))
    }

    fn neg_expr(&mut self) -> Option<(Expr, u32)> {
        let mut ops = Vec::new();
        while let Some(sp) = self.punct(b'-') {
            ops.push(sp);
        }
        let (mut acc, mut d) = self.postfix_expr()?;
        for s in ops.into_iter().rev() {
            let whole = s.to(acc.span);
            (acc, d) = Self::node(ExprKind::Unary(UnOp::Neg, Box::new(acc)), whole, d)?;
        }
        Some((acc, d))
    }

    fn postfix_expr(&mut self) -> Option<(Expr, u32)> {
        let (mut acc, mut d) = self.primary()?;
        while self.peek() == Some(b'.') && self.ident_len(self.pos + 1) > 0 {
            self.pos += 1;
            let name = self.ident()?;
            let whole = Span::new(self.file, acc.span.start, name.span.end);
            (acc, d) = Self::node(ExprKind::Field(Box::new(acc), name), whole, d)?;
        }
        Some((acc, d))
    }

    /// Comma-separated expressions up to `close`, a trailing comma allowed;
    /// returns them, their depth and the closing bracket's span.
    fn expr_list(&mut self, close: u8) -> Option<(Vec<Expr>, u32, Span)> {
        let base = self.exprs.len();
        let mut depth = 0;
        while self.peek() != Some(close) {
            // A string element, as in long lists: the leaf `lone_literal`
            // would build, pushed in place.
            if self.peek() == Some(b'"') {
                let save = self.mark();
                if let Some(s) = self.string()
                    && matches!(self.peek(), Some(b',' | b']' | b')'))
                {
                    let span = s.span;
                    self.exprs.push(Expr {
                        kind: ExprKind::Str(s),
                        span,
                    });
                    depth = depth.max(1);
                    if self.punct(b',').is_none() {
                        break;
                    }
                    continue;
                }
                self.reset(save);
            }
            let (e, d) = self.expr()?;
            depth = d.max(depth);
            self.exprs.push(e);
            if self.punct(b',').is_none() {
                break;
            }
        }
        let end = self.punct(close)?;
        let items = self.exprs.drain(base..).collect();
        Some((items, depth, end))
    }

    fn primary(&mut self) -> Option<(Expr, u32)> {
        let start = self.pos;
        let c = self.peek()?;
        if c.is_ascii_alphabetic() || c == b'_' {
            let word = self.peek_word();
            // One look-up in the keyword table decides what the word may be.
            let role = role(word);
            if let Some(Role::Quantifier(kind)) = role {
                self.pos += word.len();
                self.skip();
                self.punct(b'(')?;
                let var = self.ident()?;
                self.kw("in")?;
                let (list, ld) = self.expr()?;
                self.punct(b':')?;
                let (body, bd) = self.expr()?;
                let close = self.punct(b')')?;
                return Self::node(
                    ExprKind::Quant {
                        kind,
                        var,
                        list: Box::new(list),
                        body: Box::new(body),
                    },
                    self.span(start, close.end as usize),
                    ld.max(bd),
                );
            }
            let name = self.ident()?;
            let callable = matches!(role, None | Some(Role::Function));
            if callable && self.peek() == Some(b'(') {
                self.punct(b'(')?;
                let (args, depth, close) = self.expr_list(b')')?;
                let span = self.span(start, close.end as usize);
                return Self::node(ExprKind::Call { func: name, args }, span, depth);
            }
            let span = name.span;
            let kind = match word {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "today" => ExprKind::Today,
                _ if role.is_some() => return None,
                _ => ExprKind::Name(name),
            };
            return Self::node(kind, span, 0);
        }
        match c {
            b'(' => {
                self.punct(b'(')?;
                let (inner, d) = self.expr()?;
                let close = self.punct(b')')?;
                Self::node(
                    ExprKind::Paren(Box::new(inner)),
                    self.span(start, close.end as usize),
                    d,
                )
            }
            b'[' => {
                self.punct(b'[')?;
                let (items, depth, close) = self.expr_list(b']')?;
                Self::node(
                    ExprKind::List(items),
                    self.span(start, close.end as usize),
                    depth,
                )
            }
            b'"' => {
                let s = self.string()?;
                let span = s.span;
                Self::node(ExprKind::Str(s), span, 0)
            }
            b'0'..=b'9' => {
                if self.date_here() {
                    let d = self.date()?;
                    let span = d.span;
                    Self::node(ExprKind::Date(d), span, 0)
                } else {
                    let n = self.number()?;
                    let span = n.span;
                    Self::node(ExprKind::Number(n), span, 0)
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::string_special;

    /// The word-at-a-time search finds what a byte-by-byte search finds,
    /// at every length and offset, with the special byte anywhere or
    /// nowhere, and with bytes that differ from a special one by the
    /// borrow of the trick (`#`, `]`, `!`, `\x0b`, high bytes).
    #[test]
    fn string_special_matches_a_plain_search() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| matches!(c, b'"' | b'\\' | b'\n' | b'\r'))
        };
        let fillers = [
            b'a', b'#', b']', b'!', 0x0b, 0x0c, 0x5d, 0xff, 0x80, 0x00, 0x01,
        ];
        let specials = [b'"', b'\\', b'\n', b'\r'];
        let mut checked = 0;
        for len in 0..40 {
            for &f in &fillers {
                let base = vec![f; len];
                assert_eq!(string_special(&base), naive(&base));
                for at in 0..len {
                    for &sp in &specials {
                        let mut v = base.clone();
                        v[at] = sp;
                        // A second special byte later must not win.
                        if at + 3 < len {
                            v[at + 3] = b'"';
                        }
                        assert_eq!(string_special(&v), Some(at), "{v:?}");
                        assert_eq!(string_special(&v), naive(&v));
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000);
    }
}
