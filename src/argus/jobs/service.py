"""Use cases of jobs: record the jobs of an upload or a schedule tick, list them, queue a failed one
again; and the cross-project reads a worker and the metrics need."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from argus.app.runtime import qualified
from argus.core.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from argus.analysis.incidents.readmodels import IngestOutcome
    from argus.app.runtime import ProjectScope, Runtime
    from argus.jobs.records import JobView

log = logging.getLogger("argus.jobs")

@dataclass(frozen=True)
class Dispatched:
    """The jobs of one dispatch: ``new`` were recorded now and must be run; ``existing`` were
    dispatched before (the same upload or tick again) and are not run again."""

    project: str
    new: tuple[int, ...]
    existing: tuple[int, ...]


def upload_key(run_ids: Iterable[int]) -> str:
    """The idempotency key of an upload's jobs: its runs (order and repeats do not matter)."""
    ids = ",".join(str(i) for i in sorted(set(run_ids)))
    return "upload:" + hashlib.sha256(ids.encode()).hexdigest()[:40]


def record_jobs(runtime: Runtime, project: str, kinds: Sequence[str], key: str,
                args: dict[str, object] | None = None) -> Dispatched:
    """Record one job per kind under ``key`` for ``project`` (one unit of work)."""
    from argus.core.clock import utcnow
    from argus.jobs import records

    max_attempts = runtime.settings.jobs.max_attempts

    def work(scope: ProjectScope) -> Dispatched:
        now = utcnow()
        new: list[int] = []
        old: list[int] = []
        for job_id, created in records.record_many(scope.session, list(dict.fromkeys(kinds)), key, args or {},
                                                   max_attempts=max_attempts, now=now):
            (new if created else old).append(job_id)
        return Dispatched(project, tuple(new), tuple(old))  # the reference as given (may be org/project)

    return runtime.in_project(project, work)


def record_upload(runtime: Runtime, project: str, run_ids: Sequence[int]) -> Dispatched:
    from argus.jobs.tasks import AFTER_UPLOAD

    return record_jobs(runtime, project, AFTER_UPLOAD, upload_key(run_ids), {"run_ids": sorted(set(run_ids))})


def record_upload_in(scope: ProjectScope, run_ids: Sequence[int]) -> tuple[int, ...]:
    """:func:`record_upload` inside the caller's unit of work (the upload's own: the job records commit
    with the results, one transaction instead of two); the ids of the jobs recorded now (a job of the
    same runs recorded before is not run again)."""
    from argus.core.clock import utcnow
    from argus.jobs import records
    from argus.jobs.tasks import AFTER_UPLOAD

    rows = records.record_many(scope.session, AFTER_UPLOAD, upload_key(run_ids), {"run_ids": sorted(set(run_ids))},
                               max_attempts=scope.settings.jobs.max_attempts, now=utcnow())
    return tuple(job_id for job_id, created in rows if created)


def record_tick(runtime: Runtime, kinds: Sequence[str], tick: datetime) -> list[Dispatched]:
    """The jobs of one schedule tick for every project (the same tick again records nothing new)."""
    key = f"tick:{tick:%Y-%m-%dT%H:%M}" + (f":{tick:%S}" if tick.second else "")  # a 6-field cron ticks in seconds
    return [record_jobs(runtime, slug, kinds, key) for slug in project_slugs(runtime)]


def project_slugs(runtime: Runtime) -> list[str]:
    """Every project of every organisation, as ``org/project`` references (:func:`qualified`)."""
    from argus.store.projects import list_projects

    with runtime.unit_of_work() as s:
        return [qualified(o, p) for o, p in list_projects(s)]


@dataclass(frozen=True)
class ListJobsRequest:
    project: str | None = None
    failed_only: bool = False
    limit: int = 50


def list_jobs(runtime: Runtime, req: ListJobsRequest) -> tuple[JobView, ...]:
    """The project's jobs, newest first (only the dead-lettered ones with ``failed_only``)."""
    from argus.jobs import records

    status = records.JobStatus.FAILED.value if req.failed_only else None

    def work(scope: ProjectScope) -> tuple[JobView, ...]:
        return tuple(records.views(scope.session, scope.project.slug, status=status, limit=req.limit))

    return runtime.in_project(req.project, work)


def requeue_failed(runtime: Runtime, job_id: int, project: str | None) -> JobView:
    """Queue the failed job ``job_id`` again (not found: 5; not failed: bad input, 6)."""
    from argus.core.clock import utcnow
    from argus.jobs import records

    def work(scope: ProjectScope) -> JobView:
        found = records.views(scope.session, scope.project.slug, ids=(job_id,), limit=1)
        if not found:
            raise NotFoundError(f"job {job_id}: no such job in project {scope.project.slug!r}")
        if not records.requeue(scope.session, job_id, utcnow()):
            raise InputError(f"job {job_id}: it is {found[0].status}, only a failed job can be retried")
        return records.views(scope.session, scope.project.slug, ids=(job_id,), limit=1)[0]

    return runtime.in_project(project, work)


