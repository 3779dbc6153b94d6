//! A JSON array split into its elements as it is read.
//!
//! The same structural check as [`semaforo::json::split_array`] (strings,
//! brackets, commas, the nesting limit), made resumable: a read may end
//! anywhere, inside a string or an escape included, and the scan goes on
//! where it stopped when more bytes come, so the whole split stays linear
//! in the input and holds one element at a time. Errors are the ones
//! `split_array` gives on the whole input, at the same line and column,
//! with the same text (`line 4: line 4, column 1: unexpected end of
//! input`); a test compares the two on many inputs.

use super::Window;
use semaforo::json::{BindErrorKind, SyntaxError};
use std::ops::Range;

/// The deepest nesting of arrays and objects inside an element: the
/// facade's limit (`nesting deeper than 256 levels`).
const MAX_DEPTH: usize = 256;

/// Where the splitter stands between elements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    #[default]
    Start,
    /// Just after `[`: an element or `]`.
    Open,
    /// Before an element.
    Element,
    /// After the closing `]`: only whitespace may follow.
    Finish,
}

/// Where the scan of one element stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Scan {
    /// Between tokens.
    #[default]
    Value,
    /// Inside a string.
    Str,
    /// Just after a backslash in a string.
    Escape,
    /// Inside a scalar at depth 0, which ends at the next delimiter.
    Tail,
}

/// The splitter's state; the window holds the bytes.
#[derive(Debug)]
pub(super) struct Splitter {
    state: State,
    scan: Scan,
    depth: usize,
    /// One bit per open container: set for `[`, clear for `{`.
    kinds: [u64; MAX_DEPTH / 64],
    /// Bytes of the current element scanned (it starts at `Window::pos`).
    scanned: usize,
    /// The most bytes an element may have.
    cap: usize,
}

impl Splitter {
    /// A splitter for elements of at most `cap` bytes.
    pub(super) fn new(cap: usize) -> Splitter {
        Splitter {
            state: State::Start,
            scan: Scan::Value,
            depth: 0,
            kinds: [0; MAX_DEPTH / 64],
            scanned: 0,
            cap,
        }
    }
}

