"""Job records: create (idempotent per kind and key), claim, finish, fail, list, queue again.

Every function takes a project-scoped session (:class:`argus.app.runtime.ProjectScope`) and never
commits; :mod:`argus.jobs.runner` and :mod:`argus.jobs.service` own the units of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    #: Who runs the current try and until when it holds the job (running jobs; None otherwise).
    worker: str | None = None
    lease_until: datetime | None = None


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


def record_many(session: Session, kinds: Sequence[str], key: str, args: Mapping[str, Any], *, max_attempts: int,
                now: datetime) -> list[tuple[int, bool]]:
    """:func:`record` of every kind of ``kinds`` under one ``key``, in their order: one multi-row
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for all of them, and one ``SELECT`` only when some
    were dispatched before (the same upload again). Same guarantees as :func:`record`."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from argus.store.models import JobRecord
    from argus.store.session import current_project_id

    if not kinds:
        return []
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"kinds repeated: {list(kinds)}")
    pid = current_project_id(session)
    rows = [{"project_id": pid, "kind": kind, "key": key, "args": dict(args), "status": JobStatus.QUEUED.value,
             "attempts": 0, "max_attempts": max_attempts, "created_at": now, "updated_at": now, "run_after": now}
            for kind in kinds]
    table: Any = JobRecord.__table__
    make = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # one statement shape whatever the rows (executemany: SQLAlchemy's "insertmanyvalues" sends one
    # multi-row INSERT … RETURNING); ``.values(rows)`` would be compiled anew on every call (≈ 1.5 ms)
    stmt = make(table).on_conflict_do_nothing(index_elements=["project_id", "kind", "key"])
    created = {kind: int(job_id) for job_id, kind in session.execute(stmt.returning(table.c.id, table.c.kind), rows)}
    missing = [kind for kind in kinds if kind not in created]
    existing: dict[str, int] = {}
    if missing:
        existing = {kind: int(job_id) for job_id, kind in session.execute(
            select(JobRecord.id, JobRecord.kind).where(JobRecord.kind.in_(missing), JobRecord.key == key))}
    return [(created[kind], True) if kind in created else (existing[kind], False) for kind in kinds]


def claim(session: Session, job_id: int, now: datetime, *, lease_s: float = 300.0,
          worker: str | None = None) -> Claimed | None:
    """Take the job for this try (None when it is not runnable: done, failed, run by another worker, or
    waiting for its retry time), leased to ``worker`` for ``lease_s`` seconds.

    One conditional ``UPDATE``: of two workers claiming the same job, one gets it (on PostgreSQL the
    second waits for the first's commit, then finds the status changed)."""
    from sqlalchemy import update

    from argus.store.models import JobRecord

    res: Any = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status.in_(RUNNABLE), JobRecord.run_after <= now)
        .values(status=JobStatus.RUNNING.value, attempts=JobRecord.attempts + 1, updated_at=now,
                worker=(worker or "")[:200] or None, lease_until=later(now, lease_s))
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


def heartbeat(session: Session, job_id: int, attempt: int, now: datetime, lease_s: float) -> bool:
    """Renew the lease of try ``attempt`` (False: the job is no longer that try's: its lease ran out and
    it was reclaimed)."""
    return _set_try(session, job_id, attempt, lease_until=later(now, lease_s))


def succeed(session: Session, job_id: int, result: Mapping[str, Any], now: datetime, attempt: int | None = None) -> bool:
    """Record the success of try ``attempt`` (False: the job is no longer that try's, nothing written)."""
    return _set_try(session, job_id, attempt, status=JobStatus.SUCCEEDED.value, result=dict(result),
                    last_error=None, updated_at=now, finished_at=now, worker=None, lease_until=None)


