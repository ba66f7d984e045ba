"""Alerts in, incidents out: dedup, correlation, lifecycle, merge/split (the caller owns the transaction).

Every ingest takes the project's alert lock first (PostgreSQL: a transaction-level advisory lock;
SQLite: the write lock ``BEGIN IMMEDIATE`` already holds), so concurrent senders are applied one after
another and the counts come out exact whatever the interleaving.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from argus.analysis.incidents import algo
from argus.analysis.incidents.graph import load_graph
from argus.analysis.incidents.insights import save_incident_insights
from argus.analysis.incidents.notify import enqueue
from argus.analysis.incidents.readmodels import IngestOutcome, RegroupDone, ServicesLoaded, TransitionDone
from argus.analysis.incidents.schemas import (
    OPEN_STATES,
    IncidentState,
    OpenIncident,
    Priority,
    ServiceInfo,
    Severity,
)
from argus.core.clock import as_utc, utcnow
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import IncidentSettings
from argus.ingest.alerts.model import AlertIn, AlertStatus, DeploymentIn, Parsed
from argus.store.models import Alert, AlertReceipt, Deployment, Incident, IncidentTransition, ServiceNode
from argus.store.session import current_project_id

#: Actor of the transitions Argus makes itself (opening, auto-resolution).
SYSTEM = "argus"
#: First key of the PostgreSQL advisory lock of a project's alert intake.
_LOCK_CLASS = 0x41_4C_52


def lock_intake(session: Session) -> None:
    """Serialise alert intake of the session's project (PostgreSQL advisory lock until commit)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                        {"a": _LOCK_CLASS, "b": current_project_id(session)})


def store_services(session: Session, services: Sequence[ServiceInfo]) -> ServicesLoaded:
    """Replace the project's service graph with ``services``."""
    for row in session.scalars(select(ServiceNode)):
        session.delete(row)
    session.flush()
    pid = current_project_id(session)
    for s in services:
        session.add(ServiceNode(project_id=pid, name=s.name, depends_on=list(s.depends_on), owners=list(s.owners),
                                runbooks=list(s.runbooks),
                                slo={"objective": s.slo_objective, "metric": s.slo_metric} if s.slo_objective else {}))
    session.flush()
    return ServicesLoaded(len(services), sum(len(s.depends_on) for s in services))


def delivery_key(a: AlertIn, fp: str) -> str | None:
    """Hash of a delivery (source, delivery id, fingerprint, status): the same delivery again is a replay."""
    if not a.delivery_id:
        return None
    raw = f"{a.source.value}\0{a.delivery_id}\0{fp}\0{a.status.value}"
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def _store_deployment(session: Session, d: DeploymentIn) -> bool:
    if d.external_id:
        found = session.scalar(select(Deployment.id).where(Deployment.external_id == d.external_id,
                                                           Deployment.environment == d.environment))
        if found is not None:
            return False
    session.add(Deployment(project_id=current_project_id(session), environment=d.environment, service=d.service,
                           commit_sha=d.commit_sha, status=d.status, started_at=d.started_at,
                           finished_at=d.finished_at, external_id=d.external_id,
                           attributes=({"url": d.url} if d.url else {}) | ({"kind": d.kind} if d.kind != "deploy" else {})))
    return True