def due_jobs(runtime: Runtime, now: datetime, limit: int = 100) -> list[tuple[str, int]]:
    """(``org/project``, job id) of runnable jobs whose time has come, oldest first, over every project
    of every organisation (what ``argus worker`` runs on SQLite)."""
    from sqlalchemy import select

    from argus.jobs.records import RUNNABLE
    from argus.store.models import JobRecord, Organisation, Project
    from argus.store.session import unscoped

    with runtime.unit_of_work() as s, unscoped(s, reason="worker: due jobs of every project"):
        rows = s.execute(
            select(Organisation.slug, Project.slug, JobRecord.id).join(Project, Project.id == JobRecord.project_id)
            .join(Organisation, Organisation.id == Project.org_id)
            .where(JobRecord.status.in_(RUNNABLE), JobRecord.run_after <= now)
            .order_by(JobRecord.run_after, JobRecord.id).limit(limit)
        )
        return [(qualified(org, slug), int(i)) for org, slug, i in rows]


def job_counts(runtime: Runtime) -> dict[str, int]:
    """Jobs by status over every project (for metrics: counts only, no tenant data)."""
    from sqlalchemy import func, select

    from argus.jobs.records import JobStatus
    from argus.store.models import JobRecord
    from argus.store.session import unscoped

    counts = {s.value: 0 for s in JobStatus}
    with runtime.unit_of_work() as s, unscoped(s, reason="metrics: job counts of every project"):
        for status, n in s.execute(select(JobRecord.status, func.count()).group_by(JobRecord.status)):
            counts[status] = int(n)
    return counts


@dataclass(frozen=True)
class Retried:
    """A failed job queued again: ``job`` as it is now; ``ran_here`` when this process ran the try
    (SQLite), else it was handed to ``argus worker`` (PostgreSQL)."""

    job: JobView
    ran_here: bool


def retry_job(runtime: Runtime, job_id: int, project: str | None) -> Retried:
    """Queue the failed job again and start it: on PostgreSQL defer it to the workers, on SQLite run one
    try now (a failure counts as the first try of its fresh budget; the worker takes the rest)."""
    from argus.jobs import records
    from argus.jobs.dispatch import uses_queue
    from argus.jobs.runner import execute

    job = requeue_failed(runtime, job_id, project)
    ref = project or runtime.settings.default_project  # may be ``org/project``: keep the organisation
    if uses_queue(runtime):
        from argus.jobs.queue import JobQueue

        q = JobQueue(runtime)
        try:
            q.defer(ref, (job_id,))
        finally:
            q.close()
        return Retried(job, ran_here=False)
    execute(runtime, ref, job_id)

    def work(scope: ProjectScope) -> JobView:
        return records.views(scope.session, scope.project.slug, ids=(job_id,), limit=1)[0]

    return Retried(runtime.in_project(ref, work), ran_here=True)


@dataclass(frozen=True)
class Reclaimed:
    """A running job whose lease ran out, taken back: ``retrying`` (at ``run_after``) or ``failed``."""

    project: str
    job_id: int
    kind: str
    attempt: int
    max_attempts: int
    worker: str | None
    status: str
    run_after: datetime


def reclaim_stale(runtime: Runtime, now: datetime | None = None, limit: int = 500) -> list[Reclaimed]:
    """Take back the running jobs of every project whose lease ran out before ``now`` (their worker was
    killed or stopped mid-job): each goes to ``retrying`` after its backoff, or ``failed`` (the dead
    letters) when that was its last try. Safe to run from many workers at once: a job is reclaimed once."""
    from sqlalchemy import select

    from argus.core.clock import utcnow
    from argus.jobs import records
    from argus.store.models import Organisation, Project
    from argus.store.session import unscoped

    settings = runtime.settings.jobs
    now = now or utcnow()
    out: list[Reclaimed] = []
    with runtime.unit_of_work() as s, unscoped(s, reason="worker: reclaim jobs whose lease ran out"):
        stale = []
        for job_id in records.stale_ids(s, now, limit):
            got = records.reclaim(s, job_id, now, backoff_base_s=settings.backoff_base_s,
                                  backoff_max_s=settings.backoff_max_s)
            if got is not None:
                stale.append(got)
        refs: dict[int, str] = {}
        if stale:
            for pid, org, slug in s.execute(select(Project.id, Organisation.slug, Project.slug)
                                            .join(Organisation, Organisation.id == Project.org_id)
                                            .where(Project.id.in_({x.project_id for x in stale}))):
                refs[int(pid)] = qualified(org, slug)
    for x in stale:
        out.append(Reclaimed(refs[x.project_id], x.id, x.kind, x.attempt, x.max_attempts, x.worker, x.status,
                             x.run_after))
        log.warning("job %s (%s of %s): lease of try %d/%d (worker %s) ran out: now %s", x.id, x.kind,
                    refs[x.project_id], x.attempt, x.max_attempts, x.worker, x.status)
    return out


