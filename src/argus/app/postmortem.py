"""Use cases of postmortems: draft (or redraft) an incident's postmortem and store it linked to the
incident; read it back; find postmortems of similar past incidents (precedents)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from argus.analysis.runbooks.readmodels import PostmortemView, Precedent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from argus.analysis.runbooks.readmodels import AcceptedCause, CauseSource
    from argus.app.runtime import ProjectScope, Runtime


@dataclass(frozen=True)
class PostmortemRequest:
    incident_id: int
    author: str
    project: str | None = None
    #: The cause as a person states it (wins over any recorded cause).
    cause: str | None = None
    follow_ups: tuple[str, ...] = field(default_factory=tuple)
    org: str | None = None
    #: Where the accepted cause is read when ``cause`` is not given (default: :func:`investigation_cause`).
    cause_source: CauseSource | None = None


def investigation_cause(session: Session, incident_id: int) -> AcceptedCause | None:
    """The default cause source: the hypothesis recorded as the cause (``argus incidents cause``), with
    its evidence rows (:func:`argus.analysis.investigation.service.accepted_hypothesis`); else the
    runbooks capability's own reading (an accepted hypothesis insight, a ``cause:`` lifecycle note)."""
    from argus.analysis.investigation.service import accepted_hypothesis
    from argus.analysis.runbooks.postmortem import recorded_cause
    from argus.analysis.runbooks.readmodels import AcceptedCause

    acc = accepted_hypothesis(session, incident_id)
    if acc is None:
        return recorded_cause(session, incident_id)
    ev = tuple(f"{e.ref_type} {e.ref_id}: {e.detail}" for e in acc.evidence[:20])
    by = f"accepted by {acc.actor} {acc.at:%Y-%m-%d %H:%M}" + (f" ({acc.note})" if acc.note else "")
    return AcceptedCause(f"{acc.title} [{acc.cause}]", "hypothesis", acc.confidence, (*ev, by))


def write(runtime: Runtime, req: PostmortemRequest) -> PostmortemView:
    def work(scope: ProjectScope) -> PostmortemView:
        from argus.analysis.runbooks.postmortem import write_postmortem

        return write_postmortem(scope.session, req.incident_id, req.author, req.cause, list(req.follow_ups),
                                req.cause_source or investigation_cause)

    return runtime.in_project(req.project, work, org=req.org)


def get(runtime: Runtime, incident_id: int, project: str | None = None, org: str | None = None) -> PostmortemView:
    def work(scope: ProjectScope) -> PostmortemView:
        from argus.analysis.runbooks.queries import get_postmortem

        return get_postmortem(scope.session, incident_id)

    return runtime.in_project(project, work, org=org)


def similar(runtime: Runtime, service: str | None, text: str, project: str | None = None, limit: int = 5,
            org: str | None = None) -> tuple[Precedent, ...]:
    def work(scope: ProjectScope) -> tuple[Precedent, ...]:
        from argus.analysis.runbooks.readmodels import similar_postmortems

        return tuple(similar_postmortems(scope.session, None, service, text, limit,
                                         scope.settings.runbooks.precedent_min_similarity))

    return runtime.in_project(project, work, org=org)
