"""Datadog monitor notifications sent by the Webhooks integration.

Datadog lets the user write the webhook body from template variables; Argus documents the one to use
(docs/incidents.md) and reads these fields: ``alert_id`` ($ALERT_ID, the monitor), ``alert_transition``
($ALERT_TRANSITION: Triggered, Re-Triggered, Warn, Recovered, No Data, Re-Notify …), ``alert_type``
($ALERT_TYPE: error, warning, success, info), ``alert_priority`` ($ALERT_PRIORITY), ``alert_scope``
($ALERT_SCOPE, the group: ``service:checkout,env:prod``), ``title`` ($EVENT_TITLE), ``body``
($EVENT_MSG), ``tags`` ($TAGS), ``last_updated`` / ``date`` ($LAST_UPDATED / $DATE, epoch ms or
ISO), ``link`` ($LINK), ``id`` ($ID, the event: a redelivery counts once).
Fingerprint: monitor id + scope (group). Recovered → resolved; every other transition → firing.
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import AlertSource
from argus.ingest.alerts.model import AlertIn, AlertStatus, Parsed, obj, reject, text, timestamp

S = AlertSource.DATADOG
RESOLVED = frozenset({"recovered", "success"})


def tags_of(raw: str | None) -> dict[str, str]:
    """``"service:checkout,env:prod,team"`` → ``{"service": "checkout", "env": "prod", "team": ""}``."""
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if part:
            k, _, v = part.partition(":")
            out.setdefault(k.strip()[:200], v.strip()[:2000])
    return out


def parse(doc: Any) -> Parsed:
    body = obj(S, doc, "body")
    monitor = text(S, body, "alert_id", "body", required=True, max_len=64)
    transition = (text(S, body, "alert_transition", "body") or "").strip()
    kind = (text(S, body, "alert_type", "body") or "").strip().lower()
    if not transition and not kind:
        raise reject(S, "body: needs alert_transition or alert_type (see docs/incidents.md for the webhook body)")
    scope = text(S, body, "alert_scope", "body", max_len=1000) or ""
    labels = {**tags_of(text(S, body, "tags", "body")), **tags_of(scope)}
    resolved = transition.lower() in RESOLVED or (not transition and kind == "success")
    severity = text(S, body, "alert_priority", "body") or {"error": "critical", "warning": "warning",
                                                           "info": "info"}.get(kind)
    if transition.lower() == "warn":
        severity = "warning"
    at = timestamp(S, body.get("last_updated") or body.get("date"), "body.last_updated")
    labels.update({k: v for k, v in {"monitor_id": monitor, "transition": transition}.items() if v})
    status = AlertStatus.RESOLVED if resolved else AlertStatus.FIRING
    title = text(S, body, "title", "body") or f"Datadog monitor {monitor}"
    return Parsed(alerts=(AlertIn(
        source=S, name=title.removeprefix("[Recovered] ").removeprefix("[Triggered] ")[:200], status=status,
        source_key=f"{monitor}:{scope}", service=labels.get("service"),
        environment=labels.get("env") or labels.get("environment"), severity=severity,
        summary=(text(S, body, "body", "body") or "")[:2000], labels=labels,
        starts_at=at if status is AlertStatus.FIRING else None,
        ends_at=at if status is AlertStatus.RESOLVED else None, at=at,
        links=tuple(x for x in (body.get("link"),) if isinstance(x, str) and x),
        delivery_id=text(S, body, "id", "body", max_len=128),
    ),))
