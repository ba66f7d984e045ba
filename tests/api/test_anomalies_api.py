"""Anomalies over the API: push metric points (a scoring job runs for the new ones: the in-process
executor on SQLite, a procrastinate worker on PostgreSQL), then the paged series and anomaly lists and
one anomaly, through the same use cases as ``argus metrics ingest`` / ``argus anomalies list|show``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.settings import ServerSettings, Settings
from argus.jobs.dispatch import InProcessDispatcher
from argus.jobs.service import ListJobsRequest, list_jobs
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

ORG, PROJECT = "acme", "shop"
P = f"/api/v1/projects/{PROJECT}"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    runtime: Runtime
    tokens: dict[str, str]

    def h(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, headers=self.h("viewer"), params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def run_jobs(self) -> None:
        hook = self.app.state.on_upload
        if isinstance(hook, InProcessDispatcher):
            assert hook.drain(timeout_s=120)
        else:
            from argus.jobs.queue import run_worker

            run_worker(self.runtime, wait=False, schedules=False)


@pytest.fixture
def api(settings: Settings, engine: object) -> Iterator[Api]:
    settings = settings.model_copy(update={"server": ServerSettings(rate_limit_enabled=False)})
    app = create_app(settings)
    rt = app.state.runtime
    tokens: dict[str, str] = {}
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, ORG), get_or_create_org(s, "rival")
        get_or_create_project(s, PROJECT, ORG)
        get_or_create_project(s, PROJECT, "rival")
        for name, org, role in (("viewer", acme, Role.VIEWER), ("uploader", acme, Role.UPLOADER),
                                ("other", rival, Role.ADMIN)):
            tokens[name], _ = create_token(s, org, name, role, "test")
    if settings.effective_database_url.startswith("postgresql"):
        from argus.jobs.queue import ensure_schema

        ensure_schema(rt)
    with TestClient(app) as client:
        yield Api(app, client, rt, tokens)


def points(lo: int, hi: int, spike: int = 280) -> list[dict[str, Any]]:
    return [{"timestamp": (T0 + timedelta(hours=i)).isoformat(),
             "value": 60 + 3 * math.sin(i * 0.7) + (300 if i == spike else 0)} for i in range(lo, hi)]


def push(api: Api, body: dict[str, Any], token: str = "uploader") -> Any:
    return api.client.post(f"{P}/metrics/points", json=body, headers=api.h(token))


def test_push_scores_new_points_then_list_and_show(api: Api) -> None:
    body = {"series": "ci.queue_s", "labels": {"pool": "linux"}, "points": points(0, 200)}
    r = push(api, body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["series"] == [{"key": 'ci.queue_s{pool="linux"}', "points": 200, "new_points": 200}]
    assert first["new_points"] == 200 and first["scoring_job"] is not None
    api.run_jobs()
    again = push(api, body)  # the same push (a retry): nothing new, no job
    assert again.status_code == 200 and again.json()["new_points"] == 0 and again.json()["scoring_job"] is None
    r = push(api, {**body, "points": points(150, 288)})  # overlaps: only the 88 new points
    assert r.status_code == 201 and r.json()["new_points"] == 88
    api.run_jobs()

    jobs = list_jobs(api.runtime, ListJobsRequest(f"{ORG}/{PROJECT}"))
    scoring = [j for j in jobs if j.kind == "anomalies"]
    assert [j.status for j in scoring] == ["succeeded", "succeeded"]
    assert sorted(j.result["scored_points"] for j in scoring if j.result) == [88, 200]  # incremental

    series = api.get(f"{P}/metrics/series")
    assert [(s["key"], s["source"], s["points"], s["scored_points"]) for s in series["items"]] == \
        [('ci.queue_s{pool="linux"}', "pushed", 288, 288)]
    assert series["items"][0]["last_at"].startswith((T0 + timedelta(hours=287)).strftime("%Y-%m-%dT%H"))
    assert api.get(f"{P}/metrics/series", source="prometheus")["items"] == []

    listed = api.get(f"{P}/anomalies")
    kinds = [i["kind"] for i in listed["items"]]
    assert "anomaly" in kinds and set(kinds) <= {"anomaly", "forecast_breach"}
    one = next(i for i in listed["items"] if i["kind"] == "anomaly")
    assert one["subject_id"] == 'ci.queue_s{pool="linux"}' and one["claims"]
    # paged one by one, newest first: the same items
    seen, cursor = [], None
    while True:
        page = api.get(f"{P}/anomalies", limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in listed["items"]] == sorted(seen, reverse=True)
    assert [i["id"] for i in api.get(f"{P}/anomalies", series="ci.queue_s", kind="anomaly")["items"]] == \
        [i["id"] for i in listed["items"] if i["kind"] == "anomaly"]
    assert api.get(f"{P}/anomalies", series="other")["items"] == []

    shown = api.get(f"{P}/anomalies/{one['id']}")
    assert shown["id"] == one["id"] and shown["kind"] == "anomaly"
    r = api.client.get(f"{P}/anomalies/{one['id']}", headers=api.h("other"))
    assert r.status_code == 404  # another organisation's project of the same name
    r = api.client.get(f"{P}/anomalies/424242", headers=api.h("viewer"))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("body", "words"), [
    ({"series": "bad name", "points": points(0, 1)}, "a series name is letters"),
    ({"series": "x", "points": []}, "at least one point"),
    ({"series": "x", "labels": {"bad-label": "v"}, "points": points(0, 1)}, "is not a label"),
    ({"series": "x", "points": [{"timestamp": "0001-01-01T00:00:00", "value": 1}]}, "out of range"),
])
def test_bad_pushes_are_422_and_store_nothing(api: Api, body: dict[str, Any], words: str) -> None:
    r = push(api, body)
    assert r.status_code == 422 and words in r.json()["detail"], r.text
    assert api.get(f"{P}/metrics/series")["items"] == []


def test_pushing_needs_the_uploader_role(api: Api) -> None:
    body = {"series": "x", "points": points(0, 3)}
    assert push(api, body, "viewer").status_code == 403
    assert push(api, body, "other").status_code == 201  # into rival's own "shop", not acme's
    assert api.get(f"{P}/metrics/series")["items"] == []
    r = api.client.get(f"{P}/metrics/series", headers=api.h("other"))
    assert [s["key"] for s in r.json()["items"]] == ["x"]
    bad = api.client.get(f"{P}/anomalies", headers=api.h("viewer"), params={"cursor": "nonsense"})
    assert bad.status_code == 422
