"""Backtests: the same numbers as `semaforo backtest` on the KCS data, and
as a computation by hand from per-declaration outcomes."""

from __future__ import annotations

import json
import math

import pytest

import semaforo

import kcs
from conftest import KCS, KCS_LISTS, KCS_TABLES, TODAY, run_cli

KCS_TODAY = "2021-03-31"


@pytest.fixture(scope="module")
def kcs_ruleset():
    return semaforo.compile(KCS / "kcs.sem", lists=KCS_LISTS, tables=KCS_TABLES)


@pytest.fixture(scope="module")
def kcs_valid():
    return kcs.read(KCS / "valid.csv")


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_kcs_backtest_equals_the_cli(cli, kcs_ruleset, kcs_valid):
    args = ["backtest", str(KCS / "kcs.sem"), "--input", str(KCS / "valid.csv"),
            "--map-file", str(KCS / "kcs.map"), "--outcome", "Fraud", "--today", KCS_TODAY,
            "--sampling-key-file", str(KCS / "sampling.key"), "--format", "json", "--threads", "1"]
    for name, path in KCS_LISTS.items():
        args += ["--list", f"{name}={path}"]
    for name, path in KCS_TABLES.items():
        args += ["--table", f"{name}={path}"]
    p = run_cli(cli, *args)
    assert p.returncode in (0, 1), p.stderr
    want = json.loads(p.stdout)

    bt = kcs_ruleset.backtest(
        kcs_valid, "Fraud", today=KCS_TODAY, sampling_key=KCS / "sampling.key"
    )
    s = bt.summary
    assert s["ruleset"]["fingerprint"] == want["ruleset"]["fingerprint"]
    assert s["declarations"] == want["declarations"]["read"] == 8134
    assert s["rejected"] == want["declarations"]["rejected"]
    assert s["evaluated"] == want["declarations"]["evaluated"]
    assert s["labelled"] == want["outcome"]["labelled"]
    assert s["positives"] == want["outcome"]["positives"]
    assert close(s["base_rate"], want["outcome"]["base_rate"])

    lanes = bt.lanes.set_index("lane")
    for row in want["lanes"]:
        got = lanes.loc[row["lane"]]
        assert int(got["count"]) == row["count"]
        assert int(got["hits"]) == row["hits"]
        assert close(got["hit_rate"], row["hit_rate"])

    rules = bt.rules.set_index("id")
    assert list(rules.index) == [r["id"] for r in want["rules"]]
    fired_any = 0
    for r in want["rules"]:
        got = rules.loc[r["id"]]
        for k in ("fired", "undetermined", "forced", "points", "hits"):
            assert int(got[k]) == r[k], (r["id"], k)
        for k in ("share", "hit_rate", "recall", "lift", "mean_points"):
            v = got[k]
            v = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            assert close(v, r[k]), (r["id"], k, v, r[k])
        fired_any += r["fired"]
    assert fired_any > 0

    top = bt.top.set_index("k_percent")
    for t in want["outcome"]["top"]:
        got = top.loc[t["k_percent"]]
        for k in ("inspected", "min_score"):
            assert int(got[k]) == t[k]
        # Expected hits among ties at the cut: may be fractional.
        for k in ("hits", "precision", "recall"):
            assert close(float(got[k]), t[k]), (t["k_percent"], k)

    # The score histogram, bin for bin.
    hist = [
        {k: int(v) for k, v in row.items()} for row in bt.histogram.to_dict("records")
    ]
    assert hist == want["scores"]["histogram"]
    assert len(hist) > 1


