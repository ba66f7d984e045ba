"""Insights with their claims and evidence (paged), and ``POST /api/v1/insights/{id}/feedback``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from argus.analysis.insights.readmodels import InsightView
from argus.api.deps import Caller, require
from argus.api.params import IdPath
from argus.api.problems import ApiProblem
from argus.api.routers._read import (
    DEFAULT,
    PROJECT,
    Cursor,
    Limit,
    PageBase,
    Since,
    Until,
    in_project,
    page_response,
)
from argus.app.insights import FeedbackRequest, record_feedback
from argus.app.pages import InsightsRequest, insight_home, list_insights
from argus.core.enums import FeedbackVerdict, Role

router = APIRouter(tags=["insights"])
InsightId = IdPath


class InsightsPage(PageBase):
    items: list[InsightView]


class FeedbackIn(BaseModel):
    verdict: FeedbackVerdict
    note: str | None = Field(None, max_length=10_000, pattern=r"^[^\x00]*$")


class FeedbackOut(BaseModel):
    feedback_id: int
    insight_id: int
    verdict: FeedbackVerdict
    actor: str


@router.get(f"{PROJECT}/insights", response_model=InsightsPage)
def insights(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
             cursor: Cursor = None, since: Since = None, until: Until = None,
             kind: Annotated[str | None, Query(max_length=40)] = None,
             min_confidence: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
             include_superseded: bool = False) -> Response:
    rt = in_project(request, project, who)
    page = list_insights(rt, InsightsRequest(project, limit, cursor, since, until, kind=kind,
                                             min_confidence=min_confidence, include_superseded=include_superseded))
    return page_response(InsightView, page.items, page.next_cursor)


@router.post("/api/v1/insights/{insight_id}/feedback", status_code=201, response_model=FeedbackOut)
def feedback(request: Request, insight_id: InsightId, body: FeedbackIn,
             who: Annotated[Caller, require(Role.MAINTAINER)]) -> FeedbackOut:
    """Record a human verdict on an insight; its project is the insight's (another organisation's: 404)."""
    rt = request.app.state.runtime
    home = insight_home(rt, insight_id)
    if home.org != who.org_slug:
        raise ApiProblem(404, "not-found", f"insight {insight_id} not found")
    ort = in_project(request, home.project, who, Role.MAINTAINER)
    done = record_feedback(ort, FeedbackRequest(insight_id, body.verdict, who.actor, body.note, home.project))
    return FeedbackOut(feedback_id=done.feedback_id, insight_id=done.insight_id, verdict=done.verdict,
                       actor=done.actor)
