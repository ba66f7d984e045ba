"""Alerts → incidents through the use cases on a real database: dedup, replays, out-of-order pairs,
correlation by service and the service graph, lifecycle, merge/split, change candidates, metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from argus.analysis.incidents.schemas import IncidentState
from argus.app import incidents as uc
from argus.app.deadletters import ListDeadLetters, list_dead_letters
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource
from argus.core.errors import InputError, NotFoundError, RejectedInputError

FIX = Path(__file__).parents[1] / "ingest" / "alerts" / "fixtures"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def generic(rt: Runtime, *alerts: dict[str, Any], at: datetime = T0, project: str = "shop") -> Any:
    body = json.dumps({"alerts": list(alerts)}).encode()
    return uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, body, "test", project, received_at=at))


def fixture(rt: Runtime, source: AlertSource, name: str, at: datetime = T0, headers: dict[str, str] | None = None) -> Any:
    return uc.ingest(rt, uc.IngestRequest(source, (FIX / name).read_bytes(), name, "shop", headers or {},
                                          received_at=at))


def test_repeats_within_the_window_count_and_keep_every_source(runtime: Runtime) -> None:
    a = {"name": "HighLatency", "service": "checkout", "fingerprint": "lat-1", "severity": "critical"}
    first = generic(runtime, a)
    assert (first.new_alerts, first.incidents_opened) == (1, 1)
    for i in range(1, 4):
        out = generic(runtime, {**a, "at": (T0 + timedelta(minutes=10 * i)).isoformat()})
        assert out.repeats == 1 and out.new_alerts == 0
    (alert,) = uc.list_alerts(runtime, "shop")
    assert alert.count == 4 and alert.sources == {"generic": 4}
    # past the window (1 h after the last one): a new alert episode
    late = generic(runtime, {**a, "at": (T0 + timedelta(minutes=30 + 61)).isoformat()})
    assert late.new_alerts == 1


def test_label_fingerprint_deduplicates_across_sources(runtime: Runtime) -> None:
    runtime.settings.incidents.fingerprint_labels = ["alertname", "service"]
    fixture(runtime, AlertSource.ALERTMANAGER, "alertmanager_firing.json")
    body = json.dumps({"name": "HighErrorRate", "service": "checkout", "severity": "critical"}).encode()
    out = uc.ingest(runtime, uc.IngestRequest(AlertSource.GENERIC, body, "t", "shop", received_at=T0))
    assert out.repeats == 1
    alerts = {a.service: a for a in uc.list_alerts(runtime, "shop")}
    assert alerts["checkout"].sources == {"alertmanager": 1, "generic": 1} and alerts["checkout"].count == 2


def test_replayed_delivery_counts_once(runtime: Runtime) -> None:
    fixture(runtime, AlertSource.PAGERDUTY, "pagerduty_triggered.json")
    again = fixture(runtime, AlertSource.PAGERDUTY, "pagerduty_triggered.json")
    assert again.replays == 1 and again.repeats == 0
    (alert,) = uc.list_alerts(runtime, "shop")
    assert alert.count == 1


def test_resolved_closes_its_firing_twin_and_resolves_the_incident(runtime: Runtime) -> None:
    fixture(runtime, AlertSource.PAGERDUTY, "pagerduty_triggered.json")
    out = fixture(runtime, AlertSource.PAGERDUTY, "pagerduty_resolved.json", at=T0 + timedelta(minutes=40))
    assert out.resolved == 1 and out.incidents_resolved == 1
    (alert,) = uc.list_alerts(runtime, "shop")
    assert alert.status == "resolved" and alert.ends_at == datetime(2026, 11, 20, 10, 40, tzinfo=UTC)
    (inc,) = uc.list_incidents(runtime, uc.ListRequest("shop"))
    assert inc.state == "resolved"
    log = uc.show_incident(runtime, inc.id, "shop").transitions
    assert [(t.from_state, t.to_state, t.actor) for t in log] == [(None, "detected", "argus"),
                                                                  ("detected", "resolved", "argus")]


def test_out_of_order_resolved_before_firing_stays_resolved(runtime: Runtime) -> None:
    fixture(runtime, AlertSource.DATADOG, "datadog_recovered.json")
    late = fixture(runtime, AlertSource.DATADOG, "datadog_triggered.json")
    assert late.new_alerts == 0 and late.repeats == 1
    (alert,) = uc.list_alerts(runtime, "shop")
    assert alert.status == "resolved" and alert.count == 2
    (inc,) = uc.list_incidents(runtime, uc.ListRequest("shop"))
    assert inc.state == "resolved"


def test_out_of_order_alertmanager_pair(runtime: Runtime) -> None:
    fixture(runtime, AlertSource.ALERTMANAGER, "alertmanager_resolved.json")
    fixture(runtime, AlertSource.ALERTMANAGER, "alertmanager_firing.json", at=T0 + timedelta(minutes=1))
    alerts = {a.service: a for a in uc.list_alerts(runtime, "shop")}
    assert alerts["checkout"].status == "resolved" and alerts["checkout"].count == 2
    assert alerts["payments"].status == "firing"


def test_correlation_by_service_graph_keeps_its_reason(runtime: Runtime) -> None:
    uc.load_services(runtime, FIX / "services.yaml", "shop")
    fixture(runtime, AlertSource.ALERTMANAGER, "alertmanager_firing.json")  # checkout + payments
    fixture(runtime, AlertSource.GRAFANA, "grafana_firing.json")  # postgres: payments depends on it
    generic(runtime, {"name": "IndexLag", "service": "search", "severity": "warning"})  # unrelated
    incs = uc.list_incidents(runtime, uc.ListRequest("shop"))
    assert sorted(len(i.services) for i in incs) == [1, 3]
    big = next(i for i in incs if len(i.services) == 3)
    assert set(big.services) == {"checkout", "payments", "postgres"} and big.priority == "P0"
    detail = uc.show_incident(runtime, big.id, "shop")
    rules = {a.service: a.correlation["rule"] for a in detail.alerts}
    assert rules == {"checkout": "new", "payments": "dependency", "postgres": "dependency"}
    assert "service graph" in next(a for a in detail.alerts if a.service == "postgres").correlation["detail"]
    assert set(detail.owners) == {"team-shop", "team-payments", "team-platform"}


def test_lifecycle_legal_only_and_logged(runtime: Runtime) -> None:
    generic(runtime, {"name": "Down", "service": "api", "severity": "critical"})
    (inc,) = uc.list_incidents(runtime, uc.ListRequest("shop"))
    with pytest.raises(InputError, match="cannot go to learned"):
        uc.transition(runtime, uc.TransitionRequest(inc.id, IncidentState.LEARNED, "alice", project="shop"))
    for st in ("acknowledged", "investigating", "mitigated", "resolved", "learned"):
        uc.transition(runtime, uc.TransitionRequest(inc.id, IncidentState(st), "alice", f"to {st}", "shop"))
    d = uc.show_incident(runtime, inc.id, "shop")
    assert [t.to_state for t in d.transitions][-5:] == ["acknowledged", "investigating", "mitigated", "resolved",
                                                        "learned"]
    assert all(t.actor == "alice" for t in d.transitions[1:]) and d.transitions[2].note == "to investigating"
    assert d.incident.acknowledged_at is not None and d.incident.resolved_at is not None
    with pytest.raises(InputError, match="final state"):
        uc.transition(runtime, uc.TransitionRequest(inc.id, IncidentState.RESOLVED, "bob", project="shop"))
    (row,) = uc.metrics(runtime, "shop")
    assert row.service == "api" and row.incidents == 1 and row.mtta_s is not None and row.mttr_s is not None
    assert set(row.time_in_state_s) >= {"detected", "acknowledged", "learned"}


def test_inconclusive_path(runtime: Runtime) -> None:
    generic(runtime, {"name": "Blip", "service": "api"})
    (inc,) = uc.list_incidents(runtime, uc.ListRequest("shop"))
    uc.transition(runtime, uc.TransitionRequest(inc.id, IncidentState.INCONCLUSIVE, "al", project="shop"))
    with pytest.raises(InputError):
        uc.transition(runtime, uc.TransitionRequest(inc.id, IncidentState.RESOLVED, "al", project="shop"))
    assert uc.transition(runtime, uc.TransitionRequest(inc.id, IncidentState.LEARNED, "al", project="shop")).to_state \
        == "learned"


def test_merge_and_split(runtime: Runtime) -> None:
    generic(runtime, {"name": "A", "service": "svc-a"}, {"name": "B", "service": "svc-b"})
    a, b = sorted(uc.list_incidents(runtime, uc.ListRequest("shop")), key=lambda i: i.id)
    done = uc.merge(runtime, a.id, [b.id], "alice", "same outage", "shop")
    assert done.target == a.id and len(done.moved) == 1
    (only,) = uc.list_incidents(runtime, uc.ListRequest("shop"))
    assert only.id == a.id and set(only.services) == {"svc-a", "svc-b"}
    moved = next(x for x in uc.show_incident(runtime, a.id, "shop").alerts if x.service == "svc-b")
    assert moved.correlation["rule"] == "merge" and "alice" in moved.correlation["detail"]
    new = uc.split(runtime, a.id, [moved.id], "bob", "different cause", "shop")
    assert new.target != a.id and uc.show_incident(runtime, new.target, "shop").incident.services == ("svc-b",)
    with pytest.raises(InputError, match="leaves it empty"):
        uc.split(runtime, new.target, [moved.id], "bob", project="shop")
    with pytest.raises(NotFoundError):
        uc.split(runtime, a.id, [999999], "bob", project="shop")


def test_changes_near_an_incident_are_candidates(runtime: Runtime) -> None:
    fixture(runtime, AlertSource.GITHUB, "github_deployment_status.json", headers={"x-github-event": "deployment_status"})
    fixture(runtime, AlertSource.ALERTMANAGER, "alertmanager_firing.json")
    inc = next(i for i in uc.list_incidents(runtime, uc.ListRequest("shop")) if "checkout" in i.services)
    changes = uc.show_incident(runtime, inc.id, "shop").changes
    assert changes and changes[0].kind == "deployment" and changes[0].service == "checkout"
    assert changes[0].gap_s == 22 * 60


def test_invalid_payload_is_dead_lettered(runtime: Runtime) -> None:
    with pytest.raises(RejectedInputError):
        uc.ingest(runtime, uc.IngestRequest(AlertSource.GENERIC, b'{"alerts": [{}]}', "bad.json", "shop"))
    (letter,) = list_dead_letters(runtime, ListDeadLetters("shop"))
    assert letter.source == "alert" and "name: required" in letter.reason


def _incident_insight(rt: Runtime, incident_id: int) -> Any:
    from argus.app.insights import ListInsightsRequest, ShowInsightRequest, list_insights, show_insight

    (row,) = [i for i in list_insights(rt, ListInsightsRequest("shop", kind="incident"))
              if i.subject_id == str(incident_id)]
    return show_insight(rt, ShowInsightRequest(row.id, "shop")).insight


def test_every_incident_is_an_insight_with_its_grouping_reasons_as_evidence(runtime: Runtime) -> None:
    uc.load_services(runtime, FIX / "services.yaml", "shop")
    fixture(runtime, AlertSource.ALERTMANAGER, "alertmanager_firing.json")  # checkout + payments
    fixture(runtime, AlertSource.GRAFANA, "grafana_firing.json")  # postgres: payments depends on it
    generic(runtime, {"name": "IndexLag", "service": "search", "severity": "warning"})  # alone
    incs = uc.list_incidents(runtime, uc.ListRequest("shop"))
    big = next(i for i in incs if len(i.services) == 3)
    alone = next(i for i in incs if i.id != big.id)
    ins = _incident_insight(runtime, big.id)
    assert ins.kind == "incident" and ins.subject_type == "incident" and ins.superseded_by is None
    detail = uc.show_incident(runtime, big.id, "shop")
    # every alert is evidence, with the reason it was grouped
    assert {e.ref_id for e in ins.evidence} == {str(a.id) for a in detail.alerts}
    assert all(e.ref_type == "alert" for e in ins.evidence)
    postgres = next(a for a in detail.alerts if a.service == "postgres")
    ev = next(e for e in ins.evidence if e.ref_id == str(postgres.id))
    assert "dependency" in ev.detail and "service graph" in ev.detail and ev.strength == "moderate"
    # the grouping is as sure as its weakest link: a service-graph link is below a single alert
    single = _incident_insight(runtime, alone.id)
    assert single.confidence > ins.confidence and ins.review_tier != "autonomous"
    assert single.data["rules"] == {"new": 1} and ins.data["rules"] == {"new": 1, "dependency": 2}


def test_the_incident_insight_follows_merge_and_split(runtime: Runtime) -> None:
    from argus.app.insights import ListInsightsRequest, list_insights

    generic(runtime, {"name": "A", "service": "svc-a"}, {"name": "B", "service": "svc-b"})
    a, b = sorted(uc.list_incidents(runtime, uc.ListRequest("shop")), key=lambda i: i.id)
    first = _incident_insight(runtime, a.id)
    uc.merge(runtime, a.id, [b.id], "alice", "same outage", "shop")
    merged = _incident_insight(runtime, a.id)
    assert merged.id != first.id and merged.data["rules"] == {"new": 1, "merge": 1}
    assert any("alice" in e.detail for e in merged.evidence)
    history = list_insights(runtime, ListInsightsRequest("shop", kind="incident", include_superseded=True))
    assert any(i.id == first.id and i.superseded_by == merged.id for i in history)
    moved = next(x for x in uc.show_incident(runtime, a.id, "shop").alerts if x.service == "svc-b")
    new = uc.split(runtime, a.id, [moved.id], "bob", "different cause", "shop")
    assert _incident_insight(runtime, new.target).data["rules"] == {"split": 1}
    assert _incident_insight(runtime, a.id).data["rules"] == {"new": 1}
