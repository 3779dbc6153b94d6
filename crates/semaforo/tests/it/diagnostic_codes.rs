//! The diagnostics registry (`semaforo_syntax::codes`), the documentation
//! (`docs/diagnostics.md`) and the source code agree:
//!
//! - every registered code has a `### CODE — title` entry in the docs with
//!   the registry's title, and every such entry is registered;
//! - every code written as a string literal (`"E0202"`) in the source of
//!   any crate (`crates/*/src`) is registered and not retired, and every
//!   registered code that is not retired is written somewhere, so the
//!   registry names exactly the codes the library can report;
//! - every code the checker reports has a data file in
//!   `crates/semaforo-compile/tests/data/check/` that expects it.

use semaforo_syntax::codes::{self, Category};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// True for `E` or `W` followed by four digits.
fn is_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5 && matches!(b[0], b'E' | b'W') && b[1..].iter().all(u8::is_ascii_digit)
}

/// The `### CODE — title` headings of `docs/diagnostics.md`.
fn documented() -> BTreeMap<String, String> {
    let docs = std::fs::read_to_string(repo().join("docs/diagnostics.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in docs.lines() {
        let Some(rest) = line.strip_prefix("### ") else {
            continue;
        };
        let (code, title) = rest
            .split_once(" — ")
            .unwrap_or_else(|| panic!("heading without ` — `: `{line}`"));
        assert!(
            is_code(code),
            "heading of something other than a code: `{line}`"
        );
        let old = out.insert(code.to_string(), title.to_string());
        assert!(old.is_none(), "{code} is documented twice");
    }
    out
}

#[test]
fn every_code_is_documented_with_its_title_and_every_entry_is_registered() {
    let docs = documented();
    let mut problems = Vec::new();
    for c in codes::ALL {
        match docs.get(c.code()) {
            None => problems.push(format!("{}: no `### {0} — ...` entry", c.code())),
            Some(t) if t != c.title() => problems.push(format!(
                "{}: documented as `{t}`, registered as `{}`",
                c.code(),
                c.title()
            )),
            Some(_) => {}
        }
    }
    for code in docs.keys() {
        if codes::lookup(code).is_none() {
            problems.push(format!(
                "{code}: documented but not in semaforo_syntax::codes::ALL"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `"E0123"`-shaped string literal in the source of every crate
/// (except the registry itself), with where it was found.
fn codes_in_source() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(repo().join("crates")).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    files.sort();
    assert!(files.len() > 20, "found only {} source files", files.len());
    let registry = repo().join("crates/semaforo-syntax/src/codes.rs");
    let mut found = BTreeMap::new();
    for path in files.iter().filter(|p| **p != registry) {
        let text = std::fs::read_to_string(path).unwrap();
        for (i, line) in text.lines().enumerate() {
            for piece in line.split('"').skip(1).step_by(2) {
                if is_code(piece) {
                    found
                        .entry(piece.to_string())
                        .or_insert_with(|| format!("{}:{}", path.display(), i + 1));
                }
            }
        }
    }
    found
}

#[test]
fn the_registry_names_exactly_the_codes_in_the_source() {
    let found = codes_in_source();
    // Not vacuous: codes of the parser, the checker, lowering and the
    // facade are all seen.
    for code in ["E0001", "E0202", "E0501", "E0606", "W0001"] {
        assert!(found.contains_key(code), "{code} not found in the source");
    }
    let mut problems = Vec::new();
    for (code, at) in &found {
        match codes::lookup(code) {
            None => problems.push(format!(
                "{at}: {code} is not in semaforo_syntax::codes::ALL"
            )),
            Some(c) if c.is_retired() => problems.push(format!("{at}: {code} is retired")),
            Some(_) => {}
        }
    }
    for c in codes::ALL {
        if !c.is_retired() && !found.contains_key(c.code()) {
            problems.push(format!(
                "{} is registered but no crate reports it: retire it",
                c.code()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_checker_code_has_a_data_file() {
    let dir = repo().join("crates/semaforo-compile/tests/data/check");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        all.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    // E0119 (more than `MAX_ITEMS` records, fields, lists, tables or rules)
    // needs billions of items: a unit test in the checker reaches it.
    // E0413 is reported by the facade's test runner, not the checker.
    // W0008 (a review date past) is reported by the facade, which knows the
    // check date: `packages::an_overdue_review_is_a_warning_with_the_date`.
    let exempt = ["E0119", "E0413", "W0008"];
    let checker = [
        Category::Structure,
        Category::Names,
        Category::Types,
        Category::Rules,
        Category::Warnings,
    ];
    let missing: Vec<&str> = codes::ALL
        .iter()
        .filter(|c| checker.contains(&c.category()) && !c.is_retired())
        .map(|c| c.code())
        .filter(|code| !exempt.contains(code))
        .filter(|code| !all.contains(&format!("# expect: {code} at")))
        .collect();
    assert!(missing.is_empty(), "no data file expects {missing:?}");
}