class _Intake:
    """State of one ingest: the settings, the graph, what the payload's events need of the stored
    alerts and open incidents (read once, kept up to date in memory), and the counts."""

    def __init__(self, session: Session, cfg: IncidentSettings, project: str, received_at: datetime) -> None:
        self.s, self.cfg, self.project, self.received_at = session, cfg, project, received_at
        self.pid = current_project_id(session)
        self.graph = load_graph(session)
        self.window = timedelta(seconds=cfg.dedup_window_s)
        self.corr_window = timedelta(seconds=cfg.correlation_window_s)
        self.counts = dict(new=0, repeats=0, resolved=0, replays=0, opened=0, joined=0, auto_resolved=0, dropped=0)
        self.alert_ids: list[int] = []
        self.incident_ids: list[int] = []
        self.opened: list[Incident] = []
        #: Incidents whose grouping changed (opened, or an alert joined): their insight is saved again.
        self.regrouped: dict[int, Incident] = {}
        self.touched: dict[int, Incident] = {}
        self.seen_keys: set[str] = set()
        self.by_fp: dict[str, list[Alert]] = {}
        #: open incident id → (services, alert names, last alert time)
        self.open: dict[int, tuple[set[str], set[str], datetime]] = {}
        self.learned = self._learn() if cfg.learn_min_incidents > 0 else {}

    def _learn(self) -> dict[str, dict[str, int]]:
        """Co-occurrence links from the incidents of the look-back (closed or open, merged ones followed)."""
        since = self.received_at - timedelta(days=self.cfg.learn_lookback_days)
        by_incident: dict[int, set[str]] = {}
        for inc_id, svc in self.s.execute(select(Alert.incident_id, Alert.service).where(
                Alert.incident_id.is_not(None), Alert.service.is_not(None), Alert.first_seen_at >= since).distinct()):
            if inc_id is not None and svc is not None:
                by_incident.setdefault(inc_id, set()).add(svc)
        return algo.learned_links(by_incident, self.cfg.learn_min_incidents)

    def prepare(self, alerts: Sequence[AlertIn]) -> list[tuple[AlertIn, str, str | None]]:
        """Fingerprints and delivery keys of the events; load the stored rows they can touch."""
        out = []
        for a in alerts:
            fp = algo.fingerprint(a, self.cfg.fingerprint_labels, self.cfg.default_fingerprint_labels)
            out.append((a, fp, delivery_key(a, fp)))
        keys = [k for _, _, k in out if k is not None]
        for i in range(0, len(keys), 500):
            self.seen_keys.update(k for k in self.s.scalars(select(AlertReceipt.delivery_key).where(
                AlertReceipt.delivery_key.in_(keys[i:i + 500]))) if k is not None)
        fps = sorted({fp for _, fp, _ in out})
        times = [t for a, _, _ in out for t in (a.at or self.received_at, a.starts_at, a.ends_at) if t is not None]
        bound = min(times) - self.window if times else self.received_at - self.window
        for i in range(0, len(fps), 500):
            for row in self.s.scalars(select(Alert).where(
                    Alert.fingerprint.in_(fps[i:i + 500]),
                    or_(Alert.status == AlertStatus.FIRING.value, Alert.ends_at >= bound, Alert.last_seen_at >= bound))
                    .order_by(Alert.starts_at, Alert.id)):
                self.by_fp.setdefault(row.fingerprint, []).append(row)
        incidents = list(self.s.scalars(select(Incident).where(
            Incident.state.in_([st.value for st in OPEN_STATES]), Incident.merged_into_id.is_(None))))
        names: dict[int, set[str]] = {}
        if incidents:
            for inc_id, name in self.s.execute(select(Alert.incident_id, Alert.name).where(
                    Alert.incident_id.in_([i.id for i in incidents])).distinct()):
                if inc_id is not None:
                    names.setdefault(inc_id, set()).add(name)
        for inc in incidents:
            self.open[inc.id] = (set(inc.services), names.get(inc.id, set()), as_utc(inc.last_alert_at))
        return out

    def open_incidents(self) -> list[OpenIncident]:
        return [OpenIncident(i, frozenset(svc), frozenset(names), last)
                for i, (svc, names, last) in self.open.items()]

    def _note_open(self, inc: Incident, service: str | None, name: str, at: datetime) -> None:
        svc, names, last = self.open.get(inc.id, (set(), set(), at))
        if service:
            svc.add(service)
        names.add(name)
        self.open[inc.id] = (svc, names, max(last, at))

    def take(self, a: AlertIn, fp: str, key: str | None) -> None:
        if key is not None:
            if key in self.seen_keys:
                self.counts["replays"] += 1
                return
            self.seen_keys.add(key)
        at = a.at or self.received_at
        firing = a.status is AlertStatus.FIRING
        starts = a.starts_at or (at if firing else (a.ends_at or at))
        rows = self.by_fp.get(fp, [])
        latest = rows[-1] if rows else None
        episode = None if latest is None else algo.Episode(
            latest.id, latest.status == AlertStatus.FIRING.value, as_utc(latest.starts_at),
            None if latest.ends_at is None else as_utc(latest.ends_at), as_utc(latest.last_seen_at))
        if not firing:
            closed = self._close_twins(fp, a.ends_at or at, starts)
            if closed:
                self._count(closed[-1], a, at, key)
                self.counts["resolved"] += len(closed)
                return
        if latest is not None and algo.is_repeat_of(episode, firing, starts, at, self.window):
            self._count(latest, a, at, key)
            self.counts["repeats"] += 1
            return
        if a.closes_only and not firing:
            self.counts["dropped"] += 1
            return
        self._new(a, fp, starts, at, key)

    def _close_twins(self, fp: str, ends: datetime, starts: datetime) -> list[Alert]:
        rows = [r for r in self.by_fp.get(fp, []) if r.status == AlertStatus.FIRING.value]
        closed = [r for r in rows if as_utc(r.starts_at) <= max(ends, starts)]
        for r in closed:
            r.status, r.ends_at = AlertStatus.RESOLVED.value, max(ends, as_utc(r.starts_at))
            if r.incident_id is not None:
                inc = self.s.get(Incident, r.incident_id)
                if inc is not None:
                    self.touched[inc.id] = inc
        return closed

    def _count(self, row: Alert, a: AlertIn, at: datetime, key: str | None) -> None:
        row.count += 1
        src = dict(row.sources)
        src[a.source.value] = int(src.get(a.source.value, 0)) + 1
        row.sources = src
        if at > as_utc(row.last_seen_at):
            row.last_seen_at = at
        self._receipt(row.id, a, at, key)
        if row.incident_id is not None:
            inc = self.s.get(Incident, row.incident_id)
            if inc is not None:
                inc.event_count += 1
                self.touched[inc.id] = inc
        self.alert_ids.append(row.id)

    def _receipt(self, alert_id: int, a: AlertIn, at: datetime, key: str | None) -> None:
        self.s.add(AlertReceipt(project_id=self.pid, alert_id=alert_id, source=a.source.value, status=a.status.value,
                                delivery_key=key, at=at, received_at=self.received_at))

    def _new(self, a: AlertIn, fp: str, starts: datetime, at: datetime, key: str | None) -> None:
        sev = algo.classify(a.severity, self.cfg.severity_words, self.cfg.default_severity)
        prio = algo.priority_of(sev, a.environment, self.cfg.priorities, self.cfg.production_environments)
        firing = a.status is AlertStatus.FIRING
        row = Alert(project_id=self.pid, fingerprint=fp, source=a.source.value, sources={a.source.value: 1},
                    name=a.name, service=a.service, environment=a.environment, severity=sev.value,
                    priority=prio.value, status=a.status.value, summary=a.summary, labels=dict(a.labels),
                    links=list(a.links), starts_at=starts, ends_at=None if firing else (a.ends_at or at),
                    first_seen_at=at, last_seen_at=at, count=1)
        group = algo.correlate(a.service, a.name, starts, self.open_incidents(), self.graph, self.corr_window,
                               self.cfg.correlate_by_name, timedelta(seconds=self.cfg.dependency_window_s),
                               self.learned)
        if group.incident_id is None:
            inc = self._open(a, sev, prio, starts, group.detail)
            row.correlation = {"rule": "new", "detail": f"first alert of incident {inc.id}"}
        else:
            joined = self.s.get(Incident, group.incident_id)
            assert joined is not None
            inc = joined
            self._join(inc, a, sev, prio, starts)
            row.correlation = {"rule": group.rule, "detail": group.detail}
            self.regrouped[inc.id] = inc
            self.counts["joined"] += 1
        row.incident_id = inc.id
        self.s.add(row)
        self.s.flush()
        self.by_fp.setdefault(fp, []).append(row)
        self.by_fp[fp].sort(key=lambda r: (as_utc(r.starts_at), r.id))
        self._note_open(inc, a.service, a.name, starts)
        self._receipt(row.id, a, at, key)
        self.counts["new"] += 1
        self.alert_ids.append(row.id)
        self.touched[inc.id] = inc

    def _open(self, a: AlertIn, sev: Severity, prio: Priority, starts: datetime, why: str) -> Incident:
        where = f" on {a.service}" if a.service else ""
        inc = Incident(project_id=self.pid, title=f"{a.name}{where}"[:300], state=IncidentState.DETECTED.value,
                       severity=sev.value, priority=prio.value, service=a.service,
                       services=[a.service] if a.service else [], opened_at=starts, last_alert_at=starts,
                       alert_count=1, event_count=1, updated_at=utcnow())
        self.s.add(inc)
        self.s.flush()
        self.s.add(IncidentTransition(project_id=self.pid, incident_id=inc.id, from_state=None,
                                      to_state=IncidentState.DETECTED.value, actor=SYSTEM, at=starts,
                                      note=f"opened by alert {a.name!r} from {a.source.value}: {why}"))
        self.counts["opened"] += 1
        self.opened.append(inc)
        self.regrouped[inc.id] = inc
        return inc

    def _join(self, inc: Incident, a: AlertIn, sev: Severity, prio: Priority, starts: datetime) -> None:
        inc.alert_count += 1
        inc.event_count += 1
        if a.service and a.service not in inc.services:
            inc.services = [*inc.services, a.service]
        if sev.rank < Severity(inc.severity).rank:
            inc.severity = sev.value
        if prio.value < inc.priority:
            inc.priority = prio.value
        if starts > as_utc(inc.last_alert_at):
            inc.last_alert_at = starts
        inc.updated_at = utcnow()

    def finish(self) -> None:
        """Resolve incidents whose alerts all resolved (auto-resolve), then queue the notifications."""
        self.s.flush()
        ids = list(self.touched)
        for i in ids:
            if i not in self.incident_ids:
                self.incident_ids.append(i)
        if self.cfg.auto_resolve and ids:
            firing = dict(self.s.execute(select(Alert.incident_id, func.count()).where(
                Alert.incident_id.in_(ids), Alert.status == AlertStatus.FIRING.value)
                .group_by(Alert.incident_id)).all())
            ends = dict(self.s.execute(select(Alert.incident_id, func.max(Alert.ends_at)).where(
                Alert.incident_id.in_(ids)).group_by(Alert.incident_id)).all())
            for inc in self.touched.values():
                if IncidentState(inc.state) not in OPEN_STATES or firing.get(inc.id):
                    continue
                end = ends.get(inc.id)
                at = as_utc(end) if end is not None else self.received_at
                apply_transition(self.s, inc, IncidentState.RESOLVED, SYSTEM, "every alert resolved", at)
                self.open.pop(inc.id, None)
                self.counts["auto_resolved"] += 1
                if inc not in self.opened:
                    enqueue(self.s, self.cfg, self.project, inc, "resolved", self.graph, at)
        for inc in self.opened:
            if IncidentState(inc.state) in OPEN_STATES:
                enqueue(self.s, self.cfg, self.project, inc, "opened", self.graph, as_utc(inc.opened_at))
        save_incident_insights(self.s, self.regrouped.values())


