//! `semaforo tables derive` through the real binary. Expected points are
//! computed here from the formula in `docs/cli.md`, independently of the
//! command's code; expected statistics are worked out by hand.

use crate::support::{Run, run, scratch, write};
use std::collections::BTreeMap;
use std::path::Path;

/// A small history: 20 declarations, 6 with a finding (p = 0.3).
/// Keys HS|origin: 6403|CN 6 of 8, 6403|VN 0 of 4, 8471|CN 0 of 5,
/// 8471|DE 0 of 2, 6402|CN 0 of 1 (the rest are in the base rate only:
/// one row has no origin).
const HISTORY: &str = "\
id,hs,origin,found,price,kg
1,6403,CN,1,100,10
2,6403,CN,1,120,10
3,6403,CN,1,80,10
4,6403,CN,1,100,20
5,6403,CN,1,90,10
6,6403,CN,1,110,10
7,6403,CN,0,100,10
8,6403,CN,0,100,10
9,6403,VN,0,50,10
10,6403,VN,0,50,10
11,6403,VN,0,50,10
12,6403,VN,0,60,10
13,8471,CN,0,1000,1
14,8471,CN,0,1000,2
15,8471,CN,0,1000,4
16,8471,CN,0,1000,0
17,8471,CN,0,1000,
18,8471,DE,0,1,1
19,8471,DE,0,1,1
20,6402,,0,1,1
";

/// Points by the documented formula, computed with f64 here.
fn expected_points(n: u64, h: u64, big_n: u64, big_h: u64, m: f64, s: f64) -> i64 {
    let p = big_h as f64 / big_n as f64;
    let r = (h as f64 + m * p) / (n as f64 + m);
    let logit = |x: f64| (x / (1.0 - x)).ln();
    (s * (logit(r) - logit(p))).round_ties_even() as i64
}

/// The data lines of a table file (after the comments and the header row).
fn rows(table: &str) -> Vec<&str> {
    table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .collect()
}

fn derive(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["tables", "derive", "--input", "h.csv"];
    all.extend_from_slice(args);
    run(dir, &all)
}

