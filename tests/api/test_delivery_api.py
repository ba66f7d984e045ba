"""``GET /projects/{project}/dora`` and ``/dora/detail``: the same results as the CLI, read only,
refused to another organisation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app import delivery as uc
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

FIXTURE = Path(__file__).parents[1] / "analysis" / "delivery" / "fixtures" / "pipelines"


def test_dora_routes(settings: Settings, engine: object) -> None:
    app = create_app(settings)
    rt = app.state.runtime
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, "acme"), get_or_create_org(s, "rival")
        get_or_create_project(s, "shop", "acme")
        viewer, _ = create_token(s, acme, "v", Role.VIEWER, "test")
        other, _ = create_token(s, rival, "o", Role.ADMIN, "test")
    org_rt = dataclasses.replace(rt, _settings=rt.settings.model_copy(update={"default_org": "acme"}),
                                 _engine=rt.engine())
    uc.ingest_delivery(org_rt, uc.IngestRequest(FIXTURE, "shop"))
    with TestClient(app) as client:
        h = {"Authorization": f"Bearer {viewer}"}
        r = client.get("/api/v1/projects/shop/dora", headers=h, params={"from": "2024-03-01", "to": "2024-03-31"})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["insight_id"] is None and doc["first_day"] == "2024-03-01"
        lead = next(m for m in doc["metrics"] if m["key"] == "lead_time")
        assert lead["value"] == 2042
        d = client.get("/api/v1/projects/shop/dora/detail", headers=h).json()
        assert d["pull_requests"]["PR-1"]["deployment_id"] == "P2:api"
        assert d["incidents"]["INC-3"] == {"deployment_id": "P2"}
        bad = client.get("/api/v1/projects/shop/dora", headers=h, params={"from": "2024-04-01", "to": "2024-03-01"})
        assert bad.status_code in (400, 422)
        foreign = client.get("/api/v1/projects/shop/dora", headers={"Authorization": f"Bearer {other}"})
        assert foreign.status_code == 404
