//! Input safety: size and nesting limits give clear errors quickly, and large
//! valid inputs parse.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

use std::time::{Duration, Instant};

use semaforo_syntax::ast::Item;
use semaforo_syntax::{FileId, MAX_EXPR_DEPTH, MAX_NESTING, MAX_SOURCE_BYTES, parse};

fn codes(src: &str) -> Vec<&'static str> {
    match parse(src, FileId(0)) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(|d| d.code).collect(),
    }
}

#[test]
fn a_million_parentheses_is_e0003_and_fast() {
    let n = 1_000_000;
    let src = format!(
        "rule R \"t\" {{ when {}x{} }}",
        "(".repeat(n),
        ")".repeat(n)
    );
    let start = Instant::now();
    let errors = parse(&src, FileId(0)).unwrap_err();
    assert_eq!(errors[0].code, "E0003");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn deep_json_and_lists_are_e0003() {
    let json = format!(
        "test \"t\" {{ given {{\"a\": {}1{} }} expect score 0 }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert_eq!(codes(&json), ["E0003"]);
    let list = format!(
        "rule R \"t\" {{ when x in {}{} }}",
        "[".repeat(300),
        "]".repeat(300)
    );
    assert_eq!(codes(&list), ["E0003"]);
}

/// The deepest nesting allowed parses, on a test thread's default stack.
#[test]
fn nesting_at_the_limit_parses() {
    let n = MAX_NESTING as usize - 1; // the rule's `{` is one level
    let src = format!(
        "rule R \"t\" {{ when {}x{} }}",
        "(".repeat(n),
        ")".repeat(n)
    );
    let file = parse(&src, FileId(0)).unwrap();
    assert_eq!(file.items.len(), 1);
    let calls = format!(
        "rule R \"t\" {{ when {}x{} }}",
        "len(".repeat(n),
        ")".repeat(n)
    );
    parse(&calls, FileId(0)).unwrap();
    let too_deep = format!(
        "rule R \"t\" {{ when {}x{} }}",
        "(".repeat(n + 1),
        ")".repeat(n + 1)
    );
    assert_eq!(codes(&too_deep), ["E0003"]);
}

#[test]
fn long_operator_chains_are_bounded_by_the_expression_depth() {
    let ok = format!(
        "rule R \"t\" {{ when {} }}",
        vec!["x"; MAX_EXPR_DEPTH as usize].join(" or ")
    );
    assert!(codes(&ok).is_empty());
    let chain = format!("rule R \"t\" {{ when {} }}", vec!["x"; 100_000].join(" + "));
    assert_eq!(codes(&chain), ["E0003"]);
    let nots = format!("rule R \"t\" {{ when {}x }}", "not ".repeat(100_000));
    assert_eq!(codes(&nots), ["E0003"]);
    let negs = format!("rule R \"t\" {{ when {}x > 0 }}", "-".repeat(100_000));
    assert_eq!(codes(&negs), ["E0003"]);
    let fields = format!("rule R \"t\" {{ when x{} }}", ".f".repeat(100_000));
    assert_eq!(codes(&fields), ["E0003"]);
}

#[test]
fn fifty_megabytes_is_e0002() {
    let src = "\u{1}garbage(".repeat(50 * 1024 * 1024 / 9);
    assert!(src.len() > MAX_SOURCE_BYTES);
    let start = Instant::now();
    let errors = parse(&src, FileId(0)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "E0002");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn ten_thousand_rules_parse() {
    let mut src = String::from("ruleset \"big\" version \"1\"\n");
    for i in 0..10_000 {
        src.push_str(&format!(
            "rule R-{i} \"rule {i}\" {{\n  tags t{}\n  when origin in [\"CN\", \"HK\"] and any(it in items: it.hs starts with \"64\" and it.value / it.net_kg < {i}.5)\n  then score {}, note \"n{i}\"\n}}\n\n",
            i % 7,
            i % 50
        ));
    }
    let file = parse(&src, FileId(3)).unwrap();
    assert_eq!(file.items.len(), 10_001);
    let Item::Rule(last) = &file.items[10_000] else {
        panic!("not a rule")
    };
    assert_eq!(last.id.name, "R-9999");
    assert_eq!(last.span.file, FileId(3));
}

#[test]
fn garbage_never_panics() {
    for src in [
        "\"",
        "#",
        "(((",
        "rule",
        "rule R \"t\" {",
        "\u{0}",
        "test \"t\" { given {",
        "é",
        "\\",
        "\"\\",
        "list x = [-",
        "a\u{2028}b",
    ] {
        let _ = parse(src, FileId(0));
    }
}

/// Valid input nested up to the depth [`parse`] handles on the caller's
/// thread (16 brackets of every kind) parses on a thread with a small
/// stack: 128 KiB in a release build, 1 MiB in a debug build (whose frames
/// are several times larger). Deeper input still parses, on the parser's
/// own thread. See `CALLER_NESTING` in `src/parser.rs`.
#[test]
fn ordinary_nesting_parses_on_a_small_caller_stack() {
    let nested = |open: &str, inner: &str, close: &str, n: usize| {
        format!(
            "rule R \"t\" {{ when {}{inner}{} }}",
            open.repeat(n),
            close.repeat(n)
        )
    };
    let sources = [
        nested("(", "x", ")", 15),
        nested("any(v in items: ", "true", ")", 7),
        nested("len(", "x", ")", 15),
        format!(
            "test \"t\" {{ given {{\"a\": {}1{} }} expect score 0 }}",
            "[".repeat(14),
            "]".repeat(14)
        ),
        nested("(", "x", ")", 100),
    ];
    let stack = if cfg!(debug_assertions) {
        1024 * 1024
    } else {
        128 * 1024
    };
    for src in sources {
        let parsed = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || parse(&src, FileId(0)).map(|f| f.items.len()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(parsed.unwrap(), 1);
    }
}

/// Recovery after a syntax error stays linear and bounded: a file of many
/// broken rules reports at most 50 errors, quickly, and the bracket scans
/// that label unclosed brackets do not rescan the file per error.
#[test]
fn many_syntax_errors_are_capped_and_fast() {
    let broken = "rule R \"t\" {\n  when x and and\n  then score 1\n}\n".repeat(100_000);
    let start = Instant::now();
    let errors = parse(&broken, FileId(0)).unwrap_err();
    assert_eq!(errors.len(), 50);
    assert!(errors.iter().all(|d| d.code == "E0001"));
    assert!(start.elapsed() < Duration::from_secs(10));
    // Every rule's `{` unclosed: each error labels its rule's brace (more
    // than `MAX_NESTING` unclosed braces would be E0003, as before).
    let unclosed = format!(
        "{}{}",
        "rule R \"t\" {\n  when x\n".repeat(200),
        "rule S \"t\" {\n  when x\n}\n".repeat(200_000)
    );
    let start = Instant::now();
    let errors = parse(&unclosed, FileId(0)).unwrap_err();
    assert_eq!(errors.len(), 50);
    assert!(errors.iter().all(|d| {
        d.labels
            .iter()
            .any(|l| l.message == "unclosed `{` of rule `R`")
    }));
    assert!(start.elapsed() < Duration::from_secs(10));
    // One error at the start of a huge item, many stray and mismatched
    // closers and a deep stack of unclosed brackets after it.
    let mut odd = String::from("rule R \"t\" {\n  when (x and and\n");
    for _ in 0..200_000 {
        odd.push_str("  {] ) ( [ }\n");
    }
    odd.push_str(&"(".repeat(200));
    let start = Instant::now();
    let errors = parse(&odd, FileId(0)).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(start.elapsed() < Duration::from_secs(10));
}