/// Why the split stopped.
enum Stop {
    /// A structural error at a window offset.
    Syntax(usize, SyntaxError),
    /// Anything else, as the message to print.
    Other(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Stop {
        Stop::Other(s)
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The byte at window offset `pos + rel`, reading more when needed;
/// `None` at the end of the input. Offsets are relative to `pos`, which
/// reading may move.
fn byte_at(win: &mut Window, rel: usize) -> Result<Option<u8>, String> {
    loop {
        if let Some(&b) = win.buf.get(win.pos + rel) {
            return Ok(Some(b));
        }
        if !win.fill()? {
            return Ok(None);
        }
    }
}

/// Consumes JSON whitespace.
fn skip_ws(win: &mut Window) -> Result<(), String> {
    while let Some(b) = byte_at(win, 0)? {
        if !is_ws(b) {
            break;
        }
        win.pos += 1;
    }
    Ok(())
}

impl Splitter {
    /// The next element: its line and its bytes in the window (valid until
    /// the window is read again), or `None` after the closing `]`.
    pub(super) fn next(&mut self, win: &mut Window) -> Result<Option<(u64, Range<usize>)>, String> {
        match self.step(win) {
            Ok(x) => Ok(x),
            Err(Stop::Other(m)) => Err(m),
            Err(Stop::Syntax(at, error)) => {
                let (line, column) = win.line_column(at);
                let kind = BindErrorKind::Syntax {
                    line: usize::try_from(line).unwrap_or(usize::MAX),
                    column: usize::try_from(column).unwrap_or(usize::MAX),
                    error,
                };
                Err(format!("line {line}: {kind}"))
            }
        }
    }

    fn step(&mut self, win: &mut Window) -> Result<Option<(u64, Range<usize>)>, Stop> {
        loop {
            match self.state {
                State::Start => {
                    skip_ws(win)?;
                    if byte_at(win, 0)? != Some(b'[') {
                        return Err(Stop::Syntax(win.pos, SyntaxError::Expected("`[`")));
                    }
                    win.pos += 1;
                    self.state = State::Open;
                }
                State::Open => {
                    skip_ws(win)?;
                    if byte_at(win, 0)? == Some(b']') {
                        win.pos += 1;
                        self.state = State::Finish;
                    } else {
                        self.state = State::Element;
                    }
                }
                State::Finish => {
                    skip_ws(win)?;
                    if byte_at(win, 0)?.is_some() {
                        return Err(Stop::Syntax(win.pos, SyntaxError::Expected("end of input")));
                    }
                    return Ok(None);
                }
                State::Element => return self.element(win).map(Some),
            }
        }
    }

    /// Scans one element and the `,` or `]` after it.
    fn element(&mut self, win: &mut Window) -> Result<(u64, Range<usize>), Stop> {
        skip_ws(win)?;
        self.scan = Scan::Value;
        self.depth = 0;
        self.scanned = 0;
        let len = self.scan_value(win)?;
        if len == 0 {
            return Err(Stop::Syntax(win.pos, SyntaxError::Expected("a value")));
        }
        let mut after = len;
        while let Some(b) = byte_at(win, after)? {
            if !is_ws(b) {
                break;
            }
            after += 1;
        }
        let next = match byte_at(win, after)? {
            Some(b',') => State::Element,
            Some(b']') => State::Finish,
            Some(_) => {
                return Err(Stop::Syntax(
                    win.pos + after,
                    SyntaxError::Expected("`,` or `]`"),
                ));
            }
            None => {
                return Err(Stop::Syntax(win.pos + after, SyntaxError::UnexpectedEnd));
            }
        };
        self.state = next;
        let start = win.pos;
        let (line, _) = win.line_column(start);
        win.pos = start + after + 1;
        Ok((line, start..start + len))
    }

    /// Scans one value starting at `win.pos`; returns its length.
    fn scan_value(&mut self, win: &mut Window) -> Result<usize, Stop> {
        loop {
            let rel = self.scanned;
            let Some(b) = byte_at(win, rel)? else {
                let at = win.pos + rel;
                return match self.scan {
                    Scan::Tail => Ok(rel),
                    Scan::Str | Scan::Escape => Err(Stop::Syntax(
                        at.min(win.buf.len()),
                        SyntaxError::UnexpectedEnd,
                    )),
                    Scan::Value => Err(Stop::Syntax(at, SyntaxError::UnexpectedEnd)),
                };
            };
            // The byte would make the element longer than the cap (a
            // delimiter after a scalar is not part of it): an element may
            // have at most `cap` bytes, as the binder allows.
            let ends_tail =
                self.scan == Scan::Tail && (matches!(b, b',' | b']' | b'}') || is_ws(b));
            if rel >= self.cap && !ends_tail {
                let (line, _) = win.line_column(win.pos);
                return Err(Stop::Other(format!(
                    "line {line}: an array element larger than {} bytes (the most a declaration may have)",
                    self.cap
                )));
            }
            match self.scan {
                Scan::Str => {
                    self.scanned += 1;
                    match b {
                        b'"' => {
                            self.scan = Scan::Value;
                            if self.depth == 0 {
                                return Ok(self.scanned);
                            }
                        }
                        b'\\' => self.scan = Scan::Escape,
                        _ => {}
                    }
                }
                Scan::Escape => {
                    self.scanned += 1;
                    self.scan = Scan::Str;
                }
                Scan::Tail => {
                    if matches!(b, b',' | b']' | b'}') || is_ws(b) {
                        return Ok(rel);
                    }
                    self.scanned += 1;
                }
                Scan::Value => {
                    let at = win.pos + rel;
                    self.scanned += 1;
                    match b {
                        b'[' | b'{' => {
                            if self.depth >= MAX_DEPTH {
                                return Err(Stop::Syntax(at, SyntaxError::TooDeep));
                            }
                            if let Some(w) = self.kinds.get_mut(self.depth / 64) {
                                let bit = 1u64 << (self.depth % 64);
                                if b == b'[' {
                                    *w |= bit;
                                } else {
                                    *w &= !bit;
                                }
                            }
                            self.depth += 1;
                        }
                        b']' | b'}' => {
                            let Some(d) = self.depth.checked_sub(1) else {
                                return Err(Stop::Syntax(at, SyntaxError::Expected("a value")));
                            };
                            let is_array = self
                                .kinds
                                .get(d / 64)
                                .is_some_and(|w| w & (1u64 << (d % 64)) != 0);
                            if is_array != (b == b']') {
                                return Err(Stop::Syntax(
                                    at,
                                    SyntaxError::Expected(if is_array { "`]`" } else { "`}`" }),
                                ));
                            }
                            self.depth = d;
                        }
                        b'"' => self.scan = Scan::Str,
                        b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {}
                        // Inside a container, commas and colons separate
                        // values; the binder checks the rest.
                        _ if self.depth > 0 => {}
                        _ => return Err(Stop::Syntax(at, SyntaxError::Expected("a value"))),
                    }
                    if self.depth == 0 && self.scan == Scan::Value {
                        if matches!(b, b']' | b'}') {
                            return Ok(self.scanned);
                        }
                        self.scan = Scan::Tail;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Format, Limits, Reader};

    /// Every element (line, bytes) or the error, as the reader gives them
    /// with reads of `read` bytes.
    fn split(input: &[u8], read: usize) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let limits = Limits {
            units: 3,
            bytes: 1 << 20,
            read,
            unit: 1 << 20,
        };
        let src = Box::new(std::io::Cursor::new(input.to_vec()));
        let mut r = Reader::from_read(src, "test".to_string(), Format::Json, limits)?;
        let mut b = super::super::Batch::default();
        let mut out = Vec::new();
        while r.next_batch(&mut b)? {
            for i in 0..b.len() {
                let (line, bytes) = b.json_unit(i).unwrap_or_default();
                out.push((line, bytes.to_vec()));
            }
        }
        Ok(out)
    }

    /// What the whole-input splitter gives, in the same form.
    fn reference(input: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let mut out = Vec::new();
        for item in semaforo::json::split_array(input) {
            match item {
                Ok((off, bytes)) => {
                    let line = 1 + input[..off].iter().filter(|b| **b == b'\n').count();
                    out.push((line as u64, bytes.to_vec()));
                }
                Err(e) => {
                    let line = 1 + input[..e.offset.min(input.len())]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count();
                    return Err(format!("line {line}: {e}"));
                }
            }
        }
        Ok(out)
    }

    #[test]
    fn splits_as_the_whole_input_splitter_does() {
        let deep_ok = format!("[{}{}]", "[".repeat(256), "]".repeat(256));
        let too_deep = format!("[{}{}]", "[".repeat(257), "]".repeat(257));
        let cases: Vec<&[u8]> = vec![
            b"[]",
            b" [ ] \n",
            b"[{\"id\":\"A\"},\n {\"id\":\"B\", \"x\": [1, {\"y\": \"]\"}]}\n]\n",
            b"[\n{\"id\": \"A\"},\n{\"id\": \"B\"\n",
            b"[1, 2 ,3, true, null, \"s\\\"\", -4.5e3]",
            b"[{\"a\":\"caf\xc3\xa9\"}, x]",
            b"[{}, ]",
            b"[{}, {}] x",
            b"[{}} ]",
            b"[{]",
            b"[\"abc",
            b"[\"ab\\",
            b"[12",
            b"[{} {}]",
            b"[,]",
            b"[\r\n{\"k\":\"\xc3\xa9\xc3\xa9\"}\r\n,\r\n\xc3\xa9]",
            b"",
            b"  ",
            deep_ok.as_bytes(),
            too_deep.as_bytes(),
        ];
        for case in cases {
            let want = reference(case);
            for read in [1, 2, 3, 7, 64, 1 << 16] {
                let got = split(case, read);
                let shown = String::from_utf8_lossy(case);
                // An empty or blank input is one (empty) document, not an array.
                if !case.iter().any(|b| !b.is_ascii_whitespace()) {
                    assert_eq!(got.as_ref().map(Vec::len), Ok(1), "{shown:?}");
                    continue;
                }
                assert_eq!(got, want, "{shown:?} read by {read}");
            }
        }
    }
}
