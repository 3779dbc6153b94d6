//! Binding a JSON declaration into a [`Declaration`] (SPEC §4).
//!
//! The reader is hand-written and schema-directed: it walks the bytes once,
//! stores each member the schema knows straight into the declaration buffer
//! and checks the members it does not know for validity only. A general
//! JSON library does not fit here, for two reasons the spec makes binding:
//! numbers must be read exactly (never through `f64`), and a member that
//! appears twice in one object must be an error (parsers that disagree on
//! duplicates are a known way to smuggle a value past a check).
//!
//! # Input safety
//!
//! The input is hostile. The reader never panics, never recurses deeper
//! than [`MAX_DEPTH`] (ignored members included), rejects inputs larger than
//! [`MAX_JSON_BYTES`], bounds bound text by [`MAX_TEXT_BYTES`] and bound
//! numbers by [`MAX_NUMBER_BYTES`], checks duplicates in `O(n log n)` even
//! in objects with very many members, and rejects invalid UTF-8, lone
//! surrogates, control characters in strings and trailing data.
//!
//! # Allocation
//!
//! A [`JsonBinder`] keeps its scratch buffers (path, presence flags, keys of
//! ignored members, decoded escapes) between calls, and the declaration
//! buffer keeps its own, so binding declarations of similar shape allocates
//! nothing after the first few. Errors allocate their message.

use std::cmp::Ordering;
use std::fmt;

use crate::date::Date;
use crate::decimal::{Decimal, DecimalError};
use crate::decl::{DeclError, Declaration, Instance, Node, Slot};
use crate::layout::{Field, FieldId, FieldType, Layout, RecordId};

/// The largest JSON text accepted for one declaration: 64 MiB.
pub const MAX_JSON_BYTES: usize = 64 << 20;

/// The deepest nesting of arrays and objects accepted, the declaration's own
/// object included, and also inside ignored members.
pub const MAX_DEPTH: usize = 256;

/// The longest text value (after unescaping) bound into a field: 1 MiB.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// The longest number token bound into a field.
pub const MAX_NUMBER_BYTES: usize = 1024;

/// Inputs up to this size are copied into the declaration's text buffer
/// whole, and their plain strings bound as spans of the copy; the text
/// values of larger ones are copied one by one, so that a large input
/// with little bound text does not leave a buffer of its size behind.
const SPAN_INPUT_MAX: usize = 64 << 10;

/// Above this many ignored members in one object, duplicates among them are
/// found by sorting at the end of the object instead of by a linear scan at
/// each member, so a hostile object cannot cost quadratic time.
const LINEAR_DUPLICATE_SCAN: usize = 32;

/// What is wrong with the JSON text itself, at a line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// Something else was expected here; the text names it (`` `:` ``).
    #[error("expected {0}")]
    Expected(&'static str),
    /// The input ended inside a value.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// The bytes are not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A backslash escape that JSON does not define.
    #[error("invalid escape sequence")]
    InvalidEscape,
    /// A `\u` escape of a UTF-16 surrogate without its other half.
    #[error("lone surrogate in a `\\u` escape")]
    LoneSurrogate,
    /// A raw control character (below U+0020) inside a string.
    #[error("unescaped control character in a string")]
    ControlCharacter,
    /// A number that is not in JSON syntax.
    #[error("invalid number")]
    InvalidNumber,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// What went wrong while binding, without the place.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BindErrorKind {
    /// The JSON text is malformed at `line`, `column` (1-based; columns count
    /// characters).
    #[error("line {line}, column {column}: {error}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong.
        error: SyntaxError,
    },
    /// The value's JSON type does not fit the field.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the schema wants (`number`, `text`, `object`, ...).
        expected: &'static str,
        /// What the input has (`string`, `null`, `array`, ...).
        found: &'static str,
    },
    /// A date field holds a string that is not a valid `YYYY-MM-DD` date.
    #[error("invalid date `{0}`")]
    InvalidDate(String),
    /// A number whose magnitude is 10^30 or more.
    #[error("number out of range `{0}`")]
    NumberOutOfRange(String),
    /// A member that appears twice in one object (compared after
    /// unescaping).
    #[error("duplicate member `{0}`")]
    DuplicateMember(String),
    /// A required field is absent.
    #[error("required field is missing")]
    MissingRequired,
    /// A text value longer than [`MAX_TEXT_BYTES`].
    #[error("text longer than {MAX_TEXT_BYTES} bytes")]
    TextTooLong,
    /// A number token longer than [`MAX_NUMBER_BYTES`].
    #[error("number longer than {MAX_NUMBER_BYTES} characters")]
    NumberTooLong,
    /// The input is larger than [`MAX_JSON_BYTES`].
    #[error("input larger than {MAX_JSON_BYTES} bytes")]
    InputTooLarge,
    /// The declaration buffer was made for another layout.
    #[error("the declaration buffer was made for another schema")]
    WrongLayout,
    /// The declaration buffer refused the value (for example, too large).
    #[error(transparent)]
    Declaration(DeclError),
}

