"""``POST /api/v1/projects/{project}/query``: one guarded read-only SELECT over the semantic layer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from argus.api.deps import Caller, require
from argus.api.routers._read import PROJECT, in_project
from argus.core.enums import Role

router = APIRouter(tags=["query"])


class QueryIn(BaseModel):
    sql: str = Field(..., min_length=1, max_length=20_000, description="One SELECT over the views of `argus schema`.")


class QueryOut(BaseModel):
    sql: str
    executed_sql: str = Field(description="What ran: views expanded, the project bound, LIMIT capped.")
    views: list[str]
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


@router.post(f"{PROJECT}/query", response_model=QueryOut)
def run_query(request: Request, project: str, body: QueryIn,
              who: Annotated[Caller, require(Role.VIEWER)]) -> QueryOut:
    """Run the query through the guard (a rejected query is a 422 naming the rule it broke)."""
    from argus.app.query import QueryRequest, query, result_json

    rt = in_project(request, project, who)
    return QueryOut(**result_json(query(rt, QueryRequest(body.sql, project))))
