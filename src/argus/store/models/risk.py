"""Model registry and prediction log of change risk (the model lifecycle, docs/analysis/risk.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class ModelVersion(ProjectOwned, Base):
    """One trained version of a named model: what it was trained on, how it scored, its artefact.

    ``artefact`` is JSON text (format ``argus.risk-model/v1``: the LightGBM booster in its own text format,
    the calibration knots, the logistic baseline's coefficients) — never a pickle. ``status`` is
    candidate | active | retired; ``reason`` says why a version was (not) promoted.
    """

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("project_id", "name", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    label: Mapped[str] = mapped_column(String(20))
    features: Mapped[list[str]] = mapped_column(Json, default=list)
    data_hash: Mapped[str] = mapped_column(String(64))
    data_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    train_rows: Mapped[int] = mapped_column(Integer, default=0)
    holdout_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holdout_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    metrics: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    reference: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # training distributions (PSI bins)
    artefact: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="candidate")
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RiskPrediction(ProjectOwned, Base):
    """One prediction: model version, features, output, latency; ``outcome`` backfilled when labels arrive."""

    __tablename__ = "risk_prediction"
    __table_args__ = (Index("ix_risk_prediction_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("model_version.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))  # a sha, or base..head
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    features: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    probability: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(10))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    insight_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[int | None] = mapped_column(Integer)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anomaly_score: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
