"""Job metrics in Prometheus text: queue depth and dead-lettered jobs, read from the job records."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, generate_latest

from argus.app.runtime import Runtime
from argus.jobs.metrics import register_job_metrics
from argus.jobs.service import record_upload


def test_queue_depth_and_failures_are_exported(runtime: Runtime, upload: Callable[..., int]) -> None:
    registry = CollectorRegistry()
    register_job_metrics(registry, runtime)
    assert "argus_job_queue_depth 0.0" in generate_latest(registry).decode()
    record_upload(runtime, "shop", [upload("1")])  # two jobs recorded, none run yet
    text = generate_latest(registry).decode()
    assert "argus_job_queue_depth 2.0" in text
    assert "argus_jobs_failed 0.0" in text
    assert 'argus_jobs{status="queued"} 2.0' in text
