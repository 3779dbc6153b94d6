//! Unit tests of the [`Program`] the checker builds: layout, lanes,
//! thresholds, sampling cut-offs, variable ids, types and references.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use proptest::prelude::*;
use semaforo_compile::check::{Checked, check};
use semaforo_compile::hir::{
    Arith, Base, Cmp, Const, Expr, ExprKind, LaneAction, LaneId, ListId, Pattern, Program, Quant,
    Scalar, Score, TableId, TestExpect, Type, VarId,
};
use semaforo_plan::{Date, Decimal, FieldId, FieldType, RecordId};
use semaforo_syntax::{FileId, line_col};

fn run(sources: &[&str]) -> Checked {
    let files: Vec<_> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| semaforo_syntax::parse(s, FileId(i as u32)).expect("test source parses"))
        .collect();
    check(&files)
}

fn program(source: &str) -> Program {
    let checked = run(&[source]);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "unexpected errors: {:?}",
        checked.diagnostics
    );
    checked.program.expect("no errors, so a program")
}

const SCHEMA: &str = r#"
ruleset "unit" version "7.1"
schema declaration {
  origin: text
  key id: text
  weight: number?
  declared_on: date
  items: [item]
}
record item {
  hs: text
  value: number
  parts: [part]
}
record part {
  code: text
  subs: [part]
}
"#;

fn with_schema(rest: &str) -> String {
    format!("{SCHEMA}{rest}")
}

fn when_of(p: &Program, rule: usize) -> &Expr {
    p.rules[rule]
        .when
        .as_ref()
        .expect("the rule has a condition")
}

#[test]
fn layout_follows_declaration_order() {
    let p = program(&with_schema("rule R \"r\" { then score 1 }"));
    assert_eq!(p.name, "unit");
    assert_eq!(p.version, "7.1");
    let records = p.layout.records();
    let names: Vec<&str> = records.iter().map(|r| &*r.name).collect();
    assert_eq!(names, ["declaration", "item", "part"]);
    // The key is the second field of the schema.
    assert_eq!(p.layout.key(), FieldId(1));
    let root = &records[0];
    assert_eq!(root.fields[2].ty, FieldType::Number);
    assert!(root.fields[2].optional);
    assert!(!root.fields[0].optional);
    assert_eq!(root.fields[3].ty, FieldType::Date);
    assert_eq!(root.fields[4].ty, FieldType::List(RecordId(1)));
    assert_eq!(records[1].fields[2].ty, FieldType::List(RecordId(2)));
    // Recursive records are allowed.
    assert_eq!(records[2].fields[1].ty, FieldType::List(RecordId(2)));
}

#[test]
fn default_lanes_and_thresholds() {
    let p = program(&with_schema(
        "threshold red 70\nthreshold yellow 40\nrule R \"r\" { then score 1 }",
    ));
    assert_eq!(p.lanes, ["green", "yellow", "red"]);
    // Sorted by lane although declared in the other order.
    assert_eq!(p.thresholds, [(LaneId(1), 40), (LaneId(2), 70)]);
}

#[test]
fn custom_lanes_drop_the_default_lane_threshold() {
    let checked = run(&[&with_schema(
        "lanes low, mid, high\nthreshold high -5\nthreshold low 100\nthreshold mid -10\n\
         rule R \"r\" { then lane mid }",
    )]);
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["W0005"]);
    let p = checked.program.unwrap();
    assert_eq!(p.lanes, ["low", "mid", "high"]);
    assert_eq!(p.thresholds, [(LaneId(1), -10), (LaneId(2), -5)]);
    assert_eq!(p.rules[0].lane, Some(LaneAction::Lane(LaneId(1))));
}

#[test]
fn sample_cut_offs_are_exact_millionths() {
    let cases = [
        ("2.5", 25_000),
        ("0.0001", 1),
        ("100", 1_000_000),
        ("100.0000", 1_000_000),
        ("12.3456", 123_456),
        ("0", 0),
        ("007.5", 75_000),
        ("99.9999", 999_999),
    ];
    for (text, want) in cases {
        let p = program(&with_schema(&format!(
            "rule R \"r\" {{ sample {text}% then score 1 }}"
        )));
        assert_eq!(p.rules[0].sample, Some(want), "sample {text}%");
    }
    let p = program(&with_schema("rule R \"r\" { then score 1 }"));
    assert_eq!(p.rules[0].sample, None);
}

