//! JSON binding (SPEC §4): every error kind with its path, exact numbers,
//! escapes, duplicates, limits, and a round-trip property.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use proptest::prelude::*;
use semaforo_plan::json::{
    BindErrorKind, JsonBinder, MAX_JSON_BYTES, MAX_TEXT_BYTES, SyntaxError, bind_json, json_lines,
    split_json_array,
};
use semaforo_plan::{
    Date, Decimal, Declaration, Field, FieldId, FieldType, Layout, Node, Record, RecordId, Slot,
};

fn field(name: &str, ty: FieldType, optional: bool) -> Field {
    Field {
        name: name.into(),
        ty,
        optional,
    }
}

/// declaration { id, regime, declared_on, importer, aeo, freight?, note?, items: [item] }
/// item { hs, net_kg, value, parts: [part]? }   part { code, qty? }
fn layout() -> Layout {
    Layout::new(
        vec![
            Record {
                name: "declaration".into(),
                fields: vec![
                    field("id", FieldType::Text, false),
                    field("regime", FieldType::Text, false),
                    field("declared_on", FieldType::Date, false),
                    field("importer", FieldType::Text, false),
                    field("aeo", FieldType::Bool, false),
                    field("freight", FieldType::Number, true),
                    field("note", FieldType::Text, true),
                    field("items", FieldType::List(RecordId(1)), false),
                ]
                .into(),
            },
            Record {
                name: "item".into(),
                fields: vec![
                    field("hs", FieldType::Text, false),
                    field("net_kg", FieldType::Number, false),
                    field("value", FieldType::Number, false),
                    field("parts", FieldType::List(RecordId(2)), true),
                ]
                .into(),
            },
            Record {
                name: "part".into(),
                fields: vec![
                    field("code", FieldType::Text, false),
                    field("qty", FieldType::Number, true),
                ]
                .into(),
            },
        ],
        FieldId(0),
    )
    .unwrap()
}

const ID: FieldId = FieldId(0);
const DECLARED_ON: FieldId = FieldId(2);
const IMPORTER: FieldId = FieldId(3);
const AEO: FieldId = FieldId(4);
const FREIGHT: FieldId = FieldId(5);
const NOTE: FieldId = FieldId(6);
const ITEMS: FieldId = FieldId(7);
const HS: FieldId = FieldId(0);
const NET_KG: FieldId = FieldId(1);
const PARTS: FieldId = FieldId(3);
const CODE: FieldId = FieldId(0);

const HEAD: &str = r#""id": "T1", "regime": "IM4", "declared_on": "2026-06-01", "importer": "IMP-7", "aeo": false"#;

/// A valid declaration with `extra` spliced in after the required fields.
fn doc(extra: &str, items: &str) -> String {
    if extra.is_empty() {
        format!("{{{HEAD}, \"items\": [{items}]}}")
    } else {
        format!("{{{HEAD}, {extra}, \"items\": [{items}]}}")
    }
}

