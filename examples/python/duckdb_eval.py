"""Evaluate a declarations table held by DuckDB, and query the outcomes
with SQL.

A DuckDB relation is an Arrow stream (`__arrow_c_stream__`): the engine
reads it batch by batch, without a copy into Python objects. Run from the
repository root:

    python examples/python/duckdb_eval.py --copies 500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

import semaforo

ROOT = Path(__file__).resolve().parents[2]
REGIONAL = ROOT / "examples" / "regional"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=500, help="times the 420 declarations are repeated")
    ap.add_argument("--today", default="2026-11-15")
    ap.add_argument("--threads", type=int, default=1, help="evaluation threads (0: one per core)")
    args = ap.parse_args()

    rs = semaforo.compile(
        REGIONAL / "regional.sem",
        lists={n: REGIONAL / "lists" / f"{n}.txt" for n in ("watched_importers", "watched_declarants")},
        tables={"reference_price": REGIONAL / "tables" / "reference_price.csv"},
    )
    key = semaforo.load_sampling_key(REGIONAL / "sampling.key")
    con = duckdb.connect()
    # DuckDB reads the JSON Lines: dates as DATE, numbers as DOUBLE or
    # BIGINT, `items` as a list of structs; ids made distinct per copy.
    con.execute(
        f"""create table declarations as
        select * replace (id || '-c' || c.copy as id)
        from read_json('{REGIONAL / "declarations.jsonl"}'), (select range as copy from range({args.copies})) c"""
    )
    rows = con.execute("select count(*) from declarations").fetchall()[0][0]
    t0 = time.perf_counter()
    outcomes = rs.evaluate_arrow(
        con.sql("select * from declarations"), today=args.today, sampling_key=key, threads=args.threads
    )
    seconds = time.perf_counter() - t0
    con.register("outcomes", outcomes)
    print(con.sql("select lane, count(*) as n from outcomes group by lane order by n desc"))
    print(con.sql(
        "select f.id as rule, count(*) as fired, sum(f.points) as points "
        "from (select unnest(fired) as f from outcomes) group by rule order by fired desc limit 5"
    ))
    errors = con.execute("select count(*) from outcomes where error is not null").fetchall()[0][0]
    assert errors == 0, f"{errors} rows could not be read"
    print(f"duckdb -> evaluate_arrow, {args.threads} thread(s): {rows} rows in {seconds:.2f} s, {rows / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
