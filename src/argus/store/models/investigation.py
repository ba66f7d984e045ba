"""Incident investigation: immutable context snapshots and recorded outcomes (which hypothesis was the cause)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class IncidentSnapshot(ProjectOwned, Base):
    """What was known about an incident at one moment (never updated: a new snapshot is a new row).

    ``content`` is the snapshot (service and neighbours, changes, alerts, deviations, SLO state, CI
    signals, similar past incidents), every item with the table and id of its source row;
    ``content_hash`` its SHA-256; ``trigger`` detection | on_demand.
    """

    __tablename__ = "incident_snapshot"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))


class HypothesisOutcome(ProjectOwned, Base):
    """A person's verdict on one hypothesis of an incident: the cause (accepted) or not.

    ``factors`` are the hypothesis' factor scores when it was judged: the samples weights are learned
    from; ``kind`` its generator (F5 human validation history is the acceptance rate per kind).
    """

    __tablename__ = "hypothesis_outcome"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    hypothesis_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    #: kind/relation/nearness of the hypothesis (``deploy/self/close``): F5 is the acceptance rate per pattern
    pattern: Mapped[str] = mapped_column(String(80), default="")
    cause: Mapped[str] = mapped_column(String(300))
    insight_id: Mapped[int | None] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)
    factors: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentInvestigation(ProjectOwned, Base):
    """One run of the investigation of an incident: its snapshot, the ranked hypotheses (each an
    insight of kind ``incident_hypothesis``), the policy's verdict. The latest run is the current one."""

    __tablename__ = "incident_investigation"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("incident_snapshot.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(20))
    #: best first: key, kind, cause, title, insight_id, base, confidence, low, high, factors, weights, defaults
    hypotheses: Mapped[list[Any]] = mapped_column(Json, default=list)
    shown: Mapped[list[str]] = mapped_column(Json, default=list)
    conflicts: Mapped[list[str]] = mapped_column(Json, default=list)
    request: Mapped[str | None] = mapped_column(Text)
    auto_ack: Mapped[str | None] = mapped_column(String(300))
    weights: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
