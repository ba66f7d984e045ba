"""``argus jobs list|retry``: background jobs (analyses after uploads, schedules) and the failed ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from argus.cli import validate
from argus.cli.context import state
from argus.cli.output import print_cards, print_json, print_lines

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups
    from argus.jobs.records import JobView


def _card(v: JobView) -> list[str]:
    lines = [f"#{v.id} {v.kind}: {v.status} (try {v.attempts}/{v.max_attempts})",
             f"  {v.key}, created {v.created_at:%Y-%m-%d %H:%M} UTC, updated {v.updated_at:%Y-%m-%d %H:%M} UTC"]
    if v.status == "retrying":
        lines.append(f"  next try at {v.run_after:%Y-%m-%d %H:%M:%S} UTC")
    if v.status == "running" and v.lease_until is not None:
        lines.append(f"  run by {v.worker or '(unknown)'}, lease until {v.lease_until:%Y-%m-%d %H:%M:%S} UTC")
    if v.last_error and v.status != "succeeded":
        lines.append(f"  error: {v.last_error.splitlines()[-1]}")
    if v.result and v.status == "succeeded":
        lines.append("  result: " + ", ".join(f"{k} {val}" for k, val in v.result.items()))
    return lines


def jobs_list(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    failed: bool = typer.Option(False, "--failed", help="Only failed jobs (every try failed: the dead letters)."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List the project's jobs, newest first."""
    from argus.jobs.service import ListJobsRequest, list_jobs

    rows = list_jobs(state(ctx).runtime, ListJobsRequest(project, failed, limit))
    if json_out:
        print_json(list(rows))
        return
    print_cards(rows, _card, "no failed jobs" if failed else "no jobs")


def jobs_retry(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., callback=validate.db_id("job id"), help="Id from `argus jobs list --failed`."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run a failed job again with a fresh budget of tries (SQLite: now; PostgreSQL: by the workers)."""
    from argus.jobs.service import retry_job

    r = retry_job(state(ctx).runtime, job_id, project)
    if json_out:
        print_json(r)
        return
    where = "ran here" if r.ran_here else "queued for the workers"
    print_lines([f"job {r.job.id} ({r.job.kind}) {where}: {r.job.status}", *_card(r.job)[1:]])


def register(root: typer.Typer, groups: CommandGroups) -> None:
    jobs = typer.Typer(help="Background jobs: list (the failed ones with --failed), retry.", no_args_is_help=True)
    root.add_typer(jobs, name="jobs")
    jobs.command("list")(jobs_list)
    jobs.command("retry")(jobs_retry)
