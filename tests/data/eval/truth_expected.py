"""Writes expected.jsonl for a truth-table vector from its rule ids.

In `kleene`, `ops` and `decimal` every rule is one assertion whose id starts
with the truth value its condition must have, decided by hand from SPEC.md:
`T-` fires, `F-` does not, `U-` is undetermined. Every rule scores 1 and
there are no thresholds or lane actions, so the outcome follows from the ids.
Run: python3 truth_expected.py kleene ops decimal (or any truth-table vector)
"""
import json
import re
import sys

for name in sys.argv[1:]:
    ids = re.findall(r"^rule\s+(\S+)", open(f"{name}/rules.sem", encoding="utf-8").read(), re.M)
    fired = [i for i in ids if i.startswith("T-")]
    und = [i for i in ids if i.startswith("U-")]
    with open(f"{name}/input.jsonl", encoding="utf-8") as f, open(f"{name}/expected.jsonl", "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            out.write(json.dumps({"id": d["id"], "lane": "green", "score": len(fired),
                                  "fired": [{"id": i, "points": 1} for i in fired], "monitored": [],
                                  "undetermined": und, "notes": [], "draws": {}}, ensure_ascii=False) + "\n")
