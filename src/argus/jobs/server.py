"""What the HTTP server needs of jobs: the upload hook and the job metrics, in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argus.app.runtime import Runtime


def install(app: Any, runtime: Runtime) -> None:
    """Set ``app.state.on_upload`` to the backend's dispatcher and wire the job metrics into the server's
    (``app.state.metrics``, when there is one): its ``job_queue_depth`` gauge (label ``queue``) reads
    the job records at scrape time, its ``job_failures`` counter (label ``job``: the kind) counts the
    failed tries this process runs, and ``argus_jobs_failed`` / ``argus_jobs{status}`` are added to its
    ``registry``."""
    from argus.jobs.dispatch import dispatcher_for
    from argus.jobs.metrics import queue_depth, register_job_metrics

    dispatcher = dispatcher_for(runtime)
    app.state.on_upload = dispatcher
    metrics = getattr(app.state, "metrics", None)
    if metrics is None:
        return
    depth = getattr(metrics, "job_queue_depth", None)
    failures = getattr(metrics, "job_failures", None)
    registry = getattr(metrics, "registry", metrics)
    if hasattr(registry, "register"):
        register_job_metrics(registry, runtime, queue_depth=depth is None)
    if depth is not None:
        depth.labels(queue=runtime.settings.jobs.queue).set_function(lambda: queue_depth(runtime))
    if failures is not None:
        dispatcher.on_failure = lambda kind: failures.labels(job=kind).inc()
