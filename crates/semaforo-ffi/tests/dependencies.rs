//! The C ABI, the command and the Python package use the facade's public
//! API and nothing beneath it: among the project's crates each depends on
//! `semaforo` alone (tests included), so what a host needs is a deliberate
//! part of the facade.

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

/// The project's crates a manifest depends on, in every dependency table
/// (`[dependencies]`, `[dev-dependencies]`, target-specific ones), comments
/// removed.
fn project_dependencies(manifest: &Path, crates: &[String]) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut section = String::new();
    let mut uses = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        if line.is_empty() || !section.ends_with("dependencies]") {
            continue;
        }
        for name in crates {
            let named = line.starts_with(&format!("{name} "))
                || line.starts_with(&format!("{name}."))
                || line.starts_with(&format!("{name}="))
                || line.contains(&format!("package = \"{name}\""));
            if named {
                uses.push(name.clone());
            }
        }
    }
    uses
}

/// The hosts of the facade (the C ABI, the command, the Python package)
/// depend on it alone among the project's crates, tests included (a test
/// helper they need is included by `#[path]`, not depended on).
#[test]
fn depends_on_the_facade_alone() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = dir.join("../..");
    let crates = project_crates(&root);
    assert!(crates.iter().any(|c| c == "semaforo-plan"), "{crates:?}");
    for host in [
        "crates/semaforo-ffi/Cargo.toml",
        "crates/semaforo-cli/Cargo.toml",
        "python/Cargo.toml",
    ] {
        let uses = project_dependencies(&root.join(host), &crates);
        assert_eq!(
            uses,
            ["semaforo"],
            "{host}: project crates among its dependencies"
        );
    }
}
