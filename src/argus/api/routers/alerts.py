"""``POST /api/v1/projects/{project}/alerts/{source}``: alert webhooks in; ``GET …/alerts``: the alerts.

A sender authenticates with a token (role uploader or higher), or with the source's own signature
when a secret is configured for ``org/project/source`` (``incidents.secrets``): GitHub
``X-Hub-Signature-256``, PagerDuty ``X-PagerDuty-Signature``, Grafana ``X-Grafana-Alerting-Signature``,
generic ``X-Argus-Signature``. A missing or bad signature without a token is ``401`` (audited with
the reason). An invalid payload is ``422`` with the reason and is kept in the dead-letter table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from argus.analysis.incidents.readmodels import AlertView, IngestOutcome
from argus.api.deps import ROLE_ATTR, ProjectAccess, caller, project_access, project_caller
from argus.api.problems import ApiProblem
from argus.api.routers._read import PROJECT
from argus.app import incidents as uc
from argus.app.runtime import Runtime, qualified
from argus.core.enums import AlertSource, Role

router = APIRouter(tags=["alerts"])

_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": True,
    "description": "The source's webhook body (Alertmanager v4, Grafana, PagerDuty V3, Datadog, GitHub "
                   "deployment_status / workflow_run, or the generic schema of docs/incidents.md)."}}}}


@dataclass(frozen=True)
class Sender:
    """Who sent an alert payload: a token's organisation, or the organisation whose secret signed it."""

    org: str
    actor: str


def _source(name: str) -> AlertSource:
    try:
        return AlertSource(name)
    except ValueError:
        raise ApiProblem(404, "not-found", f"unknown alert source {name[:40]!r}: use one of "
                                           f"{', '.join(AlertSource)}") from None


def _check_size(request: Request) -> None:
    from argus.ingest.alerts.parse import MAX_PAYLOAD_BYTES

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PAYLOAD_BYTES:
        raise ApiProblem(413, "payload-too-large", f"alert payload of {declared} bytes is above {MAX_PAYLOAD_BYTES}")


def sender(role: Role) -> Any:
    """Dependency: a bearer token with ``role`` on the project, or else a valid signature of the source."""

    async def dep(request: Request, project: str, source: str) -> Sender:
        from argus.ingest.alerts.signatures import signature_header

        rt = request.app.state.runtime
        assert isinstance(rt, Runtime)
        if request.headers.get("authorization"):
            who = await run_in_threadpool(caller, request, rt)
            project_caller(project, who, role, request)
            return Sender(who.org_slug, who.actor)
        src = _source(source)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if signature_header(src, headers) is None:
            request.state.auth_failure = "missing bearer token or signature"
            raise ApiProblem(401, "unauthorized", "missing bearer token or the source's signature",
                             {"WWW-Authenticate": "Bearer"})
        _check_size(request)
        body = await request.body()
        org = uc.signed_org(rt, project, src, body, headers)
        if org is None:
            request.state.auth_failure = f"bad {src.value} signature"
            raise ApiProblem(401, "unauthorized", f"the {src.value} signature does not verify",
                             {"WWW-Authenticate": "Bearer"})
        return Sender(org, f"signature:{src.value}")

    setattr(dep, ROLE_ATTR, role)
    return Depends(dep)


@router.post(f"{PROJECT}/alerts/{{source}}", response_model=IngestOutcome, openapi_extra={"requestBody": _BODY},
             summary="Receive an alert webhook (token, or the source's signature)",
             responses={401: {"description": "No token and no valid signature"},
                        422: {"description": "Invalid payload (kept in the dead-letter table)"}})
async def receive(request: Request, project: str, source: str,
                  who: Annotated[Sender, sender(Role.UPLOADER)]) -> IngestOutcome:
    from argus.store.projects import check_slug

    check_slug("project", project)
    src = _source(source)
    _check_size(request)
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    rt = request.app.state.runtime
    req = uc.IngestRequest(src, body, f"POST {request.url.path}", project, headers, org=who.org, create=False)
    out = await run_in_threadpool(uc.ingest, rt, req)
    await _notify_later(request, rt, qualified(who.org, project), out)
    return out


async def _notify_later(request: Request, rt: Runtime, project: str, out: IngestOutcome) -> None:
    """An ingest that opened or changed an incident: record the notification job (the dispatcher runs
    it after the response, in a thread on SQLite, on a worker on PostgreSQL)."""
    from argus.core.clock import utcnow
    from argus.jobs.service import notify_key
    from argus.jobs.tasks import NOTIFY

    key = notify_key(out, utcnow())
    dispatch = getattr(request.app.state.on_upload, "dispatch", None)
    if key is not None and dispatch is not None and rt.settings.incidents.channels:
        await run_in_threadpool(dispatch, project, NOTIFY, key)


@router.get(f"{PROJECT}/alerts", response_model=list[AlertView])
def alerts(access: Annotated[ProjectAccess, project_access(Role.VIEWER)],
           incident: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
           status: Annotated[str | None, Query(pattern="^(firing|resolved)$")] = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AlertView]:
    return list(uc.list_alerts(access.runtime, access.project, incident, status, limit, org=access.caller.org_slug))
