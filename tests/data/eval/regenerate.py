#!/usr/bin/env python3
"""Writes each vector's expected.jsonl from the engine, for a change of the
outcome *format* only.

For every directory under tests/data/eval/ it runs `semaforo eval` (the
binary given as the first argument) with the directory's args, lists and
tables, keeps the keys the vectors fix, and:

- without `--write`: prints the lines whose outcome differs from
  expected.jsonl on the keys both have (a format change must show none);
- with `--write`: rewrites expected.jsonl (review the diff: a vector is a
  specification, never just the engine's current answer).
"""
import json
import pathlib
import subprocess
import sys

KEYS = ["id", "lane", "score", "fired", "monitored", "undetermined", "notes", "draws"]


def ids(entries):
    return [e["id"] if isinstance(e, dict) else e for e in entries]


def run(binary, d):
    args = [binary, "eval", "rules.sem", "--input", "input.jsonl"]
    for sub, flag in (("lists", "--list"), ("tables", "--table")):
        p = d / sub
        if p.is_dir():
            for f in sorted(p.iterdir()):
                args += [flag, f"{f.stem}={sub}/{f.name}"]
    args += (d / "args").read_text().split()
    out = subprocess.run(args, cwd=d, capture_output=True, text=True, check=True)
    return [json.loads(l) for l in out.stdout.splitlines()]


def main():
    binary = sys.argv[1]
    write = "--write" in sys.argv
    root = pathlib.Path(__file__).parent
    bad = 0
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        got = run(binary, d)
        exp = d / "expected.jsonl"
        # A new vector has no expected lines yet: write them, then check
        # them by hand (or with an independent script) before committing.
        text = exp.read_text() if exp.exists() else ""
        want = [json.loads(l) for l in text.splitlines() if l.strip()]
        for i, (g, w) in enumerate(zip(got, want)):
            for k in KEYS:
                if k not in w:
                    continue
                gv, wv = g.get(k), w[k]
                if k in ("fired", "monitored"):
                    gv, wv = ids(gv), ids(wv)
                if gv != wv:
                    bad += 1
                    print(f"{d.name} line {i + 1}: {k}: expected {wv}, got {gv}")
        if write:
            text = "".join(json.dumps({k: g.get(k) for k in KEYS}, ensure_ascii=False) + "\n" for g in got)
            (d / "expected.jsonl").write_text(text)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
