//! `semaforo calibrate` through the real binary, on the fixture in
//! `tests/data/calibrate/`: `base.sem` (a rule scoring each declaration's
//! `points`, two rules forcing red or yellow) and `thresholds.sem` (its
//! own thresholds). Histories are generated here; the expected thresholds
//! are computed independently, by trying every integer threshold, and the
//! written thresholds are checked by evaluating the history again with
//! `base.sem` and the written file.

use crate::support::{Run, run, scratch, write};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const TODAY: &str = "2026-06-30";

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/calibrate")
        .join(name)
        .display()
        .to_string()
}

/// One declaration of a generated history.
#[derive(Clone, Debug)]
struct Decl {
    points: i64,
    /// `"red"`, `"yellow"` or none.
    force: Option<&'static str>,
    office: Option<String>,
}

fn decl(points: i64, force: Option<&'static str>, office: Option<&str>) -> Decl {
    Decl {
        points,
        force,
        office: office.map(str::to_string),
    }
}

/// Writes the history as JSON Lines; returns its path.
fn history(dir: &Path, decls: &[Decl]) -> PathBuf {
    let mut text = String::new();
    for (i, d) in decls.iter().enumerate() {
        let mut o = serde_json::json!({"id": format!("D{i}"), "points": d.points});
        if let Some(f) = d.force {
            o["force"] = Value::from(f);
        }
        if let Some(off) = &d.office {
            o["office"] = Value::from(off.as_str());
        }
        text.push_str(&o.to_string());
        text.push('\n');
    }
    write(dir, "history.jsonl", &text);
    dir.join("history.jsonl")
}

/// Lane severity in the fixture.
fn sev(lane: &str) -> usize {
    ["green", "blue", "yellow", "red"]
        .iter()
        .position(|l| *l == lane)
        .unwrap()
}

/// The expected thresholds, by brute force: for each target lane, least
/// severe first, every integer from the lowest score to one above the
/// highest, keeping the smallest whose share of "this lane or a more
/// severe one" is within the target (one above the highest score when
/// none is), raised to one above the less severe lane's threshold. The
/// result is most severe first, as the report lists them.
fn expected(decls: &[&Decl], targets: &[(&str, u64)]) -> Vec<(String, i64, u64)> {
    let lo = decls.iter().map(|d| d.points).min().unwrap();
    let hi = decls.iter().map(|d| d.points).max().unwrap();
    let n = decls.len() as u64;
    let mut targets = targets.to_vec();
    targets.sort_by_key(|t| sev(t.0));
    let mut out: Vec<(String, i64, u64)> = Vec::new();
    for (lane, percent) in targets {
        let l = sev(lane);
        let count = |t: i64| {
            decls
                .iter()
                .filter(|d| d.force.is_some_and(|f| sev(f) >= l) || d.points >= t)
                .count() as u64
        };
        let best = (lo..=hi + 1)
            .find(|&t| count(t) * 100 <= percent * n)
            .unwrap_or(hi + 1);
        let t = out.last().map_or(best, |p| best.max(p.1 + 1));
        out.push((lane.to_string(), t, count(t)));
    }
    out.reverse();
    out
}

