"""Postmortem drafts: facts gathered from the incident (lifecycle log, alerts, runbook feedback,
proposed actions, the accepted cause), rendered as Markdown, stored and linked to the incident so a later
similar incident finds it (:func:`argus.analysis.runbooks.readmodels.similar_postmortems`).

The accepted cause comes from, in order: the text a person gives (``--cause``), a :class:`CauseSource`
(default :func:`recorded_cause`: an ``incident_hypothesis`` insight about the incident with an
``accepted`` verdict, else the latest lifecycle note starting ``cause:``), else "cause not recorded".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.runbooks import algo
from argus.analysis.runbooks.queries import postmortem_view
from argus.analysis.runbooks.readmodels import AcceptedCause, CauseSource, PostmortemView
from argus.analysis.runbooks.service import get_incident
from argus.core.clock import as_utc, utcnow
from argus.core.enums import FeedbackVerdict, InsightKind
from argus.store.models import (
    Alert,
    EvidenceRow,
    Feedback,
    Incident,
    IncidentTransition,
    InsightRow,
    Postmortem,
    Runbook,
    RunbookAction,
    RunbookFeedback,
)

NOT_RECORDED = "cause not recorded"


def recorded_cause(session: Session, incident_id: int) -> AcceptedCause | None:
    """The default :class:`CauseSource` (see the module doc)."""
    accepted = (select(InsightRow).join(Feedback, Feedback.insight_id == InsightRow.id)
                .where(InsightRow.kind == InsightKind.INCIDENT_HYPOTHESIS.value,
                       InsightRow.subject_id == str(incident_id), Feedback.verdict == FeedbackVerdict.ACCEPTED.value)
                .order_by(Feedback.id.desc()).limit(1))
    row = session.scalar(accepted)
    if row is not None:
        ev = session.scalars(select(EvidenceRow).where(EvidenceRow.insight_id == row.id)
                             .order_by(EvidenceRow.claim_index, EvidenceRow.id).limit(20))
        return AcceptedCause(row.title, "hypothesis", row.confidence,
                             tuple(f"{e.ref_type} {e.ref_id}: {e.detail}" for e in ev))
    for t in session.scalars(select(IncidentTransition).where(IncidentTransition.incident_id == incident_id)
                             .order_by(IncidentTransition.at.desc(), IncidentTransition.id.desc())):
        note = (t.note or "").strip()
        if note.lower().startswith("cause:"):
            return AcceptedCause(note[6:].strip(), "lifecycle_note", None,
                                 (f"log {as_utc(t.at):%Y-%m-%d %H:%M} by {t.actor}",))
    return None


@dataclass(frozen=True)
class Facts:
    """What a postmortem says, gathered before rendering (kept as the row's ``facts``)."""

    incident: Incident
    alerts: list[Alert]
    log: list[IncidentTransition]
    cause: AcceptedCause | None
    tried: list[str]
    follow_ups: list[str]
    now: datetime


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    return f"{s // 3600} h {s % 3600 // 60} min" if s >= 3600 else f"{s // 60} min {s % 60} s"


def _secs(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (as_utc(b) - as_utc(a)).total_seconds()


def gather(session: Session, incident_id: int, cause: AcceptedCause | None, follow_ups: list[str]) -> Facts:
    inc = get_incident(session, incident_id)
    alerts = list(session.scalars(select(Alert).where(Alert.incident_id == inc.id).order_by(Alert.starts_at, Alert.id)))
    log = list(session.scalars(select(IncidentTransition).where(IncidentTransition.incident_id == inc.id)
                               .order_by(IncidentTransition.at, IncidentTransition.id)))
    tried: list[str] = []
    auto: list[str] = []
    for fb, rb in session.execute(select(RunbookFeedback, Runbook).join(Runbook, Runbook.id == RunbookFeedback.runbook_id)
                                  .where(RunbookFeedback.incident_id == inc.id).order_by(RunbookFeedback.at)):
        verdict = "helped" if fb.helped else "did not help"
        tried.append(f"Runbook **{rb.title}** (`{rb.key}`): {verdict} (by {fb.actor})" + (f": {fb.note}" if fb.note else ""))
        if not fb.helped:
            auto.append(f"Review runbook `{rb.key}`: it did not help with incident {inc.id}.")
    for a in session.scalars(select(RunbookAction).where(RunbookAction.incident_id == inc.id).order_by(RunbookAction.id)):
        who = f" by {a.decided_by}" if a.decided_by else ""
        tried.append(f"Proposed action #{a.id} {a.kind}: {a.description} ({a.review_tier}, {a.status}{who})")
    tried += [f"{as_utc(t.at):%Y-%m-%d %H:%M} note by {t.actor}: {t.note}" for t in log
              if t.note and t.actor != "argus"]
    if cause is None:
        auto.append("Record the cause (accept a hypothesis, or `argus incidents postmortem ID --cause TEXT`).")
    if not any(fb.helped for fb in session.scalars(select(RunbookFeedback).where(RunbookFeedback.incident_id == inc.id))):
        svc = inc.service or "the service"
        auto.append(f"No runbook was marked as helping: write or link one for {svc} (services.yaml `runbooks`).")
    if inc.acknowledged_at is None:
        auto.append("The incident was never acknowledged: check its routing and escalation.")
    return Facts(inc, alerts, log, cause, tried, [*follow_ups, *auto], utcnow())


def render(f: Facts) -> str:
    """The Markdown draft."""
    inc = f.incident
    opened = as_utc(inc.opened_at)
    end = as_utc(inc.resolved_at) if inc.resolved_at else None
    mtta, mttr = _secs(inc.opened_at, inc.acknowledged_at), _secs(inc.opened_at, inc.resolved_at)
    names = Counter(a.name for a in f.alerts)
    events = sum(a.count for a in f.alerts)
    lines = [f"# Postmortem: incident {inc.id}: {inc.title}", "",
             f"_Draft written by Argus on {f.now:%Y-%m-%d %H:%M} UTC from the incident's record; edit before sharing._", "",
             "## Summary", "",
             f"- State: {inc.state}; severity {inc.severity}, priority {inc.priority}",
             f"- Services: {', '.join(inc.services) or '-'}",
             f"- Opened {opened:%Y-%m-%d %H:%M} UTC" + (f", resolved {end:%Y-%m-%d %H:%M} UTC" if end else ", not resolved"),
             "", "## Impact", "",
             f"- Duration: {_dur(mttr) if mttr is not None else _dur((f.now - opened).total_seconds()) + ' (still open)'}",
             f"- Time to acknowledge (MTTA): {_dur(mtta)}; time to resolve (MTTR): {_dur(mttr)}",
             f"- Alerts: {len(f.alerts)} ({events} event(s)); by name: "
             + (", ".join(f"{n} ×{c}" for n, c in names.most_common()) or "-"),
             f"- Services alerting: {', '.join(sorted({a.service for a in f.alerts if a.service})) or '-'}",
             "", "## Timeline (UTC)", ""]
    events_tl: list[tuple[datetime, int, str]] = []
    for t in f.log:
        events_tl.append((as_utc(t.at), 0, f"{t.from_state or '-'} → {t.to_state} by {t.actor}" + (f": {t.note}" if t.note else "")))
    for a in f.alerts:
        events_tl.append((as_utc(a.starts_at), 1, f"alert {a.name} on {a.service or '-'} fired ({a.severity}, ×{a.count})"))
        if a.ends_at:
            events_tl.append((as_utc(a.ends_at), 1, f"alert {a.name} on {a.service or '-'} resolved"))
    lines += [f"- {at:%Y-%m-%d %H:%M} {what}" for at, _, what in sorted(events_tl, key=lambda x: (x[0], x[1]))]
    lines += ["", "## Cause", ""]
    if f.cause is None:
        lines.append(f"_{NOT_RECORDED.capitalize()}._")
    else:
        conf = f" (confidence {f.cause.confidence:.2f})" if f.cause.confidence is not None else ""
        lines.append(f"{f.cause.text} — source: {f.cause.source}{conf}")
        if f.cause.evidence:
            lines += ["", "Evidence:", *[f"- {e}" for e in f.cause.evidence]]
    lines += ["", "## What was tried", ""]
    lines += [f"- {t}" for t in f.tried] or ["- Nothing recorded (runbook feedback, actions, notes)."]
    lines += ["", "## Follow-up actions", ""]
    lines += [f"- [ ] {x}" for x in f.follow_ups] or ["- [ ] None identified."]
    return "\n".join(lines) + "\n"


def write_postmortem(session: Session, incident_id: int, author: str, cause_text: str | None = None,
                     follow_ups: list[str] | None = None, cause_source: CauseSource = recorded_cause) -> PostmortemView:
    """Draft (or redraft) the postmortem of an incident and store it linked to the incident."""
    inc = get_incident(session, incident_id)
    cause = AcceptedCause(cause_text.strip(), "person") if cause_text and cause_text.strip() else None
    if cause is None:
        cause = cause_source(session, inc.id)
    f = gather(session, inc.id, cause, [x.strip() for x in follow_ups or [] if x.strip()])
    md = render(f)
    words = " ".join([inc.title, *inc.services, *(a.name for a in f.alerts), *(a.summary or "" for a in f.alerts),
                      cause.text if cause else ""])
    facts = {"alerts": len(f.alerts), "events": sum(a.count for a in f.alerts),
             "mtta_s": _secs(inc.opened_at, inc.acknowledged_at), "mttr_s": _secs(inc.opened_at, inc.resolved_at),
             "severity": inc.severity, "priority": inc.priority, "state": inc.state,
             "alert_names": sorted({a.name for a in f.alerts}), "follow_ups": f.follow_ups}
    row = session.scalar(select(Postmortem).where(Postmortem.incident_id == inc.id))
    created = row is None
    if row is None:
        row = Postmortem(project_id=inc.project_id, incident_id=inc.id, created_at=utcnow())
        session.add(row)
    row.title, row.service, row.services = inc.title[:300], inc.service, list(inc.services)
    row.cause, row.cause_source = (cause.text, cause.source) if cause else (None, "none")
    row.markdown, row.tokens, row.facts, row.author, row.updated_at = md, algo.tokenize(words), facts, author, utcnow()
    session.flush()
    return postmortem_view(row, created)
