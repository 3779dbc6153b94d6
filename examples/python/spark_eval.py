"""Evaluate a declarations table on Spark with the semaforo package.

Each Spark task hands its partition to the engine as Arrow record batches
(`DataFrame.mapInArrow`): no Python object per row, the ruleset compiled
once per Python worker, outcomes back as a Spark DataFrame with the columns
of `Ruleset.evaluate_arrow` (`id`, `lane`, `score`, `fired`, `monitored`,
`overridden`, `notes`, `undetermined`, `error`). See docs/python.md, "Spark".

Run the example (local mode, 2 cores) from the repository root:

    python examples/python/spark_eval.py --copies 500

It evaluates the regional example's 420 declarations, repeated `--copies`
times with distinct ids, checks a sample against evaluation without Spark,
and prints the throughput.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
REGIONAL = ROOT / "examples" / "regional"

#: The outcome columns as Spark sees them (`Ruleset.evaluate_arrow`'s
#: schema; draws are int64 so that Spark, which has no unsigned types,
#: reads them as they are).
ENTRY = "struct<id:string,points:bigint,draw:bigint,lane_draw:bigint,lane:string>"
OVERRIDE = "struct<id:string,change:string,original:boolean,applied:boolean,reason:string>"
OUTCOME_SCHEMA = (
    f"id string, lane string, score bigint, fired array<{ENTRY}>, monitored array<{ENTRY}>, "
    f"overridden array<{OVERRIDE}>, notes array<string>, undetermined array<string>, error string"
)

# One compiled ruleset per Python worker process, keyed by its inputs'
# identity: Spark reuses workers across tasks, so a worker compiles once.
_RULESETS: dict[str, Any] = {}


def regional_inputs() -> dict[str, Any]:
    """The regional ruleset's sources and data as text, to ship to the
    executors (they need not see the driver's files)."""
    read = lambda p: p.read_text(encoding="utf-8")
    return {
        "sources": {"regional.sem": read(REGIONAL / "regional.sem")},
        "lists": {
            n: [l.strip() for l in read(REGIONAL / "lists" / f"{n}.txt").splitlines()
                if l.strip() and not l.lstrip().startswith("#")]
            for n in ("watched_importers", "watched_declarants")
        },
        "tables": {"reference_price": _table(read(REGIONAL / "tables" / "reference_price.csv"))},
    }


def _table(text: str) -> dict[str, str]:
    rows = [l.split(",") for l in text.splitlines()[1:] if l.strip() and not l.startswith("#")]
    return {k: v for k, v in rows}


def evaluate(df: Any, inputs: dict[str, Any], *, today: str, sampling_key: bytes) -> Any:
    """Outcomes of every declaration of a Spark DataFrame, as a Spark
    DataFrame (one row per declaration; `error` set for a row that could
    not be read, whose lane is then null)."""
    ident = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import semaforo

        rs = _RULESETS.get(ident)
        if rs is None:
            rs = semaforo.compile(inputs["sources"], lists=inputs["lists"], tables=inputs["tables"])
            _RULESETS[ident] = rs
        yield from rs.evaluate_batches(batches, today=today, sampling_key=sampling_key)

    return df.mapInArrow(run, OUTCOME_SCHEMA)


def spark_session(cores: int = 2) -> Any:
    from pyspark.sql import SparkSession

    # The executors' Python is this one (with semaforo and pyarrow).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("semaforo-spark-eval")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "10000")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )


def declarations(spark: Any, copies: int) -> Any:
    """The regional declarations, repeated `copies` times with ids made
    distinct (`-c<N>` appended), read by Spark's own JSON reader: numbers
    as doubles and longs, dates as text, `items` as array<struct>."""
    from pyspark.sql import functions as F

    base = spark.read.json(str(REGIONAL / "declarations.jsonl"))
    if copies <= 1:
        return base
    n = spark.range(copies).withColumnRenamed("id", "copy")
    return base.crossJoin(n).withColumn("id", F.concat_ws("-c", "id", F.col("copy").cast("string"))).drop("copy")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=500, help="times the 420 declarations are repeated")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--today", default="2026-11-15")
    args = ap.parse_args()

    import semaforo
    import pyarrow as pa

    key = semaforo.load_sampling_key(REGIONAL / "sampling.key")
    inputs = regional_inputs()
    spark = spark_session(args.cores)
    try:
        df = declarations(spark, args.copies).repartition(args.cores).cache()
        rows = df.count()  # read and cache the input: not part of the timing
        out = evaluate(df, inputs, today=args.today, sampling_key=key)
        t0 = time.perf_counter()
        # Evaluate every row; `noop` writes nothing (counting alone could
        # let Spark skip the columns).
        out.write.format("noop").mode("overwrite").save()
        spark_s = time.perf_counter() - t0
        errors = out.where("error is not null").count()
        lanes = {r["lane"]: r["count"] for r in out.groupBy("lane").count().collect()}

        # The same declarations without Spark, one process.
        rs = semaforo.compile(inputs["sources"], lists=inputs["lists"], tables=inputs["tables"])
        table = df.toArrow() if hasattr(df, "toArrow") else pa.Table.from_pandas(df.toPandas())
        t0 = time.perf_counter()
        local = rs.evaluate_arrow(table, today=args.today, sampling_key=key)
        local_s = time.perf_counter() - t0
        local_lanes = dict(zip(*[c.to_pylist() for c in local.group_by("lane").aggregate([("lane", "count")]).columns]))
        assert lanes == {k: v for k, v in local_lanes.items()}, (lanes, local_lanes)
        assert errors == 0, f"{errors} rows could not be read"
        print(f"rows: {rows}, lanes: {lanes}")
        print(f"spark local[{args.cores}] mapInArrow: {spark_s:.2f} s, {rows / spark_s:,.0f} rows/s")
        print(f"evaluate_arrow, one thread, no Spark: {local_s:.2f} s, {rows / local_s:,.0f} rows/s")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
