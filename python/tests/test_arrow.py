"""Whole tables through Arrow: equal row by row to one-at-a-time
evaluation, for pyarrow, pandas and polars input, and every way a row or a
column can be wrong."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pyarrow as pa
import pytest

import semaforo

from conftest import TODAY

ENTRY_KEYS = ("id", "points", "draw", "lane_draw", "lane")


def per_dict(rs, key, lines):
    """The outcomes of `evaluate`, projected on the Arrow table's columns."""
    rows = []
    for line in lines:
        o = rs.evaluate(line, today=TODAY, sampling_key=key)
        entry = lambda f: {k: f.get(k) for k in ENTRY_KEYS}
        rows.append(
            {
                "id": o["id"],
                "lane": o["lane"],
                "score": o["score"],
                "fired": [entry(f) for f in o["fired"]],
                "monitored": [entry(f) for f in o["monitored"]],
                # Present in the JSON record only for a ruleset with overrides.
                "overridden": o.get("overridden", []),
                "notes": o["notes"],
                "undetermined": o["undetermined"],
                "error": None,
            }
        )
    return rows


def regional_table(lines) -> pa.Table:
    decls = [json.loads(l, parse_float=decimal.Decimal) for l in lines]
    for d in decls:
        d["declared_on"] = dt.date.fromisoformat(d["declared_on"])
    # Decimals become decimal128: exact, like the JSON text.
    return pa.Table.from_pylist(decls)


@pytest.fixture(scope="module")
def expected(regional, regional_key, regional_lines):
    return per_dict(regional, regional_key, regional_lines)


@pytest.mark.parametrize("batch_size", [1, 7, 65_536])
def test_pyarrow_table_equals_per_dict_evaluation(regional, regional_key, regional_lines, expected, batch_size):
    table = regional_table(regional_lines)
    out = regional.evaluate_arrow(table, today=TODAY, sampling_key=regional_key, batch_size=batch_size)
    assert out.num_rows == len(expected)
    assert out.to_pylist() == expected
    meta = out.schema.metadata
    assert meta[b"semaforo.ruleset.fingerprint"].decode() == regional.fingerprint
    assert meta[b"semaforo.today"] == TODAY.encode()


@pytest.mark.parametrize("threads", [0, 2, 3])
def test_threads_give_the_same_table(regional, regional_key, regional_lines, expected, threads):
    table = regional_table(regional_lines)
    for batch_size in (5, 100, 65_536):
        out = regional.evaluate_arrow(
            table, today=TODAY, sampling_key=regional_key, batch_size=batch_size, threads=threads
        )
        assert out.to_pylist() == expected


def test_threads_keep_row_numbers_in_errors(regional, regional_key):
    t = small_table(importer=["GT-1", "GT-2", None])
    out = regional.evaluate_arrow(t, today=TODAY, sampling_key=regional_key, threads=3).to_pylist()
    assert [r["error"] is None for r in out] == [True, True, False]
    assert out[2]["error"].startswith("row 2: importer")


def test_pandas_with_float_numbers_and_string_dates(regional, regional_key, regional_lines, expected):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([json.loads(l) for l in regional_lines])  # floats, 'YYYY-MM-DD' text
    out = regional.evaluate_arrow(df, today=TODAY, sampling_key=regional_key)
    assert out.to_pylist() == expected


def test_polars(regional, regional_key, regional_lines, expected):
    pl = pytest.importorskip("polars")
    df = pl.DataFrame([json.loads(l) for l in regional_lines], infer_schema_length=None, strict=False)
    df = df.with_columns(pl.col("declared_on").str.to_date())
    out = regional.evaluate_arrow(df, today=TODAY, sampling_key=regional_key)
    assert out.to_pylist() == expected


