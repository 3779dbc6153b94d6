//! The rule index never changes an outcome: rulesets made of the shapes the
//! index recognises (`f in [..] and ..`, `f == ".." and ..`,
//! `any(it in items: it.hs starts with .. and ..)`) mixed with shapes it
//! must not treat as guards (`not in`, `or`, `not`, `all`, guards inside a
//! nested `and` of an `or`), over fields that are often missing, with up to
//! 2,000 rules sharing the same fields, agree with the reference
//! interpreter on every declaration. The flat-schema cases test a
//! top-level `code` field with `starts with` (inline or list) at top level,
//! the shape a host whose declarations have one item writes, composite keys
//! `key(origin, code, ..) in [..]` (and `key(it.origin, it.hs) in [..]`
//! inside `any`), and their near misses.
//!
//! The declarations draw from small value pools, so values hit and miss
//! the rules' lists, prefixes match at several lengths, and missing
//! fields, missing lists, empty lists and elements without a code all
//! occur; those are the cases where skipping a rule would be wrong.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo_compile::check::check;
use semaforo_compile::hir::Program;
use semaforo_compile::lower::lower;
use semaforo_plan::{Date, Decimal, Declaration, EvalContext, Outcome, SamplingKey};
use semaforo_testkit::Externals;
use semaforo_testkit::generate::{Recipe, RecipeValue, Rng};
use semaforo_testkit::reference;

const ORIGINS: &[&str] = &["CN", "HK", "VN", "US", "GT", "MX", "cn", ""];
const REGIMES: &[&str] = &["IM4", "IM5", "EX1"];
const CODES: &[&str] = &[
    "6402990000",
    "6402100000",
    "6403110000",
    "6401",
    "64",
    "6",
    "",
    "8471300000",
    "8517120000",
    "6109100000",
    "6204420000",
    "9999999999",
];
const PREFIXES: &[&str] = &[
    "6",
    "64",
    "640",
    "6402",
    "640299",
    "6403",
    "84",
    "8471",
    "8517",
    "61",
    "62",
    "6109",
    "",
    "99999999999",
];

const DATES: &[&str] = &["2025-12-31", "2026-02-28", "2026-03-01", "2026-03-02"];
/// Bounds of number comparisons: on, between and beside the values the
/// declarations draw (0 to 119), negative and fractional.
const BOUNDS: &[&str] = &["0", "1", "49.5", "50", "50.000001", "-3", "119", "120", "7"];

/// A range guard on the top-level `value` or `declared` field.
fn range(rng: &mut Rng) -> String {
    let n = pick(rng, BOUNDS);
    let d = pick(rng, DATES);
    match rng.below(9) {
        0 => format!("value > {n}"),
        1 => format!("value >= {n}"),
        2 => format!("value < {n}"),
        3 => format!("{n} <= value"),
        4 => format!("value == {n}"),
        5 => format!("value in [{n}, {}, 60]", pick(rng, BOUNDS)),
        6 => format!("declared >= {d}"),
        7 if rng.chance(50) => format!("{d} > declared"),
        7 => format!("{n} < value"),
        _ => format!("declared in [{d}, 2026-03-02]"),
    }
}

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len())]
}

fn text_list(rng: &mut Rng, pool: &[&str], max: usize) -> String {
    let n = rng.below(max + 1);
    let items: Vec<String> = (0..n).map(|_| format!("\"{}\"", pick(rng, pool))).collect();
    format!("[{}]", items.join(", "))
}

fn importer(rng: &mut Rng) -> String {
    format!("I{}", rng.below(30))
}

/// A condition on the declaration that is not a guard.
fn root_extra(rng: &mut Rng) -> String {
    match rng.below(10) {
        8 => "aeo".into(),
        9 => "not aeo".into(),
        0 => format!("value > {}", rng.range(0, 100)),
        1 => format!("regime == \"{}\"", pick(rng, REGIMES)),
        2 => "value is missing".into(),
        3 => "true".into(),
        4 => "false".into(),
        5 => format!("count(it in items: it.value > {}) >= 1", rng.range(0, 100)),
        6 => "origin is missing".into(),
        _ => format!("not (regime == \"{}\")", pick(rng, REGIMES)),
    }
}

