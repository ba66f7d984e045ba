"""Reads of incident investigation: the context snapshot assembled from stored rows, snapshots and
investigations as stored, outcomes (history per kind, weight samples, the accepted cause)."""

from __future__ import annotations

import dataclasses
import re
import statistics
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
    MetricDeviation,
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
    precedents = _with_postmortems(session, inc, own, names, precedents, p)
    precedents.sort(key=lambda q: (-q.similarity, q.ref))
    metrics = metric_deviations(session, own | set(up), since, until, opened)
    return Snapshot(inc.id, inc.title, inc.service, tuple(sorted(own)), opened, now, up, down,
                    {k: tuple(v) for k, v in deps.items() if k in near}, tuple(changes), tuple(alerts),
                    tuple(slos), tuple(ci), tuple(precedents[:50]), outcome_history(session), tuple(notes),
                    tuple(metrics))


_MIN_BASELINE_POINTS = 10
_MIN_SIGMA = 2.0


def metric_deviations(session: Session, services: set[str], since: datetime, until: datetime,
                      opened: datetime) -> list[MetricDeviation]:
    """Metrics (label ``service``) of the services off their baseline between ``since`` and ``until``:
    the anomaly capability's stored findings (``anomaly`` insights of the series, latest version) when it
    judged the series in the window; else the series' points from ``opened`` − 30 min against the
    median / MAD of its earlier points in the look-back (at least 10 of them, deviation ≥ 2 sigma)."""
    if not services:
        return []
    series = [sr for sr in session.scalars(select(MetricSeries).order_by(MetricSeries.id))
              if (sr.labels or {}).get("service") in services]
    out: list[MetricDeviation] = []
    for sr in series[:100]:
        svc = str(sr.labels["service"])
        sat = algo.is_saturation(sr.name, {})
        found = []
        for r in session.scalars(select(InsightRow).where(
                InsightRow.kind == InsightKind.ANOMALY.value, InsightRow.subject_id == sr.key,
                InsightRow.superseded_by.is_(None)).order_by(InsightRow.id)):
            d = r.data or {}
            try:
                at = as_utc(datetime.fromisoformat(str(d.get("at"))))
                value = float(d["value"])
            except (KeyError, TypeError, ValueError):
                continue
            if not since <= at <= until:
                continue
            b = d.get("baseline") or {}
            med, mad = b.get("median"), b.get("mad")
            sigma = _sigma(value, med, mad) if med is not None else 3.0
            found.append(MetricDeviation("insight", str(r.id), sr.key, svc, at, value,
                                         float(med) if med is not None else value, sigma, sat, "anomaly"))
        if found:
            out.append(max(found, key=lambda m: (m.sigma, m.at)))
            continue
        pts = [(as_utc(t), float(v)) for t, v in session.execute(
            select(MetricPoint.ts, MetricPoint.value).where(MetricPoint.series_id == sr.id, MetricPoint.ts >= since,
                                                            MetricPoint.ts <= until).order_by(MetricPoint.ts))]
        cut = opened - timedelta(minutes=30)
        base = [v for t, v in pts if t < cut]
        recent = [(t, v) for t, v in pts if t >= cut]
        if len(base) < _MIN_BASELINE_POINTS or not recent:
            continue
        med = statistics.median(base)
        mad = statistics.median(abs(v - med) for v in base)
        t, v = max(recent, key=lambda x: abs(x[1] - med))
        sigma = _sigma(v, med, mad)
        if sigma >= _MIN_SIGMA:
            ref = f"{sr.id}:{recent[0][0].isoformat()}/{recent[-1][0].isoformat()}"
            out.append(MetricDeviation("metric_window", ref, sr.key, svc, t, v, med, sigma, sat, "points"))
    return out


def _sigma(value: float, median: float, mad: float | None) -> float:
    scale = 1.4826 * float(mad or 0.0)
    if scale <= 0:
        scale = max(abs(float(median)) * 0.05, 1e-9)
    return round(min(abs(value - float(median)) / scale, 10.0), 3)


_CAUSE_KEY = re.compile(r"\b(deploy|config|upstream|capacity):([A-Za-z0-9_.\-/]+)")


def cause_of_text(text: str | None) -> tuple[str, str] | None:
    """(kind, "<kind>:<service>") named in a postmortem's cause text: the ``[deploy:api]`` the
    investigation's accepted hypothesis leaves there, or a person writing ``upstream:db``; else None."""
    m = _CAUSE_KEY.search(text or "")
    return (m.group(1), f"{m.group(1)}:{m.group(2)}") if m else None


def _with_postmortems(session: Session, inc: Incident, own: set[str], names: set[str],
                      precedents: list[Precedent], p: InvestigationParams) -> list[Precedent]:
    """Add the postmortems of earlier incidents (runbooks capability, ``similar_postmortems``) to the
    precedents: a postmortem's accepted cause is the precedent's recorded cause when the incident has no
    accepted hypothesis of its own."""
    from argus.analysis.runbooks.service import similar_postmortems

    text = " ".join([inc.title, *sorted(names)])
    by_ref = {q.ref: q for q in precedents}
    opened = as_utc(inc.opened_at)
    found = []
    svcs: list[str | None] = [*sorted(own)] or [None]
    for svc in svcs:
        found += similar_postmortems(session, None, svc, text, 20, 0.0, exclude_incident=inc.id)
    if not found:
        return precedents
    causes = accepted_causes(session, sorted({pm.incident_id for pm in found}))
    for pm in sorted(found, key=lambda x: -x.similarity):
        ref = str(pm.incident_id)
        past = session.get(Incident, pm.incident_id)
        if past is None or as_utc(past.opened_at) >= opened:
            continue
        cause = causes.get(pm.incident_id) or cause_of_text(pm.cause)
        sim = max(pm.similarity, by_ref[ref].similarity if ref in by_ref else 0.0)
        if sim < p.precedent_min_similarity:
            continue
        old = by_ref.get(ref)
        by_ref[ref] = Precedent(ref, round(sim, 4), past.title, as_utc(past.opened_at),
                                (old.cause_kind if old and old.cause else None) or (cause[0] if cause else None),
                                (old.cause if old and old.cause else None) or (cause[1] if cause else None),
                                str(pm.postmortem_id))
    return list(by_ref.values())


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
