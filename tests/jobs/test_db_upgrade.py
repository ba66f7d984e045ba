"""``argus db upgrade`` prepares everything a worker needs: on PostgreSQL it applies procrastinate's
schema too (idempotently), so ``argus worker`` runs after ``argus db upgrade`` alone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect

from argus.app.runtime import Runtime
from argus.cli.app import main
from argus.core.db import create_db_engine
from argus.core.settings import Settings
from argus.jobs.service import ListJobsRequest, list_jobs, record_jobs
from argus.jobs.tasks import ANOMALIES


def has_queue_tables(url: str) -> bool:
    engine = create_db_engine(url)
    try:
        return bool(inspect(engine).has_table("procrastinate_jobs"))
    finally:
        engine.dispose()


def test_db_upgrade_applies_the_job_queue_schema_once(database_url: str, cli_env: dict[str, str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    pg = database_url.startswith("postgresql")
    assert main(["db", "upgrade", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["after"] == "0001"
    assert first["jobs_schema"] == ("applied" if pg else "not used (SQLite runs jobs without a queue)")
    assert has_queue_tables(database_url) is pg
    assert main(["db", "upgrade"]) == 0  # again: nothing to do, no error (the schema is not re-applied)
    out = capsys.readouterr().out
    assert "schema already at 0001" in out
    assert ("job queue schema: present" in out) if pg else ("job queue schema: not used" in out)

    # the worker runs a job with nothing else set up
    settings = Settings(database_url=database_url)  # type: ignore[arg-type]
    rt = Runtime(settings)
    try:
        rt.in_project("shop", lambda scope: None, create=True)
        (job_id,) = record_jobs(rt, "shop", [ANOMALIES], "test:after-upgrade").new
        if pg:
            from argus.jobs.queue import JobQueue

            q = JobQueue(rt)  # the server's hook: defers to procrastinate, whose tables db upgrade made
            q.defer("shop", (job_id,))
            q.close()
        assert main(["worker", "--once", "--no-schedules"]) == 0
        (job,) = list_jobs(rt, ListJobsRequest("shop"))
        assert (job.id, job.status) == (job_id, "succeeded")
    finally:
        rt.close()
