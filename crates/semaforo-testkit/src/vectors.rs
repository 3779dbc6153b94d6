//! The evaluation vectors of `tests/data/eval/`, loaded once for every
//! runner (the library and `explain`, the CLI binary, the C ABI).
//!
//! [`all`] lists every directory, so a new vector runs through every
//! surface without being named anywhere; [`run_all`] runs a surface's
//! check of each vector (two at a time where the machine has the cores)
//! and fails once with every failure, naming the vector and the line;
//! [`Vector::compare`] compares an outcome with the expected line on the
//! keys the vectors fix ([`KEYS`], through [`project`]).
//!
//! This file needs only `std` and `serde_json`: the CLI's and the C ABI's
//! runners include it with `#[path]` instead of depending on this crate,
//! so their manifests name the facade alone among the project's crates
//! (issue 11). Keep it free of `crate::` paths and of engine types.

#![allow(
    clippy::panic,
    reason = "test support: a vector that cannot be read is a failed test, \
              reported with its path"
)]

use serde_json::{Map, Value};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The keys of an outcome line that the vectors fix.
/// (`overridden` appears only in the JSON outcomes of a ruleset with
/// overrides; [`project`] reads an absent one as empty.)
pub const KEYS: [&str; 9] = [
    "id",
    "lane",
    "score",
    "fired",
    "monitored",
    "undetermined",
    "notes",
    "draws",
    "overridden",
];

/// The directory of the vectors: `tests/data/eval/` at the repository's
/// root, found from this file's place in the repository.
pub fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/eval")
}

/// One vector directory, read.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The directory's name (`ops`, `sampling`, ...).
    pub name: String,
    /// The directory; the paths below are relative to it.
    pub dir: PathBuf,
    /// `packages/*.sem`, relative to [`Vector::dir`], sorted: package
    /// files compiled before `rules.sem` (empty for most vectors).
    pub packages: Vec<PathBuf>,
    /// `rules.sem`, relative to [`Vector::dir`].
    pub rules_path: PathBuf,
    /// The text of `rules.sem`.
    pub rules: String,
    /// `lists/NAME.txt` as (`NAME`, relative path), sorted by path.
    pub lists: Vec<(String, PathBuf)>,
    /// `tables/NAME.csv` as (`NAME`, relative path), sorted by path.
    pub tables: Vec<(String, PathBuf)>,
    /// The words of `args`, as `semaforo eval` takes them.
    pub args: Vec<String>,
    /// `--today`, as written (`YYYY-MM-DD`).
    pub today: String,
    /// `--sampling-key`, decoded; all zero when absent.
    pub sampling_key: [u8; 16],
    /// `--sampling-key-id`; `zero-key` when absent.
    pub sampling_key_id: String,
    /// The non-blank lines of `input.jsonl`.
    pub inputs: Vec<String>,
    /// The non-blank lines of `expected.jsonl`, one per input line, read
    /// as JSON.
    pub expected: Vec<Value>,
}

/// Every vector directory under [`eval_dir`], read, in name order.
pub fn all() -> Vec<Vector> {
    let root = eval_dir();
    let entries = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let mut dirs: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", root.display()))
                .path()
        })
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "{}: too few vectors: {dirs:?}",
        root.display()
    );
    dirs.iter().map(|d| Vector::load(d)).collect()
}

/// Reads a file of a vector, or fails naming it.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The non-blank lines of a text.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}

