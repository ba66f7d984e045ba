"""Fixtures of the job tests: a runtime whose jobs retry at once (no backoff wait), reports to upload,
and a way to run the dispatched jobs on the test's backend (the in-process thread on SQLite, a real
procrastinate worker on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from argus.app.runtime import Runtime
from argus.core.settings import Settings
from argus.core.settings.jobs import JobSettings
from argus.ingest.ci_env import CiMetadata
from argus.jobs.dispatch import InProcessDispatcher, QueueDispatcher, dispatcher_for
from argus.testing.reports import junit

PROJECT = "shop"


@pytest.fixture
def job_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url,  # type: ignore[arg-type]
                    jobs=JobSettings(max_attempts=2, backoff_base_s=0.0))


@pytest.fixture
def runtime(job_settings: Settings, engine: Engine) -> Iterator[Runtime]:
    rt = Runtime(job_settings)
    yield rt
    rt.close()


@pytest.fixture
def dispatcher(runtime: Runtime) -> Iterator[InProcessDispatcher | QueueDispatcher]:
    d = dispatcher_for(runtime)
    if isinstance(d, QueueDispatcher):
        from argus.jobs.queue import ensure_schema

        ensure_schema(runtime)
    yield d
    d.close()


@pytest.fixture
def run_jobs(runtime: Runtime, dispatcher: InProcessDispatcher | QueueDispatcher) -> Callable[[], None]:
    """Run every dispatched job (and its retries) to the end."""

    def run() -> None:
        if isinstance(dispatcher, InProcessDispatcher):
            assert dispatcher.drain(timeout_s=120), "the in-process jobs did not finish"
        else:
            from argus.jobs.queue import run_worker

            run_worker(runtime, wait=False, schedules=False)

    return run


@pytest.fixture
def upload(runtime: Runtime, tmp_path: Path) -> Callable[..., int]:
    """Store one JUnit report as CI run ``run`` (``failures`` of ``tests`` failing); its run's id."""
    from argus.app.ingest_tests import IngestReportsRequest, ingest_test_reports

    def store(run: str, tests: int = 4, failures: int = 1, message: str = "boom") -> int:
        path = tmp_path / f"r{run}.xml"
        failure = f'<failure message="{message}" type="AssertionError">trace</failure>'
        path.write_text(junit("shop.Cart", tests, failures, failure=failure))
        meta = CiMetadata(provider="github", run_id=run, job="test", commit_sha=f"{int(run):040x}", branch="main")
        res = ingest_test_reports(runtime, IngestReportsRequest((path,), meta, PROJECT))
        assert res.run_id is not None
        return res.run_id

    return store
