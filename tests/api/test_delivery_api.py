"""``GET /projects/{project}/dora`` and ``/dora/detail``: the same results as the CLI, read only,
refused to another organisation."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_dora_routes(delivery_world: tuple[TestClient, str, str]) -> None:
    client, viewer, other = delivery_world
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
