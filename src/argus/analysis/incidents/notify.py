"""Notification planning: which channels hear of an incident, when (quiet hours, escalation), and the
delivery log. Sending itself happens in :mod:`argus.app.incidents_notify` (outside the transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents import algo
from argus.analysis.incidents.readmodels import DeliveryRow
from argus.analysis.incidents.schemas import IncidentState, ServiceInfo
from argus.core.clock import as_utc
from argus.core.settings import IncidentSettings
from argus.store.models import Incident, IncidentNotification
from argus.store.session import current_project_id

PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"


def routes(cfg: IncidentSettings) -> list[algo.Route]:
    return [algo.Route(c.name, frozenset(c.projects), frozenset(c.priorities), frozenset(c.services),
                       frozenset(c.owners), frozenset(c.kinds), c.escalation_only) for c in cfg.channels]


def owners_of(inc: Incident, graph: Mapping[str, ServiceInfo]) -> list[str]:
    return sorted({o for s in inc.services for o in (graph[s].owners if s in graph else ())})


def enqueue(session: Session, cfg: IncidentSettings, project: str, inc: Incident, kind: str,
            graph: Mapping[str, ServiceInfo], at: datetime) -> int:
    """Queue one ``kind`` message about ``inc`` per routed channel (once per channel and kind); a quiet
    priority in quiet hours waits for their end. Returns how many were queued."""
    names = algo.routes_for(routes(cfg), kind, project, inc.priority, inc.services, owners_of(inc, graph))
    if not names:
        return 0
    have = set(session.scalars(select(IncidentNotification.channel).where(
        IncidentNotification.incident_id == inc.id, IncidentNotification.kind == kind)))
    due, note = at, "queued"
    if inc.priority in cfg.quiet_priorities:
        until = algo.quiet_until(at, cfg.quiet_hours)
        if until is not None:
            due, note = until, f"quiet hours: held until {until.isoformat()}"
    n = 0
    for name in names:
        if name in have:
            continue
        session.add(IncidentNotification(project_id=current_project_id(session), incident_id=inc.id, channel=name,
                                         kind=kind, status=PENDING, attempts=0, next_at=due,
                                         log=[{"at": at.isoformat(), "event": note}], created_at=at))
        n += 1
    return n


def cancel_escalations(session: Session, incident_id: int) -> None:
    for n in session.scalars(select(IncidentNotification).where(
            IncidentNotification.incident_id == incident_id, IncidentNotification.kind == "escalated",
            IncidentNotification.status == PENDING)):
        n.status = CANCELLED
        n.log = [*n.log, {"event": "cancelled: acknowledged"}]


def escalate_due(session: Session, cfg: IncidentSettings, project: str, now: datetime) -> int:
    """Queue escalations of incidents still DETECTED (unacknowledged) ``escalate_after_s`` after opening."""
    from argus.analysis.incidents.graph import load_graph

    cutoff = now - timedelta(seconds=cfg.escalate_after_s)
    rows = list(session.scalars(select(Incident).where(Incident.state == IncidentState.DETECTED.value,
                                                       Incident.merged_into_id.is_(None),
                                                       Incident.priority.in_(cfg.escalate_priorities),
                                                       Incident.opened_at <= cutoff)))
    graph = load_graph(session) if rows else {}
    return sum(enqueue(session, cfg, project, inc, "escalated", graph, now) for inc in rows)


def message(inc: Incident, kind: str, project: str) -> dict[str, Any]:
    """The JSON body of a generic webhook message (Slack gets a ``text`` rendering of it)."""
    return {"type": f"incident.{kind}", "project": project, "incident": {
        "id": inc.id, "title": inc.title, "state": inc.state, "severity": inc.severity, "priority": inc.priority,
        "services": list(inc.services), "opened_at": as_utc(inc.opened_at).isoformat(),
        "alerts": inc.alert_count, "events": inc.event_count}}


def due(session: Session, project: str, now: datetime, limit: int = 200,
        claim_s: float | None = None) -> list[DeliveryRow]:
    """The due messages. With ``claim_s`` they are claimed: their next try moves ``claim_s`` later, so
    a second notifier (another worker, the schedule and the post-ingest job at once) finds them not due
    and sends nothing twice; :func:`record` then writes the outcome (a notifier killed mid-send leaves
    them to be tried again once the claim ran out). The caller serialises notifiers of a project
    (:func:`argus.analysis.incidents.service.lock_intake`)."""
    rows = list(session.scalars(select(IncidentNotification).where(
        IncidentNotification.status == PENDING, IncidentNotification.next_at <= now)
        .order_by(IncidentNotification.next_at, IncidentNotification.id).limit(limit)))
    out = []
    for n in rows:
        inc = session.get(Incident, n.incident_id)
        if inc is None:
            continue
        if claim_s is not None:
            n.next_at = now + timedelta(seconds=claim_s)
        out.append(DeliveryRow(n.id, n.channel, n.kind, inc.id, n.attempts, message(inc, n.kind, project)))
    return out


def record(session: Session, cfg: IncidentSettings, notification_id: int, ok: bool, status: int | None,
           error: str | None, now: datetime) -> str:
    """Log one delivery attempt; schedule the retry (doubling backoff) or fail after the last try."""
    n = session.get(IncidentNotification, notification_id)
    if n is None or n.status != PENDING:
        return "gone"
    n.attempts += 1
    n.response_status = status
    entry: dict[str, Any] = {"at": now.isoformat(), "attempt": n.attempts, "status": status}
    if ok:
        n.status, n.sent_at, n.last_error = SENT, now, None
        entry["event"] = "sent"
    else:
        n.last_error = (error or f"HTTP {status}")[:500]
        entry["event"] = f"failed: {n.last_error}"
        if n.attempts >= cfg.delivery_attempts:
            n.status = FAILED
        else:
            n.next_at = now + algo.backoff(n.attempts, cfg.delivery_backoff_s)
            entry["retry_at"] = as_utc(n.next_at).isoformat()
    n.log = [*n.log, entry]
    return n.status
