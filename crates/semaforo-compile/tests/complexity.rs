//! The front end's time grows linearly with its input: each test checks an
//! input of size `n` and one of size `10 n` and fails when the time grows by
//! [`MAX_RATIO`] (30) times or more (a linear front end grows 10 to 20 times,
//! a quadratic one about 100 times).
//!
//! Time is the only measure that sees a quadratic loop of string
//! comparisons, so the tests are built to be robust to a busy machine: the
//! time is the thread's CPU time where Linux reports it (time spent waiting
//! for a core does not count), `n` grows until checking it takes at least
//! 20 ms (whatever the build profile), each size is timed more than once
//! and the fastest run counts, and the tests run one at a time (a lock), so
//! they do not slow each other down. Parsing is not timed.
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
use std::sync::Mutex;
use std::time::{Duration, Instant};

use semaforo_compile::check::check;
use semaforo_syntax::ast::SourceFile;
use semaforo_syntax::{FileId, LineIndex, parse};

/// The tests of this file run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The smallest time of the small input.
const TARGET: Duration = Duration::from_millis(20);

/// The largest accepted growth of the time from `n` to `10 n`. Linear code
/// grows about 10 times in theory, and up to about 19 times measured
/// (debug and release builds, on a loaded 2-core machine): the small input
/// fits in the caches and the large one does not. Quadratic code grows
/// about 100 times.
const MAX_RATIO: f64 = 30.0;

/// The CPU time this thread has run, where Linux tells it
/// (`/proc/thread-self/schedstat`, in nanoseconds): unlike wall time, it
/// does not count the time other processes of a busy machine hold the
/// cores.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The fastest of `runs` runs of `f`, in thread CPU time where available,
/// else in wall time.
fn fastest(runs: u32, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let (cpu, wall) = (thread_cpu_time(), Instant::now());
            f();
            match (cpu, thread_cpu_time()) {
                (Some(a), Some(b)) => b.saturating_sub(a),
                _ => wall.elapsed(),
            }
        })
        .min()
        .unwrap_or_default()
}

/// Times `work` on `make(n)` and `make(10 n)`, with `n` grown from
/// `start` (up to `max_n`) until the small input takes [`TARGET`], and
/// fails if the time grows 25 times or more.
fn assert_linear<T>(
    what: &str,
    start: usize,
    max_n: usize,
    make: impl Fn(usize) -> T,
    work: impl Fn(&T),
) {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut n = start;
    let input = loop {
        let input = make(n);
        let t = fastest(1, || work(&input));
        if t >= TARGET || n * 2 > max_n {
            break input;
        }
        // Straight to about the target (a power of two times `start`).
        let mut factor = 2;
        while factor < 64 && t * factor < TARGET {
            factor *= 2;
        }
        n = (n * factor as usize).min(max_n);
    };
    let small = fastest(3, || work(&input));
    drop(input);
    let big_input = make(10 * n);
    let big = fastest(2, || work(&big_input));
    let ratio = big.as_secs_f64() / small.as_secs_f64().max(1e-9);
    assert!(
        ratio < MAX_RATIO,
        "{what}: {n} -> {}: {small:?} -> {big:?} (x{ratio:.1}); linear time grows about x10, quadratic x100",
        10 * n
    );
}

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
