//! The grammar's reserved-word rules list exactly the words of
//! `keywords::RESERVED`: pest needs them as literal text in
//! `grammar/semaforo.pest`, the parsers and the checker read the table, and
//! this test keeps the two equal, so a keyword added in one place and not
//! the other fails here.

use std::collections::BTreeSet;

use semaforo_syntax::ast::QuantKind;
use semaforo_syntax::keywords::{RESERVED, Role, is_reserved, quantifier, role};
use semaforo_syntax::{FileId, parse};

fn grammar() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../grammar/semaforo.pest");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body of the grammar rule `name` (between its outer braces), found
/// by a small scan that skips string literals and comments.
fn rule_body(grammar: &str, name: &str) -> String {
    let start = grammar
        .lines()
        .scan(0, |at, line| {
            let here = *at;
            *at += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, line)| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(at, _)| at)
        .unwrap_or_else(|| panic!("no rule `{name}` in the grammar"));
    let text = &grammar[start..];
    let open = text.find('{').unwrap();
    let mut depth = 0;
    let mut chars = text[open..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return text[open + 1..open + i].to_owned();
                }
            }
            _ => {}
        }
    }
    panic!("rule `{name}` is not closed");
}

/// The string literals of a rule body, in order.
fn literals(body: &str) -> Vec<String> {
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn words_where(keep: impl Fn(Role) -> bool) -> BTreeSet<String> {
    RESERVED
        .iter()
        .filter(|k| keep(k.role))
        .map(|k| k.word.to_owned())
        .collect()
}

fn as_set(words: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<String> = words.iter().cloned().collect();
    assert_eq!(set.len(), words.len(), "a word is listed twice: {words:?}");
    set
}

#[test]
fn the_table_has_no_duplicates_and_only_identifiers() {
    let words: Vec<String> = RESERVED.iter().map(|k| k.word.to_owned()).collect();
    as_set(&words);
    for k in RESERVED {
        let mut bytes = k.word.bytes();
        let first = bytes.next().unwrap();
        assert!(
            (first.is_ascii_alphabetic() || first == b'_')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "`{}` is not an identifier",
            k.word
        );
        assert!(is_reserved(k.word) && role(k.word) == Some(k.role));
    }
}

#[test]
fn grammar_reserved_rule_lists_exactly_the_table() {
    let g = grammar();
    let listed = literals(&rule_body(&g, "reserved"));
    assert_eq!(
        as_set(&listed),
        words_where(|_| true),
        "grammar/semaforo.pest `reserved` and keywords::RESERVED differ"
    );
    // PEG choice commits to the first alternative that matches, and the
    // whole-word check comes after the choice: a word listed after a
    // prefix of itself (`lookup_prefix` after `lookup`) could never match.
    for (i, later) in listed.iter().enumerate() {
        for earlier in &listed[..i] {
            assert!(
                !later.starts_with(earlier.as_str()),
                "`{later}` must come before `{earlier}` in the `reserved` rule"
            );
        }
    }
}

#[test]
fn grammar_quantifier_and_non_function_rules_follow_the_roles() {
    let g = grammar();
    assert_eq!(
        as_set(&literals(&rule_body(&g, "quant_kw"))),
        words_where(|r| matches!(r, Role::Quantifier(_))),
        "grammar `quant_kw` and the quantifiers of keywords::RESERVED differ"
    );
    let non_function = words_where(|r| matches!(r, Role::Operator | Role::Literal));
    assert_eq!(
        as_set(&literals(&rule_body(&g, "non_function"))),
        non_function,
        "grammar `non_function` and the operators and literals of keywords::RESERVED differ"
    );
    // Each operator and literal word has its whole-word `kw_` rule, which
    // the expression rules use.
    for word in &non_function {
        let body = rule_body(&g, &format!("kw_{word}"));
        assert_eq!(
            literals(&body),
            std::slice::from_ref(word),
            "rule `kw_{word}`"
        );
        assert!(
            body.contains("!ident_char"),
            "rule `kw_{word}` is not a whole word"
        );
    }
}

#[test]
fn quantifier_roles_name_their_kind() {
    for k in RESERVED {
        if let Role::Quantifier(kind) = k.role {
            assert_eq!(kind.as_str(), k.word);
            assert_eq!(quantifier(k.word), Some(kind));
        }
    }
    let kinds = [
        QuantKind::Any,
        QuantKind::All,
        QuantKind::Count,
        QuantKind::Sum,
        QuantKind::Min,
        QuantKind::Max,
    ];
    for kind in kinds {
        assert_eq!(role(kind.as_str()), Some(Role::Quantifier(kind)));
    }
}

/// Both parsers refuse every reserved word as a name in an expression and
/// accept it where any identifier is allowed (the checker reports it there).
#[test]
fn every_reserved_word_is_refused_as_a_name_and_accepted_as_a_declaration() {
    for k in RESERVED {
        let w = k.word;
        let as_name = format!("rule R \"t\" {{ when {w} == 1 then score 1 }}");
        if k.role != Role::Literal {
            let errors = parse(&as_name, FileId(0)).unwrap_err();
            assert_eq!(errors[0].code, "E0001", "{as_name}");
        }
        let as_decl = format!("list {w} = [1]\nlanes {w}");
        assert!(parse(&as_decl, FileId(0)).is_ok(), "{as_decl}");
        let as_field = format!("rule R \"t\" {{ when a.{w} == 1 then score 1 }}");
        assert!(parse(&as_field, FileId(0)).is_ok(), "{as_field}");
    }
}
