"""What the HTTP server needs of jobs: the upload hook and the job metrics, in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argus.app.runtime import Runtime


def install(app: Any, runtime: Runtime) -> None:
    """Set ``app.state.on_upload`` to the backend's dispatcher; register the job metrics on the
    server's registry when ``app.state.metrics`` is one or has one (``.registry``)."""
    from argus.jobs.dispatch import dispatcher_for
    from argus.jobs.metrics import register_job_metrics

    app.state.on_upload = dispatcher_for(runtime)
    metrics = getattr(app.state, "metrics", None)
    registry = getattr(metrics, "registry", metrics)
    if registry is not None and hasattr(registry, "register"):
        register_job_metrics(registry, runtime)
