"""Reads of incident investigation: the context snapshot assembled from stored rows, snapshots and
investigations as stored, outcomes (history per kind, weight samples, the accepted cause)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents.service import load_graph
from argus.analysis.investigation import algo
from argus.analysis.investigation.schemas import (
    AlertItem,
    Change,
    CiSignal,
    InvestigationParams,
    Precedent,
    SloState,
    Snapshot,
)
from argus.core.clock import as_utc
from argus.core.enums import InsightKind
from argus.store.models import (
    Alert,
    Deployment,
    HypothesisOutcome,
    Incident,
    InsightRow,
    MetricPoint,
    MetricSeries,
    RiskPrediction,
)

_MAX_ALERTS = 200
_MAX_PAST = 500


def _relation(svc: str | None, own: set[str], up: dict[str, int], down: dict[str, int]) -> str:
    if svc is None:
        return "other"
    if svc in own:
        return "self"
    if svc in up:
        return "upstream"
    if svc in down:
        return "downstream"
    return "other"


def build_snapshot(session: Session, inc: Incident, p: InvestigationParams, now: datetime) -> Snapshot:
    """What is known about ``inc`` now (every item with its source row)."""
    graph = load_graph(session)
    opened = as_utc(inc.opened_at)
    own = set(inc.services) or ({inc.service} if inc.service else set())
    deps = {k: v.depends_on for k, v in graph.items()}
    up, down = algo.neighbours(deps, own, p.hops)
    near = own | set(up) | set(down)
    since, until = opened - timedelta(hours=p.lookback_h), opened + timedelta(minutes=p.after_min)
    notes = []
    if not graph:
        notes.append("no service graph loaded (argus incidents services): neighbours unknown")
    # changes
    changes = []
    dep_rows = list(session.scalars(select(Deployment).where(Deployment.started_at >= since,
                                                             Deployment.started_at <= until)
                                    .order_by(Deployment.started_at, Deployment.id)))
    commits = sorted({d.commit_sha for d in dep_rows if d.commit_sha})
    risk: dict[str, tuple[float, int]] = {}
    if commits:
        for rp in session.scalars(select(RiskPrediction).where(RiskPrediction.commit_sha.in_(commits))
                                  .order_by(RiskPrediction.created_at)):
            if rp.commit_sha:
                risk[rp.commit_sha] = (rp.probability, rp.id)
    for d in dep_rows:
        if d.status not in ("success", "succeeded", "done", "completed"):
            continue
        rel = _relation(d.service, own, up, down)
        if rel in ("other",) and d.service is not None:
            continue
        rk = risk.get(d.commit_sha or "")
        changes.append(Change(str(d.id), str((d.attributes or {}).get("kind", "deploy")), d.service,
                              as_utc(d.started_at), rel, d.commit_sha, rk[0] if rk else None,
                              str(rk[1]) if rk else None))
    # alerts of the incident and of its neighbours
    alerts = []
    rows = list(session.scalars(select(Alert).where(Alert.incident_id == inc.id).order_by(Alert.starts_at)
                                .limit(_MAX_ALERTS)))
    if near:
        rows += list(session.scalars(select(Alert).where(
            Alert.service.in_(sorted(near)), Alert.starts_at >= since, Alert.starts_at <= until,
            (Alert.incident_id != inc.id) | Alert.incident_id.is_(None)).order_by(Alert.starts_at).limit(_MAX_ALERTS)))
    for a in rows:
        sigma, value = algo.sigma_of(a.labels or {})
        alerts.append(AlertItem(str(a.id), a.name, a.service, as_utc(a.starts_at),
                                None if a.ends_at is None else as_utc(a.ends_at), a.severity,
                                _relation(a.service, own, up, down), a.incident_id == inc.id, sigma, value,
                                algo.is_saturation(a.name, a.labels or {})))
    # SLO burn rates of the services that define an SLO with a metric
    slos = []
    for svc in sorted(own | set(up)):
        info = graph.get(svc)
        if info is None or not info.slo_objective or not info.slo_metric:
            continue
        series = [sr for sr in session.scalars(select(MetricSeries).where(MetricSeries.name == info.slo_metric))
                  if (sr.labels or {}).get("service") in (svc, None)]
        for sr in series[:1]:
            pts = [(as_utc(t), v) for t, v in session.execute(select(MetricPoint.ts, MetricPoint.value).where(
                MetricPoint.series_id == sr.id, MetricPoint.ts > until - timedelta(hours=6), MetricPoint.ts <= until))]
            burn = algo.burn_rates(pts, info.slo_objective, until)
            page, ticket = algo.burn_alerts(burn)
            slos.append(SloState(svc, info.slo_objective, burn, page, ticket, str(sr.id)))
    # CI signals on the deployed commits: failed gate verdicts, failure clusters / novel failures
    ci = []
    if commits:
        for r in session.scalars(select(InsightRow).where(
                InsightRow.kind.in_([InsightKind.GATE_VERDICT.value, InsightKind.NOVEL_FAILURE.value,
                                     InsightKind.FAILURE_CLUSTER.value]),
                InsightRow.superseded_by.is_(None), InsightRow.created_at >= since - timedelta(days=7))):
            commit = _commit_of(r, commits)
            if commit is None:
                continue
            if r.kind == InsightKind.GATE_VERDICT.value and str((r.data or {}).get("verdict", r.action or "")).lower() \
                    not in ("fail", "failed", "block", "blocked"):
                continue
            kind = "gate_failure" if r.kind == InsightKind.GATE_VERDICT.value else r.kind
            ci.append(CiSignal(str(r.id), kind, commit, r.title[:200]))
    # similar past incidents, with their recorded cause
    precedents = []
    names = {a.name for a in alerts if a.in_incident}
    past = list(session.scalars(select(Incident).where(Incident.id != inc.id, Incident.opened_at < opened,
                                                       Incident.merged_into_id.is_(None))
                                .order_by(Incident.opened_at.desc()).limit(_MAX_PAST)))
    if past:
        causes = accepted_causes(session, [x.id for x in past])
        past_names: dict[int, set[str]] = {}
        ids = [x.id for x in past]
        for i in range(0, len(ids), 500):
            for iid, name in session.execute(select(Alert.incident_id, Alert.name).where(
                    Alert.incident_id.in_(ids[i:i + 500])).distinct()):
                if iid is not None:
                    past_names.setdefault(iid, set()).add(name)
        for x in past:
            sim = algo.similarity(own, names, inc.title, set(x.services), past_names.get(x.id, set()), x.title)
            if sim >= p.precedent_min_similarity:
                cause = causes.get(x.id)
                precedents.append(Precedent(str(x.id), round(sim, 4), x.title, as_utc(x.opened_at),
                                            cause[0] if cause else None, cause[1] if cause else None))
        precedents.sort(key=lambda q: (-q.similarity, q.ref))
    return Snapshot(inc.id, inc.title, inc.service, tuple(sorted(own)), opened, now, up, down,
                    {k: tuple(v) for k, v in deps.items() if k in near}, tuple(changes), tuple(alerts),
                    tuple(slos), tuple(ci), tuple(precedents[:50]), outcome_history(session), tuple(notes))


def _commit_of(r: InsightRow, commits: list[str]) -> str | None:
    data = r.data or {}
    for cand in (r.subject_id, data.get("commit"), data.get("commit_sha"), data.get("head")):
        if isinstance(cand, str):
            for c in commits:
                if cand and (cand == c or (len(cand) >= 7 and c.startswith(cand))):
                    return c
    return None


def accepted_causes(session: Session, incident_ids: list[int]) -> dict[int, tuple[str, str]]:
    """incident id → (kind, cause) of its accepted hypothesis (the latest verdict)."""
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(incident_ids), 500):
        for o in session.scalars(select(HypothesisOutcome).where(
                HypothesisOutcome.incident_id.in_(incident_ids[i:i + 500]), HypothesisOutcome.accepted.is_(True))
                .order_by(HypothesisOutcome.at, HypothesisOutcome.id)):
            out[o.incident_id] = (o.kind, o.cause)
    return out


def outcome_history(session: Session) -> dict[str, tuple[int, int]]:
    """pattern → (accepted, judged) over every recorded outcome."""
    out: dict[str, list[int]] = {}
    for kind, accepted in session.execute(select(HypothesisOutcome.pattern, HypothesisOutcome.accepted)):
        acc = out.setdefault(kind, [0, 0])
        acc[0] += int(bool(accepted))
        acc[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def weight_samples(session: Session) -> list[tuple[dict[str, float], bool]]:
    return [(dict(f or {}), bool(a)) for f, a in session.execute(
        select(HypothesisOutcome.factors, HypothesisOutcome.accepted)) if f]


# ---- (de)serialisation of the stored snapshot ----------------------------------------------------------


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value
