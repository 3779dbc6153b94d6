//! The facade's API: compiling, direct binding by field handle, external
//! data errors, fingerprints, sharing and reloading.

use semaforo::{
    CompileError, Compiler, Context, Date, Decimal, FieldType, InputError, Ruleset, SamplingKey,
};
use std::sync::{Arc, RwLock};

const RULES: &str = r#"ruleset "api" version "1"
schema declaration {
  key id: text
  importer: text
  aeo: bool
  declared_on: date
  items: [item]
}
record item {
  hs: text
  net_kg: number
  parts: [part]
}
record part {
  serial: text
  weight: number?
}
list watched: text
table price: number
rule W "watched" { when importer in watched and not aeo then lane red }
rule P "price" { when any(it in items: lookup_prefix(price, it.hs) > it.net_kg) then score 10 }
rule N "nested" { when any(it in items: any(p in it.parts: p.weight > 1.5)) then score 5, note "heavy part" }
"#;

fn compiler() -> Compiler {
    let mut c = Compiler::new();
    c.add_source("api.sem", RULES);
    c.add_list("watched", ["IMP-7"]);
    c.add_table("price", [("64", "100"), ("6402", "200")]);
    c
}

fn ctx() -> Context {
    Context::new(
        Date::parse("2026-06-01").unwrap(),
        SamplingKey::default(),
        "k",
    )
}

fn err(r: Result<Ruleset, CompileError>) -> CompileError {
    match r {
        Ok(_) => panic!("expected a compile error"),
        Err(e) => e,
    }
}

#[test]
fn direct_binding_with_nested_lists_matches_json() {
    let r = compiler().compile().unwrap();
    let (id, importer, aeo, on) = (
        r.field("id").unwrap(),
        r.field("importer").unwrap(),
        r.field("aeo").unwrap(),
        r.field("declared_on").unwrap(),
    );
    let items = r.field("items").unwrap();
    let hs = r.field("items.hs").unwrap();
    let net = r.field("items.net_kg").unwrap();
    let parts = r.field("items.parts").unwrap();
    let serial = r.field("items.parts.serial").unwrap();
    let weight = r.field("items.parts.weight").unwrap();
    assert!(id.is_top_level() && !hs.is_top_level());
    assert_eq!(net.field_type(), FieldType::Number);

    let mut ev = r.evaluator();
    let d = ev.declaration_mut();
    let root = d.root();
    d.set_text(root, id, "D1").unwrap();
    d.set_text(root, importer, "IMP-7").unwrap();
    d.set_bool(root, aeo, false).unwrap();
    d.set_date(root, on, Date::parse("2026-05-30").unwrap())
        .unwrap();
    d.start_list(root, items).unwrap();
    let it = d.push(root, items).unwrap();
    d.set_text(it, hs, "640299").unwrap();
    d.set_number(it, net, Decimal::from_units(15050, 2).unwrap())
        .unwrap();
    d.start_list(it, parts).unwrap();
    let p = d.push(it, parts).unwrap();
    d.set_text(p, serial, "S1").unwrap();
    d.set_number(p, weight, Decimal::parse("1.6").unwrap().value)
        .unwrap();
    let p2 = d.push(it, parts).unwrap();
    d.set_text(p2, serial, "S2").unwrap();
    d.set_missing(p2, weight).unwrap();
    let (lane, score, fired, notes) = {
        let c = ctx();
        let v = ev.eval(&c).unwrap();
        (
            v.lane().to_string(),
            v.score(),
            v.fired().map(|f| f.id.to_string()).collect::<Vec<_>>(),
            v.notes().map(String::from).collect::<Vec<_>>(),
        )
    };
    assert_eq!((lane.as_str(), score), ("red", 15));
    assert_eq!(fired, ["W", "P", "N"]);
    assert_eq!(notes, ["heavy part"]);

    // The same declaration through JSON decides the same.
    let json = br#"{"id": "D1", "importer": "IMP-7", "aeo": false, "declared_on": "2026-05-30",
        "items": [{"hs": "640299", "net_kg": 150.50, "parts": [{"serial": "S1", "weight": 1.6}, {"serial": "S2"}]}]}"#;
    let mut ev2 = r.evaluator();
    let c2 = ctx();
    let v = ev2.eval_json(json, &c2).unwrap();
    assert_eq!((v.lane(), v.score()), ("red", 15));
    assert_eq!(v.id(), "D1");
}

