"""One declaration at a time: dicts and JSON, against the `semaforo`
command's own output, and every way a declaration can be wrong."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

import semaforo

from conftest import TODAY, cli_eval_regional

DECL = {
    "id": "GT01-2026-999999",
    "regime": "IM4",
    "office": "GT01",
    "declared_on": "2026-11-10",
    "importer": "GT-1234567-8",
    "declarant": "GT-AGA-0001",
    "aeo": False,
    "origin": "CN",
    "provenance": "CN",
    "transport_mode": 1,
    "incoterm": "FOB",
    "items": [
        {"hs": "6403990000", "description": "ZAPATOS DE CUERO", "origin": "CN",
         "net_kg": 1000, "gross_kg": 1100, "value": 500},
    ],
}


def test_json_and_dict_equal_the_cli_on_every_regional_declaration(regional, regional_key, regional_lines, cli):
    expected = cli_eval_regional(cli)
    assert len(expected) == len(regional_lines) == 420
    lanes = set()
    for line, want in zip(regional_lines, expected):
        from_json = regional.evaluate(line, today=TODAY, sampling_key=regional_key)
        from_bytes = regional.evaluate(line.encode(), today=TODAY, sampling_key=regional_key)
        # Numbers read exactly: json.loads with Decimal, as the JSON binder reads them.
        from_dict = regional.evaluate(
            json.loads(line, parse_float=decimal.Decimal), today=TODAY, sampling_key=regional_key
        )
        from_float_dict = regional.evaluate(json.loads(line), today=TODAY, sampling_key=regional_key)
        assert from_json == want
        assert from_bytes == want
        assert from_dict == want
        assert from_float_dict == want
        lanes.add(want["lane"])
    # The example exercises every lane, so equality above means something.
    assert lanes == set(regional.lanes)


def test_outcome_record_names_the_ruleset_and_context(regional, regional_key):
    out = regional.evaluate(DECL, today=dt.date(2026, 11, 15), sampling_key=regional_key)
    assert out["today"] == "2026-11-15"
    assert out["ruleset"] == {
        "name": regional.name,
        "version": regional.version,
        "fingerprint": regional.fingerprint,
        "engine": semaforo.ENGINE_VERSION,
        "packages": [{"name": "captac-dr", "version": regional.version}],
    }
    assert out["sampling_key_id"].startswith("sha256:")
    assert "captac-dr/VAL-001" in [f["id"] for f in out["fired"]]


def test_sampling_key_forms_agree(regional, regional_key, tmp_path):
    hex_key = regional_key.hex()
    f = tmp_path / "k.key"
    f.write_text("# a comment\n" + hex_key + "\n")
    a = regional.evaluate(DECL, today=TODAY, sampling_key=regional_key)
    b = regional.evaluate(DECL, today=TODAY, sampling_key=hex_key)
    c = regional.evaluate(DECL, today=TODAY, sampling_key=f)
    assert a == b == c
    d = regional.evaluate(DECL, today=TODAY, sampling_key=regional_key, sampling_key_id="k-2026")
    assert d["sampling_key_id"] == "k-2026"
    with pytest.warns(UserWarning, match="all-zero key"):
        z = regional.evaluate(DECL, today=TODAY)
    assert z["sampling_key_id"] == "zero-key"
    with pytest.raises(ValueError):
        regional.evaluate(DECL, today=TODAY, sampling_key=b"short")
    with pytest.raises(ValueError):
        regional.evaluate(DECL, today=TODAY, sampling_key="zz" * 16)


def test_today_must_be_a_date(regional, regional_key):
    with pytest.raises(TypeError):
        regional.evaluate(DECL, today=dt.datetime(2026, 11, 15, 10), sampling_key=regional_key)
    with pytest.raises(ValueError, match="invalid date"):
        regional.evaluate(DECL, today="2026-02-30", sampling_key=regional_key)


def with_item(**changes):
    d = json.loads(json.dumps(DECL))
    d["items"][0].update(changes)
    return d


@pytest.mark.parametrize(
    "decl, message",
    [
        (with_item(net_kg="1000"), "items[0].net_kg: expected number, found str"),
        (with_item(net_kg=True), "items[0].net_kg: expected number, found bool"),
        (with_item(net_kg=float("nan")), "items[0].net_kg: `NaN` is not a number"),
        (with_item(net_kg=float("inf")), "items[0].net_kg: `inf` is not a number"),
        (with_item(net_kg=10**40), "items[0].net_kg: `1" + "0" * 40 + "`: number out of range"),
        (with_item(hs=6403990000), "items[0].hs: expected text, found int"),
        (with_item(net_kg=None), "items[0].net_kg: expected number, found None"),
        (dict(DECL, aeo=0), "aeo: expected bool, found int"),
        (dict(DECL, declared_on=dt.datetime(2026, 11, 10)), "declared_on: expected date, found datetime"),
        (dict(DECL, declared_on="2026-02-30"), "declared_on: invalid date `2026-02-30`"),
        (dict(DECL, items={"hs": "1"}), "items: expected list, found dict"),
        (dict(DECL, items=["x"]), "items[0]: expected object, found str"),
        ({k: v for k, v in DECL.items() if k != "importer"}, "importer: required field is missing"),
    ],
)
def test_a_declaration_that_cannot_be_read_is_an_input_error(regional, regional_key, decl, message):
    with pytest.raises(semaforo.InputError) as e:
        regional.evaluate(decl, today=TODAY, sampling_key=regional_key)
    assert message in str(e.value)


def test_json_errors_name_the_path(regional, regional_key):
    bad = json.dumps(with_item(net_kg="1000"))
    with pytest.raises(semaforo.InputError, match=r"items\[0\]\.net_kg: expected number, found string"):
        regional.evaluate(bad, today=TODAY, sampling_key=regional_key)
    with pytest.raises(semaforo.InputError):
        regional.evaluate("{not json", today=TODAY, sampling_key=regional_key)
    with pytest.raises(semaforo.InputError):
        regional.evaluate(42, today=TODAY, sampling_key=regional_key)


def test_dates_and_decimals_in_dicts(regional, regional_key):
    base = regional.evaluate(DECL, today=TODAY, sampling_key=regional_key)
    as_date = regional.evaluate(
        dict(DECL, declared_on=dt.date(2026, 11, 10)), today=TODAY, sampling_key=regional_key
    )
    assert as_date == base
    # 0.1 + 0.2 as decimals is exactly 0.3 in the engine; a float 0.1 reads
    # as the 0.1 its repr shows.
    a = regional.evaluate(with_item(value=decimal.Decimal("500.000")), today=TODAY, sampling_key=regional_key)
    b = regional.evaluate(with_item(value=500.0), today=TODAY, sampling_key=regional_key)
    assert a == b == base


def test_optional_fields_may_be_none_or_absent(regional, regional_key):
    a = regional.evaluate(dict(DECL, freight=None), today=TODAY, sampling_key=regional_key)
    b = regional.evaluate(DECL, today=TODAY, sampling_key=regional_key)
    assert a == b


def test_explain_agrees_with_evaluate(regional, regional_key, regional_lines):
    for line in regional_lines[:40]:
        out = regional.evaluate(line, today=TODAY, sampling_key=regional_key)
        text = regional.explain(line, today=TODAY, sampling_key=regional_key)
        assert f"lane {out['lane']}, score {out['score']}" in text
        for f in out["fired"]:
            assert f"\n{f['id']} " in text and "FIRED" in text
    full = regional.explain(DECL, today=TODAY, sampling_key=regional_key, all=True)
    for r in regional.rules:
        assert f"\n{r['id']} " in full
    assert "value / it.net_kg" in full  # sub-expressions with their values


def test_explain_refuses_a_bad_declaration(regional, regional_key):
    with pytest.raises(semaforo.InputError, match="importer"):
        regional.explain(
            {k: v for k, v in DECL.items() if k != "importer"}, today=TODAY, sampling_key=regional_key
        )
