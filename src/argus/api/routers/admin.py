"""Administration of an organisation (role ``admin``): API tokens and the audit log.

``POST /api/v1/tokens`` creates a token of the caller's organisation (the secret is in this response
only), ``GET /api/v1/tokens`` lists them, ``DELETE /api/v1/tokens/{token_id}`` revokes one,
``GET /api/v1/audit`` lists the audit log newest first. A token limited to one project manages only
tokens of that project and cannot read the (organisation-wide) audit log.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from argus.api.deps import Caller, require, runtime
from argus.api.params import IdPath
from argus.api.problems import ApiProblem
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.values import MAX_INT64
from argus.store.admin import AuditView

router = APIRouter(tags=["admin"])

Admin = Annotated[Caller, require(Role.ADMIN)]
Rt = Annotated[Runtime, Depends(runtime)]


class TokenCreate(BaseModel):
    name: str = Field("api-token", min_length=1, max_length=200)
    role: Role
    project: str | None = Field(None, description="Limit the token to one project (created when missing).")
    expires: str | None = Field(None, description="Lifetime, e.g. 90d, 12h, 2w (at most 36500d); none: never expires.")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: str
    project: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret: shown in this response only, never stored.")


def _token_out(view: Any) -> dict[str, Any]:
    data = asdict(view)
    data.pop("scopes", None)
    return data


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(body: TokenCreate, who: Admin, rt: Rt) -> dict[str, Any]:
    from argus.app.admin import CreateToken
    from argus.app.admin import create_token as create
    from argus.store.admin import parse_duration

    if who.project_slug is not None and body.project != who.project_slug:
        raise ApiProblem(403, "forbidden", f"this token may only create tokens of project {who.project_slug!r}")
    expires_in = parse_duration(body.expires) if body.expires else None
    created = create(rt, CreateToken(who.org_slug, body.role, who.actor, body.name, body.project, expires_in))
    return {**_token_out(created.token), "token": created.secret}


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(who: Admin, rt: Rt) -> list[dict[str, Any]]:
    from argus.app.admin import list_tokens as tokens

    return [_token_out(t) for t in tokens(rt, who.org_slug)
            if who.project_slug is None or t.project == who.project_slug]


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response)
def revoke_token(token_id: IdPath, who: Admin, rt: Rt) -> Response:
    from argus.app.admin import revoke_token as revoke

    revoke(rt, who.org_slug, token_id, who.actor, project=who.project_slug)
    return Response(status_code=204)


@router.get("/audit", response_model=list[AuditView])
def list_audit(request: Request, who: Admin, rt: Rt, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               before_id: Annotated[int | None, Query(ge=1, le=MAX_INT64,
                                                     description="Cursor: rows older than this id.")] = None,
               ) -> list[dict[str, Any]]:
    from argus.app.admin import list_audit as audit

    if who.project_slug is not None:
        request.state.auth_failure = "project token reading the organisation audit log"
        raise ApiProblem(403, "forbidden", "the audit log needs a token of the whole organisation")
    return [asdict(a) for a in audit(rt, who.org_slug, limit=limit, before_id=before_id)]
