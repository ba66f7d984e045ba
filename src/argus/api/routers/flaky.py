"""``GET /api/v1/projects/{project}/flaky``: current flaky and broken tests, most likely first (paged)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from argus.analysis.flaky.readmodels import TestView
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
from argus.app.pages import FlakyRequest, list_flaky
from argus.core.enums import Role

router = APIRouter(tags=["flaky"])


class FlakyPage(PageBase):
    items: list[TestView]


@router.get(f"{PROJECT}/flaky", response_model=FlakyPage)
def flaky(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
          cursor: Cursor = None, since: Since = None, until: Until = None,
          kind: Literal["flaky_test", "broken_test"] | None = None,
          state: Annotated[str | None, Query(max_length=40, description="Lifecycle state.")] = None,
          min_probability: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0) -> Response:
    rt = in_project(request, project, who)
    page = list_flaky(rt, FlakyRequest(project, limit, cursor, since, until, kind=kind, state=state,
                                       min_probability=min_probability))
    return page_response(TestView, page.items, page.next_cursor)
