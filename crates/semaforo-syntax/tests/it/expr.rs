//! Expression shapes: precedence, associativity, keywords and literals.

use semaforo_syntax::ast::{Expr, ExprKind, Item, UnOp};
use semaforo_syntax::{FileId, parse};

/// A fully parenthesised rendering that shows the tree's shape.
fn s(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.text.to_string(),
        ExprKind::Str(v) => format!("{:?}", v.value),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Date(d) => format!("date({}-{}-{})", d.year, d.month, d.day),
        ExprKind::Today => "today".into(),
        ExprKind::Name(i) => i.name.to_string(),
        ExprKind::Field(b, f) => format!("{}.{}", s(b), f.name),
        ExprKind::List(v) => format!("[{}]", v.iter().map(s).collect::<Vec<_>>().join(" ")),
        ExprKind::Paren(x) => format!("paren({})", s(x)),
        ExprKind::Unary(UnOp::Not, x) => format!("(not {})", s(x)),
        ExprKind::Unary(UnOp::Neg, x) => format!("(neg {})", s(x)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.as_str(), s(a), s(b)),
        ExprKind::In {
            value,
            list,
            negated,
        } => {
            format!(
                "({} {} {})",
                if *negated { "notin" } else { "in" },
                s(value),
                s(list)
            )
        }
        ExprKind::StartsWith(a, b) => format!("(startswith {} {})", s(a), s(b)),
        ExprKind::Contains(a, b) => format!("(contains {} {})", s(a), s(b)),
        ExprKind::Is { value, present } => format!(
            "({} {})",
            if *present { "present" } else { "missing" },
            s(value)
        ),
        ExprKind::Quant {
            kind,
            var,
            list,
            body,
        } => format!("({} {} {} {})", kind.as_str(), var.name, s(list), s(body)),
        ExprKind::Call { func, args } => format!(
            "(call {} {})",
            func.name,
            args.iter().map(s).collect::<Vec<_>>().join(" ")
        ),
    }
}

fn when(src: &str) -> String {
    let text = format!("rule R \"t\" {{\n  when {src}\n}}");
    let file = parse(&text, FileId(0)).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    let Item::Rule(r) = &file.items[0] else {
        panic!()
    };
    let e = r.when.as_ref().unwrap();
    // The expression's span covers exactly its text.
    assert_eq!(
        &text[e.span.start as usize..e.span.end as usize],
        src.trim()
    );
    s(e)
}

fn when_err(src: &str) -> &'static str {
    let text = format!("rule R \"t\" {{\n  when {src}\n}}");
    parse(&text, FileId(0)).unwrap_err()[0].code
}

#[test]
fn precedence_levels() {
    assert_eq!(
        when("a or b and not c == d + e * -f.g"),
        "(or a (and b (not (== c (+ d (* e (neg f.g)))))))"
    );
    assert_eq!(when("a - b - c"), "(- (- a b) c)");
    assert_eq!(when("a / b * c"), "(* (/ a b) c)");
    assert_eq!(when("a or b or c"), "(or (or a b) c)");
    assert_eq!(when("not not x"), "(not (not x))");
    assert_eq!(when("--x"), "(neg (neg x))");
    assert_eq!(when("a.b.c"), "a.b.c");
    assert_eq!(when("(a or b) and c"), "(and paren((or a b)) c)");
}

#[test]
fn tests_and_negation() {
    assert_eq!(when("x not in L"), "(notin x L)");
    assert_eq!(when("not x in L"), "(not (in x L))");
    assert_eq!(
        when("t starts with [\"A\", \"B\",]"),
        "(startswith t [\"A\" \"B\"])"
    );
    assert_eq!(when("t contains p + q"), "(contains t (+ p q))");
    assert_eq!(
        when("x is missing or y is present"),
        "(or (missing x) (present y))"
    );
    assert_eq!(when("a + 1 is missing"), "(missing (+ a 1))");
}