@dataclass(frozen=True)
class Scoring:
    """The anomaly-scoring job recorded after new metric points arrived: ``job`` as it is now;
    ``ran_here`` when this process ran it (SQLite), else it was handed to ``argus worker``
    (PostgreSQL); ``new`` False when the same points had recorded it before (nothing run again)."""

    job: JobView
    ran_here: bool
    new: bool


def score_new_points(runtime: Runtime, project: str | None, key: str) -> Scoring:
    """Record the scoring job of points that just arrived (idempotent by ``key``) and start it: on
    PostgreSQL defer it to the workers (when procrastinate cannot take it, the next worker start does),
    on SQLite run it now. What ``argus metrics ingest|pull`` call."""
    from argus.jobs.tasks import SCORE

    return start_job(runtime, project, SCORE, key)


def retrain_risk(runtime: Runtime, project: str | None, key: str, *, force: bool = False) -> Scoring:
    """Record the change-risk retraining job (idempotent by ``key``) and start it like
    :func:`score_new_points`. What ``argus models drift --retrain`` and the API's retrain route call."""
    from argus.jobs.tasks import RISK_RETRAIN

    return start_job(runtime, project, (RISK_RETRAIN,), key, {"force": force})


def start_job(runtime: Runtime, project: str | None, kinds: Sequence[str], key: str,
              args: dict[str, object] | None = None) -> Scoring:
    """Record one job (idempotent by ``key``) and start it: deferred to the workers on PostgreSQL, run in
    this process on SQLite."""
    from argus.jobs import records

    ref = project or runtime.settings.default_project
    d = record_jobs(runtime, ref, kinds, key, args)
    (job_id,) = d.new or d.existing
    ran_here = bool(d.new) and _hand_over(runtime, ref, job_id, "job %s of %s was recorded but not handed to the "
                                          "workers (%s: %s); `argus worker` will run it")

    def work(scope: ProjectScope) -> JobView:
        return records.views(scope.session, scope.project.slug, ids=(job_id,), limit=1)[0]

    return Scoring(runtime.in_project(ref, work), ran_here, bool(d.new))


def notify_key(outcome: IngestOutcome, now: datetime) -> str | None:
    """The idempotency key of the notification job after an alert ingest (None: the ingest opened,
    joined or resolved no incident, so there is nothing new to tell). Ingests of the same second share
    one job; what a later one of that second queued goes out at the next ``notify_cron`` tick."""
    if not (outcome.incidents_opened or outcome.incidents_joined or outcome.incidents_resolved):
        return None
    return f"alerts:{now:%Y-%m-%dT%H:%M:%S}"


def notify_after_ingest(runtime: Runtime, project: str | None, outcomes: Sequence[IngestOutcome]) -> int | None:
    """Record the notification job of alert ingests that opened or changed an incident and start it: on
    PostgreSQL defer it to the workers, on SQLite run it now (what ``argus alerts ingest`` calls; the
    server uses its dispatcher). The job's id, or None when nothing changed or no channel is configured."""
    from argus.core.clock import utcnow
    from argus.jobs.tasks import NOTIFY

    now = utcnow()
    keys = [k for k in (notify_key(o, now) for o in outcomes) if k is not None]
    if not keys or not runtime.settings.incidents.channels:
        return None
    ref = project or runtime.settings.default_project
    d = record_jobs(runtime, ref, NOTIFY, keys[0])
    (job_id,) = d.new or d.existing
    if d.new:
        _hand_over(runtime, ref, job_id, "notification job %s of %s was recorded but not handed to the workers "
                   "(%s: %s)")
    return job_id


def _hand_over(runtime: Runtime, ref: str, job_id: int, failed: str) -> bool:
    """Start the just recorded job ``job_id``: on PostgreSQL defer it to the workers (a failure to defer is
    logged with the format ``failed``: the record stays, and `argus worker` defers due records again
    when it starts), on SQLite run it in this process. True when it ran here."""
    from argus.jobs.dispatch import uses_queue
    from argus.jobs.runner import execute

    if not uses_queue(runtime):
        execute(runtime, ref, job_id)
        return True
    from argus.jobs.queue import JobQueue

    try:
        q = JobQueue(runtime)
        try:
            q.defer(ref, (job_id,))
        finally:
            q.close()
    except Exception as exc:  # recorded: `argus worker` defers due records again when it starts
        log.warning(failed, job_id, ref, type(exc).__name__, exc)
    return False
