"""Pure model code of change risk: feature matrix, time-ordered split, gradient boosting with class
imbalance handling and a calibration fitted on a time-ordered holdout, the two baselines (LApredict and
logistic regression), metrics, and artefacts that serialise to JSON (never pickle).

The main model is a LightGBM booster (its own text format is the artefact); the calibration map is
isotonic (the step function's knots) or Platt (two numbers); the logistic baseline keeps its means,
scales and coefficients. Every threshold and parameter has a documented default here.
NumPy is imported at module level; LightGBM and scikit-learn (the ``ml`` extra) only where used.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from argus.core.errors import ConfigError, InputError

#: Kamei et al. (2013) change features, in their order (``entropy``; the shared CSVs spell it ``entrophy``).
KAMEI = ("ns", "nd", "nf", "entropy", "la", "ld", "lt", "fix", "ndev", "age", "nuc", "exp", "rexp", "sexp")
#: Size ratios derived from the Kamei columns (relative churn is a stronger signal than absolute size).
DERIVED = ("la_per_lt", "ld_per_lt", "la_per_nf", "churn_per_nf", "lt_per_nf", "log_churn")
#: Features only ingested history has: time of the change, CI history, impacted tests (count and share of
#: the coverage map's tests), radon complexity of the changed functions (after, and after minus before),
#: the author's earlier bug-inducing rate from SZZ labels known at the time (their fix committed before).
CONTEXT = ("hour", "weekday", "file_fail_rate", "author_fail_rate", "impacted_tests", "impacted_share",
           "complexity", "complexity_delta", "author_bug_rate", "author_bug_known")

#: LightGBM parameters chosen on Qt only, by time-ordered cross-validation inside Qt's training part (3
#: expanding-window folds; 36 combinations of leaves, rounds, learning rate and leaf minimum; the table is in
#: docs/analysis/risk.md): 8 leaves, 100 rounds, learning rate 0.05, leaf minimum 200 rows, L2 5; rows
#: weighted by recency (weight halves every quarter of the training rows back, chosen the same way).
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 8, "max_depth": -1, "min_child_samples": 200,
    "subsample": 0.7, "subsample_freq": 1, "colsample_bytree": 0.7, "reg_lambda": 5.0,
    "n_estimators": 100, "seed": 7, "deterministic": True, "num_threads": 1, "verbose": -1,
    "recency_half_life": 0.25,
}
ALGORITHM = "lightgbm-gbdt+calibration"


#: Isotonic calibration needs this many holdout rows and positives; with fewer, Platt scaling is used.
MIN_ISOTONIC_ROWS = 200
MIN_ISOTONIC_POSITIVES = 10
#: Slope added to the isotonic map so that scores it would tie keep their order (no effect on Brier).
TIE_BREAK = 1e-6


class CalibrationMethod(StrEnum):
    ISOTONIC = "isotonic"
    PLATT = "platt"


def ml_modules() -> tuple[Any, Any]:
    """``(lightgbm, sklearn)``; a :class:`ConfigError` naming the extra when they are not installed."""
    try:
        import lightgbm
        import sklearn
    except ImportError:
        raise ConfigError("change risk needs the ml extra: pip install 'argus-quality[ml]' "
                          "(LightGBM and scikit-learn)") from None
    return lightgbm, sklearn


# --------------------------------------------------------------------------------------------- features


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a / np.maximum(b, 1.0)


def matrix(rows: Sequence[Mapping[str, float | None]], names: Sequence[str]) -> np.ndarray:
    """The feature matrix (rows × ``names``); derived ratios are computed from the Kamei columns and a
    missing value is NaN (the booster routes it; the logistic baseline imputes the training median)."""
    base = {k: np.array([_num(r.get(k)) for r in rows], dtype=float) for k in KAMEI}
    derived = {
        "la_per_lt": _ratio(base["la"], base["lt"]), "ld_per_lt": _ratio(base["ld"], base["lt"]),
        "la_per_nf": _ratio(base["la"], base["nf"]), "churn_per_nf": _ratio(base["la"] + base["ld"], base["nf"]),
        "lt_per_nf": _ratio(base["lt"], base["nf"]), "log_churn": np.log1p(np.abs(base["la"] + base["ld"])),
    }
    cols = []
    for n in names:
        if n in base:
            cols.append(base[n])
        elif n in derived:
            cols.append(derived[n])
        else:
            cols.append(np.array([_num(r.get(n)) for r in rows], dtype=float))
    return np.column_stack(cols) if cols else np.zeros((len(rows), 0))


def _num(v: object) -> float:
    if v is None:
        return math.nan
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def data_hash(X: np.ndarray, y: np.ndarray, keys: Sequence[str] = ()) -> str:
    """SHA-256 of the training rows (keys, features, labels): the registry's training-data identity."""
    h = hashlib.sha256()
    h.update("\x1f".join(keys).encode())
    h.update(np.ascontiguousarray(np.nan_to_num(X, nan=-1.2345e300)).tobytes())
    h.update(np.ascontiguousarray(y.astype(np.int8)).tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class TimeSplit:
    """Row indices of a time-ordered split: every training row is no later than every test row."""

    train: np.ndarray
    test: np.ndarray


def time_order(times: Sequence[float] | np.ndarray) -> np.ndarray:
    """Indices sorting ``times`` ascending; a stable sort, so rows of one instant keep their order."""
    return np.argsort(np.asarray(times, dtype=float), kind="mergesort")


def time_split(times: Sequence[float] | np.ndarray, train_fraction: float) -> TimeSplit:
    """The earliest ``train_fraction`` of the rows (by time) for training, the rest for testing.

    Never shuffles: a row dated after any test row cannot be in the training part.
    """
    if not 0.0 < train_fraction < 1.0:
        raise InputError(f"train fraction must be between 0 and 1 (exclusive), not {train_fraction}")
    order = time_order(times)
    k = int(len(order) * train_fraction)
    if k < 1 or k >= len(order):
        raise InputError(f"{len(order)} rows cannot be split {train_fraction:g}/{1 - train_fraction:g} in time")
    return TimeSplit(order[:k], order[k:])


# --------------------------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metrics:
    auc: float | None
    pr_auc: float | None
    brier: float
    f1: float
    ece: float
    threshold: float
    rows: int
    positives: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"auc": self.auc, "pr_auc": self.pr_auc, "brier": self.brier, "f1": self.f1, "ece": self.ece,
                "threshold": self.threshold, "rows": self.rows, "positives": self.positives}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate − mean probability| over ``bins`` equal-width bins, weighted by bin size."""
    if len(y) == 0:
        return 0.0
    idx = np.minimum((p * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += m.sum() * abs(float(y[m].mean()) - float(p[m].mean()))
    return float(err / len(y))


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    pred = p >= threshold
    tp = float((pred & (y == 1)).sum())
    fp = float((pred & (y == 0)).sum())
    fn = float((~pred & (y == 1)).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold maximising F1 (the operating threshold, chosen on training data only)."""
    cands = np.unique(np.round(p, 4))
    if len(cands) > 200:
        cands = np.quantile(p, np.linspace(0.5, 0.995, 100))
    best, thr = -1.0, 0.5
    for t in cands:
        f = f1_at(y, p, float(t))
        if f > best:
            best, thr = f, float(t)
    return thr


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> Metrics:
    """AUC and PR-AUC (``None`` when the test part has one class only), Brier, F1 at ``threshold``, ECE."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    two = 0 < int(y.sum()) < len(y)
    return Metrics(
        auc=float(roc_auc_score(y, p)) if two else None,
        pr_auc=float(average_precision_score(y, p)) if two else None,
        brier=float(np.mean((p - y) ** 2)), f1=f1_at(y, p, threshold), ece=expected_calibration_error(y, p),
        threshold=threshold, rows=len(y), positives=int(y.sum()))


# --------------------------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """A monotone map raw score → probability: isotonic knots (``x``, ``y``) or Platt (``a``, ``b``)."""

    method: CalibrationMethod
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.method is CalibrationMethod.ISOTONIC:
            if not self.x:
                return raw
            # the step function ties many scores; a negligible tilt keeps the booster's ranking (AUC)
            return np.clip(np.interp(raw, np.array(self.x), np.array(self.y)) + TIE_BREAK * raw, 0.0, 1.0)
        z = self.a * _logit(raw) + self.b
        return 1.0 / (1.0 + np.exp(-z))

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method.value, "x": list(self.x), "y": list(self.y), "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Calibration:
        return cls(CalibrationMethod(d["method"]), tuple(d.get("x", ())), tuple(d.get("y", ())),
                   float(d.get("a", 1.0)), float(d.get("b", 0.0)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_calibration(raw: np.ndarray, y: np.ndarray, method: CalibrationMethod) -> Calibration:
    """Fit the map on a holdout's raw scores and labels (isotonic: pool-adjacent-violators)."""
    if len(np.unique(y)) < 2:
        return Calibration(CalibrationMethod.ISOTONIC)  # identity: nothing to learn from one class
    if method is CalibrationMethod.ISOTONIC and (len(y) < MIN_ISOTONIC_ROWS or int(y.sum()) < MIN_ISOTONIC_POSITIVES):
        method = CalibrationMethod.PLATT  # a step function fitted on a handful of rows collapses the ranking
    if method is CalibrationMethod.ISOTONIC:
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
        return Calibration(method, tuple(float(v) for v in iso.X_thresholds_),
                           tuple(float(v) for v in iso.y_thresholds_))
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw).reshape(-1, 1), y)
    # a non-positive slope would invert (or flatten) the booster's ranking: keep the map increasing
    return Calibration(method, a=max(float(lr.coef_[0, 0]), 1e-3), b=float(lr.intercept_[0]))


