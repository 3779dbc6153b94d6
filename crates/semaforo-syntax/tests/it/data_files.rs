//! Runs every `tests/data/*.sem` file through the parser and checks the
//! outcome its header (the comment lines at its top) announces:
//!
//! - `# expect: ok`, or no `# expect:` line: the file parses;
//! - `# expect: E0001 at LINE:COL`, one line per diagnostic, in order: the
//!   file fails with exactly these diagnostics (code and start);
//! - `#   label LINE:COL TEXT` after an expect line: a secondary label of
//!   that diagnostic (every label must be listed, in order);
//! - `#   help TEXT` after an expect line: its help line (unchecked when
//!   absent).
//!
//! Files that parse must also survive formatting: the output parses back
//! to the same AST and is a fixed point.

use semaforo_syntax::{Diagnostic, FileId, ast::strip_spans, format, line_col, parse};

/// What the header of a data file expects of one diagnostic.
#[derive(Default)]
struct Expected {
    at: String,
    labels: Vec<String>,
    help: Option<String>,
}

fn header(src: &str) -> Vec<Expected> {
    let mut out: Vec<Expected> = Vec::new();
    for line in src.lines() {
        let line = line.trim_start_matches('\u{feff}');
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        if let Some(e) = comment.strip_prefix(" expect: ") {
            out.push(Expected {
                at: e.trim().to_owned(),
                ..Expected::default()
            });
        } else if let Some(l) = comment.trim_start().strip_prefix("label ") {
            if let Some(last) = out.last_mut() {
                last.labels.push(l.trim().to_owned());
            }
        } else if let Some(h) = comment.trim_start().strip_prefix("help ")
            && let Some(last) = out.last_mut()
        {
            last.help = Some(h.trim().to_owned());
        }
    }
    out.retain(|e| e.at != "ok");
    out
}

fn describe(src: &str, d: &Diagnostic) -> (String, Vec<String>) {
    let (line, col) = line_col(src, d.span.start);
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let (line, col) = line_col(src, l.span.start);
            format!("{line}:{col} {}", l.message)
        })
        .collect();
    (format!("{} at {line}:{col}", d.code), labels)
}

#[test]
fn data_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sem"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "too few data files in {}", dir.display());
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(path).unwrap();
        let expected = header(&src);
        match parse(&src, FileId(0)) {
            Ok(file) => {
                let out = format(&file);
                let again = parse(&out, FileId(0)).unwrap_or_else(|d| {
                    panic!("{name}: formatted output does not parse: {d:?}\n{out}")
                });
                assert_eq!(format(&again), out, "{name}: format is not idempotent");
                let (mut a, mut b) = (file, again);
                strip_spans(&mut a);
                strip_spans(&mut b);
                assert_eq!(a.items, b.items, "{name}: format changed the AST");
                if !expected.is_empty() {
                    failures.push(format!("{name}: expected errors, got ok"));
                }
            }
            Err(diags) => {
                let got: Vec<String> = diags.iter().map(|d| describe(&src, d).0).collect();
                let want: Vec<String> = expected.iter().map(|e| e.at.clone()).collect();
                if got != want {
                    failures.push(format!("{name}: expected {want:?}, got {got:?}"));
                    continue;
                }
                for (d, e) in diags.iter().zip(&expected) {
                    assert!(!d.message.contains("Rule::"), "{name}: {}", d.message);
                    assert!(!d.message.ends_with('.'), "{name}: {}", d.message);
                    let (at, labels) = describe(&src, d);
                    if labels != e.labels {
                        failures.push(format!(
                            "{name}: {at}: expected labels {:?}, got {labels:?}",
                            e.labels
                        ));
                    }
                    if e.help.is_some() && d.help != e.help {
                        failures.push(format!(
                            "{name}: {at}: expected help {:?}, got {:?}",
                            e.help, d.help
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
