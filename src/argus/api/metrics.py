"""Prometheus metrics of one app (``app.state.metrics``), in a registry of their own (never the
global default registry, so two apps in one process do not share counters). Served at ``/metrics``.

Every server process has its own counters (as every process of a Prometheus-instrumented service):
scrape each worker/server, or run one worker per container.

Names (labels):

* ``argus_http_requests_total`` (method, route, status): requests by route template, e.g.
  ``/api/v1/projects/{project}/runs``; unmatched paths count as route ``<unmatched>``.
* ``argus_http_request_duration_seconds`` (method, route): latency histogram.
* ``argus_upload_bytes_total``: bytes of report files received by uploads — ``metrics.upload_bytes.inc(n)``.
* ``argus_results_ingested_total`` (kind: tests|coverage|vulns): results stored —
  ``metrics.results_ingested.labels(kind="tests").inc(n)``.
* ``argus_files_rejected_total`` (reason): files refused (dead letters) —
  ``metrics.files_rejected.labels(reason="parse").inc()``.
* ``argus_job_queue_depth`` (queue): jobs waiting — ``metrics.job_queue_depth.labels(queue="default").set(n)``.
* ``argus_job_failures_total`` (job): jobs that failed — ``metrics.job_failures.labels(job="flaky").inc()``.
* ``argus_rate_limited_total``: requests refused with 429.
* ``argus_auth_failures_total`` (status): 401/403 answers.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ApiMetrics:
    """The counters of one app; other parts of the server increment them (names in the module doc)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("argus_http_requests", "HTTP requests by route template and status.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("argus_http_request_duration_seconds", "HTTP request latency.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.upload_bytes = Counter("argus_upload_bytes", "Bytes of report files received by uploads.",
                                    registry=r)
        self.results_ingested = Counter("argus_results_ingested", "Results stored (by kind of report).",
                                        ["kind"], registry=r)
        self.files_rejected = Counter("argus_files_rejected", "Report files rejected (dead letters).",
                                      ["reason"], registry=r)
        self.job_queue_depth = Gauge("argus_job_queue_depth", "Jobs waiting to run.", ["queue"], registry=r)
        self.job_failures = Counter("argus_job_failures", "Background jobs that failed.", ["job"], registry=r)
        self.rate_limited = Counter("argus_rate_limited", "Requests refused by a rate limit (429).", registry=r)
        self.auth_failures = Counter("argus_auth_failures", "Requests refused by authentication or "
                                     "authorisation (401/403).", ["status"], registry=r)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status == 429:
            self.rate_limited.inc()
        elif status in (401, 403):
            self.auth_failures.labels(str(status)).inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of this app's registry."""
        return bytes(generate_latest(self.registry))
