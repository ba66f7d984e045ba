"""Shared set-up of the API tests that read delivery data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app import delivery as uc
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

DELIVERY_FIXTURE = Path(__file__).parents[1] / "analysis" / "delivery" / "fixtures" / "pipelines"


@pytest.fixture()
def delivery_world(settings: Settings, engine: object) -> Iterator[tuple[TestClient, str, str]]:
    """Project acme/shop holding the delivery fixture, served by a fresh app: (client, token of an acme
    viewer, token of an admin of another organisation)."""
    app = create_app(settings)
    rt = app.state.runtime
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, "acme"), get_or_create_org(s, "rival")
        get_or_create_project(s, "shop", "acme")
        viewer, _ = create_token(s, acme, "v", Role.VIEWER, "test")
        other, _ = create_token(s, rival, "o", Role.ADMIN, "test")
    uc.ingest_delivery(rt, uc.IngestRequest(DELIVERY_FIXTURE, "acme/shop"))
    with TestClient(app) as client:
        yield client, viewer, other
