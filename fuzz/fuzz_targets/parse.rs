//! Parser and formatter: any text parses or fails with diagnostics, never a
//! panic; the fast parser and the pest parser agree exactly (tree, spans and
//! diagnostics); a parsed file formats to text that parses back to the same
//! tree (up to spans), keeps every comment, and formats to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semaforo_syntax::ast::strip_spans;
use semaforo_syntax::{FileId, format, parse, parse_with_pest};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(src, FileId(0));
    assert_eq!(
        parsed,
        parse_with_pest(src, FileId(0)),
        "the fast parser and pest disagree"
    );
    let Ok(file) = parsed else {
        return;
    };
    let out = format(&file);
    let again = match parse(&out, FileId(0)) {
        Ok(f) => f,
        Err(d) => panic!("formatted text does not parse: {d:?}\n---\n{out}"),
    };
    let mut a = file.clone();
    let mut b = again.clone();
    strip_spans(&mut a);
    strip_spans(&mut b);
    assert_eq!(a.items, b.items, "format changed the tree\n---\n{out}");
    let texts = |f: &semaforo_syntax::ast::SourceFile| {
        f.comments.iter().map(|c| c.text.clone()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&file), texts(&again), "format lost a comment\n---\n{out}");
    assert_eq!(format(&again), out, "format is not idempotent");
});
