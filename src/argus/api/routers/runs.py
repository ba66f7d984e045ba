"""``GET /api/v1/projects/{project}/runs``: the project's CI runs, newest first (paged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from argus.api.deps import Caller, require
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
from argus.app.runs import RunsRequest, RunView, list_runs
from argus.core.enums import Role

router = APIRouter(tags=["runs"])


class RunsPage(PageBase):
    items: list[RunView]


@router.get(f"{PROJECT}/runs", response_model=RunsPage)
def runs(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
         cursor: Cursor = None, since: Since = None, until: Until = None,
         branch: Annotated[str | None, Query(max_length=255)] = None,
         commit: Annotated[str | None, Query(max_length=64, description="A sha or its prefix.")] = None,
         ) -> Response:
    rt = in_project(request, project, who)
    page = list_runs(rt, RunsRequest(project, limit, cursor, since, until, branch=branch, commit=commit))
    return page_response(RunView, page.items, page.next_cursor)
