"""``GET /api/v1/projects/{project}/dora``: the DORA report (DevLake rules) over a period, per month,
with the 2021 and 2023 buckets; ``GET .../dora/detail``: the per-row results (read only: no insight
is saved); ``POST .../delivery/hooks/{github|gitlab}``: deployment and pipeline webhooks, so DORA
follows deployments without a sync.

A hook authenticates with a bearer token (role uploader or higher), or with the secret configured for
``org/project/source`` in ``delivery.webhook_secrets``: GitLab's ``X-Gitlab-Token`` header equal to it,
GitHub's ``X-Hub-Signature-256`` its HMAC-SHA256 of the body. Without either: ``401``; a body that
cannot be read: ``422`` with the reason; another event (ping, push): ``200`` with ``ignored``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from argus.analysis.delivery.readmodels import DoraReport
from argus.api.deps import ROLE_ATTR, Caller, caller, project_caller, require
from argus.api.problems import ApiProblem
from argus.api.routers._read import PROJECT, in_project
from argus.app.delivery import (
    DoraRequest,
    HookOutcome,
    HookRequest,
    dora_detail,
    dora_report,
    receive_hook,
    webhook_org,
)
from argus.app.runtime import Runtime
from argus.core.enums import Role

router = APIRouter(tags=["delivery"])

FromDay = Annotated[date | None, Query(alias="from", description="First day (default: --to minus 180 days).")]
ToDay = Annotated[date | None, Query(alias="to", description="Last day (default: latest deployment or incident).")]


@router.get(f"{PROJECT}/dora", response_model=DoraReport)
def dora(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)], first: FromDay = None,
         last: ToDay = None) -> DoraReport:
    rt = in_project(request, project, who)
    return dora_report(rt, DoraRequest(project, first, last, save=False))


@router.get(f"{PROJECT}/dora/detail")
def dora_rows(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)]) -> dict[str, Any]:
    """``{"pull_requests": {...}, "incidents": {...}, "deployments": {...}}`` as ``argus dora --detail --json``."""
    rt = in_project(request, project, who)
    return dora_detail(rt, project)


_MAX_HOOK_BYTES = 5 * 1024 * 1024
_HOOK_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": True,
    "description": "GitHub deployment_status / workflow_run, or GitLab Deployment Hook / Pipeline Hook body."}}}}


def _hook_source(source: str) -> str:
    if source not in ("github", "gitlab"):
        raise ApiProblem(404, "not-found", f"unknown delivery hook source {source[:40]!r}: use github or gitlab")
    return source


async def _hook_org(request: Request, project: str, source: str) -> str:
    """Dependency: the organisation of a bearer token with role uploader, or of the configured secret."""
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    if request.headers.get("authorization"):
        who = await run_in_threadpool(caller, request, rt)
        project_caller(project, who, Role.UPLOADER, request)
        return who.org_slug
    src = _hook_source(source)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_HOOK_BYTES:
        raise ApiProblem(413, "payload-too-large", f"webhook body of {declared} bytes is above {_MAX_HOOK_BYTES}")
    headers = {k.lower(): v for k, v in request.headers.items()}
    org = webhook_org(rt, project, src, await request.body(), headers)
    if org is None:
        request.state.auth_failure = f"missing or bad {src} webhook secret"
        raise ApiProblem(401, "unauthorized", f"missing bearer token, or the {src} webhook secret does not verify",
                         {"WWW-Authenticate": "Bearer"})
    return org


setattr(_hook_org, ROLE_ATTR, Role.UPLOADER)


@router.post(f"{PROJECT}/delivery/hooks/{{source}}", response_model=HookOutcome,
             openapi_extra={"requestBody": _HOOK_BODY},
             summary="Receive a deployment / pipeline webhook (token, or the source's secret)",
             responses={401: {"description": "No token and no valid secret"},
                        422: {"description": "A body the delivery rows cannot be read from"}})
async def hook(request: Request, project: str, source: str,
               org: Annotated[str, Depends(_hook_org)]) -> HookOutcome:
    from argus.store.projects import check_slug

    check_slug("project", project)
    src = _hook_source(source)
    body = await request.body()
    if len(body) > _MAX_HOOK_BYTES:
        raise ApiProblem(413, "payload-too-large", f"webhook body above {_MAX_HOOK_BYTES} bytes")
    event = request.headers.get("x-github-event" if src == "github" else "x-gitlab-event")
    rt = request.app.state.runtime
    return await run_in_threadpool(receive_hook, rt, HookRequest(src, body, event, project, org))
