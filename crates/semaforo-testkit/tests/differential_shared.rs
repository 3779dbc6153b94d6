//! Shared subexpressions are remembered without changing an outcome: the
//! evaluator keeps the value of an aggregate or a lookup that several rules
//! (or one condition twice) contain, once per evaluation or per element of
//! its free variable (`semaforo-plan`'s `memo`). Rulesets built from a small
//! pool of such expressions (aggregates at the root, lookups and divisions
//! per element, an aggregate over an element's own list, a count that reads
//! two variables, two lists of the same record type bound to the same
//! variable number, score expressions, the `min` and `max` of one list that
//! one pass computes) agree with the reference
//! interpreter, which remembers nothing, on every declaration. Each plan
//! evaluates one declaration after another with one scratch, so an entry
//! written for one declaration (or one element) and read for another
//! would show as a disagreement.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo_compile::check::check;
use semaforo_compile::hir::{Const, Program};
use semaforo_compile::lower::{TableRows, lower};
use semaforo_plan::{Date, Decimal, Declaration, EvalContext, Outcome, SamplingKey};
use semaforo_testkit::Externals;
use semaforo_testkit::generate::{Recipe, RecipeValue, Rng};
use semaforo_testkit::reference;

const CODES: &[&str] = &["6402990000", "6403110000", "64", "8471300000", "", "9999"];
const LISTS: &[&str] = &["items", "returns"];

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len())]
}

/// A number term per element of `v`, from the shared pool.
fn term(rng: &mut Rng, v: &str) -> String {
    match rng.below(6) {
        0 | 1 => format!("{v}.value / {v}.net_kg"),
        2 => format!("lookup_prefix(price, {v}.hs)"),
        3 => format!("sum(p in {v}.parts: p.weight)"),
        4 => format!("count(jt in items: jt.hs == {v}.hs)"),
        _ => format!("lookup(price, {v}.hs)"),
    }
}

/// A comparison operator.
fn cmp_op(rng: &mut Rng) -> &'static str {
    pick(rng, &["<", "<=", ">", ">=", "==", "!="])
}

/// An arithmetic operator.
fn arith_op(rng: &mut Rng) -> &'static str {
    pick(rng, &["+", "-", "*", "/"])
}

/// A condition per element of `v`.
fn element(rng: &mut Rng, v: &str) -> String {
    match rng.below(12) {
        // A text field against a text constant, on either side (`==` and
        // `!=`: the checker refuses the others for text).
        10 => format!(
            "{v}.hs {} \"{}\"",
            pick(rng, &["==", "!="]),
            pick(rng, CODES)
        ),
        11 => format!(
            "\"{}\" {} {v}.hs and {v}.value > {}",
            pick(rng, CODES),
            pick(rng, &["==", "!="]),
            rng.range(0, 20)
        ),
        // One operator between two fields against a number, on either
        // side, the second field the element's or the declaration's: a
        // shaped leaf (`net_kg` and `freight` may be zero or missing).
        8 => format!(
            "{v}.value {} {v}.net_kg {} {}",
            arith_op(rng),
            cmp_op(rng),
            rng.range(0, 20)
        ),
        9 => format!(
            "{v}.hs starts with \"64\" and {} {} {v}.net_kg {} freight",
            rng.range(0, 20),
            cmp_op(rng),
            arith_op(rng)
        ),
        // `len` against a number, on either side: a shaped leaf.
        5 => format!("len({v}.hs) {} {}", cmp_op(rng), rng.range(0, 11)),
        6 => format!(
            "{v}.hs starts with \"64\" and {} {} len({v}.hs)",
            rng.range(0, 11),
            cmp_op(rng)
        ),
        // Not a leaf: `len` inside arithmetic.
        7 => format!("len({v}.hs) + 1 > {}", rng.range(0, 11)),
        0 => format!(
            "lookup_prefix(price, {v}.hs) is present and {v}.value / {v}.net_kg < lookup_prefix(price, {v}.hs) * {}",
            rng.range(1, 9)
        ),
        1 => format!("{} > {}", term(rng, v), rng.range(0, 20)),
        2 => format!("{} < {}", term(rng, v), term(rng, v)),
        3 => format!(
            "any(p in {v}.parts: p.weight > {} and {v}.value / {v}.net_kg > {})",
            rng.range(0, 10),
            rng.range(0, 5)
        ),
        _ => format!("{} is missing", term(rng, v)),
    }
}