/// Why a JSON declaration could not be bound: where (the field path and the
/// byte offset in the input) and what.
///
/// Displays as `items[3].net_kg: expected number, found string`, or for
/// malformed JSON as ``line 1, column 17: expected `:` ``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindError {
    /// The field path, as `items[3].net_kg`; empty for the whole input.
    pub path: String,
    /// What went wrong.
    pub kind: BindErrorKind,
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || matches!(self.kind, BindErrorKind::Syntax { .. }) {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for BindError {}

impl BindError {
    fn syntax(input: &[u8], offset: usize, error: SyntaxError) -> BindError {
        let (line, column) = line_column(input, offset);
        BindError {
            path: String::new(),
            kind: BindErrorKind::Syntax {
                line,
                column,
                error,
            },
            offset,
        }
    }

    /// The same error for a declaration that was cut out of a larger text
    /// (an element of a JSON array, a line of JSON Lines) starting at byte
    /// `base` of `whole`: the offset, line and column become positions in
    /// `whole`.
    #[must_use]
    pub fn rebase(mut self, whole: &[u8], base: usize) -> BindError {
        self.offset = self.offset.saturating_add(base);
        if let BindErrorKind::Syntax { line, column, .. } = &mut self.kind {
            let (l, c) = line_column(whole, self.offset);
            *line = l;
            *column = c;
        }
        self
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(input: &[u8], offset: usize) -> (usize, usize) {
    let before = input.get(..offset).unwrap_or(input);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| !(0x80..0xC0).contains(&b))
        .count();
    (line, column)
}

/// Binds one JSON declaration: clears `decl`, then fills it from `input`.
///
/// A convenience wrapper around [`JsonBinder::bind`] that allocates fresh
/// scratch buffers; hot paths keep a [`JsonBinder`] and reuse it.
pub fn bind_json(layout: &Layout, input: &[u8], decl: &mut Declaration) -> Result<(), BindError> {
    JsonBinder::new().bind(layout, input, decl)
}

/// One step of a field path.
#[derive(Clone, Copy, Debug)]
enum Seg {
    /// A field of the schema.
    Field(RecordId, FieldId),
    /// A member the schema does not know: an index into `JsonBinder::keys`.
    Key(u32),
    /// An array element.
    Index(u32),
}

/// The decoded key of an ignored member, in `JsonBinder::key_bytes`.
#[derive(Clone, Copy, Debug)]
struct KeySpan {
    start: u32,
    end: u32,
    offset: u32,
}

/// Reusable scratch buffers for binding JSON declarations.
///
/// Keep one per thread and call [`JsonBinder::bind`] for every declaration;
/// its buffers keep their capacity, so binding does not allocate once they
/// have grown to the size of the declarations seen.
#[derive(Clone, Debug, Default)]
pub struct JsonBinder {
    buffers: Buffers,
    tables: Tables,
}

/// The scratch buffers of a [`JsonBinder`], written while binding.
#[derive(Clone, Debug, Default)]
struct Buffers {
    scratch: String,
    key_bytes: Vec<u8>,
    keys: Vec<KeySpan>,
    present: Vec<bool>,
    path: Vec<Seg>,
    order: Vec<u32>,
}

/// What a [`JsonBinder`] derives from a layout once, read while binding
/// (a separate borrow from the buffers, so the parser keeps the current
/// record's entries at hand across its members).
#[derive(Clone, Debug, Default)]
struct Tables {
    /// The layout stamp the tables were computed for.
    plain_stamp: Option<u64>,
    /// Per record of that layout: no field name contains a byte that ends
    /// a plain string run, so [`fast_key`] may match names in place.
    plain_names: Vec<bool>,
    /// Per record of that layout with at most 64 fields, the bits of its
    /// required fields: such objects track presence in a local bitmask
    /// instead of `present`.
    required: Vec<Option<u64>>,
    /// Per record of that layout, per field: its name and closing quote
    /// as words, compared with the input's first sixteen key bytes at
    /// once by [`fast_key`].
    name_words: Vec<Box<[KeyPattern]>>,
}

impl JsonBinder {
    /// A binder with empty buffers.
    pub fn new() -> JsonBinder {
        JsonBinder::default()
    }

    /// Binds one JSON declaration: clears `decl`, then fills it from `input`.
    ///
    /// On error `decl` holds a partial declaration and must not be
    /// evaluated.
    pub fn bind(
        &mut self,
        layout: &Layout,
        input: &[u8],
        decl: &mut Declaration,
    ) -> Result<(), BindError> {
        decl.clear();
        if decl.stamp() != layout.stamp() {
            return Err(BindError {
                path: String::new(),
                kind: BindErrorKind::WrongLayout,
                offset: 0,
            });
        }
        if input.len() > MAX_JSON_BYTES {
            return Err(BindError {
                path: String::new(),
                kind: BindErrorKind::InputTooLarge,
                offset: 0,
            });
        }
        // SIMD validation for the common, valid case; std's reader only
        // to find where invalid input goes wrong, for the message.
        let Ok(text) = simdutf8::basic::from_utf8(input) else {
            let at = std::str::from_utf8(input).map_or_else(|e| e.valid_up_to(), str::len);
            return Err(BindError::syntax(input, at, SyntaxError::InvalidUtf8));
        };
        if self.tables.plain_stamp != Some(layout.stamp()) {
            self.tables.plain_names.clear();
            self.tables.plain_names.extend(
                layout
                    .records()
                    .iter()
                    .map(|r| r.fields.iter().all(|f| !f.name.bytes().any(ends_run))),
            );
            self.tables.required.clear();
            self.tables
                .required
                .extend(layout.records().iter().map(|r| {
                    (r.fields.len() <= 64).then(|| {
                        r.fields
                            .iter()
                            .enumerate()
                            .filter(|(_, f)| !f.optional)
                            .fold(0u64, |m, (i, _)| m | (1u64 << i))
                    })
                }));
            self.tables.name_words.clear();
            self.tables.name_words.extend(
                layout
                    .records()
                    .iter()
                    .map(|r| r.fields.iter().map(|f| KeyPattern::new(&f.name)).collect()),
            );
            self.tables.plain_stamp = Some(layout.stamp());
        }
        // The path of the member being read is what an error names, and
        // keeping it costs a push and a pop per member: the first pass
        // does without, and only a declaration that fails is read again,
        // keeping it, for the error with its path. Reading is
        // deterministic, so the second pass fails where the first did.
        let Err(first) = self.run(layout, input, text, decl, false) else {
            return Ok(());
        };
        decl.clear();
        match self.run(layout, input, text, decl, true) {
            Err(e) => Err(*e),
            // Cannot happen; never turn a failure into a success.
            Ok(()) => Err(*first),
        }
    }

    /// One pass over the declaration, with the member path kept or not.
    fn run(
        &mut self,
        layout: &Layout,
        input: &[u8],
        text: &str,
        decl: &mut Declaration,
        track: bool,
    ) -> PResult<()> {
        // Plain strings are stored as spans of the input, copied once
        // (one copy instead of one per text), unless the input is large
        // enough for the copy to matter as memory.
        let source = if input.len() <= SPAN_INPUT_MAX {
            let at = decl.push_source(text).map_err(|e| {
                Box::new(BindError {
                    path: String::new(),
                    kind: BindErrorKind::Declaration(e),
                    offset: 0,
                })
            })?;
            Some(at)
        } else {
            None
        };
        let b = &mut self.buffers;
        b.scratch.clear();
        b.key_bytes.clear();
        b.keys.clear();
        b.present.clear();
        b.path.clear();
        let mut p = Parser {
            input,
            text,
            pos: 0,
            layout,
            decl,
            b,
            t: &self.tables,
            source,
            track,
        };
        p.document()
    }
}

impl Parser<'_, '_> {
    /// The whole input: one object, then only whitespace.
    fn document(&mut self) -> PResult<()> {
        let p = self;
        p.skip_ws();
        match p.peek() {
            Some(b'{') => p.bind_object(Node::ROOT, 1)?,
            Some(b) => {
                let found = p.kind_of(b)?;
                return Err(p.err_at(
                    p.pos,
                    BindErrorKind::WrongType {
                        expected: "object",
                        found,
                    },
                ));
            }
            None => return Err(p.syntax(p.pos, SyntaxError::Expected("`{`"))),
        }
        p.skip_ws();
        if p.pos < p.input.len() {
            return Err(p.syntax(p.pos, SyntaxError::Expected("end of input")));
        }
        Ok(())
    }
}

/// A decoded string: either a range of the input (no escapes) or the
/// binder's scratch buffer.
#[derive(Clone, Copy, Debug)]
enum Str {
    Input(usize, usize),
    Scratch,
}

/// Errors are boxed inside the parser so that results stay small on the
/// hot path; [`JsonBinder::bind`] unboxes them.
type PResult<T> = Result<T, Box<BindError>>;

struct Parser<'a, 'b> {
    input: &'a [u8],
    // The same bytes, known to be UTF-8.
    text: &'a str,
    pos: usize,
    layout: &'b Layout,
    decl: &'b mut Declaration,
    b: &'b mut Buffers,
    t: &'b Tables,
    /// Where the input starts in the declaration's text buffer, if it
    /// was copied there (see [`SPAN_INPUT_MAX`]).
    source: Option<usize>,
    /// Whether the path of schema members and array elements is kept
    /// (see [`JsonBinder::bind`]): errors render it.
    track: bool,
}

impl<'a> Parser<'a, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        self.pos = skip_ws_from(self.input, self.pos);
    }

    #[cold]
    fn syntax(&self, offset: usize, error: SyntaxError) -> Box<BindError> {
        let mut e = BindError::syntax(self.input, offset, error);
        e.path = self.render_path();
        Box::new(e)
    }

    #[cold]
    fn err_at(&self, offset: usize, kind: BindErrorKind) -> Box<BindError> {
        Box::new(BindError {
            path: self.render_path(),
            kind,
            offset,
        })
    }

    #[cold]
    fn decl_err(&self, e: DeclError) -> Box<BindError> {
        self.err_at(self.pos, BindErrorKind::Declaration(e))
    }

    fn render_path(&self) -> String {
        let mut out = String::new();
        for seg in &self.b.path {
            match *seg {
                Seg::Field(r, f) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    if let Some(field) = self.layout.field(r, f) {
                        out.push_str(&field.name);
                    }
                }
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    if let Some(span) = self.b.keys.get(k as usize) {
                        let bytes = self
                            .b
                            .key_bytes
                            .get(span.start as usize..span.end as usize)
                            .unwrap_or_default();
                        out.push_str(&String::from_utf8_lossy(bytes));
                    }
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// The JSON kind of the value starting with byte `b`, for messages.
    fn kind_of(&self, b: u8) -> PResult<&'static str> {
        Ok(match b {
            b'"' => "string",
            b'-' | b'0'..=b'9' => "number",
            b't' | b'f' => "boolean",
            b'n' => "null",
            b'[' => "array",
            b'{' => "object",
            _ => return Err(self.syntax(self.pos, SyntaxError::Expected("a value"))),
        })
    }

    /// Reads the `:` after a member's key, with the whitespace around it
    /// (the common spelling is [`plain_colon`]).
    #[inline]
    fn colon(&mut self) -> PResult<()> {
        if plain_colon(self.input, self.pos) {
            self.pos += 2;
            return Ok(());
        }
        self.expect_byte(b':', "`:`")?;
        self.skip_ws();
        Ok(())
    }

    fn expect_byte(&mut self, byte: u8, what: &'static str) -> PResult<()> {
        self.skip_ws();
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.syntax(self.pos, SyntaxError::Expected(what))),
            None => Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> PResult<()> {
        let end = self.pos + word.len();
        if self.input.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.syntax(self.pos, SyntaxError::Expected("a value")))
        }
    }

    fn enter(&self, depth: usize) -> PResult<()> {
        if depth > MAX_DEPTH {
            Err(self.syntax(self.pos, SyntaxError::TooDeep))
        } else {
            Ok(())
        }
    }

    /// Reads a string starting at the opening quote. Without escapes the
    /// result is a range of the input; with escapes it is decoded into the
    /// scratch buffer.
    ///
    /// The common string, plain up to its closing quote, is read inline
    /// (it is most of the members' values); the rest, escapes and errors,
    /// out of line by [`Parser::string_slow`].
    #[inline]
    fn string(&mut self) -> PResult<Str> {
        if let Some(end) = plain_string_end(self.input, self.pos) {
            let start = self.pos + 1;
            self.pos = end + 1;
            return Ok(Str::Input(start, end));
        }
        // Scanned again there: passing the stop along cost 170
        // instructions per regional declaration on the plain path.
        self.string_slow()
    }

    /// [`Parser::string`] for a string that is not plain up to its
    /// closing quote (it has an escape, a control character, or no end).
    #[inline(never)]
    fn string_slow(&mut self) -> PResult<Str> {
        self.pos += 1;
        let start = self.pos;
        // Find the first byte that ends a plain run.
        let rest = self.input.get(start..).unwrap_or_default();
        let stop = plain_run(rest);
        match stop.and_then(|i| rest.get(i).map(|&b| (i, b))) {
            Some((i, b'"')) => {
                self.pos = start + i + 1;
                return Ok(Str::Input(start, start + i));
            }
            Some((i, b'\\')) => self.pos = start + i,
            Some((i, _)) => {
                return Err(self.syntax(start + i, SyntaxError::ControlCharacter));
            }
            None => return Err(self.syntax(self.input.len(), SyntaxError::UnexpectedEnd)),
        }
        // Slow path: decode escapes into the scratch buffer.
        self.b.scratch.clear();
        self.b
            .scratch
            .push_str(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str::Scratch);
                }
                Some(b'\\') => {
                    let c = self.escape()?;
                    self.b.scratch.push(c);
                }
                Some(0..0x20) => {
                    return Err(self.syntax(self.pos, SyntaxError::ControlCharacter));
                }
                Some(_) => {
                    // Copy the run of plain characters up to the next quote,
                    // backslash or control character in one go.
                    let run = self.pos;
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    self.b
                        .scratch
                        .push_str(self.text.get(run..self.pos).unwrap_or_default());
                }
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            }
        }
    }

    /// Decodes one escape starting at the backslash.
    fn escape(&mut self) -> PResult<char> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                return match hi {
                    0xD800..=0xDBFF => {
                        if self.input.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.syntax(at, SyntaxError::LoneSurrogate));
                        }
                        self.pos += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err(self.syntax(at, SyntaxError::LoneSurrogate));
                        }
                        let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        char::from_u32(code)
                            .ok_or_else(|| self.syntax(at, SyntaxError::LoneSurrogate))
                    }
                    0xDC00..=0xDFFF => Err(self.syntax(at, SyntaxError::LoneSurrogate)),
                    _ => char::from_u32(hi)
                        .ok_or_else(|| self.syntax(at, SyntaxError::InvalidEscape)),
                };
            }
            Some(_) => return Err(self.syntax(at, SyntaxError::InvalidEscape)),
            None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> PResult<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                Some(_) => return Err(self.syntax(self.pos, SyntaxError::InvalidEscape)),
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn str_bytes(&self, s: Str) -> &[u8] {
        match s {
            Str::Input(a, b) => self.input.get(a..b).unwrap_or_default(),
            Str::Scratch => self.b.scratch.as_bytes(),
        }
    }

    /// Scans a number token in JSON syntax; returns its range.
    fn number(&mut self) -> PResult<(usize, usize)> {
        let start = self.pos;
        let digits = |p: &mut Self| -> usize {
            let s = p.pos;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.syntax(start, SyntaxError::InvalidNumber)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.syntax(start, SyntaxError::InvalidNumber));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.syntax(start, SyntaxError::InvalidNumber));
            }
        }
        Ok((start, self.pos))
    }

    /// Looks a member name up among the fields of `record`, trying `hint`
    /// (the field after the previous one) first, since JSON written from a
    /// schema usually follows its order.
    fn lookup(&self, record: RecordId, name: &[u8], hint: usize) -> Option<FieldId> {
        let fields = &self.layout.record(record)?.fields;
        if let Some(f) = fields.get(hint)
            && same_name(f.name.as_bytes(), name)
        {
            return u32::try_from(hint).ok().map(FieldId);
        }
        fields
            .iter()
            .position(|f| same_name(f.name.as_bytes(), name))
            .and_then(|i| u32::try_from(i).ok())
            .map(FieldId)
    }

    /// Binds the object at `self.pos` into `node`.
    fn bind_object(&mut self, node: Node, depth: usize) -> PResult<()> {
        self.enter(depth)?;
        let record = self
            .layout
            .record(node.record)
            .ok_or_else(|| self.decl_err(DeclError::NoSuchField))?;
        let nfields = record.fields.len();
        // Where `node`'s slots are, looked up once for all its members.
        let inst = self.decl.instance(node).map_err(|e| self.decl_err(e))?;
        // The record's tables, read at every member (a borrow of the
        // binder's tables, apart from the buffers written here).
        let tables = self.t;
        let r = node.record.0 as usize;
        let required = tables.required.get(r).copied().flatten();
        let plain = tables.plain_names.get(r).copied().unwrap_or(false);
        let patterns = tables.name_words.get(r).map_or(&[][..], |w| &w[..]);
        // With a mask, field `i` (below 64) is seen if bit `i` is set.
        let mut seen = 0u64;
        let present_base = self.b.present.len();
        if required.is_none() {
            self.b.present.resize(present_base + nfields, false);
        }
        let keys_base = self.b.keys.len();
        let bytes_base = self.b.key_bytes.len();
        // The member loop keeps its position in a local, which stays in a
        // register across the setters' stores (`self.pos` is reloaded
        // after each): `self.pos` is written before, and read back after,
        // every call that reads or moves it.
        let input = self.input;
        let track = self.track;
        let source = self.source;
        self.pos += 1;
        self.skip_ws();
        let mut pos = self.pos;
        let mut hint = 0usize;
        if input.get(pos) == Some(&b'}') {
            pos += 1;
        } else {
            // Whitespace before a key was skipped after the `{` or `,`.
            loop {
                let key_at = pos;
                match input.get(pos) {
                    Some(b'"') => {}
                    Some(_) => return Err(self.syntax(pos, SyntaxError::Expected("a string"))),
                    None => return Err(self.syntax(pos, SyntaxError::UnexpectedEnd)),
                }
                // Most keys are a schema field's name spelled plainly: match
                // it in place, without scanning the string first.
                let fast = if plain {
                    fast_key(input, key_at, &record.fields, patterns, hint)
                } else {
                    None
                };
                // A schema member (`Ok`), or the key of one to ignore.
                let found = match fast {
                    Some((fid, end)) => {
                        pos = end + 1;
                        Ok(fid)
                    }
                    None => {
                        self.pos = pos;
                        let key = self.string()?;
                        pos = self.pos;
                        self.lookup(node.record, self.str_bytes(key), hint)
                            .ok_or(key)
                    }
                };
                if plain_colon(input, pos) {
                    pos += 2;
                } else {
                    self.pos = pos;
                    self.colon()?;
                    pos = self.pos;
                }
                match found {
                    Ok(fid) => {
                        let i = fid.0 as usize;
                        hint = i + 1;
                        let fresh = if required.is_some() {
                            // A record with a mask has at most 64 fields, so
                            // `fid.0 % 64` is `fid.0`.
                            let bit = 1u64 << (fid.0 % 64);
                            let fresh = seen & bit == 0;
                            seen |= bit;
                            fresh
                        } else {
                            match self.b.present.get_mut(present_base + i) {
                                Some(p) if !*p => {
                                    *p = true;
                                    true
                                }
                                _ => false,
                            }
                        };
                        if !fresh {
                            // The key decodes to the field's name (that
                            // is how it was found), so the name is it.
                            // Looked up here, on the error path: doing the
                            // value's lookup below before this check cost
                            // 41 instructions a regional declaration.
                            let name = record
                                .fields
                                .get(i)
                                .map_or_else(String::new, |f| f.name.to_string());
                            return Err(self.err_at(key_at, BindErrorKind::DuplicateMember(name)));
                        }
                        if track {
                            self.b.path.push(Seg::Field(node.record, fid));
                        }
                        let Some(field) = record.fields.get(i) else {
                            return Err(self.decl_err(DeclError::NoSuchField));
                        };
                        let ty = (field.ty, field.optional);
                        match self.fast_value(input, pos, source, inst, fid, ty.0) {
                            Ok(Some(end)) => pos = end,
                            Ok(None) => {
                                self.pos = pos;
                                self.bind_value(node, fid, ty, depth)?;
                                pos = self.pos;
                            }
                            Err(e) => return Err(self.err_at(pos, BindErrorKind::Declaration(e))),
                        }
                        if track {
                            self.b.path.pop();
                        }
                    }
                    Err(key) => {
                        self.pos = pos;
                        let k = self.push_key(key, key_at, keys_base)?;
                        self.b.path.push(Seg::Key(k));
                        self.skip_value(depth)?;
                        self.b.path.pop();
                        pos = self.pos;
                    }
                }
                // The common separator, `, "`: the next key's quote.
                if input.get(pos..pos + 3) == Some(b", \"") {
                    pos += 2;
                    continue;
                }
                pos = skip_ws_from(input, pos);
                match input.get(pos) {
                    Some(b',') => pos = skip_ws_from(input, pos + 1),
                    Some(b'}') => {
                        pos += 1;
                        break;
                    }
                    Some(_) => {
                        return Err(self.syntax(pos, SyntaxError::Expected("`,` or `}`")));
                    }
                    None => return Err(self.syntax(pos, SyntaxError::UnexpectedEnd)),
                }
            }
        }
        self.pos = pos;
        // Only an object with ignored members has keys to check.
        if self.b.keys.len() != keys_base {
            self.check_keys(keys_base)?;
        }
        // Required fields that never appeared.
        // The first in schema order is reported: the lowest missing bit.
        let close = self.pos.saturating_sub(1);
        let missing = match required {
            Some(req) => {
                let m = req & !seen;
                (m != 0).then(|| m.trailing_zeros() as usize)
            }
            None => record.fields.iter().enumerate().position(|(i, f)| {
                !f.optional
                    && !self
                        .b
                        .present
                        .get(present_base + i)
                        .copied()
                        .unwrap_or(false)
            }),
        };
        if let Some(i) = missing {
            let fid = FieldId(u32::try_from(i).unwrap_or(u32::MAX));
            self.b.path.push(Seg::Field(node.record, fid));
            let e = self.err_at(close, BindErrorKind::MissingRequired);
            self.b.path.pop();
            return Err(e);
        }
        if required.is_none() {
            self.b.present.truncate(present_base);
        }
        self.b.keys.truncate(keys_base);
        self.b.key_bytes.truncate(bytes_base);
        Ok(())
    }

    /// Records the key of an ignored member and checks it against the
    /// previous ones of the same object (while there are few of them).
    fn push_key(&mut self, key: Str, key_at: usize, keys_base: usize) -> PResult<u32> {
        let start = self.b.key_bytes.len();
        match key {
            Str::Input(a, b) => self
                .b
                .key_bytes
                .extend_from_slice(self.input.get(a..b).unwrap_or_default()),
            Str::Scratch => self
                .b
                .key_bytes
                .extend_from_slice(self.b.scratch.as_bytes()),
        }
        let end = self.b.key_bytes.len();
        let (Ok(s), Ok(e), Ok(o)) = (
            u32::try_from(start),
            u32::try_from(end),
            u32::try_from(key_at),
        ) else {
            return Err(self.err_at(key_at, BindErrorKind::InputTooLarge));
        };
        let count = self.b.keys.len() - keys_base;
        if count < LINEAR_DUPLICATE_SCAN {
            let new = self.b.key_bytes.get(start..end).unwrap_or_default();
            let dup = self
                .b
                .keys
                .get(keys_base..)
                .unwrap_or_default()
                .iter()
                .any(|k| self.b.key_bytes.get(k.start as usize..k.end as usize) == Some(new));
            if dup {
                let name = String::from_utf8_lossy(new).into_owned();
                return Err(self.err_at(key_at, BindErrorKind::DuplicateMember(name)));
            }
        }
        let k = u32::try_from(self.b.keys.len())
            .map_err(|_| self.err_at(key_at, BindErrorKind::InputTooLarge))?;
        self.b.keys.push(KeySpan {
            start: s,
            end: e,
            offset: o,
        });
        Ok(k)
    }

    /// At the end of an object with many ignored members, finds duplicates
    /// among those the linear scan did not check, by sorting.
    fn check_keys(&mut self, keys_base: usize) -> PResult<()> {
        let count = self.b.keys.len() - keys_base;
        if count <= LINEAR_DUPLICATE_SCAN {
            return Ok(());
        }
        let mut order = std::mem::take(&mut self.b.order);
        order.clear();
        order.extend((keys_base..self.b.keys.len()).filter_map(|i| u32::try_from(i).ok()));
        let bytes = &self.b.key_bytes;
        let keys = &self.b.keys;
        let name_of = |i: u32| -> &[u8] {
            keys.get(i as usize)
                .and_then(|k| bytes.get(k.start as usize..k.end as usize))
                .unwrap_or_default()
        };
        order.sort_unstable_by(|&x, &y| match name_of(x).cmp(name_of(y)) {
            Ordering::Equal => x.cmp(&y),
            o => o,
        });
        let dup = order
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if name_of(*a) == name_of(*b) => Some(*b),
                _ => None,
            })
            .min();
        let result = match dup {
            Some(second) => {
                let name = String::from_utf8_lossy(name_of(second)).into_owned();
                let offset = keys
                    .get(second as usize)
                    .map_or(self.pos, |k| k.offset as usize);
                Err(self.err_at(offset, BindErrorKind::DuplicateMember(name)))
            }
            None => Ok(()),
        };
        self.b.order = order;
        result
    }

    /// The common values, bound without moving `self.pos`: a plain string
    /// for a text field (when the input was copied into the buffer, see
    /// [`SPAN_INPUT_MAX`]), a short number ([`short_number`]) for a number
    /// field, `true` or `false` for a bool field. Returns the position
    /// after the value, or `None` for any other value, which
    /// [`Parser::bind_value`] binds (or reports) from `at`: where this
    /// binds a value, that would bind the same one. `inst` is where the
    /// slots of the object being bound are ([`Declaration::instance`]).
    #[inline(always)]
    fn fast_value(
        &mut self,
        input: &[u8],
        at: usize,
        source: Option<usize>,
        inst: Instance,
        fid: FieldId,
        ty: FieldType,
    ) -> Result<Option<usize>, DeclError> {
        match (input.get(at), ty) {
            (Some(b'"'), FieldType::Text) => match (source, plain_string_end(input, at)) {
                (Some(s), Some(end)) if end - at - 1 <= MAX_TEXT_BYTES => {
                    self.decl.put_span_at(inst, fid, s + at + 1, s + end)?;
                    Ok(Some(end + 1))
                }
                _ => Ok(None),
            },
            (Some(b'-' | b'0'..=b'9'), FieldType::Number) => match short_number(input, at) {
                Some((v, end)) => {
                    self.decl.put_at(inst, fid, Slot::Number(v))?;
                    Ok(Some(end))
                }
                None => Ok(None),
            },
            (Some(b't'), FieldType::Bool) if input.get(at..at + 4) == Some(b"true") => {
                self.decl.put_at(inst, fid, Slot::Bool(true))?;
                Ok(Some(at + 4))
            }
            (Some(b'f'), FieldType::Bool) if input.get(at..at + 5) == Some(b"false") => {
                self.decl.put_at(inst, fid, Slot::Bool(false))?;
                Ok(Some(at + 5))
            }
            _ => Ok(None),
        }
    }

    /// Binds the value at `self.pos` into field `fid` of `node`.
    ///
    /// Values are stored with the `_known` setters: `bind` checked that
    /// the buffer's layout is `self.layout`, and the field's type and
    /// optionality (`(ty, optional)`) come from its record there.
    fn bind_value(
        &mut self,
        node: Node,
        fid: FieldId,
        (ty, optional): (FieldType, bool),
        depth: usize,
    ) -> PResult<()> {
        let at = self.pos;
        let Some(b) = self.peek() else {
            return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd));
        };
        // What was found is named only for an error (`kind_of` also
        // rejects a byte that starts no value); `pos` is still `at` on
        // every path that reaches `wrong`.
        let wrong = |p: &Self| match p.kind_of(b) {
            Ok(found) => p.err_at(
                at,
                BindErrorKind::WrongType {
                    expected: expected_name(ty),
                    found,
                },
            ),
            Err(e) => e,
        };
        match (b, ty) {
            (b'n', _) => {
                if !optional {
                    return Err(wrong(self));
                }
                self.literal(b"null")?;
                // Duplicates are rejected, so the slot is still missing.
            }
            (b'"', FieldType::Text) => {
                let s = self.string()?;
                let r = match s {
                    Str::Input(a, b) => {
                        if b.saturating_sub(a) > MAX_TEXT_BYTES {
                            return Err(self.err_at(at, BindErrorKind::TextTooLong));
                        }
                        match self.source {
                            Some(s) => self.decl.set_text_known_span(node, fid, s + a, s + b),
                            None => self.copy_text(node, fid, a, b),
                        }
                    }
                    Str::Scratch => {
                        if self.b.scratch.len() > MAX_TEXT_BYTES {
                            return Err(self.err_at(at, BindErrorKind::TextTooLong));
                        }
                        self.decl.set_text_known(node, fid, &self.b.scratch)
                    }
                };
                r.map_err(|e| self.err_at(at, BindErrorKind::Declaration(e)))?;
            }
            (b'"', FieldType::Date) => {
                let s = self.string()?;
                let t = match s {
                    Str::Input(a, b) => self.text.get(a..b).unwrap_or_default(),
                    Str::Scratch => self.b.scratch.as_str(),
                };
                let Some(d) = Date::parse(t) else {
                    let shown = truncate_for_message(t);
                    return Err(self.err_at(at, BindErrorKind::InvalidDate(shown)));
                };
                self.decl
                    .set_date_known(node, fid, d)
                    .map_err(|e| self.err_at(at, BindErrorKind::Declaration(e)))?;
            }
            (b'-' | b'0'..=b'9', FieldType::Number) => {
                // The short forms were read by `fast_value`.
                let (a, b) = self.number()?;
                if b - a > MAX_NUMBER_BYTES {
                    return Err(self.err_at(at, BindErrorKind::NumberTooLong));
                }
                let t = self.text.get(a..b).unwrap_or_default();
                let v: Decimal = match Decimal::parse(t) {
                    Ok(p) => p.value,
                    Err(DecimalError::OutOfRange) => {
                        let shown = truncate_for_message(t);
                        return Err(self.err_at(at, BindErrorKind::NumberOutOfRange(shown)));
                    }
                    Err(DecimalError::Syntax) => {
                        return Err(self.syntax(at, SyntaxError::InvalidNumber));
                    }
                };
                self.decl
                    .set_number_known(node, fid, v)
                    .map_err(|e| self.err_at(at, BindErrorKind::Declaration(e)))?;
            }
            (b't' | b'f', FieldType::Bool) => {
                let v = b == b't';
                self.literal(if v { b"true" } else { b"false" })?;
                self.decl
                    .set_bool_known(node, fid, v)
                    .map_err(|e| self.err_at(at, BindErrorKind::Declaration(e)))?;
            }
            (b'[', FieldType::List(elem)) => self.bind_list(node, fid, elem, depth + 1)?,
            _ => return Err(wrong(self)),
        }
        Ok(())
    }

    /// Stores the input's text at `a..b` as text field `fid` of `node` by
    /// copying it (for an input not copied whole, see [`SPAN_INPUT_MAX`]).
    #[inline(never)]
    fn copy_text(&mut self, node: Node, fid: FieldId, a: usize, b: usize) -> Result<(), DeclError> {
        let t = self.text.get(a..b).unwrap_or_default();
        self.decl.set_text_known(node, fid, t)
    }

    /// Binds the array at `self.pos` as the record list `fid` of `node`,
    /// a list of `elem` records (with the `_known` list operations, like
    /// the setters in [`Parser::bind_value`]).
    fn bind_list(&mut self, node: Node, fid: FieldId, elem: RecordId, depth: usize) -> PResult<()> {
        self.enter(depth)?;
        let at = self.pos;
        self.decl
            .start_list_known(node, fid)
            .map_err(|e| self.err_at(at, BindErrorKind::Declaration(e)))?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0u32;
        loop {
            self.skip_ws();
            if self.track {
                self.b.path.push(Seg::Index(index));
            }
            match self.peek() {
                Some(b'{') => {}
                Some(b) => {
                    let found = self.kind_of(b)?;
                    return Err(self.err_at(
                        self.pos,
                        BindErrorKind::WrongType {
                            expected: "object",
                            found,
                        },
                    ));
                }
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            }
            let child = self
                .decl
                .push_element_known(node, fid, elem)
                .map_err(|e| self.err_at(self.pos, BindErrorKind::Declaration(e)))?;
            self.bind_object(child, depth + 1)?;
            if self.track {
                self.b.path.pop();
            }
            index = index.saturating_add(1);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return Err(self.syntax(self.pos, SyntaxError::Expected("`,` or `]`"))),
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            }
        }
    }

    /// Checks and skips the value of an ignored member. `depth` is the
    /// depth of the enclosing container.
    fn skip_value(&mut self, depth: usize) -> PResult<()> {
        match self.peek() {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(b'[') => self.skip_array(depth + 1)?,
            Some(b'{') => self.skip_object(depth + 1)?,
            Some(_) => return Err(self.syntax(self.pos, SyntaxError::Expected("a value"))),
            None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
        }
        Ok(())
    }

    fn skip_array(&mut self, depth: usize) -> PResult<()> {
        self.enter(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0u32;
        loop {
            self.skip_ws();
            self.b.path.push(Seg::Index(index));
            self.skip_value(depth)?;
            self.b.path.pop();
            index = index.saturating_add(1);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return Err(self.syntax(self.pos, SyntaxError::Expected("`,` or `]`"))),
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            }
        }
    }

    fn skip_object(&mut self, depth: usize) -> PResult<()> {
        self.enter(depth)?;
        let keys_base = self.b.keys.len();
        let bytes_base = self.b.key_bytes.len();
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key_at = self.pos;
            match self.peek() {
                Some(b'"') => {}
                Some(_) => return Err(self.syntax(self.pos, SyntaxError::Expected("a string"))),
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            }
            let key = self.string()?;
            self.expect_byte(b':', "`:`")?;
            self.skip_ws();
            let k = self.push_key(key, key_at, keys_base)?;
            self.b.path.push(Seg::Key(k));
            self.skip_value(depth)?;
            self.b.path.pop();
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => return Err(self.syntax(self.pos, SyntaxError::Expected("`,` or `}`"))),
                None => return Err(self.syntax(self.pos, SyntaxError::UnexpectedEnd)),
            }
        }
        self.check_keys(keys_base)?;
        self.b.keys.truncate(keys_base);
        self.b.key_bytes.truncate(bytes_base);
        Ok(())
    }
}