def ingest_parsed(session: Session, cfg: IncidentSettings, project: str, parsed: Parsed, source: str,
                  received_at: datetime | None = None) -> IngestOutcome:
    """Take in one parsed payload: deployments stored, alerts deduplicated and correlated into incidents."""
    lock_intake(session)
    intake = _Intake(session, cfg, project, received_at or utcnow())
    deployments = sum(_store_deployment(session, d) for d in parsed.deployments)
    session.flush()
    for a, fp, key in intake.prepare(parsed.alerts):
        intake.take(a, fp, key)
    intake.finish()
    c = intake.counts
    return IngestOutcome(source=source, events=len(parsed.alerts), new_alerts=c["new"], repeats=c["repeats"],
                         resolved=c["resolved"], replays=c["replays"], incidents_opened=c["opened"],
                         incidents_joined=c["joined"], incidents_resolved=c["auto_resolved"], deployments=deployments,
                         alert_ids=tuple(dict.fromkeys(intake.alert_ids)), incident_ids=tuple(intake.incident_ids),
                         ignored=parsed.ignored)


def get_incident(session: Session, incident_id: int) -> Incident:
    inc = session.get(Incident, incident_id)
    if inc is None or inc.project_id != current_project_id(session):
        raise NotFoundError(f"incident {incident_id} not found")
    return inc


