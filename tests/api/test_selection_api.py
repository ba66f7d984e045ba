"""``POST /projects/{project}/selection``: a viewer gets the tests a diff needs, ranked with reasons, from
the same use case as ``argus select``; saving the insight needs a maintainer; another organisation 404s."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app.selection import IngestMapRequest, ingest_map
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

MOD = "src/pkg/mod.py"
REPORT = {"files": {
    MOD: {"executed_lines": [1, 5, 6, 9], "contexts": {
        "1": [""], "5": ["tests/test_mod.py::test_a|run"], "6": ["tests/test_mod.py::test_a|run"],
        "9": ["tests/test_mod.py::test_b|run"]}},
    "src/pkg/util.py": {"executed_lines": [2], "contexts": {"2": ["tests/test_util.py::test_c|run"]}},
}}
DIFF = f"--- a/{MOD}\n+++ b/{MOD}\n@@ -5 +5 @@\n-    return a < b\n+    return a >= b\n"
URL = "/api/v1/projects/shop/selection"


@pytest.fixture()
def world(settings: Settings, engine: object) -> Iterator[tuple[TestClient, dict[Role, str], str]]:
    app = create_app(settings)
    rt = app.state.runtime
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, "acme"), get_or_create_org(s, "rival")
        get_or_create_project(s, "shop", "acme")
        tokens = {r: create_token(s, acme, r.value, r, "test")[0] for r in (Role.VIEWER, Role.MAINTAINER)}
        other, _ = create_token(s, rival, "o", Role.ADMIN, "test")
    ingest_map(rt, IngestMapRequest(json.dumps(REPORT).encode(), "cov.json", project="acme/shop"))
    with TestClient(app) as client:
        yield client, tokens, other


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_selection_route_ranks_with_reasons(world: tuple[TestClient, dict[Role, str], str]) -> None:
    client, tokens, other = world
    r = client.post(URL, headers=_h(tokens[Role.VIEWER]), json={"diff": DIFF, "max_tests": 1, "include_skipped": True})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert [t["test"] for t in doc["selected"]] == ["tests.test_mod::test_a"]
    assert doc["selected"][0]["reasons"][0] == f"covers changed line {MOD}:5"
    assert doc["mode"] == "max_tests" and doc["total"] == 3 and doc["skipped"] == 2
    assert doc["changed_files"] == [MOD] and doc["insight_id"] is None
    assert {t["test"] for t in doc["skipped_tests"]} == {"tests.test_mod::test_b", "tests.test_util::test_c"}
    safe = client.post(URL, headers=_h(tokens[Role.VIEWER]), json={"diff": DIFF}).json()
    assert safe["mode"] == "confidence" and safe["estimated_miss"] <= 0.01 and safe["skipped_tests"] is None
    bad = client.post(URL, headers=_h(tokens[Role.VIEWER]), json={"diff": DIFF, "budget": "25%", "max_tests": 2})
    assert bad.status_code in (400, 422) and "give one of" in bad.text
    assert client.post(URL, headers=_h(other), json={"diff": DIFF}).status_code == 404


def test_saving_the_insight_needs_a_maintainer(world: tuple[TestClient, dict[Role, str], str]) -> None:
    client, tokens, _ = world
    body = {"diff": DIFF, "save": True, "commit": "a" * 40}
    assert client.post(URL, headers=_h(tokens[Role.VIEWER]), json=body).status_code == 403
    r = client.post(URL, headers=_h(tokens[Role.MAINTAINER]), json=body)
    assert r.status_code == 200, r.text
    iid = r.json()["insight_id"]
    assert iid is not None
    got = client.get("/api/v1/projects/shop/insights", headers=_h(tokens[Role.VIEWER]))
    assert got.status_code == 200, got.text
    assert any(i["kind"] == "test_selection" for i in got.json()["items"])


def test_a_budget_past_any_suite_or_not_finite_is_a_422(world: tuple[TestClient, dict[Role, str], str]) -> None:
    """``max_tests`` of 401 digits overflowed ``float()`` (a 500); ``max_time`` ``inf``/``nan`` was
    accepted as a budget (and a NaN is no JSON a saved insight could hold)."""
    client, tokens, _ = world
    h = {**_h(tokens[Role.MAINTAINER]), "content-type": "application/json"}
    huge = client.post(URL, headers=h, content=json.dumps({"diff": DIFF, "save": True}).replace(
        "}", ', "max_tests": 1' + "0" * 400 + "}"))
    assert huge.status_code == 422 and "max_tests" in huge.text
    for max_time in ("inf", "nan", "1e400s"):
        r = client.post(URL, headers=h, json={"diff": DIFF, "max_time": max_time, "save": True})
        assert r.status_code == 422 and "finite" in r.json()["detail"], (max_time, r.text[:300])