/// A field's name followed by its closing quote, the bytes a plainly
/// spelled key of that name starts with: bytes `0..8` and `8..16` as
/// little-endian words, each with the mask of the bytes it holds (zero
/// beyond the pattern), for [`fast_key`].
#[derive(Clone, Copy, Debug, Default)]
struct KeyPattern {
    lo: u64,
    lo_mask: u64,
    hi: u64,
    hi_mask: u64,
    /// The name's length in bytes; a pattern longer than sixteen bytes
    /// (a name of sixteen or more) compares the rest bytewise.
    len: usize,
}

impl KeyPattern {
    fn new(name: &str) -> KeyPattern {
        let mut bytes = [0u8; 16];
        let mut mask = [0u8; 16];
        for ((d, m), s) in bytes
            .iter_mut()
            .zip(mask.iter_mut())
            .zip(name.bytes().chain([b'"']))
        {
            *d = s;
            *m = 0xFF;
        }
        let (lo, hi) = words(&bytes);
        let (lo_mask, hi_mask) = words(&mask);
        KeyPattern {
            lo,
            lo_mask,
            hi,
            hi_mask,
            len: name.len(),
        }
    }
}

/// Sixteen bytes as two little-endian words.
#[inline]
fn words(b: &[u8; 16]) -> (u64, u64) {
    let (lo, hi) = b.split_at(8);
    let word = |s: &[u8]| s.first_chunk::<8>().map_or(0, |w| u64::from_le_bytes(*w));
    (word(lo), word(hi))
}

