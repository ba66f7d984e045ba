"""Alert receivers over HTTP: token or the source's signature, bad signatures 401 and audited, invalid
payloads 422 and dead-lettered, replays counted once; incidents listed, shown and moved over the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from argus.api.app import create_app
from argus.core.enums import AlertSource, Role
from argus.core.settings import Settings
from argus.ingest.alerts.signatures import sign
from argus.store.models import AuditLog, DeadLetter
from argus.store.session import unscoped
from argus.testing.uploads import make_token

FIX = Path(__file__).parents[1] / "ingest" / "alerts" / "fixtures"
BASE = "/api/v1/projects/shop"


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    settings.incidents.secrets = {f"acme/shop/{s}": SecretStr(f"secret-{s}") for s in
                                  ("github", "pagerduty", "grafana", "generic")}
    settings.server.rate_limit_enabled = False
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def token(client: TestClient, engine: Engine) -> str:
    return make_token(engine, "acme", "shop", Role.MAINTAINER)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(name: str) -> bytes:
    return (FIX / name).read_bytes()


def test_token_receivers_for_every_source(client: TestClient, token: str) -> None:
    for source, name, extra in [("alertmanager", "alertmanager_firing.json", {}),
                                ("grafana", "grafana_firing.json", {}),
                                ("pagerduty", "pagerduty_triggered.json", {}),
                                ("datadog", "datadog_triggered.json", {}),
                                ("github", "github_workflow_run_failed.json", {"X-GitHub-Event": "workflow_run"}),
                                ("generic", "generic.json", {})]:
        r = client.post(f"{BASE}/alerts/{source}", content=body(name), headers={**auth(token), **extra})
        assert r.status_code == 200, (source, r.text)
        assert r.json()["new_alerts"] >= 1, source
    r = client.get(f"{BASE}/alerts", headers=auth(token))
    assert {a["name"] for a in r.json()} >= {"HighErrorRate", "DiskFull", "WorkflowFailed", "CacheMissRateHigh"}


@pytest.mark.parametrize("source,name,event", [
    (AlertSource.GITHUB, "github_deployment_status.json", "deployment_status"),
    (AlertSource.PAGERDUTY, "pagerduty_triggered.json", None),
    (AlertSource.GRAFANA, "grafana_firing.json", None),
    (AlertSource.GENERIC, "generic.json", None),
])
def test_signed_webhook_needs_no_token(client: TestClient, engine: Engine, token: str, source: AlertSource,
                                       name: str, event: str | None) -> None:
    data = body(name)
    headers = sign(source, f"secret-{source.value}", data)
    if event:
        headers["X-GitHub-Event"] = event
    r = client.post(f"{BASE}/alerts/{source.value}", content=data, headers=headers)
    assert r.status_code == 200, r.text
    audits = _audits(engine)
    bad = sign(source, "wrong-secret", data)
    if event:
        bad["X-GitHub-Event"] = event
    r = client.post(f"{BASE}/alerts/{source.value}", content=data, headers=bad)
    assert r.status_code == 401 and "signature" in r.json()["detail"]
    tampered = client.post(f"{BASE}/alerts/{source.value}", content=data + b" ", headers=headers)
    assert tampered.status_code == 401
    rows = _audits(engine)[len(audits):]
    assert [a.status for a in rows] == [401, 401]
    assert all("signature" in a.detail.get("reason", "") for a in rows)


def test_no_token_no_signature_is_401(client: TestClient) -> None:
    r = client.post(f"{BASE}/alerts/alertmanager", content=body("alertmanager_firing.json"))
    assert r.status_code == 401


def test_signature_of_another_project_does_not_verify(client: TestClient, engine: Engine) -> None:
    make_token(engine, "acme", "other")
    data = body("generic.json")
    r = client.post("/api/v1/projects/other/alerts/generic", content=data,
                    headers=sign(AlertSource.GENERIC, "secret-generic", data))
    assert r.status_code == 401


def test_invalid_payload_is_422_and_dead_lettered(client: TestClient, engine: Engine, token: str) -> None:
    r = client.post(f"{BASE}/alerts/alertmanager", content=b'{"version": "4", "alerts": [{"labels": {}}]}',
                    headers=auth(token))
    assert r.status_code == 422 and "status: required" in r.json()["detail"]
    with Session(engine) as s, unscoped(s, reason="test"):
        (letter,) = s.scalars(select(DeadLetter))
        assert letter.source == "alert" and "status: required" in letter.reason
    assert client.post(f"{BASE}/alerts/nagios", content=b"{}", headers=auth(token)).status_code == 404


def test_replay_counts_once_and_lifecycle_over_api(client: TestClient, token: str) -> None:
    data = body("pagerduty_triggered.json")
    first = client.post(f"{BASE}/alerts/pagerduty", content=data, headers=auth(token)).json()
    again = client.post(f"{BASE}/alerts/pagerduty", content=data, headers=auth(token)).json()
    assert first["incidents_opened"] == 1 and again["replays"] == 1
    page = client.get(f"{BASE}/incidents", headers=auth(token)).json()
    (inc,) = page["items"]
    r = client.post(f"{BASE}/incidents/{inc['id']}/transitions", json={"state": "learned"}, headers=auth(token))
    assert r.status_code == 422 and "cannot go to learned" in r.json()["detail"]
    r = client.post(f"{BASE}/incidents/{inc['id']}/transitions", json={"state": "acknowledged", "note": "mine"},
                    headers=auth(token))
    assert r.status_code == 200 and r.json()["to_state"] == "acknowledged"
    shown = client.get(f"{BASE}/incidents/{inc['id']}", headers=auth(token)).json()
    assert shown["transitions"][-1]["note"] == "mine" and shown["transitions"][-1]["actor"].startswith("token:")
    assert shown["alerts"][0]["count"] == 1
    metrics = client.get(f"{BASE}/incident-metrics", headers=auth(token)).json()
    assert metrics[0]["service"] == "checkout" and metrics[0]["acknowledged"] == 1
    assert client.get(f"{BASE}/incidents/424242", headers=auth(token)).status_code == 404


def test_merge_and_split_over_api(client: TestClient, token: str) -> None:
    payload = json.dumps([{"name": "A", "service": "a"}, {"name": "B", "service": "b"}]).encode()
    client.post(f"{BASE}/alerts/generic", content=payload, headers=auth(token))
    a, b = sorted(i["id"] for i in client.get(f"{BASE}/incidents", headers=auth(token)).json()["items"])
    r = client.post(f"{BASE}/incidents/{a}/merge", json={"incidents": [b]}, headers=auth(token))
    assert r.status_code == 200 and r.json()["target"] == a
    moved = r.json()["moved"]
    r = client.post(f"{BASE}/incidents/{a}/split", json={"alerts": moved}, headers=auth(token))
    assert r.status_code == 200 and r.json()["target"] not in (a, b)
    assert client.post(f"{BASE}/incidents/{a}/merge", json={"incidents": []}, headers=auth(token)).status_code == 422


def _audits(engine: Engine) -> list[AuditLog]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditLog).order_by(AuditLog.id)))



def test_oversize_payload_is_413(client: TestClient, token: str) -> None:
    big = b'{"name": "x", "summary": "' + b"a" * (6 * 1024 * 1024) + b'"}'
    assert client.post(f"{BASE}/alerts/generic", content=big, headers=auth(token)).status_code == 413
