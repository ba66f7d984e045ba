"""``POST /api/v1/projects/{project}/selection``: the tests a change needs (``argus select`` over HTTP).

The change is a unified diff in the body (``git diff`` output). The server has no checkout, so the
static import graph and the sources of changed test files are not used: the stored coverage map,
the history and the rules rank the tests (the CLI, run in the repository, adds the import graph).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from argus.api.deps import Caller, require
from argus.api.routers._read import PROJECT, in_project
from argus.core.enums import Role
from argus.core.values import MAX_INT32

router = APIRouter(tags=["selection"])

_MAX_DIFF = 5_000_000


class SelectionIn(BaseModel):
    """A change and at most one budget (none: safe mode at the configured confidence)."""

    diff: str = Field(..., max_length=_MAX_DIFF, description="A unified diff (`git diff` output).")
    budget: str | None = Field(None, max_length=16, description="A share of the suite, e.g. `25%`.")
    max_tests: int | None = Field(None, ge=1, le=MAX_INT32, description="At most this many tests.")
    max_time: str | None = Field(None, max_length=16, description="A duration such as `90s`, `10m`, `1h`.")
    confidence: float | None = Field(None, gt=0, lt=1, description="Safe mode: e.g. 0.99.")
    commit: str | None = Field(None, max_length=64, description="Prefer the coverage map of this commit; the "
                               "subject of the stored insight.")
    save: bool = Field(False, description="Store the selection as a `test_selection` insight (maintainer).")
    include_skipped: bool = Field(False, description="Also list the skipped tests with the reason to skip each.")


class SelectedOut(BaseModel):
    test: str
    score: float
    reasons: list[str]
    node_id: str | None = None


class SkippedOut(BaseModel):
    test: str
    score: float
    node_id: str | None = None
    skip_reason: str | None = None


class SelectionOut(BaseModel):
    """As ``argus select --format json``."""

    selected: list[SelectedOut]
    skipped: int
    total: int
    mode: str
    budget: str | None = None
    estimated_miss: float
    full_reasons: list[str]
    uncovered: list[str]
    changed_files: list[str]
    notes: list[str]
    insight_id: int | None = None
    skipped_tests: list[SkippedOut] | None = None


@router.post(f"{PROJECT}/selection", response_model=SelectionOut)
def select(request: Request, project: str, body: SelectionIn,
           who: Annotated[Caller, require(Role.VIEWER)]) -> SelectionOut:
    """Rank the project's tests for the change, fill the budget, and give each selected test's reasons
    (``save`` stores the insight and needs the maintainer role)."""
    from argus.app.selection import SelectRequest, parse_budget, select_tests

    rt = in_project(request, project, who, Role.MAINTAINER if body.save else Role.VIEWER)
    rt.in_project(project, lambda _scope: None)  # an unknown project (or another organisation's) is 404 first
    budget = parse_budget(body.budget, body.max_tests, body.max_time, body.confidence)
    view = select_tests(rt, SelectRequest(diff=body.diff, project=project, budget=budget, commit=body.commit,
                                          persist=body.save))
    out = SelectionOut.model_validate(view.as_json())
    if body.include_skipped:
        out.skipped_tests = [SkippedOut(test=t.test, score=round(t.score, 6), node_id=t.node_id,
                                        skip_reason=t.skip_reason) for t in view.skipped_tests]
    return out