def test_record_batch_and_reader_inputs(regional, regional_key, regional_lines, expected):
    table = regional_table(regional_lines)
    batches = table.to_batches(max_chunksize=100)
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    assert regional.evaluate_arrow(reader, today=TODAY, sampling_key=regional_key).to_pylist() == expected
    one = regional.evaluate_arrow(batches[1], today=TODAY, sampling_key=regional_key)
    assert one.to_pylist() == expected[100:200]
    streamed = list(regional.evaluate_batches(batches, today=TODAY, sampling_key=regional_key))
    assert pa.Table.from_batches(streamed).to_pylist() == expected


def small_table(**columns):
    base = {
        "id": ["A", "B", "C"],
        "regime": ["IM4"] * 3,
        "office": ["GT01"] * 3,
        "declared_on": [dt.date(2026, 11, 1)] * 3,
        "importer": ["GT-1", "GT-2", "GT-3"],
        "declarant": ["GT-AGA-1"] * 3,
        "aeo": [False] * 3,
        "origin": ["CN"] * 3,
        "provenance": ["CN"] * 3,
        "transport_mode": [1, 1, 1],
        "incoterm": ["FOB"] * 3,
        "items": [
            [{"hs": "6403990000", "description": "ZAPATOS", "origin": "CN", "net_kg": 1000.0, "gross_kg": 1100.0, "value": 500.0}]
        ]
        * 3,
    }
    base.update(columns)
    return pa.table(base)


def test_a_row_that_cannot_be_read_is_reported_and_the_others_evaluated(regional, regional_key):
    items = small_table().column("items").to_pylist()
    items[1] = [dict(items[1][0], net_kg=float("nan"))]
    t = small_table(importer=["GT-1", None, "GT-3"]).set_column(
        11, "items", pa.array(items, type=small_table().schema.field("items").type)
    )
    out = regional.evaluate_arrow(t, today=TODAY, sampling_key=regional_key).to_pylist()
    assert [r["error"] is None for r in out] == [True, False, True]
    bad = out[1]
    # Never a green row: no lane, no score, and the message says where.
    assert bad["lane"] is None and bad["score"] is None and bad["fired"] is None
    assert bad["id"] == "B"
    assert bad["error"].startswith("row 1: importer: required text field is null")
    t2 = small_table().set_column(11, "items", pa.array(items, type=small_table().schema.field("items").type))
    out2 = regional.evaluate_arrow(t2, today=TODAY, sampling_key=regional_key).to_pylist()
    assert out2[1]["error"] == "row 1: items[0].net_kg: `NaN` is not a number a rule can compare"
    assert out2[0]["lane"] is not None and out2[2]["lane"] is not None


def test_row_numbers_count_across_batches(regional, regional_key):
    t = small_table(importer=["GT-1", "GT-2", None])
    out = regional.evaluate_arrow(t, today=TODAY, sampling_key=regional_key, batch_size=2).to_pylist()
    assert out[2]["error"].startswith("row 2: importer")


def test_a_column_of_the_wrong_type_is_refused_naming_it(regional, regional_key):
    with pytest.raises(semaforo.InputError, match=r"column `office` has Arrow type Int64.*text field `office`"):
        regional.evaluate_arrow(small_table(office=[1, 2, 3]), today=TODAY, sampling_key=regional_key)
    with pytest.raises(semaforo.InputError, match=r"column `transport_mode` has Arrow type Utf8"):
        regional.evaluate_arrow(small_table(transport_mode=["1", "1", "1"]), today=TODAY, sampling_key=regional_key)
    with pytest.raises(semaforo.InputError, match=r"column `aeo`"):
        regional.evaluate_arrow(small_table(aeo=[0, 1, 0]), today=TODAY, sampling_key=regional_key)


def test_a_required_column_that_is_absent_is_refused(regional, regional_key):
    t = small_table().drop_columns(["importer"])
    with pytest.raises(semaforo.InputError, match="no column `importer`"):
        regional.evaluate_arrow(t, today=TODAY, sampling_key=regional_key)
    t = small_table(items=[[{"hs": "6403990000"}]] * 3)
    with pytest.raises(semaforo.InputError, match="elements of column `items` .*`description`"):
        regional.evaluate_arrow(t, today=TODAY, sampling_key=regional_key)


