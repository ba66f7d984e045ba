"""docs/openapi.json is the app's OpenAPI description (regenerate: python scripts/export_openapi.py)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.api.openapi import comparable, openapi_document
from argus.core.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert comparable(committed) == comparable(openapi_document()), (
        "docs/openapi.json drifted from the routes: run .venv/bin/python scripts/export_openapi.py")


def test_openapi_is_served_under_the_api_prefix(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        served = client.get("/api/v1/openapi.json").json()
    assert comparable(served) == comparable(openapi_document())
    assert "/api/v1/tokens" in served["paths"]
