"""Runbooks (indexed Markdown), feedback on them, proposed actions and postmortems (docs/incidents.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class Runbook(ProjectOwned, Base):
    """One Markdown runbook as indexed: front-matter fields, body, its tokens (BM25 document) and the
    content hash that makes re-indexing idempotent (``key``: the path relative to the indexed folder)."""

    __tablename__ = "runbook"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(Json, default=list)
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    risk: Mapped[str] = mapped_column(String(10))
    impact: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    body: Mapped[str] = mapped_column(Text)
    tokens: Mapped[list[str]] = mapped_column(Json, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    warnings: Mapped[list[str]] = mapped_column(Json, default=list)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    present: Mapped[bool] = mapped_column(Boolean, default=True)


class RunbookFeedback(ProjectOwned, Base):
    """Did runbook X help with incident Y (one verdict per incident and runbook; the last one counts)."""

    __tablename__ = "runbook_feedback"
    __table_args__ = (UniqueConstraint("project_id", "incident_id", "runbook_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbook.id", ondelete="CASCADE"), index=True)
    helped: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunbookAction(ProjectOwned, Base):
    """An action that changes a system (rollback, scale, restart …) proposed for an incident from a
    runbook, with its review tier. Never executed by Argus: ``approved`` records who and when only."""

    __tablename__ = "runbook_action"
    __table_args__ = (UniqueConstraint("project_id", "incident_id", "runbook_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbook.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(String(200))
    risk: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float] = mapped_column(Float)
    review_tier: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class Postmortem(ProjectOwned, Base):
    """The postmortem draft of an incident (Markdown) and what a later incident matches it by."""

    __tablename__ = "postmortem"
    __table_args__ = (UniqueConstraint("project_id", "incident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    service: Mapped[str | None] = mapped_column(String(200))
    services: Mapped[list[str]] = mapped_column(Json, default=list)
    cause: Mapped[str | None] = mapped_column(Text)
    cause_source: Mapped[str] = mapped_column(String(40))
    markdown: Mapped[str] = mapped_column(Text)
    tokens: Mapped[list[str]] = mapped_column(Json, default=list)
    facts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
