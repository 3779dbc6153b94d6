//! Runs the evaluation vectors of `tests/data/eval/` through the library:
//! compile with [`Compiler`], evaluate each input line on the plan and
//! explain it with [`semaforo::Ruleset::explain`] (the interpreter of the
//! checked program, which is also the test oracle
//! `semaforo_testkit::reference::evaluate`), and compare both outcomes with
//! the expected line (JSON-equal, modulo key order). The explanation must
//! also agree with the plan (`verdict_agrees`).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo::{Compiler, Context, Date, Explanation, SamplingKey};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The keys of an outcome line that the vectors fix.
const KEYS: [&str; 8] = [
    "id",
    "lane",
    "score",
    "fired",
    "monitored",
    "undetermined",
    "notes",
    "draws",
];

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/eval")
}

/// The `args` file: `--today`, `--sampling-key`, `--sampling-key-id`.
fn context(dir: &Path) -> Context {
    let args = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut today = None;
    let mut key = SamplingKey::default();
    let mut key_id = "zero-key".to_string();
    for pair in words.chunks(2) {
        match pair {
            ["--today", d] => today = Date::parse(d),
            ["--sampling-key", hex] => {
                let mut k = [0u8; 16];
                for (i, b) in k.iter_mut().enumerate() {
                    *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
                }
                key = SamplingKey(k);
            }
            ["--sampling-key-id", id] => key_id = (*id).to_string(),
            other => panic!("{}: unknown args {other:?}", dir.display()),
        }
    }
    Context::new(today.expect("`--today` in args"), key, key_id)
}

/// A compiler with the vector's rules, lists and tables.
fn compiler(dir: &Path) -> Compiler {
    let mut c = Compiler::new();
    let rules = std::fs::read_to_string(dir.join("rules.sem")).unwrap();
    c.add_source("rules.sem", rules);
    for (sub, is_list) in [("lists", true), ("tables", false)] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_stem().unwrap().to_str().unwrap().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let file = format!("{sub}/{}", p.file_name().unwrap().to_str().unwrap());
            if is_list {
                c.add_list_file(name, file, text);
            } else {
                c.add_table_file(name, file, text);
            }
        }
    }
    c
}

fn project(v: &Value) -> Map<String, Value> {
    let obj = v.as_object().expect("an outcome object");
    KEYS.iter()
        .map(|k| {
            let mut x = obj.get(*k).cloned().unwrap_or(Value::Null);
            // `draws` may be absent when empty.
            if *k == "draws" && x.is_null() {
                x = Value::Object(Map::new());
            }
            ((*k).to_string(), x)
        })
        .collect()
}

/// The explanation's verdict as an outcome line: the same keys, from the
/// interpreter's rule-by-rule account instead of the plan.
fn explained(e: &Explanation) -> Value {
    let ids = |rules: Vec<&semaforo::RuleExplanation>| -> Vec<Value> {
        rules.iter().map(|r| Value::from(r.id.as_str())).collect()
    };
    // Entries as the JSON output writes them: `id`, `points`, then `draw`,
    // `lane_draw` and `lane` when they apply.
    let entries = |rules: Vec<&semaforo::RuleExplanation>| -> Vec<Value> {
        rules
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("id".into(), Value::from(r.id.as_str()));
                m.insert("points".into(), Value::from(r.points.unwrap_or(0)));
                if let Some(s) = r.sample {
                    m.insert("draw".into(), Value::from(s.draw));
                }
                if let Some(d) = r.lane_draw {
                    m.insert("lane_draw".into(), Value::from(d));
                }
                if let Some(l) = &r.lane {
                    m.insert("lane".into(), Value::from(l.as_str()));
                }
                Value::Object(m)
            })
            .collect()
    };
    let notes: Vec<Value> = e
        .fired()
        .flat_map(|r| r.notes.iter().map(|n| Value::from(n.as_str())))
        .collect();
    let draws: Map<String, Value> = e
        .fired()
        .filter_map(|r| r.sample.map(|s| (r.id.clone(), Value::from(s.draw))))
        .collect();
    serde_json::json!({
        "id": e.id,
        "lane": e.lane,
        "score": e.score,
        "fired": entries(e.fired().collect()),
        "monitored": entries(e.monitored().collect()),
        "undetermined": ids(e.undetermined().collect()),
        "notes": notes,
        "draws": draws,
    })
}

fn run_vector(dir: &Path) -> Vec<String> {
    let ruleset = compiler(dir)
        .compile()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let ctx = context(dir);
    let mut ev = ruleset.evaluator();
    let input = std::fs::read_to_string(dir.join("input.jsonl")).unwrap();
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let inputs: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    let wants: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        inputs.len(),
        wants.len(),
        "{}: one expected line per input line",
        dir.display()
    );
    let mut failures = Vec::new();
    for (i, (input, want)) in inputs.iter().zip(&wants).enumerate() {
        let out = ev
            .eval_json(input.as_bytes(), &ctx)
            .unwrap_or_else(|e| panic!("{}:{}: {e}", dir.display(), i + 1));
        let mut line = String::new();
        out.write_json(&mut line);
        let got: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(got["sampling_key_id"], ctx.sampling_key_id.as_str());
        assert_eq!(got["ruleset"]["fingerprint"], ruleset.fingerprint_hex());
        assert_eq!(got["ruleset"]["engine"], semaforo::ENGINE_VERSION);
        let explanation = ruleset.explain(ev.declaration(), &ctx);
        let want: Value = serde_json::from_str(want).unwrap();
        let want = project(&want);
        let name = dir.file_name().unwrap().to_string_lossy();
        if !explanation.verdict_agrees {
            failures.push(format!(
                "{name} line {}: explain's verdict differs from the plan's",
                i + 1
            ));
        }
        for (surface, got) in [
            ("plan", project(&got)),
            ("explain", project(&explained(&explanation))),
        ] {
            if got != want {
                failures.push(format!(
                    "{name} line {} ({surface}):\n  expected {}\n  actual   {}",
                    i + 1,
                    Value::Object(want.clone()),
                    Value::Object(got)
                ));
            }
        }
    }
    failures
}

fn check(name: &str) {
    let failures = run_vector(&eval_dir().join(name));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_vector_directory_has_a_test() {
    let mut names: Vec<String> = std::fs::read_dir(eval_dir())
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "aggregates",
            "builtins",
            "casefold",
            "comparisons",
            "composite_keys",
            "dates",
            "decimal",
            "draws",
            "kleene",
            "lane_splits",
            "lanes",
            "logic",
            "lookups",
            "membership",
            "missing",
            "ops",
            "prefix_lookup",
            "prefixes",
            "quantifiers",
            "records",
            "rounding",
            "sampling",
            "score_points",
            "scores",
            "shadow_rules",
            "sharing",
            "table_columns",
            "text",
            "text_lookups",
            "threshold_groups",
            "thresholds",
            "windows",
        ]
    );
}

/// One test per vector directory, named after it.
macro_rules! vectors {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

vectors!(
    aggregates,
    builtins,
    casefold,
    comparisons,
    composite_keys,
    dates,
    decimal,
    draws,
    kleene,
    lane_splits,
    lanes,
    logic,
    lookups,
    membership,
    missing,
    ops,
    prefix_lookup,
    prefixes,
    quantifiers,
    records,
    rounding,
    sampling,
    score_points,
    scores,
    shadow_rules,
    sharing,
    table_columns,
    text,
    text_lookups,
    threshold_groups,
    thresholds,
    windows,
);