/// An aggregate at the root.
fn aggregate(rng: &mut Rng) -> String {
    let list = pick(rng, LISTS);
    match rng.below(5) {
        // One operator between two fields: a shaped term.
        4 => format!(
            "{}(it in {list}: it.value {} {})",
            pick(rng, &["sum", "min", "max"]),
            arith_op(rng),
            pick(rng, &["it.net_kg", "freight"])
        ),
        0 => format!("sum(it in {list}: it.value)"),
        1 => format!("max(it in {list}: {})", term(rng, "it")),
        2 => format!("min(it in {list}: {})", term(rng, "it")),
        _ => format!("count(it in {list}: {})", element(rng, "it")),
    }
}

/// The spread of a number over a list, `max(..) > min(..) * k`, whose
/// `min` and `max` are extremum partners (one pass computes both): at the
/// root, over an element's own list, or beside a `min` of another list.
fn spread(rng: &mut Rng) -> String {
    let list = pick(rng, LISTS);
    let t = term(rng, "it");
    let k = rng.range(0, 4);
    match rng.below(4) {
        0 => format!("max(it in {list}: {t}) > min(it in {list}: {t}) * {k}"),
        1 => format!("min(it in {list}: {t}) * {k} <= max(it in {list}: {t})"),
        2 => format!(
            "any(rt in {list}: max(p in rt.parts: p.weight) > min(p in rt.parts: p.weight) * {k})"
        ),
        _ => format!(
            "max(it in items: {t}) > min(it in returns: {t}) * {k} \
             and min(it in items: {t}) < {}",
            rng.range(0, 40)
        ),
    }
}

fn condition(rng: &mut Rng) -> String {
    let list = pick(rng, LISTS);
    if rng.chance(10) {
        return spread(rng);
    }
    match rng.below(8) {
        0 | 1 => format!("any(it in {list}: {})", element(rng, "it")),
        7 => {
            // Reads two variables: remembered for neither alone.
            let both = "count(p in rt.parts: p.weight > it.value)";
            format!(
                "any(it in items: any(rt in {list}: {both} >= 1 and {both} < {}))",
                rng.range(1, 4)
            )
        }
        2 => format!("all(it in {list}: {})", element(rng, "it")),
        3 => format!(
            "{} > {} * {}",
            aggregate(rng),
            aggregate(rng),
            rng.range(0, 3)
        ),
        4 => format!(
            "freight < sum(it in items: it.value) * 0.{}",
            rng.range(1, 9)
        ),
        5 => format!(
            "any(it in items: any(rt in returns: rt.hs == it.hs and {} > {}))",
            term(rng, "rt"),
            term(rng, "it")
        ),
        _ => format!(
            "{} >= {} and any(it in {list}: {})",
            aggregate(rng),
            rng.range(0, 30),
            element(rng, "it")
        ),
    }
}

fn source(rng: &mut Rng, rules: usize) -> String {
    let mut s = String::from(
        "ruleset \"shared\" version \"1\"\n\
         schema declaration {\n  key id: text\n  freight: number?\n  items: [item]?\n  returns: [item]?\n}\n\
         record item {\n  hs: text?\n  value: number?\n  net_kg: number?\n  parts: [part]?\n}\n\
         record part {\n  weight: number?\n}\n\
         table price: number\n",
    );
    for i in 0..rules {
        let score = if rng.chance(30) {
            format!("score {}", aggregate(rng))
        } else {
            format!("score {}", rng.range(-5, 30))
        };
        s.push_str(&format!(
            "rule R{i} \"r\" {{\n  when {}\n  then {score}\n}}\n",
            condition(rng)
        ));
    }
    s
}

