"""Incident investigation over the API: the latest ranked hypotheses (viewer), a new run (maintainer),
the recorded cause (uploader: whoever may move the incident along its lifecycle)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from argus.analysis.investigation.readmodels import AcceptedCause, InvestigationView, OutcomeDone
from argus.api.deps import ProjectAccess, project_access
from argus.api.params import IdPath
from argus.api.routers._read import PROJECT
from argus.app import investigation as uc
from argus.core.enums import Role
from argus.core.errors import NotFoundError

router = APIRouter(tags=["incidents"])
IncidentId = IdPath


class OutcomeIn(BaseModel):
    hypothesis: str = Field(min_length=1, max_length=300,
                            description="Hypothesis key of the latest investigation, <kind>:<service>, or none.")
    note: str | None = Field(None, max_length=2000)


@router.get(f"{PROJECT}/incidents/{{incident_id}}/investigation", response_model=InvestigationView)
def investigation(access: Annotated[ProjectAccess, project_access(Role.VIEWER)],
                  incident_id: IncidentId) -> InvestigationView:
    """The latest investigation: hypotheses best first with confidence, range and factor breakdown."""
    v = uc.show(access.runtime, incident_id, access.project, org=access.caller.org_slug)
    if v is None:
        raise NotFoundError(f"incident {incident_id} was never investigated")
    return v


@router.post(f"{PROJECT}/incidents/{{incident_id}}/investigation", response_model=InvestigationView)
async def rerun(access: Annotated[ProjectAccess, project_access(Role.MAINTAINER)],
                incident_id: IncidentId) -> InvestigationView:
    """Investigate again now (a new snapshot)."""
    return await run_in_threadpool(uc.investigate, access.runtime, incident_id, access.caller.actor, access.project,
                                   access.caller.org_slug)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/investigation/outcome", response_model=OutcomeDone)
async def outcome(access: Annotated[ProjectAccess, project_access(Role.UPLOADER)], incident_id: IncidentId,
                  body: OutcomeIn) -> OutcomeDone:
    """Record which hypothesis was the cause."""
    return await run_in_threadpool(uc.record_cause, access.runtime, incident_id, body.hypothesis.strip(),
                                   access.caller.actor, body.note, access.project, access.caller.org_slug)


@router.get(f"{PROJECT}/incidents/{{incident_id}}/cause", response_model=AcceptedCause | None)
def cause(access: Annotated[ProjectAccess, project_access(Role.VIEWER)], incident_id: IncidentId) -> AcceptedCause | None:
    """The accepted cause with its evidence (null when none was recorded)."""
    return uc.accepted(access.runtime, incident_id, access.project, org=access.caller.org_slug)
