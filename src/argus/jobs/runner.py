"""Run one job try: claim the record (leased to this worker), run its function while a heartbeat
renews the lease, record success or failure (retry with backoff, or the dead-letter state ``failed``
after the last try). The same on every backend.

A try whose lease ran out (the worker was killed) is reclaimed by :func:`argus.jobs.service.reclaim_stale`;
the attempt number fences it: a try that outlived its lease (a paused process) writes nothing at the end.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
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


def worker_id() -> str:
    """This process as a lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """Renews the lease of one try every third of ``lease_s`` on a daemon thread until stopped."""

    def __init__(self, runtime: Runtime, project: str, job_id: int, attempt: int) -> None:
        self.runtime, self.project, self.job_id, self.attempt = runtime, project, job_id, attempt
        self.lease_s = runtime.settings.jobs.lease_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"argus-job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        from argus.core.clock import utcnow
        from argus.jobs import records

        while not self._stop.wait(self.lease_s / 3):
            try:
                held = self.runtime.in_project(self.project, lambda scope: records.heartbeat(
                    scope.session, self.job_id, self.attempt, utcnow(), self.lease_s))
            except Exception:  # a missed beat is not fatal: the lease lasts three of them
                log.exception("job %s: the lease could not be renewed", self.job_id)
                continue
            if not held:
                self.lost = True
                log.warning("job %s try %d: the lease was lost (reclaimed); its result will not be recorded",
                            self.job_id, self.attempt)
                return


def execute(runtime: Runtime, project: str, job_id: int) -> RunOutcome:
    """One try of job ``job_id`` of ``project``."""
    from argus.core.clock import utcnow
    from argus.jobs import records
    from argus.jobs.tasks import KINDS

    lease_s = runtime.settings.jobs.lease_s

    def take(scope: ProjectScope) -> Claimed | datetime | None:
        return (records.claim(scope.session, job_id, utcnow(), lease_s=lease_s, worker=worker_id())
                or records.waiting_until(scope.session, job_id))

    job = runtime.in_project(project, take)
    if job is None:
        return RunOutcome(job_id, Outcome.SKIPPED)
    if isinstance(job, datetime):  # woken before its retry time (clocks differ): try again then
        return RunOutcome(job_id, Outcome.RETRY, retry_at=job)
    try:
        fn = KINDS.get(job.kind)
        if fn is None:
            raise LookupError(f"unknown job kind {job.kind!r} (known: {', '.join(sorted(KINDS))})")
        with Heartbeat(runtime, project, job_id, job.attempt):
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

        def failed(scope: ProjectScope) -> bool:
            return records.fail(scope.session, job_id, error, final=final, retry_at=retry_at, now=now,
                                attempt=job.attempt)

        if not runtime.in_project(project, failed):
            log.warning("job %s try %d: reclaimed while it ran; its failure is not recorded", job_id, job.attempt)
            return RunOutcome(job_id, Outcome.SKIPPED, kind=job.kind)
        if final:
            return RunOutcome(job_id, Outcome.FAILED, error=error, kind=job.kind)
        return RunOutcome(job_id, Outcome.RETRY, delay, error, retry_at, job.kind)

    def done(scope: ProjectScope) -> bool:
        return records.succeed(scope.session, job_id, result, utcnow(), attempt=job.attempt)

    if not runtime.in_project(project, done):
        log.warning("job %s try %d: reclaimed while it ran; its result is not recorded", job_id, job.attempt)
        return RunOutcome(job_id, Outcome.SKIPPED, kind=job.kind)
    log.info("job %s (%s of %s) succeeded: %s", job_id, job.kind, project, result)
    return RunOutcome(job_id, Outcome.SUCCEEDED, kind=job.kind)