fn program(text: &str) -> Program {
    let file = semaforo_syntax::parse(text, semaforo_syntax::FileId(0))
        .unwrap_or_else(|d| panic!("{d:#?}\n{text}"));
    let checked = check(std::slice::from_ref(&file));
    checked
        .program
        .unwrap_or_else(|| panic!("{:#?}\n{text}", checked.diagnostics))
}

fn externals() -> Externals {
    let mut x = Externals::default();
    let rows = [("64", 20), ("6403", 35), ("8471", 300), ("", 1)]
        .iter()
        .map(|&(k, v)| (k.to_string(), Const::Number(Decimal::from_i64(v))));
    x.tables.insert("price".into(), TableRows::values(rows));
    x
}

fn number_or_missing(rng: &mut Rng) -> RecipeValue {
    if rng.chance(15) {
        RecipeValue::Missing
    } else {
        RecipeValue::Number(Decimal::from_i64(rng.range(0, 60)))
    }
}

fn list(rng: &mut Rng, element: impl Fn(&mut Rng) -> Recipe) -> RecipeValue {
    match rng.below(8) {
        0 => RecipeValue::Missing,
        1 => RecipeValue::List(Vec::new()),
        _ => RecipeValue::List((0..rng.range(1, 5)).map(|_| element(rng)).collect()),
    }
}

fn item(rng: &mut Rng) -> Recipe {
    Recipe {
        values: vec![
            if rng.chance(10) {
                RecipeValue::Missing
            } else {
                RecipeValue::Text(pick(rng, CODES).to_string())
            },
            number_or_missing(rng),
            number_or_missing(rng),
            list(rng, |g| Recipe {
                values: vec![number_or_missing(g)],
            }),
        ],
    }
}

fn recipe(rng: &mut Rng, n: usize) -> Recipe {
    Recipe {
        values: vec![
            RecipeValue::Text(format!("D{n}")),
            number_or_missing(rng),
            list(rng, item),
            list(rng, item),
        ],
    }
}

/// Compares plan and reference on `decls` declarations of one program.
fn run(seed: u64, rules: usize, decls: usize) {
    let mut rng = Rng::new(seed);
    let text = source(&mut rng, rules);
    let p = program(&text);
    let x = externals();
    let plan = lower(&p, &x).unwrap();
    let mut scratch = plan.new_scratch();
    let mut out = Outcome::default();
    let mut plan_decl = Declaration::new(plan.layout());
    let mut ref_decl = Declaration::new(&p.layout);
    let key = SamplingKey([7; 16]);
    let today = Date::parse("2026-06-15").unwrap();
    let ctx = EvalContext {
        today,
        sampling_key: &key,
    };
    for n in 0..decls {
        let r = recipe(&mut rng, n);
        r.apply(plan.layout(), &mut plan_decl).unwrap();
        r.apply(&p.layout, &mut ref_decl).unwrap();
        plan.evaluate(&plan_decl, &ctx, &mut scratch, &mut out)
            .unwrap();
        let expected = reference::evaluate(&p, &x, &ref_decl, today, &key);
        assert_eq!(
            out, expected,
            "seed {seed}, declaration {n}: plan and reference disagree\n\
             declaration: {r:?}\nruleset:\n{text}"
        );
    }
}

#[test]
fn shared_subexpressions_agree_with_the_reference() {
    // 200 programs x 50 declarations = 10,000 cases.
    for seed in 0..200 {
        run(seed, 1 + (seed as usize % 12), 50);
    }
}

#[test]
fn one_scratch_across_many_declarations_agrees_with_the_reference() {
    // Entries of the memo outlive a declaration in the scratch: a long run
    // of declarations through one scratch must never read a stale one.
    run(9_001, 12, 3_000);
}
