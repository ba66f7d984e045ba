"""procrastinate on PostgreSQL: the transport of jobs between the server and ``argus worker``.

Our ``job_record`` row stays the job's state (list, retry, dead letters, metrics read it on both
databases); a procrastinate job only says "try record N of project P now (or at T)". A try that
failed and may be retried raises :class:`RetryLater`, which :class:`RecordBackoff` turns into a
procrastinate retry at our backoff; the last failure returns normally (the record says ``failed``).

Schema: procrastinate's tables, types and functions live in the same database (and search path) as
Argus's; ``argus db upgrade`` applies them when missing (:func:`apply_schema`), and so does
``argus worker`` (:func:`ensure_schema`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import procrastinate

    from argus.app.runtime import Runtime

RUN_JOB = "argus.run_job"
REANALYZE = "argus.reanalyze"
RETENTION = "argus.retention"
RECLAIM = "argus.reclaim"
SCORE = "argus.score_metrics"
NOTIFY = "argus.notify_incidents"


class RetryLater(Exception):
    """A job try failed and the record asks to be tried again at ``retry_at``."""

    def __init__(self, job_id: int, retry_at: datetime, error: str | None) -> None:
        super().__init__(f"job {job_id}: retry at {retry_at:%Y-%m-%d %H:%M:%S} UTC ({error})")
        self.retry_at = retry_at


def conninfo(database_url: str) -> str:
    """A libpq URL (what psycopg takes) from Argus's SQLAlchemy URL (query options such as the
    search path are kept)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError("procrastinate needs PostgreSQL")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(runtime: Runtime, *, schedules: bool = True) -> procrastinate.App:
    """The procrastinate app of ``runtime``: the job runner task, the periodic schedules (re-analysis,
    retention, anomaly scoring, incident notifications; their tasks without the schedule when ``schedules`` is False) and the
    periodic reclaim of jobs whose lease ran out (always)."""
    import procrastinate

    from argus.jobs.runner import Outcome, execute

    settings = runtime.settings.jobs

    class RecordBackoff(procrastinate.BaseRetryStrategy):
        def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
            if isinstance(exception, RetryLater):
                return procrastinate.RetryDecision(retry_at=exception.retry_at)
            return None

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(runtime.settings.effective_database_url)))

    @app.task(name=RUN_JOB, queue=settings.queue, retry=RecordBackoff())
    def run_job(project: str, job_id: int) -> str:
        out = execute(runtime, project, job_id)
        if out.outcome is Outcome.RETRY and out.retry_at is not None:
            raise RetryLater(job_id, out.retry_at, out.error)
        return out.outcome.value

    def defer_all(kinds: tuple[str, ...], timestamp: int) -> None:
        from argus.jobs.service import record_tick

        for d in record_tick(runtime, kinds, datetime.fromtimestamp(timestamp, UTC)):
            for job_id in d.new:
                run_job.defer(project=d.project, job_id=job_id)

    def periodic(**kw: Any) -> Any:
        return app.periodic(**kw) if schedules else (lambda task: task)

    @periodic(cron=settings.reanalyze_cron, periodic_id="reanalyze")
    @app.task(name=REANALYZE, queue=settings.queue)
    def reanalyze(timestamp: int) -> None:
        from argus.jobs.tasks import REANALYZE as KINDS

        defer_all(KINDS, timestamp)

    @periodic(cron=settings.retention_cron, periodic_id="retention")
    @app.task(name=RETENTION, queue=settings.queue)
    def retention(timestamp: int) -> None:
        from argus.jobs.tasks import RETENTION as KIND

        defer_all((KIND,), timestamp)

    @periodic(cron=settings.score_cron, periodic_id="score_metrics")
    @app.task(name=SCORE, queue=settings.queue)
    def score_metrics(timestamp: int) -> None:
        from argus.jobs.tasks import SCORE as KINDS

        defer_all(KINDS, timestamp)

    @periodic(cron=settings.notify_cron, periodic_id="notify_incidents")
    @app.task(name=NOTIFY, queue=settings.queue)
    def notify_incidents(timestamp: int) -> None:
        from argus.jobs.tasks import NOTIFY as KINDS

        if runtime.settings.incidents.channels:  # nobody to tell: no job records every minute
            defer_all(KINDS, timestamp)

    @app.periodic(cron=settings.reclaim_cron, periodic_id="reclaim")
    @app.task(name=RECLAIM, queue=settings.queue)
    def reclaim(timestamp: int) -> int:
        return reclaim_and_defer(runtime, app)

    return app


