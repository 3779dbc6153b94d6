//! Helpers shared by the CLI tests: run the real binary in a scratch
//! directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh scratch directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("semaforo-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The result of one run.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

fn run_output(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// Runs `semaforo ARGS` in `dir` with `stdin` and extra environment.
pub(crate) fn run_with(dir: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_semaforo"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("SEMAFORO_SAMPLING_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    run_output(child.wait_with_output().unwrap())
}

/// Runs `semaforo ARGS` in `dir`.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    run_with(dir, args, b"", &[])
}

/// Writes `text` to `dir/name`.
pub(crate) fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

/// A small valid ruleset with one test block that passes.
pub(crate) const GOOD: &str = r#"ruleset "demo" version "1"

schema declaration {
  key id: text
  origin: text
  importer: text
  freight: number?
  items: [item]
}

record item {
  hs: text
  net_kg: number
}

list watched: text
table rate: number

rule ORIG-001 "Origin with a high fraud history" {
  when origin in ["CN", "VN"]
  then score 30, note "origin"
}

rule WATCH-001 "Watched importer" {
  when importer in watched
  then lane red
}

rule RATE-001 "Heavy lines at a rated heading" {
  when any(it in items: lookup_prefix(rate, it.hs) > 1 and it.net_kg > 100)
  then score 50
}

rule RND-001 "Random control" {
  sample 50%
  then note "random"
}
"#;

/// Runs `semaforo ARGS` in `dir` with stdout going to `/dev/full`, where
/// every write fails with "no space left on device".
pub(crate) fn run_to_dev_full(dir: &Path, args: &[&str]) -> Run {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .args(args)
        .current_dir(dir)
        .env_remove("SEMAFORO_SAMPLING_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    run_output(o)
}

/// Runs `semaforo ARGS` in `dir` with stdout a pipe whose reader is closed
/// before the command starts writing.
pub(crate) fn run_to_closed_pipe(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .args(args)
        .current_dir(dir)
        .env_remove("SEMAFORO_SAMPLING_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    run_output(child.wait_with_output().unwrap())
}
