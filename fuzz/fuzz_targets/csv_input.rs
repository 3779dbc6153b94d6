//! The CLI's CSV readers (`backtest`'s declarations with a column mapping,
//! `lists derive`'s labelled values), checked for meaning, not only for
//! panics. The input is an optional mapping file, a NUL byte, then the CSV
//! file (without a NUL byte, all of it is the CSV file and the columns map
//! by name). The target checks that:
//!
//! - every data row of the file is accounted for: the rows the reader keeps
//!   are exactly the lines after the header that are not blank, counted
//!   here by an independent oracle, with their line numbers; rows read +
//!   rows rejected = data rows;
//! - a row that is read has exactly the cells an independent per-line
//!   parser finds on its own line, as many as the header names: an
//!   unreadable row never shifts the columns of another;
//! - a row is rejected only for a reason of its own line, or because a
//!   quote left open on an earlier line may end on it;
//! - grouped by the key column, declarations partition the rows; a
//!   declaration with a rejected row is rejected by both `backtest` and
//!   `lists derive`; one that fails to bind or evaluate leaves no outcome,
//!   and one that is evaluated has the key of its first row;
//! - `lists derive` reads each row's `by` cell as the oracle does.
//!
//! The CLI crate is a binary, so its CSV module is mounted here by path;
//! it depends on nothing of the CLI but the `semaforo` facade.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/semaforo-cli/src/csv_input.rs"]
mod csv_input;

use csv_input::{CsvBinder, CsvTable, Mapping, labelled_cells};
use libfuzzer_sys::fuzz_target;
use semaforo::{Compiler, Context, Date, Ruleset};
use std::sync::OnceLock;

const RULES: &str = r#"ruleset "csv" version "1"
lanes green, yellow, red
threshold red 50
record item {
  hs: text
  qty: number?
}
schema declaration {
  key id: text
  origin: text
  value: number?
  aeo: bool?
  date: date?
  items: [item]
}
rule ORIG "origin" { when origin == "CN" then score 30 }
rule SHOE "shoes" { when any(it in items: it.hs starts with "6403") then lane red }
rule BIG "big" { when value > 1000 then score 20 }
"#;

fn ruleset() -> &'static Ruleset {
    static R: OnceLock<Ruleset> = OnceLock::new();
    R.get_or_init(|| {
        let mut c = Compiler::new();
        c.add_source("rules.sem", RULES);
        match c.compile() {
            Ok(r) => r,
            Err(e) => panic!("the target's ruleset does not compile: {e}"),
        }
    })
}

/// The oracle's reading of one line: its cells, or `None` if a quote is
/// not closed or a closing quote is followed by text. Written as a state
/// machine over bytes, independently of the reader's cell splitter.
fn oracle_cells(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    enum St {
        Start,
        Plain,
        Quoted,
        AfterQuote,
    }
    let mut cells = Vec::new();
    let mut cur = Vec::new();
    let mut st = St::Start;
    for &b in line {
        st = match (st, b) {
            (St::Start, b'"') => St::Quoted,
            (St::Start | St::Plain | St::AfterQuote, b',') => {
                cells.push(std::mem::take(&mut cur));
                St::Start
            }
            (St::Start | St::Plain, b) => {
                cur.push(b);
                St::Plain
            }
            (St::Quoted, b'"') => St::AfterQuote,
            (St::Quoted, b) => {
                cur.push(b);
                St::Quoted
            }
            (St::AfterQuote, b'"') => {
                cur.push(b'"');
                St::Quoted
            }
            (St::AfterQuote, _) => return None,
        };
    }
    match st {
        St::Quoted => None,
        _ => {
            cells.push(cur);
            Some(cells)
        }
    }
}

/// Whether the oracle refuses a cell's text: not UTF-8, or a character
/// the charset policy refuses.
fn oracle_bad_text(cell: &[u8]) -> bool {
    match std::str::from_utf8(cell) {
        Err(_) => true,
        Ok(s) => s
            .chars()
            .any(|c| semaforo::charset::text_problem(c).is_some()),
    }
}

/// One data line as the oracle sees it.
struct Line<'a> {
    number: u64,
    text: &'a [u8],
}

