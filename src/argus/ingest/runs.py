"""Find or create the :class:`TestRun` an artefact belongs to, race-free, and update its counters in SQL.

**CI identity.** A run with a CI run id is identified by ``(provider, run id, job, attempt, job id)``
(see :mod:`argus.ingest.ci_env` for where each comes from), stored as ``test_run.ci_key`` (a hash),
unique per project: parallel jobs naming the same identity share one row (``INSERT … ON CONFLICT DO
NOTHING`` then select). A *missing job* is resolved against the CI run (provider + run id):

* an artefact **without a job** (typically coverage or a scan ingested with only ``--run-id``) joins
  the CI run's job when the CI run has exactly one (its latest attempt); with none or several jobs it
  goes to the CI run's job-less run (one per CI run and attempt), which the build groups with the
  jobs' runs all the same;
* an artefact **with a job**, when no run has its identity yet and the CI run's only run is job-less,
  takes that run over (sets its job): the artefacts of a one-job CI run meet in one run whatever
  order they arrive in.

Without a CI run id every ingestion creates its own run (``ci_key`` NULL).

**Concurrency.** On PostgreSQL the two job-less rules read before they write, so they run under a
transaction-level advisory lock on the CI run (``pg_advisory_xact_lock``); on SQLite every writer holds
the database's write lock for its whole transaction (``BEGIN IMMEDIATE``, :mod:`argus.core.db`).
Counters are added with ``UPDATE … SET tests = tests + :n`` (:func:`add_counts`) at the end of the
writer's transaction, so concurrent writers of one run never lose each other's counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, case, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from argus.core.clock import as_utc, utcnow
from argus.ingest.ci_env import CiMetadata
from argus.store.base import UTCDateTime
from argus.store.models import TestRun
from argus.store.models.testing import ci_key_of
from argus.store.session import current_project_id, project_connection

_RUN: Table = TestRun.__table__  # type: ignore[assignment]
_C = _RUN.c


def ci_key(meta: CiMetadata) -> str | None:
    """The stored CI identity of ``meta`` (``None`` without a CI run id)."""
    return ci_key_of(meta.provider, meta.run_id, meta.job, meta.attempt, meta.job_id)


def advisory_lock(session: Session, *parts: object) -> None:
    """Hold a PostgreSQL transaction-level advisory lock on ``parts`` until commit/rollback.

    No-op on SQLite, whose writers are already serialised by ``BEGIN IMMEDIATE``.
    """
    connection = project_connection(session)
    if connection.dialect.name != "postgresql":
        return
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    connection.execute(_LOCK, {"k": int.from_bytes(digest[:8], "big", signed=True)})


# Statements of the hot path built once (with bound parameters): building a Core statement and its
# cache key per call cost more than running it.
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_CI_RUN_COLUMNS = (_C.id, _C.ci_job, _C.ci_attempt, _C.ci_key)
_CI_RUN_ROWS = {
    has_provider: select(*_CI_RUN_COLUMNS).where(
        _C.project_id == bindparam("project_id"),
        _C.ci_provider == bindparam("provider") if has_provider else _C.ci_provider.is_(None),
        _C.ci_run_id == bindparam("run_id")).order_by(_C.id)
    for has_provider in (True, False)
}
_BY_KEY = select(_C.id).where(_C.project_id == bindparam("project_id"), _C.ci_key == bindparam("key"))


def _ci_run_rows(session: Session, project_id: int, meta: CiMetadata) -> list[Any]:
    params = {"project_id": project_id, "run_id": meta.run_id}
    if meta.provider is not None:
        params["provider"] = meta.provider
    return list(project_connection(session).execute(_CI_RUN_ROWS[meta.provider is not None], params))


def _by_key(session: Session, project_id: int, key: str) -> int | None:
    found = project_connection(session).execute(_BY_KEY, {"project_id": project_id, "key": key}).scalar()
    return int(found) if found is not None else None


def _joined_job_run(rows: Sequence[Any]) -> int | None:
    """The latest attempt of the CI run's only job, if it has exactly one job."""
    jobs = {r.ci_job for r in rows if r.ci_job is not None}
    if len(jobs) != 1:
        return None
    return int(max((r for r in rows if r.ci_job is not None), key=lambda r: (r.ci_attempt, r.id)).id)


