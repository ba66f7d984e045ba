"""Every change-risk model variant tried on the shared JIT data, with its time-ordered CV AUC inside Qt's
training part (what choices were made on), its Qt test AUC (tuned on) and its OpenStack test AUC (held
out). Time-ordered 80/20 split, as ``argus risk evaluate-dataset``.

    .venv/bin/python bench/risk_variants.py [--data ../shared/datasets/jit] [--grid]

``--grid`` also runs the 36-combination LightGBM grid (about 10 minutes on one core).

Round 3 (``--round3``): commit-stream features (``argus.evaluation.risk_stream``: each from earlier changes
only), the recent defect rate of training changes, training windows, dropping the newest (immature) training
labels, other learners and ensembles. ``--cv-only`` prints the Qt CV column (what choices are made on)
without reading any test part; ``--tests-only`` then reads the two test parts; ``--only TEXT`` selects
variants by name.

Round 4 (``--round4``, with ``--cv-only`` / ``--tests-only`` / ``--only`` as above): author chains recovered
from ``exp`` / ``rexp`` (:mod:`argus.analysis.risk.authors`) and author features from the past only, the
author's defect rate with label lags, a five-seed study; ``--boundary``: where the lag-0 defect rate's CV
gain comes from (validation rows near the fold boundary). Figures: docs/benchmarks.md#change-risk.
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

from argus.analysis.risk.authors import (
    AUTHOR,
    AUTHOR_LABELS,
    author_chains,
    author_defect_rate,
    author_features,
)
from argus.analysis.risk.dataset import DATASET_FEATURES, read_dataset
from argus.analysis.risk.model import (
    DEFAULT_PARAMS,
    DERIVED,
    KAMEI,
    fit_logistic,
    fit_risk_model,
    recency_weights,
    time_split,
)
from argus.evaluation.risk_stream import (
    RANKED,
    RATIOS,
    TIME,
    recent_defect_rate,
    stream_features,
    stream_names,
)

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


# ------------------------------------------------------------------------------------------ round 3
#: A round-3 variant: (training rows, their labels, test rows) of the extended matrix → test scores.
Variant = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
EF = [*F, *stream_names()]


def extended(data: Any) -> np.ndarray:
    """The dataset's matrix plus every label-free stream feature (each from earlier rows only)."""
    cols = {f: data.X[:, F.index(f)] for f in KAMEI}
    s = stream_features(data.times, cols)
    return np.column_stack([data.X, *(s[n] for n in stream_names())])


def _cols(feats: list[str]) -> list[int]:
    return [EF.index(f) for f in feats]


def _window(X: np.ndarray, y: np.ndarray, keep: float | None, drop: float | None) -> tuple[np.ndarray, np.ndarray]:
    n = len(y)
    hi = n - int(n * drop) if drop else n  # label-noise: the newest training labels are immature
    lo = n - int(n * keep) if keep else 0  # training window: only the newest `keep` share
    return X[lo:hi], y[lo:hi]


