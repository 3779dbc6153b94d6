//! Shared by the targets that compile and evaluate: a fixed schema, fixed
//! external data and fixed declarations.
#![allow(dead_code)]

use semaforo::{Compiler, Context, Date, Ruleset};

/// A header, lanes and a schema with every kind of field, an element record,
/// external lists and tables, for rules to refer to.
pub const PRELUDE: &str = r#"ruleset "fuzz" version "1"
lanes green, yellow, red
threshold yellow 30
threshold red 70
record item {
  hs: text
  value: number
  net_kg: number?
  origin: text?
  ok: bool?
}
schema declaration {
  key id: text
  origin: text
  value: number
  regime: text?
  aeo: bool
  date: date?
  items: [item]
}
list high_risk = ["CN", "HK", "PA"]
list watched: text
table reference_price: number
table codes: text
"#;

/// A few declarations: complete, with absent optionals, empty lists, odd
/// numbers.
pub const DECLARATIONS: &[&str] = &[
    r#"{"id": "D1", "origin": "CN", "value": 12000.50, "regime": "IM4", "aeo": false, "date": "2026-03-01", "items": [{"hs": "640399", "value": 100, "net_kg": 2.5, "origin": "CN", "ok": true}, {"hs": "8471", "value": 0, "net_kg": 0}]}"#,
    r#"{"id": "D2", "origin": "FR", "value": 0, "aeo": true, "items": []}"#,
    r#"{"id": "D3", "origin": "", "value": -99999999999.999999, "aeo": false, "regime": null, "items": [{"hs": "", "value": 1e3}]}"#,
];

/// Adds the fixed external data to `c`.
pub fn add_data(c: &mut Compiler) {
    c.add_list("watched", ["IMP-1", "IMP-2"]);
    c.add_table("reference_price", [("6403", "12.5"), ("84", "100")]);
    c.add_table("codes", [("CN", "asia"), ("FR", "europe")]);
}

/// The evaluation context.
pub fn context() -> Context {
    let today = Date::parse("2026-06-01").unwrap_or_else(|| unreachable!());
    Context::new(today, Default::default(), "k0")
}

/// Evaluates every fixed declaration and `extra`; errors are fine, panics
/// are not. Checks meaning too: a declaration that fails to bind leaves no
/// outcome readable, and `explain` (a separate walk of the checked
/// program) agrees with the evaluator on lane, score, fired and
/// undetermined rules.
pub fn evaluate_all(ruleset: &Ruleset, extra: Option<&[u8]>) {
    let ctx = context();
    let mut ev = ruleset.evaluator();
    for d in DECLARATIONS.iter().map(|d| d.as_bytes()).chain(extra) {
        evaluate_one(ruleset, &mut ev, d, &ctx);
    }
}

fn evaluate_one(ruleset: &Ruleset, ev: &mut semaforo::Evaluator, json: &[u8], ctx: &Context) {
    let verdict = match ev.eval_json(json, ctx) {
        Ok(out) => (
            out.lane().to_string(),
            out.score(),
            out.fired().map(|f| f.id.to_string()).collect::<Vec<_>>(),
            out.undetermined().map(str::to_string).collect::<Vec<_>>(),
        ),
        Err(_) => {
            assert!(ev.outcome().is_none(), "an outcome after a failed evaluation");
            return;
        }
    };
    assert!(ev.outcome().is_some(), "no outcome after a successful evaluation");
    let e = ruleset.explain(ev.declaration(), ctx);
    let explained = (
        e.lane.clone(),
        e.score,
        e.fired().map(|r| r.id.clone()).collect::<Vec<_>>(),
        e.undetermined().map(|r| r.id.clone()).collect::<Vec<_>>(),
    );
    assert_eq!(verdict, explained, "explain disagrees with the evaluator");
}
