"""Jobs a killed worker left ``running`` are reclaimed: a real ``argus worker`` process (procrastinate on
PostgreSQL, the polling worker on SQLite) is killed with SIGKILL in the middle of a job; the lease it
no longer renews runs out and the job goes back to ``retrying`` (then runs again) or, after its last
try, to ``failed`` (visible in ``argus jobs list --failed``). On SQLite the server's in-process executor
does the reclaiming; on PostgreSQL ``argus worker``.

The job that blocks is a test kind added to the job table in the worker process (a script that
registers it, then runs ``argus worker``); in this process the same kind finishes at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from argus.app.runtime import Runtime
from argus.cli.app import main
from argus.core.clock import utcnow
from argus.core.settings import Settings
from argus.core.settings.jobs import JobSettings
from argus.jobs import tasks
from argus.jobs.dispatch import InProcessDispatcher, QueueDispatcher, dispatcher_for, uses_queue
from argus.jobs.records import JobView
from argus.jobs.service import ListJobsRequest, list_jobs, reclaim_stale, record_jobs

PROJECT = "shop"
KIND = "test_block"
WORKER = '''
import pathlib, sys, time
from argus.jobs import tasks

def block(runtime, project, args):
    pathlib.Path(args["marker"]).write_text("started")
    time.sleep(3600)
    return {}

tasks.KINDS["test_block"] = block
from argus.cli.app import main
sys.exit(main(["worker", "--no-schedules", "--poll", "0.2"]))
'''


def finish_at_once(_runtime: Runtime, _project: str, args: Mapping[str, Any]) -> dict[str, Any]:
    return {"ran": "here"}


@pytest.fixture
def lease_runtime(tmp_path: Path, database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch,
                  cli_env: dict[str, str]) -> Iterator[Runtime]:
    monkeypatch.setitem(tasks.KINDS, KIND, finish_at_once)
    monkeypatch.setenv("ARGUS_JOBS__LEASE_S", "1")
    monkeypatch.setenv("ARGUS_JOBS__BACKOFF_BASE_S", "0")
    rt = Runtime(Settings(home=tmp_path / "home", database_url=database_url,  # type: ignore[arg-type]
                          jobs=JobSettings(lease_s=1, backoff_base_s=0.0, max_attempts=2)))
    rt.in_project(PROJECT, lambda scope: None, create=True)
    yield rt
    rt.close()


def job(runtime: Runtime, job_id: int) -> JobView:
    (found,) = [j for j in list_jobs(runtime, ListJobsRequest(PROJECT)) if j.id == job_id]
    return found


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def kill_a_worker_mid_job(runtime: Runtime, tmp_path: Path, env: dict[str, str], max_attempts: int) -> int:
    """Start ``argus worker`` in a process, give it a job that blocks, SIGKILL the process once the job
    runs; the job's id (left ``running`` with a lease nobody renews)."""
    marker = tmp_path / "started"
    runtime_ = Runtime(runtime.settings.model_copy(update={"jobs": runtime.settings.jobs.model_copy(
        update={"max_attempts": max_attempts})}))
    d = record_jobs(runtime_, PROJECT, [KIND], "test:kill", {"marker": str(marker)})
    runtime_.close()
    (job_id,) = d.new
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if uses_queue(runtime):
            from argus.jobs.queue import JobQueue, ensure_schema

            ensure_schema(runtime)
            q = JobQueue(runtime)
            q.defer(PROJECT, (job_id,))
            q.close()
        wait_for("the worker to start the job", lambda: marker.exists() or proc.poll() is not None)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        first = job(runtime, job_id)
        assert first.status == "running" and first.worker is not None and first.lease_until is not None
        # the heartbeat renews the lease while the worker lives
        wait_for("a heartbeat", lambda: (job(runtime, job_id).lease_until or first.lease_until) > first.lease_until)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    return job_id