/// A comparison of an item's number field with a constant.
fn item_range(rng: &mut Rng) -> String {
    let n = pick(rng, BOUNDS);
    let f = if rng.chance(70) { "value" } else { "net_kg" };
    match rng.below(6) {
        0 => format!("it.{f} > {n}"),
        1 => format!("it.{f} >= {n}"),
        2 => format!("{n} > it.{f}"),
        3 => format!("it.{f} <= {n}"),
        4 => format!("it.{f} == {n}"),
        _ => format!("it.{f} in [{n}, {}, 60]", pick(rng, BOUNDS)),
    }
}

/// Another condition on an element, beside a shape's guard (some, such
/// as `it.value > 5`, are guards themselves).
fn item_extra(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("it.value > {}", rng.range(0, 100)),
        1 => format!("it.value / it.net_kg < {} * 0.5", rng.range(0, 40)),
        2 => "it.net_kg is missing".into(),
        3 => "true".into(),
        4 => "it.value is present".into(),
        _ => format!("it.hs == \"{}\"", pick(rng, CODES)),
    }
}

/// `code starts with ..` on the top-level field, inline or a list.
fn code_starts(rng: &mut Rng) -> String {
    if rng.chance(50) {
        format!("code starts with \"{}\"", pick(rng, PREFIXES))
    } else {
        format!("code starts with {}", text_list(rng, PREFIXES, 4))
    }
}

