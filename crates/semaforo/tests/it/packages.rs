//! Packages, overrides and rule profiles through the facade: what a host
//! reads of them (rules, packages, outcomes, JSON) and the review-date
//! warning. The evaluation itself is pinned by the `packages_overrides`
//! vector; these check the API around it.

use semaforo::{Compiler, Context, Date};

const PACKAGE: &str = r#"package "sica" version "2026.4"
schema declaration { key id: text
  origin: text }
rule VAL-001 "Watched origin" {
  profile owner "Unidad Regional", level regional, approved "Acta 14/2026",
          basis "RECAUCA art. 321", review 2026-06-30
  when origin == "CN"
  then score 40, lane red
}
rule OLD "Retired" { profile status retired, review 2020-01-01 then score 1 }
"#;

const NATIONAL: &str = r#"ruleset "gt" version "2026.11"
uses "sica" version "2026.4"
override sica/VAL-001 {
  disable
  reason "Acuerdo 12-2026"
  until 2026-12-31
}
"#;

fn compiler() -> Compiler {
    let mut c = Compiler::new();
    c.add_source("sica.sem", PACKAGE)
        .add_source("gt.sem", NATIONAL);
    c
}

fn ctx(day: &str) -> Context {
    Context::new(Date::parse(day).unwrap(), Default::default(), "k0")
}

#[test]
fn rules_carry_their_package_profile_and_override() {
    let ruleset = compiler().compile().unwrap();
    let rules: Vec<_> = ruleset.rules().collect();
    assert_eq!(rules[0].id, "sica/VAL-001");
    assert_eq!(rules[0].package, Some("sica"));
    let p = rules[0].profile;
    assert_eq!(p.owner, Some("Unidad Regional"));
    assert_eq!(p.level, Some("regional"));
    assert_eq!(p.status, "active");
    assert_eq!(p.approved, Some("Acta 14/2026"));
    assert_eq!(p.basis, Some("RECAUCA art. 321"));
    assert_eq!(p.review, Date::parse("2026-06-30"));
    let o = rules[0].overlay.unwrap();
    assert!(o.disabled);
    assert_eq!(o.reason, "Acuerdo 12-2026");
    assert_eq!(o.until, Date::parse("2026-12-31"));
    assert_eq!(rules[1].profile.status, "retired");
    assert!(rules[1].overlay.is_none());
    let packages: Vec<_> = ruleset.packages().map(|p| (p.name, p.version)).collect();
    assert_eq!(packages, [("sica", "2026.4")]);
    assert_eq!(ruleset.name(), "gt");
}

#[test]
fn a_disabled_rule_is_reported_as_overridden_and_changes_nothing() {
    let ruleset = compiler().compile().unwrap();
    let mut ev = ruleset.evaluator();
    let decl = br#"{"id": "D1", "origin": "CN"}"#;
    let nov = ctx("2026-11-15");
    let out = ev.eval_json(decl, &nov).unwrap();
    assert_eq!(out.lane(), "green");
    assert_eq!(out.fired().count(), 0);
    let o: Vec<_> = out.overridden().collect();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].id, "sica/VAL-001");
    assert!(o[0].disabled && o[0].original && !o[0].applied);
    let mut json = String::new();
    out.write_json(&mut json);
    assert!(
        json.contains(r#""overridden":[{"id":"sica/VAL-001","change":"disabled","original":true,"applied":false,"reason":"Acuerdo 12-2026"}]"#),
        "{json}"
    );
    assert!(
        json.contains(r#""packages":[{"name":"sica","version":"2026.4"}]"#),
        "{json}"
    );

    // After the override's last day the regional rule decides again.
    let jan = ctx("2027-01-01");
    let out = ev.eval_json(decl, &jan).unwrap();
    assert_eq!(out.lane(), "red");
    assert_eq!(out.overridden().count(), 0);
    let mut json = String::new();
    out.write_json(&mut json);
    assert!(json.contains(r#""overridden":[]"#), "{json}");
}

#[test]
fn a_ruleset_without_overrides_or_packages_writes_neither_key() {
    let mut c = Compiler::new();
    c.add_source(
        "r.sem",
        "ruleset \"r\" version \"1\"\nschema d { key id: text }\nrule R \"r\" { then score 1 }\n",
    );
    let ruleset = c.compile().unwrap();
    let mut ev = ruleset.evaluator();
    let nov = ctx("2026-11-15");
    let out = ev.eval_json(br#"{"id": "D1"}"#, &nov).unwrap();
    let mut json = String::new();
    out.write_json(&mut json);
    assert!(
        !json.contains("overridden") && !json.contains("packages"),
        "{json}"
    );
}

#[test]
fn an_overdue_review_is_a_warning_with_the_date() {
    // Without a check date nothing is reported.
    let r = compiler().check();
    assert!(
        r.diagnostics.iter().all(|d| d.code != "W0008"),
        "{:?}",
        r.diagnostics
    );

    let mut c = compiler();
    c.review_date(Date::parse("2026-07-01").unwrap());
    let r = c.check();
    let overdue: Vec<_> = r.diagnostics.iter().filter(|d| d.code == "W0008").collect();
    // The retired rule is out of force: its review date does not matter.
    assert_eq!(overdue.len(), 1, "{:?}", r.diagnostics);
    assert!(
        overdue[0].message.contains("sica/VAL-001") && overdue[0].message.contains("2026-06-30"),
        "{}",
        overdue[0].message
    );
    assert!(!r.has_errors());

    // On the review day itself it is not overdue yet.
    let mut c = compiler();
    c.review_date(Date::parse("2026-06-30").unwrap());
    assert!(c.check().diagnostics.iter().all(|d| d.code != "W0008"));
}

#[test]
fn a_package_alone_is_the_ruleset() {
    let mut c = Compiler::new();
    c.add_source("sica.sem", PACKAGE);
    let ruleset = c.compile().unwrap();
    assert_eq!((ruleset.name(), ruleset.version()), ("sica", "2026.4"));
    let mut ev = ruleset.evaluator();
    let nov = ctx("2026-11-15");
    let out = ev
        .eval_json(br#"{"id": "D1", "origin": "CN"}"#, &nov)
        .unwrap();
    assert_eq!(
        out.fired().map(|f| f.id).collect::<Vec<_>>(),
        ["sica/VAL-001"]
    );
}
