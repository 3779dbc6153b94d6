//! Shared by the Rust tests and the `expected_outcomes` example: compiles
//! the regional example through the Rust facade and writes the outcomes the
//! C tests expect.

#![allow(dead_code, reason = "each test uses a part")]
#![allow(clippy::expect_used, reason = "test support")]

use semaforo_core::{Compiler, Context, Date, Ruleset, SamplingKey};
use std::path::{Path, PathBuf};

/// The evaluation date of every test.
pub(crate) const TODAY: &str = "2026-11-20";
/// The sampling key label of every test.
pub(crate) const KEY_ID: &str = "ci-key-1";

/// The sampling key of every test: bytes 0, 1, ..., 15.
pub(crate) fn key() -> SamplingKey {
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    SamplingKey(k)
}

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(root: &Path, rel: &str) -> std::io::Result<String> {
    std::fs::read_to_string(root.join(rel))
}

/// Compiles `examples/regional` with its lists and table.
pub(crate) fn regional(root: &Path) -> std::io::Result<Ruleset> {
    let mut c = Compiler::new();
    c.add_source(
        "examples/regional/regional.sem",
        read(root, "examples/regional/regional.sem")?,
    );
    for list in ["watched_importers", "watched_declarants"] {
        let rel = format!("examples/regional/lists/{list}.txt");
        c.add_list_file(list, rel.clone(), read(root, &rel)?);
    }
    let rel = "examples/regional/tables/reference_price.csv";
    c.add_table_file("reference_price", rel, read(root, rel)?);
    c.compile()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The test context.
pub(crate) fn context() -> Context {
    Context::new(Date::parse(TODAY).expect("a valid date"), key(), KEY_ID)
}

/// One outcome JSON line per non-blank input line (`ERROR <message>` for
/// a declaration that does not bind).
pub(crate) fn outcomes(ruleset: &Ruleset, jsonl: &str) -> String {
    let ctx = context();
    let mut ev = ruleset.evaluator();
    let mut out = String::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        match ev.eval_json(line.as_bytes(), &ctx) {
            Ok(v) => v.write_json(&mut out),
            Err(e) => out.push_str(&format!("ERROR {e}")),
        }
        out.push('\n');
    }
    out
}

/// Writes `regional.expected.jsonl` and `direct.expected.jsonl` to `out`.
pub(crate) fn write_expected(root: &Path, out: &Path) -> std::io::Result<()> {
    let rs = regional(root)?;
    std::fs::create_dir_all(out)?;
    let decls = read(root, "examples/regional/declarations.jsonl")?;
    std::fs::write(out.join("regional.expected.jsonl"), outcomes(&rs, &decls))?;
    let direct = read(root, "crates/semaforo-ffi/tests/data/direct.jsonl")?;
    std::fs::write(out.join("direct.expected.jsonl"), outcomes(&rs, &direct))?;
    Ok(())
}
