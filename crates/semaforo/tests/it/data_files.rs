//! External list and table files are read by one policy (see
//! `docs/language.md`, "External data files"): a leading byte order mark is
//! skipped, LF and CRLF end lines, and anything that would make an entry
//! differ from what an analyst sees — a bare CR, a control character, an
//! invisible formatting character, non-ASCII white space inside an entry —
//! is error E0606 naming the line. A watched importer never silently stops
//! matching.

use proptest::prelude::*;
use semaforo::{CompileError, Compiler, Context, Date, Ruleset};

const RULES: &str = r#"ruleset "lists" version "1"
schema declaration { key id: text
  importer: text }
list watched: text
table points: number
rule W "watched importer" { when importer in watched then lane red }
rule P "importer with points" { when lookup(points, importer) > 0 then score 10 }
"#;

fn compile(list: &str, table: &str) -> Result<Ruleset, CompileError> {
    let mut c = Compiler::new();
    c.add_source("lists.sem", RULES);
    c.add_list_file("watched", "watched.txt", list);
    c.add_table_file("points", "points.csv", table);
    c.compile()
}

/// The lane and score of a declaration from `importer`.
fn decide(rs: &Ruleset, importer: &str) -> (String, i64) {
    let ctx = Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "k");
    let mut ev = rs.evaluator();
    let mut json = String::from(r#"{"id": "D1", "importer": "#);
    serde_json_string(&mut json, importer);
    json.push('}');
    let out = ev.eval_json(json.as_bytes(), &ctx).unwrap();
    (out.lane().to_string(), out.score())
}

fn serde_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The first error's code and `(file, line, column)`.
fn first_error(e: &CompileError) -> (String, String, u32, u32) {
    let d = e.diagnostics.iter().find(|d| d.is_error()).unwrap();
    let (file, line, col) = e.sources.locate(d.span);
    (d.code.to_string(), file.to_string(), line, col)
}

const TABLE: &str = "key,value\nIMP-9,5\n";

#[test]
fn files_that_read_as_written() {
    for list in [
        "IMP-7\n",
        "IMP-7",
        "\u{feff}IMP-7\n",
        "# watched\r\nIMP-7\r\n",
        "\u{feff}# exported from the spreadsheet\r\nIMP-7\r\n\r\n",
        "  IMP-7  \n",
        "\tIMP-7\t\n",
        "IMP-1\nIMP-7\n",
        "\u{a0}IMP-7\u{a0}\n",
    ] {
        let rs = compile(list, TABLE).unwrap_or_else(|e| panic!("{list:?}: {e}"));
        assert_eq!(decide(&rs, "IMP-7").0, "red", "{list:?}");
        assert_eq!(decide(&rs, "IMP-8").0, "green", "{list:?}");
    }
}

#[test]
fn files_that_would_hide_an_entry_are_refused_at_the_line() {
    for (list, line, col) in [
        // Old Mac line ends: one line `IMP-1\rIMP-7`.
        ("IMP-1\rIMP-7\r", 1, 6),
        ("IMP-1\nIMP-7\rIMP-8\n", 2, 6),
        // A CR at the very end is not a line end either (found by the
        // `list_file` fuzz target's oracle).
        ("IMP-1\nIMP-7\r", 2, 6),
        // A NUL, a zero-width space, a BOM after the start, a word joiner,
        // direction marks, a soft hyphen, a tab and a no-break space inside.
        ("IMP-1\nIMP-7\0\n", 2, 6),
        ("IMP-1\nIMP\u{200b}-7\n", 2, 4),
        ("IMP-1\n\u{feff}IMP-7\n", 2, 1),
        ("IMP-7\u{2060}\n", 1, 6),
        ("\u{200e}IMP-7\n", 1, 1),
        ("IMP\u{202e}-7\n", 1, 4),
        ("IMP\u{ad}-7\n", 1, 4),
        ("IMP\t-7\n", 1, 4),
        ("IMP\u{a0}-7\n", 1, 4),
        ("IMP-7\u{1b}[0m\n", 1, 6),
        ("IMP\u{85}-7\n", 1, 4),
    ] {
        let e = match compile(list, TABLE) {
            Ok(_) => panic!("{list:?} compiled"),
            Err(e) => e,
        };
        assert_eq!(
            first_error(&e),
            ("E0606".to_string(), "watched.txt".to_string(), line, col),
            "{list:?}"
        );
    }
}

