"""``POST /projects/{project}/query``: a viewer runs a guarded SELECT over its project's delivery
data; a hostile query is a 4xx naming the rule; another organisation gets 404."""

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


def test_query_route(settings: Settings, engine: object) -> None:
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
        url = "/api/v1/projects/shop/query"
        r = client.post(url, headers=h, json={"sql": "SELECT COUNT(*) AS n FROM incidents"})
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["columns"] == ["n"] and doc["rows"][0][0] > 0 and doc["views"] == ["incidents"]
        assert "project_id" in doc["executed_sql"]
        bad = client.post(url, headers=h, json={"sql": "SELECT * FROM delivery_incident"})
        assert bad.status_code in (400, 422) and "view-allowlist" in bad.text
        drop = client.post(url, headers=h, json={"sql": "SELECT 1 FROM incidents; DROP TABLE project"})
        assert drop.status_code in (400, 422) and "single-statement" in drop.text
        foreign = client.post(url, headers={"Authorization": f"Bearer {other}"}, json={"sql": "SELECT 1 FROM runs"})
        assert foreign.status_code == 404
