"""``GET /api/v1/projects/{project}/dora``: the DORA report (DevLake rules) over a period, per month,
with the 2021 and 2023 buckets; ``GET .../dora/detail``: the per-row results (read only: no insight
is saved)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from argus.analysis.delivery.readmodels import DoraReport
from argus.api.deps import Caller, require
from argus.api.routers._read import PROJECT, in_project
from argus.app.delivery import DoraRequest, dora_detail, dora_report
from argus.core.enums import Role

router = APIRouter(tags=["delivery"])

FromDay = Annotated[date | None, Query(alias="from", description="First day (default: --to minus 180 days).")]
ToDay = Annotated[date | None, Query(alias="to", description="Last day (default: latest deployment or incident).")]


@router.get(f"{PROJECT}/dora", response_model=DoraReport)
def dora(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], first: FromDay = None,
         last: ToDay = None) -> DoraReport:
    rt = in_project(request, project, who)
    return dora_report(rt, DoraRequest(project, first, last, save=False))


@router.get(f"{PROJECT}/dora/detail")
def dora_rows(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)]) -> dict[str, Any]:
    """``{"pull_requests": {...}, "incidents": {...}, "deployments": {...}}`` as ``argus dora --detail --json``."""
    rt = in_project(request, project, who)
    return dora_detail(rt, project)