/// Matches the key whose opening quote is at `quote` against the names of
/// `fields` spelled plainly (no escapes), trying field `hint` first. Returns
/// the field and the position of the closing quote. `patterns` are the
/// fields' [`KeyPattern`]s.
///
/// Only for records whose names contain no byte that ends a plain run
/// (`JsonBinder::plain_names`): then a match is exactly what
/// [`Parser::string`] followed by a lookup would find, since the input
/// bytes are the decoded key and the quote after them closes it. Anything
/// else (an escape, an unknown key) returns `None` and takes the general
/// path. A key near the end of the input is compared zero-padded, which
/// no pattern byte (a name byte or the quote) equals.
#[inline]
fn fast_key(
    input: &[u8],
    quote: usize,
    fields: &[Field],
    patterns: &[KeyPattern],
    hint: usize,
) -> Option<(FieldId, usize)> {
    let start = quote.checked_add(1)?;
    let rest = input.get(start..)?;
    let (h0, h1) = match rest.first_chunk::<16>() {
        Some(b) => words(b),
        None => {
            let mut b = [0u8; 16];
            for (d, s) in b.iter_mut().zip(rest) {
                *d = *s;
            }
            words(&b)
        }
    };
    let matches = |i: usize| -> Option<usize> {
        let p = patterns.get(i)?;
        if ((h0 & p.lo_mask) ^ p.lo) | ((h1 & p.hi_mask) ^ p.hi) != 0 {
            return None;
        }
        if p.len >= 16 {
            // The rest of a long name, then its closing quote.
            let name = fields.get(i)?.name.as_bytes();
            let tail = rest.get(16..p.len)?;
            if tail != name.get(16..)? || rest.get(p.len) != Some(&b'"') {
                return None;
            }
        }
        Some(p.len)
    };
    let found = |i: usize, len: usize| -> Option<(FieldId, usize)> {
        Some((FieldId(u32::try_from(i).ok()?), start + len))
    };
    // JSON written from a schema follows its order, but leaves out
    // optional fields: the hint, then the field after it.
    for i in [hint, hint + 1] {
        if let Some(len) = matches(i) {
            return found(i, len);
        }
    }
    (0..patterns.len().min(fields.len()))
        .find_map(|i| matches(i).map(|len| (i, len)))
        .and_then(|(i, len)| found(i, len))
}

