//! `semaforo lists derive` through the real binary, on a small history
//! whose expected lists are worked out in the comments.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_semaforo");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/backtest")
        .join(name)
}

fn derive(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(BIN)
        .args(["lists", "derive", "--input"])
        .arg(data("history.csv"))
        .args(["--outcome", "Found", "--key", "Decl"])
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

fn entries(list: &str) -> Vec<&str> {
    list.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn importers_meeting_both_thresholds() {
    // IMP-1: 2 of 3 (kept); IMP-2: 1 of 2; IMP-3: 1 of 1 inspected (A7 has
    // no result); IMP-4: 1 of 1 (A8's two rows are one declaration).
    let (out, err, code) = derive(&["--by", "Importer", "--min-count", "2", "--min-rate", "0.6"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(entries(&out), ["IMP-1"]);
    assert!(out.starts_with("# Derived by `semaforo lists derive`"));
    assert!(out.contains("# by: Importer\n"));
    assert!(out.contains("# outcome: Found\n"));
    assert!(out.contains("at least 2 inspected declarations, finding rate at least 0.6"));
    assert!(
        out.contains(
            "# counts: 8 declarations, 7 with a result, 5 with a finding; 4 distinct values, 1 kept"
        ),
        "{out}"
    );
    // Lower thresholds keep more, in sorted order.
    let (out, _, _) = derive(&["--by", "Importer", "--min-count", "1", "--min-rate", "0.5"]);
    assert_eq!(entries(&out), ["IMP-1", "IMP-2", "IMP-3", "IMP-4"]);
}

#[test]
fn item_column_counts_each_declaration_once_per_value() {
    // 6403: A1, A2, A5 all found; 6402: A6 and A8 found (A7 not
    // inspected); 8471: 1 of 3.
    let (out, _, code) = derive(&["--by", "HS", "--min-count", "2", "--min-rate", "0.6"]);
    assert_eq!(code, Some(0));
    assert_eq!(entries(&out), ["6402", "6403"]);
}

#[test]
fn by_can_name_a_mapped_field_path_and_write_a_file() {
    let dir = std::env::temp_dir().join(format!("semaforo-lists-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("risky.txt");
    let (out, err, code) = derive(&[
        "--by",
        "importer",
        "--map",
        "Importer=importer",
        "--min-count",
        "3",
        "--min-rate",
        "0.6",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(entries(&written), ["IMP-1"]);
}

#[test]
fn unknown_column_is_an_error() {
    let (_, err, code) = derive(&["--by", "Nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("`Nope`"), "{err}");
}

#[test]
fn json_lines_by_top_level_member_and_by_item_member() {
    let run = |by: &str| {
        let out = Command::new(BIN)
            .args(["lists", "derive", "--input"])
            .arg(data("history.jsonl"))
            .args(["--outcome", "found", "--by", by])
            .args(["--min-count", "2", "--min-rate", "0.6"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    // IMP-1: J1, J2 found, J5 not: 2 of 3. IMP-2: 0 of 1 (J4 not inspected).
    let importers = run("importer");
    assert_eq!(entries(&importers), ["IMP-1"]);
    assert!(importers.contains("5 declarations, 4 with a result, 2 with a finding"));
    // 6403: J1 (twice, counted once) and J2, both found; 8471: 1 of 2.
    assert_eq!(entries(&run("items.hs")), ["6403"]);
}

fn derive_file(name: &str, text: &str, args: &[&str]) -> (String, String, Option<i32>) {
    let dir = std::env::temp_dir().join(format!("semaforo-lists-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = Command::new(BIN)
        .args(["lists", "derive", "--input"])
        .arg(&path)
        .args(["--outcome", "Found"])
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

#[test]
fn an_extra_comma_rejects_the_row_instead_of_shifting_columns() {
    // A2's goods text has an unquoted comma: every later cell moves one
    // column right, and its importer would be listed as a declarant.
    let text = "Decl,Found,Goods,Importer,Declarant\n\
                A1,1,shoes,IMP-1,DEC-1\n\
                A2,1,bolts, nuts,IMP-2,DEC-2\n\
                A3,1,\"bolts, nuts\",IMP-3,DEC-3\n";
    let (out, err, code) = derive_file(
        "shift.csv",
        text,
        &["--by", "Declarant", "--min-count", "1", "--min-rate", "0"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(entries(&out), ["DEC-1", "DEC-3"]);
    assert!(
        err.contains("shift.csv:3: expected 5 cells as in the header, found 6"),
        "{err}"
    );
    assert!(
        out.contains("# rejected: 1 declarations could not be read\n"),
        "{out}"
    );
    assert!(
        out.contains("# rows: 3 data rows, 2 read, 1 rejected\n"),
        "{out}"
    );
}

#[test]
fn a_stray_quote_rejects_its_row_and_no_other() {
    // Row 12 (line 13) opens a quote it never closes: before, the rest of
    // the file became one cell and 11 declarations were read, exit 0.
    let mut text = String::from("Decl,Found,Goods,Importer\n");
    for i in 1..=2_000 {
        let goods = if i == 12 { "\"shoes" } else { "shoes" };
        text.push_str(&format!("A{i},1,{goods},IMP-{}\n", i % 7));
    }
    let (out, err, code) = derive_file(
        "quote.csv",
        &text,
        &["--by", "Importer", "--min-count", "1", "--min-rate", "0"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("quote.csv:13: column `Goods` opens a quote that is not closed on this line"),
        "{err}"
    );
    assert!(
        out.contains("# counts: 1999 declarations, 1999 with a result"),
        "{out}"
    );
    assert!(
        out.contains("# rows: 2000 data rows, 1999 read, 1 rejected\n"),
        "{out}"
    );
    assert_eq!(entries(&out).len(), 7);
}

#[test]
fn an_output_file_that_cannot_be_written_is_an_error() {
    let (out, err, code) = derive(&["--by", "Importer", "--output", "/nonexistent-dir/risky.txt"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("cannot write `/nonexistent-dir/risky.txt`"),
        "{err}"
    );
}

#[test]
fn values_that_cannot_be_entries_are_warned_about() {
    let text = "{\"id\": \"J1\", \"found\": 1, \"importer\": \"#7\"}\n\
                {\"id\": \"J2\", \"found\": 1, \"importer\": \"IMP\\u200b1\"}\n\
                {\"id\": \"J3\", \"found\": 1, \"importer\": true}\n\
                {\"id\": \"J4\", \"found\": 1, \"importer\": \"IMP-4\"}\n";
    let dir = std::env::temp_dir().join(format!("semaforo-lists-{}-skip", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("h.jsonl");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(BIN)
        .args(["lists", "derive", "--input"])
        .arg(&path)
        .args(["--outcome", "found", "--by", "importer", "--min-count", "1"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(entries(&stdout), ["IMP-4"]);
    assert!(
        stdout.contains("# skipped: 3 values that cannot be list entries"),
        "{stdout}"
    );
    for (line, what) in [(1, "`#`"), (2, "U+200B"), (3, "a bool")] {
        assert!(
            stderr.contains(&format!("h.jsonl:{line}: ")) && stderr.contains(what),
            "{stderr}"
        );
    }
}

#[test]
fn several_by_make_composite_keys_joined_with_a_bar() {
    // Importer|HS per declaration (A8's two rows give two keys, each with
    // the declaration's result, a finding): IMP-1|6403 2 of 2, IMP-1|8471
    // 0 of 1, IMP-2|6403 1 of 1, IMP-2|8471 0 of 1, IMP-3|6402 1 of 1 (A7
    // not inspected), IMP-4|6402 and IMP-4|8471 1 of 1.
    let (out, err, code) = derive(&[
        "--by",
        "Importer",
        "--by",
        "HS",
        "--min-count",
        "1",
        "--min-rate",
        "1",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        entries(&out),
        [
            "IMP-1|6403",
            "IMP-2|6403",
            "IMP-3|6402",
            "IMP-4|6402",
            "IMP-4|8471"
        ]
    );
    assert!(out.contains("# by: Importer | HS\n"), "{out}");
    assert!(out.contains("7 distinct values, 5 kept"), "{out}");
    let (out, _, _) = derive(&[
        "--by",
        "Importer",
        "--by",
        "HS",
        "--min-count",
        "2",
        "--min-rate",
        "0.5",
    ]);
    assert_eq!(entries(&out), ["IMP-1|6403"]);
}

#[test]
fn max_rate_lists_low_risk_values() {
    // IMP-1 2 of 3, IMP-2 1 of 2, IMP-3 1 of 1, IMP-4 1 of 1.
    let (out, err, code) = derive(&["--by", "Importer", "--min-count", "1", "--max-rate", "0.5"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(entries(&out), ["IMP-2"]);
    assert!(
        out.contains("at least 1 inspected declarations, finding rate at most 0.5\n"),
        "{out}"
    );
    // Both bounds; composite keys with no finding (trusted pairs).
    let (out, _, _) = derive(&[
        "--by",
        "Importer",
        "--min-count",
        "1",
        "--min-rate",
        "0.5",
        "--max-rate",
        "0.7",
    ]);
    assert_eq!(entries(&out), ["IMP-1", "IMP-2"]);
    assert!(out.contains("finding rate from 0.5 to 0.7\n"), "{out}");
    let (out, _, _) = derive(&[
        "--by",
        "Importer",
        "--by",
        "HS",
        "--min-count",
        "1",
        "--max-rate",
        "0",
    ]);
    assert_eq!(entries(&out), ["IMP-1|8471", "IMP-2|8471"]);
    let (_, err, code) = derive(&["--by", "Importer", "--max-rate", "1.5"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("`--max-rate 1.5`"), "{err}");
}

#[test]
fn composite_keys_report_empty_parts_and_parts_with_a_bar() {
    let text = "Decl,Found,Importer,Declarant\n\
                A1,1,IMP-1,DEC-1\n\
                A2,1,IMP-2,\n\
                A3,1,IMP|3,DEC-3\n\
                A4,0,IMP-1,DEC-1\n";
    let (out, err, code) = derive_file(
        "composite.csv",
        text,
        &[
            "--by",
            "Importer",
            "--by",
            "Declarant",
            "--min-count",
            "1",
            "--min-rate",
            "0",
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(entries(&out), ["IMP-1|DEC-1"]);
    assert!(
        err.contains("warning: ") && err.contains("composite.csv:3: `Declarant` is empty"),
        "{err}"
    );
    assert!(
        err.contains("error: ") && err.contains("composite.csv:4: `Importer` is \"IMP|3\""),
        "{err}"
    );
    assert!(
        out.contains("# left out: 1 rows with an empty key part\n"),
        "{out}"
    );
    assert!(
        out.contains("# left out: 1 rows with `|` in a key part\n"),
        "{out}"
    );
    // One `--by`: a `|` is plain text, as before.
    let (out, _, code) = derive_file(
        "single.csv",
        text,
        &["--by", "Importer", "--min-count", "1", "--min-rate", "0"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(entries(&out), ["IMP-1", "IMP-2", "IMP|3"]);
}