#[test]
fn direct_binding_errors_are_values() {
    let r = compiler().compile().unwrap();
    assert!(matches!(r.field("nope"), Err(InputError::UnknownField(p)) if p == "nope"));
    assert!(matches!(
        r.field("items.nope"),
        Err(InputError::UnknownField(_))
    ));
    assert!(matches!(
        r.field("importer.x"),
        Err(InputError::UnknownField(_))
    ));
    let mut d = r.new_declaration();
    let root = d.root();
    // Wrong type.
    let importer = r.field("importer").unwrap();
    let e = d
        .set_number(root, importer, Decimal::from_i64(1))
        .unwrap_err();
    assert!(e.to_string().contains("importer"), "{e}");
    // A handle of the item record used on the declaration itself.
    let hs = r.field("items.hs").unwrap();
    assert!(matches!(
        d.set_text(root, hs, "64"),
        Err(InputError::WrongRecord)
    ));
    // A handle of the declaration used on an item.
    let items = r.field("items").unwrap();
    d.start_list(root, items).unwrap();
    let it = d.push(root, items).unwrap();
    assert!(matches!(
        d.set_text(it, importer, "x"),
        Err(InputError::WrongRecord)
    ));
    // Push on a field that is not a list.
    assert!(d.push(root, importer).is_err());
    // Required fields left unset are reported before evaluation.
    assert!(d.validate().is_err());
    // A buffer of another ruleset is refused.
    let other = compiler().compile().unwrap();
    let mut foreign = other.new_declaration();
    let mut binder = semaforo::JsonBinder::default();
    let json =
        br#"{"id": "X", "importer": "I", "aeo": true, "declared_on": "2026-01-01", "items": []}"#;
    other.bind_json(&mut binder, json, &mut foreign).unwrap();
    assert!(r.bind_json(&mut binder, json, &mut foreign).is_err());
}

#[test]
fn missing_external_list_is_an_error() {
    let mut c = Compiler::new();
    c.add_source("api.sem", RULES);
    c.add_table("price", [("64", "1")]);
    let e = err(c.compile());
    assert!(e.to_string().contains("watched"), "{e}");
}

#[test]
fn bad_number_in_a_table_file_names_file_and_line() {
    let mut c = Compiler::new();
    c.add_source("api.sem", RULES);
    c.add_list_file("watched", "watched.txt", "# comment\nIMP-7\n");
    c.add_table_file("price", "price.csv", "key,value\n64,100\n6402,twelve\n");
    let e = err(c.compile());
    let d = e.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(d.code, "E0604");
    assert_eq!(e.sources.locate(d.span), ("price.csv", 3, 6));
    assert!(d.message.contains("`twelve`"), "{}", d.message);
}

#[test]
fn bad_number_in_a_list_file_names_file_and_line() {
    let rules = RULES.replace(
        "list watched: text",
        "list watched: text\nlist limits: number",
    );
    let mut c = Compiler::new();
    c.add_source("api.sem", rules);
    c.add_list("watched", ["IMP-7"]);
    c.add_table("price", [("64", "1")]);
    c.add_list_file("limits", "limits.txt", "10\n\n# ok\n1O\n");
    let e = err(c.compile());
    let d = e.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(e.sources.locate(d.span), ("limits.txt", 4, 1));
}

