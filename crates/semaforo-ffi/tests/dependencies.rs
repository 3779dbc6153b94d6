//! The C ABI wraps the facade's public API and nothing beneath it: among
//! the project's crates, `semaforo-ffi` depends on `semaforo` alone, so
//! what the C library needs is a deliberate part of the facade.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

use std::path::Path;

/// The package name of every crate under `crates/`.
fn project_crates(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{}: no package name", manifest.display()));
        names.push(name.to_string());
    }
    names
}

#[test]
fn depends_on_the_facade_alone() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = dir.join("../..");
    let crates = project_crates(&root);
    assert!(crates.iter().any(|c| c == "semaforo-plan"), "{crates:?}");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    // Every line of `[dependencies]` (and of any target-specific table of
    // dependencies, but not `[dev-dependencies]`), with comments removed.
    let mut section = String::new();
    let mut uses = Vec::new();
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        if line.is_empty() || !section.ends_with("dependencies]") || section.contains("dev-") {
            continue;
        }
        for name in &crates {
            let named = line.starts_with(&format!("{name} "))
                || line.starts_with(&format!("{name}."))
                || line.starts_with(&format!("{name}="))
                || line.contains(&format!("package = \"{name}\""));
            if named {
                uses.push(name.clone());
            }
        }
    }
    assert_eq!(uses, ["semaforo"], "project crates in [dependencies]");
}