/// The data lines of a CSV file: after a BOM and the header line, every
/// line (`\n`-separated, one `\r` stripped) that is not blank.
fn oracle_lines(csv: &[u8]) -> Vec<Line<'_>> {
    let csv = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    let mut out = Vec::new();
    let mut number = 0u64;
    let mut rest = csv;
    loop {
        number += 1;
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if number > 1 && !line.iter().all(|b| b.is_ascii_whitespace()) {
            out.push(Line { number, text: line });
        }
        match next {
            Some(n) => rest = n,
            None => return out,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (map_text, csv) = match data.iter().position(|&b| b == 0) {
        Some(i) => (Some(&data[..i]), &data[i + 1..]),
        None => (None, data),
    };
    let Ok(table) = CsvTable::parse(csv) else {
        return;
    };
    let lines = oracle_lines(csv);

    // Every data line is a row, in order, with its line number.
    assert_eq!(table.rows.len(), lines.len(), "rows kept != data lines");
    let (mut read, mut rejected) = (0usize, 0usize);
    // Whether the last line with a quote in it left a quoted cell open, as
    // the oracle sees it.
    let mut open_quote = false;
    let ncols = table.headers.len();
    for (row, line) in table.rows.iter().zip(&lines) {
        assert_eq!(row.line, line.number, "row and line numbers differ");
        let own = oracle_cells(line.text);
        let own_ok = own
            .as_ref()
            .is_some_and(|c| c.len() == ncols && !c.iter().any(|c| oracle_bad_text(c)));
        let continues = open_quote && line.text.contains(&b'"');
        match table.problem(row) {
            None => {
                read += 1;
                let cells: Vec<&[u8]> = (0..ncols)
                    .map(|c| {
                        table
                            .cell(row, c)
                            .unwrap_or_else(|| panic!("line {}: no cell {c}", row.line))
                    })
                    .collect();
                assert!(
                    table.cell(row, ncols).is_none(),
                    "line {}: a cell past the header",
                    row.line
                );
                let own = own
                    .as_ref()
                    .unwrap_or_else(|| panic!("line {}: read, but the oracle cannot", row.line));
                assert_eq!(
                    cells,
                    own.iter().map(Vec::as_slice).collect::<Vec<_>>(),
                    "line {}: cells differ from the line's own",
                    row.line
                );
                assert!(own_ok, "line {}: read, but the oracle refuses it", row.line);
                assert!(
                    !continues,
                    "line {}: may close an open quote, but read",
                    row.line
                );
            }
            Some(_) => {
                rejected += 1;
                assert!(
                    !own_ok || continues,
                    "line {}: rejected for no reason of its own",
                    row.line
                );
            }
        }
        if own.is_none() {
            // An unclosed quote (or text after a closing one, which the
            // oracle does not tell apart: decide by the last quote).
            open_quote = unclosed(line.text);
        } else if line.text.contains(&b'"') {
            open_quote = false;
        }
    }
    assert_eq!(rejected, table.rejected_rows(), "rejected rows miscounted");
    assert_eq!(
        read + rejected,
        lines.len(),
        "rows read + rows rejected != data rows"
    );

    // Declarations by key: `backtest`.
    let mut mapping = Mapping::default();
    if let Some(text) = map_text {
        let Ok(text) = std::str::from_utf8(text) else {
            return;
        };
        if mapping.add_file("map.txt", text).is_err() {
            return;
        }
    }
    let ruleset = ruleset();
    let outcome_col = table
        .headers
        .iter()
        .any(|h| h == "result")
        .then_some("result");
    let ctx = Context::new(
        Date::parse("2026-06-01").unwrap_or_else(|| panic!("date")),
        Default::default(),
        "k",
    );
    if let Ok(binder) = CsvBinder::new(ruleset, &table, &mapping, outcome_col) {
        let key = binder.key_col();
        let groups = table.group(Some(key));
        check_partition(&groups, table.rows.len());
        let mut ev = ruleset.evaluator();
        let mut warnings = Vec::new();
        // Declarations are evaluated in turn with one evaluator, so the
        // previous declaration's outcome would show if a rejected one kept it.
        for g in &groups {
            let result = binder.evaluate(&table, g.clone(), &mut ev, &ctx, &mut warnings);
            let any_rejected = table.first_problem(g.clone()).is_some();
            match result {
                Err(_) => assert!(
                    ev.outcome().is_none(),
                    "a rejected declaration has an outcome"
                ),
                Ok(_) => {
                    assert!(
                        !any_rejected,
                        "a declaration with a rejected row was evaluated"
                    );
                    assert!(
                        ev.outcome().is_some(),
                        "an evaluated declaration has no outcome"
                    );
                    let first = &table.rows[g.start];
                    let k = table.cell(first, key).unwrap_or_default();
                    assert_eq!(
                        ev.declaration().key().as_bytes(),
                        k,
                        "key of line {}",
                        first.line
                    );
                }
            }
        }
    }

    // `lists derive`: by the last column, labelled by the first, grouped
    // by the key column when there is one.
    if ncols > 0 {
        let by = ncols - 1;
        let key = table.column("id");
        let groups = match key {
            Some(k) => table.group(Some(k)),
            None => (0..table.rows.len()).map(|i| i..i + 1).collect(),
        };
        check_partition(&groups, table.rows.len());
        for g in &groups {
            let any_rejected = table.first_problem(g.clone()).is_some();
            if let Ok((_, cells)) = labelled_cells(&table, g.clone(), by, 0, "first") {
                assert!(!any_rejected, "`lists derive` read a rejected row");
                assert_eq!(cells.len(), g.len(), "a row without its `by` cell");
                for ((line, cell), i) in cells.iter().zip(g.clone()) {
                    let l = &lines[i];
                    assert_eq!(*line, l.number);
                    let own = oracle_cells(l.text).unwrap_or_default();
                    assert_eq!(
                        Some(*cell),
                        own.get(by).map(Vec::as_slice),
                        "line {line}: `by` cell"
                    );
                }
            } else {
                // Rejected declarations are reported, not dropped: the
                // caller counts each `Err` once.
            }
        }
    }
});

/// Whether a line leaves a quoted cell open at its end, by a second
/// reading: cells start after a comma outside quotes.
fn unclosed(line: &[u8]) -> bool {
    let mut in_quotes = false;
    let mut at_start = true;
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        if in_quotes {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                    // Text after a closing quote ends the reading here: the
                    // reader reports it, not an open quote.
                    if !matches!(line.get(i + 1), None | Some(b',')) {
                        return false;
                    }
                }
            }
        } else if at_start && b == b'"' {
            in_quotes = true;
        }
        at_start = !in_quotes && b == b',';
        i += 1;
    }
    in_quotes
}

/// Groups are consecutive, non-empty and cover every row exactly once.
fn check_partition(groups: &[std::ops::Range<usize>], rows: usize) {
    let mut next = 0;
    for g in groups {
        assert_eq!(g.start, next, "groups skip or repeat rows");
        assert!(g.end > g.start, "an empty group");
        next = g.end;
    }
    assert_eq!(next, rows, "groups do not cover every row");
}
