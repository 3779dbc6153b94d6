//! `semaforo eval` through the real binary.

use crate::support;

use serde_json::Value;
use support::{GOOD, Run, run, run_with, scratch, write};

const KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn setup(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(&dir, "good.sem", GOOD);
    write(&dir, "watched.txt", "# watched\nIMP-7\n");
    write(&dir, "rate.csv", "key,value\n64,10\n");
    dir
}

const DATA: [&str; 4] = ["--list", "watched=watched.txt", "--table", "rate=rate.csv"];

fn eval(dir: &std::path::Path, input: &str, extra: &[&str]) -> Run {
    let mut args = vec!["eval", "good.sem", "--input", input];
    args.extend(DATA);
    args.extend(["--today", "2026-06-01", "--sampling-key", KEY]);
    args.extend(extra);
    run(dir, &args)
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const D1: &str = r#"{"id": "D1", "origin": "CN", "importer": "IMP-7", "items": [{"hs": "6402", "net_kg": 500}]}"#;
const D2: &str = r#"{"id": "D2", "origin": "US", "importer": "IMP-1", "items": []}"#;

fn check_d1_d2(v: &[Value]) {
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["id"], "D1");
    assert_eq!(v[0]["lane"], "red");
    assert_eq!(v[0]["score"], 80);
    let fired: Vec<&str> = v[0]["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(&fired[..3], ["ORIG-001", "WATCH-001", "RATE-001"]);
    // Each entry carries its points; the scores of the fired rules add up.
    let points: i64 = v[0]["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["points"].as_i64().unwrap())
        .sum();
    assert_eq!(points, 80);
    assert_eq!(v[1]["id"], "D2");
    assert_eq!(v[1]["score"], 0);
    for o in v {
        for k in [
            "monitored",
            "undetermined",
            "notes",
            "draws",
            "sampling_key_id",
            "ruleset",
            "today",
        ] {
            assert!(o.get(k).is_some(), "`{k}` in {o}");
        }
        assert_eq!(o["today"], "2026-06-01");
        assert_eq!(o["ruleset"]["name"], "demo");
        assert_eq!(o["ruleset"]["fingerprint"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn json_object_array_jsonl_and_stdin_agree() {
    let dir = setup("eval-forms");
    write(&dir, "one.json", D1);
    write(&dir, "many.json", &format!("[\n  {D1},\n  {D2}\n]\n"));
    write(&dir, "many.jsonl", &format!("{D1}\n\n{D2}\n"));
    let one = eval(&dir, "one.json", &[]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(lines(&one.stdout).len(), 1);
    let array = eval(&dir, "many.json", &[]);
    assert_eq!(array.code, 0, "{}", array.stderr);
    check_d1_d2(&lines(&array.stdout));
    let jsonl = eval(&dir, "many.jsonl", &[]);
    assert_eq!(jsonl.code, 0, "{}", jsonl.stderr);
    assert_eq!(jsonl.stdout, array.stdout);
    let mut args = vec!["eval", "good.sem", "--input", "-"];
    args.extend(DATA);
    args.extend(["--today", "2026-06-01", "--sampling-key", KEY]);
    let stdin = run_with(&dir, &args, format!("{D1}\n{D2}\n").as_bytes(), &[]);
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(stdin.stdout, array.stdout);
    assert_eq!(lines(&one.stdout)[0], lines(&array.stdout)[0]);
}

#[test]
fn a_declaration_that_fails_to_bind_is_reported_and_the_others_evaluated() {
    let dir = setup("eval-bind");
    let bad = r#"{"id": "D3", "origin": "CN", "importer": "IMP-1", "items": [{"hs": "64", "net_kg": "heavy"}]}"#;
    write(&dir, "in.jsonl", &format!("{D1}\n{bad}\n{D2}\n"));
    let r = eval(&dir, "in.jsonl", &[]);
    assert_eq!(r.code, 1);
    let ids: Vec<Value> = lines(&r.stdout).iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ids, ["D1", "D3", "D2"]);
    assert!(r.stderr.contains("in.jsonl:2"), "line number: {}", r.stderr);
    assert!(r.stderr.contains("items[0].net_kg"), "path: {}", r.stderr);
}

#[test]
fn every_input_declaration_gets_one_output_line_in_order() {
    // Output line i answers input declaration i, also for declarations
    // that cannot be read (an error record, the C ABI batch's shape plus
    // the input line), so a consumer pairing lines never shifts.
    let dir = setup("eval-pairing");
    let bad = r#"{"id": "D3", "origin": "CN", "importer": "IMP-1", "items": [{"hs": "64", "net_kg": "heavy"}]}"#;
    write(
        &dir,
        "in.jsonl",
        &format!("{D1}\n{{not json\n\n{bad}\n{D2}\n"),
    );
    write(&dir, "in.json", &format!("[{D1},\n{bad},\n{D2}]"));
    let r = eval(&dir, "in.jsonl", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = lines(&r.stdout);
    assert_eq!(v.len(), 4, "{}", r.stdout);
    assert_eq!(v[0]["id"], "D1");
    assert_eq!(v[0].get("error"), None);
    assert_eq!(v[1]["index"], 1);
    assert_eq!(v[1]["line"], 2);
    assert_eq!(v[1].get("id"), None, "an unreadable line has no id");
    assert!(v[1]["error"].as_str().unwrap().len() > 5, "{}", v[1]);
    assert_eq!(v[2]["index"], 2);
    assert_eq!(v[2]["line"], 4, "blank lines are not declarations");
    assert_eq!(v[2]["id"], "D3");
    assert!(
        v[2]["error"].as_str().unwrap().contains("items[0].net_kg"),
        "{}",
        v[2]
    );
    assert_eq!(v[3]["id"], "D2");
    assert!(v[3].get("lane").is_some());
    assert!(r.stderr.contains("in.jsonl:2:"), "{}", r.stderr);
    assert!(r.stderr.contains("2 of 4 declarations"), "{}", r.stderr);

    let r = eval(&dir, "in.json", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = lines(&r.stdout);
    assert_eq!(v.len(), 3, "{}", r.stdout);
    assert_eq!(
        (v[1]["index"].clone(), v[1]["line"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(v[1]["id"], "D3");
    assert_eq!(v[2]["id"], "D2");
}

#[test]
fn duplicate_member_is_rejected() {
    let dir = setup("eval-dup");
    write(
        &dir,
        "d.json",
        r#"{"id": "D1", "origin": "CN", "origin": "US", "importer": "I", "items": []}"#,
    );
    let r = eval(&dir, "d.json", &[]);
    assert_eq!(r.code, 1);
    let v = lines(&r.stdout);
    assert_eq!(v.len(), 1);
    assert!(
        v[0]["error"].as_str().unwrap().contains("origin"),
        "{}",
        v[0]
    );
    assert!(v[0].get("lane").is_none());
    assert!(r.stderr.contains("origin"), "{}", r.stderr);
}

#[test]
fn sampling_key_from_flag_or_environment_and_warning_without() {
    let dir = setup("eval-key");
    write(&dir, "in.jsonl", &format!("{D1}\n{D2}\n"));
    let flag = eval(&dir, "in.jsonl", &["--sampling-key-id", "k-2026"]);
    assert_eq!(flag.code, 0, "{}", flag.stderr);
    assert!(!flag.stderr.contains("warning"), "{}", flag.stderr);
    let v = lines(&flag.stdout);
    assert_eq!(v[0]["sampling_key_id"], "k-2026");

    let mut args = vec![
        "eval",
        "good.sem",
        "--input",
        "in.jsonl",
        "--today",
        "2026-06-01",
    ];
    args.extend(DATA);
    let env = run_with(&dir, &args, b"", &[("SEMAFORO_SAMPLING_KEY", KEY)]);
    assert_eq!(env.code, 0, "{}", env.stderr);
    assert!(!env.stderr.contains("warning"), "{}", env.stderr);
    let e = lines(&env.stdout);
    // The same key gives the same draws; the default label is derived from
    // the key, never the key itself.
    for (a, b) in v.iter().zip(&e) {
        assert_eq!(a["draws"], b["draws"]);
        assert_eq!(a["fired"], b["fired"]);
    }
    let label = e[0]["sampling_key_id"].as_str().unwrap();
    assert!(label.starts_with("sha256:"), "{label}");
    assert!(!env.stdout.contains(KEY));

    let none = run(&dir, &args);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(none.stderr.contains("warning"), "{}", none.stderr);
    assert!(none.stderr.contains("sampling key"), "{}", none.stderr);

    let bad = eval(&dir, "in.jsonl", &["--sampling-key", "abc"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn today_decides_active_windows() {
    let dir = scratch("eval-today");
    write(
        &dir,
        "w.sem",
        "ruleset \"x\" version \"1\"\nschema d { key id: text }\nrule R \"window\" { active 2026-01-01 to 2026-03-31 then score 5 }\n",
    );
    write(&dir, "in.json", r#"{"id": "A"}"#);
    let base = [
        "eval",
        "w.sem",
        "--input",
        "in.json",
        "--sampling-key",
        KEY,
        "--today",
    ];
    let inside = run(&dir, &[&base[..], &["2026-03-31"]].concat());
    assert_eq!(lines(&inside.stdout)[0]["score"], 5);
    let outside = run(&dir, &[&base[..], &["2026-04-01"]].concat());
    assert_eq!(lines(&outside.stdout)[0]["score"], 0);
    let bad = run(&dir, &[&base[..], &["2026-02-30"]].concat());
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("2026-02-30"), "{}", bad.stderr);
}

#[test]
fn list_and_table_errors_name_file_and_line() {
    let dir = setup("eval-data");
    write(&dir, "in.json", D1);
    write(&dir, "bad.csv", "key,value\n64,10\n\"6402,20\n");
    let mut args = vec![
        "eval",
        "good.sem",
        "--input",
        "in.json",
        "--list",
        "watched=watched.txt",
    ];
    args.extend([
        "--table",
        "rate=bad.csv",
        "--today",
        "2026-06-01",
        "--sampling-key",
        KEY,
    ]);
    let r = run(&dir, &args);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0601"), "{}", r.stderr);
    assert!(r.stderr.contains("bad.csv:3:1"), "{}", r.stderr);

    write(&dir, "header.csv", "hs,price\n64,10\n");
    let r = run(
        &dir,
        &[
            "eval",
            "good.sem",
            "--input",
            "in.json",
            "--list",
            "watched=watched.txt",
            "--table",
            "rate=header.csv",
            "--today",
            "2026-06-01",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("E0602") && r.stderr.contains("header.csv:1:1"),
        "{}",
        r.stderr
    );

    let r = run(
        &dir,
        &[
            "eval",
            "good.sem",
            "--input",
            "in.json",
            "--table",
            "rate=bad.csv",
            "--list",
            "watched=nowhere.txt",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`nowhere.txt`"), "{}", r.stderr);

    let r = run(
        &dir,
        &[
            "eval",
            "good.sem",
            "--input",
            "in.json",
            "--table",
            "rate=rate.csv",
            "--today",
            "2026-06-01",
        ],
    );
    assert_eq!(r.code, 1, "a missing external list is an error");
    assert!(r.stderr.contains("watched"), "{}", r.stderr);
}

#[test]
fn sampling_key_from_a_file_and_precedence() {
    let dir = setup("eval-key-file");
    write(&dir, "in.jsonl", &format!("{D1}\n{D2}\n"));
    write(
        &dir,
        "k.key",
        &format!("# example key, comments allowed\n\n  {KEY}  \n"),
    );
    let base = |extra: &[&'static str]| {
        let mut a = vec!["eval", "good.sem", "--input", "in.jsonl"];
        a.extend(DATA);
        a.extend(["--today", "2026-06-01"]);
        a.extend_from_slice(extra);
        a
    };
    let flag = run(&dir, &base(&["--sampling-key", KEY]));
    let file = run(&dir, &base(&["--sampling-key-file", "k.key"]));
    assert_eq!(file.code, 0, "{}", file.stderr);
    assert!(!file.stderr.contains("warning"), "{}", file.stderr);
    assert_eq!(file.stdout, flag.stdout, "the same key, the same outcomes");

    // The file wins over the environment; the environment is used alone.
    let other = "ffffffffffffffffffffffffffffffff";
    let both = run_with(
        &dir,
        &base(&["--sampling-key-file", "k.key"]),
        b"",
        &[("SEMAFORO_SAMPLING_KEY", other)],
    );
    assert_eq!(both.stdout, flag.stdout);
    let env = run_with(&dir, &base(&[]), b"", &[("SEMAFORO_SAMPLING_KEY", other)]);
    assert_eq!(env.code, 0, "{}", env.stderr);
    assert_ne!(env.stdout, flag.stdout);

    // The file and the option exclude each other.
    let r = run(
        &dir,
        &base(&["--sampling-key-file", "k.key", "--sampling-key", KEY]),
    );
    assert_eq!(r.code, 2);

    // A bad key, wherever it comes from, is an error that never shows it.
    let typo = "000102030405060708090a0b0c0d0e0g";
    write(&dir, "typo.key", &format!("{typo}\n"));
    write(&dir, "two.key", &format!("{KEY}\n{KEY}\n"));
    for r in [
        run(&dir, &base(&["--sampling-key-file", "typo.key"])),
        run(&dir, &base(&["--sampling-key-file", "two.key"])),
        run(&dir, &base(&["--sampling-key-file", "absent.key"])),
        run(&dir, &base(&["--sampling-key", typo])),
        run_with(&dir, &base(&[]), b"", &[("SEMAFORO_SAMPLING_KEY", typo)]),
    ] {
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains("error:"), "{}", r.stderr);
        for secret in [typo, KEY, &typo[..16], &KEY[..16]] {
            assert!(!r.stderr.contains(secret), "key shown: {}", r.stderr);
        }
    }
    // Outcomes and messages of a good run never show the key either.
    for r in [&flag, &file, &env] {
        assert!(!r.stdout.contains(KEY) && !r.stderr.contains(KEY));
        assert!(!r.stdout.contains(other) && !r.stderr.contains(other));
    }
}

/// With `--input -`, each outcome is written as soon as its line is read:
/// the test reads the first outcome before it sends the second line.
#[test]
fn stdin_is_answered_line_by_line() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let dir = setup("eval_stdin_stream");
    let mut args = vec!["eval", "good.sem", "--input", "-"];
    args.extend(DATA);
    args.extend(["--today", "2026-06-01", "--sampling-key", KEY]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_semaforo"))
        .args(&args)
        .current_dir(&dir)
        .env_remove("SEMAFORO_SAMPLING_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // A reader thread, so a missing answer fails the test instead of
    // hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
            let _ = tx.send(std::mem::take(&mut line));
        }
    });
    let wait = std::time::Duration::from_secs(30);
    writeln!(stdin, "{D1}").unwrap();
    stdin.flush().unwrap();
    let first: Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(first["id"], "D1");
    writeln!(stdin, "\n{{\"id\": \"D9\"}}").unwrap();
    stdin.flush().unwrap();
    let second: Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    // A declaration that cannot be bound gets its error record at once,
    // numbered by its line (the blank line counts as a line, not an item).
    assert_eq!(second["index"], 1);
    assert_eq!(second["line"], 3);
    assert_eq!(second["id"], "D9");
    writeln!(stdin, "{D2}").unwrap();
    drop(stdin);
    let third: Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(third["id"], "D2");
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "a rejected declaration is a finding"
    );
}

/// A CSV history is read as `backtest` reads it (rows grouped by the key
/// column under the mapping), one outcome per declaration, the same as
/// the JSON form of the same declarations.
#[test]
fn csv_input_with_a_mapping_gives_the_json_outcomes() {
    let dir = setup("eval_csv");
    write(
        &dir,
        "decls.csv",
        "Decl,Origin,Importer,HS,Kg\nD1,CN,IMP-7,6402,500\nD2,US,IMP-1,,\nD3,VN,IMP-2,6402,50\nD3,VN,IMP-2,6403,150\n",
    );
    write(
        &dir,
        "decls.map",
        "Decl = id\nOrigin = origin\nImporter = importer\nHS = items.hs\nKg = items.net_kg\n",
    );
    write(
        &dir,
        "decls.jsonl",
        &format!(
            "{D1}\n{D2}\n{}\n",
            r#"{"id": "D3", "origin": "VN", "importer": "IMP-2", "items": [{"hs": "6402", "net_kg": 50}, {"hs": "6403", "net_kg": 150}]}"#
        ),
    );
    let csv = eval(&dir, "decls.csv", &["--map-file", "decls.map"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let json = eval(&dir, "decls.jsonl", &[]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let strip = |v: Vec<Value>| -> Vec<Value> {
        v.into_iter()
            .map(|mut o| {
                o.as_object_mut().unwrap().remove("today");
                o
            })
            .collect()
    };
    let (c, j) = (strip(lines(&csv.stdout)), strip(lines(&json.stdout)));
    assert_eq!(c.len(), 3);
    assert_eq!(c, j);
    assert_eq!(c[2]["score"], 80, "D3: origin and a heavy rated line");
}

/// `explain` reads the same CSV history, and picks the declaration by key.
#[test]
fn explain_reads_csv_with_a_mapping() {
    let dir = setup("explain_csv");
    write(
        &dir,
        "decls.csv",
        "Decl,Origin,Importer,HS,Kg\nD1,US,IMP-1,,\nD3,VN,IMP-2,6402,50\nD3,VN,IMP-2,6403,150\n",
    );
    write(
        &dir,
        "decls.map",
        "Decl = id\nOrigin = origin\nImporter = importer\nHS = items.hs\nKg = items.net_kg\n",
    );
    let mut args = vec![
        "explain",
        "good.sem",
        "--input",
        "decls.csv",
        "--map-file",
        "decls.map",
        "--id",
        "D3",
        "--format",
        "json",
    ];
    args.extend(DATA);
    args.extend(["--today", "2026-06-01", "--sampling-key", KEY]);
    let r = run(&dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(e["id"], "D3");
    assert_eq!(e["score"], 80);
    let missing = run(&dir, &[&args[..6], &["--id", "D9"], &args[8..]].concat());
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no declaration with key `D9`"),
        "{}",
        missing.stderr
    );
}

/// A CSV declaration that cannot be bound gets an error record on its
/// output line (with the line of its row) and the exit status says so;
/// the declarations around it are still evaluated.
#[test]
fn csv_declaration_that_cannot_be_bound_gets_an_error_record() {
    let dir = setup("eval_csv_bad");
    write(
        &dir,
        "decls.csv",
        "Decl,Origin,Importer,HS,Kg\nD1,CN,IMP-7,6402,500\nD2,US,IMP-1,6402,heavy\nD3,VN,IMP-2,,\n",
    );
    write(
        &dir,
        "decls.map",
        "Decl = id\nOrigin = origin\nImporter = importer\nHS = items.hs\nKg = items.net_kg\n",
    );
    let r = eval(&dir, "decls.csv", &["--map-file", "decls.map"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = lines(&r.stdout);
    assert_eq!(out.len(), 3, "one line per declaration: {}", r.stdout);
    assert_eq!(out[0]["id"], "D1");
    assert_eq!(out[1]["index"], 1);
    assert_eq!(out[1]["line"], 3);
    assert!(out[1]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(out[2]["id"], "D3");
    assert!(r.stderr.contains("decls.csv:3:"), "{}", r.stderr);
    assert!(r.stderr.contains("1 of 3 declarations"), "{}", r.stderr);
}