#[test]
fn every_bad_entry_of_a_list_is_reported() {
    let e = compile("A\u{200b}\nB\nC\u{200b}\nD\0\n", TABLE)
        .err()
        .unwrap();
    let lines: Vec<u32> = e
        .diagnostics
        .iter()
        .filter(|d| d.code == "E0606")
        .map(|d| e.sources.locate(d.span).1)
        .collect();
    assert_eq!(lines, [1, 3, 4]);
}

#[test]
fn table_files_follow_the_same_policy() {
    for table in [
        "\u{feff}key,value\nIMP-7,5\n",
        "key,value\r\nIMP-7,5\r\n",
        "key,value\n\"IMP-7\",\"5\"\n",
    ] {
        let rs = compile("IMP-1\n", table).unwrap_or_else(|e| panic!("{table:?}: {e}"));
        assert_eq!(decide(&rs, "IMP-7").1, 10, "{table:?}");
    }
    for (table, line, col) in [
        ("key,value\rIMP-7,5\r", 1, 10),
        ("key,value\nIMP\u{200b}-7,5\n", 2, 4),
        ("key,value\n\"IMP-7\u{200d}\",5\n", 2, 7),
        ("key,value\nIMP-7,5\u{feff}\n", 2, 8),
        ("key\u{200b},value\nIMP-7,5\n", 1, 4),
    ] {
        let e = match compile("IMP-1\n", table) {
            Ok(_) => panic!("{table:?} compiled"),
            Err(e) => e,
        };
        assert_eq!(
            first_error(&e),
            ("E0606".to_string(), "points.csv".to_string(), line, col),
            "{table:?}"
        );
    }
}

#[test]
fn entries_given_by_the_host_are_checked_too() {
    let mut c = Compiler::new();
    c.add_source("lists.sem", RULES);
    c.add_list("watched", ["IMP-1", "IMP\u{200b}-7"]);
    c.add_table("points", [("IMP-9", "5")]);
    let e = c.compile().err().unwrap();
    let (code, file, line, col) = first_error(&e);
    assert_eq!(code, "E0606");
    assert_eq!(
        (file.as_str(), line, col),
        ("<list `watched` given by the host>", 2, 4)
    );
}

/// One readable line of a list file: printable text that is not a
/// comment, with optional surrounding blanks.
fn entry() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ÁÉÑñ.,;:/_ -]{1,12}".prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    /// Every readable line is exactly one entry: a list file (with or
    /// without a byte order mark, LF or CRLF, comments and blank lines)
    /// compiles to the same ruleset, fingerprint included, as its trimmed
    /// entries given through the API, in order and with duplicates.
    #[test]
    fn every_readable_line_is_exactly_one_entry(
        lines in proptest::collection::vec((entry(), 0u8..4), 1..30),
        bom in any::<bool>(),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut file = String::new();
        if bom {
            file.push('\u{feff}');
        }
        let mut expected = Vec::new();
        for (i, (e, extra)) in lines.iter().enumerate() {
            match extra {
                1 => { file.push_str("# a comment"); file.push_str(eol); }
                2 => file.push_str(eol),
                _ => {}
            }
            file.push_str(e);
            if i + 1 < lines.len() || final_newline {
                file.push_str(eol);
            }
            expected.push(e.trim().to_string());
        }
        let from_file = compile(&file, TABLE).unwrap();
        let mut c = Compiler::new();
        c.add_source("lists.sem", RULES);
        c.add_list("watched", expected.clone());
        c.add_table_file("points", "points.csv", TABLE);
        let from_api = c.compile().unwrap();
        prop_assert_eq!(from_file.fingerprint_hex(), from_api.fingerprint_hex());
        for e in &expected {
            prop_assert_eq!(decide(&from_file, e).0, "red");
        }
    }
}
