//! Runs every `tests/data/*.sem` file through the parser and checks the
//! outcome its first line announces: `# expect: ok` or
//! `# expect: E0001 at LINE:COL` (the first diagnostic's code and start).
//! A file without the header must parse. Files that parse must also survive
//! formatting: the output parses back to the same AST and is a fixed point.

use semaforo_syntax::{FileId, ast::strip_spans, format, line_col, parse};

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
        let expect = src
            .lines()
            .next()
            .map(|l| l.trim_start_matches('\u{feff}'))
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or("ok")
            .trim()
            .to_owned();
        let got = match parse(&src, FileId(0)) {
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
                "ok".to_owned()
            }
            Err(diags) => {
                let d = &diags[0];
                let (line, col) = line_col(&src, d.span.start);
                assert!(!d.message.contains("Rule::"), "{name}: {}", d.message);
                assert!(!d.message.ends_with('.'), "{name}: {}", d.message);
                format!("{} at {line}:{col}", d.code)
            }
        };
        if got != expect {
            failures.push(format!("{name}: expected {expect}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
