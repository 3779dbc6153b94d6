"""Spark (local mode, `mapInArrow`) and DuckDB: the examples in
`examples/python/` give, declaration by declaration, the outcomes of
evaluation without them."""

from __future__ import annotations

import importlib
import os
import sys

import pytest

from conftest import ROOT, TODAY
from test_arrow import per_dict

sys.path.insert(0, str(ROOT / "examples" / "python"))


def need(module: str):
    """Imports an optional engine; under CI its absence is a failure, not
    a skip (CI installs it)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"`{module}` is not installed")
        pytest.skip(f"`{module}` is not installed")


def by_id(rows):
    return {r["id"]: r for r in rows}


def test_spark_map_in_arrow_equals_evaluation_without_spark(regional, regional_key, regional_lines):
    need("pyspark")
    spark_eval = importlib.import_module("spark_eval")
    spark = spark_eval.spark_session(2)
    try:
        df = spark_eval.declarations(spark, 1).repartition(2)
        out = spark_eval.evaluate(df, spark_eval.regional_inputs(), today=TODAY, sampling_key=regional_key)
        rows = out.toArrow().to_pylist()
    finally:
        spark.stop()
    want = by_id(per_dict(regional, regional_key, regional_lines))
    got = by_id(rows)
    assert len(rows) == len(got) == len(want) == 420
    assert got == want


def test_duckdb_relation_equals_evaluation_without_it(regional, regional_key, regional_lines):
    duckdb = need("duckdb")
    rel = duckdb.sql(f"select * from read_json('{ROOT / 'examples' / 'regional' / 'declarations.jsonl'}')")
    out = regional.evaluate_arrow(rel, today=TODAY, sampling_key=regional_key, batch_size=100)
    assert out.to_pylist() == per_dict(regional, regional_key, regional_lines)
