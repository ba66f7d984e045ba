"""PagerDuty V3 webhook payloads (``{"event": {...}}``), signed with ``X-PagerDuty-Signature``.

Documented shape: ``event.id``, ``event.event_type`` (``incident.triggered``, ``incident.acknowledged``,
``incident.resolved``, ``incident.reopened``, ``incident.escalated``, ``incident.priority_updated``,
``incident.annotated`` …), ``event.resource_type``, ``event.occurred_at``, ``event.data`` (the incident:
``id``, ``number``, ``title``, ``status``, ``incident_key``, ``html_url``, ``service.summary``,
``priority.summary``, ``urgency``). Triggered / reopened → firing, resolved → resolved; other incident
events and non-incident resources are acknowledged and ignored. Fingerprint: the dedup key
(``incident_key``), else the incident id. The event id makes a redelivery count once.
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import AlertSource
from argus.ingest.alerts.model import AlertIn, AlertStatus, Parsed, obj, reject, text, timestamp

S = AlertSource.PAGERDUTY
FIRING = frozenset({"incident.triggered", "incident.reopened"})
RESOLVED = frozenset({"incident.resolved"})


def parse(doc: Any) -> Parsed:
    body = obj(S, doc, "body")
    event = obj(S, body.get("event"), "event")
    kind = text(S, event, "event_type", "event", required=True)
    assert kind is not None
    if event.get("resource_type") not in (None, "incident") or not kind.startswith("incident."):
        return Parsed(ignored=f"event type {kind} is not an incident trigger or resolution")
    if kind not in FIRING | RESOLVED:
        return Parsed(ignored=f"event type {kind} does not change the alert")
    data = obj(S, event.get("data"), "event.data")
    incident_id = text(S, data, "id", "event.data", required=True)
    service = data.get("service") if isinstance(data.get("service"), dict) else {}
    priority = data.get("priority") if isinstance(data.get("priority"), dict) else {}
    urgency = text(S, data, "urgency", "event.data")
    severity = (priority or {}).get("summary") or ("critical" if urgency == "high" else "warning" if urgency else None)
    key = text(S, data, "incident_key", "event.data", max_len=255) or incident_id
    labels = {k: v for k, v in {"urgency": urgency, "priority": (priority or {}).get("summary"),
                                "pagerduty_incident": incident_id,
                                "number": str(data["number"]) if "number" in data else None}.items() if v}
    occurred = timestamp(S, event.get("occurred_at"), "event.occurred_at")
    created = timestamp(S, data.get("created_at"), "event.data.created_at")
    status = AlertStatus.FIRING if kind in FIRING else AlertStatus.RESOLVED
    alert = AlertIn(
        source=S, name=(text(S, data, "title", "event.data") or f"PagerDuty incident {incident_id}")[:200],
        status=status, source_key=key, service=(service or {}).get("summary"), severity=severity,
        summary=text(S, data, "title", "event.data") or "", labels=labels,
        starts_at=created or occurred, ends_at=occurred if status is AlertStatus.RESOLVED else None, at=occurred,
        links=tuple(x for x in (data.get("html_url"),) if isinstance(x, str)),
        delivery_id=text(S, event, "id", "event", max_len=128),
    )
    if alert.service is None and not isinstance(data.get("service"), (dict, type(None))):
        raise reject(S, "event.data.service: expected an object")
    return Parsed(alerts=(alert,))