def apply_transition(session: Session, inc: Incident, target: IncidentState, actor: str, note: str | None,
                     at: datetime) -> TransitionDone:
    """Move ``inc`` to ``target`` when legal (InputError otherwise) and log it."""
    current = IncidentState(inc.state)
    algo.check_transition(current, target)
    inc.state = target.value
    if target is IncidentState.ACKNOWLEDGED and inc.acknowledged_at is None:
        inc.acknowledged_at = at
    if target is IncidentState.RESOLVED:
        inc.resolved_at = at
    if target is IncidentState.INVESTIGATING and current is IncidentState.RESOLVED:
        inc.resolved_at = None
    inc.updated_at = utcnow()
    session.add(IncidentTransition(project_id=inc.project_id, incident_id=inc.id, from_state=current.value,
                                   to_state=target.value, actor=actor[:200], at=at, note=note))
    return TransitionDone(inc.id, current.value, target.value, actor, at)


def transition(session: Session, cfg: IncidentSettings, project: str, incident_id: int, target: IncidentState,
               actor: str, note: str | None = None, at: datetime | None = None) -> TransitionDone:
    """A person moves an incident along its lifecycle (acknowledge cancels pending escalations)."""
    from argus.analysis.incidents.notify import cancel_escalations

    inc = get_incident(session, incident_id)
    if inc.merged_into_id is not None:
        raise InputError(f"incident {incident_id} was merged into {inc.merged_into_id}: act on that one")
    done = apply_transition(session, inc, target, actor, note, at or utcnow())
    if target is IncidentState.ACKNOWLEDGED:
        cancel_escalations(session, inc.id)
    if target is IncidentState.RESOLVED:
        enqueue(session, cfg, project, inc, "resolved", load_graph(session), done.at)
    return done


