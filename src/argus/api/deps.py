"""What routes depend on: the Runtime of the process, and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from argus.api.problems import ApiProblem
from argus.app.runtime import Runtime
from argus.core.enums import Role

_ROLE_RANK = {r: i for i, r in enumerate(Role)}


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


@dataclass(frozen=True)
class Caller:
    """The authenticated token: its organisation, optional single project, and role."""

    token_id: int
    org_id: int
    org_slug: str
    project_slug: str | None  # None: every project of the organisation
    role: Role

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"

    def allows(self, role: Role) -> bool:
        return _ROLE_RANK[self.role] >= _ROLE_RANK[role]

    def may_see(self, project: str) -> bool:
        return self.project_slug is None or self.project_slug == project


def caller(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> Caller:
    """The caller of ``Authorization: Bearer <token>`` (401 problem when missing, unknown or expired)."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "unauthorized", "missing bearer token", {"WWW-Authenticate": "Bearer"})
    from argus.store.admin import verify_token
    from argus.store.models import Organisation, Project

    with rt.unit_of_work() as s:
        row = verify_token(s, secret.strip())
        if row is None:
            raise ApiProblem(401, "unauthorized", "unknown, revoked or expired token", {"WWW-Authenticate": "Bearer"})
        org = s.get(Organisation, row.org_id)
        project = s.get(Project, row.project_id) if row.project_id is not None else None
        assert org is not None
        who = Caller(row.id, org.id, org.slug, project.slug if project else None, Role(row.role))
    request.state.caller = who
    return who


def require(role: Role) -> object:
    """Dependency: the caller, with at least ``role`` (403 problem otherwise)."""

    def dep(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.allows(role):
            raise ApiProblem(403, "forbidden", f"this needs role {role.value} or higher (token has {who.role.value})")
        return who

    return Depends(dep)


def project_caller(project: str, who: Caller, role: Role) -> Caller:
    """Check ``who`` may act on ``project`` with ``role``. A project outside the token's reach is 404,
    exactly like one that does not exist (no existence oracle across tenants)."""
    if not who.may_see(project):
        raise ApiProblem(404, "not-found", f"project {project!r} not found")
    if not who.allows(role):
        raise ApiProblem(403, "forbidden", f"this needs role {role.value} or higher (token has {who.role.value})")
    return who