/// A 32-digit hexadecimal sampling key.
fn key_bytes(hex: &str) -> Option<[u8; 16]> {
    let mut key = [0u8; 16];
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

impl Vector {
    /// Reads the vector in `dir`; fails on a missing or malformed file.
    pub fn load(dir: &Path) -> Vector {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| panic!("{}: not a directory name", dir.display()));
        let rules_path = PathBuf::from("rules.sem");
        let rules = read(&dir.join(&rules_path));
        let externals = |sub: &str| -> Vec<(String, PathBuf)> {
            let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
                return Vec::new();
            };
            let mut found: Vec<(String, PathBuf)> = entries
                .map(|e| {
                    let e = e.unwrap_or_else(|e| panic!("{name}/{sub}: {e}"));
                    let file = e.file_name().to_string_lossy().into_owned();
                    let stem = Path::new(&file)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (stem, Path::new(sub).join(file))
                })
                .collect();
            found.sort_by(|a, b| a.1.cmp(&b.1));
            found
        };
        let lists = externals("lists");
        let tables = externals("tables");
        let packages = externals("packages").into_iter().map(|(_, p)| p).collect();
        let args: Vec<String> = read(&dir.join("args"))
            .split_whitespace()
            .map(String::from)
            .collect();
        let mut today = None;
        let mut sampling_key = [0u8; 16];
        let mut sampling_key_id = "zero-key".to_string();
        for pair in args.chunks(2) {
            match pair {
                [flag, d] if flag == "--today" => today = Some(d.clone()),
                [flag, hex] if flag == "--sampling-key" => {
                    sampling_key = key_bytes(hex)
                        .unwrap_or_else(|| panic!("{name}/args: bad sampling key {hex:?}"));
                }
                [flag, id] if flag == "--sampling-key-id" => sampling_key_id = id.clone(),
                other => panic!("{name}/args: unknown {other:?}"),
            }
        }
        let today = today.unwrap_or_else(|| panic!("{name}/args: no `--today`"));
        let inputs = lines(&read(&dir.join("input.jsonl")));
        let expected: Vec<Value> = lines(&read(&dir.join("expected.jsonl")))
            .iter()
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{name}/expected.jsonl line {}: {e}", i + 1))
            })
            .collect();
        assert!(!inputs.is_empty(), "{name}: no input");
        assert_eq!(
            inputs.len(),
            expected.len(),
            "{name}: one expected line per input line"
        );
        Vector {
            name,
            dir: dir.to_path_buf(),
            packages,
            rules_path,
            rules,
            lists,
            tables,
            args,
            today,
            sampling_key,
            sampling_key_id,
            inputs,
            expected,
        }
    }

    /// The text of a file of the vector (a path relative to its directory).
    pub fn text(&self, path: &Path) -> String {
        read(&self.dir.join(path))
    }

    /// Compares `got`, the outcome of input line `index` (from 0) on
    /// `surface`, with the expected line, on [`KEYS`]; a message naming
    /// the vector, the line (from 1) and the surface if they differ.
    pub fn compare(&self, index: usize, surface: &str, got: &Value) -> Option<String> {
        let line = index + 1;
        let Some(want) = self.expected.get(index) else {
            return Some(format!(
                "{} line {line} ({surface}): an outcome beyond the {} expected",
                self.name,
                self.expected.len()
            ));
        };
        let (want, got) = (project(want), project(got));
        (want != got).then(|| {
            let differ: Vec<&str> = KEYS
                .into_iter()
                .filter(|k| want.get(*k) != got.get(*k))
                .collect();
            format!(
                "{} line {line} ({surface}): differs in {}\n  expected {}\n  actual   {}",
                self.name,
                differ.join(", "),
                Value::Object(want),
                Value::Object(got)
            )
        })
    }
}

/// The keys the vectors fix ([`KEYS`]) of an outcome object, a missing key
/// as `null`, except `draws`, which may be absent when empty (`{}`).
pub fn project(outcome: &Value) -> Map<String, Value> {
    KEYS.iter()
        .map(|k| {
            let x = match outcome.get(*k) {
                Some(x) => x.clone(),
                None if *k == "draws" => Value::Object(Map::new()),
                None if *k == "overridden" => Value::Array(Vec::new()),
                None => Value::Null,
            };
            ((*k).to_string(), x)
        })
        .collect()
}

/// Runs `check` on every vector ([`all`]) and fails once, with every
/// message `check` returned and every panic, each naming its vector.
/// Vectors run on up to two threads (the machines this runs on share few
/// cores between many test binaries).
pub fn run_all(check: impl Fn(&Vector) -> Vec<String> + Sync) {
    let vectors = all();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Vec<String>)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(v) = vectors.get(i) else { break };
                    let failures = match catch_unwind(AssertUnwindSafe(|| check(v))) {
                        Ok(failures) => failures,
                        Err(payload) => {
                            let message = payload
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            vec![format!("{}: panicked: {message}", v.name)]
                        }
                    };
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, failures));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|r| r.0);
    assert_eq!(results.len(), vectors.len(), "every vector ran");
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    assert!(
        failures.is_empty(),
        "{} failure(s) in {} vectors:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}
