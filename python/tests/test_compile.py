"""Compiling: sources, lists and tables in every form; errors as
exceptions carrying the rendered diagnostics."""

from __future__ import annotations

import decimal
import json

import pytest

import semaforo

from conftest import REGIONAL, REGIONAL_LISTS, REGIONAL_TABLES, run_cli

SMALL = """ruleset "demo" version "2026.1"
lanes green, yellow, red
threshold yellow 30
schema declaration {
  key id: text
  origin: text
  hs: text
  value: number
}
list watched: text
table reference: number
table control: { min: number, max: number }
rule W1 "Watched origin" { when origin in watched then score 40 }
rule R1 "Far below reference" { when value < lookup(reference, hs) * 0.5 then lane red }
rule C1 "Below the usual minimum" { when value < lookup(control, hs).min then score 10 }
"""


def test_compile_from_files_reads_name_version_rules(regional):
    # The regional example is a package compiled on its own: its name is the
    # ruleset's, and its rule ids are qualified by it.
    assert regional.name == "captac-dr"
    assert regional.lanes == ["green", "blue", "yellow", "red"]
    assert regional.key_field == "id"
    assert len(regional.fingerprint) == 64
    ids = [r["id"] for r in regional.rules]
    assert "captac-dr/VAL-001" in ids and len(ids) == len(set(ids))
    items = next(f for f in regional.schema if f["name"] == "items")
    assert items["type"] == "list"
    assert {"name": "quantity", "type": "number", "optional": True} in items["fields"]


def test_inline_sources_lists_and_tables_of_every_form():
    rs = semaforo.compile(
        {"demo.sem": SMALL},
        lists={"watched": ["CN", "VN"]},
        tables={
            "reference": {"640399": decimal.Decimal("20.5"), "6403": 10},
            "control": {"640399": {"min": "12.5", "max": 80}, "610910": {"min": 2, "max": None}},
        },
    )
    out = rs.evaluate(
        {"id": "D1", "origin": "CN", "hs": "640399", "value": 10}, today="2026-06-01", sampling_key=bytes(16)
    )
    assert [f["id"] for f in out["fired"]] == ["W1", "R1", "C1"]
    assert out["lane"] == "red" and out["score"] == 50


def test_same_data_same_fingerprint_and_data_changes_it():
    def fp(entries):
        return semaforo.compile(
            {"demo.sem": SMALL},
            lists={"watched": entries},
            tables={"reference": {}, "control": {"6403": {"min": 1, "max": 2}}},
        ).fingerprint

    assert fp(["CN"]) == fp(["CN"])
    assert fp(["CN"]) != fp(["VN"])


def test_compile_error_is_an_exception_with_the_rendered_diagnostics():
    text = 'ruleset "d" version "1"\nschema d { key id: text }\nrule R "r" { when nope == 1 then lane red }\n'
    with pytest.raises(semaforo.CompileError) as e:
        semaforo.compile({"rules.sem": text})
    msg = str(e.value)
    # The same rendering as `semaforo check`: code, message, file:line:col,
    # the source line.
    assert msg.startswith("error[E0202]: unknown name `nope`\n  ┌─ rules.sem:3:19\n")
    assert "when nope == 1" in msg
    assert msg.rstrip().endswith("1 error, 0 warnings")
    assert isinstance(e.value, semaforo.SemaforoError)
    [d] = e.value.diagnostics
    assert d["code"] == "E0202"
    assert d["severity"] == "error"


def test_every_error_is_reported_not_only_the_first():
    text = (
        'ruleset "d" version "1"\nschema d { key id: text }\n'
        'rule A "a" { when one == 1 then lane red }\nrule B "b" { when two == 1 then lane red }\n'
    )
    with pytest.raises(semaforo.CompileError) as e:
        semaforo.compile({"rules.sem": text})
    assert [d["code"] for d in e.value.diagnostics] == ["E0202", "E0202"]
    assert "`one`" in str(e.value) and "`two`" in str(e.value)


def test_bad_list_file_entry_names_file_and_line(tmp_path):
    bad = tmp_path / "watched_importers.txt"
    bad.write_text("# importers\nGT-1\nGT-2\u200b\n", encoding="utf-8")
    lists = dict(REGIONAL_LISTS, watched_importers=bad)
    with pytest.raises(semaforo.CompileError) as e:
        semaforo.compile(REGIONAL / "regional.sem", lists=lists, tables=REGIONAL_TABLES)
    assert "watched_importers.txt:3" in str(e.value)


def test_missing_external_list_is_a_compile_error():
    with pytest.raises(semaforo.CompileError) as e:
        semaforo.compile(REGIONAL / "regional.sem", lists={}, tables=REGIONAL_TABLES)
    assert "watched_importers" in str(e.value)


def test_bad_table_number_is_a_compile_error():
    with pytest.raises(semaforo.CompileError) as e:
        semaforo.compile(
            {"demo.sem": SMALL},
            lists={"watched": []},
            tables={"reference": {"6403": "ten"}, "control": {}},
        )
    assert "ten" in str(e.value)


def test_nan_is_refused_as_a_table_value():
    with pytest.raises(ValueError):
        semaforo.compile(
            {"demo.sem": SMALL}, lists={"watched": []}, tables={"reference": {"6403": float("nan")}, "control": {}}
        )


def test_unindexed_rules_are_those_check_index_lists(regional, cli):
    # The same list as `semaforo check --index --format json`, from the
    # same compiled ruleset.
    args = ["check", "--index", "--format", "json", "--today", "2026-11-15", str(REGIONAL / "regional.sem")]
    for name, path in REGIONAL_LISTS.items():
        args += ["--list", f"{name}={path}"]
    for name, path in REGIONAL_TABLES.items():
        args += ["--table", f"{name}={path}"]
    out = run_cli(cli, *args)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.splitlines()[-1])["index"]
    assert regional.unindexed_rules == report["every_declaration"]
    assert report["rules"] == len(regional.rules)
    # `contains` is never a guard; `aeo` alone is one (a bool range).
    assert "captac-dr/DESC-001" in regional.unindexed_rules
    assert "captac-dr/AEO-001" not in regional.unindexed_rules
