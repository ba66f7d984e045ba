"""The app factory, health routes and problem+json errors (in-process client)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.core.settings import Settings


def test_health_ready_and_problem_json(settings: Settings, engine: object) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
        r = client.get("/api/v1/no-such-route")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/not-found")
        assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Argus"


def test_two_apps_share_nothing(settings: Settings) -> None:
    a, b = create_app(settings), create_app(settings)
    assert a.state.runtime is not b.state.runtime
