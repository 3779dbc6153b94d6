"""The backtest tables, from the outcome table of ``Ruleset.evaluate_arrow``.

The numbers and their definitions are those of ``semaforo backtest``
(``docs/backtesting.md``). Everything is computed column-wise (pyarrow
compute and numpy over the flattened ``fired`` lists), not row by row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._semaforo import InputError

if TYPE_CHECKING:  # pragma: no cover
    from . import Backtest, Ruleset

TOP_K = (1, 2, 5, 10)


def _labels(col: pa.ChunkedArray) -> np.ndarray:
    """1.0 a finding, 0.0 nothing found, NaN not inspected."""
    t = col.type
    if pa.types.is_boolean(t):
        values = pc.cast(col, pa.float64())
    elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = pc.cast(col, pa.float64())
    else:
        raise InputError(
            f"the outcome column has type {t}: expected bool or a number "
            "(0 = nothing found, 1 or more = a finding, null = not inspected)"
        )
    y = values.to_numpy(zero_copy_only=False).astype(float)
    if np.any(y[~np.isnan(y)] < 0):
        raise InputError("the outcome column has a negative value (expected 0, 1 or more, or null)")
    return np.where(np.isnan(y), np.nan, (y > 0).astype(float))


def _histogram(scores: np.ndarray, found: np.ndarray) -> list[dict[str, int]]:
    """The score histogram of ``semaforo backtest``: one bin per distinct
    score when there are at most 30 of them, else bins of
    ``ceil((max - min + 1) / 20)`` scores from the lowest, each ending at
    ``from + width - 1`` or the highest score; ``hits`` are the findings."""
    if len(scores) == 0:
        return []
    distinct, inverse = np.unique(scores, return_inverse=True)
    counts = np.bincount(inverse)
    hits = np.bincount(inverse, weights=found).astype(np.int64)
    lo, hi = int(distinct[0]), int(distinct[-1])
    if len(distinct) <= 30:
        return [
            {"from": int(s), "to": int(s), "count": int(c), "hits": int(h)}
            for s, c, h in zip(distinct, counts, hits)
        ]
    width = max(1, (hi - lo + 1 + 19) // 20)
    bins: list[dict[str, int]] = []
    for s, c, h in zip(distinct, counts, hits):
        start = lo + (int(s) - lo) // width * width
        if bins and bins[-1]["from"] == start:
            bins[-1]["count"] += int(c)
            bins[-1]["hits"] += int(h)
        else:
            bins.append({"from": start, "to": min(start + width - 1, hi), "count": int(c), "hits": int(h)})
    return bins


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _entries(col: pa.ChunkedArray, n: int) -> dict[str, np.ndarray]:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    parents = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(arr)
    return {
        "row": parents.astype(np.int64),
        "id": np.asarray(flat.field("id").to_pylist(), dtype=object)
        if len(flat)
        else np.array([], dtype=object),
        "points": flat.field("points").to_numpy(zero_copy_only=False).astype(np.int64),
        "lane": np.asarray(flat.field("lane").to_pylist(), dtype=object)
        if len(flat)
        else np.array([], dtype=object),
    }


def _rule_rows(
    rules: list[dict[str, Any]],
    entries: dict[str, np.ndarray],
    final_lane: np.ndarray,
    y: np.ndarray,
    evaluated: int,
    positives: int,
    base_rate: float | None,
    undetermined: dict[str, int] | None,
) -> list[dict[str, Any]]:
    rows = []
    ey = y[entries["row"]] if len(entries["row"]) else np.array([], dtype=float)
    elane = final_lane[entries["row"]] if len(entries["row"]) else np.array([], dtype=object)
    for r in rules:
        m = entries["id"] == r["id"]
        fired = int(m.sum())
        points = int(entries["points"][m].sum())
        labelled = int((~np.isnan(ey[m])).sum())
        hits = int((ey[m] == 1).sum())
        hit_rate = _ratio(hits, labelled)
        row: dict[str, Any] = {"id": r["id"], "title": r["title"], "fired": fired}
        row["share"] = _ratio(fired, evaluated)
        if undetermined is not None:
            row["undetermined"] = undetermined.get(r["id"], 0)
            own = entries["lane"][m]
            row["forced"] = int(sum(1 for a, b in zip(own, elane[m]) if a is not None and a == b))
        row["points"] = points
        row["mean_points"] = _ratio(points, fired)
        row["hits"] = hits
        row["hit_rate"] = hit_rate
        row["recall"] = _ratio(hits, positives)
        row["lift"] = None if hit_rate is None or not base_rate else hit_rate / base_rate
        rows.append(row)
    return rows


def backtest(ruleset: Ruleset, outcomes: pa.Table, outcome: pa.ChunkedArray) -> Backtest:
    import pandas as pd

    from . import Backtest

    n = outcomes.num_rows
    ok = pc.is_null(outcomes.column("error")).to_numpy(zero_copy_only=False)
    y = _labels(outcome)
    # A rejected declaration has no outcome and counts in no rate.
    y = np.where(ok, y, np.nan)
    lane = np.asarray(outcomes.column("lane").to_pylist(), dtype=object)
    score = outcomes.column("score").to_numpy(zero_copy_only=False)
    evaluated = int(ok.sum())
    labelled_mask = ~np.isnan(y)
    labelled = int(labelled_mask.sum())
    positives = int((y == 1).sum())
    base_rate = _ratio(positives, labelled)
    summary = {
        "declarations": n,
        "rejected": n - evaluated,
        "evaluated": evaluated,
        "labelled": labelled,
        "positives": positives,
        "base_rate": base_rate,
        "ruleset": {
            "name": ruleset.name,
            "version": ruleset.version,
            "fingerprint": ruleset.fingerprint,
            "engine": ruleset.engine,
        },
    }
    lanes = []
    for name in ruleset.lanes:
        m = lane == name
        lanes.append(
            {
                "lane": name,
                "count": int(m.sum()),
                "share": _ratio(int(m.sum()), evaluated),
                "hits": int((y[m] == 1).sum()),
                "hit_rate": _ratio(int((y[m] == 1).sum()), int((~np.isnan(y[m])).sum())),
            }
        )
    und = pc.list_flatten(outcomes.column("undetermined").combine_chunks())
    undetermined = {k: int(v) for k, v in zip(*np.unique(np.asarray(und.to_pylist(), dtype=object), return_counts=True))} if len(und) else {}
    rules = [r for r in ruleset.rules if not r["monitor"]]
    shadow = [r for r in ruleset.rules if r["monitor"]]
    rule_rows = _rule_rows(
        rules, _entries(outcomes.column("fired"), n), lane, y, evaluated, positives, base_rate, undetermined
    )
    shadow_rows = _rule_rows(
        shadow, _entries(outcomes.column("monitored"), n), lane, y, evaluated, positives, base_rate, None
    )
    top = []
    idx = np.flatnonzero(labelled_mask)
    if labelled:
        # Highest score first. Of the declarations tied at the cut score,
        # the hits are those expected when the tie is broken in a random
        # order (the tied group's hits times the share of it taken), so
        # the result does not depend on the input's order; it may be
        # fractional (see docs/cli.md, backtest, "Top k%").
        s = score[idx].astype(np.int64)
        found = (y[idx] == 1).astype(np.int64)
        for k in TOP_K:
            m = (labelled * k + 99) // 100
            cut = int(np.sort(s)[::-1][m - 1]) if m else None
            if m:
                above = s > cut
                tied = s == cut
                taken = m - int(above.sum())
                hits = float(found[above].sum()) + float(found[tied].sum()) * taken / int(tied.sum())
            else:
                hits = 0.0
            hits = int(hits) if float(hits).is_integer() else hits
            top.append(
                {
                    "k_percent": k,
                    "inspected": m,
                    "hits": hits,
                    "precision": _ratio(hits, m),
                    "recall": _ratio(hits, positives),
                    "min_score": cut,
                }
            )
    columns = ["id", "title", "fired", "share", "points", "mean_points", "hits", "hit_rate", "recall", "lift"]
    return Backtest(
        summary=summary,
        lanes=pd.DataFrame(lanes, columns=["lane", "count", "share", "hits", "hit_rate"]),
        rules=pd.DataFrame(rule_rows, columns=columns[:4] + ["undetermined", "forced"] + columns[4:]),
        shadow_rules=pd.DataFrame(shadow_rows, columns=columns),
        top=pd.DataFrame(top, columns=["k_percent", "inspected", "hits", "precision", "recall", "min_score"]),
        histogram=pd.DataFrame(
            _histogram(score[ok].astype(np.int64), (y[ok] == 1).astype(np.int64)),
            columns=["from", "to", "count", "hits"],
        ),
        outcomes=outcomes,
    )
