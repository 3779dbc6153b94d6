//! `semaforo::render` and the `CompileError`/`CheckReport` presentations:
//! every diagnostic rendered, a window of long lines, `Display` listing
//! every error, `Debug` without the sources' text.

use semaforo::Compiler;

const HEADER: &str = "ruleset \"d\" version \"1\"\nschema d { key id: text\n origin: text }\n";

fn failed(rules: &str) -> semaforo::CompileError {
    let mut c = Compiler::new();
    c.add_source("rules.sem", format!("{HEADER}{rules}"));
    c.compile().unwrap_err()
}

#[test]
fn every_error_is_rendered_and_displayed() {
    let e = failed(
        "rule A \"a\" { when nope == 1 then lane red }\nrule B \"b\" { when gone == 1 then lane red }\n",
    );
    let text = e.render(false);
    assert!(text.contains("error[E0202]: unknown name `nope`"), "{text}");
    assert!(text.contains("error[E0202]: unknown name `gone`"), "{text}");
    assert!(text.contains("rules.sem:4:19"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour asked for: {text}");
    assert!(e.render(true).contains('\u{1b}'));
    assert_eq!(
        e.to_string(),
        "rules.sem:4:19: error[E0202]: unknown name `nope`\nrules.sem:5:19: error[E0202]: unknown name `gone`"
    );
    let json = semaforo::render::render_json(&e.diagnostics, &e.sources);
    assert_eq!(json.lines().count(), 2);
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["code"], "E0202");
    }
    assert_eq!(
        semaforo::render::summary(&e.diagnostics),
        "2 errors, 0 warnings"
    );
}

#[test]
fn debug_names_the_sources_without_their_text() {
    let mut c = Compiler::new();
    c.add_source(
        "rules.sem",
        format!("{HEADER}list big: text\nrule A \"a\" {{ when origin in big then lane red }}\n"),
    );
    let secret = "IMP-SECRET-0001\n".repeat(1000);
    c.add_list_file("big", "big.txt", secret.clone());
    c.add_list_file("big", "again.txt", secret);
    let e = c.compile().unwrap_err();
    let debug = format!("{e:?}");
    assert!(debug.contains("big.txt (16000 bytes)"), "{debug}");
    assert!(!debug.contains("IMP-SECRET-0001\\n"), "{debug}");
    assert!(debug.len() < 2000, "{}", debug.len());
    let report = c.check();
    assert!(!format!("{report:?}").contains("schema d"));
}

#[test]
fn a_long_line_is_shown_through_a_window() {
    let entries: Vec<String> = (0..2000).map(|i| format!("\"V{i:05}\"")).collect();
    let e = failed(&format!(
        "list l = [{}]\nrule A \"a\" {{ when origin in l and nope then lane red }}\n",
        entries.join(", ")
    ));
    let text = e.render(false);
    assert!(text.contains("unknown name `nope`"), "{text}");
    let e = failed(&format!("list l = [{}, nope]\n", entries.join(", ")));
    let text = e.render(false);
    assert!(text.contains("characters long; characters"), "{text}");
    assert!(text.len() < 2000, "{} bytes:\n{text}", text.len());
}
