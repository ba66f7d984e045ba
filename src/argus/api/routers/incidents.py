"""Incidents over the API: list, show, lifecycle transitions, merge, split, MTTA/MTTR metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from argus.analysis.incidents.readmodels import (
    IncidentDetail,
    IncidentView,
    MetricsRow,
    RegroupDone,
    TransitionDone,
)
from argus.analysis.incidents.schemas import IncidentState
from argus.api.deps import ProjectAccess, project_access
from argus.api.params import IdPath
from argus.api.routers._read import PROJECT
from argus.app import incidents as uc
from argus.core.enums import Role
from argus.core.errors import InputError
from argus.core.values import MAX_INT64

router = APIRouter(tags=["incidents"])
IncidentId = IdPath
Ids = Annotated[list[Annotated[int, Field(ge=1, le=2**63 - 1)]], Field(max_length=1000)]


class IncidentPage(BaseModel):
    items: list[IncidentView]
    next_cursor: str | None = None


class TransitionIn(BaseModel):
    state: IncidentState
    note: str | None = Field(None, max_length=2000)


class MergeIn(BaseModel):
    incidents: Ids = Field(description="Incidents merged into this one.")
    note: str | None = Field(None, max_length=2000)


class SplitIn(BaseModel):
    alerts: Ids = Field(description="Alerts moved out into a new incident.")
    note: str | None = Field(None, max_length=2000)


@router.get(f"{PROJECT}/incidents", response_model=IncidentPage)
def incidents(access: Annotated[ProjectAccess, project_access(Role.VIEWER)],
              state: IncidentState | None = None,
              service: Annotated[str | None, Query(max_length=200)] = None,
              open_only: Annotated[bool, Query(alias="open")] = False,
              limit: Annotated[int, Query(ge=1, le=500)] = 100,
              cursor: Annotated[str | None, Query(pattern="^[0-9]{1,19}$", description="next_cursor of the previous page.")] = None,
              ) -> IncidentPage:
    if cursor and int(cursor) > MAX_INT64:  # 19 digits past the bigint range: not an incident id
        raise InputError(f"cursor {cursor}: not a cursor of this list (use next_cursor of a previous page)")
    items = uc.list_incidents(access.runtime, uc.ListRequest(
        access.project, state, service, open_only, limit=limit, after_id=int(cursor) if cursor else None,
        org=access.caller.org_slug))
    nxt = str(items[-1].id) if len(items) == limit and service is None else None
    return IncidentPage(items=list(items), next_cursor=nxt)


@router.get(f"{PROJECT}/incident-metrics", response_model=list[MetricsRow])
def incident_metrics(access: Annotated[ProjectAccess, project_access(Role.VIEWER)]) -> list[MetricsRow]:
    return list(uc.metrics(access.runtime, access.project, org=access.caller.org_slug))


@router.get(f"{PROJECT}/incidents/{{incident_id}}", response_model=IncidentDetail)
def incident(access: Annotated[ProjectAccess, project_access(Role.VIEWER)], incident_id: IncidentId) -> IncidentDetail:
    return uc.show_incident(access.runtime, incident_id, access.project, org=access.caller.org_slug)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/transitions", response_model=TransitionDone)
async def transition(access: Annotated[ProjectAccess, project_access(Role.UPLOADER)], incident_id: IncidentId,
                     body: TransitionIn) -> TransitionDone:
    req = uc.TransitionRequest(incident_id, body.state, access.caller.actor, body.note, access.project,
                               access.caller.org_slug)
    return await run_in_threadpool(uc.transition, access.runtime, req)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/merge", response_model=RegroupDone)
async def merge(access: Annotated[ProjectAccess, project_access(Role.MAINTAINER)], incident_id: IncidentId,
                body: MergeIn) -> RegroupDone:
    return await run_in_threadpool(uc.merge, access.runtime, incident_id, list(body.incidents), access.caller.actor,
                                   body.note, access.project, access.caller.org_slug)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/split", response_model=RegroupDone)
async def split(access: Annotated[ProjectAccess, project_access(Role.MAINTAINER)], incident_id: IncidentId,
                body: SplitIn) -> RegroupDone:
    return await run_in_threadpool(uc.split, access.runtime, incident_id, list(body.alerts), access.caller.actor,
                                   body.note, access.project, access.caller.org_slug)
