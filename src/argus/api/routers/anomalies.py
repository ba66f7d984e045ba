"""Anomalies and metric series: ``GET /api/v1/projects/{project}/anomalies`` (paged),
``/anomalies/{insight_id}``, ``GET /metrics/series`` (paged) and ``POST /metrics/points`` (push the
points of one series; new points are scored by a background job). The same use cases as
``argus anomalies list|show`` and ``argus metrics ingest`` (:mod:`argus.app.anomaly`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from argus.analysis.anomaly.readmodels import SeriesView
from argus.analysis.insights.readmodels import InsightView
from argus.api.deps import Caller, require
from argus.api.params import IdPath
from argus.api.routers._read import DEFAULT, PROJECT, Cursor, Limit, PageBase, Since, Until, in_project
from argus.app import anomaly as uc
from argus.app.runtime import qualified
from argus.core.enums import Role

router = APIRouter(tags=["anomalies"])
InsightId = IdPath


class AnomaliesPage(PageBase):
    items: list[InsightView]


class SeriesPage(PageBase):
    items: list[SeriesView]


class PointIn(BaseModel):
    timestamp: datetime = Field(description="ISO 8601 time (UTC when it has no zone).")
    value: float


class PointsIn(BaseModel):
    series: str = Field(max_length=255, description="Series name: letters, digits, '_', ':', '.', '-'.")
    labels: dict[str, str] = Field(default_factory=dict, max_length=30)
    points: list[PointIn] = Field(max_length=uc.MAX_PUSH_POINTS, description="At least one point.")


class SeriesStored(BaseModel):
    key: str
    points: int
    new_points: int


class PointsOut(BaseModel):
    series: list[SeriesStored]
    new_points: int
    #: The scoring job recorded for the new points (None: nothing new, or it could not be recorded).
    scoring_job: int | None = None


@router.get(f"{PROJECT}/anomalies", response_model=AnomaliesPage)
def anomalies(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
              cursor: Cursor = None, since: Since = None, until: Until = None,
              series: Annotated[str | None, Query(max_length=1000, description="A series name or full key.")] = None,
              kind: Literal["anomaly", "forecast_breach"] | None = None,
              include_superseded: bool = False) -> AnomaliesPage:
    """Anomaly and forecast-breach insights, newest first, with their claims and evidence."""
    rt = in_project(request, project, who)
    page = uc.page_anomalies(rt, uc.AnomaliesPage(project, limit, cursor, since, until, series=series, kind=kind,
                                                  include_superseded=include_superseded))
    return AnomaliesPage(items=list(page.items), next_cursor=page.next_cursor)


@router.get(f"{PROJECT}/anomalies/{{insight_id}}", response_model=InsightView)
def anomaly(request: Request, project: str, insight_id: InsightId,
            who: Annotated[Caller, require(Role.VIEWER)]) -> InsightView:
    """One anomaly or forecast-breach insight (another kind of insight: 404)."""
    rt = in_project(request, project, who)
    return uc.show_anomaly(rt, uc.ShowRequest(insight_id, project))


@router.get(f"{PROJECT}/metrics/series", response_model=SeriesPage)
def metric_series(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)],
                  limit: Limit = DEFAULT, cursor: Cursor = None, since: Since = None, until: Until = None,
                  source: Literal["derived", "ingested", "pushed", "prometheus"] | None = None) -> SeriesPage:
    """Stored metric series by key, with their point counts, time span and how far they were scored."""
    rt = in_project(request, project, who)
    page = uc.page_series(rt, uc.SeriesPage(project, limit, cursor, since, until, source=source))
    return SeriesPage(items=list(page.items), next_cursor=page.next_cursor)


@router.post(f"{PROJECT}/metrics/points", status_code=201, response_model=PointsOut,
             responses={200: {"description": "Every point was stored already: nothing new, no job"},
                        201: {"description": "New points stored; a scoring job was recorded for them"}})
async def push_points(request: Request, response: Response, project: str, body: PointsIn,
                      who: Annotated[Caller, require(Role.UPLOADER)]) -> PointsOut:
    """Store the points of one series (a time the series holds already is skipped: a repeated push
    stores nothing) and score the new ones in the background."""
    from argus.jobs.tasks import SCORE

    rt = in_project(request, project, who, Role.UPLOADER)
    req = uc.PushRequest(body.series, tuple((p.timestamp, p.value) for p in body.points),
                         tuple(sorted(body.labels.items())), project)
    summary = await run_in_threadpool(uc.push_points, rt, req)
    new = sum(fresh for _, _, fresh in summary.series)
    job: int | None = None
    key = uc.scoring_key(summary)
    dispatch = getattr(request.app.state.on_upload, "dispatch", None)
    if key is not None and dispatch is not None:
        d = await run_in_threadpool(dispatch, qualified(who.org_slug, project), SCORE, key)
        if d is not None:
            job = (d.new or d.existing)[0]
    response.status_code = 201 if new else 200
    return PointsOut(series=[SeriesStored(key=k, points=n, new_points=f) for k, n, f in summary.series],
                     new_points=new, scoring_job=job)