#[test]
fn rule_fields_are_filled() {
    let p = program(&with_schema(
        "rule A-1 \"title\" {\n  active 2026-01-01 to 2026-12-31\n  tags x, y, x\n  \
         then note \"n1\", score -7, lane red, note \"n2\"\n}\n\
         rule B \"b\" { active to 2026-03-01 then score 1 }",
    ));
    let r = &p.rules[0];
    assert_eq!(r.id, "A-1");
    assert_eq!(r.title, "title");
    assert_eq!(r.tags, ["x", "y"]);
    assert_eq!(r.active_from, Date::from_ymd(2026, 1, 1));
    assert_eq!(r.active_to, Date::from_ymd(2026, 12, 31));
    assert_eq!(r.score, Some(Score::Points(-7)));
    assert_eq!(r.lane, Some(LaneAction::Lane(LaneId(2))));
    assert_eq!(r.notes, ["n1", "n2"]);
    assert!(r.when.is_none());
    assert_eq!(p.rules[1].active_from, None);
    assert_eq!(p.rules[1].active_to, Date::from_ymd(2026, 3, 1));
}

#[test]
fn var_ids_are_nesting_depths() {
    let p = program(&with_schema(
        "rule R \"r\" { when any(it in items: any(p in it.parts: p.code == it.hs)) \
         and all(o in items: o.value > 0) then score 1 }",
    ));
    let ExprKind::And(first, second) = &when_of(&p, 0).kind else {
        panic!("expected `and`");
    };
    let ExprKind::Quant {
        kind,
        var,
        record,
        list,
        body,
    } = &first.kind
    else {
        panic!("expected a quantifier");
    };
    assert_eq!((*kind, *var, *record), (Quant::Any, VarId(0), RecordId(1)));
    assert_eq!(
        list.kind,
        ExprKind::Field {
            base: Base::Root,
            record: RecordId(0),
            field: FieldId(4)
        }
    );
    assert_eq!(list.ty, Type::Records(RecordId(1)));
    let ExprKind::Quant {
        var: inner,
        record: inner_record,
        list: inner_list,
        body: inner_body,
        ..
    } = &body.kind
    else {
        panic!("expected a nested quantifier");
    };
    assert_eq!((*inner, *inner_record), (VarId(1), RecordId(2)));
    assert_eq!(
        inner_list.kind,
        ExprKind::Field {
            base: Base::Var(VarId(0)),
            record: RecordId(1),
            field: FieldId(2)
        }
    );
    let ExprKind::Cmp(Cmp::Eq, l, r) = &inner_body.kind else {
        panic!("expected `==`");
    };
    assert_eq!(
        l.kind,
        ExprKind::Field {
            base: Base::Var(VarId(1)),
            record: RecordId(2),
            field: FieldId(0)
        }
    );
    assert_eq!(
        r.kind,
        ExprKind::Field {
            base: Base::Var(VarId(0)),
            record: RecordId(1),
            field: FieldId(0)
        }
    );
    // A sibling quantifier starts again at depth 0.
    let ExprKind::Quant { var, .. } = &second.kind else {
        panic!("expected a quantifier");
    };
    assert_eq!(*var, VarId(0));
}

