"""Dead letters (rejected inputs with their reason) and failure clusters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class DeadLetter(ProjectOwned, Base):
    """An input that was refused; nothing of it was stored elsewhere.

    One row per (project, source, ``dedupe_key``): the same rejected content seen again bumps
    ``count`` and ``last_seen_at``. ``dedupe_key`` is the content hash, or for an unreadable input a
    hash of its name and reason. ``excerpt`` is short and redacted (see ``argus.ingest.deadletter``);
    the file itself is never stored.
    """

    __tablename__ = "dead_letter"
    __table_args__ = (
        Index("ix_dead_letter_project_created", "project_id", "created_at"),
        UniqueConstraint("project_id", "source", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(30))
    source_name: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(30))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FailureCluster(ProjectOwned, Base):
    """A group of failures believed to share one root cause."""

    __tablename__ = "failure_cluster"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(Text)
    stack_fingerprint: Mapped[str | None] = mapped_column(String(64))
    failure_type: Mapped[str | None] = mapped_column(Text)
    samples: Mapped[list[str]] = mapped_column(Json, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("test_run.id", ondelete="SET NULL"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("test_run.id", ondelete="SET NULL"))
    state: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
