"""The upload hook end to end on the test's backend: SQLite runs the jobs in a thread of the process,
PostgreSQL (ARGUS_TEST_DATABASE_URL) through procrastinate with a real worker. Duplicate dispatch,
retries, the dead-letter state and ``argus jobs retry``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from argus.app.runtime import ProjectScope, Runtime
from argus.cli.app import main
from argus.jobs.dispatch import InProcessDispatcher, QueueDispatcher
from argus.jobs.service import ListJobsRequest, list_jobs
from argus.store.models import FailureCluster, InsightRow, TestResult
from argus.store.session import unscoped

PROJECT = "shop"
Dispatcher = InProcessDispatcher | QueueDispatcher


def state(runtime: Runtime) -> tuple[int, int, int]:
    """(clusters, clustered failures, current insights) of the project."""

    def work(scope: ProjectScope) -> tuple[int, int, int]:
        s = scope.session
        return (int(s.scalar(select(func.count()).select_from(FailureCluster)) or 0),
                int(s.scalar(select(func.count()).select_from(TestResult).where(TestResult.cluster_id.is_not(None))) or 0),
                int(s.scalar(select(func.count()).select_from(InsightRow).where(InsightRow.superseded_by.is_(None))) or 0))

    return runtime.in_project(PROJECT, work)


def statuses(runtime: Runtime) -> list[tuple[str, str]]:
    return sorted((j.kind, j.status) for j in list_jobs(runtime, ListJobsRequest(PROJECT)))


def test_an_upload_runs_failure_and_flaky_analysis(runtime: Runtime, dispatcher: Dispatcher,
                                                  upload: Callable[..., int], run_jobs: Callable[[], None]) -> None:
    run = upload("1", failures=2)
    d = dispatcher(PROJECT, [run])
    assert d is not None and len(d.new) == 2 and d.existing == ()
    run_jobs()
    assert statuses(runtime) == [("failures", "succeeded"), ("flaky", "succeeded")]
    jobs = {j.kind: j for j in list_jobs(runtime, ListJobsRequest(PROJECT))}
    assert jobs["failures"].result is not None and jobs["failures"].result["failures"] == 2
    assert jobs["flaky"].attempts == 1
    assert state(runtime)[:2] == (1, 2)


def test_duplicate_dispatch_of_an_upload_runs_the_analysis_once(runtime: Runtime, dispatcher: Dispatcher,
                                                               upload: Callable[..., int],
                                                               run_jobs: Callable[[], None]) -> None:
    run = upload("1", failures=2)
    first = dispatcher(PROJECT, [run])
    second = dispatcher(PROJECT, [run, run])  # the same upload again (a retried request)
    assert first is not None and second is not None
    assert second.new == () and sorted(second.existing) == sorted(first.new)
    run_jobs()
    after = state(runtime)
    assert dispatcher(PROJECT, [run]).existing == first.new  # type: ignore[union-attr]
    run_jobs()
    assert state(runtime) == after  # nothing ran again: same clusters, same insight versions
    assert statuses(runtime) == [("failures", "succeeded"), ("flaky", "succeeded")]
    # a new upload is new work; its failure joins the existing cluster
    dispatcher(PROJECT, [upload("2", failures=1)])
    run_jobs()
    assert state(runtime)[:2] == (1, 3)


def test_a_failing_job_is_dead_lettered_and_jobs_retry_runs_it_again(
    runtime: Runtime, dispatcher: Dispatcher, upload: Callable[..., int], run_jobs: Callable[[], None],
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    dispatcher(PROJECT, [upload("1", failures=1)])
    run_jobs()
    # a stored cluster state this Argus cannot read: the failure analysis fails on every try
    with runtime.unit_of_work() as s, unscoped(s, reason="test: corrupt a stored state"):
        s.execute(update(FailureCluster).values(state_json={"version": 99}))
    dispatcher(PROJECT, [upload("2", failures=1)])
    run_jobs()
    jobs = {(j.kind, j.key): j for j in list_jobs(runtime, ListJobsRequest(PROJECT))}
    failed = [j for j in jobs.values() if j.status == "failed"]
    assert [j.kind for j in failed] == ["failures"]
    job = failed[0]
    assert job.attempts == 2 and job.max_attempts == 2  # retried, then dead-lettered
    assert job.last_error is not None and "unknown version 99" in job.last_error

    assert main(["jobs", "list", "-p", PROJECT, "--failed", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["status"]) for r in rows] == [(job.id, "failed")]
    assert main(["jobs", "list", "-p", PROJECT, "--failed"]) == 0
    out = capsys.readouterr().out
    assert f"#{job.id} failures: failed (try 2/2)" in out and "unknown version 99" in out

    with runtime.unit_of_work() as s, unscoped(s, reason="test: repair the stored state"):
        s.execute(update(FailureCluster).values(state_json={}))
    assert main(["jobs", "retry", "-p", PROJECT, str(job.id), "--json"]) == 0
    retried = json.loads(capsys.readouterr().out)
    if retried["ran_here"]:  # SQLite: the CLI ran the try
        assert retried["job"]["status"] == "succeeded"
    else:  # PostgreSQL: queued for the workers
        assert retried["job"]["status"] == "queued"
        run_jobs()
    assert [j for j in list_jobs(runtime, ListJobsRequest(PROJECT)) if j.status != "succeeded"] == []
    assert main(["jobs", "retry", "-p", PROJECT, str(job.id)]) == 6  # not failed any more
    assert "only a failed job can be retried" in capsys.readouterr().err


def test_the_server_hook_is_the_dispatcher_and_the_worker_finishes_what_it_left(
    runtime: Runtime, upload: Callable[..., int], cli_env: dict[str, str], capsys: pytest.CaptureFixture[str],
) -> None:
    from fastapi.testclient import TestClient

    from argus.api.app import create_app

    app = create_app(runtime=Runtime(runtime.settings))
    with TestClient(app):
        hook = app.state.on_upload
        assert isinstance(hook, InProcessDispatcher | QueueDispatcher)
        # PostgreSQL: procrastinate's schema is not applied yet, so the records wait for a worker
        assert hook(PROJECT, [upload("1")]) is not None
    assert {k for k, _ in statuses(runtime)} == {"failures", "flaky"}
    assert main(["worker", "--once", "--no-schedules"]) == 0
    capsys.readouterr()
    assert statuses(runtime) == [("failures", "succeeded"), ("flaky", "succeeded")]


def test_schedule_ticks_record_reanalysis_and_retention_once_per_tick(
    runtime: Runtime, upload: Callable[..., int], dispatcher: Dispatcher,
) -> None:
    from argus.core.clock import utcnow
    from argus.jobs.queue import run_worker
    from argus.jobs.worker import record_due_ticks, run_local

    upload("1", failures=1)
    now = utcnow()
    assert record_due_ticks(runtime, now) == 5  # re-analysis (failures, flaky, risk retraining), retention, scoring
    assert record_due_ticks(runtime, now) == 0  # the same tick again
    if isinstance(dispatcher, InProcessDispatcher):
        assert run_local(runtime, once=True, poll_s=1, schedules=False) == 5
    else:
        run_worker(runtime, wait=False, schedules=False)  # defers the due records, runs them
    assert statuses(runtime) == [("anomalies", "succeeded"), ("failures", "succeeded"), ("flaky", "succeeded"),
                                 ("retention", "succeeded"), ("risk_retrain", "succeeded")]
    assert all(j.key.startswith("tick:") for j in list_jobs(runtime, ListJobsRequest(PROJECT)))


def test_the_periodic_tasks_defer_the_jobs_of_their_tick(runtime: Runtime, upload: Callable[..., int],
                                                        dispatcher: Dispatcher) -> None:
    if not isinstance(dispatcher, QueueDispatcher):
        pytest.skip("procrastinate periodic tasks need PostgreSQL (ARGUS_TEST_DATABASE_URL)")
    from argus.jobs.queue import REANALYZE, RETENTION, SCORE, build_app, opened, run_worker

    upload("1", failures=1)
    with opened(build_app(runtime)) as app:
        app.tasks[REANALYZE](timestamp=1_800_000_000)
        app.tasks[REANALYZE](timestamp=1_800_000_000)  # the same tick twice (two workers' deferrers)
        app.tasks[RETENTION](timestamp=1_800_000_000)
        app.tasks[SCORE](timestamp=1_800_000_000)
    run_worker(runtime, wait=False, schedules=False)
    assert statuses(runtime) == [("anomalies", "succeeded"), ("failures", "succeeded"), ("flaky", "succeeded"),
                                 ("retention", "succeeded"), ("risk_retrain", "succeeded")]


def test_jobs_of_an_upload_run_in_the_uploaders_organisation(runtime: Runtime, dispatcher: Dispatcher,
                                                            run_jobs: Callable[[], None], tmp_path: Path) -> None:
    """The hook gets ``org/project``: a same-named project of the default organisation is left alone."""
    from argus.app.ingest_tests import IngestReportsRequest, ingest_test_reports
    from argus.ingest.ci_env import CiMetadata
    from argus.testing.reports import junit

    path = tmp_path / "acme.xml"
    path.write_text(junit("shop.Cart", 4, 2, failure='<failure message="boom" type="AssertionError">t</failure>'))
    meta = CiMetadata(provider="github", run_id="7", job="test", commit_sha=f"{7:040x}", branch="main")
    res = ingest_test_reports(runtime, IngestReportsRequest((path,), meta, PROJECT, org="acme"))
    runtime.in_project(PROJECT, lambda scope: None, create=True)  # the default organisation's "shop"
    assert res.run_id is not None
    d = dispatcher(f"acme/{PROJECT}", [res.run_id])
    assert d is not None and len(d.new) == 2
    run_jobs()
    assert state(runtime) == (0, 0, 0)  # default organisation: untouched

    def acme(scope: ProjectScope) -> int:
        return int(scope.session.scalar(select(func.count()).select_from(FailureCluster)) or 0)

    assert runtime.in_project(f"acme/{PROJECT}", acme) == 1
    jobs = list_jobs(runtime, ListJobsRequest(f"acme/{PROJECT}"))
    assert sorted((j.kind, j.status) for j in jobs) == [("failures", "succeeded"), ("flaky", "succeeded")]
