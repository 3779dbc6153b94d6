"""Shared fixtures: the repository's examples, compiled once, and the
`semaforo` command-line binary for comparisons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import semaforo

ROOT = Path(__file__).resolve().parents[2]
REGIONAL = ROOT / "examples" / "regional"
KCS = ROOT / "examples" / "kcs"
TODAY = "2026-11-15"

REGIONAL_LISTS = {
    "watched_importers": REGIONAL / "lists" / "watched_importers.txt",
    "watched_declarants": REGIONAL / "lists" / "watched_declarants.txt",
}
REGIONAL_TABLES = {"reference_price": REGIONAL / "tables" / "reference_price.csv"}

KCS_LISTS = {
    name: KCS / "lists" / f"{name}.txt"
    for name in ["risky_importers", "risky_declarants", "risky_sellers", "risky_hs6", "risky_origins"]
}
KCS_TABLES = {"reference_price": KCS / "tables" / "reference_price.csv"}


@pytest.fixture(scope="session")
def regional() -> semaforo.Ruleset:
    return semaforo.compile(REGIONAL / "regional.sem", lists=REGIONAL_LISTS, tables=REGIONAL_TABLES)


@pytest.fixture(scope="session")
def regional_key() -> bytes:
    return semaforo.load_sampling_key(REGIONAL / "sampling.key")


@pytest.fixture(scope="session")
def regional_lines() -> list[str]:
    return [l for l in (REGIONAL / "declarations.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]


@pytest.fixture(scope="session")
def cli() -> str:
    """The `semaforo` binary: $SEMAFORO_CLI, else the workspace's debug or
    release build, else on PATH. CI (`.ci/python.sh`) always provides one;
    without it these comparisons would silently not run, so under CI a
    missing binary fails."""
    candidates = [os.environ.get("SEMAFORO_CLI")]
    candidates += [str(ROOT / "target" / p / "semaforo") for p in ("release", "debug")]
    candidates.append(shutil.which("semaforo"))
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    if os.environ.get("CI"):
        pytest.fail("no `semaforo` binary (set SEMAFORO_CLI or build semaforo-cli)")
    pytest.skip("no `semaforo` binary (set SEMAFORO_CLI or build semaforo-cli)")


def run_cli(cli: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli, *args], capture_output=True, text=True, cwd=ROOT, check=False)


def cli_eval_regional(cli: str) -> list[dict]:
    args = ["eval", str(REGIONAL / "regional.sem")]
    for name, path in REGIONAL_LISTS.items():
        args += ["--list", f"{name}={path}"]
    for name, path in REGIONAL_TABLES.items():
        args += ["--table", f"{name}={path}"]
    args += [
        "--input", str(REGIONAL / "declarations.jsonl"),
        "--today", TODAY,
        "--sampling-key-file", str(REGIONAL / "sampling.key"),
    ]
    p = run_cli(cli, *args)
    assert p.returncode == 0, p.stderr
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
