"""The FastAPI application factory (no module globals: every app gets its own Runtime, metrics
registry and rate limiter). ``argus serve`` runs ``argus.api.app:create_app`` as a uvicorn factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from argus.api import problems, web
from argus.api.metrics import ApiMetrics
from argus.api.middleware import RequestMiddleware
from argus.api.ratelimit import RateLimiter
from argus.api.routers import (
    admin,
    alerts,
    aliases,
    anomalies,
    changes,
    clusters,
    delivery,
    events,
    flaky,
    gates,
    health,
    incidents,
    insights,
    investigation,
    query,
    risk,
    runbooks,
    runs,
    selection,
    tests,
    uploads,
)
from argus.app.runtime import Runtime
from argus.core.settings import Settings
from argus.jobs import server as jobs

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """A new app bound to ``runtime`` (or one made from ``settings``, default: the environment)."""
    rt = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        start = getattr(_app.state.on_upload, "start", None)  # the jobs' dispatcher: reclaim abandoned jobs
        if start is not None:
            start()
        # route code runs in at most server.threads threads, each with a pooled connection at hand
        anyio.to_thread.current_default_thread_limiter().total_tokens = rt.settings.server.threads
        yield
        close = getattr(_app.state.on_upload, "close", None)  # the jobs' dispatcher has one
        if close is not None:
            close()
        rt.close()

    app = FastAPI(title="Argus", version=_version(), openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=f"{API_PREFIX}/docs", redoc_url=None,
                  swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect", lifespan=lifespan)
    app.state.runtime = rt
    app.state.metrics = ApiMetrics()  # counters others increment: see argus.api.metrics
    limits = rt.settings.server
    app.state.rate_limiter = RateLimiter(limits.rate_limit_per_second, limits.rate_limit_burst,
                                         limits.rate_limit_enabled)
    app.state.auth_failure_limiter = RateLimiter(limits.auth_failures_per_minute / 60.0, limits.auth_failure_burst,
                                                 limits.auth_failure_limit_enabled)
    problems.install(app)
    web.install(app)  # the dashboard at / (before RequestMiddleware: that one stays outermost)
    app.add_middleware(RequestMiddleware)
    app.include_router(health.router)
    app.include_router(admin.router, prefix=API_PREFIX)
    app.include_router(runs.router)
    app.include_router(tests.router)
    app.include_router(flaky.router)
    app.include_router(clusters.router)
    app.include_router(delivery.router)
    app.include_router(insights.router)
    app.include_router(gates.router)
    app.include_router(changes.router)
    app.include_router(anomalies.router)
    app.include_router(events.router)
    app.include_router(aliases.router)
    app.include_router(uploads.router)
    app.include_router(alerts.router)
    app.include_router(incidents.router)
    app.include_router(runbooks.router)
    app.include_router(investigation.router)
    app.include_router(query.router)
    app.include_router(selection.router)
    app.include_router(risk.router)
    jobs.install(app, rt)  # app.state.on_upload: run the jobs of an upload; job metrics
    if not hasattr(app.state, "on_upload"):  # called after an upload stored runs (the jobs set their own)
        app.state.on_upload = lambda project, run_ids: None

    return app


def _version() -> str:
    from argus import __version__

    return __version__