#[test]
fn expression_types() {
    let p = program(&with_schema(
        "table rate: number\ntable name: text\n\
         rule R1 \"r\" { when today - declared_on > count(it in items: it.value > -2.5) then score 1 }\n\
         rule R2 \"r\" { when lookup_prefix(rate, origin) * 2 > len(id) and lookup(name, id) == \"x\" then score 1 }\n\
         rule R3 \"r\" { when (weight is missing) or sum(it in items: it.value) / 3 >= max(it in items: -it.value) then score 1 }",
    ));
    let ExprKind::Cmp(Cmp::Gt, diff, count) = &when_of(&p, 0).kind else {
        panic!("expected `>`");
    };
    assert!(matches!(diff.kind, ExprKind::DateDiff(..)));
    assert_eq!(diff.ty, Type::Scalar(Scalar::Number));
    let ExprKind::Quant {
        kind: Quant::Count,
        body,
        ..
    } = &count.kind
    else {
        panic!("expected count");
    };
    assert_eq!(count.ty, Type::Scalar(Scalar::Number));
    // A negated literal is a constant.
    let ExprKind::Cmp(Cmp::Gt, _, minus) = &body.kind else {
        panic!("expected `>`");
    };
    assert_eq!(
        minus.kind,
        ExprKind::Const(Const::Number(Decimal::parse("-2.5").unwrap().value))
    );

    let ExprKind::And(a, b) = &when_of(&p, 1).kind else {
        panic!("expected `and`");
    };
    let ExprKind::Cmp(Cmp::Gt, mul, len) = &a.kind else {
        panic!("expected `>`");
    };
    let ExprKind::Arith(Arith::Mul, lookup, _) = &mul.kind else {
        panic!("expected `*`");
    };
    assert_eq!(
        lookup.kind,
        ExprKind::Lookup {
            table: TableId(0),
            key: Box::new(Expr {
                kind: ExprKind::Field {
                    base: Base::Root,
                    record: RecordId(0),
                    field: FieldId(0)
                },
                ty: Type::Scalar(Scalar::Text),
                span: match &lookup.kind {
                    ExprKind::Lookup { key, .. } => key.span,
                    _ => unreachable!(),
                },
            }),
            prefix: true,
            column: 0,
        }
    );
    assert_eq!(lookup.ty, Type::Scalar(Scalar::Number));
    assert!(matches!(len.kind, ExprKind::Len(_)));
    let ExprKind::Cmp(Cmp::Eq, exact, _) = &b.kind else {
        panic!("expected `==`");
    };
    assert!(matches!(
        exact.kind,
        ExprKind::Lookup {
            table: TableId(1),
            prefix: false,
            ..
        }
    ));
    assert_eq!(exact.ty, Type::Scalar(Scalar::Text));

    // Parentheses are not kept.
    let ExprKind::Or(is, _) = &when_of(&p, 2).kind else {
        panic!("expected `or`");
    };
    assert!(matches!(is.kind, ExprKind::Is { present: false, .. }));
}

#[test]
fn lists_and_patterns() {
    let p = program(&with_schema(
        "list codes = [\"A\", \"B\", \"A\"]\nlist nothing = []\nlist unused_empty = []\nlist ext: number\n\
         rule R1 \"r\" { when origin in codes and weight not in nothing and weight in ext then score 1 }\n\
         rule R2 \"r\" { when origin starts with [\"6401\", \"6402\"] or origin contains id or id in unused_empty then score 1 }",
    ));
    assert_eq!(p.lists.len(), 4);
    assert_eq!(p.lists[0].elem, Scalar::Text);
    // Duplicates are reported (W0004) and stored once.
    assert_eq!(
        p.lists[0].values,
        Some(vec![Const::Text("A".into()), Const::Text("B".into())])
    );
    // An empty inline list takes the type of its first use.
    assert_eq!(p.lists[1].elem, Scalar::Number);
    assert_eq!(p.lists[1].values, Some(vec![]));
    assert_eq!(p.lists[2].elem, Scalar::Text);
    assert_eq!(p.lists[3].values, None);
    assert_eq!(p.lists[3].elem, Scalar::Number);

    let ExprKind::And(ab, c) = &when_of(&p, 0).kind else {
        panic!("expected `and`");
    };
    let ExprKind::And(a, b) = &ab.kind else {
        panic!("expected `and`");
    };
    assert!(matches!(
        &a.kind,
        ExprKind::In {
            list: Pattern::List(ListId(0)),
            negated: false,
            ..
        }
    ));
    assert!(matches!(
        &b.kind,
        ExprKind::In {
            list: Pattern::List(ListId(1)),
            negated: true,
            ..
        }
    ));
    assert!(matches!(
        &c.kind,
        ExprKind::In {
            list: Pattern::List(ListId(3)),
            ..
        }
    ));

    let ExprKind::Or(sw_or_c, _) = &when_of(&p, 1).kind else {
        panic!("expected `or`");
    };
    let ExprKind::Or(sw, contains) = &sw_or_c.kind else {
        panic!("expected `or`");
    };
    let ExprKind::StartsWith(_, Pattern::Inline(values)) = &sw.kind else {
        panic!("expected starts with an inline list");
    };
    assert_eq!(values.len(), 2);
    assert!(matches!(
        &contains.kind,
        ExprKind::Contains(_, Pattern::Expr(_))
    ));
}

