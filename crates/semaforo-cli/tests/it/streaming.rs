//! The streaming input layer through the real binary: every command that
//! reads declarations gives the same bytes (report, messages with their
//! lines, `--outcomes` file, exit code) whatever the batch and read sizes,
//! so declarations straddling a batch boundary, JSON array elements split
//! across reads, a CSV declaration's rows carried into the next batch and
//! bad lines near a boundary are all handled as when the whole input was
//! read at once; and `backtest` and `diff` run in memory that does not
//! grow with the input.
//!
//! Batch and read sizes are set through the undocumented
//! `SEMAFORO_BATCH=UNITS,READ_BYTES`.

use crate::support::scratch;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_semaforo");
const KEY: &str = "000102030405060708090a0b0c0d0e0f";

/// Batch and read sizes tried against the default: one unit and one byte
/// at a time, and a few odd sizes.
const SIZES: [&str; 4] = ["1,1", "2,3", "3,7", "5,64"];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/backtest")
        .join(name)
}

/// A deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One generated declaration: id, origin, aeo, freight, items (hs, value,
/// kg, found).
type Decl = (
    String,
    &'static str,
    bool,
    Option<u64>,
    Vec<(u64, u64, bool)>,
);

fn generate(n: usize, seed: u64) -> Vec<Decl> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| {
            let items = (0..r.below(5))
                .map(|_| (900 + r.below(200), 1 + r.below(50), r.below(4) == 0))
                .collect();
            let origin = ["CN", "US", "MX"][r.below(3) as usize];
            let freight = (r.below(2) == 0).then(|| r.below(200));
            (format!("D{i:06}"), origin, r.below(3) == 0, freight, items)
        })
        .collect()
}

