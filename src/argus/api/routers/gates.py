"""The gate verdict of a commit's build: ``GET`` the stored one, ``POST`` to evaluate (and store) it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from argus.api.deps import Caller, require
from argus.api.routers._read import PROJECT, in_project
from argus.app.pages import StoredVerdict, check_commit, stored_verdict
from argus.core.enums import Role

router = APIRouter(tags=["gate"])
# checked after authentication (a foreign token gets its 404 before any 422)
Commit = Annotated[str, Path(description="A sha or its prefix of at least 7 hex digits.")]


class GateEvaluation(BaseModel):
    """The gate outcome (schema ``argus.gate/v1``, as ``argus gate --json``) and what could not be checked."""

    gate: dict[str, Any]
    notes: list[str]


@router.get(f"{PROJECT}/gates/{{commit}}", response_model=StoredVerdict)
def stored_gate(request: Request, project: str, commit: Commit,
                who: Annotated[Caller, require(Role.VIEWER)]) -> StoredVerdict:
    rt = in_project(request, project, who)
    return stored_verdict(rt, project, commit)


@router.post(f"{PROJECT}/gates/{{commit}}", response_model=GateEvaluation)
def evaluate(request: Request, project: str, commit: Commit,
             who: Annotated[Caller, require(Role.MAINTAINER)]) -> GateEvaluation:
    """Judge the commit's build against the rolling baseline and record the verdict (no diff: the
    changed-line checks need the checkout, which the server does not have)."""
    from argus.app.gate import GateRequest, evaluate_gate
    from argus.report.gate import to_json

    rt = in_project(request, project, who, Role.MAINTAINER)
    rt.in_project(project, lambda scope: check_commit(commit))  # an unknown project is 404 first
    model = evaluate_gate(rt, GateRequest(project=project, commit=commit.lower(), record=True))
    return GateEvaluation(gate=to_json(model.outcome), notes=list(model.notes))