/// A list of composite keys `origin|code` (sometimes with a regime, an
/// extra `|`, or parts that are empty), so keys hit, miss, and are longer
/// or shorter than every value.
fn key_list(rng: &mut Rng, max: usize) -> String {
    let n = rng.below(max + 1);
    let items: Vec<String> = (0..n)
        .map(|_| match rng.below(4) {
            0 => format!(
                "\"{}|{}|{}\"",
                pick(rng, ORIGINS),
                pick(rng, CODES),
                pick(rng, REGIMES)
            ),
            1 => format!("\"{}|{}\"", pick(rng, ORIGINS), pick(rng, PREFIXES)),
            _ => format!("\"{}|{}\"", pick(rng, ORIGINS), pick(rng, CODES)),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// A flat-schema condition: a top-level `starts with` guard in several
/// positions, or (unless `guarded_only`) a near miss.
fn flat_condition(rng: &mut Rng, guarded_only: bool) -> String {
    match rng.below(if guarded_only { 8 } else { 14 }) {
        0 => format!("{} and {}", code_starts(rng), root_extra(rng)),
        1 => format!(
            "origin in {} and {} and value > {}",
            text_list(rng, ORIGINS, 5),
            code_starts(rng),
            rng.range(0, 100)
        ),
        2 => format!("{} and {}", root_extra(rng), code_starts(rng)),
        3 => format!(
            "{} and value / {} < {} * 0.5",
            code_starts(rng),
            rng.range(1, 9),
            rng.range(0, 40)
        ),
        4 => format!(
            "({} and importer == \"{}\") and {}",
            code_starts(rng),
            importer(rng),
            code_starts(rng)
        ),
        5 => code_starts(rng),
        6 => format!("key(origin, code) in {}", key_list(rng, 5)),
        7 => format!(
            "{} and key(origin, code, regime) in {}",
            root_extra(rng),
            key_list(rng, 4)
        ),
        // Near misses: none of these may be used to skip the rule.
        8 => format!("not ({})", code_starts(rng)),
        9 => format!("{} or {}", code_starts(rng), root_extra(rng)),
        10 => format!("\"{}\" starts with code", pick(rng, PREFIXES)),
        11 => format!("code starts with origin and {}", root_extra(rng)),
        12 => format!("key(origin, code) not in {}", key_list(rng, 3)),
        _ => format!(
            "code is missing and {}",
            if rng.chance(50) {
                root_extra(rng)
            } else {
                code_starts(rng)
            }
        ),
    }
}

fn starts(rng: &mut Rng) -> String {
    if rng.chance(50) {
        format!("it.hs starts with \"{}\"", pick(rng, PREFIXES))
    } else {
        format!("it.hs starts with {}", text_list(rng, PREFIXES, 4))
    }
}

/// A condition of one of the indexed shapes, or (unless `guarded_only`)
/// a near miss.
fn condition(rng: &mut Rng, guarded_only: bool) -> String {
    match rng.below(if guarded_only { 21 } else { 49 }) {
        0 | 1 => format!(
            "origin in {} and {}",
            text_list(rng, ORIGINS, 5),
            root_extra(rng)
        ),
        2 => format!(
            "origin == \"{}\" and {}",
            pick(rng, ORIGINS),
            root_extra(rng)
        ),
        3 => format!(
            "{} and \"{}\" == origin",
            root_extra(rng),
            pick(rng, ORIGINS)
        ),
        4 | 5 => {
            let list: Vec<String> = (0..rng.below(8))
                .map(|_| format!("\"{}\"", importer(rng)))
                .collect();
            format!("importer in [{}]", list.join(", "))
        }
        6 | 7 => format!("any(it in items: {} and {})", starts(rng), item_extra(rng)),
        8 => format!(
            "origin in {} and any(it in items: {} and {}) and {}",
            text_list(rng, ORIGINS, 4),
            item_extra(rng),
            starts(rng),
            root_extra(rng)
        ),
        9 => format!(
            "({} and importer == \"{}\") and (origin in {} and {})",
            root_extra(rng),
            importer(rng),
            text_list(rng, ORIGINS, 3),
            root_extra(rng)
        ),
        // Element value guards: `v.g in [..]` / `v.g == ".."` inside `any`.
        10 => format!(
            "any(it in items: {} and it.hs in {})",
            item_extra(rng),
            text_list(rng, CODES, 4)
        ),
        11 => format!(
            "any(it in items: \"{}\" == it.hs and {}) and {}",
            pick(rng, CODES),
            item_extra(rng),
            root_extra(rng)
        ),
        // With `is present` on the same field: an element without it makes
        // the body false, so the rule is skipped for it.
        12 => format!(
            "any(it in items: it.hs is present and {} and it.hs in {})",
            item_extra(rng),
            text_list(rng, CODES, 3)
        ),
        // Range guards on numbers and dates (alone: the index prefers
        // any other guard).
        13 => format!("{} and {}", range(rng), root_extra(rng)),
        14 => format!("{} and any(it in items: {})", range(rng), item_extra(rng)),
        // Element key guards: `key(v.a, v.b) in [..]` inside `any`
        // (`is present` on one part makes nothing false: the key of an
        // element without the other part is still missing).
        15 => format!(
            "any(it in items: key(it.origin, it.hs) in {} and {})",
            key_list(rng, 5),
            item_extra(rng)
        ),
        16 => format!(
            "any(it in items: it.hs is present and {} and key(it.origin, it.hs) in {}) and {}",
            item_extra(rng),
            key_list(rng, 4),
            root_extra(rng)
        ),
        // Element range guards: `it.value > ..`, `it.net_kg in [..]`
        // inside `any` (with `is present` on the field, or not).
        17 => format!(
            "any(it in items: {} and {})",
            item_range(rng),
            item_extra(rng)
        ),
        18 => format!(
            "any(it in items: it.value is present and {}) and {}",
            item_range(rng),
            root_extra(rng)
        ),
        // Bool fields as range guards: `aeo`, `not aeo`, `aeo == c`.
        19 => format!(
            "{} and {}",
            pick(
                rng,
                &[
                    "aeo",
                    "not aeo",
                    "aeo == true",
                    "false == aeo",
                    "aeo != true"
                ]
            ),
            root_extra(rng)
        ),
        20 => format!(
            "any(it in items: it.value is present and {}) and not aeo",
            item_extra(rng)
        ),
        // Near misses: none of these may be used to skip the rule.
        44 => format!("not (aeo and {})", root_extra(rng)),
        45 => format!("aeo or {}", root_extra(rng)),
        46 => "not not aeo".into(),
        47 => format!(
            "(aeo == (value > {})) and {}",
            pick(rng, BOUNDS),
            root_extra(rng)
        ),
        39 => format!("any(it in items: not ({}))", item_range(rng)),
        40 => format!("all(it in items: {})", item_range(rng)),
        41 => format!(
            "any(it in items: {} or {})",
            item_range(rng),
            item_extra(rng)
        ),
        42 => format!("any(it in items: it.value != {})", pick(rng, BOUNDS)),
        43 => format!(
            "any(it in items: it.value > it.net_kg and {})",
            item_extra(rng)
        ),
        36 => format!(
            "any(it in items: key(it.origin, it.hs) not in {})",
            key_list(rng, 3)
        ),
        // A part that is not the element's own field.
        37 => format!(
            "any(it in items: key(origin, it.hs) in {} and {})",
            key_list(rng, 4),
            item_extra(rng)
        ),
        38 => format!(
            "any(it in items: any(jt in items: key(it.origin, jt.hs) in {}))",
            key_list(rng, 4)
        ),
        32 => format!("value != {} and {}", pick(rng, BOUNDS), root_extra(rng)),
        33 => format!("not ({})", range(rng)),
        34 => format!("{} or {}", range(rng), root_extra(rng)),
        28 => format!(
            "origin not in {} and {}",
            text_list(rng, ORIGINS, 3),
            root_extra(rng)
        ),
        35 => format!(
            "origin in {} or {}",
            text_list(rng, ORIGINS, 3),
            root_extra(rng)
        ),
        21 => format!("not (origin in {})", text_list(rng, ORIGINS, 3)),
        22 => format!(
            "any(it in items: it.hs not in {} and {})",
            text_list(rng, CODES, 3),
            item_extra(rng)
        ),
        23 => format!("all(it in items: it.hs in {})", text_list(rng, CODES, 3)),
        24 => format!(
            "any(it in items: it.hs in {} or {})",
            text_list(rng, CODES, 3),
            item_extra(rng)
        ),
        25 => format!(
            "any(it in items: any(jt in items: it.hs == jt.hs and jt.hs in {}))",
            text_list(rng, CODES, 3)
        ),
        26 => format!(
            "any(it in items: not (it.hs in {}))",
            text_list(rng, CODES, 3)
        ),
        27 => format!("any(it in items: {} or {})", starts(rng), item_extra(rng)),
        // `is present` on another field, or outside the `and`: an element
        // without `hs` still leaves the rule undecided.
        29 => format!(
            "any(it in items: it.value is present and it.hs in {})",
            text_list(rng, CODES, 3)
        ),
        30 => format!(
            "any(it in items: (it.hs is present or {}) and it.hs == \"{}\")",
            item_extra(rng),
            pick(rng, CODES)
        ),
        31 => format!(
            "any(it in items: any(jt in items: jt.hs starts with \"{}\") and {})",
            pick(rng, PREFIXES),
            item_extra(rng)
        ),
        _ => format!("all(it in items: {} and {})", starts(rng), item_extra(rng)),
    }
}

fn source(rng: &mut Rng, rules: usize, guarded_only: bool, flat: bool) -> String {
    let mut s = String::from(
        "ruleset \"indexed\" version \"1\"\n\
         schema declaration {\n  key id: text\n  origin: text?\n  importer: text?\n  regime: text?\n  value: number?\n  items: [item]?\n  code: text?\n  declared: date?\n  aeo: bool?\n}\n\
         record item {\n  hs: text?\n  value: number?\n  net_kg: number?\n  origin: text?\n}\n",
    );
    for i in 0..rules {
        let mut then = vec![format!("score {}", rng.range(-5, 30))];
        if rng.chance(10) {
            then.push("lane red".into());
        }
        let active = match rng.below(10) {
            0 => "  active from 2026-03-01\n",
            1 => "  active to 2026-03-01\n",
            _ => "",
        };
        let sample = if rng.chance(5) { "  sample 50%\n" } else { "" };
        let when = if flat && rng.chance(60) {
            flat_condition(rng, guarded_only)
        } else {
            condition(rng, guarded_only)
        };
        s.push_str(&format!(
            "rule R{i} \"r\" {{\n{active}  when {}\n{sample}  then {}\n}}\n",
            when,
            then.join(", ")
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

fn text_or_missing(rng: &mut Rng, v: impl FnOnce(&mut Rng) -> String) -> RecipeValue {
    if rng.chance(15) {
        RecipeValue::Missing
    } else {
        RecipeValue::Text(v(rng))
    }
}

fn number_or_missing(rng: &mut Rng) -> RecipeValue {
    if rng.chance(15) {
        RecipeValue::Missing
    } else {
        RecipeValue::Number(Decimal::from_i64(rng.range(0, 120)))
    }
}

fn recipe(rng: &mut Rng, n: usize, flat: bool) -> Recipe {
    let items = match rng.below(10) {
        0 => RecipeValue::Missing,
        1 => RecipeValue::List(Vec::new()),
        _ => RecipeValue::List(
            (0..rng.range(1, 4))
                .map(|_| Recipe {
                    values: vec![
                        text_or_missing(rng, |g| pick(g, CODES).to_string()),
                        number_or_missing(rng),
                        number_or_missing(rng),
                        text_or_missing(rng, |g| pick(g, ORIGINS).to_string()),
                    ],
                })
                .collect(),
        ),
    };
    Recipe {
        values: vec![
            RecipeValue::Text(format!("D{n}")),
            text_or_missing(rng, |g| pick(g, ORIGINS).to_string()),
            text_or_missing(rng, importer),
            text_or_missing(rng, |g| pick(g, REGIMES).to_string()),
            number_or_missing(rng),
            items,
            if flat {
                text_or_missing(rng, |g| pick(g, CODES).to_string())
            } else {
                RecipeValue::Missing
            },
            if rng.chance(15) {
                RecipeValue::Missing
            } else {
                RecipeValue::Date(Date::parse(pick(rng, DATES)).unwrap())
            },
            match rng.below(5) {
                0 => RecipeValue::Missing,
                1 | 2 => RecipeValue::Bool(true),
                _ => RecipeValue::Bool(false),
            },
        ],
    }
}

/// The first rule of `text` that, alone, makes plan and reference disagree
/// on `r`.
fn culprit(text: &str, r: &Recipe, ctx: &EvalContext<'_>) -> String {
    let head_end = text.find("rule ").unwrap_or(text.len());
    let head = &text[..head_end];
    for rule in text[head_end..].split("rule ").filter(|r| !r.is_empty()) {
        let one = format!("{head}rule {rule}");
        let p = program(&one);
        let x = Externals::default();
        let plan = lower(&p, &x).unwrap();
        let d1 = r.build(plan.layout()).unwrap();
        let d2 = r.build(&p.layout).unwrap();
        let mut out = Outcome::default();
        plan.evaluate(&d1, ctx, &mut plan.new_scratch(), &mut out)
            .unwrap();
        if out != reference::evaluate(&p, &x, &d2, ctx.today, ctx.sampling_key) {
            return format!("rule {rule}");
        }
    }
    "(none alone)".into()
}

/// Compares plan and reference on `decls` declarations; returns how many
/// rules the index guards.
fn run(seed: u64, rules: usize, decls: usize) -> usize {
    run_shapes(seed, rules, decls, false, false)
}

/// [`run`], with only guarded shapes if `guarded_only`, and flat-schema
/// shapes (a top-level `code starts with ..`) mixed in if `flat`.
fn run_shapes(seed: u64, rules: usize, decls: usize, guarded_only: bool, flat: bool) -> usize {
    let mut rng = Rng::new(seed);
    let text = source(&mut rng, rules, guarded_only, flat);
    let p = program(&text);
    let x = Externals::default();
    let plan = lower(&p, &x).unwrap();
    let mut scratch = plan.new_scratch();
    let mut out = Outcome::default();
    let mut plan_decl = Declaration::new(plan.layout());
    let mut ref_decl = Declaration::new(&p.layout);
    let key = SamplingKey([7; 16]);
    for n in 0..decls {
        let r = recipe(&mut rng, n, flat);
        r.apply(plan.layout(), &mut plan_decl).unwrap();
        r.apply(&p.layout, &mut ref_decl).unwrap();
        let today = if rng.chance(50) {
            Date::parse("2026-01-15").unwrap()
        } else {
            Date::parse("2026-06-15").unwrap()
        };
        let ctx = EvalContext {
            today,
            sampling_key: &key,
        };
        plan.evaluate(&plan_decl, &ctx, &mut scratch, &mut out)
            .unwrap();
        let expected = reference::evaluate(&p, &x, &ref_decl, today, &key);
        if out != expected {
            panic!(
                "seed {seed}, {rules} rules, declaration {n}: plan and reference disagree\n\
                 declaration: {r:?}\ntoday: {today}\nplan:      {out:?}\nreference: {expected:?}\n\
                 first rule that disagrees alone:\n{}",
                culprit(&text, &r, &ctx)
            );
        }
    }
    plan.indexed_rules()
}

#[test]
fn indexed_plans_agree_with_the_reference_on_small_rulesets() {
    // 150 programs x 60 declarations = 9,000 cases.
    let mut guarded = 0;
    for seed in 0..150 {
        guarded += run(seed, 1 + (seed as usize % 70), 60);
    }
    assert!(guarded > 1_500, "only {guarded} rules were indexed");
}

#[test]
fn indexed_plans_agree_with_the_reference_on_large_rulesets() {
    // Sizes around the 64-rule bitset words and up to 2,000 rules.
    for (seed, rules) in [
        (1000, 63),
        (1001, 64),
        (1002, 65),
        (1003, 200),
        (1004, 700),
        (1005, 2_000),
    ] {
        let guarded = run(seed, rules, 400);
        // Half of the generated shapes are guards.
        assert!(
            guarded * 5 > rules * 2,
            "{guarded} of {rules} rules indexed"
        );
    }
}

/// A wide plan whose rules are all guarded keeps its candidates sparse
/// (only the bitset words a declaration touches are read and cleared);
/// outcomes still agree with the reference, declaration after declaration
/// through one scratch.
#[test]
fn sparse_candidates_agree_with_the_reference() {
    for (seed, rules) in [(2000, 1_100), (2001, 2_000)] {
        let text = source(&mut Rng::new(seed), rules, true, false);
        let plan = lower(&program(&text), &Externals::default()).unwrap();
        assert!(plan.sparse_candidates(), "{rules} guarded rules are sparse");
        let guarded = run_shapes(seed, rules, 400, true, false);
        assert!(
            guarded * 10 > rules * 9,
            "{guarded} of {rules} rules indexed"
        );
    }
}

/// Flat schemas: a top-level `code starts with ..` (inline or a list)
/// alone, next to value guards and other conditions, and its near misses,
/// from a few rules to past the second level and the sparse candidates.
#[test]
fn flat_schema_prefix_guards_agree_with_the_reference() {
    let mut guarded = 0;
    for seed in 0..80 {
        guarded += run_shapes(3000 + seed, 1 + (seed as usize % 70), 60, false, true);
    }
    assert!(guarded > 1_000, "only {guarded} rules were indexed");
    for (seed, rules) in [(3100, 64), (3101, 300), (3102, 1_500)] {
        let guarded = run_shapes(seed, rules, 400, false, true);
        assert!(guarded * 2 > rules, "{guarded} of {rules} rules indexed");
    }
}

/// Flat schemas whose rules are all guarded (every rule has a top-level
/// `starts with` or value guard): sparse candidates, proved prefix guards
/// left out of evaluation, outcomes equal to the reference.
#[test]
fn all_guarded_flat_schemas_agree_with_the_reference() {
    for seed in 0..40 {
        let rules = 1 + (seed as usize % 70);
        let guarded = run_shapes(3200 + seed, rules, 60, true, true);
        assert_eq!(guarded, rules, "seed {seed}: every rule is guarded");
    }
    for (seed, rules) in [(3300, 1_100), (3301, 2_000)] {
        let text = source(&mut Rng::new(seed), rules, true, true);
        let plan = lower(&program(&text), &Externals::default()).unwrap();
        assert!(plan.sparse_candidates(), "{rules} guarded rules are sparse");
        let guarded = run_shapes(seed, rules, 400, true, true);
        assert_eq!(guarded, rules, "every rule is guarded");
    }
}
