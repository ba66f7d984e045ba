"""Stored insights with their evidence rows, and feedback on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class InsightRow(ProjectOwned, Base):
    """An insight as stored; ``claims`` holds [{text, support, contradictions}] in claim order."""

    __tablename__ = "insight"
    __table_args__ = (
        Index("ix_insight_project_kind_created", "project_id", "kind", "created_at"),
        Index("ix_insight_subject", "project_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(1000))
    subject_label: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    claims: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    raw_confidence: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    confidence_low: Mapped[float | None] = mapped_column(Float)
    confidence_high: Mapped[float | None] = mapped_column(Float)
    grounding: Mapped[str] = mapped_column(String(20))
    review_tier: Mapped[str] = mapped_column(String(20))
    action: Mapped[str | None] = mapped_column(String(40))
    uncertainty: Mapped[list[str]] = mapped_column(Json, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    provenance: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("insight.id", ondelete="SET NULL"))


class EvidenceRow(ProjectOwned, Base):
    """One evidence item of one claim: a typed reference to a stored row, with strength and detail."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    insight_id: Mapped[int] = mapped_column(ForeignKey("insight.id", ondelete="CASCADE"), index=True)
    claim_index: Mapped[int] = mapped_column(Integer)
    ref_type: Mapped[str] = mapped_column(String(40))
    ref_id: Mapped[str] = mapped_column(String(1000))
    strength: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text)
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Feedback(ProjectOwned, Base):
    """A human verdict on an insight; feeds calibration."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    insight_id: Mapped[int] = mapped_column(ForeignKey("insight.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
