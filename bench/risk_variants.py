"""Every change-risk model variant tried on the shared JIT data, with its time-ordered CV AUC inside Qt's
training part (what choices were made on), its Qt test AUC (tuned on) and its OpenStack test AUC (held
out). Time-ordered 80/20 split, as ``argus risk evaluate-dataset``.

    .venv/bin/python bench/risk_variants.py [--data ../shared/datasets/jit] [--grid]

``--grid`` also runs the 36-combination LightGBM grid (about 10 minutes on one core).
"""

from __future__ import annotations

import argparse
import itertools
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from argus.analysis.risk.dataset import DATASET_FEATURES, read_dataset
from argus.analysis.risk.model import DEFAULT_PARAMS, DERIVED, KAMEI, fit_logistic, fit_risk_model, time_split

F = list(DATASET_FEATURES)
Fit = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]
#: The parameters before this round (depth 2, 4 leaves, 200 rounds, L2 1, no recency weighting).
OLD = {"num_leaves": 4, "max_depth": 2, "n_estimators": 200, "reg_lambda": 1.0, "recency_half_life": None}
MONO = [1 if f in ("ns", "nd", "nf", "entropy", "la", "ld", "lt", "log_churn", "la_per_lt", "la_per_nf",
                   "churn_per_nf") else 0 for f in F]


def lgbm(params: dict[str, Any] | None = None) -> Fit:
    def fit(X: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        m = fit_risk_model(X, y, F, params=params)
        return lambda Z: m.predict(Z) + 1e-9 * m.raw(Z)  # the calibrated score, ties kept in raw order

    return fit


def logit(feats: list[str]) -> Fit:
    cols = [F.index(f) for f in feats]

    def fit(X: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        m = fit_logistic(X[:, cols], y, feats)
        return lambda Z: m.predict(Z[:, cols])

    return fit


def rank_avg(*fits: Fit) -> Fit:
    def fit(X: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        ms = [f(X, y) for f in fits]
        return lambda Z: sum(rankdata(m(Z)) for m in ms) / len(ms)

    return fit


def cv(data: Any, fit: Fit, folds: int = 3) -> float:
    """Expanding-window folds inside the training part (oldest 80 %): train on the oldest ≥ 50 %."""
    s = time_split(data.times, 0.8)
    X, y = data.X[s.train], data.labels[s.train]
    n, out = len(y), []
    for k in range(folds):
        a, b = int(n * (0.5 + 0.5 * k / folds)), int(n * (0.5 + 0.5 * (k + 1) / folds))
        out.append(roc_auc_score(y[a:b], fit(X[:a], y[:a])(X[a:b])))
    return float(np.mean(out))


def test(data: Any, fit: Fit) -> float:
    s = time_split(data.times, 0.8)
    return float(roc_auc_score(data.labels[s.test], fit(data.X[s.train], data.labels[s.train])(data.X[s.test])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/jit"))
    ap.add_argument("--grid", action="store_true")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    qt, os_ = (read_dataset(a.data / f"{n}_k_feature.csv") for n in ("qt", "openstack"))
    KD = list(KAMEI) + list(DERIVED)
    variants: dict[str, Fit] = {
        "LApredict (la only)": logit(["la"]),
        "logistic, Kamei 14 (log1p)": logit(list(KAMEI)),
        "logistic, Kamei 14 + ratios": logit(KD),
        "LightGBM, previous parameters": lgbm(OLD),
        "LightGBM, previous + monotone size features": lgbm({**OLD, "monotone_constraints": MONO}),
        "rank-average: previous LightGBM + logistic Kamei": rank_avg(lgbm(OLD), logit(list(KAMEI))),
        "rank-average: previous LightGBM + logistic Kamei+ratios": rank_avg(lgbm(OLD), logit(KD)),
        "LightGBM, CV-tuned (8 leaves, 100 rounds, L2 5), no recency": lgbm({"recency_half_life": None}),
        "LightGBM, CV-tuned, recency half-life 0.5": lgbm({"recency_half_life": 0.5}),
        "LightGBM, CV-tuned, recency half-life 0.35": lgbm({"recency_half_life": 0.35}),
        "LightGBM, CV-tuned, recency half-life 0.25 (default)": lgbm(),
        "LightGBM, CV-tuned, recency half-life 0.15": lgbm({"recency_half_life": 0.15}),
        "LightGBM, CV-tuned, recency half-life 0.1": lgbm({"recency_half_life": 0.1}),
        "rank-average: default LightGBM + logistic Kamei+ratios": rank_avg(lgbm(), logit(KD)),
    }
    if a.grid:
        for nl, ne, lr, mcs in itertools.product([2, 4, 8], [100, 200, 400], [0.03, 0.05], [200, 500]):
            p = {"num_leaves": nl, "max_depth": 2 if nl <= 4 else -1, "n_estimators": ne, "learning_rate": lr,
                 "min_child_samples": mcs, "reg_lambda": 5.0, "recency_half_life": None}
            variants[f"grid {json.dumps(p)}"] = lgbm(p)
    print(f"defaults: {json.dumps(DEFAULT_PARAMS)}")
    print("| variant | Qt time-ordered CV (3 folds, train part) | Qt test (tuned on) | OpenStack test (held out) |")
    print("| --- | --- | --- | --- |")
    for name, fit in variants.items():
        print(f"| {name} | {cv(qt, fit):.4f} | {test(qt, fit):.4f} | {test(os_, fit):.4f} |", flush=True)


if __name__ == "__main__":
    main()
