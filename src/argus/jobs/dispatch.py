"""The upload hook: record the jobs of an upload and hand them to the backend's runner.

``dispatcher_for(runtime)`` gives the server's ``app.state.on_upload``: on PostgreSQL a
:class:`QueueDispatcher` (procrastinate: ``argus worker`` processes run the jobs), on SQLite an
:class:`InProcessDispatcher` (a thread of the server runs them after the response). Either way the
hook only writes the job records (one short transaction) and never raises: a failure to record is
logged (the upload stays stored; the scheduled re-analysis covers it), a failure to hand recorded jobs
to procrastinate too (``argus worker`` defers every due record again when it starts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.jobs.executor import InProcessExecutor
    from argus.jobs.queue import JobQueue
    from argus.jobs.service import Dispatched

log = logging.getLogger("argus.jobs")


class Dispatcher(Protocol):
    def __call__(self, project: str, run_ids: Sequence[int]) -> Dispatched | None: ...

    def submit(self, project: str, job_ids: tuple[int, ...]) -> None: ...

    def dispatch(self, project: str, kinds: Sequence[str], key: str, args: dict[str, object] | None = None
                 ) -> Dispatched | None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class _Base:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        #: Called with the job's kind after every failed try run in this process (metrics).
        self.on_failure: Callable[[str], None] | None = None

    def __call__(self, project: str, run_ids: Sequence[int]) -> Dispatched | None:
        """Record the upload's jobs and start the new ones (None when that failed; it is logged)."""
        from argus.jobs.service import record_upload

        try:
            d = record_upload(self.runtime, project, run_ids)
        except Exception:
            log.exception("jobs of the upload of runs %s to %s were not recorded", list(run_ids), project)
            return None
        if d.new:
            try:
                self.submit(d.project, d.new)
            except Exception:  # recorded: `argus worker` defers due records again when it starts
                log.exception("jobs %s of %s were recorded but not handed to the workers", list(d.new), project)
        return d

    def record_in(self, scope: ProjectScope, run_ids: tuple[int, ...]) -> tuple[int, ...]:
        """Record the upload's jobs in the upload's own unit of work (``UploadRequest.on_stored``): they
        commit with its results; :meth:`hand_over` then starts the new ones after the response."""
        from argus.jobs.service import record_upload_in

        return record_upload_in(scope, run_ids)

    def hand_over(self, project: str, job_ids: tuple[int, ...]) -> None:
        """Start jobs recorded by :meth:`record_in` (never raises: a failure is logged, and ``argus
        worker`` defers every due record again when it starts)."""
        if not job_ids:
            return
        try:
            self.submit(project, job_ids)
        except Exception:
            log.exception("jobs %s of %s were recorded but not handed to the workers", list(job_ids), project)

    def submit(self, project: str, job_ids: tuple[int, ...]) -> None:
        raise NotImplementedError

    def start(self) -> None:
        return None

    def dispatch(self, project: str, kinds: Sequence[str], key: str, args: dict[str, object] | None = None
                 ) -> Dispatched | None:
        """Record the jobs ``kinds`` under ``key`` and start the new ones (None when recording failed:
        logged; the schedules cover it). What a push of metric points uses."""
        from argus.jobs.service import record_jobs

        try:
            d = record_jobs(self.runtime, project, kinds, key, args)
        except Exception:
            log.exception("jobs %s (%s) of %s were not recorded", list(kinds), key, project)
            return None
        if d.new:
            try:
                self.submit(d.project, d.new)
            except Exception:
                log.exception("jobs %s of %s were recorded but not handed to the workers", list(d.new), project)
        return d

    def record_failure(self, kind: str) -> None:
        if self.on_failure is not None:
            self.on_failure(kind)

    def close(self) -> None:
        return None


class InProcessDispatcher(_Base):
    """SQLite: run the jobs in a thread of this process."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._executor: InProcessExecutor | None = None

    @property
    def executor(self) -> InProcessExecutor:
        if self._executor is None:
            from argus.jobs.executor import InProcessExecutor

            self._executor = InProcessExecutor(self.runtime, self.record_failure)
        return self._executor

    def submit(self, project: str, job_ids: tuple[int, ...]) -> None:
        if self.runtime.settings.jobs.in_process:
            self.executor.submit(project, job_ids)

    def start(self) -> None:
        """Start the executor now (the server's start-up): it reclaims what a killed process left running."""
        if self.runtime.settings.jobs.in_process:
            _ = self.executor

    def drain(self, timeout_s: float | None = None) -> bool:
        return self._executor is None or self._executor.drain(timeout_s)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None


class QueueDispatcher(_Base):
    """PostgreSQL: defer one procrastinate job per record; ``argus worker`` runs them."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._queue: JobQueue | None = None

    @property
    def queue(self) -> JobQueue:
        if self._queue is None:
            from argus.jobs.queue import JobQueue

            self._queue = JobQueue(self.runtime)
        return self._queue

    def submit(self, project: str, job_ids: tuple[int, ...]) -> None:
        self.queue.defer(project, job_ids)

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()
            self._queue = None


def uses_queue(runtime: Runtime) -> bool:
    """Whether jobs go through procrastinate (PostgreSQL) rather than the in-process executor."""
    return runtime.settings.effective_database_url.startswith("postgresql")


def dispatcher_for(runtime: Runtime) -> InProcessDispatcher | QueueDispatcher:
    return QueueDispatcher(runtime) if uses_queue(runtime) else InProcessDispatcher(runtime)
