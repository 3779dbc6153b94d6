"""Expected outcomes of the lane_splits vector, computed from
docs/language.md ("Lane splits", "Sampling") with the independent SipHash
in ../sampling/siphash.py. `python3 expected.py > expected.jsonl`."""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "sampling"))
from siphash import siphash24  # noqa: E402

KEY = bytes([7] * 16)
LANES = ["green", "blue", "yellow", "red"]


def draw(rule_id, decl_key, sep):
    return siphash24(KEY, rule_id.encode() + bytes([sep]) + decl_key.encode()) % 1_000_000


def split(rule_id, decl_key, shares):
    """(lane draw, chosen lane or None); shares as (lane, percent × 10000)."""
    d = draw(rule_id, decl_key, 0x1E)
    cut = 0
    for lane, share in shares:
        cut += share
        if d < cut:
            return d, lane
    return d, None


def main():
    for line in open(pathlib.Path(__file__).parent / "input.jsonl"):
        dcl = json.loads(line)
        k = dcl["id"]
        fired, und, notes, draws, score, lane = [], [], [], {}, 0, 0

        def fire(rid, points=0, s=None, sampled=None):
            nonlocal score, lane
            e = {"id": rid, "points": points}
            if sampled is not None:
                e["draw"] = sampled
                draws[rid] = sampled
            if s is not None:
                e["lane_draw"] = s[0]
                if s[1] is not None:
                    e["lane"] = s[1]
                    lane = max(lane, LANES.index(s[1]))
            score += points
            fired.append(e)

        if dcl["regime"] == "IM4":
            fire("HALF", s=split("HALF", k, [("red", 500_000), ("yellow", 500_000)]))
        fire("PART", points=1, s=split("PART", k, [("red", 100_000)]))
        if dcl["regime"] == "IM4":
            d = draw("SAMPLED", k, 0x1F)
            if d < 500_000:
                fire("SAMPLED", s=split("SAMPLED", k, [("blue", 300_000), ("yellow", 305_000)]), sampled=d)
                notes.append("sampled split")
        if "opt" not in dcl:
            und.append("UNK")
        elif dcl["opt"] > 0:
            fire("UNK", s=split("UNK", k, [("red", 1_000_000)]))
        if dcl["regime"] == "EX1":
            fire("ONE", s=split("ONE", k, [("blue", 1_000_000)]))
        print(json.dumps({"id": k, "lane": LANES[lane], "score": score, "fired": fired,
                          "monitored": [], "undetermined": und, "notes": notes, "draws": draws},
                         ensure_ascii=False))


main()
