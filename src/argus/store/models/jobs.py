"""Background job records: one row per (project, kind, key), the visible state of every job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class JobRecord(ProjectOwned, Base):
    """A background job of one project (see ``argus.jobs``).

    ``key`` makes dispatch idempotent: the same (kind, key), e.g. the flaky analysis of one upload's
    runs, is recorded and run once. ``status`` is ``queued`` → ``running`` → ``succeeded``, or back to
    ``retrying`` (with ``run_after``) after a failed try, and ``failed`` (the dead-letter state) once
    ``attempts`` reached ``max_attempts``; ``argus jobs retry`` queues a failed job again.

    A ``running`` job is leased: ``worker`` holds it until ``lease_until``, which the worker's heartbeat
    pushes forward while the try runs. A lease that ran out (the worker was killed) is reclaimed: the
    job goes back to ``retrying`` or, after its last try, to ``failed``.
    """

    __tablename__ = "job_record"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "key", name="uq_job_record_kind_key"),
        Index("ix_job_record_status_run_after", "status", "run_after"),
        Index("ix_job_record_project_created", "project_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    args: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who runs the current try (``host:pid``) and until when it holds the job (running jobs only).
    worker: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
