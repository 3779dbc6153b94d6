//! Property: for any valid AST, `parse(format(ast)) == ast` up to spans, and
//! formatting is idempotent. The generator builds ASTs the grammar can
//! express: names avoid reserved words where an expression needs a name, and
//! sub-expressions are wrapped in `Paren` where precedence requires.
//!
//! Every generated source, and mutations of it, is also parsed by the pest
//! parser alone (`parse_with_pest`): the fast path must build the identical
//! tree, spans, comments and blank lines included, or step aside so that
//! both report the same diagnostics.

use proptest::prelude::*;
use semaforo_syntax::ast::*;
use semaforo_syntax::{Diagnostic, FileId, Span, format, parse, parse_with_pest};

const Z: Span = Span {
    file: FileId(0),
    start: 0,
    end: 0,
};

/// [`parse`] (fast path first) and [`parse_with_pest`] on `text`, which
/// must give the same result: the same tree with the same spans, or the
/// same diagnostics.
fn parse_both(text: &str) -> Result<Result<SourceFile, Vec<Diagnostic>>, TestCaseError> {
    let fast = parse(text, FileId(0));
    let slow = parse_with_pest(text, FileId(0));
    prop_assert_eq!(
        &fast,
        &slow,
        "parse and parse_with_pest differ on {:?}",
        text
    );
    Ok(fast)
}

fn ident(name: &str) -> Ident {
    Ident {
        name: name.into(),
        span: Z,
    }
}

/// Names that are valid in expressions, contextual keywords included.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "origin", "ordinal", "date", "version", "from", "to", "key", "rule", "then", "when",
            "x", "_a1", "items", "android", "notes"
        ])
        .prop_map(str::to_owned),
        "[a-z_][a-z0-9_]{0,6}".prop_filter("reserved", |s| !is_reserved(s)),
    ]
}

/// Names in declaration positions: anything, reserved words included.
fn decl_name() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        prop::sample::select(RESERVED.iter().map(|k| k.word).collect::<Vec<_>>())
            .prop_map(str::to_owned)
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,8}",
        "\\PC{0,6}",
        ".{0,4}",
        Just("\"\\\n\t\u{7}\r".to_owned())
    ]
}

fn number() -> impl Strategy<Value = NumLit> {
    "[0-9]{1,5}(\\.[0-9]{1,3})?".prop_map(|text| NumLit {
        text: text.into(),
        span: Z,
    })
}

fn date() -> impl Strategy<Value = DateLit> {
    (0u16..=9999, 0u8..=99, 0u8..=99).prop_map(|(year, month, day)| DateLit {
        year,
        month,
        day,
        span: Z,
    })
}

fn int() -> impl Strategy<Value = IntLit> {
    prop_oneof![-1000i64..1000, any::<i64>()].prop_map(|value| IntLit { value, span: Z })
}

fn e(kind: ExprKind) -> Expr {
    Expr { kind, span: Z }
}

/// Precedence level of an expression's outermost form (higher binds tighter).
fn level(x: &Expr) -> u8 {
    match &x.kind {
        ExprKind::Binary(BinOp::Or, ..) => 0,
        ExprKind::Binary(BinOp::And, ..) => 1,
        ExprKind::Unary(UnOp::Not, _) => 2,
        ExprKind::Binary(
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge,
            ..,
        )
        | ExprKind::In { .. }
        | ExprKind::StartsWith(..)
        | ExprKind::Contains(..)
        | ExprKind::Is { .. } => 3,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 4,
        ExprKind::Binary(BinOp::Mul | BinOp::Div, ..) => 5,
        ExprKind::Unary(UnOp::Neg, _) => 6,
        ExprKind::Field(..) => 7,
        _ => 8,
    }
}

