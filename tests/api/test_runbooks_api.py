"""Runbooks and postmortems over HTTP: list and search runbooks, an incident's recommendations, its
postmortem (404 before, drafted by POST, read by GET); bad input refused with 422."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from argus.api.app import create_app
from argus.app import runbooks as uc
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.testing.uploads import make_token

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "runbooks"
BASE = "/api/v1/projects/shop"


@pytest.fixture
def client(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings.server.rate_limit_enabled = False
    app = create_app(settings)
    with TestClient(app) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_runbooks_recommendations_and_postmortem(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    token = make_token(engine, "acme", "shop", Role.UPLOADER)
    viewer = make_token(engine, "acme", "shop", Role.VIEWER)
    folder = tmp_path / "rb"
    shutil.copytree(EXAMPLES, folder)
    uc.index(client.app.state.runtime, folder, "shop", org="acme")  # type: ignore[attr-defined]
    body = {"alerts": [{"name": "PodRestarts", "service": "api", "severity": "high",
                        "summary": "container OOMKilled, CrashLoopBackOff"}]}
    r = client.post(f"{BASE}/alerts/generic", content=json.dumps(body), headers=auth(token))
    assert r.status_code == 200, r.text
    iid = r.json()["incident_ids"][0]
    r = client.get(f"{BASE}/runbooks", headers=auth(viewer))
    assert r.status_code == 200 and len(r.json()) == 12
    r = client.get(f"{BASE}/runbooks/search", params={"q": "disk full no space"}, headers=auth(viewer))
    assert r.status_code == 200 and r.json()[0]["runbook"]["key"] == "disk-full.md"
    assert client.get(f"{BASE}/runbooks/search", params={"q": "the"}, headers=auth(viewer)).status_code == 422
    assert client.get(f"{BASE}/runbooks/search", params={"q": ""}, headers=auth(viewer)).status_code == 422
    r = client.get(f"{BASE}/incidents/{iid}/recommendations", headers=auth(viewer))
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["items"][0]["runbook"]["key"] == "crashloop-oom.md" and rec["items"][0]["risk"] == "medium"
    assert client.get(f"{BASE}/incidents/424242/recommendations", headers=auth(viewer)).status_code == 404
    assert client.get(f"{BASE}/incidents/{iid}/postmortem", headers=auth(viewer)).status_code == 404
    assert client.post(f"{BASE}/incidents/{iid}/postmortem", json={}, headers=auth(viewer)).status_code == 403
    r = client.post(f"{BASE}/incidents/{iid}/postmortem", json={"cause": "memory leak in 2.3",
                                                                "follow_ups": ["add a heap alert"]},
                    headers=auth(token))
    assert r.status_code == 200, r.text
    assert r.json()["created"] and r.json()["cause"] == "memory leak in 2.3"
    r = client.get(f"{BASE}/incidents/{iid}/postmortem", headers=auth(viewer))
    assert r.status_code == 200 and "- [ ] add a heap alert" in r.json()["markdown"]
    bad = client.post(f"{BASE}/incidents/{iid}/postmortem", json={"cause": "x" * 3000}, headers=auth(token))
    assert bad.status_code == 422


def test_feedback_proposals_and_decisions(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    uploader = make_token(engine, "acme", "shop", Role.UPLOADER)
    maintainer = make_token(engine, "acme", "shop", Role.MAINTAINER)
    folder = tmp_path / "rb"
    shutil.copytree(EXAMPLES, folder)
    uc.index(client.app.state.runtime, folder, "shop", org="acme")  # type: ignore[attr-defined]
    body = {"alerts": [{"name": "HighErrorRate", "service": "api", "summary": "5xx errors after the deploy"}]}
    iid = client.post(f"{BASE}/alerts/generic", content=json.dumps(body), headers=auth(uploader)).json()["incident_ids"][0]
    r = client.post(f"{BASE}/incidents/{iid}/runbook-feedback", json={"runbook": "rollback-bad-deploy.md",
                                                                      "helped": True}, headers=auth(uploader))
    assert r.status_code == 200 and r.json()["helped_total"] == 1
    r = client.post(f"{BASE}/incidents/{iid}/runbook-feedback", json={"runbook": "nope.md", "helped": True},
                    headers=auth(uploader))
    assert r.status_code == 404
    r = client.post(f"{BASE}/incidents/{iid}/actions", headers=auth(uploader))
    assert r.status_code == 200 and r.json()["proposed"] >= 1
    rows = client.get(f"{BASE}/runbook-actions", params={"incident": iid, "status": "proposed"},
                      headers=auth(uploader)).json()
    aid = next(a["id"] for a in rows if a["kind"] == "rollback")
    assert client.post(f"{BASE}/runbook-actions/{aid}/decision", json={"approve": True},
                       headers=auth(uploader)).status_code == 403
    r = client.post(f"{BASE}/runbook-actions/{aid}/decision", json={"approve": True, "note": "ok"},
                    headers=auth(maintainer))
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["executed"] is False
    again = client.post(f"{BASE}/runbook-actions/{aid}/decision", json={"approve": False}, headers=auth(maintainer))
    assert again.status_code == 422
    assert client.get(f"{BASE}/runbook-actions", params={"status": "done"}, headers=auth(uploader)).status_code == 422
