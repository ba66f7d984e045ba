"""``GET /api/v1/projects/{project}/clusters``: failure clusters with samples, newest first (paged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from argus.analysis.failures.readmodels import ClusterView
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
from argus.app.pages import MAX_SAMPLES, ClustersRequest, list_clusters
from argus.core.enums import Role

router = APIRouter(tags=["failures"])


class ClustersPage(PageBase):
    items: list[ClusterView]


@router.get(f"{PROJECT}/clusters", response_model=ClustersPage)
def clusters(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], limit: Limit = DEFAULT,
             cursor: Cursor = None, since: Since = None, until: Until = None,
             min_count: Annotated[int, Query(ge=1, le=2**31 - 1)] = 1,
             samples: Annotated[int, Query(ge=0, le=MAX_SAMPLES, description="Sample messages per cluster.")] = 3,
             ) -> Response:
    rt = in_project(request, project, who)
    page = list_clusters(rt, ClustersRequest(project, limit, cursor, since, until, min_count=min_count,
                                             samples=samples))
    return page_response(ClusterView, page.items, page.next_cursor)
