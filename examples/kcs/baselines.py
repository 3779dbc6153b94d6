#!/usr/bin/env python3
"""Two machine-learning baselines for the KCS example, to put the
scorecard's precision in context (docs/backtesting.md).

Fitted on train.csv only, measured once on valid.csv: precision when the
top 1/2/5/10% of valid.csv by predicted risk are inspected (ceil(n*k/100)
declarations, ties in input order), as `semaforo backtest` counts it.

Features: every categorical column and the composite keys of the
scorecard's points tables, each target-encoded (the smoothed finding rate
of the value in train.csv, m-estimate with weight 20; on train.csv itself
out-of-fold over 5 folds so a row never sees its own result), plus tax
rate, log net mass, log price and log price per kg.

  pip install pandas numpy scikit-learn lightgbm
  python3 examples/kcs/baselines.py

Not run by `cargo test`. Without lightgbm, the gradient boosting is
scikit-learn's HistGradientBoostingClassifier (printed in the output).
"""
import math
import os

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20260101
M = 20.0

CATEGORICAL = [
    "Office ID", "Process Type", "Import Type", "Import Use", "Payment Type",
    "Mode of Transport", "Declarant ID", "Importer ID", "Seller ID",
    "Courier ID", "HS6 Code", "Country of Departure", "Country of Origin",
    "Tax Type", "Country of Origin Indicator",
]
HS, ORIG, DEP = "HS6 Code", "Country of Origin", "Country of Departure"
COMPOSITE = [
    [HS, ORIG, DEP], [HS, ORIG, "Tax Type"], [HS, ORIG], [HS, DEP],
    [HS, "Tax Type"], [HS, "Import Type"], ["Office ID", HS],
    [HS, "Mode of Transport"], [ORIG, "Tax Type"], [ORIG, DEP],
]


def load(name):
    d = pd.read_csv(os.path.join(HERE, name), dtype=str, keep_default_na=False)
    d["Fraud"] = d["Fraud"].astype(int)
    return d


def keys(d):
    out = {c: d[c] for c in CATEGORICAL}
    for cols in COMPOSITE:
        out["|".join(cols)] = d[cols].agg("|".join, axis=1)
    return out


def encode(fit_keys, fit_y, apply_keys, prior):
    frame = pd.DataFrame({"k": fit_keys.values, "y": fit_y})
    g = frame.groupby("k")["y"].agg(["sum", "count"])
    rate = (g["sum"] + M * prior) / (g["count"] + M)
    return apply_keys.map(rate).fillna(prior).astype(float).values


def numeric(d):
    kg = pd.to_numeric(d["Net Mass"], errors="coerce")
    price = pd.to_numeric(d["Item Price"], errors="coerce")
    per_kg = price / kg.where(kg > 0)
    return np.column_stack([
        pd.to_numeric(d["Tax Rate"], errors="coerce").fillna(0),
        np.log1p(kg.fillna(0).clip(lower=0)),
        np.log1p(price.fillna(0).clip(lower=0)),
        np.log1p(per_kg.fillna(0).clip(lower=0)),
    ])


def features(train, valid):
    y = train["Fraud"].values
    prior = y.mean()
    kt, kv = keys(train), keys(valid)
    xt = np.zeros((len(train), len(kt)))
    xv = np.zeros((len(valid), len(kv)))
    folds = KFold(5, shuffle=True, random_state=SEED)
    for j, name in enumerate(kt):
        for fit, held in folds.split(train):
            xt[held, j] = encode(kt[name].iloc[fit], y[fit], kt[name].iloc[held], y[fit].mean())
        xv[:, j] = encode(kt[name], y, kv[name], prior)
    return np.hstack([xt, numeric(train)]), np.hstack([xv, numeric(valid)])


def precision_at(scores, y, k):
    n = math.ceil(len(scores) * k / 100)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:n]
    return y[order].mean(), n


def main():
    train, valid = load("train.csv"), load("valid.csv")
    xt, xv = features(train, valid)
    yt, yv = train["Fraud"].values, valid["Fraud"].values
    try:
        import lightgbm

        gbm_name = f"LightGBM {lightgbm.__version__}"
        gbm = lightgbm.LGBMClassifier(
            n_estimators=400, learning_rate=0.03, num_leaves=31,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            random_state=SEED, verbose=-1,
        )
    except ImportError:
        from sklearn.ensemble import HistGradientBoostingClassifier

        gbm_name = "HistGradientBoostingClassifier (lightgbm not installed)"
        gbm = HistGradientBoostingClassifier(max_iter=400, learning_rate=0.03, random_state=SEED)
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    print(f"valid.csv: {len(yv)} declarations, base rate {yv.mean():.4f}")
    for name, model in ((gbm_name, gbm), ("logistic regression", logreg)):
        model.fit(xt, yt)
        p = model.predict_proba(xv)[:, 1]
        cells = []
        for k in (1, 2, 5, 10):
            prec, n = precision_at(p, yv, k)
            cells.append(f"top {k}%: {prec:.4f} ({int(round(prec * n))} of {n})")
        print(f"{name}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
