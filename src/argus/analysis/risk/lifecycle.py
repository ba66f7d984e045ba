"""Pure model-lifecycle functions: champion/challenger decision, population stability index (drift),
retraining triggers, risk levels, and isolation-forest anomaly flags over the prediction log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------- levels


def level_of(p: float, warn: float = 0.4, block: float = 0.7) -> str:
    """GO ≤ ``warn`` < WARN ≤ ``block`` < BLOCK (seed thresholds 0.4 and 0.7)."""
    return "BLOCK" if p > block else "WARN" if p > warn else "GO"


RECOMMENDATION = {
    "GO": "Low risk: proceed with the normal checks.",
    "WARN": "Medium risk: run the impacted tests (or the full suite) and ask for a careful review.",
    "BLOCK": "High risk: run the full test suite and get a manual review before merging or deploying.",
}

# --------------------------------------------------------------------------------------------- promotion


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def challenge(champion: Mapping[str, Any] | None, challenger: Mapping[str, Any], *, min_gain: float = 0.0,
              max_brier_loss: float = 0.01) -> Decision:
    """Whether the challenger replaces the champion, both measured on the SAME time-ordered holdout.

    It wins when its AUC exceeds the champion's by more than ``min_gain`` and its Brier score is not worse
    by more than ``max_brier_loss``. Without a champion, the first model becomes active.
    """
    if champion is None:
        return Decision(True, "first model: no active version to beat")
    ca, ha = champion.get("auc"), challenger.get("auc")
    if ha is None:
        return Decision(False, "the holdout has one class only: AUC undefined, nothing to compare")
    if ca is None:
        return Decision(True, "the champion has no AUC on this holdout")
    cb, hb = float(champion["brier"]), float(challenger["brier"])
    if ha <= ca + min_gain:
        return Decision(False, f"holdout AUC {ha:.4f} does not beat the active version's {ca:.4f}"
                        + (f" by more than {min_gain:g}" if min_gain else ""))
    if hb > cb + max_brier_loss:
        return Decision(False, f"holdout AUC {ha:.4f} > {ca:.4f} but Brier {hb:.4f} is worse than {cb:.4f} "
                        f"by more than {max_brier_loss:g}")
    return Decision(True, f"holdout AUC {ha:.4f} > {ca:.4f} (Brier {hb:.4f} vs {cb:.4f})")


# --------------------------------------------------------------------------------------------- drift

_EPS = 1e-4


def reference_bins(values: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    """Quantile bin edges of the training values and the share of them in each bin (NaN: its own bin)."""
    v = np.asarray(values, dtype=float)
    finite = v[~np.isnan(v)]
    if len(finite) == 0:
        return {"edges": [], "expected": [1.0]}
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
    return {"edges": [float(e) for e in edges], "expected": [float(x) for x in _shares(v, edges)]}


def _shares(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    nan = np.isnan(v)
    counts = np.bincount(np.searchsorted(edges, v[~nan], side="right"), minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, float(nan.sum()))
    return counts / max(len(v), 1)


def psi(reference: Mapping[str, Sequence[float]], values: np.ndarray) -> float:
    """Population stability index of ``values`` against a :func:`reference_bins` reference:
    Σ (a − e) · ln(a / e) over the bins (shares floored at 1e-4). < 0.1 stable, 0.1–0.25 moderate, > 0.25 large."""
    edges = np.asarray(reference["edges"], dtype=float)
    e = np.asarray(reference["expected"], dtype=float)
    a = _shares(np.asarray(values, dtype=float), edges)
    if len(e) != len(a):
        return 0.0
    e, a = np.maximum(e, _EPS), np.maximum(a, _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


# --------------------------------------------------------------------------------------------- triggers


@dataclass(frozen=True)
class TriggerInputs:
    new_labels: int
    days_since_training: float
    max_psi: float | None
    accuracy: float | None
    outcomes: int


@dataclass(frozen=True)
class Trigger:
    name: str
    fired: bool
    detail: str


def triggers(x: TriggerInputs, *, new_labels: int = 50, days: float = 7.0, drift_psi: float = 0.3,
             min_accuracy: float = 0.8, min_outcomes: int = 20) -> tuple[Trigger, ...]:
    """The four retraining triggers (any one fired means retrain); defaults are the seed's."""
    acc_known = x.accuracy is not None and x.outcomes >= min_outcomes
    return (
        Trigger("new_labels", x.new_labels >= new_labels,
                f"{x.new_labels} labelled change(s) since training (threshold {new_labels})"),
        Trigger("age", x.days_since_training > days,
                f"trained {x.days_since_training:.1f} day(s) ago (threshold {days:g})"),
        Trigger("drift", x.max_psi is not None and x.max_psi > drift_psi,
                "no recent data to compare" if x.max_psi is None else
                f"largest PSI {x.max_psi:.3f} (threshold {drift_psi:g})"),
        Trigger("accuracy", bool(acc_known and x.accuracy is not None and x.accuracy < min_accuracy),
                f"accuracy {x.accuracy:.3f} over {x.outcomes} backfilled outcome(s) (threshold {min_accuracy:g})"
                if acc_known and x.accuracy is not None else
                f"{x.outcomes} backfilled outcome(s); {min_outcomes} needed"),
    )


# --------------------------------------------------------------------------------------------- anomalies


@dataclass(frozen=True)
class AnomalyFlag:
    index: int
    score: float  # scikit-learn score_samples: about -0.5 is ordinary, towards -1 more anomalous
    severity: str


def severity_of(score: float, high: float = -0.8, medium: float = -0.65, low: float = -0.55) -> str:
    return "high" if score < high else "medium" if score < medium else "low" if score < low else "normal"


ANOMALY_ACTION = {
    "high": "Immediate investigation required: possible data drift or model degradation",
    "medium": "Monitor closely: may indicate emerging pattern changes",
    "low": "Log for analysis: minor deviation detected",
}


def prediction_anomalies(matrix: np.ndarray, *, contamination: float = 0.05, trees: int = 100,
                         max_samples: int = 256, seed: int = 7) -> tuple[np.ndarray, list[AnomalyFlag]]:
    """Isolation forest over the prediction log's rows (probability, feature count, hour, weekday, latency,
    change from the previous prediction); returns every row's score and the rows the forest isolates."""
    from sklearn.ensemble import IsolationForest

    X = np.nan_to_num(np.asarray(matrix, dtype=float), nan=-1.0)
    forest = IsolationForest(n_estimators=trees, max_samples=min(max_samples, len(X)),
                             contamination=contamination, random_state=seed).fit(X)
    scores = forest.score_samples(X)
    flagged = np.flatnonzero(forest.predict(X) == -1)
    # a row the forest isolates is at least a "low" anomaly, whatever its score
    return scores, [AnomalyFlag(int(i), float(scores[i]), severity_of(float(scores[i])).replace("normal", "low"))
                    for i in flagged]
