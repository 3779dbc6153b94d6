"""The evaluation vectors of `tests/data/eval/` (the ones the library, the
CLI and the C ABI run) through the Python package: JSON, dicts, and Arrow
tables built from the schema, each line equal to its expected outcome on
the keys the vectors fix (`semaforo_testkit::vectors::KEYS`)."""

from __future__ import annotations

import decimal
import json
from pathlib import Path

import pyarrow as pa
import pytest

import semaforo

from conftest import ROOT

EVAL = ROOT / "tests" / "data" / "eval"
KEYS = ["id", "lane", "score", "fired", "monitored", "undetermined", "notes", "draws", "overridden"]
ENTRY = ("id", "points", "draw", "lane_draw", "lane")
VECTORS = sorted(p.name for p in EVAL.iterdir() if (p / "rules.sem").is_file())


def project(o: dict) -> dict:
    out = {k: o.get(k) for k in KEYS}
    out["draws"] = o.get("draws") or {}
    out["overridden"] = o.get("overridden") or []
    return out


def load(name: str):
    d = EVAL / name
    words = (d / "args").read_text().split()
    args = dict(zip(words[::2], words[1::2]))
    sources = sorted((d / "packages").glob("*.sem")) if (d / "packages").is_dir() else []
    sources.append(d / "rules.sem")
    lists = {p.stem: p for p in sorted((d / "lists").glob("*.txt"))} if (d / "lists").is_dir() else {}
    tables = {p.stem: p for p in sorted((d / "tables").glob("*.csv"))} if (d / "tables").is_dir() else {}
    rs = semaforo.compile(sources, lists=lists, tables=tables)
    ctx = {
        "today": args["--today"],
        "sampling_key": args.get("--sampling-key", "0" * 32),
        "sampling_key_id": args.get("--sampling-key-id", "zero-key"),
    }
    lines = [l for l in (d / "input.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    expected = [json.loads(l) for l in (d / "expected.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    assert len(lines) == len(expected), name
    return rs, ctx, lines, expected


def test_every_vector_directory_is_found():
    assert len(VECTORS) >= 30 and "packages_overrides" in VECTORS


@pytest.mark.parametrize("name", VECTORS)
def test_vector_through_json_and_dicts(name):
    rs, ctx, lines, expected = load(name)
    for i, (line, want) in enumerate(zip(lines, expected)):
        got = rs.evaluate(line, **ctx)
        assert project(got) == project(want), f"{name} line {i + 1} (JSON)"
        as_dict = rs.evaluate(json.loads(line, parse_float=decimal.Decimal), **ctx)
        assert as_dict == got, f"{name} line {i + 1} (dict)"


def arrow_type(field: dict) -> pa.DataType:
    t = field["type"]
    if t == "list":
        return pa.list_(pa.struct([pa.field(f["name"], arrow_type(f)) for f in field["fields"]]))
    # Numbers as decimal128(38, 8): exact for every vector value with at most
    # 8 decimals and 30 integer digits; dates as their text.
    return {"text": pa.string(), "number": pa.decimal128(38, 8), "bool": pa.bool_(), "date": pa.string()}[t]


ARROW_DONE: list[str] = []


@pytest.mark.parametrize("name", VECTORS)
def test_vector_through_arrow(name):
    rs, ctx, lines, expected = load(name)
    schema = pa.schema([pa.field(f["name"], arrow_type(f)) for f in rs.schema])
    rows = [json.loads(l, parse_float=decimal.Decimal) for l in lines]
    try:
        table = pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
        pytest.skip(f"pyarrow cannot hold this vector's values in {schema}: {e}")
    out = rs.evaluate_arrow(table, batch_size=3, **ctx).to_pylist()
    for i, (got, want) in enumerate(zip(out, expected)):
        assert got["error"] is None, f"{name} line {i + 1}: {got['error']}"
        w = project(want)
        w["fired"] = [{k: f.get(k) for k in ENTRY} for f in w["fired"]]
        w["monitored"] = [{k: f.get(k) for k in ENTRY} for f in w["monitored"]]
        g = {k: got.get(k) for k in KEYS if k != "draws"}
        assert g == {k: w[k] for k in KEYS if k != "draws"}, f"{name} line {i + 1} (Arrow)"
    ARROW_DONE.append(name)


def test_most_vectors_went_through_arrow():
    # Runs after the parametrised tests above (file order): a skip is only
    # for values pyarrow itself cannot hold, never most vectors.
    assert len(ARROW_DONE) >= len(VECTORS) * 3 // 4, sorted(set(VECTORS) - set(ARROW_DONE))
