//! The CLI's streaming input layer (`crates/semaforo-cli/src/input/`),
//! checked against reading the whole input at once. The first input byte
//! picks the format (JSON document, JSON Lines, CSV), the second and third
//! the batch size (units) and the size of each read, so reads end anywhere:
//! inside a string, an escape, a multi-byte character, a CRLF, a quoted CSV
//! cell. The target checks that:
//!
//! - reading ends (every batch hands out a unit or the input is done) and
//!   never panics;
//! - a JSON document that is an array gives exactly the elements, lines and
//!   error of `semaforo::json::split_array` on the whole input, and stops
//!   at the first element over the cap (more than `CAP` bytes); after a
//!   break, the elements of the batch holding it are not handed
//!   out (the ones handed out are the first ones);
//! - JSON Lines give exactly the lines that are not blank, with their
//!   numbers, each cut to one byte past the per-declaration cap;
//! - CSV gives exactly the rows of `CsvTable::parse` on the whole input
//!   (line, cells or problem), grouped by the key column as `CsvTable::group`
//!   groups them, whatever the batch boundaries.
//!
//! The CLI crate is a binary, so its modules are mounted here by path.
#![no_main]

#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/semaforo-cli/src/csv_input.rs"]
mod csv_input;

#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/semaforo-cli/src/input/mod.rs"]
mod input;

use csv_input::CsvTable;
use input::{Batch, Format, Limits, Reader};
use libfuzzer_sys::fuzz_target;

/// The per-declaration cap used here: small, so that lines and elements
/// over it are common.
const CAP: usize = 300;

fn line_of(input: &[u8], offset: usize) -> u64 {
    1 + input
        .get(..offset.min(input.len()))
        .unwrap_or_default()
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
}

/// Every unit as (line, bytes), or the error that ended the input.
fn stream(data: &[u8], format: Format, units: usize, read: usize, key: bool) -> Stream {
    let limits = Limits {
        units,
        bytes: 1 << 16,
        read,
        unit: CAP,
    };
    let src = Box::new(std::io::Cursor::new(data.to_vec()));
    let mut r = match Reader::from_read(src, "fuzz".into(), format, limits) {
        Ok(r) => r,
        Err(e) => return Stream::Refused(e),
    };
    if key {
        r.set_csv_key(Some(0));
    }
    let mut batch = Batch::default();
    let mut out = Vec::new();
    // Every batch but the last hands out at least one unit, and there are
    // at most as many units as bytes (plus one for an empty document).
    for _ in 0..data.len() + 2 {
        match r.next_batch(&mut batch) {
            Ok(false) => return Stream::Units(out),
            Ok(true) => {
                assert!(!batch.is_empty(), "a batch reported with no unit");
                for i in 0..batch.len() {
                    match batch.json_unit(i) {
                        Some((line, bytes)) => out.push(Unit::Json(line, bytes.to_vec())),
                        None => {
                            let g = batch.groups.get(i).cloned().unwrap_or_default();
                            let rows = batch
                                .table
                                .rows
                                .get(g)
                                .unwrap_or_default()
                                .iter()
                                .map(|row| row_of(&batch.table, row))
                                .collect();
                            out.push(Unit::Csv(rows));
                        }
                    }
                }
            }
            Err(e) => return Stream::Failed(out, e),
        }
    }
    panic!("reading did not end after {} batches", data.len() + 2);
}

#[derive(Debug, PartialEq)]
enum Unit {
    Json(u64, Vec<u8>),
    /// Rows: line, and the cells or the problem.
    Csv(Vec<(u64, Result<Vec<Vec<u8>>, String>)>),
}

#[derive(Debug, PartialEq)]
enum Stream {
    Units(Vec<Unit>),
    /// The units before the error, and the error.
    Failed(Vec<Unit>, String),
    /// The input was refused before any unit (a bad CSV header).
    Refused(String),
}

fn row_of(t: &CsvTable, row: &csv_input::Row) -> (u64, Result<Vec<Vec<u8>>, String>) {
    match t.problem(row) {
        Some(p) => (row.line, Err(p.to_string())),
        None => {
            let n = t.headers.len();
            let cells = (0..n)
                .map(|c| t.cell(row, c).unwrap_or_default().to_vec())
                .collect();
            (row.line, Ok(cells))
        }
    }
}

