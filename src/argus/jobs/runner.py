"""Run one job try: claim the record, run its function, record success or failure (retry with
backoff, or the dead-letter state ``failed`` after the last try). The same on every backend."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.jobs.records import Claimed

log = logging.getLogger("argus.jobs")


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    #: The try failed; run the job again after ``delay_s``.
    RETRY = "retry"
    #: The last try failed: the job is dead-lettered (status ``failed``).
    FAILED = "failed"
    #: Not runnable (already done, failed, or being run by another worker): nothing happened.
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RunOutcome:
    job_id: int
    outcome: Outcome
    delay_s: float = 0.0
    error: str | None = None
    #: When the next try may run (RETRY only).
    retry_at: datetime | None = None
    #: The job's kind (None when no try ran).
    kind: str | None = None


def execute(runtime: Runtime, project: str, job_id: int) -> RunOutcome:
    """One try of job ``job_id`` of ``project``."""
    from argus.core.clock import utcnow
    from argus.jobs import records
    from argus.jobs.tasks import KINDS

    def take(scope: ProjectScope) -> Claimed | datetime | None:
        return records.claim(scope.session, job_id, utcnow()) or records.waiting_until(scope.session, job_id)

    job = runtime.in_project(project, take)
    if job is None:
        return RunOutcome(job_id, Outcome.SKIPPED)
    if isinstance(job, datetime):  # woken before its retry time (clocks differ): try again then
        return RunOutcome(job_id, Outcome.RETRY, retry_at=job)
    try:
        fn = KINDS.get(job.kind)
        if fn is None:
            raise LookupError(f"unknown job kind {job.kind!r} (known: {', '.join(sorted(KINDS))})")
        result = fn(runtime, project, job.args)
    except Exception as exc:
        settings = runtime.settings.jobs
        final = job.attempt >= job.max_attempts
        delay = 0.0 if final else records.backoff_s(job.attempt, settings.backoff_base_s, settings.backoff_max_s)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.warning("job %s (%s of %s) try %d/%d failed: %s", job_id, job.kind, project, job.attempt,
                    job.max_attempts, error)

        now = utcnow()
        retry_at = records.later(now, delay)

        def failed(scope: ProjectScope) -> None:
            records.fail(scope.session, job_id, error, final=final, retry_at=retry_at, now=now)

        runtime.in_project(project, failed)
        if final:
            return RunOutcome(job_id, Outcome.FAILED, error=error, kind=job.kind)
        return RunOutcome(job_id, Outcome.RETRY, delay, error, retry_at, job.kind)

    def done(scope: ProjectScope) -> None:
        records.succeed(scope.session, job_id, result, utcnow())

    runtime.in_project(project, done)
    log.info("job %s (%s of %s) succeeded: %s", job_id, job.kind, project, result)
    return RunOutcome(job_id, Outcome.SUCCEEDED, kind=job.kind)
