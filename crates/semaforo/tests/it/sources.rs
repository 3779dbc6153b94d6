//! `Sources` places positions through a line index built once per source:
//! `(line, column)` as `semaforo_syntax::line_col` (the reference walk from
//! the start of the text) and the text of a line as `str::lines`, at every
//! byte offset of texts with CRLF and LF endings, blank and trailing lines,
//! multi-byte characters, tabs and bare CRs.

use semaforo::{FileId, SourceKind, Sources, Span};

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
fn positions_and_lines_agree_with_the_reference_walk() {
    for text in TEXTS {
        let mut sources = Sources::default();
        let file = sources.add("t".into(), *text, SourceKind::Rules);
        let source = sources.get(file).unwrap();
        for offset in 0..=text.len() as u32 + 2 {
            let span = Span::new(file, offset, offset);
            let (name, line, column) = sources.locate(span);
            assert_eq!(name, "t");
            assert_eq!(
                (line, column),
                semaforo_syntax::line_col(text, offset),
                "{text:?} at {offset}"
            );
            assert_eq!(sources.locate_end(span), (line, column));
            assert_eq!(
                source.line_text(line),
                text.lines().nth(line as usize - 1),
                "{text:?} line {line}"
            );
        }
        assert_eq!(source.line_text(0), None);
        assert_eq!(source.line_text(text.lines().count() as u32 + 1), None);
    }
    assert_eq!(
        Sources::default().locate(Span::new(FileId(3), 0, 0)),
        ("<unknown>", 0, 0)
    );
}

#[test]
fn a_compiled_ruleset_keeps_its_rule_source_once() {
    let src = "ruleset \"t\" version \"1\"\n\
               schema declaration {\n  key id: text\n  origin: text\n}\n\
               rule R1 \"origins\" { when origin in [\"CN\", \"HK\", \"VN\"] then score 5 }\n";
    let mut c = semaforo::Compiler::new();
    c.add_source("t.sem", src);
    let rs = c.compile().unwrap();
    // The compiler holds the source too; only the ruleset's holds count.
    drop(c);
    let kept = &rs.sources().get(FileId(0)).unwrap().text;
    assert_eq!(&**kept, src);
    // The checked program the ruleset keeps for `explain` points its
    // texts into the very buffer `sources` holds, not into a copy.
    assert!(
        std::sync::Arc::strong_count(kept) > 1,
        "the ruleset's texts do not share its source"
    );
}