def find_run(session: Session, meta: CiMetadata) -> int | None:
    """The run an artefact with ``meta`` would join, without creating one (``None`` when it would be new
    or has no CI run id)."""
    key = ci_key(meta)
    if key is None:
        return None
    project_id = current_project_id(session)
    if meta.job is None:
        rows = _ci_run_rows(session, project_id, meta)
        joined = _joined_job_run(rows)
        if joined is not None:
            return joined
        if meta.provider:  # a run of this key has this provider and CI run id: it is one of ``rows``
            return next((int(r.id) for r in rows if r.ci_key == key), None)
    return _by_key(session, project_id, key)


def resolve_run(session: Session, meta: CiMetadata, started_at: datetime | None = None, *,
                looked_up: bool = False) -> tuple[int, bool]:
    """Return ``(run id, created)`` for an artefact with ``meta`` (see the module doc for the rules).

    ``looked_up``: the caller's :func:`find_run` found no run in this transaction just before, so the
    unlocked look-up is skipped (the locked one below is what decides).
    A found run is not modified here (:func:`touch_run` fills in what it lacks at the end of the
    transaction, so that concurrent writers of one run do not hold its row lock while they insert).
    """
    project_id = current_project_id(session)
    key = ci_key(meta)
    if key is not None:
        if meta.job is not None and not looked_up:
            found = _by_key(session, project_id, key)
            if found is not None:
                return found, False
        advisory_lock(session, "argus-ci-run", project_id, meta.provider, meta.run_id)
        rows = _ci_run_rows(session, project_id, meta)
        if meta.job is None:
            joined = _joined_job_run(rows)
            if joined is not None:
                return joined, False
        else:
            # the run of this identity, if any, is one of the CI run's rows (same provider and run id)
            same = next((r for r in rows if r.ci_key == key), None)
            if same is not None:
                return int(same.id), False
            if len(rows) == 1 and rows[0].ci_job is None:  # a job-less run of a one-run CI run: take it over
                project_connection(session).execute(
                    update(_RUN).where(_C.id == rows[0].id, _C.ci_job.is_(None))
                    .values(ci_job=meta.job, ci_attempt=meta.attempt, ci_job_id=meta.job_id, ci_key=key)
                )
                return int(rows[0].id), False
    now = utcnow()
    values = {
        "project_id": project_id, "commit_sha": meta.commit_sha, "branch": meta.branch,
        "ci_provider": meta.provider, "ci_job": meta.job, "ci_run_id": meta.run_id, "ci_job_id": meta.job_id,
        "ci_attempt": meta.attempt, "ci_key": key, "ci_url": meta.url, "environment": dict(meta.environment),
        "started_at": as_utc(started_at) if started_at is not None else now, "ingested_at": now,
    }
    connection = project_connection(session)  # Core on the connection: no ORM statement on the hot path
    created = connection.execute(_INSERT_RUN[connection.dialect.name == "postgresql"], values).scalar()
    if created is not None:
        return int(created), True
    assert key is not None  # a NULL key never conflicts
    found = _by_key(session, project_id, key)
    if found is None:  # pragma: no cover - the conflicting row is committed or ours
        raise RuntimeError(f"CI run {meta.run_id!r}: conflicting run not found")
    return found, False


#: ``INSERT INTO test_run … ON CONFLICT (project_id, ci_key) DO NOTHING RETURNING id`` (by: PostgreSQL?).
_INSERT_RUN = {pg: (postgresql.insert if pg else sqlite.insert)(_RUN)
               .on_conflict_do_nothing(index_elements=["project_id", "ci_key"]).returning(_C.id)
               for pg in (True, False)}