def _recompute(session: Session, inc: Incident) -> None:
    rows = list(session.scalars(select(Alert).where(Alert.incident_id == inc.id).order_by(Alert.starts_at)))
    if not rows:
        return
    inc.alert_count = len(rows)
    inc.event_count = sum(r.count for r in rows)
    inc.services = list(dict.fromkeys(r.service for r in rows if r.service))
    inc.service = inc.services[0] if inc.services else None
    inc.severity = min((Severity(r.severity) for r in rows), key=lambda s: s.rank).value
    inc.priority = min(r.priority for r in rows)
    inc.opened_at = min(as_utc(r.starts_at) for r in rows)
    inc.last_alert_at = max(as_utc(r.starts_at) for r in rows)
    inc.updated_at = utcnow()


def merge(session: Session, target_id: int, source_ids: Sequence[int], actor: str, note: str | None = None) -> RegroupDone:
    """Move every alert of ``source_ids`` into ``target_id``; the sources are marked merged (by a person)."""
    target = get_incident(session, target_id)
    if not source_ids:
        raise InputError("merge: name at least one incident to merge in")
    if target.merged_into_id is not None:
        raise InputError(f"incident {target_id} was merged into {target.merged_into_id}")
    moved: list[int] = []
    now = utcnow()
    for sid in dict.fromkeys(source_ids):
        if sid == target_id:
            raise InputError(f"incident {sid}: cannot merge an incident into itself")
        src = get_incident(session, sid)
        if src.merged_into_id is not None:
            raise InputError(f"incident {sid} was already merged into {src.merged_into_id}")
        for a in session.scalars(select(Alert).where(Alert.incident_id == sid)):
            a.incident_id = target.id
            a.correlation = {"rule": "merge", "detail": f"merged from incident {sid} by {actor}"
                             + (f": {note}" if note else "")}
            moved.append(a.id)
        src.merged_into_id = target.id
        src.updated_at = now
        session.add(IncidentTransition(project_id=src.project_id, incident_id=src.id, from_state=src.state,
                                       to_state=src.state, actor=actor, at=now,
                                       note=f"merged into incident {target.id}" + (f": {note}" if note else "")))
    session.flush()
    _recompute(session, target)
    session.add(IncidentTransition(project_id=target.project_id, incident_id=target.id, from_state=target.state,
                                   to_state=target.state, actor=actor, at=now,
                                   note=f"merged in incidents {', '.join(map(str, source_ids))}"
                                   + (f": {note}" if note else "")))
    save_incident_insights(session, [target])
    return RegroupDone(target.id, tuple(dict.fromkeys(source_ids)), tuple(moved))


