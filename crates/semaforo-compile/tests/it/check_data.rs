//! Data-driven tests of the checker: every `tests/data/check/*.sem` file
//! starts with `# expect: CODE at LINE:COL` lines (the primary span's start,
//! 1-based, column in characters) or `# expect: ok`, and the checker must
//! report exactly that multiset of diagnostics.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use std::fs;
use std::path::Path;

use semaforo_compile::check::check;
use semaforo_syntax::{FileId, LineIndex};

/// The expectations written at the top of a test file, sorted.
fn expectations(source: &str, name: &str) -> Vec<(String, u32, u32)> {
    let mut out = Vec::new();
    let mut ok = false;
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("# expect:") else {
            continue;
        };
        let rest = rest.trim();
        if rest == "ok" {
            ok = true;
            continue;
        }
        let (code, pos) = rest
            .split_once(" at ")
            .unwrap_or_else(|| panic!("{name}: bad expectation `{line}`"));
        let (l, c) = pos
            .split_once(':')
            .unwrap_or_else(|| panic!("{name}: bad position in `{line}`"));
        out.push((code.to_string(), l.parse().unwrap(), c.parse().unwrap()));
    }
    assert!(
        ok == out.is_empty(),
        "{name}: write either `# expect: ok` or at least one `# expect: CODE at L:C`, not both"
    );
    out.sort();
    out
}

#[test]
fn check_data_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sem"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 60,
        "expected the whole corpus, found {} files",
        paths.len()
    );
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let source = fs::read_to_string(path).unwrap();
        let expected = expectations(&source, &name);
        let file = match semaforo_syntax::parse(&source, FileId(0)) {
            Ok(file) => file,
            Err(diags) => {
                failures.push(format!("{name}: does not parse: {diags:?}"));
                continue;
            }
        };
        let checked = check(std::slice::from_ref(&file));
        let lines = LineIndex::new(&source);
        let mut actual: Vec<(String, u32, u32)> = checked
            .diagnostics
            .iter()
            .map(|d| {
                let (l, c) = lines.line_col(d.span.start);
                (d.code.to_string(), l, c)
            })
            .collect();
        actual.sort();
        let has_error = checked.diagnostics.iter().any(|d| d.is_error());
        if checked.program.is_some() == has_error {
            failures.push(format!(
                "{name}: program must be built iff there is no error"
            ));
        }
        if actual != expected {
            let detail: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| {
                    let (l, c) = lines.line_col(d.span.start);
                    format!("    {} at {l}:{c}: {} ({:?})", d.code, d.message, d.help)
                })
                .collect();
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}\n{}",
                detail.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
