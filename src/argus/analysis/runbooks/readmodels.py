"""What the front doors render of runbooks, recommendations, proposed actions and postmortems (frozen),
and the two seams other capabilities use: :func:`similar_postmortems` (precedents for a new incident)
and :class:`CauseSource` (where a postmortem finds the accepted cause)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RunbookView:
    id: int
    key: str
    title: str
    services: tuple[str, ...]
    tags: tuple[str, ...]
    risk: str
    impact: str
    url: str | None
    actions: tuple[str, ...]
    helped: int
    not_helped: int
    #: Posterior mean of the Beta prior after the feedback (0.5 with none, default prior).
    success_rate: float
    indexed_at: datetime
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunbookDetail:
    runbook: RunbookView
    source: str
    body: str


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class IndexOutcome:
    """One ``argus runbooks index``: how many files were new, changed, unchanged, gone or skipped."""

    folder: str
    added: int
    updated: int
    unchanged: int
    removed: int
    skipped: tuple[SkippedFile, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    runbook: RunbookView
    score: float
    bm25: float
    service_factor: float
    match: float
    matched_terms: tuple[str, ...]


@dataclass(frozen=True)
class ProposedAction:
    """An action that changes a system, as a runbook proposes it for an incident. Never executed by
    Argus: an approval records who and when only (``id`` None until proposed with ``--propose``)."""

    kind: str
    description: str
    target: str | None
    risk: str
    confidence: float
    review_tier: str
    status: str = "suggested"
    id: int | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Recommendation:
    """One runbook for an incident: why (score, factors, matched terms), risk, expected impact, actions."""

    rank: int
    runbook: RunbookView
    score: float
    bm25: float
    service_factor: float
    match: float
    confidence: float
    risk: str
    expected_impact: str
    matched_terms: tuple[str, ...]
    linked: bool
    actions: tuple[ProposedAction, ...] = ()


@dataclass(frozen=True)
class Recommendations:
    incident_id: int
    query: str
    services: tuple[str, ...]
    items: tuple[Recommendation, ...]
    #: Links of the service graph that match no indexed runbook (shown, not ranked).
    unindexed_links: tuple[str, ...] = ()
    precedents: tuple[Precedent, ...] = ()
    proposed: int = 0


@dataclass(frozen=True)
class FeedbackDone:
    incident_id: int
    runbook_id: int
    helped: bool
    actor: str
    helped_total: int
    not_helped_total: int
    success_rate: float


@dataclass(frozen=True)
class ActionDecision:
    id: int
    incident_id: int
    kind: str
    status: str
    review_tier: str
    decided_by: str
    decided_at: datetime
    #: Always false here: execution is out of scope; the approval is a record.
    executed: bool = False


@dataclass(frozen=True)
class ActionRow:
    id: int
    incident_id: int
    runbook_id: int
    runbook: str
    kind: str
    description: str
    target: str | None
    risk: str
    confidence: float
    review_tier: str
    status: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class AcceptedCause:
    """The cause accepted for an incident, where it came from and the evidence behind it."""

    text: str
    source: str  # person | hypothesis | lifecycle_note
    confidence: float | None = None
    evidence: tuple[str, ...] = ()


class CauseSource(Protocol):
    """Where a postmortem reads the accepted cause of an incident (None: not recorded). The default
    (:func:`argus.analysis.runbooks.postmortem.recorded_cause`) reads an accepted ``incident_hypothesis``
    insight, else a lifecycle note starting ``cause:``; the investigation capability can pass its own."""

    def __call__(self, session: Session, incident_id: int) -> AcceptedCause | None: ...


@dataclass(frozen=True)
class Precedent:
    """A postmortem of an earlier incident that resembles this one."""

    postmortem_id: int
    incident_id: int
    title: str
    service: str | None
    cause: str | None
    similarity: float
    same_service: bool
    created_at: datetime


@dataclass(frozen=True)
class PostmortemView:
    id: int
    incident_id: int
    title: str
    service: str | None
    services: tuple[str, ...]
    cause: str | None
    cause_source: str
    markdown: str
    author: str
    created_at: datetime
    updated_at: datetime
    facts: dict[str, object] = field(default_factory=dict)
    created: bool = False


def similar_postmortems(session: Session, project: str | None, service: str | None, text: str,
                        limit: int = 5, min_similarity: float = 0.1,
                        exclude_incident: int | None = None) -> list[Precedent]:
    """Postmortems of the session's project resembling ``service`` + ``text``: same service first, then
    by cosine similarity of term counts (at least ``min_similarity`` unless the service is the same).
    ``project`` is the slug the caller expects the session to be bound to (checked when given)."""
    from sqlalchemy import select

    from argus.analysis.runbooks import algo
    from argus.core.clock import as_utc
    from argus.core.errors import InputError
    from argus.store.models import Postmortem, Project
    from argus.store.session import current_project_id

    pid = current_project_id(session)
    if project is not None:
        slug = session.scalar(select(Project.slug).where(Project.id == pid))
        if slug != project:
            raise InputError(f"the session is bound to project {slug!r}, not {project!r}")
    query = algo.tokenize(" ".join(x for x in (service, text) if x))
    out = []
    for p in session.scalars(select(Postmortem)):
        if exclude_incident is not None and p.incident_id == exclude_incident:
            continue
        same = service is not None and (p.service == service or service in (p.services or []))
        sim = algo.cosine(query, p.tokens or [])
        if not same and sim < min_similarity:
            continue
        out.append(Precedent(p.id, p.incident_id, p.title, p.service, p.cause, round(sim, 4), same,
                             as_utc(p.created_at)))
    out.sort(key=lambda x: (not x.same_service, -x.similarity, -x.incident_id))
    return out[:limit]
