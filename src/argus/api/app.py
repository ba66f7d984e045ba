"""The FastAPI application factory (no module globals: every app gets its own Runtime)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from argus.api import problems
from argus.api.routers import aliases, changes, clusters, events, flaky, gates, health, insights, runs, tests
from argus.app.runtime import Runtime
from argus.core.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """A new app bound to ``runtime`` (or one made from ``settings``, default: the environment)."""
    rt = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        rt.close()

    app = FastAPI(title="Argus", version=_version(), openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=f"{API_PREFIX}/docs", redoc_url=None, lifespan=lifespan)
    app.state.runtime = rt
    problems.install(app)
    app.include_router(health.router)
    app.include_router(runs.router)
    app.include_router(tests.router)
    app.include_router(flaky.router)
    app.include_router(clusters.router)
    app.include_router(insights.router)
    app.include_router(gates.router)
    app.include_router(changes.router)
    app.include_router(events.router)
    app.include_router(aliases.router)

    return app


def _version() -> str:
    from argus import __version__

    return __version__
