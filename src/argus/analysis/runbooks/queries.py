"""Reads of runbooks: list, one runbook, feedback counts, proposed actions, postmortem precedents."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.runbooks import algo
from argus.analysis.runbooks.readmodels import (
    ActionRow,
    PostmortemView,
    RunbookDetail,
    RunbookView,
)
from argus.core.clock import as_utc
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import RunbookSettings
from argus.store.models import Postmortem, Runbook, RunbookAction, RunbookFeedback


def feedback_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Runbook id → (helped, did not help) over every incident."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for rid, helped in session.execute(select(RunbookFeedback.runbook_id, RunbookFeedback.helped)):
        out[rid][0 if helped else 1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def runbook_view(r: Runbook, counts: tuple[int, int], cfg: RunbookSettings) -> RunbookView:
    h, n = counts
    return RunbookView(r.id, r.key, r.title, tuple(r.services), tuple(r.tags), r.risk, r.impact, r.url,
                       tuple(str(a.get("kind")) for a in r.actions), h, n,
                       round(algo.success_rate(h, n, cfg.prior_helped, cfg.prior_not_helped), 4),
                       as_utc(r.indexed_at), tuple(r.warnings))


def list_runbooks(session: Session, cfg: RunbookSettings, service: str | None = None) -> list[RunbookView]:
    counts = feedback_counts(session)
    rows = session.scalars(select(Runbook).where(Runbook.present.is_(True)).order_by(Runbook.key))
    return [runbook_view(r, counts.get(r.id, (0, 0)), cfg) for r in rows
            if service is None or not r.services or service in r.services]


def find_runbook(session: Session, ref: str) -> Runbook:
    """A present runbook by id, key (path in the folder), or file name (unique)."""
    ref = ref.strip()
    if not ref:
        raise InputError("runbook: expected an id, a key or a file name")
    q = select(Runbook).where(Runbook.present.is_(True))
    if ref.isdigit() and len(ref) < 19:
        row = session.scalar(q.where(Runbook.id == int(ref)))
        if row is not None:
            return row
    row = session.scalar(q.where(Runbook.key == ref))
    if row is not None:
        return row
    named = [r for r in session.scalars(q) if r.key.rsplit("/", 1)[-1] in (ref, f"{ref}.md")]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise InputError(f"runbook {ref!r} is ambiguous: {', '.join(r.key for r in named)}")
    raise NotFoundError(f"runbook {ref!r} not found (argus runbooks list)")


def show_runbook(session: Session, cfg: RunbookSettings, ref: str) -> RunbookDetail:
    r = find_runbook(session, ref)
    return RunbookDetail(runbook_view(r, feedback_counts(session).get(r.id, (0, 0)), cfg), r.source, r.body)


def list_actions(session: Session, incident_id: int | None = None, status: str | None = None,
                 limit: int = 100) -> list[ActionRow]:
    q = (select(RunbookAction, Runbook.key).join(Runbook, Runbook.id == RunbookAction.runbook_id)
         .order_by(RunbookAction.id.desc()).limit(limit))
    if incident_id is not None:
        q = q.where(RunbookAction.incident_id == incident_id)
    if status is not None:
        q = q.where(RunbookAction.status == status)
    return [ActionRow(a.id, a.incident_id, a.runbook_id, key, a.kind, a.description, a.target, a.risk, a.confidence,
                      a.review_tier, a.status, a.proposed_by, as_utc(a.proposed_at), a.decided_by,
                      as_utc(a.decided_at) if a.decided_at else None) for a, key in session.execute(q)]


def postmortem_view(p: Postmortem, created: bool = False) -> PostmortemView:
    return PostmortemView(p.id, p.incident_id, p.title, p.service, tuple(p.services), p.cause, p.cause_source,
                          p.markdown, p.author, as_utc(p.created_at), as_utc(p.updated_at), dict(p.facts), created)


def get_postmortem(session: Session, incident_id: int) -> PostmortemView:
    p = session.scalar(select(Postmortem).where(Postmortem.incident_id == incident_id))
    if p is None:
        raise NotFoundError(f"incident {incident_id} has no postmortem (argus incidents postmortem {incident_id})")
    return postmortem_view(p)
