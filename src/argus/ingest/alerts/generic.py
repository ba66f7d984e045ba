"""The generic JSON alert schema (documented in docs/incidents.md).

A body is one alert object, a list of them, or ``{"alerts": [...], "deployments": [...]}``. An alert:
``name`` (required), ``status`` (``firing`` default, or ``resolved``), ``fingerprint`` (the sender's
dedup key; default: the configured label set), ``service``, ``environment``, ``severity``
(``critical``, ``high``, ``warning``, ``info`` or any word the severity rules map), ``summary``,
``labels`` (string map), ``starts_at``, ``ends_at``, ``at`` (when the event happened; default: receipt),
``links`` (URLs), ``id`` (delivery id: a replay with the same id counts once). A deployment:
``environment`` (required), ``started_at`` (required), ``service``, ``commit``, ``status``
(``success`` default), ``finished_at``, ``id``, ``url``, ``kind`` (``deploy`` default, or ``config``: a configuration change).
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import AlertSource
from argus.ingest.alerts.model import (
    AlertIn,
    AlertStatus,
    DeploymentIn,
    Parsed,
    obj,
    reject,
    str_map,
    text,
    timestamp,
)

S = AlertSource.GENERIC
MAX_ITEMS = 5000


def _alert(raw: Any, where: str) -> AlertIn:
    a = obj(S, raw, where)
    status = (text(S, a, "status", where) or "firing").lower()
    if status not in ("firing", "resolved"):
        raise reject(S, f"{where}.status: expected firing or resolved, got {status!r}")
    links = a.get("links") or []
    if not isinstance(links, list) or not all(isinstance(x, str) for x in links):
        raise reject(S, f"{where}.links: expected a list of URLs")
    name = text(S, a, "name", where, required=True, max_len=200)
    assert name is not None
    return AlertIn(
        source=S, name=name, status=AlertStatus(status), source_key=text(S, a, "fingerprint", where, max_len=255),
        service=text(S, a, "service", where, max_len=200), environment=text(S, a, "environment", where, max_len=100),
        severity=text(S, a, "severity", where, max_len=40), summary=text(S, a, "summary", where) or "",
        labels=str_map(S, a.get("labels"), f"{where}.labels"),
        starts_at=timestamp(S, a.get("starts_at"), f"{where}.starts_at"),
        ends_at=timestamp(S, a.get("ends_at"), f"{where}.ends_at"), at=timestamp(S, a.get("at"), f"{where}.at"),
        links=tuple(x[:2000] for x in links[:20]), delivery_id=text(S, a, "id", where, max_len=128),
    )


def _deployment(raw: Any, where: str) -> DeploymentIn:
    d = obj(S, raw, where)
    started = timestamp(S, d.get("started_at"), f"{where}.started_at")
    if started is None:
        raise reject(S, f"{where}.started_at: required, missing")
    env = text(S, d, "environment", where, required=True, max_len=100)
    assert env is not None
    return DeploymentIn(environment=env, started_at=started, service=text(S, d, "service", where, max_len=200),
                        commit_sha=text(S, d, "commit", where, max_len=64),
                        status=text(S, d, "status", where, max_len=20) or "success",
                        finished_at=timestamp(S, d.get("finished_at"), f"{where}.finished_at"),
                        external_id=text(S, d, "id", where, max_len=255), url=text(S, d, "url", where),
                        kind=_kind(d, where))


def _kind(d: dict[str, Any], where: str) -> str:
    kind = (text(S, d, "kind", where, max_len=20) or "deploy").lower()
    if kind not in ("deploy", "config"):
        raise reject(S, f"{where}.kind: {kind!r}: use deploy or config")
    return kind


def parse(doc: Any) -> Parsed:
    if isinstance(doc, list):
        doc = {"alerts": doc}
    body = obj(S, doc, "body")
    if "alerts" not in body and "deployments" not in body:
        body = {"alerts": [body]}
    alerts, deps = body.get("alerts") or [], body.get("deployments") or []
    if not isinstance(alerts, list) or not isinstance(deps, list):
        raise reject(S, "alerts / deployments: expected lists")
    if len(alerts) + len(deps) > MAX_ITEMS:
        raise reject(S, f"more than {MAX_ITEMS} items in one payload")
    if not alerts and not deps:
        raise reject(S, "body: no alerts and no deployments")
    return Parsed(alerts=tuple(_alert(a, f"alerts[{i}]") for i, a in enumerate(alerts)),
                  deployments=tuple(_deployment(d, f"deployments[{i}]") for i, d in enumerate(deps)))
