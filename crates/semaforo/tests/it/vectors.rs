//! Runs every evaluation vector of `tests/data/eval/` (read by
//! `semaforo_testkit::vectors`, shared with the CLI's and the C ABI's
//! runners) through the library: compile with [`Compiler`], evaluate each
//! input line on the plan and explain it with
//! [`semaforo::Ruleset::explain`] (the interpreter of the checked program,
//! which is also the test oracle `semaforo_testkit::reference::evaluate`),
//! and compare both outcomes with the expected line on the keys the vectors
//! fix. The explanation must also agree with the plan (`verdict_agrees`).
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo::{Compiler, Context, Date, Explanation, SamplingKey};
use semaforo_testkit::vectors::{self, Vector};
use serde_json::{Map, Value};

/// The vector's `args` as an evaluation context.
fn context(v: &Vector) -> Context {
    let today =
        Date::parse(&v.today).unwrap_or_else(|| panic!("{}: bad `--today` {:?}", v.name, v.today));
    Context::new(
        today,
        SamplingKey(v.sampling_key),
        v.sampling_key_id.clone(),
    )
}

/// A compiler with the vector's rules, lists and tables.
fn compiler(v: &Vector) -> Compiler {
    let mut c = Compiler::new();
    for path in &v.packages {
        c.add_source(path.display().to_string(), v.text(path));
    }
    c.add_source(v.rules_path.display().to_string(), v.rules.clone());
    for (name, path) in &v.lists {
        c.add_list_file(name.clone(), path.display().to_string(), v.text(path));
    }
    for (name, path) in &v.tables {
        c.add_table_file(name.clone(), path.display().to_string(), v.text(path));
    }
    c
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
        "overridden": e.overridden.iter().map(|o| serde_json::json!({
            "id": o.id,
            "change": if o.disabled { "disabled" } else { "adjusted" },
            "original": o.original,
            "applied": o.applied,
            "reason": o.reason,
        })).collect::<Vec<_>>(),
    })
}

/// Runs one vector; returns a message per mismatching outcome.
fn run_vector(v: &Vector) -> Vec<String> {
    let ruleset = compiler(v)
        .compile()
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let ctx = context(v);
    let mut ev = ruleset.evaluator();
    let mut failures = Vec::new();
    for (i, input) in v.inputs.iter().enumerate() {
        let out = ev
            .eval_json(input.as_bytes(), &ctx)
            .unwrap_or_else(|e| panic!("{} line {}: {e}", v.name, i + 1));
        let mut line = String::new();
        out.write_json(&mut line);
        let got: Value = serde_json::from_str(&line).unwrap();
        let at = format!("{} line {}", v.name, i + 1);
        assert_eq!(got["sampling_key_id"], ctx.sampling_key_id.as_str(), "{at}");
        assert_eq!(
            got["ruleset"]["fingerprint"],
            ruleset.fingerprint_hex(),
            "{at}"
        );
        assert_eq!(got["ruleset"]["engine"], semaforo::ENGINE_VERSION, "{at}");
        let explanation = ruleset.explain(ev.declaration(), &ctx);
        if !explanation.verdict_agrees {
            failures.push(format!("{at}: explain's verdict differs from the plan's"));
        }
        failures.extend(v.compare(i, "plan", &got));
        failures.extend(v.compare(i, "explain", &explained(&explanation)));
    }
    failures
}

/// Every directory of `tests/data/eval/`, through the plan and `explain`;
/// one failure report naming every vector and line that differs.
#[test]
fn every_vector_through_the_library() {
    vectors::run_all(run_vector);
}