def test_optional_columns_may_be_absent_or_null(regional, regional_key):
    a = regional.evaluate_arrow(small_table(), today=TODAY, sampling_key=regional_key)
    b = regional.evaluate_arrow(
        small_table(freight=pa.array([None, None, None], type=pa.float64())), today=TODAY, sampling_key=regional_key
    )
    assert a.to_pylist() == b.to_pylist()
    assert all(r["error"] is None for r in a.to_pylist())


def test_date_columns(regional, regional_key):
    want = regional.evaluate_arrow(small_table(), today=TODAY, sampling_key=regional_key).to_pylist()
    midnight = pa.array([dt.datetime(2026, 11, 1)] * 3, type=pa.timestamp("ns"))
    text = pa.array(["2026-11-01"] * 3, type=pa.large_string())
    for col in (midnight, text):
        got = regional.evaluate_arrow(small_table(declared_on=col), today=TODAY, sampling_key=regional_key)
        assert got.to_pylist() == want
    noon = pa.array([dt.datetime(2026, 11, 1, 12)] * 3, type=pa.timestamp("us"))
    out = regional.evaluate_arrow(small_table(declared_on=noon), today=TODAY, sampling_key=regional_key).to_pylist()
    assert all("time of day is not a date" in r["error"] for r in out)
    with pytest.raises(semaforo.InputError, match="time zone"):
        regional.evaluate_arrow(
            small_table(declared_on=pa.array([dt.datetime(2026, 11, 1)] * 3, type=pa.timestamp("s", tz="UTC"))),
            today=TODAY,
            sampling_key=regional_key,
        )
    bad = regional.evaluate_arrow(
        small_table(declared_on=["2026-11-01", "2026-02-30", "2026-11-01"]), today=TODAY, sampling_key=regional_key
    ).to_pylist()
    assert bad[1]["error"] == "row 1: declared_on: invalid date `2026-02-30`"


def test_dictionary_text_and_numeric_types(regional, regional_key):
    want = regional.evaluate_arrow(small_table(), today=TODAY, sampling_key=regional_key).to_pylist()
    dict_origin = pa.array(["CN"] * 3).dictionary_encode()
    mode = pa.array([1, 1, 1], type=pa.uint8())
    got = regional.evaluate_arrow(
        small_table(origin=dict_origin, transport_mode=mode), today=TODAY, sampling_key=regional_key
    )
    assert got.to_pylist() == want
    dec = pa.array([decimal.Decimal("1.000")] * 3, type=pa.decimal128(10, 3))
    got = regional.evaluate_arrow(small_table(transport_mode=dec), today=TODAY, sampling_key=regional_key)
    assert got.to_pylist() == want


def test_not_a_table_is_a_type_error(regional, regional_key):
    with pytest.raises(TypeError):
        regional.evaluate_arrow([{"id": "A"}], today=TODAY, sampling_key=regional_key)
    with pytest.raises(ValueError):
        regional.evaluate_arrow(small_table(), today=TODAY, sampling_key=regional_key, batch_size=0)


def test_large_lists_null_elements_and_null_lists(regional, regional_key):
    t = small_table()
    items_type = t.schema.field("items").type
    large = pa.array(t.column("items").to_pylist(), type=pa.large_list(items_type.value_type))
    want = regional.evaluate_arrow(t, today=TODAY, sampling_key=regional_key).to_pylist()
    got = regional.evaluate_arrow(t.set_column(11, "items", large), today=TODAY, sampling_key=regional_key)
    assert got.to_pylist() == want
    items = t.column("items").to_pylist()
    items[0] = [items[0][0], None]
    items[2] = None
    out = regional.evaluate_arrow(
        t.set_column(11, "items", pa.array(items, type=items_type)), today=TODAY, sampling_key=regional_key
    ).to_pylist()
    assert out[0]["error"] == "row 0: items[1]: a null element (expected a record)"
    assert out[1] == want[1]
    assert out[2]["error"] == "row 2: items: required list field is null"
    assert out[2]["lane"] is None