# --------------------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class LogisticModel:
    """Logistic regression on log1p-transformed, standardised features (the LR baseline); ``la`` alone is
    LApredict. Contributions are the linear terms coef × z."""

    features: tuple[str, ...]
    median: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def _z(self, X: np.ndarray) -> np.ndarray:
        X = np.where(np.isnan(X), np.array(self.median), X)
        t = np.sign(X) * np.log1p(np.abs(X))
        return (t - np.array(self.mean)) / np.array(self.scale)

    def terms(self, X: np.ndarray) -> np.ndarray:
        return self._z(X) * np.array(self.coef)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.terms(X).sum(axis=1) + self.intercept, -50, 50)))

    def as_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "median": list(self.median), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LogisticModel:
        return cls(tuple(d["features"]), tuple(d["median"]), tuple(d["mean"]), tuple(d["scale"]),
                   tuple(d["coef"]), float(d["intercept"]))


def fit_logistic(X: np.ndarray, y: np.ndarray, features: Sequence[str], *, balanced: bool = False) -> LogisticModel:
    """Fit the logistic baseline. Unbalanced by default so its probabilities stay probabilities (Brier)."""
    from sklearn.linear_model import LogisticRegression

    med = np.nanmedian(X, axis=0) if len(X) else np.zeros(X.shape[1])
    med = np.where(np.isnan(med), 0.0, med)
    Xf = np.where(np.isnan(X), med, X)
    t = np.sign(Xf) * np.log1p(np.abs(Xf))
    mean, scale = t.mean(axis=0), t.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    lr = LogisticRegression(max_iter=3000, class_weight="balanced" if balanced else None)
    lr.fit((t - mean) / scale, y)
    return LogisticModel(tuple(features), tuple(map(float, med)), tuple(map(float, mean)), tuple(map(float, scale)),
                         tuple(float(c) for c in lr.coef_[0]), float(lr.intercept_[0]))


