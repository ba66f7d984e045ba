"""Retention: delete a project's rows older than :class:`~argus.core.settings.jobs.RetentionSettings`
allows, one batch per unit of work (a long delete never holds locks for long and a crash loses at
most one batch; the next run continues)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.core.settings.jobs import RetentionSettings


def _plan(settings: RetentionSettings) -> list[tuple[str, int | None, Callable[[], tuple[Any, Any, Any]]]]:
    """(data type, days, model / age column / extra condition) for every data type."""

    def runs() -> tuple[Any, Any, Any]:
        from argus.store.models import TestRun

        return TestRun, TestRun.started_at, None

    def insights() -> tuple[Any, Any, Any]:
        from argus.store.models import InsightRow

        return InsightRow, InsightRow.created_at, None

    def dead_letters() -> tuple[Any, Any, Any]:
        from argus.store.models import DeadLetter

        return DeadLetter, DeadLetter.last_seen_at, None

    def jobs() -> tuple[Any, Any, Any]:
        from argus.jobs.records import JobStatus
        from argus.store.models import JobRecord

        return JobRecord, JobRecord.finished_at, JobRecord.status == JobStatus.SUCCEEDED.value

    return [("test_runs", settings.test_runs_days, runs), ("insights", settings.insights_days, insights),
            ("dead_letters", settings.dead_letters_days, dead_letters),
            ("job_records", settings.job_records_days, jobs)]


def apply(runtime: Runtime, project: str, settings: RetentionSettings, *, now: datetime | None = None,
          ) -> dict[str, int]:
    """Rows deleted per data type (a type with ``None`` days is kept forever and not listed)."""
    from argus.core.clock import utcnow

    now = now or utcnow()
    deleted: dict[str, int] = {}
    for name, days, target in _plan(settings):
        if days is None:
            continue
        model, column, extra = target()
        cutoff = now - timedelta(days=days)
        total = 0
        while True:
            def work(scope: ProjectScope, model: Any = model, column: Any = column, extra: Any = extra,
                     cutoff: datetime = cutoff) -> int:
                return delete_batch(scope, model, column, cutoff, settings.batch_size, extra)

            n = runtime.in_project(project, work)
            total += n
            if n < settings.batch_size:
                break
        deleted[name] = total
    return deleted


def delete_batch(scope: ProjectScope, model: Any, column: Any, cutoff: datetime, size: int, extra: Any = None) -> int:
    """Delete up to ``size`` rows of ``model`` (of the scope's project) with ``column`` before ``cutoff``.

    Test runs take their results first (by the indexed ``run_id``), then the run, whose reports,
    coverage and scans go by ``ON DELETE CASCADE``. On PostgreSQL the project's results lock is taken
    exclusive first (:mod:`argus.store.integrity`: an upload into one of these runs either commits
    before, and its results are deleted here, or waits and is refused)."""
    from sqlalchemy import delete, select

    from argus.store.integrity import results_lock
    from argus.store.models import TestResult, TestRun
    from argus.store.session import current_project_id, project_connection

    s = scope.session
    if model is TestRun:
        results_lock(project_connection(s), current_project_id(s), exclusive=True)
    stmt = select(model.id).where(column < cutoff)
    if extra is not None:
        stmt = stmt.where(extra)
    ids = list(s.scalars(stmt.order_by(model.id).limit(size)))
    if not ids:
        return 0
    if model is TestRun:
        s.execute(delete(TestResult).where(TestResult.run_id.in_(ids)).execution_options(synchronize_session=False))
    s.execute(delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
    return len(ids)
