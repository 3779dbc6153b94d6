"""Expected outcomes of the shadow_rules vector, computed from
docs/language.md ("Shadow rules", "Lane splits", "Sampling") with the
independent SipHash in ../sampling/siphash.py.
`python3 expected.py > expected.jsonl`."""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "sampling"))
from siphash import siphash24  # noqa: E402

KEY = bytes([7] * 16)


def draw(rule_id, decl_key, sep):
    return siphash24(KEY, rule_id.encode() + bytes([sep]) + decl_key.encode()) % 1_000_000


def main():
    for line in open(pathlib.Path(__file__).parent / "input.jsonl"):
        dcl = json.loads(line)
        k = dcl["id"]
        fired, monitored, score = [], [], 0
        if dcl["regime"] == "IM4":
            fired.append({"id": "ORD", "points": 1})
            score += 1
            monitored.append({"id": "S-TRUE", "points": 40, "lane": "red"})
        # S-UNK: unknown (opt missing) is listed nowhere; `score opt` rounds
        # half to even: 1.5 -> 2, -0.5 -> 0 (but -0.5 > 0 is false).
        if "opt" in dcl and dcl["opt"] > 0:
            monitored.append({"id": "S-UNK", "points": round(dcl["opt"])})
        d = draw("S-SAMPLED", k, 0x1F)
        if d < 500_000:
            # 2.5 rounds half to even: 2.
            monitored.append({"id": "S-SAMPLED", "points": 2, "draw": d})
        if dcl["regime"] == "IM4":
            ld = draw("S-SPLIT", k, 0x1E)
            monitored.append({"id": "S-SPLIT", "points": 0, "lane_draw": ld,
                              "lane": "red" if ld < 500_000 else "yellow"})
        # Threshold yellow 5 is never reached by ORD alone.
        print(json.dumps({"id": k, "lane": "green", "score": score, "fired": fired,
                          "monitored": monitored, "undetermined": [], "notes": [],
                          "draws": {}}, ensure_ascii=False))


main()