fn bind(layout: &Layout, json: &str) -> Result<Declaration, String> {
    let mut d = Declaration::new(layout);
    match bind_json(layout, json.as_bytes(), &mut d) {
        Ok(()) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

fn err(json: &str) -> String {
    let l = layout();
    bind(&l, json).expect_err("binding should fail")
}

fn text_of(d: &Declaration, node: Node, f: FieldId) -> String {
    match d.slot(node, f) {
        Slot::Text { start, len } => d.text(start, len).to_owned(),
        other => panic!("not text: {other:?}"),
    }
}

fn num(s: &str) -> Decimal {
    Decimal::parse(s).unwrap().value
}

fn freight_of(json_number: &str) -> Result<Slot, String> {
    let l = layout();
    bind(&l, &doc(&format!("\"freight\": {json_number}"), "")).map(|d| d.slot(Node::ROOT, FREIGHT))
}

#[test]
fn binds_a_full_declaration() {
    let l = layout();
    let json = doc(
        r#""freight": 12.50, "note": null"#,
        r#"{"hs": "640399", "net_kg": 10, "value": 250.5},
           {"hs": "8471", "net_kg": 1.25e3, "value": -0.5, "parts": [{"code": "A"}, {"code": "B", "qty": 2}]}"#,
    );
    let d = bind(&l, &json).unwrap();
    assert_eq!(text_of(&d, Node::ROOT, ID), "T1");
    assert_eq!(text_of(&d, Node::ROOT, IMPORTER), "IMP-7");
    assert_eq!(d.slot(Node::ROOT, AEO), Slot::Bool(false));
    assert_eq!(
        d.slot(Node::ROOT, DECLARED_ON),
        Slot::Date(Date::from_ymd(2026, 6, 1).unwrap())
    );
    assert_eq!(d.slot(Node::ROOT, FREIGHT), Slot::Number(num("12.5")));
    assert_eq!(d.slot(Node::ROOT, NOTE), Slot::Missing);
    let items: Vec<Node> = d.elements(RecordId(1), d.slot(Node::ROOT, ITEMS)).collect();
    assert_eq!(items.len(), 2);
    assert_eq!(text_of(&d, items[0], HS), "640399");
    assert_eq!(d.slot(items[1], NET_KG), Slot::Number(num("1250")));
    assert_eq!(d.slot(items[0], PARTS), Slot::Missing);
    let parts: Vec<Node> = d.elements(RecordId(2), d.slot(items[1], PARTS)).collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(text_of(&d, parts[1], CODE), "B");
    assert!(d.validate(&l).is_ok());
}

#[test]
fn empty_list_is_present_and_empty() {
    let l = layout();
    let d = bind(&l, &doc("", "")).unwrap();
    assert_eq!(
        d.elements(RecordId(1), d.slot(Node::ROOT, ITEMS)).count(),
        0
    );
    assert!(matches!(
        d.slot(Node::ROOT, ITEMS),
        Slot::List { len: 0, .. }
    ));
}

#[test]
fn binding_clears_the_previous_declaration() {
    let l = layout();
    let mut d = Declaration::new(&l);
    let mut b = JsonBinder::new();
    b.bind(
        &l,
        doc(r#""freight": 3"#, r#"{"hs": "1", "net_kg": 1, "value": 1}"#).as_bytes(),
        &mut d,
    )
    .unwrap();
    b.bind(&l, doc("", "").as_bytes(), &mut d).unwrap();
    assert_eq!(d.slot(Node::ROOT, FREIGHT), Slot::Missing);
    assert_eq!(
        d.elements(RecordId(1), d.slot(Node::ROOT, ITEMS)).count(),
        0
    );
}

#[test]
fn members_in_any_order_and_unknown_members_are_ignored() {
    let l = layout();
    let json = r#"{"items": [], "zzz": {"a": [1, {"b": null}], "c": "x"}, "aeo": true,
        "importer": "I", "declared_on": "2000-02-29", "regime": "R", "id": "K", "w": -1.5e-3}"#;
    let d = bind(&l, json).unwrap();
    assert_eq!(d.slot(Node::ROOT, AEO), Slot::Bool(true));
    assert_eq!(text_of(&d, Node::ROOT, ID), "K");
}

#[test]
fn exact_numbers() {
    let cases = [
        ("12", "12"),
        ("-0.5", "-0.5"),
        ("1.25e3", "1250"),
        ("1.25E+3", "1250"),
        ("125e-2", "1.25"),
        ("0.1234565", "0.123456"),
        ("0.1234575", "0.123458"),
        ("-0.1234565", "-0.123456"),
        ("1e-7", "0"),
        ("0.0000005", "0"),
        ("0.0000015", "0.000002"),
        (
            "123456789012345678901234567890e-6",
            "123456789012345678901234.56789",
        ),
        (
            "999999999999999999999999999999.999999",
            "999999999999999999999999999999.999999",
        ),
    ];
    for (input, expected) in cases {
        let slot = freight_of(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let Slot::Number(n) = slot else {
            panic!("{input}: {slot:?}")
        };
        assert_eq!(n.to_string(), expected, "{input}");
    }
}

#[test]
fn numbers_out_of_range() {
    assert_eq!(
        freight_of("1e30").unwrap_err(),
        "freight: number out of range `1e30`"
    );
    assert_eq!(
        freight_of("-1000000000000000000000000000000").unwrap_err(),
        "freight: number out of range `-1000000000000000000000000000000`"
    );
    // Rounding up at the edge of the range overflows.
    assert!(freight_of("999999999999999999999999999999.9999995").is_err());
    // A huge exponent is range-checked, not computed.
    assert!(freight_of("1e999999999999").is_err());
    assert_eq!(
        freight_of("0e999999999999").unwrap(),
        Slot::Number(Decimal::ZERO)
    );
    assert_eq!(
        freight_of("7e-999999999999").unwrap(),
        Slot::Number(Decimal::ZERO)
    );
}

#[test]
fn invalid_numbers_are_syntax_errors() {
    for bad in [
        "01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x10", "1.5.2", "NaN", "Infinity",
    ] {
        let e = freight_of(bad).unwrap_err();
        assert!(e.starts_with("line 1, column "), "{bad}: {e}");
    }
    let long = "1".repeat(2000);
    assert_eq!(
        freight_of(&long).unwrap_err(),
        "freight: number longer than 1024 characters"
    );
}

#[test]
fn wrong_types_name_the_path() {
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "value": 1}, {"hs": "1", "net_kg": 1, "value": 1},
                       {"hs": "1", "net_kg": 1, "value": 1}, {"hs": "1", "net_kg": "3", "value": 1}"#
        )),
        "items[3].net_kg: expected number, found string"
    );
    assert_eq!(
        err(&doc(r#""freight": true"#, "")),
        "freight: expected number, found boolean"
    );
    assert_eq!(
        err(&doc(r#""note": 5"#, "")),
        "note: expected text, found number"
    );
    assert_eq!(
        err(&doc(r#""note": {}"#, "")),
        "note: expected text, found object"
    );
    assert_eq!(
        err(&doc(r#""note": []"#, "")),
        "note: expected text, found array"
    );
    assert_eq!(
        err(r#"{"id": "T1", "aeo": "false"}"#),
        "aeo: expected bool, found string"
    );
    assert_eq!(
        err(r#"{"id": "T1", "declared_on": 20260601}"#),
        "declared_on: expected date, found number"
    );
    assert_eq!(
        err(r#"{"id": "T1", "items": {}}"#),
        "items: expected list, found object"
    );
    assert_eq!(
        err(&doc("", "3")),
        "items[0]: expected object, found number"
    );
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "value": 1, "parts": [{"code": 7}]}"#
        )),
        "items[0].parts[0].code: expected text, found number"
    );
}

#[test]
fn null_is_missing_for_optional_fields_and_an_error_for_required_ones() {
    assert_eq!(freight_of("null").unwrap(), Slot::Missing);
    assert_eq!(err(r#"{"id": null}"#), "id: expected text, found null");
    assert_eq!(
        err(&doc("", r#"{"hs": "1", "net_kg": null, "value": 1}"#)),
        "items[0].net_kg: expected number, found null"
    );
    let l = layout();
    let d = bind(
        &l,
        &doc("", r#"{"hs": "1", "net_kg": 1, "value": 1, "parts": null}"#),
    )
    .unwrap();
    let item = d
        .elements(RecordId(1), d.slot(Node::ROOT, ITEMS))
        .next()
        .unwrap();
    assert_eq!(d.slot(item, PARTS), Slot::Missing);
}

#[test]
fn invalid_dates() {
    assert_eq!(
        err(r#"{"id": "T1", "regime": "IM4", "declared_on": "2026-02-30"}"#),
        "declared_on: invalid date `2026-02-30`"
    );
    for bad in [
        "2026-6-01",
        "2026-13-01",
        "1900-02-29",
        "2026-06-01T00:00",
        "",
        "２０２６-06-01",
    ] {
        let json = format!(r#"{{"declared_on": "{bad}"}}"#);
        assert_eq!(err(&json), format!("declared_on: invalid date `{bad}`"));
    }
    // Escapes are decoded before the date is read.
    let l = layout();
    let d = bind(&l, &doc("", "").replace("2026-06-01", r"2026\u002d06-01")).unwrap();
    assert_eq!(
        d.slot(Node::ROOT, DECLARED_ON),
        Slot::Date(Date::from_ymd(2026, 6, 1).unwrap())
    );
}

#[test]
fn required_fields_missing() {
    assert_eq!(
        err(
            r#"{"id": "T1", "regime": "IM4", "declared_on": "2026-06-01", "aeo": true, "items": []}"#
        ),
        "importer: required field is missing"
    );
    assert_eq!(
        err(&doc("", r#"{"hs": "1", "value": 1}"#)),
        "items[0].net_kg: required field is missing"
    );
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "value": 1, "parts": [{"qty": 1}]}"#
        )),
        "items[0].parts[0].code: required field is missing"
    );
    assert_eq!(err("{}"), "id: required field is missing");
}

#[test]
fn duplicates_at_every_level() {
    assert_eq!(
        err(&format!(
            r#"{{"id": "A", {}}}"#,
            &doc("", "")[1..doc("", "").len() - 1]
        )),
        "duplicate member `id`"
    );
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "hs": "2", "value": 1}"#
        )),
        "items[0]: duplicate member `hs`"
    );
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "value": 1, "parts": [{"code": "a", "code": "b"}]}"#
        )),
        "items[0].parts[0]: duplicate member `code`"
    );
    // Unknown members count too, at the top level and inside records.
    assert_eq!(err(&doc(r#""x": 1, "x": 2"#, "")), "duplicate member `x`");
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "value": 1, "y": 1, "y": null}"#
        )),
        "items[0]: duplicate member `y`"
    );
    // Inside ignored members.
    assert_eq!(
        err(&doc(r#""x": {"a": {"b": 1, "b": 2}}"#, "")),
        "x.a: duplicate member `b`"
    );
    assert_eq!(
        err(&doc(r#""x": [0, {"b": 1, "b": 2}]"#, "")),
        "x[1]: duplicate member `b`"
    );
    // Compared after unescaping.
    assert_eq!(
        err(&doc(
            "",
            r#"{"hs": "1", "net_kg": 1, "h\u0073": "2", "value": 1}"#
        )),
        "items[0]: duplicate member `hs`"
    );
    assert_eq!(
        err(&doc(r#""\u00e9": 1, "é": 2"#, "")),
        "duplicate member `é`"
    );
    // The same name in different objects is fine.
    let l = layout();
    assert!(bind(&l, &doc(r#""x": {"a": 1}, "y": {"a": 1}"#, "")).is_ok());
}

#[test]
fn duplicates_among_many_unknown_members() {
    let mut members: Vec<String> = (0..5000).map(|i| format!("\"m{i}\": {i}")).collect();
    let l = layout();
    assert!(bind(&l, &doc(&members.join(", "), "")).is_ok());
    members.push("\"m4321\": true".to_owned());
    assert_eq!(
        err(&doc(&members.join(", "), "")),
        "duplicate member `m4321`"
    );
    // The same inside an ignored object.
    let inner = format!(r#""big": {{{}}}"#, members.join(", "));
    assert_eq!(err(&doc(&inner, "")), "big: duplicate member `m4321`");
}

#[test]
fn escapes_and_surrogate_pairs() {
    let l = layout();
    let json = doc(
        r#""note": "a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00 é 😀""#,
        "",
    );
    let d = bind(&l, &json).unwrap();
    assert_eq!(
        text_of(&d, Node::ROOT, NOTE),
        "a\"b\\c/d\u{8}\u{c}\n\r\tAé€😀 é 😀"
    );
    // Upper-case hex digits, and a key written with escapes.
    let d = bind(
        &l,
        &doc("", "")
            .replace(r#""importer""#, r#""\u0069mporter""#)
            .replace("IMP-7", r"\u00C9"),
    )
    .unwrap();
    assert_eq!(text_of(&d, Node::ROOT, IMPORTER), "É");
}

#[test]
fn lone_surrogates_and_bad_escapes_are_errors() {
    for (bad, what) in [
        (r#""\ud83d""#, "lone surrogate in a `\\u` escape"),
        (r#""\ud83dx""#, "lone surrogate in a `\\u` escape"),
        (r#""\ude00""#, "lone surrogate in a `\\u` escape"),
        (r#""\ud83d\u0041""#, "lone surrogate in a `\\u` escape"),
        (r#""\ud83d\ud83d""#, "lone surrogate in a `\\u` escape"),
        (r#""\x41""#, "invalid escape sequence"),
        (r#""\u12g4""#, "invalid escape sequence"),
        ("\"a\u{1}b\"", "unescaped control character in a string"),
        ("\"a\nb\"", "unescaped control character in a string"),
    ] {
        let e = err(&doc(&format!(r#""note": {bad}"#), ""));
        assert!(e.starts_with("line ") && e.ends_with(what), "{bad}: {e}");
        // The same inside an ignored member.
        let e = err(&doc(&format!(r#""other": [{bad}]"#), ""));
        assert!(e.ends_with(what), "{bad}: {e}");
    }
}

#[test]
fn invalid_utf8_is_an_error() {
    let l = layout();
    let mut bytes = doc(r#""note": "ab""#, "").into_bytes();
    let json = doc(r#""note": "ab""#, "");
    let at = json.find("\"ab\"").unwrap() + 1;
    bytes[at] = 0xFF;
    let mut d = Declaration::new(&l);
    let e = bind_json(&l, &bytes, &mut d).unwrap_err();
    assert_eq!(e.offset, at);
    assert!(matches!(
        e.kind,
        BindErrorKind::Syntax {
            error: SyntaxError::InvalidUtf8,
            line: 1,
            ..
        }
    ));
    // An overlong encoding and a truncated sequence.
    for bad in [
        &[0xC0u8, 0xAF][..],
        &[0xE2, 0x82][..],
        &[0xED, 0xA0, 0x80][..],
    ] {
        let mut v = b"{\"id\": \"".to_vec();
        v.extend_from_slice(bad);
        v.extend_from_slice(b"\"}");
        let e = bind_json(&l, &v, &mut d).unwrap_err();
        assert!(matches!(
            e.kind,
            BindErrorKind::Syntax {
                error: SyntaxError::InvalidUtf8,
                ..
            }
        ));
        assert_eq!(e.offset, 8);
    }
    // Inputs long enough for the vectorised check (64-byte blocks): the
    // first bad byte is placed in a later block, at the block's edges
    // and at the end, and a long valid text of multi-byte characters
    // binds.
    let long = "ñ".repeat(150);
    let valid = doc(&format!(r#""note": "{long}""#), "");
    bind_json(&l, valid.as_bytes(), &mut d).unwrap();
    let text = valid.find(&long).unwrap();
    for at in [63usize, 64, 65, 128, 200, 298].map(|i| text + i) {
        let mut v = valid.clone().into_bytes();
        // Inside the text: a lone continuation byte, or a lead byte
        // followed by ASCII.
        v[at] = if v[at] == 0xC3 { 0x80 } else { 0xC3 };
        if v[at] == 0xC3 {
            v[at + 1] = b'a';
        }
        let e = bind_json(&l, &v, &mut d).unwrap_err();
        assert!(
            matches!(
                e.kind,
                BindErrorKind::Syntax {
                    error: SyntaxError::InvalidUtf8,
                    ..
                }
            ),
            "{at}: {e:?}"
        );
        assert_eq!(
            e.offset,
            std::str::from_utf8(&v).unwrap_err().valid_up_to(),
            "{at}"
        );
    }
}

#[test]
fn syntax_errors_give_line_column_and_offset() {
    let l = layout();
    let mut d = Declaration::new(&l);
    let e = bind_json(&l, br#"{"id": "T1", "regime" "IM4"}"#, &mut d).unwrap_err();
    assert_eq!(e.to_string(), "line 1, column 23: expected `:`");
    assert_eq!(e.offset, 22);
    let e = bind_json(&l, b"{\n  \"id\": \"T1\",\n  \xc3\xa9}", &mut d).unwrap_err();
    assert_eq!(e.to_string(), "line 3, column 3: expected a string");
    for (bad, msg) in [
        ("", "line 1, column 1: expected `{`"),
        ("   ", "line 1, column 4: expected `{`"),
        ("{", "line 1, column 2: unexpected end of input"),
        (
            r#"{"id": "T1""#,
            "line 1, column 12: unexpected end of input",
        ),
        (r#"{"id": "T1",}"#, "line 1, column 13: expected a string"),
        (
            r#"{"id": "T1" "x": 1}"#,
            "line 1, column 13: expected `,` or `}`",
        ),
        (r#"{"id": "#, "line 1, column 8: unexpected end of input"),
        (r#"{"aeo": tru}"#, "line 1, column 9: expected a value"),
        (r#"{"x": [1 2]}"#, "line 1, column 10: expected `,` or `]`"),
        (r#"{"x": [1,]}"#, "line 1, column 10: expected a value"),
        (r#"{"x": nul}"#, "line 1, column 7: expected a value"),
        (r#"{"x": 'a'}"#, "line 1, column 7: expected a value"),
    ] {
        let e = bind_json(&l, bad.as_bytes(), &mut d).unwrap_err();
        assert_eq!(e.to_string(), msg, "{bad}");
    }
}

#[test]
fn top_level_must_be_one_object() {
    assert_eq!(err("[]"), "expected object, found array");
    assert_eq!(err("\"x\""), "expected object, found string");
    assert_eq!(err("null"), "expected object, found null");
    let ok = doc("", "");
    assert_eq!(
        err(&format!("{ok} {{}}")),
        format!(
            "line 1, column {}: expected end of input",
            ok.chars().count() + 2
        )
    );
    assert_eq!(
        err(&format!("{ok}x")),
        format!(
            "line 1, column {}: expected end of input",
            ok.chars().count() + 1
        )
    );
    let l = layout();
    assert!(bind(&l, &format!("\n\t {ok} \r\n")).is_ok());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 1_000_000;
    let deep = format!(r#""junk": {}{}"#, "[".repeat(n), "]".repeat(n));
    let e = err(&doc(&deep, ""));
    assert!(e.ends_with("nesting deeper than 256 levels"), "{e}");
    let deep = format!(r#""junk": {}1{}"#, "{\"a\":".repeat(n), "}".repeat(n));
    assert!(err(&doc(&deep, "")).ends_with("nesting deeper than 256 levels"));
    // Exactly at the limit is fine: the root object is level 1.
    let ok = format!(r#""junk": {}{}"#, "[".repeat(255), "]".repeat(255));
    let l = layout();
    assert!(bind(&l, &doc(&ok, "")).is_ok());
    let bad = format!(r#""junk": {}{}"#, "[".repeat(256), "]".repeat(256));
    assert!(bind(&l, &doc(&bad, "")).is_err());
}

#[test]
fn size_limits() {
    let l = layout();
    let mut d = Declaration::new(&l);
    let huge = vec![b' '; MAX_JSON_BYTES + 1];
    let e = bind_json(&l, &huge, &mut d).unwrap_err();
    assert_eq!(e.kind, BindErrorKind::InputTooLarge);
    let long = "x".repeat(MAX_TEXT_BYTES + 1);
    assert_eq!(
        err(&doc(&format!(r#""note": "{long}""#), "")),
        format!("note: text longer than {MAX_TEXT_BYTES} bytes")
    );
    // Long text in ignored members is fine.
    assert!(bind(&l, &doc(&format!(r#""other": "{long}""#), "")).is_ok());
}

#[test]
fn big_inputs_bind() {
    let l = layout();
    let items: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"hs": "{i:06}", "net_kg": {i}.5, "value": {i}e-2, "parts": [{{"code": "p{i}"}}]}}"#))
        .collect();
    let d = bind(&l, &doc("", &items.join(","))).unwrap();
    let nodes: Vec<Node> = d.elements(RecordId(1), d.slot(Node::ROOT, ITEMS)).collect();
    assert_eq!(nodes.len(), 20_000);
    assert_eq!(text_of(&d, nodes[12_345], HS), "012345");
    assert_eq!(d.slot(nodes[12_345], NET_KG), Slot::Number(num("12345.5")));
}

#[test]
fn wrong_layout_is_refused() {
    let a = layout();
    let b = layout();
    let mut d = Declaration::new(&a);
    let e = bind_json(&b, doc("", "").as_bytes(), &mut d).unwrap_err();
    assert_eq!(e.kind, BindErrorKind::WrongLayout);
}

#[test]
fn split_arrays() {
    let input = br#" [ {"a": [1, "]"]}, 2 , "x\"]", {"b": {}} ] "#;
    let parts: Vec<(usize, &[u8])> = split_json_array(input).map(Result::unwrap).collect();
    let texts: Vec<&str> = parts
        .iter()
        .map(|(_, b)| std::str::from_utf8(b).unwrap())
        .collect();
    assert_eq!(
        texts,
        [r#"{"a": [1, "]"]}"#, "2", r#""x\"]""#, r#"{"b": {}}"#]
    );
    for (at, bytes) in &parts {
        assert_eq!(&input[*at..*at + bytes.len()], *bytes);
    }
    assert_eq!(split_json_array(b"[]").count(), 0);
    assert_eq!(split_json_array(b" [ ] \n").count(), 0);
    for bad in [
        &b"{}"[..],
        b"[",
        b"[1,",
        b"[1 2]",
        b"[{]",
        b"[{}] x",
        b"[,]",
        b"[1,]",
        b"[{\"a\": [}]",
    ] {
        let results: Vec<_> = split_json_array(bad).collect();
        assert!(
            results.last().is_some_and(Result::is_err),
            "{}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    }
    let deep = format!("[{}{}]", "[".repeat(300), "]".repeat(300));
    assert!(split_json_array(deep.as_bytes()).any(|r| r.is_err()));
}

#[test]
fn split_then_bind_rebases_errors() {
    let l = layout();
    let good = doc("", "");
    let input = format!("[\n{good},\n{{\"id\": 5}}\n]");
    let mut binder = JsonBinder::new();
    let mut d = Declaration::new(&l);
    let mut results = Vec::new();
    for part in split_json_array(input.as_bytes()) {
        let (at, bytes) = part.unwrap();
        results.push(
            binder
                .bind(&l, bytes, &mut d)
                .map_err(|e| e.rebase(input.as_bytes(), at)),
        );
    }
    assert!(results[0].is_ok());
    let e = results[1].as_ref().unwrap_err();
    assert_eq!(e.to_string(), "id: expected text, found number");
    assert_eq!(&input[e.offset..e.offset + 1], "5");
    // Syntax errors get the line and column of the whole file.
    let input = format!("[\n{good},\n{{\"id\" 5}}\n]");
    let (at, bytes) = split_json_array(input.as_bytes()).nth(1).unwrap().unwrap();
    let e = binder
        .bind(&l, bytes, &mut d)
        .unwrap_err()
        .rebase(input.as_bytes(), at);
    assert_eq!(e.to_string(), "line 3, column 7: expected `:`");
}

#[test]
fn json_lines_skip_blank_lines() {
    let input = b"{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}";
    let lines: Vec<(usize, usize, &[u8])> = json_lines(input).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[0].0, lines[0].1, lines[0].2),
        (1, 0, &b"{\"a\":1}"[..])
    );
    assert_eq!((lines[1].0, lines[1].2), (4, &b"{\"b\":2}"[..]));
    assert_eq!(&input[lines[1].1..lines[1].1 + 7], b"{\"b\":2}");
    assert_eq!((lines[2].0, lines[2].2), (5, &b"{\"c\":3}"[..]));
    assert_eq!(json_lines(b"").count(), 0);
    assert_eq!(json_lines(b"\n\n").count(), 0);
}

#[test]
fn binder_reuses_buffers_across_declarations() {
    let l = layout();
    let mut d = Declaration::new(&l);
    let mut b = JsonBinder::new();
    let good = doc(
        r#""x": {"k": 1}"#,
        r#"{"hs": "1", "net_kg": 1, "value": 1}"#,
    );
    b.bind(&l, br#"{"id": 1}"#, &mut d).unwrap_err();
    for _ in 0..3 {
        b.bind(&l, good.as_bytes(), &mut d).unwrap();
        assert_eq!(text_of(&d, Node::ROOT, ID), "T1");
    }
}

// ---------------------------------------------------------------------------
// Round trip: random declarations serialised by a tiny writer bind back to
// the same slots.

#[derive(Clone, Debug)]
struct Part {
    code: String,
    qty: Option<Decimal>,
}

#[derive(Clone, Debug)]
struct Item {
    hs: String,
    net_kg: Decimal,
    value: Decimal,
    parts: Option<Vec<Part>>,
}

#[derive(Clone, Debug)]
struct Decl {
    id: String,
    regime: String,
    declared_on: Date,
    importer: String,
    aeo: bool,
    freight: Option<Decimal>,
    note: Option<String>,
    items: Vec<Item>,
}

fn write_str(out: &mut String, s: &str, escape_all: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || (escape_all && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a number in one of several equivalent JSON forms.
fn write_num(out: &mut String, n: Decimal, form: u8) {
    let raw = n.raw();
    match form % 3 {
        0 => out.push_str(&n.to_string()),
        // Integer count of millionths with an exponent.
        1 => out.push_str(&format!("{raw}e-6")),
        // Scientific with a trailing zero digit, then shifted back.
        _ => out.push_str(&format!("{}0E-7", raw)),
    }
}

fn write_decl(d: &Decl, form: u8, escape_all: bool) -> String {
    let mut o = String::from("{");
    o.push_str("\"id\":");
    write_str(&mut o, &d.id, escape_all);
    o.push_str(", \"regime\" : ");
    write_str(&mut o, &d.regime, escape_all);
    o.push_str(&format!(",\n\"declared_on\":\"{}\"", d.declared_on));
    o.push_str(",\"importer\":");
    write_str(&mut o, &d.importer, escape_all);
    o.push_str(&format!(",\"aeo\":{}", d.aeo));
    match d.freight {
        Some(f) => {
            o.push_str(",\"freight\":");
            write_num(&mut o, f, form);
        }
        None if form.is_multiple_of(2) => o.push_str(",\"freight\":null"),
        None => {}
    }
    if let Some(n) = &d.note {
        o.push_str(",\"note\":");
        write_str(&mut o, n, escape_all);
    }
    o.push_str(",\"unknown\":{\"a\":[1,2,{\"b\":\"c\"}]},\"items\":[");
    for (i, it) in d.items.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"hs\":");
        write_str(&mut o, &it.hs, escape_all);
        o.push_str(",\"net_kg\":");
        write_num(&mut o, it.net_kg, form.wrapping_add(1));
        o.push_str(",\"value\":");
        write_num(&mut o, it.value, form.wrapping_add(2));
        if let Some(parts) = &it.parts {
            o.push_str(",\"parts\":[");
            for (j, p) in parts.iter().enumerate() {
                if j > 0 {
                    o.push(',');
                }
                o.push_str("{\"code\":");
                write_str(&mut o, &p.code, escape_all);
                if let Some(q) = p.qty {
                    o.push_str(",\"qty\":");
                    write_num(&mut o, q, form);
                }
                o.push('}');
            }
            o.push(']');
        }
        o.push('}');
    }
    o.push_str("]}");
    o
}

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (-1_000_000_000_000i128..1_000_000_000_000i128),
        (-semaforo_plan::decimal::MAX_RAW..=semaforo_plan::decimal::MAX_RAW),
    ]
    .prop_map(|r| Decimal::from_raw(r).unwrap())
}

fn date() -> impl Strategy<Value = Date> {
    (0i32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Date::from_ymd(y, m, d).unwrap())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z0-9-]{0,12}",
        any::<String>(),
        "[\"\\\\\u{0}-\u{1f}é😀Σ]{0,8}",
    ]
}

fn decl_strategy() -> impl Strategy<Value = Decl> {
    let part = (text(), proptest::option::of(decimal())).prop_map(|(code, qty)| Part { code, qty });
    let item = (
        text(),
        decimal(),
        decimal(),
        proptest::option::of(proptest::collection::vec(part, 0..3)),
    )
        .prop_map(|(hs, net_kg, value, parts)| Item {
            hs,
            net_kg,
            value,
            parts,
        });
    (
        (text(), text(), date(), text(), any::<bool>()),
        proptest::option::of(decimal()),
        proptest::option::of(text()),
        proptest::collection::vec(item, 0..5),
    )
        .prop_map(
            |((id, regime, declared_on, importer, aeo), freight, note, items)| Decl {
                id,
                regime,
                declared_on,
                importer,
                aeo,
                freight,
                note,
                items,
            },
        )
}

fn check_same(l: &Layout, d: &Declaration, want: &Decl) {
    let t = |node, f| text_of(d, node, f);
    assert_eq!(t(Node::ROOT, ID), want.id);
    assert_eq!(t(Node::ROOT, FieldId(1)), want.regime);
    assert_eq!(
        d.slot(Node::ROOT, DECLARED_ON),
        Slot::Date(want.declared_on)
    );
    assert_eq!(t(Node::ROOT, IMPORTER), want.importer);
    assert_eq!(d.slot(Node::ROOT, AEO), Slot::Bool(want.aeo));
    assert_eq!(
        d.slot(Node::ROOT, FREIGHT),
        want.freight.map_or(Slot::Missing, Slot::Number)
    );
    match &want.note {
        Some(n) => assert_eq!(&t(Node::ROOT, NOTE), n),
        None => assert_eq!(d.slot(Node::ROOT, NOTE), Slot::Missing),
    }
    let items: Vec<Node> = d.elements(RecordId(1), d.slot(Node::ROOT, ITEMS)).collect();
    assert_eq!(items.len(), want.items.len());
    for (node, it) in items.iter().zip(&want.items) {
        assert_eq!(t(*node, HS), it.hs);
        assert_eq!(d.slot(*node, NET_KG), Slot::Number(it.net_kg));
        assert_eq!(d.slot(*node, FieldId(2)), Slot::Number(it.value));
        match &it.parts {
            None => assert_eq!(d.slot(*node, PARTS), Slot::Missing),
            Some(parts) => {
                let got: Vec<Node> = d.elements(RecordId(2), d.slot(*node, PARTS)).collect();
                assert_eq!(got.len(), parts.len());
                for (pn, p) in got.iter().zip(parts) {
                    assert_eq!(t(*pn, CODE), p.code);
                    assert_eq!(
                        d.slot(*pn, FieldId(1)),
                        p.qty.map_or(Slot::Missing, Slot::Number)
                    );
                }
            }
        }
    }
    assert!(d.validate(l).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_declarations_round_trip(want in decl_strategy(), form in any::<u8>(), escape_all in any::<bool>()) {
        let l = layout();
        let json = write_decl(&want, form, escape_all);
        let mut d = Declaration::new(&l);
        let mut b = JsonBinder::new();
        // Bind something else first, so leftovers would show.
        let _ = b.bind(&l, doc(r#""freight": 1, "note": "n""#, r#"{"hs":"h","net_kg":1,"value":2,"parts":[{"code":"c"}]}"#).as_bytes(), &mut d);
        b.bind(&l, json.as_bytes(), &mut d).map_err(|e| TestCaseError::fail(format!("{e}\n{json}")))?;
        check_same(&l, &d, &want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let l = layout();
        let mut d = Declaration::new(&l);
        let _ = bind_json(&l, &bytes, &mut d);
        let _ = split_json_array(&bytes).count();
    }

    #[test]
    fn mutated_declarations_never_panic(want in decl_strategy(), cut in any::<usize>(), byte in any::<u8>()) {
        let l = layout();
        let mut json = write_decl(&want, 0, false).into_bytes();
        let at = cut % json.len();
        json[at] = byte;
        let mut d = Declaration::new(&l);
        if let Err(e) = bind_json(&l, &json, &mut d) {
            prop_assert!(e.offset <= json.len());
            let _ = e.to_string();
        }
        let _ = bind_json(&l, &json[..at], &mut d);
    }
}