/// Reads the common short number forms (`12`, `-0.5`, `8603.57`: at most
/// twelve integer and six fractional digits, no exponent) starting at
/// `at`, in one pass with 64-bit arithmetic. Returns the value and the
/// position after the token, or `None` for anything else (longer numbers,
/// exponents, leading zeros, syntax errors), which takes the general path:
/// where this returns a value, [`Parser::number`] and [`Decimal::parse`]
/// would read the same token and the same value.
///
/// With sixteen bytes of input after the sign, the common token (one to
/// seven integer digits, then up to six fractional ones) is read by
/// [`short_number_words`] without a loop; the rest by
/// [`short_number_bytes`], which gives the answer for every input.
#[inline(always)]
fn short_number(input: &[u8], at: usize) -> Option<(Decimal, usize)> {
    let negative = input.get(at) == Some(&b'-');
    let digits = at + usize::from(negative);
    let Some(b) = input.get(digits..).and_then(<[u8]>::first_chunk::<16>) else {
        return short_number_bytes(input, at);
    };
    let Some((scaled, len)) = short_number_words(b) else {
        return short_number_bytes(input, at);
    };
    let raw = i128::from(scaled);
    Some((
        Decimal::from_raw(if negative { -raw } else { raw })?,
        digits + len,
    ))
}

/// The bytes of `w` (little-endian: the first byte lowest) that are not
/// ASCII digits, as the high bit of each such byte, exact up to the first
/// one: flags above it may be spurious (a borrow or carry out of it),
/// never missing below it, so the lowest flag is the first non-digit.
#[inline(always)]
fn non_digits(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Below `0`: `b - 0x30` has its high bit set. Above `9` (and below
    // 0x80): `b + 0x46` has. From 0x80 up: `b` has. A digit sets none
    // and lends or carries nothing to the byte above.
    (w.wrapping_sub(ONES * 0x30) | w.wrapping_add(ONES * 0x46) | w) & HIGH
}

/// The number written by the eight bytes of `w` (the first byte lowest),
/// each an ASCII digit or zero (a leading zero). The classic SWAR
/// reduction: pairs, then quadruples, then the eight digits.
#[inline(always)]
fn eight_digits(w: u64) -> u64 {
    let w = ((w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(10 << 8 | 1)) >> 8;
    let w = ((w & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 << 16 | 1)) >> 16;
    ((w & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 << 32 | 1)) >> 32
}

/// [`short_number_bytes`] on the digits of a number whose sign was
/// read, for the common token only, with the sixteen bytes from its first
/// digit: one to seven integer digits (no leading zero), then nothing or
/// a `.` and one to six fractional digits, then a byte that is neither a
/// digit nor an exponent. Returns the magnitude in millionths and the
/// token's length from the first digit, or `None` for any other input,
/// which [`short_number_bytes`] then reads: where this returns a value,
/// that returns the same one. Lengths are read off the bytes as numbers,
/// not found by a loop, so there is no branch on how many digits there
/// are, which a processor mispredicts as the numbers of a declaration
/// change length.
#[inline(always)]
fn short_number_words(b: &[u8; 16]) -> Option<(u64, usize)> {
    let (w, _) = words(b);
    let stop = non_digits(w);
    // No non-digit in the first eight bytes: eight or more digits.
    let int_len = (stop.trailing_zeros() / 8) as usize;
    if stop == 0 || int_len == 0 || (int_len > 1 && b.first() == Some(&b'0')) {
        return None;
    }
    // `int_len` is 1..=7: the shift drops the bytes after the digits and
    // puts zeros (leading zeros) before them.
    let int = eight_digits(w << (8 * (8 - int_len)));
    let after = *b.get(int_len)?;
    if after != b'.' {
        if after | 0x20 == b'e' {
            return None;
        }
        return Some((int * 1_000_000, int_len));
    }
    // Eight bytes after the point, within the sixteen: `int_len` is at
    // most 7.
    let frac_at = int_len + 1;
    let f = b
        .get(frac_at..frac_at + 8)
        .and_then(<[u8]>::first_chunk::<8>)
        .map(|c| u64::from_le_bytes(*c))?;
    let frac_stop = non_digits(f);
    let frac_len = (frac_stop.trailing_zeros() / 8) as usize;
    // `frac_stop == 0` gives 8: too many digits, like 7.
    if frac_len == 0 || frac_len > 6 {
        return None;
    }
    let end = frac_at + frac_len;
    if *b.get(end)? | 0x20 == b'e' {
        return None;
    }
    let frac = eight_digits(f << (8 * (8 - frac_len)));
    // 10^(6 - frac_len): the fraction in millionths.
    let unit = [100_000, 10_000, 1_000, 100, 10, 1];
    Some((int * 1_000_000 + frac * unit.get(frac_len - 1)?, end))
}

/// [`short_number`] byte by byte, for every input: the general form of
/// the short reader, and the answer [`short_number_words`] must agree
/// with.
#[inline(always)]
fn short_number_bytes(input: &[u8], at: usize) -> Option<(Decimal, usize)> {
    let mut pos = at;
    let negative = input.get(pos) == Some(&b'-');
    if negative {
        pos += 1;
    }
    let int_start = pos;
    let mut int: u64 = 0;
    while let Some(&b) = input.get(pos) {
        if !b.is_ascii_digit() {
            break;
        }
        int = int * 10 + u64::from(b - b'0');
        pos += 1;
        if pos - int_start > 12 {
            return None;
        }
    }
    let int_len = pos - int_start;
    // JSON wants a digit, and forbids leading zeros such as `012`.
    if int_len == 0 || (int_len > 1 && input.get(int_start) == Some(&b'0')) {
        return None;
    }
    let mut scaled = int * 1_000_000;
    if input.get(pos) == Some(&b'.') {
        pos += 1;
        let frac_start = pos;
        let mut frac: u64 = 0;
        while let Some(&b) = input.get(pos) {
            if !b.is_ascii_digit() {
                break;
            }
            frac = frac * 10 + u64::from(b - b'0');
            pos += 1;
            if pos - frac_start > 6 {
                return None;
            }
        }
        let frac_len = pos - frac_start;
        let unit = match frac_len {
            1 => 100_000,
            2 => 10_000,
            3 => 1_000,
            4 => 100,
            5 => 10,
            6 => 1,
            _ => return None,
        };
        scaled += frac * unit;
    }
    if matches!(input.get(pos), Some(b'e' | b'E')) {
        return None;
    }
    let raw = i128::from(scaled);
    Some((Decimal::from_raw(if negative { -raw } else { raw })?, pos))
}

/// Byte equality for short names, without a call into `memcmp`.
#[inline]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The schema type of a field as messages name it.
fn expected_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Bool => "bool",
        FieldType::Date => "date",
        FieldType::List(_) => "list",
    }
}

/// User text quoted in a message, cut to a readable length.
fn truncate_for_message(t: &str) -> String {
    const MAX: usize = 64;
    if t.len() <= MAX {
        return t.to_owned();
    }
    let mut end = MAX;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", t.get(..end).unwrap_or_default())
}

