"""Incident investigation through the use cases on a real database: detection snapshot, deployment /
upstream / capacity / config hypotheses with evidence rows, the policy (INCONCLUSIVE, auto-ack with a
precedent), recording the cause (feedback, F5, accepted cause), LLM drafts from a fake server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from argus.app import incidents as uc
from argus.app import investigation as inv
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource
from argus.core.errors import NotFoundError
from argus.testing.http import FakeAnswer, FakeRequest, serve_json

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SERVICES = """
web: {depends_on: [api]}
api: {depends_on: [db], slo: {objective: 0.999, metric: error_ratio}}
db: {}
other: {}
"""


def send(rt: Runtime, alerts: list[dict[str, Any]] = (), deployments: list[dict[str, Any]] = (),  # type: ignore[assignment]
         at: datetime = T0) -> Any:
    body = json.dumps({"alerts": list(alerts), "deployments": list(deployments)}).encode()
    return uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, body, "test", "shop", received_at=at))


def alert(name: str, svc: str, at: datetime, **labels: str) -> dict[str, Any]:
    return {"name": name, "service": svc, "severity": "critical", "fingerprint": f"{svc}/{name}/{at.isoformat()}",
            "at": at.isoformat(), "labels": labels}


@pytest.fixture
def graph(runtime: Runtime, tmp_path: Path) -> Runtime:
    f = tmp_path / "services.yaml"
    f.write_text(SERVICES)
    uc.load_services(runtime, f, "shop")
    return runtime


def test_deployment_before_the_symptom_ranks_first_with_its_evidence(graph: Runtime) -> None:
    send(graph, deployments=[{"id": "d1", "service": "api", "environment": "prod", "commit": "a" * 40,
                              "started_at": (T0 - timedelta(minutes=5)).isoformat()},
                             {"id": "d0", "service": "other", "environment": "prod",
                              "started_at": (T0 - timedelta(minutes=1)).isoformat()}], at=T0 - timedelta(minutes=5))
    out = send(graph, [alert("HighErrorRate", "api", T0, sigma="3.4")])
    (iid,) = out.incident_ids
    first = inv.show(graph, iid, "shop")
    assert first is not None and first.actor == "argus"  # taken at detection
    snap = inv.snapshot(graph, iid, "shop")
    assert snap is not None and snap["trigger"] == "detection" and len(snap["content_hash"]) == 64
    view = inv.investigate(graph, iid, "alice", "shop")
    top = view.hypotheses[0]
    assert top.kind == "deploy" and top.cause == "deploy:api" and top.shown
    assert {e.ref_type for e in top.evidence} >= {"deployment", "alert"}
    assert set(top.factors) == {"signal", "temporal", "precedent", "evidence", "human"}
    assert top.factors["signal"] == 0.9 and top.factors["temporal"] == 0.95
    assert top.low <= top.confidence <= top.high
    # the deployment of an unrelated service is no hypothesis
    assert all(h.service != "other" for h in view.hypotheses)


def test_upstream_alerting_first_and_inconclusive_without_signals(graph: Runtime) -> None:
    out = send(graph, [alert("DbDown", "db", T0, sigma="4"), alert("HighLatency", "api", T0 + timedelta(minutes=2))])
    (iid,) = set(out.incident_ids)
    view = inv.investigate(graph, iid, "alice", "shop")
    assert view.hypotheses[0].cause == "upstream:db"
    lone = send(graph, [alert("Weird", "other", T0 + timedelta(hours=5))], at=T0 + timedelta(hours=5))
    (lid,) = lone.incident_ids
    v2 = inv.investigate(graph, lid, "alice", "shop")
    assert v2.verdict == "inconclusive" and v2.request and "Please tell" in v2.request and not any(
        h.shown for h in v2.hypotheses)


def test_capacity_trend_and_config_change(graph: Runtime) -> None:
    sat = [alert("SaturationHigh", "api", T0 - timedelta(minutes=m), value=str(v), metric="cpu")
           for m, v in ((90, 70), (60, 82), (20, 93))]
    out = send(graph, sat)
    iid = out.incident_ids[0]
    view = inv.investigate(graph, iid, "alice", "shop")
    assert view.hypotheses[0].kind == "capacity" and "rising" in view.hypotheses[0].title
    t1 = T0 + timedelta(hours=6)
    send(graph, deployments=[{"id": "c1", "service": "web", "environment": "prod", "kind": "config",
                              "started_at": (t1 - timedelta(minutes=3)).isoformat()}], at=t1)
    out2 = send(graph, [alert("HighErrorRate", "web", t1)], at=t1)
    v2 = inv.investigate(graph, out2.incident_ids[0], "alice", "shop")
    assert v2.hypotheses[0].kind == "config" and v2.hypotheses[0].factors["temporal"] == 0.85


def test_recorded_cause_feeds_precedent_and_accepted_cause(graph: Runtime) -> None:
    iids = []
    for k in range(3):
        t = T0 + timedelta(days=k)
        send(graph, deployments=[{"id": f"d{k}", "service": "api", "environment": "prod",
                                  "started_at": (t - timedelta(minutes=4)).isoformat()}], at=t)
        out = send(graph, [alert("HighErrorRate", "api", t, sigma="3.5")], at=t)
        iid = out.incident_ids[0]
        view = inv.investigate(graph, iid, "alice", "shop")
        done = inv.record_cause(graph, iid, view.hypotheses[0].key, "alice", "rolled back", project="shop")
        assert done.accepted == 1
        iids.append(iid)
    cause = inv.accepted(graph, iids[0], "shop")
    assert cause is not None and cause.kind == "deploy" and cause.cause == "deploy:api"
    assert any(e.ref_type == "deployment" for e in cause.evidence)
    last = inv.show(graph, iids[-1], "shop")
    assert last is not None and last.hypotheses[0].precedents == 2
    # a cause no hypothesis named
    assert inv.record_cause(graph, iids[1], "config:api", "bob", project="shop").cause == "config:api"
    with pytest.raises(NotFoundError):
        inv.record_cause(graph, iids[1], "nonsense", "bob", project="shop")
    assert inv.accepted(graph, iids[1], "shop").cause == "config:api"  # type: ignore[union-attr]


@pytest.fixture
def fake_llm() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    def post(req: FakeRequest) -> FakeAnswer:
        seen.append({"path": req.target, "body": json.loads(req.body)})
        text = json.dumps([{"kind": "deploy", "service": "api", "statement": "the api release broke it"},
                           {"kind": "capacity", "service": "nowhere", "statement": "made up"}])
        return 200, {}, ({"content": [{"type": "text", "text": text}]} if req.target == "/v1/messages"
                         else {"choices": [{"message": {"content": text}}]})

    with serve_json(post=post) as url:
        yield url, seen


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_llm_drafts_are_scored_by_the_same_rules(graph: Runtime, fake_llm: tuple[str, list[dict[str, Any]]],
                                                 provider: str) -> None:
    url, seen = fake_llm
    cfg = graph.settings.investigation
    cfg.llm_provider, cfg.llm_base_url, cfg.snapshot_on_detection = provider, url, False
    send(graph, deployments=[{"id": "d1", "service": "api", "environment": "prod",
                              "started_at": (T0 - timedelta(minutes=5)).isoformat()}], at=T0)
    out = send(graph, [alert("HighErrorRate", "api", T0, sigma="3")])
    view = inv.investigate(graph, out.incident_ids[0], "alice", "shop")
    drafts = [h for h in view.hypotheses if h.kind == "llm"]
    assert len(drafts) == 2 and seen and seen[0]["path"] in ("/v1/messages", "/chat/completions")
    grounded = next(h for h in drafts if h.cause == "deploy:api")
    made_up = next(h for h in drafts if h.cause == "capacity:nowhere")
    assert any(e.ref_type == "deployment" for e in grounded.evidence) and not made_up.evidence
    assert made_up.confidence < grounded.confidence and view.auto_ack != made_up.key


def test_llm_down_is_a_note_not_a_failure(graph: Runtime) -> None:
    cfg = graph.settings.investigation
    cfg.llm_provider, cfg.llm_base_url, cfg.llm_timeout_s = "openai", "http://127.0.0.1:9", 2.0
    out = send(graph, [alert("HighErrorRate", "api", T0)])
    view = inv.investigate(graph, out.incident_ids[0], "alice", "shop")
    assert any("LLM drafts unavailable" in n for n in view.notes)