#[test]
fn table_csv_header_and_quote_errors() {
    for (csv, code, line) in [
        ("hs,price\n64,1\n", "E0602", 1),
        ("key,value\n\"64,1\n", "E0601", 2),
        ("key,value\n64,1,2\n", "E0603", 2),
        ("", "E0602", 1),
    ] {
        let mut c2 = Compiler::new();
        c2.add_source("api.sem", RULES);
        c2.add_list("watched", ["IMP-7"]);
        c2.add_table_file("price", "price.csv", csv);
        let e = err(c2.compile());
        let d = e.diagnostics.iter().find(|d| d.is_error()).unwrap();
        assert_eq!(d.code, code, "{csv:?}");
        let (file, l, _) = e.sources.locate(d.span);
        assert_eq!((file, l), ("price.csv", line), "{csv:?}");
    }
}

fn fp(c: &Compiler) -> String {
    c.compile().unwrap().fingerprint_hex().to_string()
}

#[test]
fn fingerprint_is_stable_and_tracks_content() {
    let base = fp(&compiler());
    assert_eq!(base.len(), 64);
    assert_eq!(base, fp(&compiler()), "same inputs, same hash");

    // File names do not matter.
    let mut renamed = Compiler::new();
    renamed.add_source("elsewhere/other-name.sem", RULES);
    renamed.add_list_file("watched", "lists/w.txt", "# the list\nIMP-7\n");
    renamed.add_table_file("price", "p.csv", "key,value\n6402,200\n64,100\n");
    assert_eq!(
        base,
        fp(&renamed),
        "names, comments and table order do not matter"
    );

    // A list entry, a table value or a rule change it.
    let mut list = Compiler::new();
    list.add_source("api.sem", RULES);
    list.add_list("watched", ["IMP-8"]);
    list.add_table("price", [("64", "100"), ("6402", "200")]);
    assert_ne!(base, fp(&list));
    let mut table = Compiler::new();
    table.add_source("api.sem", RULES);
    table.add_list("watched", ["IMP-7"]);
    table.add_table("price", [("64", "100"), ("6402", "201")]);
    assert_ne!(base, fp(&table));
    let mut rule = Compiler::new();
    rule.add_source("api.sem", RULES.replace("score 10", "score 11"));
    rule.add_list("watched", ["IMP-7"]);
    rule.add_table("price", [("64", "100"), ("6402", "200")]);
    assert_ne!(base, fp(&rule));
}

#[test]
fn ruleset_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Ruleset>();
    let r = compiler().compile().unwrap();
    let c = r.clone();
    // A clone shares the compiled plan rather than copying it.
    assert!(r.same_compilation(&c));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let r = r.clone();
            std::thread::spawn(move || {
                let mut ev = r.evaluator();
                let json = format!(
                    r#"{{"id": "T{i}", "importer": "IMP-7", "aeo": {}, "declared_on": "2026-01-01", "items": []}}"#,
                    i % 2 == 0
                );
                ev.eval_json(json.as_bytes(), &ctx()).unwrap().lane().to_string()
            })
        })
        .collect();
    let lanes: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(lanes, ["green", "red", "green", "red"]);
}

#[test]
fn reload_by_swapping_keeps_evaluations_in_flight_on_the_old_ruleset() {
    let slot = Arc::new(RwLock::new(compiler().compile().unwrap()));
    let json = br#"{"id": "R1", "importer": "IMP-9", "aeo": false, "declared_on": "2026-01-01", "items": []}"#;
    let old = slot.read().unwrap().clone();
    let mut ev_old = old.evaluator();

    let mut c = Compiler::new();
    c.add_source("api.sem", RULES);
    c.add_list("watched", ["IMP-9"]);
    c.add_table("price", [("64", "100")]);
    *slot.write().unwrap() = c.compile().unwrap();

    let new = slot.read().unwrap().clone();
    assert_ne!(old.fingerprint_hex(), new.fingerprint_hex());
    assert_eq!(ev_old.eval_json(json, &ctx()).unwrap().lane(), "green");
    assert_eq!(
        new.evaluator().eval_json(json, &ctx()).unwrap().lane(),
        "red"
    );
}

