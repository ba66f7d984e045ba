"""``argus worker``: run background jobs (procrastinate on PostgreSQL; polling the job records on SQLite)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def _poll(value: float) -> float:
    if not 0.1 <= value <= 3600:
        raise InputError(f"--poll {value:g}: expected seconds from 0.1 to 3600")
    return value


def _concurrency(value: int) -> int:
    if not 1 <= value <= 64:
        raise InputError(f"--concurrency {value}: expected a whole number from 1 to 64")
    return value


def worker(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Stop when no job is due (default: run until stopped)."),
    poll: float = typer.Option(5.0, "--poll", callback=_poll, help="SQLite: seconds between looks for due jobs."),
    concurrency: int = typer.Option(1, "--concurrency", callback=_concurrency,
                                    help="PostgreSQL: jobs run at once by this worker."),
    schedules: bool = typer.Option(True, "--schedules/--no-schedules",
                                   help="Record the scheduled re-analysis, retention and anomaly scoring when due."),
) -> None:
    """Run background jobs: analyses after uploads, scheduled re-analysis, retention."""
    from argus.jobs.dispatch import uses_queue

    rt = state(ctx).runtime
    rt.engine()  # refuses an unreachable or out-of-date database before anything starts
    out = console(stderr=True)
    if uses_queue(rt):
        from argus.jobs.queue import run_worker

        out.print("argus worker: procrastinate on PostgreSQL (Ctrl+C stops)", markup=False, highlight=False)
        run_worker(rt, wait=not once, concurrency=concurrency, schedules=schedules)
        return
    from argus.jobs.worker import run_local

    if not once:
        out.print("argus worker: polling the job records on SQLite (Ctrl+C stops)", markup=False, highlight=False)
    try:
        tries = run_local(rt, once=once, poll_s=poll, schedules=schedules)
    except KeyboardInterrupt:
        return
    if once:
        out.print(f"argus worker: {tries} job tries run, none due now", markup=False, highlight=False)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("worker")(worker)
