"""Prometheus metrics of jobs, read from ``job_record`` at scrape time (so every server process and
worker reports the same numbers): ``argus_job_queue_depth`` (queued + retrying),
``argus_jobs_failed`` (dead-lettered jobs) and ``argus_jobs{status=…}``.

:func:`register_job_metrics` adds them to a ``prometheus_client`` registry (:func:`argus.jobs.server.install`
does it when the server made one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argus.app.runtime import Runtime

log = logging.getLogger("argus.jobs")


class JobCollector:
    """A ``prometheus_client`` collector over the job records of every project."""

    def __init__(self, runtime: Runtime, *, queue_depth: bool = True) -> None:
        self.runtime = runtime
        self.queue_depth = queue_depth

    def describe(self) -> Iterator[Any]:
        """The metric families without values: ``registry.register`` calls this instead of
        :meth:`collect`, so making an app never touches the database."""
        from prometheus_client.core import GaugeMetricFamily

        if self.queue_depth:
            yield GaugeMetricFamily("argus_job_queue_depth", "Jobs waiting to run (queued or retrying).")
        yield GaugeMetricFamily("argus_jobs_failed", "Jobs that failed every try.")
        yield GaugeMetricFamily("argus_jobs", "Job records by status.", labels=["status"])

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from argus.jobs.records import JobStatus
        from argus.jobs.service import job_counts

        try:
            counts = job_counts(self.runtime)
        except Exception:  # a scrape must not fail because the database is away
            log.exception("job metrics: the job records could not be read")
            return
        depth = counts[JobStatus.QUEUED.value] + counts[JobStatus.RETRYING.value]
        if self.queue_depth:
            yield GaugeMetricFamily("argus_job_queue_depth", "Jobs waiting to run (queued or retrying).", value=depth)
        yield GaugeMetricFamily("argus_jobs_failed", "Jobs that failed every try (dead letters: argus jobs list "
                                "--failed).", value=counts[JobStatus.FAILED.value])
        by_status = GaugeMetricFamily("argus_jobs", "Job records by status.", labels=["status"])
        for status, n in sorted(counts.items()):
            by_status.add_metric([status], n)
        yield by_status


def register_job_metrics(registry: Any, runtime: Runtime, *, queue_depth: bool = True) -> JobCollector:
    """Register the job metrics on a ``prometheus_client.CollectorRegistry`` (without
    ``argus_job_queue_depth`` when the registry has that gauge already: see :func:`queue_depth`)."""
    collector = JobCollector(runtime, queue_depth=queue_depth)
    registry.register(collector)
    return collector


def queue_depth(runtime: Runtime) -> float:
    """Jobs waiting to run over every project (NaN when the records cannot be read: a scrape never fails)."""
    from argus.jobs.records import JobStatus
    from argus.jobs.service import job_counts

    try:
        counts = job_counts(runtime)
    except Exception:
        log.exception("job metrics: the job records could not be read")
        return float("nan")
    return float(counts[JobStatus.QUEUED.value] + counts[JobStatus.RETRYING.value])