/// Splits a JSON array of declarations into its elements without binding
/// them: yields each top-level element's byte offset and bytes, in order.
///
/// Only the structure is checked here (strings, brackets, commas, depth);
/// each element is checked fully when it is bound. After the first error
/// the iterator ends.
pub fn split_json_array(input: &[u8]) -> impl Iterator<Item = Result<(usize, &[u8]), BindError>> {
    ArraySplitter {
        input,
        pos: 0,
        state: SplitState::Start,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SplitState {
    Start,
    Element,
    Finish,
    Done,
}

struct ArraySplitter<'a> {
    input: &'a [u8],
    pos: usize,
    state: SplitState,
}

impl<'a> ArraySplitter<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    fn fail(
        &mut self,
        offset: usize,
        error: SyntaxError,
    ) -> Option<Result<(usize, &'a [u8]), BindError>> {
        self.state = SplitState::Done;
        Some(Err(BindError::syntax(self.input, offset, error)))
    }

    /// Scans one value; returns its end offset.
    fn scan_value(&mut self) -> Result<usize, (usize, SyntaxError)> {
        // One bit per open container: set for `[`, clear for `{`.
        let mut kinds = [0u64; MAX_DEPTH / 64];
        let mut depth = 0usize;
        loop {
            let at = self.pos;
            let Some(&b) = self.input.get(self.pos) else {
                return Err((at, SyntaxError::UnexpectedEnd));
            };
            self.pos += 1;
            match b {
                b'[' | b'{' => {
                    if depth >= MAX_DEPTH {
                        return Err((at, SyntaxError::TooDeep));
                    }
                    if let Some(w) = kinds.get_mut(depth / 64) {
                        let bit = 1u64 << (depth % 64);
                        if b == b'[' {
                            *w |= bit;
                        } else {
                            *w &= !bit;
                        }
                    }
                    depth += 1;
                }
                b']' | b'}' => {
                    let Some(d) = depth.checked_sub(1) else {
                        return Err((at, SyntaxError::Expected("a value")));
                    };
                    let is_array = kinds
                        .get(d / 64)
                        .is_some_and(|w| w & (1u64 << (d % 64)) != 0);
                    if is_array != (b == b']') {
                        return Err((
                            at,
                            SyntaxError::Expected(if is_array { "`]`" } else { "`}`" }),
                        ));
                    }
                    depth = d;
                }
                b'"' => loop {
                    match self.input.get(self.pos) {
                        Some(b'"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(b'\\') => self.pos += 2,
                        Some(_) => self.pos += 1,
                        None => {
                            return Err((
                                self.pos.min(self.input.len()),
                                SyntaxError::UnexpectedEnd,
                            ));
                        }
                    }
                },
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {}
                // Inside a container, commas and colons separate values;
                // the binder checks the rest when it reads the element.
                _ if depth > 0 => {}
                _ => return Err((at, SyntaxError::Expected("a value"))),
            }
            if depth == 0 {
                // A scalar ends at the next delimiter; a container here has
                // just closed.
                if !matches!(b, b']' | b'}' | b'"') {
                    while let Some(&c) = self.input.get(self.pos) {
                        if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                return Ok(self.pos);
            }
        }
    }
}

impl<'a> Iterator for ArraySplitter<'a> {
    type Item = Result<(usize, &'a [u8]), BindError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.state {
            SplitState::Done => return None,
            SplitState::Finish => return self.finish(),
            SplitState::Start => {
                self.skip_ws();
                if self.input.get(self.pos) != Some(&b'[') {
                    return self.fail(self.pos, SyntaxError::Expected("`[`"));
                }
                self.pos += 1;
                self.skip_ws();
                if self.input.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return self.finish();
                }
                self.state = SplitState::Element;
            }
            SplitState::Element => {}
        }
        self.skip_ws();
        let start = self.pos;
        let end = match self.scan_value() {
            Ok(end) => end,
            Err((at, e)) => return self.fail(at, e),
        };
        if end == start {
            return self.fail(start, SyntaxError::Expected("a value"));
        }
        let element = self.input.get(start..end).unwrap_or_default();
        self.skip_ws();
        match self.input.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
            }
            Some(b']') => {
                self.pos += 1;
                self.state = SplitState::Finish;
            }
            Some(_) => return self.fail(self.pos, SyntaxError::Expected("`,` or `]`")),
            None => return self.fail(self.pos, SyntaxError::UnexpectedEnd),
        }
        Some(Ok((start, element)))
    }
}

impl<'a> ArraySplitter<'a> {
    /// After the closing `]`: only whitespace may follow.
    fn finish(&mut self) -> Option<Result<(usize, &'a [u8]), BindError>> {
        self.skip_ws();
        if self.pos < self.input.len() {
            return self.fail(self.pos, SyntaxError::Expected("end of input"));
        }
        self.state = SplitState::Done;
        None
    }
}

/// Splits JSON Lines text into declarations: yields `(line number, byte
/// offset, bytes)` for every line that is not blank, with line numbers
/// starting at 1 and a trailing `\r` removed.
pub fn json_lines(input: &[u8]) -> impl Iterator<Item = (usize, usize, &[u8])> {
    let mut offset = 0usize;
    input
        .split(|&b| b == b'\n')
        .enumerate()
        .filter_map(move |(i, line)| {
            let at = offset;
            offset += line.len() + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                None
            } else {
                Some((i + 1, at, line))
            }
        })
}

/// The position after the JSON whitespace starting at `pos`.
#[inline]
fn skip_ws_from(input: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = input.get(pos) {
        pos += 1;
    }
    pos
}

/// Whether the `:` after a member's key, at `pos`, is spelled `": "` and
/// then no more whitespace: the common spelling, one test.
#[inline]
fn plain_colon(input: &[u8], pos: usize) -> bool {
    input.get(pos..).and_then(<[u8]>::first_chunk::<2>) == Some(b": ")
        && !matches!(input.get(pos + 2), Some(b' ' | b'\t' | b'\n' | b'\r'))
}

/// The closing quote of the string whose opening quote is at `quote`, if
/// the string is plain up to it (no escape or control character): the
/// common string, whose text is the input's bytes between the quotes.
#[inline]
fn plain_string_end(input: &[u8], quote: usize) -> Option<usize> {
    let start = quote + 1;
    let rest = input.get(start..)?;
    let i = plain_run(rest)?;
    (rest.get(i) == Some(&b'"')).then_some(start + i)
}

