"""The in-process executor (SQLite): one daemon thread of the server runs the jobs an upload recorded,
after the HTTP response; a failed try is run again after its backoff (a timer), the last failure
leaves the job ``failed``. The state is in ``job_record``, so ``argus worker`` picks up what a stopped
server left queued.

It also records the notification schedule's ticks (``notify_cron``, checked every ``tick_s``) and
runs their jobs. When idle (and when it starts) the thread sweeps for jobs whose lease ran out — a server or worker
killed mid-job left them ``running`` — every ``sweep_s`` (default: a third of the lease): each is
reclaimed (:func:`argus.jobs.service.reclaim_stale`) and, when it has tries left, run again here after
its backoff; after its last try it stays ``failed`` (``argus jobs list --failed``)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argus.app.runtime import Runtime

log = logging.getLogger("argus.jobs")


class InProcessExecutor:
    """Runs job tries one at a time on a background thread (SQLite has one writer anyway)."""

    def __init__(self, runtime: Runtime, on_failure: Callable[[str], None] | None = None,
                 sweep_s: float | None = None, tick_s: float = 15.0) -> None:
        self._runtime = runtime
        self._sweep_s = sweep_s if sweep_s is not None else max(1.0, runtime.settings.jobs.lease_s / 3)
        #: How often the notification schedule (``notify_cron``) is checked for a due tick.
        self._tick_s = tick_s
        #: Jobs this executor reclaimed (newest last; for logs and tests).
        self.reclaimed: list[tuple[str, int, str]] = []
        self._on_failure = on_failure
        self._queue: queue.Queue[tuple[str, int] | None] = queue.Queue()
        self._pending = 0  # submitted or waiting for a retry timer, not yet finished
        self._idle = threading.Condition()
        self._timers: set[threading.Timer] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="argus-jobs", daemon=True)
        self._thread.start()

    def submit(self, project: str, job_ids: tuple[int, ...], delay_s: float = 0.0) -> None:
        with self._idle:
            if self._closed:
                return
            self._pending += len(job_ids)
        for job_id in job_ids:
            if delay_s > 0:
                timer = threading.Timer(delay_s, self._fire, (project, job_id))
                timer.daemon = True
                with self._idle:
                    self._timers.add(timer)
                timer.start()
            else:
                self._queue.put((project, job_id))

    def _fire(self, project: str, job_id: int) -> None:
        with self._idle:
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
        self._queue.put((project, job_id))

    def sweep(self) -> int:
        """Reclaim the jobs whose lease ran out; run again here those with tries left. How many were reclaimed."""
        from argus.core.clock import utcnow
        from argus.jobs.records import JobStatus
        from argus.jobs.service import reclaim_stale

        now = utcnow()
        found = reclaim_stale(self._runtime, now)
        for r in found:
            self.reclaimed.append((r.project, r.job_id, r.status))
            if r.status == JobStatus.RETRYING.value:
                self.submit(r.project, (r.job_id,), max(0.0, (r.run_after - now).total_seconds()))
        return len(found)

    def tick(self) -> int:
        """Record and run here the jobs of the latest notification tick (escalations of unacknowledged
        incidents and messages held by quiet hours go out without anyone calling ``notify``); a tick
        recorded before (here, or by a worker) adds nothing. How many jobs were recorded."""
        from argus.core.clock import utcnow
        from argus.jobs.worker import record_notify_tick

        new = 0
        for d in record_notify_tick(self._runtime, utcnow()):
            if d.new:
                self.submit(d.project, d.new)
                new += len(d.new)
        return new

    def _loop(self) -> None:
        from argus.jobs.runner import Outcome, execute

        next_sweep = next_tick = 0.0
        while True:
            if next_tick - time.monotonic() <= 0:
                try:
                    self.tick()
                except Exception:
                    log.exception("jobs: the notification schedule could not be recorded")
                next_tick = time.monotonic() + self._tick_s
            if next_sweep - time.monotonic() <= 0:
                try:
                    self.sweep()
                except Exception:  # the database is away: try again at the next sweep
                    log.exception("jobs: the sweep for jobs whose lease ran out failed")
                next_sweep = time.monotonic() + self._sweep_s
                continue
            try:
                item = self._queue.get(timeout=max(0.01, min(next_sweep, next_tick) - time.monotonic()))
            except queue.Empty:
                continue
            if item is None or self._closed:  # closing: finish no more; the records stay queued for a worker
                return
            project, job_id = item
            try:
                out = execute(self._runtime, project, job_id)
                if out.kind is not None and out.outcome in (Outcome.RETRY, Outcome.FAILED) \
                        and self._on_failure is not None:
                    self._on_failure(out.kind)
                if out.outcome is Outcome.RETRY:
                    self.submit(project, (job_id,), out.delay_s)
            except Exception:  # a broken database must not kill the thread
                log.exception("job %s of %s could not be run", job_id, project)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until every submitted job (and its retries) finished; False when ``timeout_s`` passed."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending <= 0, timeout_s)

    def close(self) -> None:
        with self._idle:
            self._closed = True
            for t in self._timers:
                t.cancel()
        self._queue.put(None)
        self._thread.join(timeout=30)
