"""Investigate an incident: snapshot → hypotheses → five-factor scores → calibration → policy → insights
(the caller owns the transaction). Record which hypothesis was the cause (feeds F5, the learned
weights and the calibration). Other capabilities import only this module: :func:`accepted_hypothesis`
is the accepted cause of an incident (the postmortem's)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from argus.analysis.incidents.service import get_incident, transition
from argus.analysis.insights.service import add_feedback, calibrator_for, save_insights
from argus.analysis.investigation import algo
from argus.analysis.investigation.insights import hypothesis_insight
from argus.analysis.investigation.queries import build_snapshot, to_json, weight_samples
from argus.analysis.investigation.readmodels import (
    AcceptedCause,
    ActionSuggestion,
    EvidenceView,
    HypothesisView,
    InvestigationView,
    OutcomeDone,
    RunbookSuggestion,
)
from argus.analysis.investigation.schemas import HypothesisKind, InvestigationParams, Snapshot
from argus.core.clock import as_utc, utcnow
from argus.core.enums import FeedbackVerdict, InsightKind, ReviewTier, SubjectType
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import IncidentSettings, InvestigationSettings, derive
from argus.store.models import (
    EvidenceRow,
    HypothesisOutcome,
    IncidentInvestigation,
    IncidentSnapshot,
    InsightRow,
)
from argus.store.session import current_project_id

#: Actor of what Argus does itself (detection snapshots, auto-acknowledgement).
SYSTEM = "argus"
_ACK_TIERS = (ReviewTier.AUTONOMOUS, ReviewTier.ASYNC_REVIEW)

#: Runbooks for a hypothesis: (session, incident id, query text, services) → suggestions as JSON-able
#: dicts (fields of :class:`RunbookSuggestion`). The app layer passes the runbooks capability's.
Recommender = Callable[[Session, int, str, Sequence[str]], list[dict[str, Any]]]

__all__ = ["accepted_hypothesis", "investigate", "latest_investigation", "params_from", "record_outcome",
           "snapshot_content"]


def params_from(settings: InvestigationSettings) -> InvestigationParams:
    return derive(InvestigationParams, settings)


def current_weights(session: Session, cfg: InvestigationSettings, p: InvestigationParams) -> dict[str, float]:
    """The seed weights, or weights learned from the recorded outcomes once there are enough."""
    samples = weight_samples(session)
    if len(samples) >= cfg.min_outcomes_for_weights and len({a for _, a in samples}) == 2:
        return algo.fit_weights(samples, p.weights)
    return algo.normalised(p.weights)


def _drafts(cfg: InvestigationSettings, snap: Snapshot, p: InvestigationParams) -> tuple[list, list[str]]:
    if not cfg.llm_provider or not cfg.llm_base_url:
        return [], []
    from argus.analysis.investigation.llm import (
        draft_client,
        draft_messages,
        drafts_to_hypotheses,
        parse_drafts,
    )
    from argus.core.llm import ModelUnavailable

    client = draft_client(cfg.llm_provider, cfg.llm_base_url, cfg.llm_model, cfg.llm_api_key, cfg.llm_timeout_s)
    try:
        text = client.complete(draft_messages(snap))
    except ModelUnavailable as exc:
        return [], [f"LLM drafts unavailable: {exc}"]
    return drafts_to_hypotheses(parse_drafts(text), snap, p, f"{cfg.llm_provider}:{cfg.llm_model}"), []


def investigate(session: Session, cfg: InvestigationSettings, incident_cfg: IncidentSettings, project: str,
                incident_id: int, actor: str = SYSTEM, trigger: str = "on_demand",
                now: datetime | None = None, recommender: Recommender | None = None) -> InvestigationView:
    """Take a snapshot of the incident and rank its hypotheses; store both; apply the policy."""
    inc = get_incident(session, incident_id)
    if inc.merged_into_id is not None:
        raise InputError(f"incident {incident_id} was merged into {inc.merged_into_id}: investigate that one")
    now = now or utcnow()
    p = params_from(cfg)
    pid = current_project_id(session)
    snap = build_snapshot(session, inc, p, now)
    content = to_json(snap)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    srow = IncidentSnapshot(project_id=pid, incident_id=inc.id, trigger=trigger, taken_at=now, content=content,
                            content_hash=digest)
    session.add(srow)
    session.flush()
    weights = current_weights(session, cfg, p)
    hyps = algo.generate(snap, p)
    drafts, notes = _drafts(cfg, snap, p)
    ranked = algo.rank([*hyps, *drafts], snap.history, p, weights)
    cal = calibrator_for(session, InsightKind.INCIDENT_HYPOTHESIS)
    params = {"weights": {k: round(v, 4) for k, v in weights.items()}, "lookback_h": p.lookback_h}
    insights = [hypothesis_insight(inc.id, srow.id, x, params).calibrated(cal) for x in ranked]
    pairs = [(x, ins.confidence.value) for x, ins in zip(ranked, insights, strict=True)]
    allows = {x.hypothesis.key: ins.review_tier in _ACK_TIERS for x, ins in zip(ranked, insights, strict=True)}
    decision = algo.decide(pairs, p, inc.service, allows)
    ids = save_insights(session, insights, calibrator=cal) if insights else []
    # hypotheses of an earlier run that this run did not propose again are superseded by it
    stale = update(InsightRow).where(
        InsightRow.project_id == pid, InsightRow.kind == InsightKind.INCIDENT_HYPOTHESIS.value,
        InsightRow.subject_type == SubjectType.HYPOTHESIS.value, InsightRow.subject_id.like(f"{inc.id}:%"),
        InsightRow.superseded_by.is_(None))
    if ids:
        stale = stale.where(InsightRow.id.not_in(ids))
    session.execute(stale.values(superseded_by=ids[0] if ids else None))
    shown = set(decision.shown)
    rows: list[dict[str, Any]] = []
    for (x, conf), ins, iid in zip(pairs, insights, ids, strict=True):
        h = x.hypothesis
        rows.append({"key": h.key, "kind": h.kind.value, "pattern": h.pattern, "cause": h.cause, "title": h.title, "service": h.service,
                     "insight_id": iid, "base": round(x.base, 6), "confidence": round(conf, 6),
                     "low": round(cal.apply(x.low), 6), "high": round(cal.apply(x.high), 6),
                     "factors": x.factors, "weights": x.weights, "defaults": list(x.defaults),
                     "contradictions": list(h.contradictions), "precedents": h.precedents,
                     "review_tier": ins.review_tier.value, "drafted_by": h.drafted_by,
                     "evidence": [to_json(e) for e in h.evidence[:20]]})
    rows.sort(key=lambda r: -float(r["confidence"]))
    if recommender is not None:
        _recommend(session, recommender, inc, rows, decision.shown or tuple(r["key"] for r in rows[:p.show_top]))
    irow = IncidentInvestigation(project_id=pid, incident_id=inc.id, snapshot_id=srow.id,
                                 verdict=decision.verdict.value, hypotheses=rows, shown=list(decision.shown),
                                 conflicts=list(decision.conflicts), request=decision.request,
                                 auto_ack=decision.auto_ack, weights=weights, actor=actor, created_at=now)
    session.add(irow)
    session.flush()
    acked = False
    if decision.auto_ack and inc.state == "detected":
        from argus.analysis.incidents.service import IncidentState

        transition(session, incident_cfg, project, inc.id, IncidentState.ACKNOWLEDGED, SYSTEM,
                   f"auto-acknowledged: hypothesis {decision.auto_ack} above {p.auto_ack_above:g} with a precedent")
        acked = True
    return _view(irow, snap_counts(content), tuple(snap.notes) + tuple(notes), shown, acked)


def _recommend(session: Session, recommender: Recommender, inc: Any, rows: list[dict[str, Any]],
               top: Sequence[str]) -> None:
    """Runbooks for the top hypotheses (query: title and cause; services: the hypothesis's, else the
    incident's), kept on the stored run and in the hypothesis insight's data."""
    own = list(inc.services) or ([inc.service] if inc.service else [])
    for r in rows:
        if r["key"] not in top:
            continue
        svcs = [r["service"]] if r.get("service") and r["service"] != "-" else own
        text = f"{r['title']} {r['cause'].replace(':', ' ')} {r['kind']}"
        r["runbooks"] = recommender(session, inc.id, text, svcs)
        if r.get("insight_id"):
            ins = session.get(InsightRow, int(r["insight_id"]))
            if ins is not None:
                ins.data = {**(ins.data or {}), "runbooks": r["runbooks"]}
    session.flush()


def snap_counts(content: dict) -> dict[str, int]:
    return {k: len(content.get(k) or []) for k in ("changes", "alerts", "slos", "ci", "precedents")}


def _view(r: IncidentInvestigation, counts: dict[str, int], notes: Sequence[str], shown: set[str] | None = None,
          acked: bool = False) -> InvestigationView:
    shown = set(r.shown) if shown is None else shown
    hyps = tuple(HypothesisView(
        h["key"], h["kind"], h["cause"], h["title"], h.get("service"), h.get("insight_id"), h["confidence"],
        h["low"], h["high"], h["base"], dict(h["factors"]), dict(h["weights"]), tuple(h.get("defaults", ())),
        tuple(EvidenceView(e["ref_type"], e["ref_id"], e["strength"], e["detail"],
                           datetime.fromisoformat(e["at"]) if e.get("at") else None) for e in h.get("evidence", [])),
        tuple(h.get("contradictions", ())), h.get("review_tier", ""), h["key"] in shown, h.get("precedents", 0),
        h.get("drafted_by"), tuple(RunbookSuggestion(
            x["runbook"], x["title"], x["score"], x["match"], x["risk"], x["expected_impact"],
            tuple(ActionSuggestion(**a) for a in x.get("actions", ()))) for x in h.get("runbooks", ())))
        for h in r.hypotheses)
    return InvestigationView(r.id, r.incident_id, r.snapshot_id, r.verdict, as_utc(r.created_at), r.actor, hyps,
                             tuple(r.conflicts), r.request, r.auto_ack, dict(r.weights), counts, tuple(notes), acked)


def latest_investigation(session: Session, incident_id: int) -> InvestigationView | None:
    get_incident(session, incident_id)
    r = session.scalar(select(IncidentInvestigation).where(IncidentInvestigation.incident_id == incident_id)
                       .order_by(IncidentInvestigation.id.desc()).limit(1))
    if r is None:
        return None
    snap = session.get(IncidentSnapshot, r.snapshot_id)
    content = snap.content if snap is not None else {}
    return _view(r, snap_counts(content), tuple(content.get("notes") or ()))


def snapshot_content(session: Session, incident_id: int) -> dict | None:
    """The latest stored snapshot of an incident (as stored), or None."""
    get_incident(session, incident_id)
    r = session.scalar(select(IncidentSnapshot).where(IncidentSnapshot.incident_id == incident_id)
                       .order_by(IncidentSnapshot.id.desc()).limit(1))
    return None if r is None else {"id": r.id, "trigger": r.trigger, "taken_at": as_utc(r.taken_at).isoformat(),
                                   "content_hash": r.content_hash, "content": r.content}


def has_snapshot(session: Session, incident_id: int) -> bool:
    return session.scalar(select(IncidentSnapshot.id).where(IncidentSnapshot.incident_id == incident_id)
                          .limit(1)) is not None


def record_outcome(session: Session, incident_id: int, hypothesis: str, actor: str, note: str | None = None,
                   now: datetime | None = None) -> OutcomeDone:
    """Record the cause of an incident: ``hypothesis`` is a key of its latest investigation (accepted; the
    others of that run rejected, and each verdict is feedback on its insight), or a cause
    ``<kind>:<service>`` that no hypothesis named (e.g. ``config:payments``), or ``none``: none of the
    hypotheses was the cause (all rejected)."""
    inc = get_incident(session, incident_id)
    now = now or utcnow()
    pid = current_project_id(session)
    run = session.scalar(select(IncidentInvestigation).where(IncidentInvestigation.incident_id == inc.id)
                         .order_by(IncidentInvestigation.id.desc()).limit(1))
    hyps = list(run.hypotheses) if run is not None else []
    chosen = next((h for h in hyps if h["key"] == hypothesis), None)
    if hypothesis == "none":  # none of them: every hypothesis of the latest run rejected
        for h in hyps:
            session.add(HypothesisOutcome(project_id=pid, incident_id=inc.id, hypothesis_key=h["key"], kind=h["kind"],
                                          pattern=h.get("pattern", ""), cause=h["cause"], insight_id=h.get("insight_id"), accepted=False,
                                          factors=dict(h.get("factors") or {}), actor=actor, note=note, at=now))
            if h.get("insight_id"):
                add_feedback(session, int(h["insight_id"]), FeedbackVerdict.REJECTED, actor, note)
        session.flush()
        return OutcomeDone(inc.id, "none", "none", "none", 0, len(hyps), actor, now)
    if chosen is None:
        kind, sep, svc = hypothesis.partition(":")
        if not sep or not svc or kind not in {k.value for k in HypothesisKind}:
            known = ", ".join(h["key"] for h in hyps[:10]) or "none (run `argus incidents investigate` first)"
            raise NotFoundError(f"incident {incident_id}: no hypothesis {hypothesis!r}; hypotheses: {known}; "
                                "or name a cause as <kind>:<service> (kinds: deploy, config, upstream, capacity)")
        chosen = {"key": hypothesis, "kind": kind, "cause": hypothesis, "insight_id": None, "factors": {}}
    accepted = rejected = 0
    for h in [chosen, *[h for h in hyps if h["key"] != chosen["key"]]]:
        ok = h is chosen or (h["cause"] == chosen["cause"] and h["kind"] == chosen["kind"])
        session.add(HypothesisOutcome(project_id=pid, incident_id=inc.id, hypothesis_key=h["key"], kind=h["kind"],
                                      pattern=h.get("pattern", ""), cause=h["cause"], insight_id=h.get("insight_id"), accepted=ok,
                                      factors=dict(h.get("factors") or {}), actor=actor, note=note, at=now))
        if h.get("insight_id"):
            add_feedback(session, int(h["insight_id"]),
                         FeedbackVerdict.ACCEPTED if ok else FeedbackVerdict.REJECTED, actor, note)
        accepted += ok
        rejected += not ok
    session.flush()
    return OutcomeDone(inc.id, chosen["key"], chosen["kind"], chosen["cause"], accepted, rejected, actor, now)


def accepted_hypothesis(session: Session, incident_id: int) -> AcceptedCause | None:
    """The hypothesis recorded as the cause of an incident (the latest such verdict), with its evidence."""
    get_incident(session, incident_id)
    o = session.scalar(select(HypothesisOutcome).where(HypothesisOutcome.incident_id == incident_id,
                                                       HypothesisOutcome.accepted.is_(True))
                       .order_by(HypothesisOutcome.at.desc(), HypothesisOutcome.id.desc()).limit(1))
    if o is None:
        return None
    title, conf = o.cause, None
    ev: tuple[EvidenceView, ...] = ()
    if o.insight_id is not None:
        ins = session.get(InsightRow, o.insight_id)
        if ins is not None:
            title, conf = (ins.subject_label or ins.title), ins.confidence
            ev = tuple(EvidenceView(e.ref_type, e.ref_id, e.strength, e.detail,
                                    None if e.observed_at is None else as_utc(e.observed_at))
                       for e in session.scalars(select(EvidenceRow).where(EvidenceRow.insight_id == ins.id)
                                                .order_by(EvidenceRow.id)))
    return AcceptedCause(incident_id, o.hypothesis_key, o.kind, o.cause, title, o.insight_id, conf, ev, o.actor,
                         as_utc(o.at), o.note)