def fail(session: Session, job_id: int, error: str, *, final: bool, retry_at: datetime, now: datetime,
         attempt: int | None = None) -> bool:
    """Record a failed try: ``retrying`` (run again at ``retry_at``) or, when ``final``, ``failed``
    (False: the job is no longer try ``attempt``'s, nothing written)."""
    status = JobStatus.FAILED.value if final else JobStatus.RETRYING.value
    return _set_try(session, job_id, attempt, status=status, last_error=error[-MAX_ERROR_CHARS:], updated_at=now,
                    run_after=retry_at, finished_at=now if final else None, worker=None, lease_until=None)


def _set_try(session: Session, job_id: int, attempt: int | None, **values: Any) -> bool:
    """Update the job while try ``attempt`` still holds it (running, same attempt: the attempt is the
    fencing token of a lease); ``attempt`` None: unconditionally."""
    from sqlalchemy import update

    from argus.store.models import JobRecord

    stmt = update(JobRecord).where(JobRecord.id == job_id)
    if attempt is not None:
        stmt = stmt.where(JobRecord.status == JobStatus.RUNNING.value, JobRecord.attempts == attempt)
    res: Any = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    return bool(res.rowcount == 1)


@dataclass(frozen=True)
class Stale:
    """A running job whose lease ran out: what reclaiming it did."""

    id: int
    project_id: int
    kind: str
    attempt: int
    max_attempts: int
    worker: str | None
    #: ``retrying`` (tried again at ``run_after``) or ``failed`` (that was its last try).
    status: str
    run_after: datetime


def stale_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Ids of running jobs whose lease ran out before ``now`` (every project the session may see)."""
    from sqlalchemy import select

    from argus.store.models import JobRecord

    return [int(i) for i in session.scalars(
        select(JobRecord.id).where(JobRecord.status == JobStatus.RUNNING.value, JobRecord.lease_until.is_not(None),
                                   JobRecord.lease_until < now)
        .order_by(JobRecord.lease_until, JobRecord.id).limit(limit))]


def reclaim(session: Session, job_id: int, now: datetime, *, backoff_base_s: float, backoff_max_s: float) -> Stale | None:
    """Take back a running job whose lease ran out: ``retrying`` after the backoff of its try, or
    ``failed`` when it was the last try. None when it is not stale any more (finished or renewed, or
    another worker reclaimed it first: the update is conditional on the lease seen)."""
    from sqlalchemy import select, update

    from argus.store.models import JobRecord

    row = session.execute(
        select(JobRecord.id, JobRecord.project_id, JobRecord.kind, JobRecord.attempts, JobRecord.max_attempts,
               JobRecord.worker, JobRecord.lease_until)
        .where(JobRecord.id == job_id, JobRecord.status == JobStatus.RUNNING.value, JobRecord.lease_until < now)
    ).first()
    if row is None:
        return None
    final = row.attempts >= row.max_attempts
    retry_at = now if final else later(now, backoff_s(row.attempts, backoff_base_s, backoff_max_s))
    status = JobStatus.FAILED.value if final else JobStatus.RETRYING.value
    error = (f"LeaseExpired: try {row.attempts}/{row.max_attempts} was abandoned: its worker "
             f"{row.worker or '(unknown)'} sent no heartbeat after {row.lease_until:%Y-%m-%d %H:%M:%S} UTC "
             "(killed or stopped mid-job)")
    res: Any = session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == JobStatus.RUNNING.value,
               JobRecord.attempts == row.attempts, JobRecord.lease_until == row.lease_until)
        .values(status=status, last_error=error, updated_at=now, run_after=retry_at,
                finished_at=now if final else None, worker=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        return None
    return Stale(row.id, row.project_id, row.kind, row.attempts, row.max_attempts, row.worker, status, retry_at)


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
                    r.result, r.created_at, r.updated_at, r.run_after, r.finished_at, r.worker, r.lease_until)
            for r in rows]


def backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """Wait after the ``attempt``-th failed try: ``base * 2**(attempt-1)``, at most ``max_s``."""
    return float(min(max_s, base_s * (2 ** max(0, attempt - 1))))


def later(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
