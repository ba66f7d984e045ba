"""``GET /api/v1/projects/{project}/changes``: git changes with their JIT features, newest first (paged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

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
from argus.app.pages import ChangesRequest, ChangeView, list_changes
from argus.core.enums import Role

router = APIRouter(tags=["git"])


class ChangesPage(PageBase):
    items: list[ChangeView]


@router.get(f"{PROJECT}/changes", response_model=ChangesPage)
def changes(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
            cursor: Cursor = None, since: Since = None, until: Until = None, fixes_only: bool = False,
            include_absent: bool = False) -> Response:
    rt = in_project(request, project, who)
    page = list_changes(rt, ChangesRequest(project, limit, cursor, since, until, fixes_only=fixes_only,
                                           include_absent=include_absent))
    return page_response(ChangeView, page.items, page.next_cursor)