#[test]
fn comparisons_do_not_associate() {
    assert_eq!(when_err("a < b < c"), "E0008");
    assert_eq!(when_err("a == b == c"), "E0008");
    assert_eq!(when_err("x is missing is present"), "E0008");
    assert_eq!(when_err("x in a in b"), "E0008");
    assert_eq!(when("(a < b) == c"), "(== paren((< a b)) c)");
    assert_eq!(when_err("a == not b"), "E0001");
}

#[test]
fn dates_versus_subtraction() {
    assert_eq!(when("2026-01-01"), "date(2026-1-1)");
    assert_eq!(when("2026 - 01 - 01"), "(- (- 2026 01) 01)");
    assert_eq!(when("2026-01-011"), "(- (- 2026 01) 011)");
    assert_eq!(
        when("today - 2026-01-01 > 30"),
        "(> (- today date(2026-1-1)) 30)"
    );
    assert_eq!(when("2026-13-45"), "date(2026-13-45)");
}

#[test]
fn keywords_are_whole_words() {
    assert_eq!(when("origin or ordinal"), "(or origin ordinal)");
    assert_eq!(when("android and notary"), "(and android notary)");
    assert_eq!(when("date == from"), "(== date from)");
    assert_eq!(when("today_x == is_ok"), "(== today_x is_ok)");
    assert_eq!(when_err("and"), "E0001");
    assert_eq!(when_err("x == count"), "E0001");
}

#[test]
fn calls_quantifiers_and_literals() {
    assert_eq!(
        when("lookup_prefix(t, it.hs) * 0.5"),
        "(* (call lookup_prefix t it.hs) 0.5)"
    );
    assert_eq!(when("len(x,)"), "(call len x)");
    assert_eq!(when("foo()"), "(call foo )");
    assert_eq!(
        when("count(i in items: i.x > 1) >= 2"),
        "(>= (count i items (> i.x 1)) 2)"
    );
    assert_eq!(when("sum(i in items: i.v)"), "(sum i items i.v)");
    assert_eq!(when("[]"), "[]");
    assert_eq!(
        when("x == true or y == false"),
        "(or (== x true) (== y false))"
    );
    assert_eq!(
        when("\"a\\\"b\\\\c\\nd\\te\\u{1F600}\""),
        "\"a\\\"b\\\\c\\nd\\te😀\""
    );
    assert_eq!(when_err("count(x)"), "E0001");
}

#[test]
fn every_bad_escape_is_reported() {
    let errors = parse(
        "ruleset \"\\q \\u{110000} \\u{} \\x\" version \"\\r\"",
        FileId(0),
    )
    .unwrap_err();
    assert_eq!(
        errors.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["E0004"; 5]
    );
    assert_eq!(errors[0].span.start, 9);
    assert_eq!(errors[0].span.end, 11);
}

#[test]
fn messages_name_things_not_rules() {
    let e = &parse("rule R \"t\" {\n  when x ==\n}", FileId(0)).unwrap_err()[0];
    assert_eq!(e.message, "expected an expression, found `}`");
    let e = &parse("rule R \"t\" { when and }", FileId(0)).unwrap_err()[0];
    assert_eq!(e.message, "expected an expression, found `and`");
    assert!(e.help.as_deref().unwrap().contains("reserved"));
    let e = &parse("schema s { a: texts }", FileId(0)).unwrap_err()[0];
    assert!(e.message.starts_with("expected a type"), "{}", e.message);
    let e = &parse("rule R \"t\" { when x", FileId(0)).unwrap_err()[0];
    assert!(e.message.ends_with("found end of file"), "{}", e.message);
}

#[test]
fn declarations_accept_contextual_and_reserved_words() {
    let f = parse(
        "schema s { key key: text\n key: number\n date: date? }",
        FileId(0),
    )
    .unwrap();
    let Item::Schema(r) = &f.items[0] else {
        panic!()
    };
    let got: Vec<(bool, &str, bool)> = r
        .fields
        .iter()
        .map(|f| (f.key, f.name.name.as_str(), f.optional))
        .collect();
    assert_eq!(
        got,
        [
            (true, "key", false),
            (false, "key", false),
            (false, "date", true)
        ]
    );
    assert!(
        parse(
            "record count { and: text }\nlist min = [1, -2]\ntable len: text",
            FileId(0)
        )
        .is_ok()
    );
}
