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


def test_dora_period_of_millennia_or_before_year_one(delivery_world: tuple[TestClient, str, str]) -> None:
    """Found by bench/api_fuzz.py: ``from=4000-09-23&to=9862-05-03`` ran month by month for minutes,
    and a ``to`` within the default period of 0001-01-01 overflowed the date type (a 500)."""
    client, viewer, _ = delivery_world
    h = {"Authorization": f"Bearer {viewer}"}
    r = client.get("/api/v1/projects/shop/dora", headers=h, params={"from": "4000-09-23", "to": "9862-05-03"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "at most 36500 days" in r.json()["detail"]
    early = client.get("/api/v1/projects/shop/dora", headers=h, params={"to": "0001-01-05"})
    assert early.status_code == 200, early.text
    assert early.json()["first_day"] == "0001-01-01"
    decades = client.get("/api/v1/projects/shop/dora", headers=h, params={"from": "1960-01-01", "to": "2049-12-31"})
    assert decades.status_code == 200, decades.text
