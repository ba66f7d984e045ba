"""The change-risk routes on a simulated project's ingested history: risk of a commit and of a range
(computed, nothing logged), the model list, and the maintainer-only train and promote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lightgbm", reason="the ml extra (LightGBM, scikit-learn) is not installed")

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from argus.api.app import create_app
from argus.app import risk as uc
from argus.app.git import IngestHistoryRequest, ingest_history
from argus.core.enums import Role
from argus.core.settings import RiskLabel, Settings
from argus.sim import Scale, scale_config, simulate
from argus.store.admin import create_token
from argus.store.models import Commit, RiskPrediction
from argus.store.projects import get_or_create_org, get_or_create_project

P = "/api/v1/projects/shop"


@pytest.fixture
def world(tmp_path: Path, settings: Settings, engine: Any) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    sim = tmp_path / "sim"
    simulate(replace(scale_config(Scale.SMALL, seed=5), days=14), sim, scale="small", force=True)
    (project,) = json.loads((sim / "manifest.json").read_text())["projects"]
    settings = settings.model_copy(update={"risk": settings.risk.model_copy(update={"label": RiskLabel.SZZ})})
    app = create_app(settings)
    rt = app.state.runtime
    with rt.unit_of_work() as s:
        acme = get_or_create_org(s, "acme")
        get_or_create_project(s, "shop", "acme")
        tokens = {r: create_token(s, acme, r.value, r, "test")[0] for r in (Role.VIEWER, Role.MAINTAINER)}
    ingest_history(rt, IngestHistoryRequest(project="acme/shop", repo=sim / project["repo"]))
    with TestClient(app) as client:
        yield client, {r.value: t for r, t in tokens.items()}, rt


def test_risk_and_model_routes(world: tuple[TestClient, dict[str, str], Any]) -> None:
    client, tokens, rt = world
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    maint = {"Authorization": f"Bearer {tokens['maintainer']}"}
    assert client.get(f"{P}/models", headers=viewer).json() == {"items": []}
    assert client.post(f"{P}/models/train", headers=viewer).status_code == 403
    trained = client.post(f"{P}/models/train", headers=maint)
    assert trained.status_code == 200, trained.text
    body = trained.json()
    assert body["promoted"] and body["model"]["version"] == 1 and body["model"]["status"] == "active"
    listed = client.get(f"{P}/models", headers=viewer).json()["items"]
    assert [m["version"] for m in listed] == [1] and "auc" in listed[0]["metrics"]["model"]

    shas = rt.in_project("acme/shop", lambda sc: sc.session.scalars(
        select(Commit.sha).where(Commit.is_merge.is_(False)).order_by(Commit.committer_time.desc()).limit(5)).all())
    one = client.get(f"{P}/risk/{shas[0][:10]}", headers=viewer)
    assert one.status_code == 200, one.text
    a = one.json()
    assert 0 <= a["score"] <= 100 and a["level"] in ("GO", "WARN", "BLOCK") and a["factors"]
    assert a["insight_id"] is None and a["prediction_ids"] == []  # a read: nothing logged
    rng = client.get(f"{P}/risk", params={"base": shas[-1], "head": shas[0]}, headers=viewer)
    assert rng.status_code == 200, rng.text
    assert len(rng.json()["commits"]) >= 1
    assert client.get(f"{P}/risk", params={"base": shas[-1]}, headers=viewer).status_code == 422
    assert client.get(f"{P}/risk/{'f' * 12}", headers=viewer).status_code == 404
    assert rt.in_project("acme/shop", lambda sc: sc.session.scalar(
        select(func.count()).select_from(RiskPrediction))) == 0

    again = client.post(f"{P}/models/train", headers=maint).json()  # the same data: judged on the same holdout
    assert again["model"]["version"] == 2 and again["reason"]
    promoted = client.post(f"{P}/models/2/promote", params={"force": "true"}, headers=maint).json()
    assert promoted["model"]["status"] == "active" and promoted["promoted"]
    assert [m.status for m in uc.list_models(rt, "acme/shop")] == ["active", "retired"]
