"""Investigation wired to runbooks, postmortems and the anomaly capability, through the use cases on a
real database: the accepted hypothesis is the postmortem's cause, top hypotheses carry recommended
runbooks (proposals with review tiers), postmortems are precedents with their cause, metric deviations
(stored anomalies, else stored points) are evidence over the alerts' values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from argus.app import incidents as uc
from argus.app import investigation as inv
from argus.app import postmortem as pm
from argus.app import runbooks as rb
from argus.app.runtime import ProjectScope, Runtime
from argus.core.enums import AlertSource

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
SERVICES = """
web: {depends_on: [api]}
api: {depends_on: [db]}
db: {}
"""
RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "runbooks"


def send(rt: Runtime, alerts: list[dict[str, Any]] = (), deployments: list[dict[str, Any]] = (),  # type: ignore[assignment]
         at: datetime = T0) -> Any:
    body = json.dumps({"alerts": list(alerts), "deployments": list(deployments)}).encode()
    return uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, body, "test", "shop", received_at=at))


def alert(name: str, svc: str, at: datetime, **labels: str) -> dict[str, Any]:
    return {"name": name, "service": svc, "severity": "critical", "fingerprint": f"{svc}/{name}/{at.isoformat()}",
            "at": at.isoformat(), "labels": labels}


def deploy(ref: str, svc: str, at: datetime) -> dict[str, Any]:
    return {"id": ref, "service": svc, "environment": "prod", "commit": "a" * 40, "started_at": at.isoformat()}


@pytest.fixture
def graph(runtime: Runtime, tmp_path: Path) -> Runtime:
    f = tmp_path / "services.yaml"
    f.write_text(SERVICES)
    uc.load_services(runtime, f, "shop")
    return runtime


def deploy_incident(rt: Runtime, t: datetime = T0, **labels: str) -> int:
    send(rt, deployments=[deploy(f"d{t:%d%H}", "api", t - timedelta(minutes=5))], at=t - timedelta(minutes=5))
    out = send(rt, [alert("HighErrorRate", "api", t, **labels)], at=t)
    return int(out.incident_ids[0])


def test_incidents_cause_then_postmortem_writes_the_accepted_hypothesis_with_its_evidence(graph: Runtime) -> None:
    iid = deploy_incident(graph, sigma="3.4")
    view = inv.investigate(graph, iid, "alice", "shop")
    top = view.hypotheses[0]
    assert top.cause == "deploy:api"
    inv.record_cause(graph, iid, top.key, "alice", "rolled back", project="shop")
    out = pm.write(graph, pm.PostmortemRequest(iid, "alice", "shop"))
    assert out.cause_source == "hypothesis" and out.cause is not None
    assert top.title in out.cause and "[deploy:api]" in out.cause
    md = out.markdown
    cause_part = md[md.index("## Cause"):md.index("## What was tried")]
    assert "source: hypothesis" in cause_part and "Evidence:" in cause_part
    assert "deployment " in cause_part and "alert " in cause_part  # the evidence rows of the hypothesis
    assert "accepted by alice" in cause_part and "rolled back" in cause_part
    # a person's statement still wins
    assert pm.write(graph, pm.PostmortemRequest(iid, "bob", "shop", cause="a bad flag")).cause_source == "person"


def test_without_an_accepted_hypothesis_the_lifecycle_note_is_the_cause(graph: Runtime) -> None:
    from argus.analysis.incidents.schemas import IncidentState

    iid = deploy_incident(graph)
    uc.transition(graph, uc.TransitionRequest(iid, IncidentState.ACKNOWLEDGED, "bob", "cause: cache stampede", "shop"))
    out = pm.write(graph, pm.PostmortemRequest(iid, "bob", "shop"))
    assert out.cause_source == "lifecycle_note" and out.cause == "cache stampede"


def test_top_hypotheses_carry_recommended_runbooks_with_risk_impact_and_tiers(graph: Runtime) -> None:
    rb.index(graph, RUNBOOKS, "shop")
    iid = deploy_incident(graph, sigma="3.4")
    view = inv.investigate(graph, iid, "alice", "shop")
    top = view.hypotheses[0]
    assert top.kind == "deploy" and top.runbooks
    keys = [r.runbook for r in top.runbooks]
    assert "rollback-bad-deploy.md" in keys
    r = top.runbooks[keys.index("rollback-bad-deploy.md")]
    assert r.risk in ("low", "medium", "high") and r.expected_impact
    assert r.actions and all(a.status == "suggested" and a.review_tier != "autonomous" for a in r.actions)
    assert any(a.kind == "rollback" for a in r.actions)
    # stored with the run (show reads it back) and in the hypothesis insight's data
    again = inv.show(graph, iid, "shop")
    assert again is not None and again.hypotheses[0].runbooks == top.runbooks
    # hypotheses that are not shown carry none
    assert all(not h.runbooks for h in view.hypotheses if not h.shown) or view.verdict != "ranked"
    # nothing was proposed: actions stay suggestions until --propose / approval
    assert rb.actions(graph, iid, project="shop") == ()


def test_a_postmortem_is_a_precedent_with_its_accepted_cause(graph: Runtime) -> None:
    first = send(graph, [alert("QueueLag", "api", T0)]).incident_ids[0]
    # no hypothesis was accepted: the postmortem's cause (a person's, naming <kind>:<service>) counts
    pm.write(graph, pm.PostmortemRequest(first, "bob", "shop", cause="config:api consumer concurrency set to 1"))
    t = T0 + timedelta(days=3)
    second = send(graph, [alert("QueueLag", "api", t)], at=t).incident_ids[0]
    view = inv.investigate(graph, second, "alice", "shop")
    prec = [h for h in view.hypotheses if h.cause == "config:api"]
    assert prec and prec[0].precedents == 1 and prec[0].kind == "precedent"
    assert any(e.ref_type == "past_incident" and e.ref_id == str(first) and "postmortem" in e.detail
               for e in prec[0].evidence)
    snap = inv.snapshot(graph, second, "shop")
    assert snap is not None
    (p,) = [x for x in snap["content"]["precedents"] if x["ref"] == str(first)]
    assert p["cause"] == "config:api" and p["postmortem"] is not None


def add_series(rt: Runtime, name: str, svc: str, points: list[tuple[datetime, float]]) -> str:
    def work(scope: ProjectScope) -> str:
        from argus.ingest.metrics.service import add_points, series_for

        sr = series_for(scope.session, name, {"service": svc}, "ingested")
        add_points(scope.session, sr, [t for t, _ in points], [v for _, v in points])
        return sr.key

    return rt.in_project("shop", work, create=True)


def test_metric_deviations_from_stored_points_are_evidence_over_alert_values(graph: Runtime) -> None:
    base = [(T0 - timedelta(hours=6) + timedelta(minutes=10 * k), 100.0 + (k % 5)) for k in range(30)]
    spike = [(T0 - timedelta(minutes=m), 180.0) for m in (10, 5, 0)]
    add_series(graph, "latency_p99", "api", base + spike)
    iid = deploy_incident(graph)  # the alert carries no value: without metrics the signal is unknown
    view = inv.investigate(graph, iid, "alice", "shop")
    top = view.hypotheses[0]
    ev = [e for e in top.evidence if e.ref_type == "metric_window"]
    assert ev and "latency_p99" in ev[0].detail and "stored points" in ev[0].detail
    assert top.factors["signal"] == 0.9  # ≥ 3 sigma off the median of the earlier points
    snap = inv.snapshot(graph, iid, "shop")
    assert snap is not None and snap["content"]["metrics"][0]["source"] == "points"


def test_a_stored_anomaly_finding_wins_over_the_points(graph: Runtime) -> None:
    from argus.store.models import InsightRow

    key = add_series(graph, "error_rate", "api", [(T0 - timedelta(hours=5) + timedelta(minutes=10 * k), 0.01)
                                                  for k in range(30)])

    def work(scope: ProjectScope) -> int:
        row = InsightRow(project_id=scope.project.id, kind="anomaly", subject_type="metric_series", subject_id=key,
                         title=f"{key}: 0.2", summary="", raw_confidence=0.9, confidence=0.9, grounding="grounded",
                         review_tier="async_review",
                         data={"series": key, "at": (T0 - timedelta(minutes=2)).isoformat(), "value": 0.2,
                               "baseline": {"median": 0.01, "mad": 0.02, "count": 30}})
        scope.session.add(row)
        scope.session.flush()
        return int(row.id)

    ins = graph.in_project("shop", work)
    iid = deploy_incident(graph, sigma="1.2")
    top = inv.investigate(graph, iid, "alice", "shop").hypotheses[0]
    ev = [e for e in top.evidence if e.ref_type == "insight" and e.ref_id == str(ins)]
    assert ev and "anomaly finding" in ev[0].detail
    # (0.2 − 0.01) / (1.4826 · 0.02) = 6.4 sigma: the anomaly's deviation, not the alert's 1.2
    assert top.factors["signal"] == 0.9


def test_no_metrics_falls_back_to_the_alert_values(graph: Runtime) -> None:
    add_series(graph, "latency_p99", "db", [(T0 - timedelta(hours=1), 1.0)])  # another service, too short
    iid = deploy_incident(graph, sigma="1.5")
    top = inv.investigate(graph, iid, "alice", "shop").hypotheses[0]
    assert top.factors["signal"] == 0.4 and not any(e.ref_type == "metric_window" for e in top.evidence)
