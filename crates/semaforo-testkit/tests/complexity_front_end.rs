//! The front end's time grows linearly with its input: each test checks an
//! input of size `n` and one of size `10 n` with
//! `semaforo_testkit::complexity::assert_linear` (thread CPU time, sizes
//! grown until the small run takes 20 ms, the fastest of several runs, one
//! measurement at a time). Parsing is not timed.
//!
//! Every case is a regression test of a reliability issue:
//!
//! - positions of many diagnostics in one long file (`line_col` rescanned
//!   the file per diagnostic; now `LineIndex`);
//! - schema fields (duplicate fields were found by a linear scan per field,
//!   and record fields by one per access);
//! - list literals with many duplicate entries (one W0004 per value);
//! - lanes (a linear scan per lane and per lane reference).

#![expect(
    clippy::unwrap_used,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use std::fmt::Write as _;

use semaforo_compile::check::check;
use semaforo_syntax::ast::SourceFile;
use semaforo_syntax::{FileId, LineIndex, parse};
use semaforo_testkit::complexity::assert_linear;

/// A source text and its syntax tree.
struct Parsed {
    src: String,
    file: SourceFile,
}

fn parsed(src: String) -> Parsed {
    let file = parse(&src, FileId(0)).unwrap();
    Parsed { src, file }
}

/// Checks one file and places every diagnostic as a renderer would;
/// returns the number of diagnostics. Parsing is not timed: its time is
/// linear too, but its memory traffic makes the measure noisier.
fn check_and_locate(p: &Parsed) -> usize {
    let checked = check(std::slice::from_ref(&p.file));
    let lines = LineIndex::new(&p.src);
    let mut last = (0, 0);
    for d in &checked.diagnostics {
        last = last.max(lines.line_col(d.span.start));
        for l in &d.labels {
            last = last.max(lines.line_col(l.span.start));
        }
    }
    assert!(last.0 > 0 || checked.diagnostics.is_empty());
    checked.diagnostics.len()
}

const HEADER: &str = "ruleset \"t\" version \"1\"\nschema declaration {\n  key id: text\n  value: number\n  origin: text\n}\n";

#[test]
fn diagnostics_of_a_long_file_are_placed_in_linear_time() {
    // Two diagnostics per rule, one rule a line: a rounded literal (W0001)
    // and a misspelt field (E0202, with a suggestion).
    let make = |n: usize| {
        let mut s = String::from(HEADER);
        for i in 0..n {
            writeln!(
                s,
                "rule R{i} \"ñandú {i}\" {{ when value > 1.00000001 and orign == \"CN\" then score 1 }}"
            )
            .unwrap();
        }
        s
    };
    assert_eq!(check_and_locate(&parsed(make(3))), 6);
    // About 95 bytes a rule: `10 n` stays below the 16 MiB file limit.
    assert_linear(
        "diagnostics",
        500,
        16_000,
        |n| parsed(make(n)),
        |p| {
            check_and_locate(p);
        },
    );
}

#[test]
fn checking_is_linear_in_schema_fields() {
    // `n` fields in the schema and in a record, each read by a rule.
    let make = |n: usize| {
        let mut s = String::from(
            "ruleset \"t\" version \"1\"\nschema declaration {\n  key id: text\n  items: [item]\n",
        );
        for i in 0..n {
            writeln!(s, "  field_{i}: number").unwrap();
        }
        s.push_str("}\nrecord item {\n");
        for i in 0..n {
            writeln!(s, "  part_{i}: number").unwrap();
        }
        s.push_str("}\n");
        for i in 0..n {
            writeln!(
                s,
                "rule R{i} \"r\" {{ when field_{i} > 1 and any(it in items: it.part_{i} > 2) then score 1 }}"
            )
            .unwrap();
        }
        s
    };
    assert_eq!(check_and_locate(&parsed(make(3))), 0);
    // About 140 bytes per `n`: `10 n` stays below the 16 MiB file limit.
    assert_linear(
        "schema fields",
        250,
        10_000,
        |n| parsed(make(n)),
        |p| {
            check_and_locate(p);
        },
    );
}

#[test]
fn checking_is_linear_in_duplicate_list_entries() {
    // A declared list and an inline list of `n` entries each, nine in ten
    // of them repeats: one W0004 per repeated value.
    let make = |n: usize| {
        let distinct = (n / 10).max(1);
        let entries = |quote: bool| {
            let mut out = String::new();
            for i in 0..n {
                if i > 0 {
                    out.push_str(", ");
                }
                if quote {
                    write!(out, "\"IMP{:07}\"", i % distinct).unwrap();
                } else {
                    write!(out, "{}", i % distinct).unwrap();
                }
            }
            out
        };
        format!(
            "{HEADER}list importers = [{}]\nrule R1 \"r\" {{ when id in importers and value in [{}] then score 1 }}\n",
            entries(true),
            entries(false)
        )
    };
    assert_eq!(check_and_locate(&parsed(make(30))), 6);
    assert_linear(
        "duplicate list entries",
        1000,
        16_000,
        |n| parsed(make(n)),
        |p| {
            check_and_locate(p);
        },
    );
}

#[test]
fn checking_is_linear_in_lanes() {
    // `n` lanes, each with a threshold and a rule that sets it; at most
    // `MAX_LANES` in the large input.
    let make = |n: usize| {
        let mut s = String::from(HEADER);
        s.push_str("lanes ");
        for i in 0..n {
            if i > 0 {
                s.push_str(", ");
            }
            write!(s, "lane_{i}").unwrap();
        }
        s.push('\n');
        for i in 1..n {
            writeln!(s, "threshold lane_{i} {i}").unwrap();
        }
        for i in 0..n {
            writeln!(s, "rule R{i} \"r\" {{ then lane lane_{i} }}").unwrap();
        }
        s
    };
    assert_eq!(check_and_locate(&parsed(make(3))), 0);
    assert_linear(
        "lanes",
        250,
        semaforo_compile::check::MAX_LANES / 10,
        |n| parsed(make(n)),
        |p| {
            check_and_locate(p);
        },
    );
}