def touch_run(session: Session, run_id: int, meta: CiMetadata, started_at: datetime | None = None) -> None:
    """Fill in what the run lacks from ``meta`` (commit, branch, URL, environment keys) and move its start
    back to ``started_at`` when earlier, in SQL (``COALESCE``/``CASE``: concurrent writers do not
    overwrite each other). The environment merge reads after the row is locked by this update."""
    values: dict[str, Any] = {}
    if meta.commit_sha is not None:
        values["commit_sha"] = func.coalesce(_C.commit_sha, meta.commit_sha)
    if meta.branch is not None:
        values["branch"] = func.coalesce(_C.branch, meta.branch)
    if meta.url is not None:
        values["ci_url"] = func.coalesce(_C.ci_url, meta.url)
    if started_at is not None:
        at = literal(as_utc(started_at), UTCDateTime())
        values["started_at"] = case((_C.started_at > at, at), else_=_C.started_at)
    if not values and not meta.environment:
        return
    stmt = update(_RUN).where(_C.id == run_id).values(**(values or {"id": _C.id})).returning(_C.environment)
    env = project_connection(session).execute(stmt).scalar() or {}
    if meta.environment and any(env.get(k) != v for k, v in meta.environment.items()):
        project_connection(session).execute(
            update(_RUN).where(_C.id == run_id).values(environment={**env, **meta.environment})
        )


def _finished(start: datetime | None, duration_s: float) -> datetime:
    try:
        return min(start + timedelta(seconds=duration_s), utcnow()) if start is not None else utcnow()
    except OverflowError:  # bounded durations summed over a huge run: past datetime's range
        return utcnow()


def add_counts(session: Session, run_id: int, tests: int, passed: int, failed: int, errors: int, skipped: int,
               duration_s: float, *, own_start: datetime | None = None) -> None:
    """Add stored reports' totals to the run atomically, then set its end from its (locked) start.

    The end is start + reported test time, never later than now (ingesting right after the tests gives
    about now; back-filling old reports must not stretch the build to the ingest date).
    ``own_start``: the run was created empty by this transaction with this start (no other writer can
    see it before the commit), so its end is known here and one statement does it all.
    """
    params = {"run": run_id, "n_tests": tests, "n_passed": passed, "n_failed": failed, "n_errors": errors,
              "n_skipped": skipped, "n_duration_s": duration_s}
    connection = project_connection(session)
    if own_start is not None:
        connection.execute(_ADD_COUNTS_AND_END, {**params, "end": _finished(as_utc(own_start), duration_s)})
        return
    row = connection.execute(_ADD_COUNTS, params).one()
    start = as_utc(row.started_at) if row.started_at is not None else None
    connection.execute(_SET_END, {"run": run_id, "end": _finished(start, row.duration_s)})


_COUNTS = {c: getattr(_C, c) + bindparam(f"n_{c}") for c in ("tests", "passed", "failed", "errors", "skipped",
                                                              "duration_s")}
_ADD_COUNTS = update(_RUN).where(_C.id == bindparam("run")).values(**_COUNTS).returning(_C.started_at, _C.duration_s)
_ADD_COUNTS_AND_END = update(_RUN).where(_C.id == bindparam("run")).values(
    **_COUNTS, finished_at=bindparam("end", type_=UTCDateTime()))
_SET_END = update(_RUN).where(_C.id == bindparam("run")).values(finished_at=bindparam("end", type_=UTCDateTime()))


def delete_run(session: Session, run_id: int) -> None:
    """Delete a run this transaction created and stored nothing in (no orphan empty runs)."""
    project_connection(session).execute(_RUN.delete().where(_C.id == run_id))


def find_or_create_run(session: Session, meta: CiMetadata, started_at: datetime | None = None) -> TestRun:
    """:func:`resolve_run` + :func:`touch_run`, returning the ORM row (for callers outside the hot path)."""
    run_id, created = resolve_run(session, meta, started_at)
    if not created:
        touch_run(session, run_id, meta, started_at)
    run = session.get(TestRun, run_id, populate_existing=True)
    assert run is not None
    return run
