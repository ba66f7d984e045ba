"""Each source's parser on payloads written from the source's documentation (fixtures/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.core.enums import AlertSource
from argus.core.errors import RejectedInputError
from argus.ingest.alerts.model import AlertStatus
from argus.ingest.alerts.parse import parse_payload
from argus.ingest.alerts.signatures import sign, verify

FIX = Path(__file__).parent / "fixtures"


def load(name: str) -> bytes:
    return (FIX / name).read_bytes()


def test_alertmanager_v4_firing_and_resolved() -> None:
    p = parse_payload(AlertSource.ALERTMANAGER, load("alertmanager_firing.json"))
    assert [a.service for a in p.alerts] == ["checkout", "payments"]
    a = p.alerts[0]
    assert a.status is AlertStatus.FIRING and a.source_key == "6e3a1c0e7f21b0a4" and a.severity == "critical"
    assert a.environment == "prod" and a.ends_at is None and a.starts_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert a.summary == "checkout 5xx ratio is 7.2%" and a.links[0].startswith("http://prometheus")
    r = parse_payload(AlertSource.ALERTMANAGER, load("alertmanager_resolved.json")).alerts[0]
    assert r.status is AlertStatus.RESOLVED and r.ends_at == datetime(2026, 11, 20, 10, 25, tzinfo=UTC)


def test_alertmanager_wrong_version_is_rejected() -> None:
    doc = json.loads(load("alertmanager_firing.json"))
    doc["version"] = "3"
    with pytest.raises(RejectedInputError, match="version"):
        parse_payload(AlertSource.ALERTMANAGER, json.dumps(doc).encode())


def test_grafana() -> None:
    a = parse_payload(AlertSource.GRAFANA, load("grafana_firing.json")).alerts[0]
    assert (a.name, a.service, a.severity, a.source_key) == ("DiskFull", "postgres", "warning", "c2a8b7e0f1d3")
    assert any("dashboardURL" in x or "/d/db01" in x for x in a.links)


def test_pagerduty_v3() -> None:
    a = parse_payload(AlertSource.PAGERDUTY, load("pagerduty_triggered.json")).alerts[0]
    assert a.status is AlertStatus.FIRING and a.source_key == "checkout-latency-p99" and a.service == "checkout"
    assert a.severity == "P1" and a.delivery_id == "01DEN7W0E7ZCWS9MZ9EGB0QJ3A"
    r = parse_payload(AlertSource.PAGERDUTY, load("pagerduty_resolved.json")).alerts[0]
    assert r.status is AlertStatus.RESOLVED and r.source_key == a.source_key
    ack = parse_payload(AlertSource.PAGERDUTY, load("pagerduty_acknowledged.json"))
    assert ack.alerts == () and ack.ignored and "acknowledged" in ack.ignored


def test_datadog() -> None:
    a = parse_payload(AlertSource.DATADOG, load("datadog_triggered.json")).alerts[0]
    assert a.status is AlertStatus.FIRING and a.service == "inventory" and a.environment == "prod"
    assert a.name == "Inventory queue depth high" and a.source_key == "98214533:service:inventory,env:prod"
    assert a.at == datetime(2026, 11, 20, 10, 4, tzinfo=UTC)
    r = parse_payload(AlertSource.DATADOG, load("datadog_recovered.json")).alerts[0]
    assert r.status is AlertStatus.RESOLVED and r.source_key == a.source_key


def test_github_deployment_status_and_workflow_run() -> None:
    p = parse_payload(AlertSource.GITHUB, load("github_deployment_status.json"), {"x-github-event": "deployment_status",
                                                                                  "x-github-delivery": "d-1"})
    assert p.deployments[0].service == "checkout" and p.deployments[0].commit_sha.startswith("3f9c2a1b")
    assert p.deployments[0].status == "success" and p.alerts[0].status is AlertStatus.RESOLVED
    w = parse_payload(AlertSource.GITHUB, load("github_workflow_run_failed.json"), {"x-github-event": "workflow_run"})
    assert w.alerts[0].status is AlertStatus.FIRING and w.alerts[0].name == "WorkflowFailed"
    assert parse_payload(AlertSource.GITHUB, b'{"zen": "hi"}', {"x-github-event": "ping"}).ignored == "ping"


def test_generic_schema() -> None:
    p = parse_payload(AlertSource.GENERIC, load("generic.json"))
    assert p.alerts[0].severity == "high" and p.alerts[0].delivery_id == "evt-1"
    assert p.deployments[0].environment == "prod"
    single = parse_payload(AlertSource.GENERIC, b'{"name": "X", "status": "resolved"}')
    assert single.alerts[0].status is AlertStatus.RESOLVED


@pytest.mark.parametrize("source,body,why", [
    (AlertSource.GENERIC, b"{not json", "not JSON"),
    (AlertSource.GENERIC, b'{"alerts": [{"status": "firing"}]}', "name: required"),
    (AlertSource.GENERIC, b'{"name": "x", "status": "burning"}', "status"),
    (AlertSource.GENERIC, b'{"name": "x", "at": "yesterday"}', "ISO-8601"),
    (AlertSource.ALERTMANAGER, b'{"version": "4"}', "alerts"),
    (AlertSource.PAGERDUTY, b'{"event": {"event_type": "incident.triggered", "data": {}}}', "id"),
    (AlertSource.DATADOG, b'{"title": "x"}', "alert_id"),
    (AlertSource.GITHUB, b'{"deployment_status": {"state": "success"}, "deployment": {}}', "repository"),
])
def test_invalid_payloads_name_the_field(source: AlertSource, body: bytes, why: str) -> None:
    with pytest.raises(RejectedInputError, match=why):
        parse_payload(source, body, {})


@pytest.mark.parametrize("source", [AlertSource.GITHUB, AlertSource.PAGERDUTY, AlertSource.GRAFANA,
                                    AlertSource.GENERIC])
def test_signatures_verify_and_refuse(source: AlertSource) -> None:
    body = b'{"a": 1}'
    headers = {k.lower(): v for k, v in sign(source, "s3cret", body).items()}
    assert verify(source, "s3cret", body, headers)
    assert not verify(source, "other", body, headers)
    assert not verify(source, "s3cret", body + b" ", headers)
    assert not verify(source, "s3cret", body, {})


def test_pagerduty_signature_accepts_any_of_several_during_rotation() -> None:
    body = b"{}"
    new = sign(AlertSource.PAGERDUTY, "new", body)["X-PagerDuty-Signature"]
    old = sign(AlertSource.PAGERDUTY, "old", body)["X-PagerDuty-Signature"]
    assert verify(AlertSource.PAGERDUTY, "old", body, {"x-pagerduty-signature": f"{new},{old}"})


def test_grafana_signature_with_timestamp() -> None:
    body = b"{}"
    h = {k.lower(): v for k, v in sign(AlertSource.GRAFANA, "k", body, timestamp="1700000000").items()}
    assert verify(AlertSource.GRAFANA, "k", body, h)
    h["x-grafana-alerting-signature-timestamp"] = "1700000001"
    assert not verify(AlertSource.GRAFANA, "k", body, h)
