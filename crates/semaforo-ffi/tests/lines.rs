//! The diagnostics renderer's line index (`src/lines.rs`) agrees with the
//! facade: `(line, column)` with `Sources::locate`, and the source line shown
//! under a diagnostic with `str::lines`, at every byte offset of texts with
//! CRLF and LF endings, blank and trailing lines, multi-byte characters and
//! tabs.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "a test")]

#[allow(
    dead_code,
    unreachable_pub,
    reason = "one module of the library, mounted"
)]
#[path = "../src/lines.rs"]
mod lines;

use lines::LineIndex;
use semaforo_core::{FileId, SourceKind, Sources, Span};

const TEXTS: &[&str] = &[
    "",
    "\n",
    "a",
    "a\n",
    "a\nb",
    "\n\nx\n\n",
    "rule R \"é\" {\r\n  when x == \"ñ\"\r\n}\r\n",
    "\tindented\n\t\ttwice\r\nlast without newline",
    "one\rbare CR\n漢字 and more\n",
    "trailing CR\r",
];

#[test]
fn line_index_agrees_with_the_facade() {
    for text in TEXTS {
        let mut sources = Sources::default();
        let file = sources.add("t".into(), (*text).into(), SourceKind::Rules);
        assert_eq!(file, FileId(0));
        let index = LineIndex::new(text);
        for offset in 0..=text.len() as u32 + 2 {
            let span = Span {
                file,
                start: offset,
                end: offset,
            };
            let (_, line, column) = sources.locate(span);
            assert_eq!(index.locate(offset), (line, column), "{text:?} at {offset}");
            assert_eq!(sources.locate_end(span), (line, column));
            assert_eq!(
                index.line(line),
                text.lines().nth(line as usize - 1),
                "{text:?} line {line}"
            );
        }
        assert_eq!(index.line(0), None);
        assert_eq!(index.line(u32::MAX), None);
    }
}
