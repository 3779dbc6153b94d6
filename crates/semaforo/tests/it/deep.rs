//! The deepest conditions the parser accepts compile and evaluate within a
//! known stack: 1 MiB in a release build, 8 MiB in a debug build (whose
//! frames are several times larger). Chains of `and`/`or`, the usual way a
//! condition gets long, are checked in a loop and evaluated as one n-ary
//! op, so they need almost no stack at all. See "Stack" in
//! `docs/embedding.md`.

use semaforo::{Compiler, Context, Date, JsonBinder, Outcome};

const HEADER: &str = "ruleset \"deep\" version \"1\"\n\
    schema declaration {\n  key id: text\n  v: number?\n  aeo: bool?\n}\n";

/// Compiles `when` as one rule on a thread with `stack` bytes and
/// evaluates it on `v = 2, aeo = true`; returns whether the rule fired.
fn fires_on(stack: usize, when: String) -> bool {
    fires_on_with(stack, HEADER, br#"{"id": "1", "v": 2, "aeo": true}"#, when)
}

/// [`fires_on`] over another schema (`header`) and declaration (`json`).
fn fires_on_with(stack: usize, header: &'static str, json: &'static [u8], when: String) -> bool {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let mut c = Compiler::new();
            c.add_source(
                "deep.sem",
                format!("{header}rule R \"deep\" {{\n  when {when}\n  then score 1\n}}\n"),
            );
            let rs = c.compile().unwrap_or_else(|e| panic!("{e}"));
            let mut d = rs.new_declaration();
            rs.bind_json(&mut JsonBinder::default(), json, &mut d)
                .unwrap();
            let ctx = Context::new(Date::parse("2026-01-01").unwrap(), Default::default(), "k");
            let mut out = Outcome::default();
            rs.evaluate(&d, &ctx, &mut rs.new_scratch(), &mut out)
                .unwrap();
            !out.fired.is_empty()
        })
        .unwrap()
        .join()
        .unwrap()
}

fn stack(release: usize, debug: usize) -> usize {
    if cfg!(debug_assertions) {
        debug
    } else {
        release
    }
}

#[test]
fn long_and_or_chains_need_little_stack() {
    let and = format!("v > 1{}", " and aeo".repeat(500));
    let or = format!("v > 5{}", " or v > 9".repeat(499)) + " or aeo";
    let mixed = format!("aeo{}", " and (v > 1 or v > 3)".repeat(250));
    let small = stack(128 * 1024, 512 * 1024);
    assert!(fires_on(small, and));
    assert!(fires_on(small, or));
    assert!(fires_on(small, mixed));
}

#[test]
fn the_deepest_other_expressions_fit_the_documented_stack() {
    let big = stack(1024 * 1024, 8 * 1024 * 1024);
    let nots = format!("{}aeo", "not ".repeat(500));
    let parens = format!("{}aeo{}", "(".repeat(250), ")".repeat(250));
    let sum = format!("v{} > 100", " + v".repeat(500));
    let negs = format!("{}v > 1", "- ".repeat(500));
    assert!(fires_on(big, nots));
    assert!(fires_on(big, parens));
    assert!(fires_on(big, sum));
    assert!(fires_on(big, negs));
}

#[test]
fn the_deepest_nested_quantifiers_fit_the_documented_stack() {
    // 255 quantifiers, each inside the previous one's body (brackets
    // allow no more): `count(..) > 0` at every level is a shaped leaf
    // whose term is the next quantifier, so each level adds the
    // quantifier loop, the leaf and the general evaluator's frames.
    const ITEMS: &str = "ruleset \"deep\" version \"1\"\n\
        schema declaration {\n  key id: text\n  items: [item]?\n}\n\
        record item {\n  x: number?\n}\n";
    let n = 255;
    let mut when = format!("it{n}.x > 0");
    for i in (2..=n).rev() {
        when = format!("count(it{i} in items: {when}) > 0");
    }
    when = format!("any(it1 in items: {when})");
    let big = stack(1024 * 1024, 8 * 1024 * 1024);
    // One element: each level evaluates the next once (with two, `count`
    // would visit 2^255 paths).
    let json = br#"{"id": "1", "items": [{"x": 1}]}"#;
    assert!(fires_on_with(big, ITEMS, json, when.clone()));
    // And the same rule is false when no element has `x > 0`.
    let none = br#"{"id": "1", "items": [{"x": 0}]}"#;
    assert!(!fires_on_with(big, ITEMS, none, when));
}