fn json_of(d: &Decl) -> String {
    let items: Vec<String> =
        d.4.iter()
            .map(|(v, kg, _)| format!(r#"{{"hs":"6403","value":{v}.5,"kg":{kg}}}"#))
            .collect();
    let freight =
        d.3.map(|f| format!(r#","freight":{f}"#))
            .unwrap_or_default();
    format!(
        r#"{{"id":"{}","origin":"{}","aeo":{},"declared_on":"2026-05-01"{freight},"items":[{}],"found":{}}}"#,
        d.0,
        d.1,
        d.2,
        items.join(","),
        u8::from(d.4.iter().any(|i| i.2))
    )
}

/// JSON Lines with blank lines, CRLF, a bad value, a line that is not
/// JSON, invalid UTF-8 and a last line without its line break.
fn jsonl(decls: &[Decl]) -> Vec<u8> {
    let mut s = Vec::new();
    for (i, d) in decls.iter().enumerate() {
        match i % 17 {
            3 => s.extend_from_slice(b"\n  \n"),
            5 => s.extend_from_slice(b"{\"id\": \"BAD\", \"origin\": 3}\n"),
            8 => s.extend_from_slice(b"{\"id\": \"X\", \"origin\": \"C\xffN\"}\n"),
            11 => s.extend_from_slice(b"not json\r\n"),
            _ => {}
        }
        s.extend_from_slice(json_of(d).as_bytes());
        s.extend_from_slice(if i % 7 == 0 { b"\r\n" } else { b"\n" });
    }
    s.extend_from_slice(json_of(&decls[0]).replace("D000000", "LAST").as_bytes());
    s
}

/// A pretty JSON array: elements over several lines, strings with escaped
/// quotes and brackets, so reads end inside strings and escapes.
fn array(decls: &[Decl]) -> Vec<u8> {
    let mut s = String::from("[\n");
    for (i, d) in decls.iter().enumerate() {
        if i > 0 {
            s.push_str(",\n");
        }
        let j = json_of(d).replacen(
            r#""declared_on""#,
            "\"note\": \"say \\\"]}\\\" [\\\\\",\n  \"declared_on\"",
            1,
        );
        s.push_str("  ");
        s.push_str(&j);
        if i % 9 == 4 {
            s.push_str(",\n  {\"id\": \"BAD\", \"origin\": [1, {\"a\": 2}]}");
        }
    }
    s.push_str("\n]\n");
    s.into_bytes()
}

/// CSV with one row per item (a declaration without items has one row),
/// so declarations span several rows; with bad rows among them.
fn csv(decls: &[Decl]) -> Vec<u8> {
    let mut s = String::from("Decl,Origin,AEO,Date,Freight,HS,Value,Kg,Found\r\n");
    for (i, d) in decls.iter().enumerate() {
        let freight = d.3.map(|f| f.to_string()).unwrap_or_default();
        let aeo = u8::from(d.2);
        let rows: Vec<(String, String, String)> = if d.4.is_empty() {
            vec![(String::new(), String::new(), "0".to_string())]
        } else {
            d.4.iter()
                .map(|(v, kg, f)| (format!("{v}.5"), kg.to_string(), u8::from(*f).to_string()))
                .collect()
        };
        for (k, (v, kg, f)) in rows.iter().enumerate() {
            let hs = if v.is_empty() { "" } else { "6403" };
            let _ = writeln!(
                s,
                "{},{},{aeo},2026-05-01,{freight},{hs},{v},{kg},{f}",
                d.0, d.1
            );
            match (i % 13, k) {
                (2, 0) => s.push('\n'),
                (4, 0) => {
                    let _ = writeln!(s, "{},{},{aeo},2026-05-01,{freight},6403,abc,1,0", d.0, d.1);
                }
                (6, 0) => {
                    let _ = writeln!(s, "{},\"CN,0", d.0);
                }
                (9, 0) => {
                    let _ = writeln!(s, "{},US,1,2026-05-01", d.0);
                }
                _ => {}
            }
        }
    }
    s.into_bytes()
}

struct Out {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// `--outcomes` file, when asked for.
    file: Option<Vec<u8>>,
}

fn run(dir: &Path, args: &[&str], batch: Option<&str>, outcomes: bool) -> Out {
    let file = dir.join(format!("outcomes-{}.jsonl", batch.unwrap_or("default")));
    let mut c = Command::new(BIN);
    c.args(args).current_dir(dir).env_remove("SEMAFORO_BATCH");
    // The commands that evaluate take a context; `derive` does not.
    if !matches!(args.first(), Some(&("lists" | "tables"))) {
        c.args(["--today", "2026-06-01", "--sampling-key", KEY]);
    }
    if outcomes {
        c.arg("--outcomes").arg(&file);
    }
    if let Some(b) = batch {
        c.env("SEMAFORO_BATCH", b);
    }
    let o = c.output().unwrap();
    Out {
        code: o.status.code(),
        stdout: o.stdout,
        stderr: o.stderr,
        file: outcomes.then(|| std::fs::read(&file).unwrap_or_default()),
    }
}

/// Runs `args` with the default sizes and every size in [`SIZES`]; all
/// must give the same bytes. Returns the default run.
fn same_for_every_batch_size(dir: &Path, args: &[&str], outcomes: bool) -> Out {
    let want = run(dir, args, None, outcomes);
    for b in SIZES {
        let got = run(dir, args, Some(b), outcomes);
        let show = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        assert_eq!(
            show(&got.stderr),
            show(&want.stderr),
            "{args:?} SEMAFORO_BATCH={b}"
        );
        assert_eq!(
            show(&got.stdout),
            show(&want.stdout),
            "{args:?} SEMAFORO_BATCH={b}"
        );
        assert_eq!(got.code, want.code, "{args:?} SEMAFORO_BATCH={b}");
        assert_eq!(got.file, want.file, "{args:?} SEMAFORO_BATCH={b}");
    }
    want
}

/// The inputs, written once per test directory.
fn inputs(dir: &Path) -> [(&'static str, &'static [&'static str]); 3] {
    let decls = generate(60, 0x9E37_79B9_7F4A_7C15);
    std::fs::write(dir.join("h.jsonl"), jsonl(&decls)).unwrap();
    std::fs::write(dir.join("h.json"), array(&decls)).unwrap();
    std::fs::write(dir.join("h.csv"), csv(&decls)).unwrap();
    std::fs::copy(data("rules.sem"), dir.join("rules.sem")).unwrap();
    std::fs::copy(data("map.txt"), dir.join("map.txt")).unwrap();
    std::fs::write(
        dir.join("new.sem"),
        std::fs::read_to_string(data("rules.sem"))
            .unwrap()
            .replace("threshold red 60", "threshold red 40"),
    )
    .unwrap();
    [
        ("h.jsonl", &["--outcome", "found"]),
        ("h.json", &["--outcome", "found"]),
        ("h.csv", &["--outcome", "Found", "--map-file", "map.txt"]),
    ]
}

#[test]
fn backtest_and_eval_do_not_depend_on_batch_or_read_size() {
    let dir = scratch("stream-backtest");
    for (input, extra) in inputs(&dir) {
        let mut args = vec![
            "backtest",
            "rules.sem",
            "--input",
            input,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = same_for_every_batch_size(&dir, &args, true);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let read = v["declarations"]["read"].as_u64().unwrap();
        // Bad JSON lines are declarations of their own; bad CSV rows
        // belong to their key's declaration.
        assert!(read >= 60, "{input}: {read}");
        assert!(
            v["declarations"]["rejected"].as_u64().unwrap() > 3,
            "{input}"
        );
        // `--outcomes` has a line per declaration read.
        let lines = out.file.as_deref().unwrap_or_default();
        assert_eq!(lines.iter().filter(|b| **b == b'\n').count() as u64, read);
        // Stopped by --max-errors: the same cut, the same counts.
        args.extend_from_slice(&["--max-errors", "3"]);
        same_for_every_batch_size(&dir, &args, true);
        let mut args = vec!["eval", "rules.sem", "--input", input];
        if input.ends_with(".csv") {
            args.extend_from_slice(&["--map-file", "map.txt"]);
        }
        let eval = same_for_every_batch_size(&dir, &args, false);
        assert_eq!(
            eval.stdout.iter().filter(|b| **b == b'\n').count() as u64,
            read
        );
    }
}

#[test]
fn diff_calibrate_and_explain_do_not_depend_on_batch_or_read_size() {
    let dir = scratch("stream-diff");
    for (input, extra) in inputs(&dir) {
        let by = if input.ends_with(".csv") {
            "Origin"
        } else {
            "origin"
        };
        let mut args = vec![
            "diff",
            "--old",
            "rules.sem",
            "--new",
            "new.sem",
            "--input",
            input,
            "--by",
            by,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        same_for_every_batch_size(&dir, &args, false);
        let mut args = vec![
            "calibrate",
            "rules.sem",
            "--input",
            input,
            "--target",
            "red=10%",
            "--by",
            "origin",
        ];
        let mut explain = vec!["explain", "rules.sem", "--input", input, "--id", "D000057"];
        if input.ends_with(".csv") {
            args.extend_from_slice(&["--map-file", "map.txt"]);
            explain.extend_from_slice(&["--map-file", "map.txt"]);
        }
        same_for_every_batch_size(&dir, &args, false);
        let out = same_for_every_batch_size(&dir, &explain, false);
        assert_eq!(
            out.code,
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A declaration whose rows straddle a batch boundary stays one
/// declaration: with 3 rows per batch, D2's five rows start in the first
/// batch and end in the third.
#[test]
fn a_csv_declaration_straddling_batches_is_one_declaration() {
    let dir = scratch("stream-straddle");
    std::fs::copy(data("rules.sem"), dir.join("rules.sem")).unwrap();
    std::fs::copy(data("map.txt"), dir.join("map.txt")).unwrap();
    let mut s = String::from("Decl,Origin,AEO,Date,Freight,HS,Value,Kg,Found\n");
    s.push_str("D1,US,0,2026-05-01,,6403,10,1,0\n");
    for k in 0..5 {
        let _ = writeln!(s, "D2,CN,0,2026-05-01,,6403,{},1,{}", 500 + 300 * k, k % 2);
    }
    s.push_str("D3,MX,0,2026-05-01,,6403,10,1,0\nD3,MX,0,2026-05-01,,6403,20,1,0\n");
    std::fs::write(dir.join("s.csv"), s).unwrap();
    let args = [
        "backtest",
        "rules.sem",
        "--input",
        "s.csv",
        "--map-file",
        "map.txt",
        "--outcome",
        "Found",
        "--format",
        "json",
    ];
    let out = same_for_every_batch_size(&dir, &args, true);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["declarations"]["read"], 3);
    assert_eq!(v["rows"], 8);
    // D2: origin CN (30) and an item above 1000 (40): red.
    assert_eq!(v["lanes"][2]["count"], 1);
    let file = String::from_utf8(out.file.unwrap()).unwrap();
    assert_eq!(file.lines().count(), 3);
    assert!(file.lines().nth(1).unwrap().contains("\"D2\""), "{file}");
}

/// A broken array ends the input with the same message, at the same line
/// and column, whatever the read size.
#[test]
fn a_broken_array_is_reported_at_its_line() {
    let dir = scratch("stream-broken");
    std::fs::copy(data("rules.sem"), dir.join("rules.sem")).unwrap();
    let decls = generate(5, 7);
    let mut a = array(&decls);
    a.truncate(a.len() - 3);
    a.extend_from_slice(b" x\n");
    std::fs::write(dir.join("b.json"), &a).unwrap();
    let args = ["backtest", "rules.sem", "--input", "b.json"];
    let out = same_for_every_batch_size(&dir, &args, false);
    assert_eq!(out.code, Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let x = a.len() - 2;
    let line = 1 + a[..x].iter().filter(|b| **b == b'\n').count();
    let start = a[..x]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = 1 + x - start;
    let want = format!("b.json: line {line}: line {line}, column {column}: expected `,` or `]`");
    assert!(err.contains(&want), "{err}\nwanted {want}");
}

/// The peak resident memory of the child `pid` so far (`VmHWM`, KiB).
#[cfg(target_os = "linux")]
fn peak_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `args` on `n` generated declarations fed as JSON Lines on stdin by
/// a writer thread (nothing on disk); returns the report and the child's
/// peak resident memory in KiB, sampled from `/proc` until it exits (the
/// workspace forbids `unsafe`, so no `wait4`; the peak only grows, and the
/// last samples come after the input was read).
#[cfg(target_os = "linux")]
fn peak_of(dir: &Path, args: &[&str], n: usize) -> (serde_json::Value, u64) {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--input", "-", "--format", "json", "--today", "2026-06-01"])
        .args(["--sampling-key", KEY])
        .current_dir(dir)
        .env_remove("SEMAFORO_BATCH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let decls = generate(1000, 42);
        let mut buf = String::new();
        for i in 0..n {
            let d = &decls[i % decls.len()];
            buf.push_str(&json_of(d).replace(&d.0, &format!("N{i:08}")));
            buf.push('\n');
            if buf.len() > 1 << 16 {
                stdin.write_all(buf.as_bytes()).unwrap();
                buf.clear();
            }
        }
        stdin.write_all(buf.as_bytes()).unwrap();
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).unwrap();
        v
    });
    let pid = child.id();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Some(k) = peak_kib(pid) {
            peak = peak.max(k);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    writer.join().unwrap();
    let out = reader.join().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(peak > 0, "no memory sample");
    (v, peak)
}

/// Ten times the declarations, the same memory: the peak resident memory
/// of `backtest` and `diff` on 300,000 declarations is within 16 MiB of
/// the one on 30,000 (when the input was held whole, 300,000 of these
/// declarations took about 100 MB more).
#[cfg(target_os = "linux")]
#[test]
fn memory_does_not_grow_with_the_input() {
    let dir = scratch("stream-memory");
    std::fs::copy(data("rules.sem"), dir.join("rules.sem")).unwrap();
    let commands: [&[&str]; 2] = [
        &["backtest", "rules.sem", "--outcome", "found"],
        &[
            "diff",
            "--old",
            "rules.sem",
            "--new",
            "rules.sem",
            "--outcome",
            "found",
        ],
    ];
    for args in commands {
        let (small, small_peak) = peak_of(&dir, args, 30_000);
        let (big, big_peak) = peak_of(&dir, args, 300_000);
        assert_eq!(small["declarations"]["read"], 30_000, "{args:?}");
        assert_eq!(big["declarations"]["read"], 300_000, "{args:?}");
        assert!(
            big_peak < small_peak + 16 * 1024,
            "{args:?}: peak {big_peak} KiB on 300,000 declarations, {small_peak} KiB on 30,000"
        );
    }
}

/// `--input-format` reads an input whose name does not say its format: a
/// CSV history piped on stdin, a JSON Lines file without an extension.
#[test]
fn input_format_names_the_format_of_stdin_and_of_bare_files() {
    use std::io::Write as _;
    let dir = scratch("stream-format");
    inputs(&dir);
    std::fs::copy(dir.join("h.jsonl"), dir.join("history")).unwrap();
    let csv = std::fs::read(dir.join("h.csv")).unwrap();
    let piped = |args: &[&str], stdin: &[u8]| {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--today", "2026-06-01", "--sampling-key", KEY])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    };
    let eval_file = run(
        &dir,
        &[
            "eval",
            "rules.sem",
            "--input",
            "h.csv",
            "--map-file",
            "map.txt",
        ],
        None,
        false,
    );
    let eval_pipe = piped(
        &[
            "eval",
            "rules.sem",
            "--input",
            "-",
            "--input-format",
            "csv",
            "--map-file",
            "map.txt",
        ],
        &csv,
    );
    assert_eq!(eval_pipe.stdout, eval_file.stdout);
    assert_eq!(
        String::from_utf8_lossy(&eval_pipe.stderr),
        String::from_utf8_lossy(&eval_file.stderr).replace("h.csv:", "-:")
    );
    let report = |args: &[&str], stdin: &[u8]| {
        let o = piped(args, stdin);
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["input"] = serde_json::Value::Null;
        v
    };
    let base = ["backtest", "rules.sem", "--format", "json", "--outcome"];
    let from_file = report(
        &[
            &base[..],
            &["Found", "--input", "h.csv", "--map-file", "map.txt"],
        ]
        .concat(),
        b"",
    );
    let from_pipe = report(
        &[
            &base[..],
            &[
                "Found",
                "--input",
                "-",
                "--input-format",
                "csv",
                "--map-file",
                "map.txt",
            ],
        ]
        .concat(),
        &csv,
    );
    assert_eq!(from_pipe, from_file);
    let jsonl = report(&[&base[..], &["found", "--input", "h.jsonl"]].concat(), b"");
    let bare = report(
        &[
            &base[..],
            &["found", "--input", "history", "--input-format", "jsonl"],
        ]
        .concat(),
        b"",
    );
    assert_eq!(bare, jsonl);
    assert_eq!(bare["input_format"], "jsonl");
}

/// `lists derive` and `tables derive` read the same streamed input: the
/// same files for any batch and read size (their `# input: ... sha256:`
/// line included: the digest is taken of the bytes as they are read, and
/// is the file's).
#[test]
fn derive_commands_do_not_depend_on_batch_or_read_size() {
    use sha2::{Digest, Sha256};
    let dir = scratch("stream-derive");
    for (input, _) in inputs(&dir) {
        let csv = input.ends_with(".csv");
        let (origin, found, key) = if csv {
            ("Origin", "Found", Some("Decl"))
        } else {
            ("origin", "found", None)
        };
        let common = ["--input", input, "--by", origin, "--outcome", found];
        let mut lists = vec!["lists", "derive"];
        lists.extend_from_slice(&common);
        lists.extend_from_slice(&["--min-count", "1", "--min-rate", "0.1"]);
        let mut tables = vec!["tables", "derive"];
        tables.extend_from_slice(&common);
        if let Some(k) = key {
            lists.extend_from_slice(&["--key", k]);
            tables.extend_from_slice(&["--key", k]);
        }
        // The inputs hold bad declarations, each reported (so the exit
        // status says some could not be read), the rest derived.
        let l = same_for_every_batch_size(&dir, &lists, false);
        assert!(!l.stdout.is_empty(), "{input}");
        assert!(!l.stderr.is_empty(), "{input}");
        let t = same_for_every_batch_size(&dir, &tables, false);
        let text = String::from_utf8(t.stdout).unwrap();
        let digest = format!(
            "{:x}",
            Sha256::digest(std::fs::read(dir.join(input)).unwrap())
        );
        assert!(
            text.contains(&format!("# input: {input} sha256:{digest}\n")),
            "{input}: {text}"
        );
    }
}
