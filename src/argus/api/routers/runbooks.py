"""Runbooks and postmortems over the API: list and search runbooks, an incident's recommendations,
runbook feedback, proposed actions (propose, list, approve or reject: recorded, never executed), its
postmortem (read, draft)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from argus.analysis.runbooks.readmodels import (
    ActionDecision,
    ActionRow,
    FeedbackDone,
    PostmortemView,
    Recommendations,
    RunbookView,
    SearchHit,
)
from argus.analysis.runbooks.schemas import ActionStatus
from argus.api.deps import ProjectAccess, project_access
from argus.api.params import IdPath
from argus.api.routers._read import PROJECT
from argus.app import postmortem as pm
from argus.app import runbooks as uc
from argus.core.enums import Role

router = APIRouter(tags=["runbooks"])
IncidentId = IdPath


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


class FeedbackIn(BaseModel):
    runbook: str = Field(min_length=1, max_length=500, description="Runbook id, key or file name.")
    helped: bool
    note: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    approve: bool = Field(description="true: approve; false: reject. Recorded only: Argus executes nothing.")
    note: str | None = Field(None, max_length=2000)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/runbook-feedback", response_model=FeedbackDone)
async def runbook_feedback(access: Annotated[ProjectAccess, project_access(Role.UPLOADER)], incident_id: IncidentId,
                           body: FeedbackIn) -> FeedbackDone:
    return await run_in_threadpool(uc.feedback, access.runtime, incident_id, body.runbook, body.helped,
                                   access.caller.actor, body.note, access.project, access.caller.org_slug)


@router.post(f"{PROJECT}/incidents/{{incident_id}}/actions", response_model=Recommendations)
async def propose_actions(access: Annotated[ProjectAccess, project_access(Role.UPLOADER)],
                          incident_id: IncidentId) -> Recommendations:
    req = uc.RecommendRequest(incident_id, access.project, propose=True, actor=access.caller.actor,
                              org=access.caller.org_slug)
    return await run_in_threadpool(uc.recommend, access.runtime, req)


@router.get(f"{PROJECT}/runbook-actions", response_model=list[ActionRow])
def runbook_actions(access: Annotated[ProjectAccess, project_access(Role.VIEWER)],
                    incident: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                    status: Annotated[ActionStatus | None, Query()] = None) -> list[ActionRow]:
    return list(uc.actions(access.runtime, incident, status.value if status else None, project=access.project,
                           org=access.caller.org_slug))


@router.post(f"{PROJECT}/runbook-actions/{{action_id}}/decision", response_model=ActionDecision)
async def decide_action(access: Annotated[ProjectAccess, project_access(Role.MAINTAINER)],
                        action_id: IdPath, body: DecisionIn) -> ActionDecision:
    return await run_in_threadpool(uc.decide, access.runtime, action_id, body.approve, access.caller.actor, body.note,
                                   access.project, access.caller.org_slug)
