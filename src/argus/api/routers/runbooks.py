"""Runbooks and postmortems over the API: list and search runbooks, an incident's recommendations,
its postmortem (read, draft)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from argus.analysis.runbooks.readmodels import PostmortemView, Recommendations, RunbookView, SearchHit
from argus.api.deps import ProjectAccess, project_access
from argus.api.routers._read import PROJECT
from argus.app import postmortem as pm
from argus.app import runbooks as uc
from argus.core.enums import Role

router = APIRouter(tags=["runbooks"])
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class PostmortemIn(BaseModel):
    cause: str | None = Field(None, max_length=2000, description="The cause as a person states it.")
    follow_ups: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=50)


@router.get(f"{PROJECT}/runbooks", response_model=list[RunbookView])
def runbooks(access: Annotated[ProjectAccess, project_access(Role.VIEWER)],
             service: Annotated[str | None, Query(max_length=200)] = None) -> list[RunbookView]:
    return list(uc.list_runbooks(access.runtime, access.project, service, org=access.caller.org_slug))


@router.get(f"{PROJECT}/runbooks/search", response_model=list[SearchHit])
def search(access: Annotated[ProjectAccess, project_access(Role.VIEWER)],
           q: Annotated[str, Query(max_length=2000, description="Words to look for (422 when none).")] = "",
           service: Annotated[str | None, Query(max_length=200)] = None,
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[SearchHit]:
    return list(uc.search(access.runtime, q, service, limit, access.project, org=access.caller.org_slug))


@router.get(f"{PROJECT}/incidents/{{incident_id}}/recommendations", response_model=Recommendations)
def recommendations(access: Annotated[ProjectAccess, project_access(Role.VIEWER)], incident_id: IncidentId,
                    text: Annotated[str | None, Query(max_length=2000, description="More query words.")] = None,
                    top: Annotated[int | None, Query(ge=1, le=50)] = None) -> Recommendations:
    return uc.recommend(access.runtime, uc.RecommendRequest(incident_id, access.project, text, top,
                                                            org=access.caller.org_slug))


@router.get(f"{PROJECT}/incidents/{{incident_id}}/postmortem", response_model=PostmortemView)
def postmortem(access: Annotated[ProjectAccess, project_access(Role.VIEWER)], incident_id: IncidentId) -> PostmortemView:
    return pm.get(access.runtime, incident_id, access.project, org=access.caller.org_slug)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/postmortem", response_model=PostmortemView)
async def draft_postmortem(access: Annotated[ProjectAccess, project_access(Role.UPLOADER)], incident_id: IncidentId,
                           body: PostmortemIn) -> PostmortemView:
    req = pm.PostmortemRequest(incident_id, access.caller.actor, access.project, body.cause, tuple(body.follow_ups),
                               org=access.caller.org_slug)
    return await run_in_threadpool(pm.write, access.runtime, req)
