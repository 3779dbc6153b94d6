//! `Compiler::check` reports problems the checker alone cannot see.

use semaforo::Compiler;

const SCHEMA: &str = r#"ruleset "t" version "1"
schema declaration {
  key id: text
  net_kg: number
  declared_on: date
}
rule R1 "any" { then score 1 }
"#;

fn codes(extra: &str) -> Vec<(&'static str, String)> {
    let mut c = Compiler::new();
    c.add_source("t.sem", format!("{SCHEMA}{extra}"));
    let report = c.check();
    report
        .diagnostics
        .iter()
        .map(|d| {
            let text = report.sources.get(d.span.file).unwrap().text.clone();
            let at = text.get(d.span.start as usize..).unwrap_or("");
            (d.code, at.chars().take(6).collect())
        })
        .collect()
}

#[test]
fn a_given_that_does_not_bind_is_an_error_pointing_at_the_value() {
    let got = codes(
        r#"test "wrong type" { given {"id": "T1", "net_kg": "12", "declared_on": "2026-01-01"} expect score 1 }
"#,
    );
    assert_eq!(got, [("E0413", "\"12\", ".to_string())]);
}

#[test]
fn every_kind_of_binding_problem_in_given_is_reported() {
    let got = codes(
        r#"test "missing" { given {"id": "T1", "declared_on": "2026-01-01"} expect score 1 }
test "bad date" { given {"id": "T2", "net_kg": 1, "declared_on": "2026-02-30"} expect score 1 }
test "duplicate" { given {"id": "T3", "net_kg": 1, "net_kg": 2, "declared_on": "2026-01-01"} expect score 1 }
test "fine" { given {"id": "T4", "net_kg": 1.5, "declared_on": "2026-01-01", "unknown": [1]} expect score 1 }
"#,
    );
    let codes: Vec<&str> = got.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, ["E0413", "E0413", "E0413"], "{got:?}");
}