def split(session: Session, incident_id: int, alert_ids: Sequence[int], actor: str, note: str | None = None) -> RegroupDone:
    """Move ``alert_ids`` of an incident into a new incident (DETECTED), logged with the person's reason."""
    src = get_incident(session, incident_id)
    ids = list(dict.fromkeys(alert_ids))
    if not ids:
        raise InputError("split: name at least one alert to move out")
    rows = list(session.scalars(select(Alert).where(Alert.id.in_(ids), Alert.incident_id == incident_id)))
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise NotFoundError(f"alert(s) {', '.join(map(str, missing))} not in incident {incident_id}")
    left = session.scalar(select(func.count()).select_from(Alert).where(Alert.incident_id == incident_id))
    if left == len(rows):
        raise InputError(f"incident {incident_id}: splitting every alert out leaves it empty; give fewer alerts")
    now = utcnow()
    first = min(rows, key=lambda r: (r.starts_at, r.id))
    new = Incident(project_id=src.project_id, title=f"{first.name}" + (f" on {first.service}" if first.service else ""),
                   state=IncidentState.DETECTED.value, severity=first.severity, priority=first.priority,
                   service=first.service, services=[], opened_at=as_utc(first.starts_at),
                   last_alert_at=as_utc(first.starts_at), updated_at=now)
    session.add(new)
    session.flush()
    for r in rows:
        r.incident_id = new.id
        r.correlation = {"rule": "split", "detail": f"split from incident {incident_id} by {actor}"
                         + (f": {note}" if note else "")}
    session.flush()
    _recompute(session, new)
    _recompute(session, src)
    session.add(IncidentTransition(project_id=src.project_id, incident_id=new.id, from_state=None,
                                   to_state=IncidentState.DETECTED.value, actor=actor, at=now,
                                   note=f"split from incident {incident_id}" + (f": {note}" if note else "")))
    session.add(IncidentTransition(project_id=src.project_id, incident_id=src.id, from_state=src.state,
                                   to_state=src.state, actor=actor, at=now,
                                   note=f"alerts {', '.join(map(str, ids))} split into incident {new.id}"))
    save_incident_insights(session, [new, src])
    return RegroupDone(new.id, (incident_id,), tuple(ids))