def test_backtest_by_hand_on_the_regional_example(regional, regional_key, regional_lines):
    pa = pytest.importorskip("pyarrow")
    decls = [json.loads(l) for l in regional_lines]
    # A made-up inspection history: every third not inspected.
    labels = [None if i % 3 == 2 else (1 if (i * 7) % 5 < 2 else 0) for i in range(len(decls))]
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(decls)
    df["found"] = pd.array(labels, dtype="Int64")
    bt = regional.backtest(df, "found", today=TODAY, sampling_key=regional_key)

    outs = [regional.evaluate(l, today=TODAY, sampling_key=regional_key) for l in regional_lines]
    labelled = [i for i, y in enumerate(labels) if y is not None]
    positives = sum(labels[i] for i in labelled)
    assert bt.summary["evaluated"] == len(outs)
    assert bt.summary["labelled"] == len(labelled)
    assert bt.summary["positives"] == positives
    for r in regional.rules:
        on = [i for i, o in enumerate(outs) if r["id"] in [f["id"] for f in o["fired"]]]
        row = bt.rules.set_index("id").loc[r["id"]]
        assert int(row["fired"]) == len(on)
        hits = sum(1 for i in on if labels[i] == 1)
        known = sum(1 for i in on if labels[i] is not None)
        assert int(row["hits"]) == hits
        if known:
            assert close(float(row["hit_rate"]), hits / known)
        pts = sum(f["points"] for i in on for f in outs[i]["fired"] if f["id"] == r["id"])
        assert int(row["points"]) == pts
        und = sum(1 for o in outs if r["id"] in o["undetermined"])
        assert int(row["undetermined"]) == und
    for lane in regional.lanes:
        row = bt.lanes.set_index("lane").loc[lane]
        assert int(row["count"]) == sum(1 for o in outs if o["lane"] == lane)
    # Top k%: the m highest scores; of those tied at the cut score, the
    # hits expected from a random pick of the ones still needed (not the
    # input order, which the report must not depend on).
    ranked = sorted(labelled, key=lambda i: -outs[i]["score"])
    for k in (1, 2, 5, 10):
        m = math.ceil(len(labelled) * k / 100)
        cut = outs[ranked[m - 1]]["score"]
        above = [i for i in labelled if outs[i]["score"] > cut]
        tied = [i for i in labelled if outs[i]["score"] == cut]
        expected = sum(labels[i] for i in above) + sum(labels[i] for i in tied) * (m - len(above)) / len(tied)
        row = bt.top.set_index("k_percent").loc[k]
        assert int(row["inspected"]) == m
        assert close(float(row["hits"]), expected)
        assert close(float(row["precision"]), expected / m)
        assert int(row["min_score"]) == cut


def test_backtest_outcome_column_checks(regional, regional_key, regional_lines):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([json.loads(l) for l in regional_lines])
    with pytest.raises(semaforo.InputError, match="no column `found`"):
        regional.backtest(df, "found", today=TODAY, sampling_key=regional_key)
    df["found"] = "yes"
    with pytest.raises(semaforo.InputError, match="outcome column has type"):
        regional.backtest(df, "found", today=TODAY, sampling_key=regional_key)


SCORECARD_TABLES = {
    name: KCS / "tables" / f"{name}.csv"
    for name in [
        "points_hs6_origin_departure", "points_hs6_origin_tax_type", "points_hs6_origin",
        "points_hs6_departure", "points_hs6_tax_type", "points_hs6_import_type",
        "points_office_hs6", "points_hs6", "points_hs6_transport_mode",
        "points_origin_tax_type", "points_origin_departure", "unit_price_hs6",
    ]
}


def test_scorecard_histogram_is_binned_as_the_cli_bins_it(cli, kcs_valid):
    # The scorecard's sums of points take far more than 30 distinct
    # scores, so both sides bin them into equal ranges.
    args = ["backtest", str(KCS / "scorecard.sem"), "--input", str(KCS / "valid.csv"),
            "--map-file", str(KCS / "kcs.map"), "--outcome", "Fraud", "--today", KCS_TODAY,
            "--sampling-key-file", str(KCS / "sampling.key"), "--format", "json", "--threads", "1"]
    for name, path in SCORECARD_TABLES.items():
        args += ["--table", f"{name}={path}"]
    p = run_cli(cli, *args)
    assert p.returncode in (0, 1), p.stderr
    want = json.loads(p.stdout)["scores"]["histogram"]
    rs = semaforo.compile(KCS / "scorecard.sem", tables=SCORECARD_TABLES)
    bt = rs.backtest(kcs_valid, "Fraud", today=KCS_TODAY, sampling_key=KCS / "sampling.key")
    got = [{k: int(v) for k, v in row.items()} for row in bt.histogram.to_dict("records")]
    assert any(b["from"] != b["to"] for b in want), "expected range bins"
    assert got == want
