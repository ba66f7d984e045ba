"""``argus worker`` on SQLite: poll ``job_record`` for due jobs, run them, reclaim the jobs whose
lease ran out, record the schedule ticks (re-analysis, retention, anomaly scoring, incident notifications) when due. On PostgreSQL the worker is procrastinate's (:mod:`argus.jobs.queue`)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argus.app.runtime import Runtime
    from argus.jobs.service import Dispatched

log = logging.getLogger("argus.jobs")


def last_tick(cron: str, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` that ``cron`` names (None without croniter installed)."""
    try:
        from croniter import croniter
    except ImportError:  # the server extra is not installed: no schedules
        return None
    prev: datetime = croniter(cron, now).get_prev(datetime)
    return prev


def record_due_ticks(runtime: Runtime, now: datetime) -> int:
    """Record the jobs of the latest tick of each schedule (a tick already recorded adds nothing)."""
    from argus.jobs import tasks
    from argus.jobs.service import record_tick

    settings = runtime.settings.jobs
    new = 0
    for cron, kinds in ((settings.reanalyze_cron, tasks.REANALYZE), (settings.retention_cron, (tasks.RETENTION,)),
                        (settings.score_cron, tasks.SCORE)):
        tick = last_tick(cron, now)
        if tick is not None:
            new += sum(len(d.new) for d in record_tick(runtime, kinds, tick))
    return new + sum(len(d.new) for d in record_notify_tick(runtime, now))


def record_notify_tick(runtime: Runtime, now: datetime) -> list[Dispatched]:
    """Record the notification jobs of the latest ``notify_cron`` tick (none when no channel is
    configured: there is nobody to tell). What the SQLite worker and the in-process executor call."""
    from argus.jobs import tasks
    from argus.jobs.service import record_tick

    if not runtime.settings.incidents.channels:
        return []
    tick = last_tick(runtime.settings.jobs.notify_cron, now)
    return [] if tick is None else record_tick(runtime, tasks.NOTIFY, tick)


def run_local(runtime: Runtime, *, once: bool, poll_s: float, schedules: bool = True,
              stop: threading.Event | None = None) -> int:
    """Run due jobs until stopped (``once``: until none is due); the number of tries run."""
    from argus.core.clock import utcnow
    from argus.jobs.runner import execute
    from argus.jobs.service import due_jobs, reclaim_stale

    stop = stop or threading.Event()
    tries = 0
    while not stop.is_set():
        now = utcnow()
        reclaim_stale(runtime, now)  # jobs a killed worker left running: retried (when due) or failed
        if schedules:
            record_due_ticks(runtime, now)
        due = due_jobs(runtime, now)
        for project, job_id in due:
            execute(runtime, project, job_id)
            tries += 1
        if not due:
            if once:
                break
            stop.wait(poll_s)
    return tries