def test_a_job_of_a_killed_worker_is_reclaimed_and_run_again(lease_runtime: Runtime, tmp_path: Path,
                                                             cli_env: dict[str, str],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    rt = lease_runtime
    job_id = kill_a_worker_mid_job(rt, tmp_path, cli_env, max_attempts=2)
    left = job(rt, job_id)
    assert left.status == "running" and left.attempts == 1
    assert reclaim_stale(rt, left.lease_until) == []  # not stale until the lease has run out

    dispatcher = dispatcher_for(rt)
    try:
        if isinstance(dispatcher, InProcessDispatcher):
            # SQLite: a server starts again; its executor's sweep reclaims the job and runs it here
            dispatcher.start()
            executor = dispatcher.executor
            wait_for("the sweep to reclaim the job", lambda: bool(executor.reclaimed))
            assert [(j, status) for _, j, status in executor.reclaimed] == [(job_id, "retrying")]
            wait_for("the job to run again", lambda: job(rt, job_id).status == "succeeded")
        else:
            # PostgreSQL: a worker (re)starting reclaims it and defers it to procrastinate
            assert isinstance(dispatcher, QueueDispatcher)
            from argus.jobs.queue import run_worker

            wait_for("the lease to run out", lambda: (job(rt, job_id).lease_until or utcnow()) < utcnow())
            run_worker(rt, wait=False, schedules=False)
    finally:
        dispatcher.close()
    done = job(rt, job_id)
    assert done.status == "succeeded" and done.attempts == 2 and done.result == {"ran": "here"}
    assert done.worker is None and done.lease_until is None
    assert main(["jobs", "list", "-p", PROJECT, "--json"]) == 0
    (row,) = [r for r in json.loads(capsys.readouterr().out) if r["id"] == job_id]
    assert row["status"] == "succeeded" and row["attempts"] == 2


def test_a_killed_workers_job_on_its_last_try_is_dead_lettered(lease_runtime: Runtime, tmp_path: Path,
                                                               cli_env: dict[str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    rt = lease_runtime
    job_id = kill_a_worker_mid_job(rt, tmp_path, cli_env, max_attempts=1)
    wait_for("the lease to run out", lambda: (job(rt, job_id).lease_until or utcnow()) < utcnow())
    if uses_queue(rt):
        from argus.jobs.queue import run_worker

        run_worker(rt, wait=False, schedules=False)  # reclaims: the last try is gone, nothing is deferred
    else:
        from argus.jobs.worker import run_local

        assert run_local(rt, once=True, poll_s=0.2, schedules=False) == 0  # reclaimed, nothing left to run
    failed = job(rt, job_id)
    assert failed.status == "failed" and failed.attempts == 1 and failed.finished_at is not None
    assert failed.last_error is not None and failed.last_error.startswith("LeaseExpired: try 1/1")
    assert reclaim_stale(rt) == []  # reclaimed once
    assert main(["jobs", "list", "-p", PROJECT, "--failed"]) == 0
    out = capsys.readouterr().out
    assert f"#{job_id} {KIND}: failed (try 1/1)" in out and "LeaseExpired" in out
    # and `argus jobs retry` runs it again (here: the test kind finishes at once)
    assert main(["jobs", "retry", "-p", PROJECT, str(job_id), "--json"]) == 0
    retried = json.loads(capsys.readouterr().out)
    if not retried["ran_here"]:
        from argus.jobs.queue import run_worker

        run_worker(rt, wait=False, schedules=False)
    assert job(rt, job_id).status == "succeeded"


def test_a_try_that_outlived_its_lease_records_nothing(lease_runtime: Runtime) -> None:
    """The attempt fences a lease: a worker that was paused past its lease and reclaimed cannot
    overwrite what the next try does."""
    from argus.app.runtime import ProjectScope
    from argus.jobs import records

    rt = lease_runtime
    (job_id,) = record_jobs(rt, PROJECT, [KIND], "test:fence").new
    now = utcnow()

    def claim(scope: ProjectScope) -> records.Claimed | None:
        return records.claim(scope.session, job_id, now, lease_s=1, worker="paused:1")

    first = rt.in_project(PROJECT, claim)
    assert first is not None and first.attempt == 1
    (back,) = reclaim_stale(rt, now=now.replace(year=now.year + 1))
    assert (back.job_id, back.status, back.worker) == (job_id, "retrying", "paused:1")

    def late_success(scope: ProjectScope) -> bool:
        return records.succeed(scope.session, job_id, {"late": True}, utcnow(), attempt=first.attempt)

    assert rt.in_project(PROJECT, late_success) is False
    assert job(rt, job_id).status == "retrying"