@dataclass
class RiskModel:
    """The main model: a LightGBM booster (text format) and the calibration map of its raw scores."""

    features: tuple[str, ...]
    booster_text: str
    calibration: Calibration
    threshold: float
    params: dict[str, Any]
    _booster: Any = field(default=None, repr=False, compare=False)

    def booster(self) -> Any:
        if self._booster is None:
            lightgbm, _ = ml_modules()
            self._booster = lightgbm.Booster(model_str=self.booster_text)
        return self._booster

    def raw(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster().predict(X), dtype=float)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities."""
        return np.clip(self.calibration.apply(self.raw(X)), 0.0, 1.0)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Tree SHAP values per feature (log-odds of the raw score; the last column is the bias)."""
        return np.asarray(self.booster().predict(X, pred_contrib=True), dtype=float)

    def to_json(self) -> str:
        return json.dumps({"format": "argus.risk-model/v1", "features": list(self.features),
                           "booster": self.booster_text, "calibration": self.calibration.as_dict(),
                           "threshold": self.threshold, "params": self.params})

    @classmethod
    def from_json(cls, text: str) -> RiskModel:
        d = json.loads(text)
        if d.get("format") != "argus.risk-model/v1":
            raise InputError("not an Argus risk model artefact (format argus.risk-model/v1)")
        return cls(tuple(d["features"]), d["booster"], Calibration.from_dict(d["calibration"]),
                   float(d["threshold"]), dict(d["params"]))


def recency_weights(n: int, half_life: float | None) -> np.ndarray | None:
    """Row weights of time-ordered training rows (oldest first) that halve every ``half_life`` × ``n`` rows
    back from the newest (JIT data drifts: recent changes say more about the next ones); None: all equal."""
    if not half_life or n == 0:
        return None
    age = (n - 1 - np.arange(n, dtype=float)) / n
    return np.asarray(0.5 ** (age / float(half_life)), dtype=float)


