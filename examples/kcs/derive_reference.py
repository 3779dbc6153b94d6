"""Writes tables/reference_price.csv: the median price per kg of each HS6
code in train.csv (codes with at least 5 rows of positive net mass).

Python 3 standard library only; run from this folder:
    python3 derive_reference.py
"""

import csv
import statistics
from collections import defaultdict

MIN_ROWS = 5

per_kg = defaultdict(list)
with open("train.csv", newline="") as f:
    for row in csv.DictReader(f):
        kg = float(row["Net Mass"])
        if kg > 0:
            per_kg[row["HS6 Code"]].append(float(row["Item Price"]) / kg)

with open("tables/reference_price.csv", "w", newline="") as f:
    f.write("key,value\n")
    for hs6 in sorted(per_kg):
        values = per_kg[hs6]
        if len(values) >= MIN_ROWS:
            f.write(f"{hs6},{statistics.median(values):.6f}\n")
