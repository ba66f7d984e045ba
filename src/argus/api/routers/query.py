"""``POST /api/v1/projects/{project}/query``: one guarded read-only SELECT over the semantic layer;
``POST /api/v1/projects/{project}/ask``: a question in plain words (the use case of ``argus ask``)."""

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


class AskIn(BaseModel):
    question: str = Field(..., min_length=1, max_length=2_000, description="A question in plain words.")
    use_model: bool = Field(True, description="Use the configured model when the catalogue cannot answer.")


class AskOut(BaseModel):
    question: str
    answered: bool = Field(description="False: the catalogue (and model) could not answer; see summary.")
    source: str = Field(description="catalogue | model | none")
    intent: str | None = Field(description="Catalogue intent, or 'composed' when built from the slots.")
    summary: str
    chart: str = Field(description="number | bar | table")
    confidence: float | None = Field(description="Share of the question's words the catalogue understood.")
    slots: dict[str, str]
    nearest: list[str] = Field(description="Nearest catalogue intents, when refused.")
    attempts: list[dict[str, str]] = Field(description="The model's SQL attempts and their errors.")
    example_id: int | None = Field(description="Remembered question → SQL pair (model answers).")
    result: QueryOut | None


@router.post(f"{PROJECT}/ask", response_model=AskOut)
def ask_question(request: Request, project: str, body: AskIn,
                 who: Annotated[Caller, require(Role.VIEWER)]) -> AskOut:
    """Answer from the catalogue, else the configured model; every SQL through the guard. An unanswered
    question is a 200 with ``answered: false`` and the reason."""
    from argus.app.query import AskRequest, answer_json, ask

    rt = in_project(request, project, who)
    return AskOut(**answer_json(ask(rt, AskRequest(body.question, project, use_model=body.use_model))))
