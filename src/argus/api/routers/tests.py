"""``GET /api/v1/projects/{project}/tests``: the project's tests with their latest outcomes (paged)."""

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
from argus.app.runs import MAX_HISTORY, TestHistoryView, TestsRequest, list_tests
from argus.core.enums import Role

router = APIRouter(tags=["tests"])


class TestsPage(PageBase):
    __test__ = False

    items: list[TestHistoryView]


@router.get(f"{PROJECT}/tests", response_model=TestsPage)
def tests(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
          cursor: Cursor = None, since: Since = None, until: Until = None,
          history: Annotated[int, Query(ge=0, le=MAX_HISTORY, description="Latest runs per test.")] = 10,
          search: Annotated[str | None, Query(max_length=1000, description="Identity contains this.")] = None,
          ) -> Response:
    rt = in_project(request, project, who)
    page = list_tests(rt, TestsRequest(project, limit, cursor, since, until, history=history, search=search))
    return page_response(TestHistoryView, page.items, page.next_cursor)