/// True for the bytes that end a plain run inside a JSON string: `"`, `\\`
/// and control characters.
#[inline]
fn ends_run(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The position of the first byte of `s` that ends a plain run (see
/// [`ends_run`]), eight bytes at a time: most strings (codes, names,
/// descriptions) have no escapes, so this scan is most of their cost.
#[inline]
fn plain_run(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0usize;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte is flagged if it is below 0x20 or equal to `"`, which
        // is a byte below 0x21 after an XOR with 0x02 (that XOR maps
        // 0x00..0x20 onto itself and `"` onto 0x20), or equal to `\\`
        // (zero after the XOR); flags may be spurious only above a real
        // one.
        let q = x ^ (ONES * 0x02);
        let below_or_quote = q.wrapping_sub(ONES * 0x21) & !q;
        let slash = x ^ (ONES * u64::from(b'\\'));
        let zero_s = slash.wrapping_sub(ONES) & !slash;
        let flags = (below_or_quote | zero_s) & HIGH;
        if flags != 0 {
            // Spurious flags only sit above a real one, so the lowest flag
            // (the first byte, little-endian) is the real first stop.
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| ends_run(b))
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::{Decimal, JsonBinder, ends_run, plain_run, short_number};
    use crate::decl::{Declaration, Node, Slot};
    use crate::layout::{Field, FieldId, FieldType, Layout, Record};

    #[test]
    fn presence_is_tracked_alike_in_small_and_large_records() {
        // Records of 10 fields (a bitmask) and 70 fields (the flag vector):
        // the first missing required field in schema order is reported,
        // and a repeated member is a duplicate, in both.
        for n in [10usize, 70] {
            let fields: Vec<Field> = (0..n)
                .map(|i| Field {
                    name: format!("f{i}").into(),
                    ty: FieldType::Text,
                    optional: !(i == 0 || i == 3 || i == n - 2),
                })
                .collect();
            let layout = Layout::new(
                vec![Record {
                    name: "declaration".into(),
                    fields: fields.into(),
                }],
                FieldId(0),
            )
            .unwrap();
            let mut binder = JsonBinder::new();
            let mut d = Declaration::new(&layout);
            let last = n - 2;
            let bind = |binder: &mut JsonBinder, d: &mut Declaration, json: String| {
                binder
                    .bind(&layout, json.as_bytes(), d)
                    .map_err(|e| e.to_string())
            };
            let all = format!(r#"{{"f{last}": "c", "f0": "a", "f3": "b"}}"#);
            assert_eq!(bind(&mut binder, &mut d, all), Ok(()), "{n}");
            let no_3 = format!(r#"{{"f{last}": "c", "f0": "a"}}"#);
            assert_eq!(
                bind(&mut binder, &mut d, no_3),
                Err("f3: required field is missing".to_owned()),
                "{n}"
            );
            let no_3_last = r#"{"f0": "a", "f1": "x"}"#.to_owned();
            assert_eq!(
                bind(&mut binder, &mut d, no_3_last),
                Err("f3: required field is missing".to_owned()),
                "{n}"
            );
            let twice = format!(r#"{{"f0": "a", "f3": "b", "f{last}": "c", "f3": "d"}}"#);
            assert_eq!(
                bind(&mut binder, &mut d, twice),
                Err("duplicate member `f3`".to_owned()),
                "{n}"
            );
        }
    }

    /// One declaration of [`spelling_layout`]: `(id, t, n, b, d, items)`,
    /// each item `(h, v)`; `None` is an absent member.
    type Spelled = (
        String,
        Option<String>,
        Option<i64>,
        Option<bool>,
        Option<(i32, u32, u32)>,
        Option<Vec<(Option<String>, Option<i64>)>>,
    );

    fn spelling_layout() -> Layout {
        crate::layout::test_layout(&[
            (
                "declaration",
                &[
                    ("id", FieldType::Text, false),
                    ("t", FieldType::Text, true),
                    ("n", FieldType::Number, true),
                    ("b", FieldType::Bool, true),
                    ("d", FieldType::Date, true),
                    ("items", FieldType::List(crate::layout::RecordId(1)), true),
                ],
            ),
            (
                "item",
                &[("h", FieldType::Text, true), ("v", FieldType::Number, true)],
            ),
        ])
    }

    /// A JSON string for `t`: `escape_all` writes every character as
    /// `\uXXXX` (a surrogate pair beyond the BMP), otherwise only what JSON
    /// requires is escaped.
    fn json_string(t: &str, escape_all: bool) -> String {
        let mut out = String::from("\"");
        for c in t.chars() {
            if escape_all {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            } else {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
                    c => out.push(c),
                }
            }
        }
        out.push('"');
        out
    }

    /// `decl` written as JSON: form 0 compact and plain, form 1 with
    /// blanks around every token, form 2 with every string (names
    /// included) escaped and the members in reverse order. `pad` adds an
    /// ignored member of that many bytes.
    fn spell(decl: &Spelled, form: u8, pad: usize) -> String {
        let esc = form == 2;
        let (sp, nl) = if form == 1 { (" \t", "\n  ") } else { ("", "") };
        let member =
            |name: &str, value: String| format!("{nl}{}{sp}:{sp}{value}", json_string(name, esc));
        let object = |mut members: Vec<String>| {
            if esc {
                members.reverse();
            }
            format!("{{{}{sp}{nl}}}", members.join(&format!("{sp},{sp}")))
        };
        let (id, t, n, b, d, items) = decl;
        let mut m = vec![member("id", json_string(id, esc))];
        if let Some(t) = t {
            m.push(member("t", json_string(t, esc)));
        }
        if let Some(n) = n {
            m.push(member(
                "n",
                format!(
                    "{}",
                    Decimal::from_i64(*n)
                        .checked_div(Decimal::from_i64(1000))
                        .unwrap()
                ),
            ));
        }
        if let Some(b) = b {
            m.push(member("b", b.to_string()));
        }
        if let Some((y, mo, da)) = d {
            m.push(member(
                "d",
                json_string(&format!("{y:04}-{mo:02}-{da:02}"), esc),
            ));
        }
        if pad > 0 {
            m.push(member("pad", json_string(&"p".repeat(pad), false)));
        }
        if let Some(items) = items {
            let list: Vec<String> = items
                .iter()
                .map(|(h, v)| {
                    let mut im = Vec::new();
                    if let Some(h) = h {
                        im.push(member("h", json_string(h, esc)));
                    }
                    if let Some(v) = v {
                        im.push(member("v", v.to_string()));
                    }
                    object(im)
                })
                .collect();
            m.push(member(
                "items",
                format!("[{sp}{}{sp}]", list.join(&format!("{sp},{sp}"))),
            ));
        }
        object(m)
    }

    /// Every slot of a bound declaration of [`spelling_layout`], as text.
    fn read_back(d: &Declaration) -> Vec<String> {
        let show = |d: &Declaration, node: Node, f: u32| match d.slot(node, FieldId(f)) {
            Slot::Text { start, len } => format!("text {:?}", d.text(start, len)),
            Slot::List { len, .. } => format!("list of {len}"),
            other => format!("{other:?}"),
        };
        let mut out: Vec<String> = (0..6).map(|f| show(d, Node::ROOT, f)).collect();
        let items = d.slot(Node::ROOT, FieldId(5));
        for node in d.elements(crate::layout::RecordId(1), items) {
            out.push(show(d, node, 0));
            out.push(show(d, node, 1));
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// However a declaration is spelled (plain or escaped strings and
        /// names, blanks or none, members in any order, an input small
        /// enough to be read as spans of one copy or not), it binds to the
        /// same values: the binder's fast paths agree with its general
        /// ones.
        #[test]
        fn every_spelling_of_a_declaration_binds_alike(
            id in "\\PC{0,12}",
            t in proptest::option::of("(\\PC|[\"\\\\\n\t\u{1}\u{1f}])*"),
            n in proptest::option::of(-10_000_000_000i64..10_000_000_000),
            b in proptest::option::of(proptest::bool::ANY),
            d in proptest::option::of((0i32..=9999, 1u32..=12, 1u32..=28)),
            items in proptest::option::of(proptest::collection::vec(
                (proptest::option::of("\\PC{0,10}"), proptest::option::of(-99_999i64..99_999)),
                0..4,
            )),
            big in proptest::bool::weighted(0.1),
        ) {
            let layout = spelling_layout();
            let decl: Spelled = (id, t, n, b, d, items);
            let mut binder = JsonBinder::new();
            let mut bound = Declaration::new(&layout);
            let mut first: Option<Vec<String>> = None;
            for form in 0..3u8 {
                let pad = if big { super::SPAN_INPUT_MAX + 1 } else { usize::from(form) * 7 };
                let json = spell(&decl, form, pad);
                let r = binder.bind(&layout, json.as_bytes(), &mut bound);
                proptest::prop_assert!(r.is_ok(), "{r:?}\n{json}");
                let got = read_back(&bound);
                match &first {
                    None => first = Some(got),
                    Some(want) => proptest::prop_assert_eq!(want, &got, "form {}", form),
                }
            }
            // The values are the ones written.
            let got = first.unwrap_or_default();
            proptest::prop_assert_eq!(&got[0], &format!("text {:?}", decl.0));
            if let Some(t) = &decl.1 {
                proptest::prop_assert_eq!(&got[1], &format!("text {t:?}"));
            }
        }
    }

    #[test]
    fn texts_read_back_as_written_plain_or_escaped() {
        // Plain strings are spans of the input copied into the buffer,
        // escaped ones are decoded after it: both read back as the
        // decoded text, across binds of inputs of different lengths.
        let layout = crate::layout::test_layout(&[(
            "declaration",
            &[
                ("id", FieldType::Text, false),
                ("a", FieldType::Text, true),
                ("b", FieldType::Text, true),
            ],
        )]);
        let mut binder = JsonBinder::new();
        let mut d = Declaration::new(&layout);
        let cases: [(&str, [&str; 3]); 4] = [
            (
                r#"{"id": "D1", "a": "réplica ΣΑ", "b": ""}"#,
                ["D1", "réplica ΣΑ", ""],
            ),
            (
                r#"{"b": "x\"y\u00e9", "id": "k", "a": "tab\there"}"#,
                ["k", "tab\there", "x\"yé"],
            ),
            (r#"{"id":"","a":"SEGUNDA MANO"}"#, ["", "SEGUNDA MANO", ""]),
            (
                r#"{"id": "a much longer identifier than the others", "a": "\u0041"}"#,
                ["a much longer identifier than the others", "A", ""],
            ),
        ];
        // An input past SPAN_INPUT_MAX (a long ignored member) has its
        // texts copied one by one.
        let large = format!(
            r#"{{"id": "big", "pad": "{}", "a": "é\u00e9", "b": "after"}}"#,
            "x".repeat(super::SPAN_INPUT_MAX)
        );
        let cases = cases
            .into_iter()
            .map(|(json, want)| (json.to_owned(), want))
            .chain([(large, ["big", "éé", "after"])]);
        for (json, want) in cases {
            binder.bind(&layout, json.as_bytes(), &mut d).unwrap();
            for (f, w) in want.iter().enumerate() {
                let got = match d.slot(Node::ROOT, FieldId(f as u32)) {
                    Slot::Text { start, len } => d.text(start, len),
                    Slot::Missing => "",
                    other => panic!("{other:?}"),
                };
                let shown: String = json.chars().take(80).collect();
                assert_eq!(got, *w, "{shown} field {f}");
            }
        }
    }

    #[test]
    fn names_with_escape_bytes_are_matched_after_decoding() {
        // A schema field named `a\b` (a real backslash): the input bytes
        // `a\b` spell the key "a<backspace>", another member, so only the
        // escaped spelling `a\\b` binds the field; `x` is bound in both.
        let field = |name: &str, ty| Field {
            name: name.into(),
            ty,
            optional: true,
        };
        let layout = Layout::new(
            vec![Record {
                name: "declaration".into(),
                fields: vec![
                    Field {
                        name: "id".into(),
                        ty: FieldType::Text,
                        optional: false,
                    },
                    field("a\\b", FieldType::Number),
                    field("x", FieldType::Number),
                ]
                .into(),
            }],
            FieldId(0),
        )
        .unwrap();
        let mut binder = JsonBinder::new();
        let mut d = Declaration::new(&layout);
        let slot = |d: &Declaration, f| d.slot(Node::ROOT, FieldId(f));
        binder
            .bind(&layout, br#"{"id": "k", "a\b": 5, "x": 1}"#, &mut d)
            .unwrap();
        assert_eq!(slot(&d, 1), Slot::Missing);
        assert_eq!(slot(&d, 2), Slot::Number(Decimal::from_i64(1)));
        binder
            .bind(&layout, br#"{"id": "k", "a\\b": 5, "x": 1}"#, &mut d)
            .unwrap();
        assert_eq!(slot(&d, 1), Slot::Number(Decimal::from_i64(5)));
        let dup = binder
            .bind(&layout, br#"{"id": "k", "a\\b": 5, "a\u005cb": 6}"#, &mut d)
            .unwrap_err();
        assert_eq!(dup.to_string(), "duplicate member `a\\b`");
    }

    proptest::proptest! {
        /// `fast_key` finds exactly the field whose name the key spells
        /// (or nothing), whatever the hint, for names (with their quote)
        /// shorter and longer than the eight and sixteen bytes compared
        /// as words, keys that are a name's prefix or extension, and keys
        /// cut by the end of the input.
        #[test]
        fn fast_key_finds_the_field_the_key_names(
            names in proptest::collection::btree_set("[ab]{0,19}", 1..8),
            random_key in "[ab]{0,20}",
            pick in proptest::option::of(0usize..8),
            close in proptest::bool::ANY,
            tail in "[ab,: ]{0,9}",
            hint in 0usize..10,
        ) {
            // Mostly a field's own name, so that matches are tested too.
            let key = pick
                .and_then(|i| names.iter().nth(i % names.len()))
                .cloned()
                .unwrap_or(random_key);
            let fields: Vec<Field> = names
                .iter()
                .map(|n| Field { name: n.as_str().into(), ty: FieldType::Text, optional: true })
                .collect();
            let patterns: Vec<super::KeyPattern> =
                fields.iter().map(|f| super::KeyPattern::new(&f.name)).collect();
            let input = format!("\"{key}{}{tail}", if close { "\"" } else { "" });
            let got = super::fast_key(input.as_bytes(), 0, &fields, &patterns, hint);
            let want = if close {
                names.iter().position(|n| *n == key).map(|i| (FieldId(i as u32), 1 + key.len()))
            } else {
                // Without its closing quote the key is no name, unless the
                // tail supplies none either (it holds no quote).
                None
            };
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn short_number_agrees_with_the_general_reader_or_declines() {
        // Tokens of every short shape, with what may follow them in JSON
        // (and some bytes that make the token invalid).
        let tokens = [
            "0",
            "-0",
            "7",
            "-7",
            "12",
            "012",
            "-012",
            "0.5",
            "-0.5",
            "8603.57",
            "1183.45",
            "1.",
            "1.0",
            "1.000000",
            "1.0000001",
            "0.123456",
            "0.1234567",
            "999999999999",
            "9999999999999",
            "999999999999.999999",
            "-999999999999.999999",
            "1e3",
            "1E3",
            "1.5e-2",
            "-",
            "-.5",
            ".5",
            "00",
            "1.2.3",
        ];
        for t in tokens {
            for tail in ["", ",", "}", " ", "]", "x", ".", "e"] {
                let text = format!("{t}{tail}");
                let Some((v, end)) = short_number(text.as_bytes(), 0) else {
                    continue;
                };
                // The token it consumed is a whole JSON number the general
                // reader accepts with the same value, and it stopped where
                // the general scanner stops.
                let token = &text[..end];
                let parsed = Decimal::parse(token).unwrap_or_else(|e| panic!("{text}: {e:?}"));
                assert_eq!(parsed.value, v, "{text}");
                assert!(!parsed.rounded, "{text}");
                let next = text.as_bytes().get(end).copied();
                assert!(
                    !matches!(next, Some(b'0'..=b'9' | b'e' | b'E')),
                    "{text} stopped at {end}"
                );
                if next == Some(b'.') {
                    assert!(token.contains('.'), "{text}");
                }
            }
        }
        assert!(short_number(b"8603.57,", 0).is_some());
        assert!(short_number(b"1e3", 0).is_none());
        assert!(short_number(b"012", 0).is_none());
        assert!(short_number(b"0.1234567", 0).is_none());
        assert!(short_number(b"9999999999999", 0).is_none());
        assert_eq!(
            short_number(b"-12.5]", 0).map(|(v, e)| (v.raw(), e)),
            Some((-12_500_000, 5))
        );
    }

    proptest::proptest! {
        /// Mixed bytes near the stop bytes and the word tests' edges
        /// (0x20 and 0x21 around the quote, 0x02 it is XORed with, bytes
        /// with the high bit): the first stop is the bytewise scan's.
        #[test]
        fn plain_run_agrees_with_a_bytewise_scan_on_mixed_bytes(
            s in proptest::collection::vec(
                proptest::sample::select(vec![
                    0x00u8, 0x01, 0x02, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d,
                    0x7f, 0x80, 0xa0, 0xa2, 0xdc, 0xde, 0xff, b'a',
                ]),
                0..40,
            ),
        ) {
            proptest::prop_assert_eq!(plain_run(&s), s.iter().position(|&b| ends_run(b)));
        }
    }

    proptest::proptest! {
        /// The loop-free reader agrees with the bytewise one wherever it
        /// answers, on tokens of digits, points, signs and exponents with
        /// whatever follows them, padded so that sixteen bytes follow the
        /// sign (the case where [`short_number`] uses it); and it answers
        /// for every common token.
        #[test]
        fn short_number_words_agrees_with_the_bytewise_reader(
            token in proptest::collection::vec(
                proptest::sample::select(vec![
                    b'0', b'1', b'5', b'9', b'.', b'-', b'e', b'E', b'/', b':', b' ', b'"',
                    0x80, 0xb9, 0xff,
                ]),
                0..18,
            ),
            pad in proptest::sample::select(vec![b',', b'}', b'0', b'7', b'.', b'e', 0xff]),
        ) {
            let mut text = token.clone();
            text.resize(text.len().max(18), pad);
            let fast = short_number(&text, 0).map(|(v, e)| (v.raw(), e));
            let slow = super::short_number_bytes(&text, 0).map(|(v, e)| (v.raw(), e));
            proptest::prop_assert_eq!(fast, slow);
        }

        /// Every token of one to seven integer digits (no leading zero)
        /// and up to six fractional ones is read without the bytewise
        /// reader, to its value.
        #[test]
        fn short_number_words_reads_every_common_token(
            int in 0u64..10_000_000,
            frac in proptest::option::of((1usize..=6, 0u64..1_000_000)),
            negative in proptest::bool::ANY,
            tail in proptest::sample::select(vec![",", "}", "]", " ", "\n"]),
        ) {
            let frac = frac.map(|(len, f)| (len, f % 10u64.pow(len as u32)));
            let token = match frac {
                Some((len, f)) => format!("{int}.{f:0len$}"),
                None => format!("{int}"),
            };
            let sign = if negative { "-" } else { "" };
            let text = format!("{sign}{token}{tail}0000000000000000");
            let digits = usize::from(negative);
            let b = text.as_bytes()[digits..].first_chunk::<16>().unwrap();
            let want = int * 1_000_000 + frac.map_or(0, |(len, f)| f * 10u64.pow(6 - len as u32));
            proptest::prop_assert_eq!(super::short_number_words(b), Some((want, token.len())));
            let raw = i128::from(want);
            proptest::prop_assert_eq!(
                short_number(text.as_bytes(), 0).map(|(v, e)| (v.raw(), e)),
                Some((if negative { -raw } else { raw }, sign.len() + token.len()))
            );
        }
    }

    #[test]
    fn short_number_reads_the_forms_of_customs_declarations() {
        for (t, raw) in [
            ("1", 1_000_000),
            ("197", 197_000_000),
            ("3471.4", 3_471_400_000),
            ("47506.62", 47_506_620_000),
            ("0.000001", 1),
            ("-12.5", -12_500_000),
            ("99999999.999999", 99_999_999_999_999),
        ] {
            for tail in ["", ",", "}]}", " "] {
                let text = format!("{t}{tail}");
                assert_eq!(
                    short_number(text.as_bytes(), 0).map(|(v, e)| (v.raw(), e)),
                    Some((raw, t.len())),
                    "{text}"
                );
            }
        }
        // Thirteen integer digits take the general path.
        assert_eq!(short_number(b"1234567890123.5,", 0), None);
    }

    #[test]
    fn plain_run_finds_the_first_stop_byte_like_a_bytewise_scan() {
        // Every stop byte at every position of strings of every length up
        // to three words, over a background of every byte that is not a
        // stop byte.
        let background: Vec<u8> = (0..=255u8).filter(|&b| !ends_run(b)).collect();
        let stops = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        for len in 0..24 {
            for &bg in &background {
                let mut s = vec![bg; len];
                assert_eq!(plain_run(&s), None, "len {len} bg {bg}");
                for at in 0..len {
                    for &stop in &stops {
                        s[at] = stop;
                        let want = s.iter().position(|&b| ends_run(b));
                        assert_eq!(plain_run(&s), want, "len {len} at {at} stop {stop}");
                        s[at] = bg;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod separator_tests {
    use super::JsonBinder;
    use crate::decl::Declaration;
    use crate::layout::{FieldType, Layout, RecordId};

    fn layout() -> Layout {
        crate::layout::test_layout(&[
            (
                "declaration",
                &[
                    ("id", FieldType::Text, false),
                    ("n", FieldType::Number, true),
                    ("items", FieldType::List(RecordId(1)), true),
                ],
            ),
            ("item", &[("hs", FieldType::Text, false)]),
        ])
    }

    const CASES: &[&str] = &[
        r#"{"id": "a", "n": 1, "items": [{"hs": "x"}, {"hs": "y"}]}"#,
        r#"{"id":"a","n":1,"items":[{"hs":"x"},{"hs":"y"}]}"#,
        "{ \"id\" :\t\"a\" ,\n\"n\"  :  1 ,  \"items\" : [ { \"hs\" : \"x\" } ] }",
        r#"{"id": "a", "n": 1, }"#,
        r#"{"id": "a", "n": 1,}"#,
        r#"{"id": "a", , "n": 1}"#,
        r#"{"id": "a",  "n": 1}"#,
        r#"{"id": "a", "id": "b"}"#,
        r#"{"id": "a", "x": 1, "x": 2}"#,
        r#"{"id": "a", "n":  }"#,
        r#"{"id": "a", "n": "#,
        r#"{"id": "a", "n":"#,
        r#"{"id": "a", "n" "#,
        r#"{"id": "a", "n": 1, "#,
        r#"{"id": "a", "n": 1, ""#,
        r#"{"id": "a", "n": 1, "n"#,
        r#"{"id": "a", "n": 1 "x": 2}"#,
        r#"{"id": "a", "n": : 1}"#,
        r#"{"id": "a", "n":: 1}"#,
        r#"{"id": "a", "n": 1, "items": [{"hs": "x"}, {"hs": }]}"#,
        r#"{"id": "a", "items": [{"hs": "x", "hs": "y"}]}"#,
        r#"{"id": "a", "items": [{"hs": "x"}, {}]}"#,
        r#"{"n": 1, "id": "a", "zzzzzzzzzzzzzzzzzzzzzz": 1, "items": []}"#,
        r#"{"id": "a", "n": 1, 'x': 2}"#,
        r#"{"id": "a", "n": 1,
"x": 2 ,
 "y": [1, 2, {"z": null}]}"#,
        r#"{"id" : "a"}"#,
        r#"{"id": "a"}  "#,
        r#"{"id":"#,
        r#"{"id": "a", "n": 12.5e1}"#,
    ];

    fn outcomes() -> Vec<String> {
        let l = layout();
        let mut binder = JsonBinder::new();
        let mut d = Declaration::new(&l);
        CASES
            .iter()
            .map(|json| match binder.bind(&l, json.as_bytes(), &mut d) {
                Ok(()) => format!("ok {:?}", d.validate(&l)),
                Err(e) => format!("{} @{} [{}]", e, e.offset, e.path),
            })
            .collect()
    }

    /// Separators spelled every way (none, one space, more, tabs and
    /// newlines, missing or doubled), bound and failed exactly as before
    /// the one-test paths for `": "` and `, "` were added: the outcomes
    /// (error, offset, path) were recorded with the general path alone.
    #[test]
    fn separators_bind_and_fail_as_the_general_path_does() {
        let want: &[&str] = &[
            "ok Ok(())",
            "ok Ok(())",
            "ok Ok(())",
            "line 1, column 21: expected a string @20 []",
            "line 1, column 20: expected a string @19 []",
            "line 1, column 13: expected a string @12 []",
            "ok Ok(())",
            "duplicate member `id` @12 []",
            "duplicate member `x` @20 []",
            "line 1, column 19: expected a value @18 [n]",
            "line 1, column 18: unexpected end of input @17 [n]",
            "line 1, column 17: unexpected end of input @16 [n]",
            "line 1, column 17: unexpected end of input @16 []",
            "line 1, column 21: unexpected end of input @20 []",
            "line 1, column 22: unexpected end of input @21 []",
            "line 1, column 23: unexpected end of input @22 []",
            "line 1, column 20: expected `,` or `}` @19 []",
            "line 1, column 18: expected a value @17 [n]",
            "line 1, column 17: expected a value @16 [n]",
            "line 1, column 51: expected a value @50 [items[1].hs]",
            "items[0]: duplicate member `hs` @34 [items[0]]",
            "items[1].hs: required field is missing @36 [items[1].hs]",
            "ok Ok(())",
            "line 1, column 21: expected a string @20 []",
            "ok Ok(())",
            "ok Ok(())",
            "ok Ok(())",
            "line 1, column 7: unexpected end of input @6 [id]",
            "ok Ok(())",
        ];
        assert_eq!(outcomes(), want);
    }
}