fn calibrate(dir: &Path, input: &Path, extra: &[&str]) -> Run {
    let (base, thr) = (data("base.sem"), data("thresholds.sem"));
    let input = input.display().to_string();
    let mut args = vec![
        "calibrate",
        base.as_str(),
        thr.as_str(),
        "--input",
        input.as_str(),
        "--today",
        TODAY,
    ];
    if !extra.contains(&"--format") {
        args.extend_from_slice(&["--format", "json"]);
    }
    args.extend_from_slice(extra);
    run(dir, &args)
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

/// `(lane, threshold, achieved count)` of a set in the report.
fn lanes(set: &Value) -> Vec<(String, i64, u64)> {
    set["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["lane"].as_str().unwrap().to_string(),
                l["threshold"].as_i64().unwrap(),
                l["achieved"]["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Evaluates the history with `base.sem` and the written thresholds;
/// the lanes, in input order.
fn lanes_with(dir: &Path, input: &Path, written: &Path) -> Vec<String> {
    let (base, w, i) = (
        data("base.sem"),
        written.display().to_string(),
        input.display().to_string(),
    );
    let r = run(dir, &["eval", &base, &w, "--input", &i, "--today", TODAY]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["lane"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Declarations of `decls` (with their lanes) in `lane` or a more severe
/// one.
fn at_least(ls: &[&String], lane: &str) -> u64 {
    ls.iter().filter(|l| sev(l) >= sev(lane)).count() as u64
}

#[test]
fn uniform_scores_give_the_quantiles() {
    let dir = scratch("calibrate-uniform");
    let decls: Vec<Decl> = (1..=100).map(|p| decl(p, None, None)).collect();
    let input = history(&dir, &decls);
    let r = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "red=5%",
            "--target",
            "yellow=15%",
            "--write",
            "new.sem",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    let got = lanes(&v["general"]);
    assert_eq!(got, vec![("red".into(), 96, 5), ("yellow".into(), 86, 15)]);
    let refs: Vec<&Decl> = decls.iter().collect();
    assert_eq!(got, expected(&refs, &[("red", 5), ("yellow", 15)]));
    // The current thresholds (yellow 40, red 70) for comparison.
    assert_eq!(v["general"]["lanes"][0]["current"]["count"], 31);
    assert_eq!(v["general"]["lanes"][1]["current"]["count"], 61);
    assert!(
        r.stderr.contains("lane `blue` has no --target"),
        "{}",
        r.stderr
    );
    let text = std::fs::read_to_string(dir.join("new.sem")).unwrap();
    assert!(
        text.contains("threshold yellow 86\nthreshold red 96\n"),
        "{text}"
    );
    let ls = lanes_with(&dir, &input, &dir.join("new.sem"));
    let all: Vec<&String> = ls.iter().collect();
    assert_eq!(at_least(&all, "red"), 5);
    assert_eq!(at_least(&all, "yellow"), 15);
}

/// A history with forced lanes, ties and negative scores.
fn mixed(office: Option<&str>, n: i64, seed: i64) -> Vec<Decl> {
    (0..n)
        .map(|i| {
            let p = (i * 37 + seed * 11) % 61 - 10;
            let force = match (i + seed) % 23 {
                0 => Some("red"),
                1 | 2 => Some("yellow"),
                _ => None,
            };
            decl(p, force, office)
        })
        .collect()
}

#[test]
fn forced_lanes_count_towards_the_target() {
    let dir = scratch("calibrate-forced");
    let decls = mixed(None, 500, 3);
    let input = history(&dir, &decls);
    let targets = [("red", 10), ("yellow", 25)];
    let r = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "yellow=25%",
            "--target",
            "red=10%",
            "--write",
            "new.sem",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    let refs: Vec<&Decl> = decls.iter().collect();
    let want = expected(&refs, &targets);
    assert_eq!(lanes(&v["general"]), want);
    let forced_red = decls.iter().filter(|d| d.force == Some("red")).count() as u64;
    assert_eq!(v["general"]["lanes"][0]["forced"]["count"], forced_red);
    let ls = lanes_with(&dir, &input, &dir.join("new.sem"));
    let all: Vec<&String> = ls.iter().collect();
    assert_eq!(at_least(&all, "red"), want[0].2);
    assert_eq!(at_least(&all, "yellow"), want[1].2);
}

#[test]
fn groups_get_their_own_thresholds() {
    let dir = scratch("calibrate-groups");
    let mut decls = mixed(Some("GT01"), 300, 1);
    decls.extend(mixed(Some("CR01"), 250, 7).into_iter().map(|mut d| {
        d.points += 15; // a busier office: higher scores
        d
    }));
    decls.extend(mixed(Some("SV04"), 20, 2)); // below --min-group
    decls.extend(mixed(None, 30, 5)); // no office: general thresholds
    let input = history(&dir, &decls);
    let targets = [("red", 5), ("yellow", 20)];
    let r = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "red=5%",
            "--target",
            "yellow=20%",
            "--by",
            "office",
            "--write",
            "new.sem",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The same on one thread as on several.
    let one = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "red=5%",
            "--target",
            "yellow=20%",
            "--by",
            "office",
            "--threads",
            "1",
        ],
    );
    let three = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "red=5%",
            "--target",
            "yellow=20%",
            "--by",
            "office",
            "--threads",
            "3",
        ],
    );
    assert_eq!(one.stdout, r.stdout);
    assert_eq!(three.stdout, r.stdout);
    let v = json(&r);
    assert_eq!(v["min_group"], 200);
    assert_eq!(v["declarations"]["without_group"], 30);
    let refs: Vec<&Decl> = decls.iter().collect();
    let general = expected(&refs, &targets);
    assert_eq!(lanes(&v["general"]), general);
    let groups: BTreeMap<String, &Value> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["value"].as_str().unwrap().to_string(), g))
        .collect();
    assert_eq!(groups.keys().collect::<Vec<_>>(), ["CR01", "GT01", "SV04"]);
    let in_group = |o: &str| -> Vec<&Decl> {
        decls
            .iter()
            .filter(|d| d.office.as_deref() == Some(o))
            .collect()
    };
    for office in ["GT01", "CR01"] {
        let g = groups[office];
        assert_eq!(g["calibrated"], true);
        assert_eq!(lanes(g), expected(&in_group(office), &targets), "{office}");
    }
    assert_eq!(groups["SV04"]["calibrated"], false);
    assert_eq!(groups["SV04"]["declarations"], 20);
    let sv: Vec<(String, i64, u64)> = lanes(groups["SV04"]);
    assert_eq!(sv[0].1, general[0].1);
    assert_eq!(sv[1].1, general[1].1);
    // GT01 and CR01 differ, so the written file has to say so per office.
    assert_ne!(lanes(groups["GT01"]), lanes(groups["CR01"]));
    let text = std::fs::read_to_string(dir.join("new.sem")).unwrap();
    assert!(text.contains("for office \"GT01\""), "{text}");
    assert!(text.contains("for office \"CR01\""), "{text}");
    assert!(!text.contains("SV04"), "{text}");
    // Evaluated again with the written thresholds, every office gets the
    // rates the report gives.
    let ls = lanes_with(&dir, &input, &dir.join("new.sem"));
    for (office, g) in &groups {
        let mine: Vec<&String> = ls
            .iter()
            .zip(&decls)
            .filter(|(_, d)| d.office.as_deref() == Some(office.as_str()))
            .map(|(l, _)| l)
            .collect();
        for (lane, _, achieved) in lanes(g) {
            assert_eq!(at_least(&mine, &lane), achieved, "{office} {lane}");
        }
    }
}

#[test]
fn conflicting_targets_are_reported() {
    let dir = scratch("calibrate-conflict");
    // 100 scores 1..=100; every tenth declaration is forced red.
    let decls: Vec<Decl> = (1..=100)
        .map(|p| decl(p, (p % 10 == 0).then_some("red"), None))
        .collect();
    let input = history(&dir, &decls);
    // The forced lanes alone are 10% red.
    let r = calibrate(&dir, &input, &["--target", "red=5%"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let red = &v["general"]["lanes"][0];
    assert_eq!(red["met"], false);
    assert_eq!(red["unmet"], "forced");
    assert_eq!(red["threshold"], 101); // above every score: none by score
    assert_eq!(red["achieved"]["count"], 10);
    assert_eq!(v["unmet"], 1);
    assert!(r.stderr.contains("cannot be met"), "{}", r.stderr);
    // yellow-or-red at most 12% while red alone may take 15%: yellow takes
    // 98 and 99 beside the 10 forced; red's own 95 is raised above it.
    let r = calibrate(
        &dir,
        &input,
        &["--target", "red=15%", "--target", "yellow=12%"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    let ls = &v["general"]["lanes"];
    assert_eq!(ls[0]["smallest"], 95);
    assert_eq!(
        (ls[0]["threshold"].as_i64(), ls[0]["raised"].as_bool()),
        (Some(99), Some(true))
    );
    assert_eq!(ls[0]["achieved"]["count"], 11);
    assert_eq!(
        (
            ls[1]["threshold"].as_i64(),
            ls[1]["achieved"]["count"].as_u64()
        ),
        (Some(98), Some(12))
    );
    let refs: Vec<&Decl> = decls.iter().collect();
    assert_eq!(
        lanes(&v["general"]),
        expected(&refs, &[("red", 15), ("yellow", 12)])
    );
    // The forced reds alone exceed yellow's 5%: no declaration reaches
    // yellow by score, so none may reach red by score either.
    let r = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "red=15%",
            "--target",
            "yellow=5%",
            "--write",
            "new.sem",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let ls = &v["general"]["lanes"];
    assert_eq!(
        (ls[1]["threshold"].as_i64(), ls[1]["unmet"].as_str()),
        (Some(101), Some("forced"))
    );
    assert_eq!(
        (ls[0]["threshold"].as_i64(), ls[0]["met"].as_bool()),
        (Some(102), Some(true))
    );
    // The file is written all the same, and evaluates as reported.
    let ls = lanes_with(&dir, &input, &dir.join("new.sem"));
    let all: Vec<&String> = ls.iter().collect();
    assert_eq!((at_least(&all, "red"), at_least(&all, "yellow")), (10, 10));
}

#[test]
fn written_file_replaces_the_thresholds() {
    let dir = scratch("calibrate-replace");
    let decls: Vec<Decl> = (1..=50).map(|p| decl(p, None, None)).collect();
    let input = history(&dir, &decls);
    let r = calibrate(&dir, &input, &["--target", "red=10%", "--write", "new.sem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Compiled beside the ruleset's own thresholds: E0116, never a silent
    // mix of both.
    let (base, thr) = (data("base.sem"), data("thresholds.sem"));
    let c = run(&dir, &["check", &base, &thr, "new.sem"]);
    assert_eq!(c.code, 1);
    assert!(c.stdout.contains("E0116") || c.stderr.contains("E0116"));
    let c = run(&dir, &["check", &base, "new.sem"]);
    assert_eq!(c.code, 0, "{}{}", c.stdout, c.stderr);
}

#[test]
fn bad_options_are_usage_errors() {
    let dir = scratch("calibrate-usage");
    let input = history(&dir, &[decl(1, None, None)]);
    for (args, says) in [
        (&["--target", "purple=5%"][..], "no lane `purple`"),
        (&["--target", "green=5%"][..], "default lane"),
        (&["--target", "red=5.00001%"][..], "at most 4 decimals"),
        (&["--target", "red=101%"][..], "from 0% to 100%"),
        (
            &["--target", "red=5%", "--target", "red=6%"][..],
            "two targets",
        ),
        (&["--target", "red=5%", "--by", "points"][..], "not one"),
        (
            &["--target", "red=5%", "--by", "nope"][..],
            "no field `nope`",
        ),
    ] {
        let r = calibrate(&dir, &input, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn csv_history_groups_by_the_mapped_column() {
    let dir = scratch("calibrate-csv");
    // `post` is mapped to `office`; C has no office.
    write(
        &dir,
        "h.csv",
        "decl,post,points,force\nA,X,10,\nB,X,20,red\nC,,30,\nD,Y,40,\nE,Y,5,\n",
    );
    let base = data("base.sem");
    let r = run(
        &dir,
        &[
            "calibrate",
            &base,
            "--input",
            "h.csv",
            "--today",
            TODAY,
            "--map",
            "decl=id",
            "--map",
            "post=office",
            "--target",
            "red=50%",
            "--by",
            "office",
            "--min-group",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["declarations"]["without_group"], 1);
    // X: B forced red (1 of 2 = 50%), A's 10 must stay out: 11.
    // Y: one of 40 and 5 may be red: 6 (5 would take both).
    let g = &v["groups"];
    assert_eq!(
        (
            g[0]["value"].as_str(),
            g[0]["lanes"][0]["threshold"].as_i64()
        ),
        (Some("X"), Some(11))
    );
    assert_eq!(
        (
            g[1]["value"].as_str(),
            g[1]["lanes"][0]["threshold"].as_i64()
        ),
        (Some("Y"), Some(6))
    );
}

#[test]
fn text_output_lists_groups() {
    let dir = scratch("calibrate-text");
    let mut decls = mixed(Some("GT01"), 40, 1);
    decls.extend(mixed(Some("CR01"), 10, 2));
    let input = history(&dir, &decls);
    let r = calibrate(
        &dir,
        &input,
        &[
            "--target",
            "red=10%",
            "--by",
            "office",
            "--min-group",
            "20",
            "--format",
            "text",
        ],
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("general thresholds (50 declarations)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("office \"GT01\" (40 declarations)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("office \"CR01\" (10 declarations, too few: general thresholds)"),
        "{}",
        r.stdout
    );
}
