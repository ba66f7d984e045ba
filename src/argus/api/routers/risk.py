"""Change risk and its model registry: ``GET`` the risk of a commit or a range (computed, not logged),
``GET`` the model versions; ``POST`` to train a version or promote one (maintainers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from argus.analysis.risk.readmodels import ModelView, RiskAssessment, TrainResult
from argus.api.deps import Caller, require
from argus.api.routers._read import PROJECT, in_project
from argus.core.enums import Role

router = APIRouter(tags=["risk"])
Commit = Annotated[str, Path(max_length=64, description="A sha or its prefix of at least 7 hex digits.")]
# optional so that a foreign token gets its 404 before any 422; both are required (checked in the route)
Rev = Annotated[str | None, Query(max_length=64, description="A stored commit (sha or prefix); required.")]


class ModelList(BaseModel):
    items: list[ModelView]


@router.get(f"{PROJECT}/risk/{{commit}}", response_model=RiskAssessment)
def commit_risk(request: Request, project: str, commit: Commit,
                who: Annotated[Caller, require(Role.VIEWER)]) -> RiskAssessment:
    """Risk of one change with the active model: probability, 0–100, GO/WARN/BLOCK, top factors, similar
    past breaking changes, impacted tests and tests to run. Read-only: no prediction is logged (the CLI's
    ``argus risk`` logs it)."""
    from argus.app.risk import AssessRequest, assess_change

    rt = in_project(request, project, who)
    return assess_change(rt, AssessRequest(project, sha=commit, persist=False))


@router.get(f"{PROJECT}/risk", response_model=RiskAssessment)
def range_risk(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], base: Rev = None,
               head: Rev = None) -> RiskAssessment:
    """Risk of the range ``base..head`` (base excluded): the probability that at least one change breaks."""
    from argus.app.risk import AssessRequest, assess_change

    rt = in_project(request, project, who)  # a missing base or head: 422 from the use case, after the project
    return assess_change(rt, AssessRequest(project, base=base, head=head, persist=False))


@router.get(f"{PROJECT}/models", response_model=ModelList)
def models(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)]) -> ModelList:
    """Registered versions of the change-risk model, newest first (status, data range, holdout metrics)."""
    from argus.app.risk import list_models

    rt = in_project(request, project, who)
    return ModelList(items=list(list_models(rt, project)))


@router.post(f"{PROJECT}/models/train", response_model=TrainResult)
def train(request: Request, project: str, who: Annotated[Caller, require(Role.MAINTAINER)]) -> TrainResult:
    """Train a new version; it becomes active only if it beats the active one on the time-ordered holdout."""
    from argus.app.risk import train_model

    rt = in_project(request, project, who, Role.MAINTAINER)
    return train_model(rt, project)


@router.post(f"{PROJECT}/models/{{version}}/promote", response_model=TrainResult)
def promote(request: Request, project: str,
                  version: Annotated[int, Path(ge=1, le=2**31 - 1, description="Version to make active.")],
                  who: Annotated[Caller, require(Role.MAINTAINER)],
                  force: Annotated[bool, Query(description="Promote even if it does not win (recorded).")] = False,
                  ) -> TrainResult:
    """Make a version active if it beats the active one on the same holdout (the reason is recorded)."""
    from argus.app.risk import promote_model

    rt = in_project(request, project, who, Role.MAINTAINER)
    return promote_model(rt, project, version, force)