/// Wraps `x` in parentheses unless it is at least at level `min`.
fn at_least(x: Expr, min: u8) -> Box<Expr> {
    Box::new(if level(&x) >= min {
        x
    } else {
        e(ExprKind::Paren(Box::new(x)))
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        number().prop_map(|n| e(ExprKind::Number(n))),
        string().prop_map(|v| e(ExprKind::Str(StrLit {
            value: v.into(),
            span: Z
        }))),
        any::<bool>().prop_map(|b| e(ExprKind::Bool(b))),
        date().prop_map(|d| e(ExprKind::Date(d))),
        Just(e(ExprKind::Today)),
        name().prop_map(|n| e(ExprKind::Name(ident(&n)))),
    ];
    leaf.prop_recursive(6, 200, 2, |inner| {
        let bin = prop::sample::select(vec![
            BinOp::Or, BinOp::And, BinOp::Eq, BinOp::Ne, BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge,
            BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div,
        ]);
        prop_oneof![
            6 => (bin, inner.clone(), inner.clone()).prop_map(|(op, a, b)| {
                let probe = e(ExprKind::Binary(op, Box::new(e(ExprKind::Today)), Box::new(e(ExprKind::Today))));
                let l = level(&probe);
                // Left-associative levels accept their own level on the left;
                // comparisons accept neither side at their level.
                let (lmin, rmin) = if l == 3 { (4, 4) } else { (l, l + 1) };
                e(ExprKind::Binary(op, at_least(a, lmin), at_least(b, rmin)))
            }),
            1 => inner.clone().prop_map(|a| e(ExprKind::Unary(UnOp::Not, at_least(a, 2)))),
            1 => inner.clone().prop_map(|a| e(ExprKind::Unary(UnOp::Neg, at_least(a, 6)))),
            1 => (inner.clone(), name()).prop_map(|(a, f)| e(ExprKind::Field(at_least(a, 7), ident(&f)))),
            1 => inner.clone().prop_map(|a| e(ExprKind::Paren(Box::new(a)))),
            1 => prop::collection::vec(inner.clone(), 0..3).prop_map(|v| e(ExprKind::List(v))),
            1 => (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(a, b, negated)| e(ExprKind::In {
                value: at_least(a, 4),
                list: at_least(b, 4),
                negated,
            })),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| e(ExprKind::StartsWith(at_least(a, 4), at_least(b, 4)))),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| e(ExprKind::Contains(at_least(a, 4), at_least(b, 4)))),
            1 => (inner.clone(), any::<bool>()).prop_map(|(a, present)| e(ExprKind::Is { value: at_least(a, 4), present })),
            1 => (
                prop::sample::select(vec![QuantKind::Any, QuantKind::All, QuantKind::Count, QuantKind::Sum, QuantKind::Min, QuantKind::Max]),
                decl_name(),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(kind, var, list, body)| e(ExprKind::Quant { kind, var: ident(&var), list: Box::new(list), body: Box::new(body) })),
            1 => (
                prop_oneof![Just("lookup".to_owned()), Just("lookup_prefix".to_owned()), Just("len".to_owned()), name()],
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(f, args)| e(ExprKind::Call { func: ident(&f), args })),
        ]
    })
}

fn rule_id() -> impl Strategy<Value = RuleId> {
    "[A-Za-z0-9][A-Za-z0-9_.-]{0,8}".prop_map(|name| RuleId {
        name: name.into(),
        span: Z,
    })
}

/// A rule id, possibly qualified by a package (`sica/VAL-001`), as
/// references are written.
fn rule_ref() -> impl Strategy<Value = RuleId> {
    (
        prop::option::of("[A-Za-z0-9][A-Za-z0-9_.-]{0,6}"),
        "[A-Za-z0-9][A-Za-z0-9_.-]{0,8}",
    )
        .prop_map(|(pkg, id)| RuleId {
            name: match pkg {
                Some(p) => format!("{p}/{id}"),
                None => id,
            }
            .into(),
            span: Z,
        })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        string().prop_map(|value| Literal::Str(StrLit {
            value: value.into(),
            span: Z
        })),
        (any::<bool>(), number()).prop_map(|(negative, lit)| Literal::Number {
            negative,
            lit,
            span: Z
        }),
        any::<bool>().prop_map(|b| Literal::Bool(b, Z)),
        date().prop_map(Literal::Date),
    ]
}

fn scalar() -> impl Strategy<Value = ScalarType> {
    prop::sample::select(vec![
        ScalarType::Text,
        ScalarType::Number,
        ScalarType::Bool,
        ScalarType::Date,
    ])
}

fn s(value: String) -> StrLit {
    StrLit {
        value: value.into(),
        span: Z,
    }
}

