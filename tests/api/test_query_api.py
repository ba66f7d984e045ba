"""``POST /projects/{project}/query``: a viewer runs a guarded SELECT over its project's delivery
data; a hostile query is a 4xx naming the rule; another organisation gets 404."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_query_route(delivery_world: tuple[TestClient, str, str]) -> None:
    client, viewer, other = delivery_world
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


def test_ask_route(delivery_world: tuple[TestClient, str, str]) -> None:
    client, viewer, other = delivery_world
    h = {"Authorization": f"Bearer {viewer}"}
    url = "/api/v1/projects/shop/ask"
    r = client.post(url, headers=h, json={"question": "how many incidents"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["answered"] and doc["source"] == "catalogue" and doc["result"]["rows"][0][0] > 0
    assert doc["chart"] == "number" and doc["confidence"] == 1.0
    no = client.post(url, headers=h, json={"question": "how many incidents per moon phase", "use_model": False})
    assert no.status_code == 200 and not no.json()["answered"] and "moon" in no.json()["summary"]
    assert no.json()["nearest"]
    assert client.post(url, headers=h, json={"question": ""}).status_code == 422
    foreign = client.post(url, headers={"Authorization": f"Bearer {other}"}, json={"question": "how many incidents"})
    assert foreign.status_code == 404
