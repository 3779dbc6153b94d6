//! The formatter: canonical layout, comments kept, idempotence and
//! `parse(format(ast)) == ast` up to spans.

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
fn spec_example_keeps_its_layout_except_the_wrapped_when_indent() {
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
    // The example is already canonical (blank lines included), apart from
    // the `when` that the author wrapped over two lines with an aligned
    // continuation: the formatter keeps the break but uses a hanging indent.
    let src_lines: Vec<&str> = src.lines().collect();
    let out_lines: Vec<&str> = out.lines().collect();
    assert_eq!(out_lines.len(), src_lines.len());
    let wrapped = src_lines
        .iter()
        .position(|l| l.contains("when any("))
        .unwrap();
    assert_eq!(out_lines[..=wrapped], src_lines[..=wrapped]);
    assert_eq!(
        out_lines[wrapped + 1],
        format!("    {}", src_lines[wrapped + 1].trim_start())
    );
    assert!(out_lines[wrapped + 1].starts_with("    and "));
    assert_eq!(out_lines[wrapped + 2..], src_lines[wrapped + 2..]);
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

#[test]
fn blank_lines_are_kept_and_collapsed() {
    let src = "lanes a, b\n\n\nthreshold b 5\n# ---- valuation\n\n\nrule R \"t\" {\n\n  tags x\n\n\n  when a\n  # c\n\n  then score 1\n\n}\n\n\n\n# end\n";
    let expected = "lanes a, b\n\nthreshold b 5\n\n# ---- valuation\n\nrule R \"t\" {\n  tags x\n\n  when a\n  # c\n\n  then score 1\n}\n\n# end\n";
    assert_eq!(fmt_src(src), expected);
    assert_eq!(fmt_src(expected), expected);
    // Without blank lines in the source only the item separators appear.
    assert_eq!(
        fmt_src("lanes a, b\nthreshold b 5\n# s\nrule R \"t\" {\n  then score 1\n  # before\n\n}"),
        "lanes a, b\nthreshold b 5\n\n# s\nrule R \"t\" {\n  then score 1\n  # before\n}\n"
    );
}

#[test]
fn long_when_breaks_at_top_level_operators() {
    let src = "rule R \"t\" { when declared_value > 100000 and origin in high_risk_origins and provenance != origin or importer in watched then score 1 }";
    let expected = "rule R \"t\" {\n  when declared_value > 100000 and origin in high_risk_origins and provenance != origin\n    or importer in watched\n  then score 1\n}\n";
    assert_eq!(fmt_src(src), expected);
    assert_eq!(fmt_src(expected), expected);
    let src = "rule R \"t\" { when declared_value_in_usd > 100000 and origin_country in high_risk_origins and (provenance != origin) then score 1 }";
    let expected = "rule R \"t\" {\n  when declared_value_in_usd > 100000\n    and origin_country in high_risk_origins\n    and (provenance != origin)\n  then score 1\n}\n";
    assert_eq!(fmt_src(src), expected);
    assert_eq!(fmt_src(expected), expected);
    // A short condition stays on one line, even if the author broke it.
    assert_eq!(
        fmt_src("rule R \"t\" { when a\n and b\n then score 1 }"),
        "rule R \"t\" {\n  when a and b\n  then score 1\n}\n"
    );
}

#[test]
fn long_quantifier_body_breaks_too() {
    let src = "rule R \"t\" { when regime == \"IM4\" and any(it in items: it.hs starts with footwear and it.value / it.net_kg < lookup_prefix(reference_price, it.hs) * 0.5) then score 1 }";
    let expected = "rule R \"t\" {\n  when regime == \"IM4\"\n    and any(it in items: it.hs starts with footwear\n      and it.value / it.net_kg < lookup_prefix(reference_price, it.hs) * 0.5)\n  then score 1\n}\n";
    assert_eq!(fmt_src(src), expected);
    assert_eq!(fmt_src(expected), expected);
    let a = parse(src, FileId(0)).unwrap();
    let b = parse(expected, FileId(0)).unwrap();
    assert_eq!(stripped(a).items, stripped(b).items);
}

#[test]
fn comments_inside_a_broken_when_stay_before_their_operand() {
    let src = "rule R \"t\" {\n  when declared_value_in_usd > 100000 # big\n\n  # origin\n  and origin_country in high_risk_origins and provenance_country != origin_country\n  then score 1\n}\n";
    let expected = "rule R \"t\" {\n  when declared_value_in_usd > 100000  # big\n    # origin\n    and origin_country in high_risk_origins\n    and provenance_country != origin_country\n  then score 1\n}\n";
    assert_eq!(fmt_src(src), expected);
    assert_eq!(fmt_src(expected), expected);
}

#[test]
fn trailing_white_space_in_comments_is_not_part_of_them() {
    // Found by the `parse` fuzz target: a comment ending in several `\r`
    // lost one per formatting round (the last was read as half of a CRLF).
    let src = "\u{feff}# expect:byte ork,\r\r\r\r\nlanes a, b # x \t\r\n";
    let file = parse(src, FileId(0)).unwrap();
    let texts: Vec<&str> = file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, [" expect:byte ork,", " x"]);
    let out = format(&file);
    let again = parse(&out, FileId(0)).unwrap();
    let texts_again: Vec<&str> = again.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts_again, texts);
    assert_eq!(format(&again), out);
}

#[test]
fn a_comment_after_a_single_lane_stays_on_its_line() {
    // Found by the `parse` fuzz target: pest's span of `lanes x` ran on over
    // the comment after it, and the formatter moved that comment on the
    // second round.
    let src = "# exprs.1\"\nlanes lowix_l# ion \"0.1\"\nlanes lowix_l# ";
    let once = fmt_src(src);
    assert_eq!(
        once,
        "# exprs.1\"\nlanes lowix_l                     # ion \"0.1\"\nlanes lowix_l                     #\n"
    );
    assert_eq!(fmt_src(&once), once);
    let lanes = parse("lanes green  # default\n", FileId(0)).unwrap();
    let semaforo_syntax::ast::Item::Lanes(l) = &lanes.items[0] else {
        panic!("not lanes");
    };
    assert_eq!((l.span.start, l.span.end), (0, 11));
}