def reclaim_and_defer(runtime: Runtime, app: procrastinate.App) -> int:
    """Reclaim the jobs whose lease ran out (:func:`argus.jobs.service.reclaim_stale`) and defer those
    with tries left at their retry time; how many were reclaimed."""
    from argus.jobs.records import JobStatus
    from argus.jobs.service import reclaim_stale

    found = reclaim_stale(runtime)
    for r in found:
        if r.status == JobStatus.RETRYING.value:
            app.tasks[RUN_JOB].configure(schedule_at=r.run_after).defer(project=r.project, job_id=r.job_id)
    return len(found)


class JobQueue:
    """Defers job records to procrastinate from a synchronous process (the server)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.app = build_app(runtime)
        self._open = False

    def defer(self, project: str, job_ids: tuple[int, ...]) -> None:
        if not self._open:
            self.app.open()
            self._open = True
        if job_ids:  # one statement for all of them (an upload records two jobs per run)
            jobs: list[dict[str, Any]] = [{"project": project, "job_id": job_id} for job_id in job_ids]
            self.app.tasks[RUN_JOB].batch_defer(*jobs)

    def close(self) -> None:
        if self._open:
            self.app.close()
            self._open = False


#: The advisory lock that serialises applying procrastinate's schema (two ``argus db upgrade`` or
#: worker starts at once: one applies it, the other then finds it present).
SCHEMA_LOCK = 0x61726775_73000001


def schema_present(runtime: Runtime) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(runtime.engine()).has_table("procrastinate_jobs"))


def apply_schema(database_url: str) -> bool:
    """Apply procrastinate's schema to the PostgreSQL database of ``database_url`` when it is missing
    (True: it was applied now; False: it was there). Idempotent, and safe from many processes at once
    (a session advisory lock serialises them). What ``argus db upgrade`` and ``argus worker`` call."""
    import procrastinate
    from sqlalchemy import inspect, text

    from argus.core.db import create_db_engine

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
            try:
                if inspect(conn).has_table("procrastinate_jobs"):
                    return False
                app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
                with opened(app):
                    app.schema_manager.apply_schema()
                return True
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def ensure_schema(runtime: Runtime) -> bool:
    """Apply procrastinate's schema when it is missing (True: it was applied now)."""
    if schema_present(runtime):
        return False
    return apply_schema(runtime.settings.effective_database_url)


@contextmanager
def opened(app: procrastinate.App) -> Iterator[procrastinate.App]:
    app.open()
    try:
        yield app
    finally:
        app.close()


def resubmit_due(runtime: Runtime) -> int:
    """Defer every due job record again (those the server recorded while procrastinate's schema was
    missing, or whose procrastinate job was lost). Harmless for the others: a record is claimed once."""
    from argus.core.clock import utcnow
    from argus.jobs.service import due_jobs

    due = due_jobs(runtime, utcnow(), limit=10_000)
    if due:
        with opened(build_app(runtime)) as app:
            task = app.tasks[RUN_JOB]
            for start in range(0, len(due), 500):
                jobs: list[dict[str, Any]] = [{"project": p, "job_id": j} for p, j in due[start:start + 500]]
                task.batch_defer(*jobs)
    return len(due)


def run_worker(runtime: Runtime, *, wait: bool = True, concurrency: int = 1, schedules: bool = True) -> None:
    """Run a procrastinate worker on Argus's queue until stopped (``wait=False``: until it is idle).
    Applies procrastinate's schema first when missing, reclaims the jobs whose lease ran out (a killed
    worker's; then every ``reclaim_cron``), and defers the due records again."""
    ensure_schema(runtime)
    with opened(build_app(runtime)) as app:
        reclaim_and_defer(runtime, app)
    resubmit_due(runtime)
    app = build_app(runtime, schedules=schedules)
    app.run_worker(queues=[runtime.settings.jobs.queue], wait=wait, concurrency=concurrency,
                   install_signal_handlers=wait)
