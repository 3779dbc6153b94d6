"""An independent SipHash-2-4 (Aumasson & Bernstein) for the sampling vector.

Checks the official test vectors first (key 00..0f; the empty message and
the paper's message 00..0e), then prints the draws of SPEC §3.4,
`siphash(key, rule_id || 0x1F || declaration_key) % 1_000_000`, for the
rules and declarations of this vector. Its output was used to write
expected.jsonl. Run from this directory: `python3 siphash.py` prints
draws; `python3 siphash.py --expected > expected.jsonl` writes the outcomes.
"""

M = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M


def siphash24(key: bytes, msg: bytes) -> int:
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(n):
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & M; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = (v2 + v3) & M; v3 = rotl(v3, 16); v3 ^= v2
            v0 = (v0 + v3) & M; v3 = rotl(v3, 21); v3 ^= v0
            v2 = (v2 + v1) & M; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)

    tail = len(msg) % 8
    for i in range(0, len(msg) - tail, 8):
        m = int.from_bytes(msg[i:i + 8], "little")
        v3 ^= m
        rounds(2)
        v0 ^= m
    last = (len(msg) & 0xFF) << 56
    last |= int.from_bytes(msg[len(msg) - tail:], "little")
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


KEY = bytes(range(16))
# Official vectors: vectors_sip64[0] of the reference implementation and the
# example of the SipHash paper (Appendix A).
assert siphash24(KEY, b"") == 0x726FDB47DD0E0E31
assert siphash24(KEY, bytes(range(15))) == 0xA129CA6149BE45E5
# vectors_sip64[i] of the reference implementation (veorq/SipHash
# vectors.h), as little-endian bytes, for messages 00..(i-1), i = 0..10.
SIP64 = [
    "310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785",
    "b7877127e09427cf", "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab",
    "6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a",
]
for i, want in enumerate(SIP64):
    assert siphash24(KEY, bytes(range(i))).to_bytes(8, "little").hex() == want, i


def draw(key: bytes, rule_id: str, decl_key: str) -> int:
    msg = rule_id.encode() + b"\x1f" + decl_key.encode()
    return siphash24(key, msg) % 1_000_000


if __name__ == "__main__" and "--expected" not in __import__("sys").argv:
    import sys
    ids = sys.argv[1:] or [f"D{i:03}" for i in range(1, 41)]
    for d in ids:
        print(d, {r: draw(KEY, r, d) for r in ["S-100", "S-2.5", "S-0", "S-COND"]})


def expected(path="input.jsonl"):
    """The expected outcomes of this vector, one JSON line per input line."""
    import json
    rules = [  # (id, round(percent * 10_000), score, lane, notes)
        ("S-0", 0, 1, None, []),
        ("S-100", 1_000_000, 1, None, ["always"]),
        ("S-2.5", 25_000, 1, None, ["random"]),
        ("S-COND", 500_000, 0, "yellow", []),
        ("S-UNK", 1_000_000, 1, None, []),
    ]
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        fired, und, notes, draws, score, lane = [], [], [], {}, 0, "green"
        for rid, threshold, s, l, n in rules:
            cond = True
            if rid == "S-COND":
                cond = d["regime"] == "IM4"
            if rid == "S-UNK":
                if "opt" not in d:
                    und.append(rid)
                    continue
                cond = d["opt"] > 0
            if not cond:
                continue
            x = draw(KEY, rid, d["id"])
            if x < threshold:
                fired.append(rid)
                draws[rid] = x
                notes += n
                score += s
                lane = l or lane
        print(json.dumps({"id": d["id"], "lane": lane, "score": score, "fired": fired,
                          "undetermined": und, "notes": notes, "draws": draws}, ensure_ascii=False))

if __name__ == "__main__" and "--expected" in __import__("sys").argv:
    expected()