def v_lgbm(feats: list[str], params: dict[str, Any] | None = None, keep: float | None = None,
           drop: float | None = None, rate_window: int | None = None) -> Variant:
    cols = _cols(feats)

    def run(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> np.ndarray:
        A, y = _window(Xtr[:, cols], ytr, keep, drop)
        B = Xte[:, cols]
        names = list(feats)
        if rate_window:
            r = recent_defect_rate(y, len(B), rate_window)
            A, B, names = np.column_stack([A, r[:len(y)]]), np.column_stack([B, r[len(y):]]), [*names, "defect_rate"]
        m = fit_risk_model(A, y, names, params=params)
        return m.predict(B) + 1e-9 * m.raw(B)

    return run


def v_bag(feats: list[str], seeds: tuple[int, ...] = (7, 11, 13, 17, 19)) -> Variant:
    """The default booster trained with several seeds (row/column subsampling), probabilities averaged."""
    vs = [v_lgbm(feats, {"seed": s}) for s in seeds]

    def run(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> np.ndarray:
        return np.asarray(sum(v(Xtr, ytr, Xte) for v in vs) / len(vs))

    return run


def v_sklearn(kind: str, feats: list[str], keep: float | None = None, **kw: Any) -> Variant:
    cols = _cols(feats)

    def run(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> np.ndarray:
        from sklearn.ensemble import (
            ExtraTreesClassifier,
            HistGradientBoostingClassifier,
            RandomForestClassifier,
        )

        A, y = _window(Xtr[:, cols], ytr, keep, None)
        A, B = np.nan_to_num(A, nan=-1.0), np.nan_to_num(Xte[:, cols], nan=-1.0)
        w = recency_weights(len(y), kw.get("half_life"))
        if kind == "rf":
            m = RandomForestClassifier(n_estimators=300, min_samples_leaf=kw.get("leaf", 20), max_features=0.4,
                                       class_weight="balanced_subsample", n_jobs=1, random_state=7)
        elif kind == "et":
            m = ExtraTreesClassifier(n_estimators=300, min_samples_leaf=kw.get("leaf", 20), max_features=0.5,
                                     class_weight="balanced", n_jobs=1, random_state=7)
        else:
            m = HistGradientBoostingClassifier(max_iter=kw.get("iters", 150), learning_rate=0.05,
                                               max_leaf_nodes=kw.get("leaves", 8), min_samples_leaf=200,
                                               l2_regularization=5.0, class_weight="balanced", random_state=7)
        m.fit(A, y, sample_weight=w)
        return np.asarray(m.predict_proba(B)[:, 1])

    return run


def v_logit(feats: list[str], splines: bool = False, fix_interactions: bool = False) -> Variant:
    cols = _cols(feats)

    def run(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import SplineTransformer, StandardScaler

        A, B = Xtr[:, cols], Xte[:, cols]
        med = np.nanmedian(A, axis=0)
        A, B = np.where(np.isnan(A), med, A), np.where(np.isnan(B), med, B)
        A, B = np.sign(A) * np.log1p(np.abs(A)), np.sign(B) * np.log1p(np.abs(B))
        sc = StandardScaler().fit(A)
        A, B = sc.transform(A), sc.transform(B)
        if fix_interactions:
            fi = feats.index("fix")
            A, B = np.column_stack([A, A * A[:, [fi]]]), np.column_stack([B, B * B[:, [fi]]])
        if splines:
            sp = SplineTransformer(n_knots=5, degree=3, knots="quantile", extrapolation="constant").fit(A)
            A, B = sp.transform(A), sp.transform(B)
        m = LogisticRegression(max_iter=5000, C=0.5 if splines else 1.0).fit(A, ytr)
        return np.asarray(m.predict_proba(B)[:, 1])

    return run


def v_rank(*vs: Variant, weights: tuple[float, ...] | None = None) -> Variant:
    def run(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> np.ndarray:
        w = weights or (1.0,) * len(vs)
        return np.asarray(sum(wi * rankdata(v(Xtr, ytr, Xte)) for wi, v in zip(w, vs, strict=True)) / sum(w))

    return run


def cv3(X: np.ndarray, labels: np.ndarray, times: np.ndarray, v: Variant, folds: int = 3) -> float:
    """The same expanding-window folds as :func:`cv`, on the extended matrix."""
    s = time_split(times, 0.8)
    Xt, y = X[s.train], labels[s.train]
    n, out = len(y), []
    for k in range(folds):
        a, b = int(n * (0.5 + 0.5 * k / folds)), int(n * (0.5 + 0.5 * (k + 1) / folds))
        out.append(roc_auc_score(y[a:b], v(Xt[:a], y[:a], Xt[a:b])))
    return float(np.mean(out))


def test3(X: np.ndarray, labels: np.ndarray, times: np.ndarray, v: Variant) -> float:
    s = time_split(times, 0.8)
    return float(roc_auc_score(labels[s.test], v(X[s.train], labels[s.train], X[s.test])))


def round3() -> dict[str, Variant]:
    KD = [*KAMEI, *DERIVED]
    T, R = list(TIME), list(RATIOS)
    RK = [f"{f}_rank" for f in RANKED]
    return {
        "R3 LightGBM default (round 2 model)": v_lgbm(F),
        "R3 LightGBM + time (hour, weekday, gap, day/week commits)": v_lgbm([*F, *T]),
        "R3 LightGBM + experience ratios": v_lgbm([*F, *R]),
        "R3 LightGBM + rolling ranks (1000 prior changes)": v_lgbm([*F, *RK]),
        "R3 LightGBM + time + ratios + ranks": v_lgbm(EF),
        "R3 LightGBM + recent defect rate (500 training rows)": v_lgbm(F, rate_window=500),
        "R3 LightGBM + recent defect rate (2000 training rows)": v_lgbm(F, rate_window=2000),
        "R3 LightGBM, newest 75 % of training only": v_lgbm(F, keep=0.75),
        "R3 LightGBM, newest 50 % of training only": v_lgbm(F, keep=0.5),
        "R3 LightGBM, newest 50 %, no recency weight": v_lgbm(F, {"recency_half_life": None}, keep=0.5),
        "R3 LightGBM, drop newest 5 % (immature labels)": v_lgbm(F, drop=0.05),
        "R3 LightGBM, drop newest 10 %": v_lgbm(F, drop=0.10),
        "R3 LightGBM, drop newest 20 %": v_lgbm(F, drop=0.20),
        "R3 random forest (300 trees, leaf 20), Kamei+ratios": v_sklearn("rf", F),
        "R3 random forest, leaf 50": v_sklearn("rf", F, leaf=50),
        "R3 extra trees (300, leaf 20)": v_sklearn("et", F),
        "R3 HistGradientBoosting (8 leaves, 150 it)": v_sklearn("hgb", F),
        "R3 HistGradientBoosting, recency 0.25": v_sklearn("hgb", F, half_life=0.25),
        "R3 logistic Kamei+ratios, splines": v_logit(KD, splines=True),
        "R3 logistic Kamei+ratios, fix interactions": v_logit(KD, fix_interactions=True),
        "R3 logistic Kamei+ratios + stream features": v_logit([*KD, *T, *R, *RK]),
        "R3 LightGBM + hour and weekday only": v_lgbm([*F, "hour", "weekday"]),
        "R3 LightGBM, ranks instead of the raw ranked features": v_lgbm(
            [f for f in F if f not in RANKED] + RK),
        "R3 LightGBM, no class balancing": v_lgbm(F, {"balance": False}),
        "R3 random forest, leaf 100": v_sklearn("rf", F, leaf=100),
        "R3 rank-average LightGBM + random forest (leaf 50)": v_rank(v_lgbm(F), v_sklearn("rf", F, leaf=50)),
        "R3 rank-average LightGBM + random forest (leaf 20)": v_rank(v_lgbm(F), v_sklearn("rf", F)),
        "R3 bagged LightGBM (5 seeds averaged)": v_bag(F),
        "R3 rank-average LightGBM + logistic splines": v_rank(v_lgbm(F), v_logit(KD, splines=True)),
        "R3 rank-average LightGBM + RF + logistic splines": v_rank(v_lgbm(F), v_sklearn("rf", F),
                                                                   v_logit(KD, splines=True)),
    }


def run_round3(qt: Any, os_: Any, only: str, cv_only: bool, tests_only: bool = False) -> None:
    XQ, XO = extended(qt), extended(os_)
    print("| variant | Qt time-ordered CV (3 folds, train part) | Qt test (tuned on) | OpenStack test (held out) |")
    print("| --- | --- | --- | --- |")
    for name, v in round3().items():
        if only and only not in name:
            continue
        c = "—" if tests_only else f"{cv3(XQ, qt.labels, qt.times, v):.4f}"
        t = "—" if cv_only else f"{test3(XQ, qt.labels, qt.times, v):.4f}"
        o = "—" if cv_only else f"{test3(XO, os_.labels, os_.times, v):.4f}"
        print(f"| {name} | {c} | {t} | {o} |", flush=True)


# ------------------------------------------------------------------------------------------ round 4
#: A round-4 variant: (full matrix with author columns, labels, times, chains, a, b) → scores of rows
#: a..b−1, trained on rows 0..a−1 (time-ordered; the label features read labels of rows < a only).
Variant4 = Callable[[np.ndarray, np.ndarray, np.ndarray, Any, int, int], np.ndarray]
AF = [*EF, *AUTHOR]


def with_authors(data: Any, X: np.ndarray) -> tuple[np.ndarray, Any]:
    """The extended matrix plus the label-free author features (chains recovered from exp / rexp)."""
    col = {f: data.X[:, F.index(f)] for f in KAMEI}
    ch = author_chains(data.times, col["exp"], col["rexp"])
    strict = author_chains(data.times, col["exp"], col["rexp"], max_gap=20)
    stricter = author_chains(data.times, col["exp"], col["rexp"], max_gap=5)
    a = author_features(data.times, ch, col["exp"], col["la"], col["ld"], col["fix"])
    return np.column_stack([X, *(a[k] for k in AUTHOR)]), (ch, strict, stricter)


def v4(feats: list[str], labels_lag: float | None = None, params: dict[str, Any] | None = None,
       strict: int = 0, prior_weight: float = 5.0, logistic: bool = False) -> Variant4:
    """Our booster on ``feats``; with ``labels_lag`` (days) also the author's known defect rate (on the
    strict chains with ``strict`` — 1: a gap of at most 20 earlier changes, 2: at most 5); ``logistic``: our
    logistic model."""
    cols = [AF.index(f) for f in feats]

    def run(X: np.ndarray, y: np.ndarray, times: np.ndarray, ch: Any, a: int, b: int) -> np.ndarray:
        A, names = X[:b][:, cols], list(feats)
        ch = ch[strict]
        if labels_lag is not None:
            known = np.zeros(b, dtype=bool)
            known[:a] = True
            r = author_defect_rate(times[:b], _prefix(ch, b), y[:b], known, lag=labels_lag * 86400.0,
                                   prior_weight=prior_weight)
            A = np.column_stack([A, *(r[k] for k in AUTHOR_LABELS)])
            names = [*names, *AUTHOR_LABELS]
        if logistic:
            return fit_logistic(A[:a], y[:a], names).predict(A[a:b])
        m = fit_risk_model(A[:a], y[:a], names, params=params)
        return m.predict(A[a:b]) + 1e-9 * m.raw(A[a:b])

    return run


def _prefix(ch: Any, b: int) -> Any:
    from argus.analysis.risk.authors import Chains

    return Chains(ch.prev[:b], ch.chain[:b], ch.candidates[:b])


SEEDS = (7, 11, 13, 17, 19)


def round4() -> dict[str, Variant4]:
    A = list(AUTHOR)
    KD = [*KAMEI, *DERIVED]
    free = ["a_prior", "a_log_gap", "a_exp_rate", "a_recent30"]
    size = ["a_mean_size", "a_size_rel", "a_fix_share"]
    return {
        "R4 LApredict (la only)": v4(["la"], logistic=True),
        "R4 LightGBM default (round 2 model)": v4(F),
        "R4 + author defect rate, labels known 0 days before": v4(F, 0.0),
        "R4 + author defect rate, lag 30 days": v4(F, 30.0),
        "R4 + author defect rate, lag 90 days": v4(F, 90.0),
        "R4 + author activity (prior, gap, exp rate, 30-day count)": v4([*F, *free]),
        "R4 + author sizes and fix share": v4([*F, *size]),
        "R4 + author experience growth": v4([*F, "a_exp_growth"]),
        "R4 + every label-free author feature": v4([*F, *A]),
        "R4 + every author feature, lag 30 days": v4([*F, *A], 30.0),
        "R4 + every author feature, lag 0": v4([*F, *A], 0.0),
        "R4 + author defect rate, lag 0, strict chains (gap ≤ 20)": v4(F, 0.0, strict=1),
        "R4 + author defect rate, lag 30, strict chains (gap ≤ 20)": v4(F, 30.0, strict=1),
        "R4 + author defect rate, lag 0, stricter chains (gap ≤ 5)": v4(F, 0.0, strict=2),
        **{f"R4 seeds: default, seed {s}": v4(F, params={"seed": s}) for s in SEEDS},
        **{f"R4 seeds: + author defect rate, lag 0, strict chains, seed {s}": v4(F, 0.0, {"seed": s}, strict=1)
           for s in SEEDS},
        **{f"R4 seeds: + author defect rate, lag 0, stricter chains, seed {s}": v4(F, 0.0, {"seed": s}, strict=2)
           for s in SEEDS},
        **{f"R4 seeds: + author defect rate, lag 30, stricter chains, seed {s}": v4(F, 30.0, {"seed": s}, strict=2)
           for s in SEEDS},
        **{f"R4 seeds: + author defect rate, lag 30, strict chains, seed {s}": v4(F, 30.0, {"seed": s}, strict=1)
           for s in SEEDS[1:]},
        **{f"R4 seeds: + author defect rate, lag 90, strict chains, seed {s}": v4(F, 90.0, {"seed": s}, strict=1)
           for s in SEEDS},
        "R4 + author defect rate, lag 0, prior weight 20": v4(F, 0.0, prior_weight=20.0),
        "R4 logistic Kamei+ratios (baseline of the next two)": v4(KD, logistic=True),
        "R4 logistic Kamei+ratios + author defect rate, lag 0": v4(KD, 0.0, logistic=True),
        "R4 logistic Kamei+ratios + author defect rate, lag 30": v4(KD, 30.0, logistic=True),
    }


def run_round4(qt: Any, os_: Any, only: str, cv_only: bool, tests_only: bool = False) -> None:
    XQ, cq = with_authors(qt, extended(qt))
    XO, co = with_authors(os_, extended(os_))
    for name, c in (("qt", cq), ("openstack", co)):
        print(f"chains {name}: {json.dumps(c[0].summary())}; strict: {json.dumps(c[1].summary())}; "
              f"stricter: {json.dumps(c[2].summary())}")
    print("| variant | Qt CV AUC | Qt test AUC / PR-AUC / Brier | OpenStack test AUC / PR-AUC / Brier |")
    print("| --- | --- | --- | --- |")
    for name, v in round4().items():
        if only and only not in name:
            continue
        c = "—" if tests_only else f"{cv4(XQ, qt.labels, qt.times, cq, v):.4f}"
        t = "—" if cv_only else test4(XQ, qt.labels, qt.times, cq, v)
        o = "—" if cv_only else test4(XO, os_.labels, os_.times, co, v)
        print(f"| {name} | {c} | {t} | {o} |", flush=True)


def boundary4(qt: Any, lag: float = 0.0, strict: int = 2) -> None:
    """Where the CV gain of the author defect rate (``lag`` days; chains with gaps ≤ 5, or ≤ 20 with
    ``strict`` 1) comes from: each fold's validation rows in the first 30 days after the fold's last training
    change, and the rest."""
    X, ch = with_authors(qt, extended(qt))
    y, t = qt.labels, qt.times
    base, cand = v4(F), v4(F, lag, strict=strict)
    n = int(len(y) * 0.8)
    print("| fold | validation days | rows ≤ 30 days after the boundary | AUC there: default / + author rate "
          "| AUC later: default / + author rate |")
    print("| --- | --- | --- | --- | --- |")
    for k in range(3):
        a, b = int(n * (0.5 + 0.5 * k / 3)), int(n * (0.5 + 0.5 * (k + 1) / 3))
        pb, pc, yy = base(X, y, t, ch, a, b), cand(X, y, t, ch, a, b), y[a:b]
        early = (t[a:b] - t[a - 1]) <= 30 * 86400.0
        print(f"| {k + 1} | {(t[b - 1] - t[a]) / 86400.0:.0f} | {int(early.sum())} | "
              f"{roc_auc_score(yy[early], pb[early]):.4f} / {roc_auc_score(yy[early], pc[early]):.4f} | "
              f"{roc_auc_score(yy[~early], pb[~early]):.4f} / {roc_auc_score(yy[~early], pc[~early]):.4f} |",
              flush=True)


def cv4(X: np.ndarray, y: np.ndarray, times: np.ndarray, ch: Any, v: Variant4, folds: int = 3) -> float:
    """The same expanding-window folds as :func:`cv` (rows are in time order: the split is a prefix)."""
    n, out = int(len(y) * 0.8), []
    for k in range(folds):
        a, b = int(n * (0.5 + 0.5 * k / folds)), int(n * (0.5 + 0.5 * (k + 1) / folds))
        out.append(roc_auc_score(y[a:b], v(X, y, times, ch, a, b)))
    return float(np.mean(out))


def test4(X: np.ndarray, y: np.ndarray, times: np.ndarray, ch: Any, v: Variant4) -> str:
    from sklearn.metrics import average_precision_score, brier_score_loss

    a, b = int(len(y) * 0.8), len(y)
    p = v(X, y, times, ch, a, b)
    q = np.clip(p, 0.0, 1.0)
    return (f"{roc_auc_score(y[a:b], p):.4f} / {average_precision_score(y[a:b], p):.3f} / "
            f"{brier_score_loss(y[a:b], q):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/jit"))
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--round3", action="store_true", help="the round-3 variants (stream features, learners, windows)")
    ap.add_argument("--round4", action="store_true", help="the round-4 variants (author chains and features)")
    ap.add_argument("--boundary", action="store_true", help="round 4: the author rate's CV gain by distance "
                    "from the fold boundary")
    ap.add_argument("--cv-only", action="store_true", help="Qt CV only: choose before reading any test part")
    ap.add_argument("--tests-only", action="store_true", help="skip the CV (already recorded): the test parts")
    ap.add_argument("--only", default="", help="only the variants whose name contains this text")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    qt, os_ = (read_dataset(a.data / f"{n}_k_feature.csv") for n in ("qt", "openstack"))
    if a.boundary:
        boundary4(qt)
        boundary4(qt, 30.0, 1)
        return
    if a.round4:
        run_round4(qt, os_, a.only, a.cv_only, a.tests_only)
        return
    if a.round3:
        run_round3(qt, os_, a.only, a.cv_only, a.tests_only)
        return
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
