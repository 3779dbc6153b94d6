//! The formatter: canonical layout, comments kept, idempotence and
//! `parse(format(ast)) == ast` up to spans.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use semaforo_syntax::ast::{SourceFile, strip_spans};
use semaforo_syntax::{FileId, format, parse};

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn stripped(mut f: SourceFile) -> SourceFile {
    strip_spans(&mut f);
    f
}

fn fmt_src(src: &str) -> String {
    format(&parse(src, FileId(0)).unwrap())
}

#[test]
fn spec_example_keeps_its_layout_except_the_wrapped_when() {
    let src = data("spec_example.sem");
    let file = parse(&src, FileId(0)).unwrap();
    let out = format(&file);
    // Idempotent and faithful.
    let again = parse(&out, FileId(0)).unwrap();
    assert_eq!(format(&again), out);
    assert_eq!(stripped(file.clone()).items, stripped(again.clone()).items);
    let texts = |f: &SourceFile| {
        f.comments
            .iter()
            .map(|c| (c.text.clone(), c.trailing))
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&file), texts(&again));
    assert_eq!(file.comments.len(), 9);
    // The example is already canonical, apart from the `when` that the
    // author wrapped over two lines: the formatter keeps it on one.
    let src_lines: Vec<&str> = src.lines().collect();
    let out_lines: Vec<&str> = out.lines().collect();
    let wrapped = src_lines
        .iter()
        .position(|l| l.contains("when any("))
        .unwrap();
    assert_eq!(out_lines[..wrapped], src_lines[..wrapped]);
    assert_eq!(
        out_lines[wrapped],
        format!(
            "{} {}",
            src_lines[wrapped],
            src_lines[wrapped + 1].trim_start()
        )
    );
    assert_eq!(out_lines[wrapped + 1..], src_lines[wrapped + 2..]);
}

#[test]
fn comments_stay_where_they_were() {
    let src = data("comments.sem");
    let file = parse(&src, FileId(0)).unwrap();
    let out = format(&file);
    let expected = r#"# expect: ok
# A file with comments everywhere.
ruleset "c" version "1"           # header

# lanes
lanes green, red                  # trailing
# between
threshold red 70

schema s {                        # after brace
  # before field
  key id: text                    # trailing field
  n: number                       # trailing after comma
  # before closing brace
}                                 # after closing brace

rule R "t" {                      # after rule header
  # before active
  active from 2026-01-01          # trailing active
  tags a                          # trailing tags
  # inside the expression
  when a and b                    # after the expression
  sample 5%                       # trailing sample
  then score 1                    # trailing then
  # before closing brace
}

test "t" {
  # before given
  given {"id": "x"}               # after given
  expect score 1                  # trailing expect
}
# at the end
"#;
    assert_eq!(out, expected);
    assert_eq!(fmt_src(&out), out);
    let again = parse(&out, FileId(0)).unwrap();
    assert_eq!(again.comments.len(), file.comments.len());
}

#[test]
fn canonical_layout() {
    assert_eq!(
        fmt_src(
            "list a=[ \"x\" ,-1.50,2026-01-02,true, ]  table t : number list b:text\nlanes a,b"
        ),
        "list a = [\"x\", -1.50, 2026-01-02, true]\ntable t: number\nlist b: text\n\nlanes a, b\n"
    );
    assert_eq!(
        fmt_src(
            "rule X \"t\" { active 2026-01-01 to 2026-02-01 when (a+b)*c>=-d and not(x) sample 0.25% then score -2,note \"q\\\"\\u{7}\" }"
        ),
        "rule X \"t\" {\n  active 2026-01-01 to 2026-02-01\n  when (a + b) * c >= -d and not (x)\n  sample 0.25%\n  then score -2, note \"q\\\"\\u{7}\"\n}\n"
    );
    assert_eq!(
        fmt_src("schema s { key key: text, a: [r]? }"),
        "schema s {\n  key key: text\n  a: [r]?\n}\n"
    );
}
