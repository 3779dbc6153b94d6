# %% [markdown]
# # Semáforo from Python
#
# A notebook-style walk through the Python package (`docs/python.md`):
# cells are separated by `# %%`, so VS Code, Jupyter (jupytext) or Spyder
# run it cell by cell; `python examples/python/notebook.py` runs it whole
# (CI does). Run from anywhere: paths are relative to this file.
#
# 1. compile the regional ruleset with its lists and reference table;
# 2. evaluate one declaration (a dict) and explain it;
# 3. evaluate the 420 example declarations as a DataFrame, through Arrow;
# 4. backtest the KCS ruleset on 2021 declarations and read the tables.

# %%
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

import semaforo

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
REGIONAL = EXAMPLES / "regional"
KCS = EXAMPLES / "kcs"

# %% [markdown]
# ## 1. Compile
#
# Sources, lists and tables come from files here; they can also be given as
# text, Python lists and dicts. A mistake raises `semaforo.CompileError`,
# whose message is the rendered diagnostics.

# %%
ruleset = semaforo.compile(
    REGIONAL / "regional.sem",
    lists={
        "watched_importers": REGIONAL / "lists" / "watched_importers.txt",
        "watched_declarants": REGIONAL / "lists" / "watched_declarants.txt",
    },
    tables={"reference_price": REGIONAL / "tables" / "reference_price.csv"},
)
print(ruleset, f"{len(ruleset.rules)} rules, lanes {ruleset.lanes}")

try:
    semaforo.compile({"typo.sem": 'ruleset "t" version "1"\nschema d { key id: text }\n'
                      'rule R "r" { when orign == "CN" then lane red }\n'})
except semaforo.CompileError as e:
    print(e)

# The example key is public; in production the key is a secret (see
# docs/cli.md, "sampling key").
KEY = semaforo.load_sampling_key(REGIONAL / "sampling.key")
TODAY = "2026-11-15"

# %% [markdown]
# ## 2. One declaration

# %%
declaration = {
    "id": "GT01-2026-999999", "regime": "IM4", "office": "GT01", "declared_on": "2026-11-10",
    "importer": "GT-1234567-8", "declarant": "GT-AGA-0001", "aeo": False,
    "origin": "CN", "provenance": "CN", "transport_mode": 1, "incoterm": "FOB",
    "items": [{"hs": "6403990000", "description": "ZAPATOS DE CUERO", "origin": "CN",
               "net_kg": 1000, "gross_kg": 1100, "value": 500}],
}
outcome = ruleset.evaluate(declaration, today=TODAY, sampling_key=KEY)
print(json.dumps({k: outcome[k] for k in ("id", "lane", "score", "fired", "notes")}, indent=1))
print(ruleset.explain(declaration, today=TODAY, sampling_key=KEY))

try:
    ruleset.evaluate(dict(declaration, aeo="no"), today=TODAY, sampling_key=KEY)
except semaforo.InputError as e:
    print("rejected:", e)

# %% [markdown]
# ## 3. A whole table
#
# Columns are the schema's fields by name; `items` is a list of structs.
# The engine reads the Arrow columns directly (no Python object per row)
# and returns one outcome row per input row, with an `error` column for a
# row it could not read.

# %%
lines = (REGIONAL / "declarations.jsonl").read_text(encoding="utf-8").splitlines()
df = pd.DataFrame([json.loads(l) for l in lines if l.strip()])
outcomes = ruleset.evaluate_arrow(df, today=TODAY, sampling_key=KEY)
result = outcomes.to_pandas()
print(result[["id", "lane", "score"]].head())
print(result["lane"].value_counts().reindex(ruleset.lanes, fill_value=0))
assert result["error"].isna().all()

# Which rules fire most: explode the `fired` lists.
fired = pc.list_flatten(outcomes.column("fired").combine_chunks())
print(pd.Series(fired.field("id").to_pylist()).value_counts().head(8))

# %% [markdown]
# ## 4. Backtest on the KCS data
#
# `examples/kcs/valid.csv` has one row per declaration and the inspection
# result in `Fraud`. Codes are read as text (never numbers), amounts as
# float64, and the item columns become a one-element `items` list.

# %%
names = (KCS / "valid.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",")
raw = pacsv.read_csv(KCS / "valid.csv", convert_options=pacsv.ConvertOptions(
    column_types={n: pa.string() for n in names}, strings_can_be_null=True))
header = {l.split(" = ")[0]: l.split(" = ")[1] for l in (KCS / "kcs.map").read_text().splitlines()
          if " = " in l and not l.startswith("#")}
cols = {f: raw.column(c) for c, f in header.items() if not f.startswith("items.")}
cols["tax_rate"] = pc.cast(cols["tax_rate"], pa.float64())
item = pa.StructArray.from_arrays(
    [raw.column("HS6 Code").combine_chunks(),
     pc.cast(raw.column("Net Mass"), pa.float64()).combine_chunks(),
     pc.cast(raw.column("Item Price"), pa.float64()).combine_chunks()],
    names=["hs6", "net_kg", "price"])
cols["items"] = pa.ListArray.from_arrays(pa.array(range(raw.num_rows + 1), pa.int32()), item)
cols["Fraud"] = pc.cast(raw.column("Fraud"), pa.int64())
history = pa.table(cols)

kcs = semaforo.compile(
    KCS / "kcs.sem",
    lists={n: KCS / "lists" / f"{n}.txt" for n in
           ["risky_importers", "risky_declarants", "risky_sellers", "risky_hs6", "risky_origins"]},
    tables={"reference_price": KCS / "tables" / "reference_price.csv"},
)
bt = kcs.backtest(history, "Fraud", today="2021-03-31", sampling_key=KCS / "sampling.key")
print(bt.summary)
print(bt.lanes.to_string(index=False))
print(bt.rules[["id", "fired", "hits", "hit_rate", "recall", "lift"]].to_string(index=False))
print(bt.top.to_string(index=False))

# %% [markdown]
# The same numbers as `semaforo backtest` (docs/backtesting.md); the test
# suite checks that, number for number.