fn check_json(data: &[u8], got: &Stream) {
    if !data.iter().any(|b| !b.is_ascii_whitespace()) {
        return;
    }
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'[') {
        // One document: one unit, the whole input cut to the cap.
        let end = data.len().min(CAP + 1);
        assert_eq!(
            got,
            &Stream::Units(vec![Unit::Json(1, data[..end].to_vec())]),
            "one document"
        );
        return;
    }
    let mut want = Vec::new();
    for item in semaforo::json::split_array(data) {
        match item {
            Ok((off, bytes)) => {
                if bytes.len() > CAP {
                    // The stream stops at an element over the cap; the
                    // whole-input splitter has no cap.
                    match got {
                        Stream::Failed(units, e) => {
                            assert!(want.starts_with(units), "before an element over the cap");
                            assert!(e.contains("larger than"), "{e}");
                            return;
                        }
                        other => panic!("an element over the cap was handed out: {other:?}"),
                    }
                }
                want.push(Unit::Json(line_of(data, off), bytes.to_vec()));
            }
            Err(e) => {
                // The batch holding the break is not handed out (the
                // commands then stop, as they did when nothing was): the
                // units handed out are the first ones, the error the same.
                let line = line_of(data, e.offset);
                match got {
                    Stream::Failed(units, msg) => {
                        assert!(want.starts_with(units), "{units:?} are not the first of {want:?}");
                        // The broken element may pass the cap before its
                        // break is read: then the cap is what is reported,
                        // at a line no later than the break's.
                        let capped = msg
                            .strip_prefix("line ")
                            .and_then(|m| m.split_once(": an array element larger than"))
                            .and_then(|(l, _)| l.parse::<u64>().ok())
                            .is_some_and(|l| l <= line);
                        if !capped {
                            assert_eq!(msg, &format!("line {line}: {e}"), "a broken array");
                        }
                    }
                    other => panic!("a broken array was read whole: {other:?}"),
                }
                return;
            }
        }
    }
    assert_eq!(got, &Stream::Units(want), "an array");
}

fn check_jsonl(data: &[u8], got: &Stream) {
    let mut want = Vec::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let end = line.len().min(CAP + 1);
        want.push(Unit::Json(i as u64 + 1, line[..end].to_vec()));
    }
    assert_eq!(got, &Stream::Units(want), "JSON Lines");
}

fn check_csv(data: &[u8], got: &Stream, key: bool) {
    let whole = match CsvTable::parse(data) {
        Ok(t) => t,
        Err(e) => {
            // The header is read the same way: refused alike.
            assert!(matches!(got, Stream::Refused(_)), "header refused whole ({e}) but not streamed: {got:?}");
            return;
        }
    };
    // A line over the cap ends the stream; the whole parse has no cap.
    let long = data
        .split(|b| *b == b'\n')
        .any(|l| l.len() > CAP);
    if long {
        return;
    }
    let groups = if key {
        whole.group(Some(0))
    } else {
        (0..whole.rows.len()).map(|i| i..i + 1).collect()
    };
    let want: Vec<Unit> = groups
        .into_iter()
        .map(|g| {
            Unit::Csv(
                whole
                    .rows
                    .get(g)
                    .unwrap_or_default()
                    .iter()
                    .map(|row| row_of(&whole, row))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(got, &Stream::Units(want), "CSV");
}

fuzz_target!(|input: &[u8]| {
    let [f, u, r, data @ ..] = input else {
        return;
    };
    let units = 1 + usize::from(*u % 8);
    let read = 1 + usize::from(*r % 64);
    match f % 4 {
        0 => check_json(data, &stream(data, Format::Json, units, read, false)),
        1 => check_jsonl(data, &stream(data, Format::Jsonl, units, read, false)),
        k => {
            let key = k == 3;
            check_csv(data, &stream(data, Format::Csv, units, read, key), key);
        }
    }
});
