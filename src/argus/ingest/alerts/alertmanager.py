"""Prometheus Alertmanager webhook (``version: "4"``) and Grafana alerting webhook payloads.

Alertmanager documents the body of its ``webhook_config`` receiver: ``version``, ``groupKey``,
``status``, ``receiver``, ``groupLabels``, ``commonLabels``, ``commonAnnotations``, ``externalURL``
and ``alerts[]``, each with ``status``, ``labels``, ``annotations``, ``startsAt``, ``endsAt``
(``0001-01-01T00:00:00Z`` while firing), ``generatorURL`` and ``fingerprint``. Grafana's webhook
contact point sends the same shape (``version: "1"``) plus ``title``, ``state``, ``message``, ``orgId``
and, per alert, ``silenceURL``, ``dashboardURL``, ``panelURL``, ``values``, ``valueString``.

Service: label ``service`` (else ``job``, ``app``, ``namespace``); environment: ``env`` /
``environment``; severity: label ``severity``. Alerts carry no event time: they are judged at receipt.
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import AlertSource
from argus.ingest.alerts.model import AlertIn, AlertStatus, Parsed, obj, reject, str_map, text, timestamp

SERVICE_LABELS = ("service", "app", "job", "namespace")
ENV_LABELS = ("env", "environment")
LINK_KEYS = ("generatorURL", "silenceURL", "dashboardURL", "panelURL")
#: Most alerts one payload may carry (Alertmanager truncates at max_alerts anyway).
MAX_ALERTS = 5000


def first(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for k in keys:
        if labels.get(k):
            return labels[k]
    return None


def parse(doc: Any, source: AlertSource = AlertSource.ALERTMANAGER) -> Parsed:
    """The alerts of one webhook body (Alertmanager v4, or Grafana with ``source=GRAFANA``)."""
    body = obj(source, doc, "body")
    if source is AlertSource.ALERTMANAGER and str(body.get("version", "")) != "4":
        raise reject(source, f"version: expected \"4\" (Alertmanager webhook v4), got {body.get('version')!r}")
    items = body.get("alerts")
    if not isinstance(items, list):
        raise reject(source, "alerts: required, expected a list")
    if len(items) > MAX_ALERTS:
        raise reject(source, f"alerts: {len(items)} alerts, more than {MAX_ALERTS}")
    common = str_map(source, body.get("commonLabels"), "commonLabels")
    out = []
    for i, raw in enumerate(items):
        where = f"alerts[{i}]"
        a = obj(source, raw, where)
        labels = {**common, **str_map(source, a.get("labels"), f"{where}.labels")}
        annotations = str_map(source, a.get("annotations"), f"{where}.annotations")
        status_raw = text(source, a, "status", where, required=True)
        if status_raw not in ("firing", "resolved"):
            raise reject(source, f"{where}.status: expected firing or resolved, got {status_raw!r}")
        name = labels.get("alertname") or text(source, body, "title", "body") or "alert"
        links = tuple(str(a[k]) for k in LINK_KEYS if isinstance(a.get(k), str) and a[k])
        summary = annotations.get("summary") or annotations.get("description") or ""
        if source is AlertSource.GRAFANA and not summary and isinstance(a.get("valueString"), str):
            summary = a["valueString"][:500]
        out.append(AlertIn(
            source=source, name=name[:200], status=AlertStatus(status_raw),
            source_key=text(source, a, "fingerprint", where, max_len=128),
            service=first(labels, SERVICE_LABELS), environment=first(labels, ENV_LABELS),
            severity=labels.get("severity") or labels.get("priority"), summary=summary[:2000], labels=labels,
            starts_at=timestamp(source, a.get("startsAt"), f"{where}.startsAt"),
            ends_at=timestamp(source, a.get("endsAt"), f"{where}.endsAt"), links=links,
        ))
    return Parsed(alerts=tuple(out), ignored=None if out else "no alerts in the payload")