/// A declaration that cannot be read has no outcome: after a failed
/// evaluation the evaluator never shows the previous declaration's.
#[test]
fn a_failed_evaluation_leaves_no_outcome_readable() {
    let r = compiler().compile().unwrap();
    let ctx = ctx();
    let mut ev = r.evaluator();
    assert!(ev.outcome().is_none(), "no outcome before any evaluation");
    let watched = br#"{"id": "D1", "importer": "IMP-7", "aeo": false, "declared_on": "2026-06-01", "items": []}"#;
    assert_eq!(ev.eval_json(watched, &ctx).unwrap().lane(), "red");
    assert_eq!(ev.outcome().unwrap().score, 0);
    // A malformed declaration, then one with a missing required field.
    for bad in [
        &br#"{"id": "D2", "importer": "IMP-8""#[..],
        br#"{"id": "D2", "importer": "IMP-8", "declared_on": "2026-06-01", "items": []}"#,
        br#"{"id": "D2", "importer": 7, "aeo": false, "declared_on": "2026-06-01", "items": []}"#,
    ] {
        assert_eq!(ev.eval_json(watched, &ctx).unwrap().lane(), "red");
        assert!(ev.eval_json(bad, &ctx).is_err());
        assert!(ev.outcome().is_none(), "{}", String::from_utf8_lossy(bad));
    }
    // Direct binding: lending the buffer out forgets the outcome, and a
    // declaration left incomplete has none.
    assert_eq!(ev.eval_json(watched, &ctx).unwrap().lane(), "red");
    ev.declaration_mut().clear();
    assert!(ev.outcome().is_none());
    assert!(ev.eval(&ctx).is_err());
    assert!(ev.outcome().is_none());
}

/// `Context::without_sampling`: accepted by a ruleset that never draws,
/// refused by one that does (a sample, a lane split, or an override whose
/// actions split), naming the rule; a dated text error through `FromStr`.
#[test]
fn a_context_without_a_key_serves_only_rulesets_that_never_draw() {
    use semaforo::{Compiler, Context, Date, InputError};
    let today: Date = "2026-06-01".parse().unwrap();
    let ctx = Context::without_sampling(today);
    let compile = |rules: &str| {
        let mut c = Compiler::new();
        c.add_source(
            "r.sem",
            format!("ruleset \"d\" version \"1\"\nschema d {{ key id: text }}\n{rules}"),
        );
        c.compile().unwrap()
    };
    let plain = compile("rule R \"r\" { then lane red }\n");
    let out = plain
        .evaluator()
        .eval_json(br#"{"id": "D1"}"#, &ctx)
        .map(|v| v.lane().to_string());
    assert_eq!(out.unwrap(), "red");
    for (rules, rule) in [
        ("rule S \"s\" { sample 2% then lane red }\n", "S"),
        ("rule P \"p\" { then lane red 50%, yellow 50% }\n", "P"),
        (
            "rule D \"draft\" { profile status draft sample 2% then score 1 }\nrule S2 \"s\" { sample 1% then score 1 }\n",
            "S2",
        ),
    ] {
        let r = compile(rules);
        let mut ev = r.evaluator();
        match ev.eval_json(br#"{"id": "D1"}"#, &ctx) {
            Err(InputError::NoSamplingKey { rule: r }) => assert_eq!(r, rule),
            other => panic!("{rules}: {:?}", other.map(|v| v.lane().to_string())),
        }
        assert!(ev.outcome().is_none());
    }
    let e = "2026-02-30".parse::<Date>().unwrap_err();
    assert_eq!(e.to_string(), "`2026-02-30` is not a date `YYYY-MM-DD`");
}
