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


def test_install_feeds_the_servers_job_gauge_and_counter(runtime: Runtime, upload: Callable[..., int]) -> None:
    """A server registry that already has ``argus_job_queue_depth`` (label queue) and
    ``argus_job_failures`` (label job), as ``argus.api.metrics`` declares them: the hook sets them."""
    from types import SimpleNamespace

    from prometheus_client import Counter, Gauge

    registry = CollectorRegistry()
    metrics = SimpleNamespace(
        registry=registry,
        job_queue_depth=Gauge("argus_job_queue_depth", "Jobs waiting to run.", ["queue"], registry=registry),
        job_failures=Counter("argus_job_failures", "Background jobs that failed.", ["job"], registry=registry),
    )
    app = SimpleNamespace(state=SimpleNamespace(metrics=metrics))

    from argus.jobs.server import install

    install(app, runtime)
    try:
        record_upload(runtime, "shop", [upload("1")])
        text = generate_latest(registry).decode()
        assert 'argus_job_queue_depth{queue="argus"} 2.0' in text and "argus_jobs_failed 0.0" in text
        app.state.on_upload.record_failure("flaky")  # what the executor calls after a failed try
        assert 'argus_job_failures_total{job="flaky"} 1.0' in generate_latest(registry).decode()
    finally:
        app.state.on_upload.close()