#[test]
fn points_match_the_formula_computed_independently() {
    let dir = scratch("tables-points");
    write(&dir, "h.csv", HISTORY);
    let counts: [(&str, u64, u64); 5] = [
        ("6402|CN", 0, 0), // no origin on that row: not a key
        ("6403|CN", 8, 6),
        ("6403|VN", 4, 0),
        ("8471|CN", 5, 0),
        ("8471|DE", 2, 0),
    ];
    for (m, s, extra) in [
        (20.0, 100.0, vec![]),
        (3.5, 40.0, vec!["--smoothing", "3.5", "--points", "40"]),
    ] {
        let mut args = vec![
            "--by",
            "hs",
            "--by",
            "origin",
            "--outcome",
            "found",
            "--min-count",
            "1",
        ];
        args.extend(extra);
        let r = derive(&dir, &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let want: Vec<String> = counts
            .iter()
            .filter(|(_, n, _)| *n > 0)
            .map(|(k, n, h)| format!("{k},{}", expected_points(*n, *h, 20, 6, m, s)))
            .collect();
        assert_eq!(rows(&r.stdout), want, "{}", r.stdout);
        assert!(r.stdout.contains("\nkey,value\n"), "{}", r.stdout);
        assert!(
            r.stdout.contains(&format!(
                "# points = round_half_even({s} * (logit(r) - logit(p))), r = (h + {m} * p) / (n + {m}), p = 6 / 20\n"
            )),
            "{}",
            r.stdout
        );
    }
    // The defaults, spelled out: M = 20, S = 100, every key (at least 1
    // declaration); 6403|CN is round(100 × (logit(12/28) − logit(0.3))) =
    // 56, 6403|VN round(100 × (logit(6/24) − logit(0.3))) = −25, 8471|CN
    // round(100 × (logit(6/25) − logit(0.3))) = −31, 8471|DE
    // round(100 × (logit(6/22) − logit(0.3))) = −13.
    let r = derive(
        &dir,
        &["--by", "hs", "--by", "origin", "--outcome", "found"],
    );
    assert_eq!(
        rows(&r.stdout),
        ["6403|CN,56", "6403|VN,-25", "8471|CN,-31", "8471|DE,-13"],
        "{}",
        r.stdout
    );
    // With `--stats` the default is at least 5 values: only 6403|CN (8)
    // and 8471|CN (5).
    let r = derive(&dir, &["--by", "hs", "--by", "origin", "--stats", "price"]);
    let keys: Vec<&str> = rows(&r.stdout)
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(keys, ["6403|CN", "8471|CN"], "{}", r.stdout);
}

#[test]
fn min_count_columns_and_smoothing() {
    let dir = scratch("tables-columns");
    write(&dir, "h.csv", HISTORY);
    // One key part: HS. 6403: 6 of 12, 8471: 0 of 7, 6402: 0 of 1.
    // M = 10, p = 0.3: 6403 r = (6 + 3) / 22 = 0.409091 (0.40909090...),
    // 8471 r = 3 / 17 = 0.176471 (0.17647058...); 6402 has n = 1 < 2.
    let r = derive(
        &dir,
        &[
            "--by",
            "hs",
            "--outcome",
            "found",
            "--min-count",
            "2",
            "--smoothing",
            "10",
            "--columns",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("\nkey,n,hits,rate,points\n"),
        "{}",
        r.stdout
    );
    assert_eq!(
        rows(&r.stdout),
        [
            format!(
                "6403,12,6,0.409091,{}",
                expected_points(12, 6, 20, 6, 10.0, 100.0)
            ),
            format!(
                "8471,7,0,0.176471,{}",
                expected_points(7, 0, 20, 6, 10.0, 100.0)
            ),
        ]
    );
    assert!(
        r.stdout
            .contains("# counts: 20 declarations, 20 with a result, 6 with a finding; 3 keys, 2 with at least 2 inspected declarations\n"),
        "{}",
        r.stdout
    );
    // Bad smoothing is a usage error.
    let r = derive(
        &dir,
        &["--by", "hs", "--outcome", "found", "--smoothing", "0"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--smoothing 0"), "{}", r.stderr);
}

#[test]
fn keys_are_sorted_by_bytes() {
    let dir = scratch("tables-sort");
    let mut text = String::from("k,found\n");
    for k in ["b", "a", "B", "10", "9", "a b", "Ä"] {
        text.push_str(&format!("{k},1\n{k},0\n"));
    }
    write(&dir, "h.csv", &text);
    let r = derive(
        &dir,
        &["--by", "k", "--outcome", "found", "--min-count", "1"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let keys: Vec<&str> = rows(&r.stdout)
        .iter()
        .map(|l| l.rsplit_once(',').unwrap().0)
        .collect();
    assert_eq!(keys, ["10", "9", "B", "a", "a b", "b", "Ä"]);
    // Every key at the base rate scores 0.
    assert!(rows(&r.stdout).iter().all(|l| l.ends_with(",0")));
}

#[test]
fn value_statistics_with_nearest_rank_percentiles() {
    let dir = scratch("tables-stats");
    let mut text = String::from("k,v\n");
    // A: 1..=20 in a shuffled order; B: 3, 1, 2; C: two values whose mean
    // and median, 0.0000015, round half to even to 0.000002.
    for i in [
        7, 3, 20, 1, 15, 2, 9, 11, 4, 18, 5, 13, 6, 17, 8, 19, 10, 12, 14, 16,
    ] {
        text.push_str(&format!("A,{i}\n"));
    }
    text.push_str("B,3\nB,1\nB,2\nC,0.000001\nC,0.000002\nD,5\n");
    write(&dir, "h.csv", &text);
    let r = derive(&dir, &["--by", "k", "--stats", "v", "--min-count", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("\nkey,n,min,max,mean,median,p10,p90\n"),
        "{}",
        r.stdout
    );
    // A: p10 is the 2nd smallest (ceil(0.1 × 20)), p90 the 18th; B: p10
    // the 1st (ceil(0.3)), p90 the 3rd (ceil(2.7)); D has one value.
    assert_eq!(
        rows(&r.stdout),
        [
            "A,20,1,20,10.5,10.5,2,18",
            "B,3,1,3,2,2,1,3",
            "C,2,0.000001,0.000002,0.000002,0.000002,0.000001,0.000002",
        ]
    );
}

#[test]
fn value_statistics_per_unit() {
    let dir = scratch("tables-per");
    write(&dir, "h.csv", HISTORY);
    // Price per kg. 6403|CN: 5, 8, 9, 10, 10, 10, 11, 12; 6403|VN: 5, 5,
    // 5, 6; 8471|CN: 1000/1, 1000/2, 1000/4 (line 17: kg 0, line 18: kg
    // empty, no value).
    let r = derive(
        &dir,
        &[
            "--by",
            "hs",
            "--by",
            "origin",
            "--stats",
            "price",
            "--per",
            "kg",
            "--min-count",
            "3",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        rows(&r.stdout),
        [
            "6403|CN,8,5,12,9.375,10,5,12",
            "6403|VN,4,5,6,5.25,5,5,6",
            "8471|CN,3,250,1000,583.333333,500,250,1000",
        ],
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("# left out: 2 rows without a value\n"));
    assert!(
        r.stderr.contains("h.csv:17: no value of `price` / `kg`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("h.csv:18: "), "{}", r.stderr);
}

#[test]
fn rows_without_a_key_part_are_reported_with_their_lines() {
    let dir = scratch("tables-missing");
    write(&dir, "h.csv", HISTORY);
    let r = derive(
        &dir,
        &[
            "--by",
            "hs",
            "--by",
            "origin",
            "--outcome",
            "found",
            "--min-count",
            "1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: h.csv:21: `origin` is empty; the row has no key"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("# left out: 1 rows with an empty key column\n"),
        "{}",
        r.stdout
    );
    // The row still counts in the base rate: p = 6 / 20.
    assert!(r.stdout.contains("p = 6 / 20\n"), "{}", r.stdout);
}

#[test]
fn a_bar_in_a_key_part_is_an_error() {
    let dir = scratch("tables-bar");
    write(&dir, "h.csv", "a,b,found\nX,Y,1\nX|Y,Z,0\nX,Y|Z,0\nX,Z,0\n");
    let r = derive(
        &dir,
        &[
            "--by",
            "a",
            "--by",
            "b",
            "--outcome",
            "found",
            "--min-count",
            "1",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (line, by) in [(3, "a"), (4, "b")] {
        assert!(
            r.stderr
                .contains(&format!("error: h.csv:{line}: `{by}` is ")),
            "{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("holds `|`"), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("# left out: 2 rows with `|` in a key part\n")
    );
    let keys: Vec<&str> = rows(&r.stdout)
        .iter()
        .map(|l| l.rsplit_once(',').unwrap().0)
        .collect();
    assert_eq!(keys, ["X|Y", "X|Z"]);
}

#[test]
fn unreadable_rows_and_outcomes_are_reported() {
    let dir = scratch("tables-bad");
    write(&dir, "h.csv", "a,found\nX,1\nX,maybe\nY,0\n\"Z,0\nY,1,2\n");
    let r = derive(
        &dir,
        &["--by", "a", "--outcome", "found", "--min-count", "1"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error: h.csv:3: outcome column `found`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("error: h.csv:5: "), "{}", r.stderr);
    assert!(
        r.stderr.contains("error: h.csv:6: expected 2 cells"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("# left out: 3 declarations that could not be read\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("# rows: 5 data rows, 3 read, 2 rejected\n")
    );
    // Without both outcomes there is no log-odds.
    write(&dir, "h.csv", "a,found\nX,0\nY,0\n");
    let r = derive(&dir, &["--by", "a", "--outcome", "found"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("points need both outcomes"),
        "{}",
        r.stderr
    );
}

#[test]
fn json_lines_with_an_item_member_in_the_key() {
    let dir = scratch("tables-jsonl");
    write(
        &dir,
        "h.jsonl",
        r#"{"id": "J1", "origin": "CN", "items": [{"hs": "6403"}, {"hs": "6403"}], "found": true}
{"id": "J2", "origin": "CN", "items": [{"hs": "6403"}, {"hs": "8471"}], "found": 0}
{"id": "J3", "origin": "VN", "items": [{"hs": "8471"}], "found": 0}
{"id": "J4", "origin": "VN", "items": [{"hs": 8471}], "found": null}
{"id": "J5", "items": [{"hs": "8471"}], "found": 1}
"#,
    );
    let r = run(
        &dir,
        &[
            "tables",
            "derive",
            "--input",
            "h.jsonl",
            "--by",
            "items.hs",
            "--by",
            "origin",
            "--outcome",
            "found",
            "--min-count",
            "1",
            "--columns",
            "--smoothing",
            "1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 4 inspected (J4 is not), 2 findings: p = 0.5. 6403|CN: J1 (once)
    // and J2: 1 of 2, r = 1.5 / 3 = 0.5; 8471|CN: 0 of 1, r = 0.25;
    // 8471|VN: 0 of 1 (J3), r = 0.25. J5 has no origin (reported).
    let p = |n, h| expected_points(n, h, 4, 2, 1.0, 100.0);
    assert_eq!(
        rows(&r.stdout),
        [
            format!("6403|CN,2,1,0.500000,{}", p(2, 1)),
            format!("8471|CN,1,0,0.250000,{}", p(1, 0)),
            format!("8471|VN,1,0,0.250000,{}", p(1, 0)),
        ]
    );
    assert!(
        r.stderr.contains("h.jsonl:5: `origin` is empty"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_header_records_the_command_and_the_input_digest_and_runs_are_identical() {
    let dir = scratch("tables-determinism");
    write(&dir, "h.csv", HISTORY);
    let args = |out: &'static str| {
        [
            "tables",
            "derive",
            "--input",
            "h.csv",
            "--by",
            "hs",
            "--by",
            "origin",
            "--outcome",
            "found",
            "--min-count",
            "1",
            "--output",
            out,
        ]
    };
    let a = run(&dir, &args("a.csv"));
    let b = run(&dir, &args("a.csv"));
    assert_eq!((a.code, b.code), (0, 0), "{}", a.stderr);
    assert!(a.stdout.is_empty());
    let first = std::fs::read(dir.join("a.csv")).unwrap();
    let c = run(&dir, &args("b.csv"));
    assert_eq!(c.code, 0);
    let second = std::fs::read_to_string(dir.join("b.csv")).unwrap();
    // The same but for the output name in the recorded command line.
    assert_eq!(
        String::from_utf8(first).unwrap().replace("a.csv", "b.csv"),
        second
    );
    let mut lines = second.lines();
    assert_eq!(
        lines.next().unwrap(),
        "# semaforo tables derive --input h.csv --by hs --by origin --outcome found --min-count 1 --output b.csv"
    );
    let input = lines.next().unwrap();
    let digest = input.strip_prefix("# input: h.csv sha256:").unwrap();
    assert_eq!(digest.len(), 64);
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(lines.next().unwrap(), "# key: hs | origin");
    // A different input, a different digest.
    write(
        &dir,
        "h.csv",
        &HISTORY.replace("6,6403,CN,1", "6,6403,CN,0"),
    );
    run(&dir, &args("c.csv"));
    let third = std::fs::read_to_string(dir.join("c.csv")).unwrap();
    assert!(!third.contains(digest));
}

/// The KCS training split: shape only.
#[test]
fn kcs_train_shape() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/kcs");
    let train = root.join("train.csv");
    let map = root.join("kcs.map");
    let dir = scratch("tables-kcs");
    let r = run(
        &dir,
        &[
            "tables",
            "derive",
            "--input",
            train.to_str().unwrap(),
            "--map-file",
            map.to_str().unwrap(),
            "--by",
            "items.hs6",
            "--by",
            "origin",
            "--by",
            "departure",
            "--outcome",
            "Fraud",
            "--min-count",
            "10",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("# counts: 37385 declarations, 37385 with a result, 8114 with a finding; "),
        "{}",
        r.stdout
    );
    let written: usize = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("# counts: "))
        .and_then(|l| l.rsplit_once(" keys, "))
        .and_then(|(_, rest)| rest.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    let entries = rows(&r.stdout);
    assert_eq!(entries.len(), written);
    assert!(written > 100, "{written}");
    let mut keys = Vec::new();
    for e in &entries {
        let (k, v) = e.rsplit_once(',').unwrap();
        assert_eq!(k.split('|').count(), 3, "{e}");
        assert_eq!(k.split('|').next().unwrap().len(), 6, "{e}");
        v.parse::<i64>().unwrap();
        keys.push(k);
    }
    assert!(keys.windows(2).all(|w| w[0] < w[1]));

    let r = run(
        &dir,
        &[
            "tables",
            "derive",
            "--input",
            train.to_str().unwrap(),
            "--map-file",
            map.to_str().unwrap(),
            "--by",
            "items.hs6",
            "--stats",
            "items.price",
            "--per",
            "items.net_kg",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entries = rows(&r.stdout);
    assert!(entries.len() > 1000, "{}", entries.len());
    let mut per_key = BTreeMap::new();
    for e in entries {
        let cells: Vec<&str> = e.split(',').collect();
        assert_eq!(cells.len(), 8, "{e}");
        let n: u64 = cells[1].parse().unwrap();
        assert!(n >= 5);
        per_key.insert(cells[0].to_string(), n);
    }
    assert!(per_key.keys().all(|k| k.len() == 6));
}

/// A points table loads as a `key,value` table of the language and its
/// lookups give the points (written without comment lines: the table
/// reader does not skip `#` lines).
#[test]
fn a_points_table_loads_and_scores() {
    let dir = scratch("tables-load");
    write(&dir, "h.csv", HISTORY);
    let r = derive(
        &dir,
        &[
            "--by",
            "hs",
            "--outcome",
            "found",
            "--no-comments",
            "--output",
            "pts.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table = std::fs::read_to_string(dir.join("pts.csv")).unwrap();
    assert!(table.starts_with("key,value\n"), "{table}");
    write(
        &dir,
        "r.sem",
        "ruleset \"s\" version \"1\"\nschema d {\n  key id: text\n  hs: text\n}\ntable pts: number\nrule HS \"HS points\" {\n  when lookup(pts, hs) > 0\n  then score 1\n}\n",
    );
    write(
        &dir,
        "in.jsonl",
        "{\"id\": \"1\", \"hs\": \"6403\"}\n{\"id\": \"2\", \"hs\": \"8471\"}\n",
    );
    let r = run(
        &dir,
        &[
            "eval",
            "r.sem",
            "--input",
            "in.jsonl",
            "--table",
            "pts=pts.csv",
            "--today",
            "2026-01-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 6403: 6 of 12 above the base rate 0.3; 8471: 0 of 7, below.
    let scores: Vec<bool> = r
        .stdout
        .lines()
        .map(|l| l.contains("\"score\":1"))
        .collect();
    assert_eq!(scores, [true, false], "{}", r.stdout);
}

/// Declarations of several rows (`--key`): each counts once per distinct
/// key, with the maximum of its rows' results.
#[test]
fn multi_row_declarations_count_once_per_key() {
    let dir = scratch("tables-key");
    write(
        &dir,
        "h.csv",
        "Decl,Importer,HS,Found\nA1,IMP-1,6403,1\nA2,IMP-1,6403,1\nA3,IMP-1,8471,0\n\
         A4,IMP-2,8471,0\nA5,IMP-2,6403,1\nA6,IMP-3,6402,1\nA7,IMP-3,6402,\n\
         A8,IMP-4,8471,0\nA8,IMP-4,6402,1\nA9,IMP-5,6403,0\nA9,IMP-5,6403,0\n",
    );
    // N = 8 inspected (A7 is not), H = 5. 6402: A6, A8 (2 of 2);
    // 6403: A1, A2, A5, A9 once (3 of 4); 8471: A3, A4, A8 (1 of 3).
    let r = derive(
        &dir,
        &[
            "--by",
            "HS",
            "--outcome",
            "Found",
            "--key",
            "Decl",
            "--columns",
            "--smoothing",
            "8",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = |n, h| expected_points(n, h, 8, 5, 8.0, 100.0);
    // r: 6402 (2 + 5) / 10 = 0.7, 6403 (3 + 5) / 12, 8471 (1 + 5) / 11.
    assert_eq!(
        rows(&r.stdout),
        [
            format!("6402,2,2,0.700000,{}", p(2, 2)),
            format!("6403,4,3,0.666667,{}", p(4, 3)),
            format!("8471,3,1,0.545455,{}", p(3, 1)),
        ]
    );
    assert!(
        r.stdout
            .contains("# counts: 9 declarations, 8 with a result, 5 with a finding; "),
        "{}",
        r.stdout
    );
}

#[test]
fn json_value_statistics_of_item_members() {
    let dir = scratch("tables-json-stats");
    write(
        &dir,
        "h.json",
        r#"[{"id": "1", "origin": "CN", "items": [{"hs": "6403", "price": 10, "kg": 4},
                                               {"hs": "6403", "price": "7.5", "kg": 1}]},
            {"id": "2", "origin": "CN", "items": [{"hs": "6403", "price": 1e1, "kg": 0.5},
                                               {"hs": "8471", "price": "x", "kg": 1}]}]"#,
    );
    let r = run(
        &dir,
        &[
            "tables",
            "derive",
            "--input",
            "h.json",
            "--by",
            "items.hs",
            "--by",
            "origin",
            "--stats",
            "items.price",
            "--per",
            "items.kg",
            "--min-count",
            "1",
        ],
    );
    // 6403|CN: 2.5, 7.5, 20; the `x` price is an error (exit 1).
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(rows(&r.stdout), ["6403|CN,3,2.5,20,10,7.5,2.5,20"]);
    assert!(
        r.stderr
            .contains("h.json:3: `items.price`: expected a number, found `x`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("# left out: 1 rows whose value is not a number\n")
    );
}

/// Splits a header command line written with POSIX shell quoting (plain
/// words and single-quoted words, as `tables derive` writes them).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut w = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut w));
                }
                in_word = false;
            }
            _ => {
                w.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(w);
    }
    words
}

/// The KCS tables come from `train.csv` alone (their headers carry its
/// SHA-256), and the command line each records reproduces it byte for byte.
#[test]
fn kcs_tables_come_from_train_only_and_reproduce() {
    use sha2::{Digest, Sha256};
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let train = std::fs::read(repo.join("examples/kcs/train.csv")).unwrap();
    let digest: String = Sha256::digest(&train)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = scratch("tables-kcs-reproduce");
    let tables = repo.join("examples/kcs/tables");
    let mut names: Vec<String> = std::fs::read_dir(&tables)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("points_") || n.starts_with("unit_price_"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(tables.join(name)).unwrap();
        assert!(
            text.contains(&format!(
                "\n# input: examples/kcs/train.csv sha256:{digest}\n"
            )),
            "{name}"
        );
        assert!(!text.contains("valid.csv"), "{name}");
        if ![
            "points_hs6_origin_departure.csv",
            "points_importer.csv",
            "unit_price_hs6.csv",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let recorded = text
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# semaforo ")
            .unwrap();
        let mut args = shell_words(recorded);
        let out = dir.join(name);
        let at = args.iter().position(|a| a == "--output").unwrap();
        let committed_output = std::mem::replace(&mut args[at + 1], out.to_str().unwrap().into());
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_semaforo"))
            .args(&args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let again = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            again.replace(out.to_str().unwrap(), &committed_output),
            text,
            "{name}"
        );
    }
}

#[test]
fn clean_statistics_leave_out_declarations_with_a_finding() {
    let dir = scratch("tables-clean");
    write(&dir, "h.csv", HISTORY);
    // 6403|CN without findings: rows 7 and 8, price per kg 10 and 10.
    let r = derive(
        &dir,
        &[
            "--by",
            "hs",
            "--by",
            "origin",
            "--stats",
            "price",
            "--per",
            "kg",
            "--clean",
            "found",
            "--min-count",
            "2",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        rows(&r.stdout),
        [
            "6403|CN,2,10,10,10,10,10,10",
            "6403|VN,4,5,6,5.25,5,5,6",
            "8471|CN,3,250,1000,583.333333,500,250,1000",
            "8471|DE,2,1,1,1,1,1,1",
        ],
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "# clean: only declarations inspected with nothing found in `found`; 6 others left out\n"
        ),
        "{}",
        r.stdout
    );
}
