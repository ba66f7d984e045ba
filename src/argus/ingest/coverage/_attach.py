"""Attach a quality report (coverage, vulnerabilities) to its CI run, idempotently (run + content)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from argus.ingest.ci_env import CiMetadata
from argus.ingest.runs import advisory_lock, find_run, resolve_run, touch_run
from argus.store.models import TestRun
from argus.store.session import current_project_id
from argus.store.upsert import insert_ignore


def find_duplicate(session: Session, model: Any, content_hash: str, meta: CiMetadata) -> Any | None:
    """An already stored report of ``model`` with this content for the same run, if any.

    With a CI run id the run is the one :mod:`argus.ingest.runs` resolves (found, not created, here);
    without one (a local ingestion) the same content for the same commit counts as the same report,
    checked under a PostgreSQL advisory lock on the content (SQLite: the write lock) so that parallel
    copies of one file store it once.
    """
    stmt = select(model).where(model.content_hash == content_hash)
    if meta.run_id is not None:
        run_id = find_run(session, meta)
        if run_id is None:
            return None
        stmt = stmt.where(model.run_id == run_id)
    else:
        advisory_lock(session, f"argus-{model.__tablename__}", current_project_id(session), content_hash)
        stmt = stmt.join(TestRun, TestRun.id == model.run_id).where(
            TestRun.ci_key.is_(None),
            TestRun.commit_sha.is_(None) if meta.commit_sha is None else TestRun.commit_sha == meta.commit_sha,
        )
    return session.scalars(stmt.order_by(model.id).limit(1)).first()


def attach_run(session: Session, meta: CiMetadata) -> int:
    """The run the report belongs to (found or created), with what it lacks filled in from ``meta``."""
    run_id, created = resolve_run(session, meta)
    if not created:
        touch_run(session, run_id, meta)
    return run_id


def insert_report(session: Session, model: Any, values: dict[str, Any]) -> Any | None:
    """Insert the report row unless the run already has this content (a concurrent copy); return the
    ORM row, or ``None`` for such a duplicate."""
    table: Table = model.__table__
    new_id = insert_ignore(session, table, values, ["project_id", "run_id", "content_hash"], returning=table.c.id)
    return None if new_id is None else session.get(model, new_id)


def store_report(session: Session, model: Any, content_hash: str, meta: CiMetadata,
                 values: dict[str, Any]) -> tuple[Any, bool]:
    """The report row of ``model`` for this content and run: the one already stored (``True``: a
    duplicate, also when a concurrent process stored it meanwhile), else a new row of ``values`` attached
    to its run (``False``: the caller then stores the report's rows)."""
    existing = find_duplicate(session, model, content_hash, meta)
    if existing is not None:
        return existing, True
    run_id = attach_run(session, meta)
    row = insert_report(session, model, {"project_id": current_project_id(session), "run_id": run_id,
                                         "content_hash": content_hash, **values})
    if row is None:  # stored meanwhile by a concurrent process for this run
        row = find_duplicate(session, model, content_hash, meta)
        assert row is not None  # the conflicting row is committed (PostgreSQL waited for it) or ours
        return row, True
    return row, False