#[test]
fn tests_resolve_rules_and_lanes() {
    let p = program(&with_schema(
        "rule A \"a\" { then score 1 }\nrule B \"b\" { then lane yellow }\n\
         test \"t\" {\n  today 2026-06-01\n  given { \"id\": \"1\" }\n  expect fired B\n  \
         expect not fired A\n  expect undetermined A\n  expect lane yellow\n  expect score 1\n  expect note \"x\"\n}",
    ));
    let t = &p.tests[0];
    assert_eq!(t.name, "t");
    assert_eq!(t.today, Date::from_ymd(2026, 6, 1));
    assert_eq!(t.given, "{ \"id\": \"1\" }");
    let kinds: Vec<String> = t
        .expects
        .iter()
        .map(|e| match e {
            TestExpect::Fired(i, _) => format!("fired {i}"),
            TestExpect::NotFired(i, _) => format!("not fired {i}"),
            TestExpect::Undetermined(i, _) => format!("undetermined {i}"),
            TestExpect::Monitored(i, _) => format!("monitored {i}"),
            TestExpect::Lane(l, _) => format!("lane {}", l.0),
            TestExpect::Score(s, _) => format!("score {s}"),
            TestExpect::Note(n, _) => format!("note {n}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "fired 1",
            "not fired 0",
            "undetermined 0",
            "lane 1",
            "score 1",
            "note x"
        ]
    );
}

#[test]
fn several_files_keep_rule_order_and_sort_diagnostics_by_file() {
    let a = with_schema("rule A \"a\" { when orign == \"x\" then score 1 }");
    let b = "rule B \"b\" { then lane rde }\nrule A \"dup\" { then score 1 }";
    let checked = run(&[&a, b]);
    assert!(checked.program.is_none());
    let got: Vec<(u32, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.span.file.0, d.code))
        .collect();
    assert_eq!(got, [(0, "E0202"), (1, "E0204"), (1, "E0404")]);
    let unknown = &checked.diagnostics[0];
    assert_eq!(unknown.help.as_deref(), Some("did you mean `origin`?"));
    let dup = &checked.diagnostics[2];
    assert_eq!(dup.labels.len(), 1);
    assert_eq!(dup.labels[0].span.file, FileId(0));

    let ok = run(&[
        &with_schema("rule A \"a\" { then score 1 }"),
        "rule B \"b\" { then score 2 }",
    ]);
    let p = ok.program.unwrap();
    let ids: Vec<&str> = p.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["A", "B"]);
    assert_eq!(p.rules[1].span.file, FileId(1));
}

#[test]
fn warnings_alone_still_build_a_program() {
    let checked = run(&[&with_schema(
        "list l = [1.1234567]\nrule R \"r\" { tags a, a when 1 > 2 then score 1 }",
    )]);
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    // Sorted by position: the list's name, its literal, the tag, the condition.
    assert_eq!(codes, ["W0002", "W0001", "W0006", "W0003"]);
    assert!(checked.program.is_some());
    assert_eq!(
        checked.program.unwrap().lists[0].values,
        Some(vec![Const::Number(
            Decimal::parse("1.123457").unwrap().value
        )])
    );
}

/// The sources of SPEC §3.1's example, from the data corpus.
fn spec_example() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/check/ok_spec_example.sem"),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Deleting any range of the spec example never makes the checker panic,
    /// and a program is built exactly when there is no error.
    #[test]
    fn mutated_sources_never_panic(start in 0usize..3000, len in 0usize..200) {
        let source = spec_example();
        let start = start.min(source.len());
        let end = (start + len).min(source.len());
        if source.is_char_boundary(start) && source.is_char_boundary(end) {
            let mutated = format!("{}{}", &source[..start], &source[end..]);
            if let Ok(file) = semaforo_syntax::parse(&mutated, FileId(0)) {
                let checked = check(std::slice::from_ref(&file));
                let has_error = checked.diagnostics.iter().any(|d| d.is_error());
                prop_assert_eq!(checked.program.is_some(), !has_error);
                for d in &checked.diagnostics {
                    let _ = line_col(&mutated, d.span.start);
                    prop_assert!(d.span.start <= d.span.end);
                    prop_assert!(!d.message.ends_with('.'));
                }
                let keys: Vec<_> = checked.diagnostics.iter().map(|d| (d.span.file, d.span.start, d.code)).collect();
                let mut sorted = keys.clone();
                sorted.sort();
                prop_assert_eq!(keys, sorted);
            }
        }
    }
}

#[test]
fn element_fields_written_without_their_variable_get_a_hint() {
    let checked = run(&[&with_schema(
        "rule R \"r\" { when any(it in items: hs == \"1\") then score 1 }",
    )]);
    assert_eq!(checked.diagnostics.len(), 1);
    assert_eq!(checked.diagnostics[0].code, "E0202");
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("did you mean `it.hs`?")
    );
}
