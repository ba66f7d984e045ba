"""Job records: create (idempotent per kind and key), claim, finish, fail, list, queue again.

Every function takes a project-scoped session (:class:`argus.app.runtime.ProjectScope`) and never
commits; :mod:`argus.jobs.runner` and :mod:`argus.jobs.service` own the units of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: States a job can be claimed from (a worker runs it).
RUNNABLE = (JobStatus.QUEUED.value, JobStatus.RETRYING.value)
#: Longest kept error text (the traceback's last line is what matters).
MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class JobView:
    """One job as ``argus jobs list`` shows it."""

    id: int
    project: str
    kind: str
    key: str
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    result: Mapping[str, Any] | None
    created_at: datetime
    updated_at: datetime
    run_after: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class Claimed:
    """A job a worker now owns (status ``running``; ``attempt`` counts this try)."""

    id: int
    kind: str
    args: Mapping[str, Any]
    attempt: int
    max_attempts: int


def record(session: Session, kind: str, key: str, args: Mapping[str, Any], *, max_attempts: int,
           now: datetime) -> tuple[int, bool]:
    """The job (kind, key) of the bound project: its id and whether it was created now (False: it was
    dispatched before and is not run again)."""
    from sqlalchemy import select

    from argus.store.models import JobRecord
    from argus.store.session import current_project_id
    from argus.store.upsert import insert_ignore

    values = {"project_id": current_project_id(session), "kind": kind, "key": key, "args": dict(args),
              "status": JobStatus.QUEUED.value, "attempts": 0, "max_attempts": max_attempts,
              "created_at": now, "updated_at": now, "run_after": now}
    table: Any = JobRecord.__table__
    new_id = insert_ignore(session, table, values, ("project_id", "kind", "key"), returning=table.c.id)
    if new_id is not None:
        return int(new_id), True
    existing = session.scalar(select(JobRecord.id).where(JobRecord.kind == kind, JobRecord.key == key))
    assert existing is not None
    return int(existing), False


def claim(session: Session, job_id: int, now: datetime) -> Claimed | None:
    """Take the job for this try (None when it is not runnable: done, failed, run by another worker, or
    waiting for its retry time).

    One conditional ``UPDATE``: of two workers claiming the same job, one gets it (on PostgreSQL the
    second waits for the first's commit, then finds the status changed)."""
    from sqlalchemy import update

    from argus.store.models import JobRecord

    res: Any = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status.in_(RUNNABLE), JobRecord.run_after <= now)
        .values(status=JobStatus.RUNNING.value, attempts=JobRecord.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return None
    row = session.get(JobRecord, job_id, populate_existing=True)
    assert row is not None
    return Claimed(row.id, row.kind, dict(row.args or {}), row.attempts, row.max_attempts)


def waiting_until(session: Session, job_id: int) -> datetime | None:
    """When a runnable job that could not be claimed may run (None: it is not waiting)."""
    from sqlalchemy import select

    from argus.store.models import JobRecord

    return session.scalar(select(JobRecord.run_after).where(JobRecord.id == job_id, JobRecord.status.in_(RUNNABLE)))


def succeed(session: Session, job_id: int, result: Mapping[str, Any], now: datetime) -> None:
    _set(session, job_id, status=JobStatus.SUCCEEDED.value, result=dict(result), last_error=None,
         updated_at=now, finished_at=now)


def fail(session: Session, job_id: int, error: str, *, final: bool, retry_at: datetime, now: datetime) -> None:
    """Record a failed try: ``retrying`` (run again at ``retry_at``) or, when ``final``, ``failed``."""
    status = JobStatus.FAILED.value if final else JobStatus.RETRYING.value
    _set(session, job_id, status=status, last_error=error[-MAX_ERROR_CHARS:], updated_at=now,
         run_after=retry_at, finished_at=now if final else None)


def requeue(session: Session, job_id: int, now: datetime) -> bool:
    """Queue a failed job again with a fresh budget of tries (False: it is not failed)."""
    from sqlalchemy import update

    from argus.store.models import JobRecord

    res: Any = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == JobStatus.FAILED.value)
        .values(status=JobStatus.QUEUED.value, attempts=0, updated_at=now, run_after=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(res.rowcount == 1)


def _set(session: Session, job_id: int, **values: Any) -> None:
    from sqlalchemy import update

    from argus.store.models import JobRecord

    session.execute(update(JobRecord).where(JobRecord.id == job_id).values(**values)
                    .execution_options(synchronize_session=False))


def views(session: Session, project: str, *, status: str | None = None, limit: int = 50,
          ids: tuple[int, ...] | None = None) -> list[JobView]:
    """The project's jobs, newest first (ties by id, descending)."""
    from sqlalchemy import select

    from argus.store.models import JobRecord

    stmt = select(JobRecord)
    if status is not None:
        stmt = stmt.where(JobRecord.status == status)
    if ids is not None:
        stmt = stmt.where(JobRecord.id.in_(ids))
    rows = session.scalars(stmt.order_by(JobRecord.created_at.desc(), JobRecord.id.desc()).limit(limit))
    return [JobView(r.id, project, r.kind, r.key, r.status, r.attempts, r.max_attempts, r.last_error,
                    r.result, r.created_at, r.updated_at, r.run_after, r.finished_at) for r in rows]


def backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """Wait after the ``attempt``-th failed try: ``base * 2**(attempt-1)``, at most ``max_s``."""
    return float(min(max_s, base_s * (2 ** max(0, attempt - 1))))


def later(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
