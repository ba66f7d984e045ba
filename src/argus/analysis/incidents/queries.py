"""Reads: incident lists, one incident with its alerts, log, change candidates and notifications,
alert lists, and MTTA / MTTR / time in state per service and severity."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents import algo
from argus.analysis.incidents.readmodels import (
    AlertView,
    ChangeCandidate,
    IncidentDetail,
    IncidentView,
    MetricsRow,
    NotificationView,
    TransitionView,
)
from argus.analysis.incidents.schemas import IncidentState
from argus.core.clock import as_utc
from argus.core.settings import IncidentSettings
from argus.store.models import Alert, Commit, Deployment, Incident, IncidentNotification, IncidentTransition


def incident_view(i: Incident) -> IncidentView:
    return IncidentView(i.id, i.title, i.state, i.severity, i.priority, i.service, tuple(i.services), i.alert_count,
                        i.event_count, as_utc(i.opened_at), as_utc(i.last_alert_at),
                        as_utc(i.acknowledged_at) if i.acknowledged_at else None,
                        as_utc(i.resolved_at) if i.resolved_at else None, i.merged_into_id)


def alert_view(a: Alert) -> AlertView:
    return AlertView(a.id, a.fingerprint, a.name, a.service, a.environment, a.severity, a.priority, a.status,
                     a.count, dict(a.sources), as_utc(a.starts_at), as_utc(a.ends_at) if a.ends_at else None,
                     as_utc(a.last_seen_at), a.incident_id, a.summary, tuple(a.links), dict(a.correlation))


def list_incidents(session: Session, *, state: IncidentState | None = None, service: str | None = None,
                   open_only: bool = False, include_merged: bool = False, limit: int = 100,
                   after_id: int | None = None) -> list[IncidentView]:
    """Incidents, newest first (``after_id``: those older than it, for paging)."""
    q = select(Incident).order_by(Incident.id.desc()).limit(limit)
    if state is not None:
        q = q.where(Incident.state == state.value)
    if open_only:
        q = q.where(Incident.state.in_(["detected", "acknowledged", "investigating", "mitigated"]))
    if not include_merged:
        q = q.where(Incident.merged_into_id.is_(None))
    if after_id is not None:
        q = q.where(Incident.id < after_id)
    rows = [incident_view(i) for i in session.scalars(q)]
    return [r for r in rows if service is None or service in r.services]


def list_alerts(session: Session, *, incident_id: int | None = None, status: str | None = None,
                limit: int = 100) -> list[AlertView]:
    q = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if incident_id is not None:
        q = q.where(Alert.incident_id == incident_id)
    if status is not None:
        q = q.where(Alert.status == status)
    return [alert_view(a) for a in session.scalars(q)]


def change_candidates(session: Session, inc: Incident, cfg: IncidentSettings) -> list[ChangeCandidate]:
    """Deployments (of the incident's services, or of no named service) and commits within the
    look-back before the incident opened, nearest first."""
    opened = as_utc(inc.opened_at)
    start = opened - timedelta(seconds=cfg.change_lookback_s)
    out: list[ChangeCandidate] = []
    deps = session.scalars(select(Deployment).where(Deployment.started_at >= start, Deployment.started_at <= opened)
                           .order_by(Deployment.started_at.desc()).limit(cfg.change_max_candidates * 5))
    services = set(inc.services)
    for d in deps:
        if d.service is not None and services and d.service not in services:
            continue
        at = as_utc(d.started_at)
        out.append(ChangeCandidate("deployment", str(d.id), at, (opened - at).total_seconds(), d.service,
                                   f"{d.service or 'deployment'} → {d.environment} ({d.status})"
                                   + (f" at {d.commit_sha[:12]}" if d.commit_sha else "")))
    commits = session.scalars(select(Commit).where(Commit.committer_time >= start, Commit.committer_time <= opened,
                                                   Commit.present.is_(True))
                              .order_by(Commit.committer_time.desc()).limit(cfg.change_max_candidates))
    for c in commits:
        at = as_utc(c.committer_time)
        out.append(ChangeCandidate("commit", c.sha, at, (opened - at).total_seconds(), None,
                                   c.message.splitlines()[0][:100] if c.message else c.sha[:12]))
    out.sort(key=lambda c: (c.gap_s, c.kind, c.ref))
    return out[: cfg.change_max_candidates]


def _steps(transitions: list[IncidentTransition]) -> list[tuple[IncidentState, datetime]]:
    return [(IncidentState(t.to_state), as_utc(t.at)) for t in transitions if t.to_state != t.from_state]


def show_incident(session: Session, inc: Incident, cfg: IncidentSettings, now: datetime) -> IncidentDetail:
    from argus.analysis.incidents.graph import load_graph

    alerts = [alert_view(a) for a in session.scalars(select(Alert).where(Alert.incident_id == inc.id)
                                                      .order_by(Alert.starts_at, Alert.id))]
    log = list(session.scalars(select(IncidentTransition).where(IncidentTransition.incident_id == inc.id)
                               .order_by(IncidentTransition.at, IncidentTransition.id)))
    notes = [NotificationView(n.id, n.channel, n.kind, n.status, n.attempts, as_utc(n.next_at),
                              as_utc(n.sent_at) if n.sent_at else None, n.response_status, n.last_error)
             for n in session.scalars(select(IncidentNotification).where(IncidentNotification.incident_id == inc.id)
                                      .order_by(IncidentNotification.id))]
    graph = load_graph(session)
    owners = sorted({o for s in inc.services for o in (graph[s].owners if s in graph else ())})
    runbooks = list(dict.fromkeys(r for s in inc.services for r in (graph[s].runbooks if s in graph else ())))
    spent = algo.time_in_states(_steps(log), now)
    return IncidentDetail(incident_view(inc), tuple(alerts),
                          tuple(TransitionView(t.from_state, t.to_state, t.actor, as_utc(t.at), t.note) for t in log),
                          tuple(change_candidates(session, inc, cfg)), tuple(notes),
                          {k.value: round(v, 3) for k, v in spent.items()}, tuple(owners), tuple(runbooks))


def metrics(session: Session, now: datetime, since: datetime | None = None) -> list[MetricsRow]:
    """MTTA (opened → first acknowledged), MTTR (opened → resolved) and mean seconds in each state, per
    primary service and severity (merged incidents left out)."""
    q = select(Incident).where(Incident.merged_into_id.is_(None))
    if since is not None:
        q = q.where(Incident.opened_at >= since)
    incidents = list(session.scalars(q))
    log: dict[int, list[IncidentTransition]] = defaultdict(list)
    if incidents:
        for t in session.scalars(select(IncidentTransition).order_by(IncidentTransition.at, IncidentTransition.id)):
            log[t.incident_id].append(t)
    groups: dict[tuple[str, str], list[Incident]] = defaultdict(list)
    for i in incidents:
        groups[(i.service or "-", i.severity)].append(i)
    out = []
    for (svc, sev), rows in sorted(groups.items()):
        tta = [(as_utc(i.acknowledged_at) - as_utc(i.opened_at)).total_seconds() for i in rows if i.acknowledged_at]
        ttr = [(as_utc(i.resolved_at) - as_utc(i.opened_at)).total_seconds() for i in rows if i.resolved_at]
        spent: dict[str, list[float]] = defaultdict(list)
        for i in rows:
            for st, secs in algo.time_in_states(_steps(log[i.id]), now).items():
                spent[st.value].append(secs)
        out.append(MetricsRow(svc, sev, len(rows), len(tta), len(ttr), round(mean(tta), 3) if tta else None,
                              round(mean(ttr), 3) if ttr else None,
                              {k: round(mean(v), 3) for k, v in spent.items()}))
    return out