fn item() -> impl Strategy<Value = Item> {
    let field = (
        any::<bool>(),
        decl_name(),
        prop_oneof![
            scalar().prop_map(|t| TypeExpr::Scalar(t, Z)),
            decl_name().prop_map(|n| TypeExpr::List(ident(&n), Z))
        ],
        any::<bool>(),
    )
        .prop_map(|(key, n, ty, optional)| FieldDecl {
            key,
            name: ident(&n),
            ty,
            optional,
            span: Z,
        });
    let record =
        (decl_name(), prop::collection::vec(field, 0..4)).prop_map(|(n, fields)| RecordDecl {
            name: ident(&n),
            fields,
            span: Z,
        });
    let active = prop_oneof![
        (date(), date()).prop_map(|(a, b)| Active {
            from: Some(a),
            to: Some(b),
            span: Z
        }),
        date().prop_map(|a| Active {
            from: Some(a),
            to: None,
            span: Z
        }),
        date().prop_map(|b| Active {
            from: None,
            to: Some(b),
            span: Z
        }),
    ];
    let percent = || "[0-9]{1,3}(\\.[0-9]{1,4})?".prop_map(|text| PercentLit { text, span: Z });
    // After a comma an action keyword starts the next action, so a lane
    // share there never names a lane `score`, `lane` or `note`.
    let share_lane = || {
        decl_name().prop_filter("an action keyword", |n| {
            !matches!(n.as_str(), "score" | "lane" | "note")
        })
    };
    let action = prop_oneof![
        expr().prop_map(|e| Action::Score(e, Z)),
        decl_name().prop_map(|n| Action::Lane(ident(&n), Z)),
        (
            decl_name(),
            percent(),
            prop::collection::vec((share_lane(), percent()), 0..3)
        )
            .prop_map(|(first, p, rest)| {
                let mut shares = vec![LaneShare {
                    lane: ident(&first),
                    percent: p,
                }];
                shares.extend(rest.into_iter().map(|(l, percent)| LaneShare {
                    lane: ident(&l),
                    percent,
                }));
                Action::LaneSplit(shares, Z)
            }),
        string().prop_map(|v| Action::Note(s(v), Z)),
    ];
    let profile_entry = (
        decl_name(),
        prop_oneof![
            string().prop_map(|v| ProfileValue::Str(s(v))),
            date().prop_map(ProfileValue::Date),
            decl_name().prop_map(|n| ProfileValue::Word(ident(&n))),
        ],
    )
        .prop_map(|(k, value)| ProfileEntry {
            key: ident(&k),
            value,
            span: Z,
        });
    let over = (
        rule_ref(),
        prop_oneof![
            Just(OverrideChange::Disable(Z)),
            (
                prop::option::of(active.clone()),
                prop::collection::vec(action.clone(), 0..3)
            )
                .prop_map(|(active, actions)| OverrideChange::Adjust { active, actions }),
        ],
        string(),
        prop::option::of(date()),
    )
        .prop_map(|(target, change, reason, until)| Override {
            target,
            change,
            reason: s(reason),
            until,
            span: Z,
        });
    let rule = (
        (rule_id(), prop::collection::vec(profile_entry, 0..3)),
        string(),
        prop::option::of(active),
        prop::collection::vec(decl_name(), 0..3),
        prop::option::of(expr()),
        prop::option::of("[0-9]{1,3}(\\.[0-9]{1,4})?"),
        prop::collection::vec(action, 0..3),
        any::<bool>(),
    )
        .prop_map(
            |((id, profile), title, active, tags, when, sample, actions, monitor)| Rule {
                id,
                title: s(title),
                monitor: monitor.then_some(Z),
                profile,
                active,
                tags: tags.iter().map(|t| ident(t)).collect(),
                when,
                sample: sample.map(|text| PercentLit { text, span: Z }),
                actions,
                span: Z,
            },
        );
    let expect = prop_oneof![
        decl_name().prop_map(|n| Expect::Lane(ident(&n), Z)),
        int().prop_map(|n| Expect::Score(n, Z)),
        rule_ref().prop_map(|r| Expect::Fired(r, Z)),
        rule_ref().prop_map(|r| Expect::NotFired(r, Z)),
        rule_ref().prop_map(|r| Expect::Undetermined(r, Z)),
        rule_ref().prop_map(|r| Expect::Monitored(r, Z)),
        string().prop_map(|v| Expect::Note(s(v), Z)),
    ];
    let json = prop::sample::select(vec![
        "{}",
        "{\"a\": 1}",
        "{\"id\": \"T\\u00e9\\n\", \"items\": [{\"x\": -0.5e-3}, [], null, true, false]}",
        "{ \"a\" :\n   [1,2] }",
    ]);
    let test = (
        string(),
        prop::option::of(date()),
        json,
        prop::collection::vec(expect, 1..4),
    )
        .prop_map(|(n, today, j, expects)| Test {
            name: s(n),
            today,
            given: JsonText {
                text: j.to_owned(),
                span: Z,
            },
            expects,
            span: Z,
        });
    prop_oneof![
        (string(), string()).prop_map(|(a, b)| Item::Ruleset(RulesetHeader {
            name: s(a),
            version: s(b),
            span: Z
        })),
        prop::collection::vec(decl_name(), 1..4).prop_map(|v| Item::Lanes(Lanes {
            lanes: v.iter().map(|n| ident(n)).collect(),
            span: Z
        })),
        (
            decl_name(),
            int(),
            prop::option::of((decl_name(), string()))
        )
            .prop_map(|(n, score, group)| Item::Threshold(Threshold {
                lane: ident(&n),
                score,
                group: group.map(|(f, v)| ThresholdGroup {
                    field: ident(&f),
                    value: s(v),
                }),
                span: Z
            })),
        record
            .boxed()
            .prop_flat_map(|r| prop_oneof![Just(Item::Schema(r.clone())), Just(Item::Record(r))]),
        (
            decl_name(),
            prop_oneof![
                prop::collection::vec(literal(), 0..4).prop_map(|v| ListBody::Inline(v, Z)),
                scalar().prop_map(|t| ListBody::External(t, Z))
            ]
        )
            .prop_map(|(n, body)| Item::List(ListDecl {
                name: ident(&n),
                body,
                span: Z
            })),
        (decl_name(), scalar()).prop_map(|(n, ty)| Item::Table(TableDecl {
            name: ident(&n),
            body: TableBody::Value(ty, Z),
            span: Z
        })),
        (
            decl_name(),
            prop::collection::vec((decl_name(), scalar()), 0..8)
        )
            .prop_map(|(n, cols)| {
                Item::Table(TableDecl {
                    name: ident(&n),
                    body: TableBody::Columns(
                        cols.iter()
                            .map(|(c, ty)| TableColumn {
                                name: ident(c),
                                ty: *ty,
                                span: Z,
                            })
                            .collect(),
                        Z,
                    ),
                    span: Z,
                })
            }),
        rule.prop_map(Item::Rule),
        test.prop_map(Item::Test),
        (string(), string(), any::<bool>()).prop_map(|(a, b, package)| {
            let h = RulesetHeader {
                name: s(a),
                version: s(b),
                span: Z,
            };
            if package {
                Item::Package(h)
            } else {
                Item::Uses(h)
            }
        }),
        over.prop_map(Item::Override),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn format_round_trips(items in prop::collection::vec(item(), 0..6)) {
        let ast = SourceFile { items, comments: Vec::new(), blank_lines: Vec::new() };
        let text = format(&ast);
        let mut back = parse_both(&text)?.unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        let again = format(&back);
        prop_assert_eq!(&again, &text);
        strip_spans(&mut back);
        prop_assert_eq!(back, ast);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Expressions get their own, denser run.
    #[test]
    fn expressions_round_trip(x in expr()) {
        let rule = Rule {
            id: RuleId { name: "R".into(), span: Z },
            title: s(String::new()),
            monitor: None,
            profile: Vec::new(),
            active: None,
            tags: Vec::new(),
            when: Some(x),
            sample: None,
            actions: Vec::new(),
            span: Z,
        };
        let ast = SourceFile { items: vec![Item::Rule(rule)], comments: Vec::new(), blank_lines: Vec::new() };
        let text = format(&ast);
        let mut back = parse_both(&text)?.unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        prop_assert_eq!(&format(&back), &text);
        strip_spans(&mut back);
        prop_assert_eq!(back, ast);
    }
}

/// A mutation of a source text at a char boundary.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    /// Cut the text here.
    Truncate,
    /// Delete the char here.
    Delete,
    /// Double the char here.
    Double,
    /// Insert a byte here.
    Insert(u8),
}

fn mutate(text: &str, at: prop::sample::Index, m: Mutation) -> String {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    if bounds.is_empty() {
        return text.to_owned();
    }
    let i = bounds[at.index(bounds.len())];
    let next = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
    match m {
        Mutation::Truncate => text[..i].to_owned(),
        Mutation::Delete => format!("{}{}", &text[..i], &text[next..]),
        Mutation::Double => format!("{}{}", &text[..next], &text[i..]),
        Mutation::Insert(b) => format!("{}{}{}", &text[..i], char::from(b), &text[i..]),
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Truncate),
        Just(Mutation::Delete),
        Just(Mutation::Double),
        prop::sample::select(b" \n#\"(),.-_a1".to_vec()).prop_map(Mutation::Insert),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Mostly invalid, sometimes valid sources near valid ones, with
    /// comments: `parse` and the pest parser agree on every one.
    #[test]
    fn mutated_sources_parse_alike_on_both_paths(
        items in prop::collection::vec(item(), 1..4),
        comment in prop::option::of("[ -~]{0,6}"),
        at in any::<prop::sample::Index>(),
        m in mutation(),
    ) {
        let ast = SourceFile { items, comments: Vec::new(), blank_lines: Vec::new() };
        let mut text = format(&ast);
        if let Some(c) = comment {
            text = format!("# {c}\n\n{text}");
        }
        // Valid or not, only the agreement matters here.
        let _valid_or_not = parse_both(&mutate(&text, at, m))?;
    }
}
