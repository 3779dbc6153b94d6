//! Data-driven tests of the checker: every `tests/data/check/*.sem` file
//! starts with `# expect: CODE at LINE:COL` lines (the primary span's start,
//! 1-based, column in characters) or `# expect: ok`, and the checker must
//! report exactly that multiset of diagnostics. A line `#--- file` starts
//! the next source file of the same ruleset (packages and overrides need
//! several); positions are lines of the whole data file.

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
        // The data file's parts, each a source file, with the line each
        // part starts on.
        let mut parts: Vec<(String, u32)> = vec![(String::new(), 0)];
        for (n, line) in source.split_inclusive('\n').enumerate() {
            if line.trim_end() == "#--- file" {
                parts.push((String::new(), n as u32 + 1));
            } else if let Some(last) = parts.last_mut() {
                last.0.push_str(line);
            }
        }
        let mut files = Vec::new();
        let mut parse_failed = false;
        for (i, (text, _)) in parts.iter().enumerate() {
            match semaforo_syntax::parse(text, FileId(i as u32)) {
                Ok(file) => files.push(file),
                Err(diags) => {
                    failures.push(format!("{name}: part {i} does not parse: {diags:?}"));
                    parse_failed = true;
                }
            }
        }
        if parse_failed {
            continue;
        }
        let checked = check(&files);
        let indexes: Vec<LineIndex> = parts.iter().map(|(t, _)| LineIndex::new(t)).collect();
        let line_col = |d: &semaforo_syntax::Diagnostic| -> (u32, u32) {
            let part = d.span.file.0 as usize;
            let (l, c) = indexes[part].line_col(d.span.start);
            // A part's lines count every line of the data file before it.
            (l + parts[part].1, c)
        };
        let mut actual: Vec<(String, u32, u32)> = checked
            .diagnostics
            .iter()
            .map(|d| {
                let (l, c) = line_col(d);
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
                    let (l, c) = line_col(d);
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