def _train_booster(X: np.ndarray, y: np.ndarray, params: Mapping[str, Any], names: Sequence[str]) -> Any:
    lightgbm, _ = ml_modules()
    p = dict(params)
    rounds = int(p.pop("n_estimators", 200))
    # the leaf minimum tuned on 19k changes would forbid every split on a small history: at most 5 % of rows
    p["min_child_samples"] = int(min(p.get("min_child_samples", 20), max(5, len(y) // 20)))
    pos = float(y.sum())
    if p.pop("balance", True) and 0 < pos < len(y):
        p["scale_pos_weight"] = (len(y) - pos) / pos  # class imbalance: positives weigh as much as negatives
    weights = recency_weights(len(y), p.pop("recency_half_life", None))
    ds = lightgbm.Dataset(X, label=y, weight=weights, feature_name=[n.replace(" ", "_") for n in names],
                          free_raw_data=True, params={"verbose": -1})
    return lightgbm.train(p, ds, num_boost_round=rounds)


def fit_risk_model(X: np.ndarray, y: np.ndarray, features: Sequence[str], *,
                   params: Mapping[str, Any] | None = None,
                   calibration: CalibrationMethod = CalibrationMethod.ISOTONIC,
                   calibration_fraction: float = 0.2) -> RiskModel:
    """Train on time-ordered rows (oldest first): a booster on the first ``1 − calibration_fraction`` of
    them is scored on the newest ``calibration_fraction``, which fits the calibration map and the operating
    threshold; then the booster is refitted on all rows with the same parameters, and the map applied to it.
    """
    p = {**DEFAULT_PARAMS, **(params or {})}
    if len(np.unique(y)) < 2:
        raise InputError("the training rows have one class only: no model can be trained")
    k = int(len(y) * (1 - calibration_fraction))
    if 0 < k < len(y) and len(np.unique(y[:k])) == 2 and len(np.unique(y[k:])) == 2:
        sub = _train_booster(X[:k], y[:k], p, features)
        raw_hold = np.asarray(sub.predict(X[k:]), dtype=float)
        cal = fit_calibration(raw_hold, y[k:], calibration)
        threshold = best_threshold(y[k:], cal.apply(raw_hold))
    else:
        cal, threshold = Calibration(CalibrationMethod.ISOTONIC), 0.5
    full = _train_booster(X, y, p, features)
    return RiskModel(tuple(features), full.model_to_string(), cal, threshold, {k_: v for k_, v in p.items()})


# --------------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Our model and the two baselines on one time-ordered test part."""

    model: Metrics
    lapredict: Metrics
    logistic: Metrics
    train_rows: int
    test_rows: int
    train_from: float
    train_to: float
    test_from: float
    test_to: float


def evaluate_split(X: np.ndarray, y: np.ndarray, times: np.ndarray, features: Sequence[str], train_fraction: float,
                   *, params: Mapping[str, Any] | None = None,
                   calibration: CalibrationMethod = CalibrationMethod.ISOTONIC) -> tuple[Evaluation, RiskModel]:
    """Split by time, train our model and both baselines on the older part, measure them on the newer."""
    split = time_split(times, train_fraction)
    Xtr, ytr, Xte, yte = X[split.train], y[split.train], X[split.test], y[split.test]
    model = fit_risk_model(Xtr, ytr, features, params=params, calibration=calibration)
    names = list(features)
    la = names.index("la")
    lap = fit_logistic(Xtr[:, [la]], ytr, ["la"])
    kamei = [names.index(k) for k in KAMEI if k in names]
    lr = fit_logistic(Xtr[:, kamei], ytr, [names[i] for i in kamei])
    lr_thr = best_threshold(ytr, lr.predict(Xtr[:, kamei]))
    la_thr = best_threshold(ytr, lap.predict(Xtr[:, [la]]))
    t = np.asarray(times, dtype=float)
    ev = Evaluation(
        model=metrics(yte, model.predict(Xte), model.threshold),
        lapredict=metrics(yte, lap.predict(Xte[:, [la]]), la_thr),
        logistic=metrics(yte, lr.predict(Xte[:, kamei]), lr_thr),
        train_rows=len(split.train), test_rows=len(split.test),
        train_from=float(t[split.train].min()), train_to=float(t[split.train].max()),
        test_from=float(t[split.test].min()), test_to=float(t[split.test].max()))
    return ev, model
