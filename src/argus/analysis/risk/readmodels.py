"""Frozen read models of change risk and the model registry (what the CLI and API render)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ModelView:
    id: int
    name: str
    version: int
    algorithm: str
    status: str
    label: str
    params: dict[str, Any]
    features: tuple[str, ...]
    data_hash: str
    data_from: datetime | None
    data_to: datetime | None
    train_rows: int
    holdout_from: datetime | None
    holdout_to: datetime | None
    metrics: dict[str, Any]
    reason: str | None
    created_at: datetime
    promoted_at: datetime | None


@dataclass(frozen=True)
class TrainResult:
    model: ModelView
    champion: ModelView | None
    champion_metrics: dict[str, Any] | None
    promoted: bool
    reason: str


@dataclass(frozen=True)
class EvaluationView:
    model: ModelView
    holdout_rows: int
    holdout_from: datetime | None
    holdout_to: datetime | None
    metrics: dict[str, Any]  # {"model": {...}, "lapredict": {...}, "logistic": {...}}


@dataclass(frozen=True)
class Factor:
    feature: str
    value: float | None
    contribution: float  # log-odds (tree SHAP of the booster)


@dataclass(frozen=True)
class SimilarChange:
    sha: str
    summary: str
    time: datetime
    distance: float
    szz: bool
    ci_failed: bool | None


@dataclass(frozen=True)
class ImpactedTests:
    """The tests a change impacts (coverage map: tests executing a changed file) and the tests to run
    (test selection's safe mode; ``selected`` None when selection could not run)."""

    count: int
    total: int
    share: float
    selected: int | None
    to_run: tuple[str, ...]
    full_suite_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RiskAssessment:
    subject: str
    commits: tuple[str, ...]
    probability: float
    score: int  # 0–100
    level: str
    recommendation: str
    factors: tuple[Factor, ...]
    similar: tuple[SimilarChange, ...]
    model: ModelView
    prediction_ids: tuple[int, ...]
    insight_id: int | None
    per_commit: tuple[tuple[str, float], ...]
    tests: ImpactedTests | None = None


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float


@dataclass(frozen=True)
class TriggerView:
    name: str
    fired: bool
    detail: str


@dataclass(frozen=True)
class DriftReport:
    model: ModelView
    recent_rows: int
    features: tuple[FeatureDrift, ...]
    score_psi: float | None
    backfilled: int
    outcomes: int
    accuracy: float | None
    triggers: tuple[TriggerView, ...]
    retrain: bool
    anomalies_scored: int
    anomalies_flagged: int
    anomaly_insight_ids: tuple[int, ...]
