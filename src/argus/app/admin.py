"""Use cases of administration: projects (list, create), API tokens (create, list, revoke) and the
audit log.

Tokens and audit rows are organisation-level (not project-owned), so these run in a unit of work
bound to no project. Shared by ``argus tokens`` / ``argus audit`` and the admin routes of the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from argus.core.enums import Role
from argus.store.admin import AuditView, TokenView

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from argus.app.runtime import Runtime
    from argus.store.models import Organisation

__all__ = ["AuditView", "CreateProject", "CreateToken", "CreatedToken", "ProjectRow", "TokenView", "create_project",
           "create_token", "list_audit", "list_projects", "list_tokens", "revoke_token"]


@dataclass(frozen=True)
class ProjectRow:
    """One project of one organisation."""

    organisation: str
    project: str


@dataclass(frozen=True)
class CreateProject:
    org: str
    name: str
    actor: str
    default_branch: str = "main"


def list_projects(runtime: Runtime) -> tuple[ProjectRow, ...]:
    """Every organisation's projects, by organisation then project (tenant roots: no project scope)."""
    from argus.store.projects import list_projects as rows

    with runtime.unit_of_work() as s:
        return tuple(ProjectRow(o, p) for o, p in rows(s))


def create_project(runtime: Runtime, request: CreateProject) -> int:
    """Create the project (and its organisation) unless it exists, audit it; its id either way."""
    from argus.store.admin import record_audit
    from argus.store.projects import get_or_create_project

    with runtime.unit_of_work() as s:  # project and audit_log are not project-owned: no project scope
        proj = get_or_create_project(s, request.name, request.org, request.default_branch)
        record_audit(s, proj.org_id, request.actor, "project.create", project_id=proj.id, target_type="project",
                     target_id=request.name)
        return proj.id


@dataclass(frozen=True)
class CreateToken:
    org: str
    role: Role
    actor: str
    name: str = "api-token"
    project: str | None = None
    expires_in: timedelta | None = None
    create_missing: bool = True  # create the organisation and project when they do not exist yet


@dataclass(frozen=True)
class CreatedToken:
    """The secret (shown once, never stored) and the stored token."""

    secret: str
    token: TokenView


def _org(session: Session, slug: str, *, create: bool) -> Organisation:
    from sqlalchemy import select

    from argus.core.errors import NotFoundError
    from argus.store.models import Organisation
    from argus.store.projects import check_slug, get_or_create_org

    if create:
        return get_or_create_org(session, slug)
    org = session.scalars(select(Organisation).where(Organisation.slug == check_slug("organisation", slug))).first()
    if org is None:
        raise NotFoundError(f"organisation {slug!r} not found")
    return org


def create_token(runtime: Runtime, request: CreateToken) -> CreatedToken:
    """Create a token of ``request.org`` (optionally limited to one project); returns its secret once."""
    from argus.store import admin
    from argus.store.projects import get_or_create_project, get_project

    with runtime.unit_of_work() as s:
        org = _org(s, request.org, create=request.create_missing)
        proj = None
        if request.project:
            proj = (get_or_create_project(s, request.project, org.slug, runtime.settings.default_branch)
                    if request.create_missing else get_project(s, request.project, org.slug))
        secret, view = admin.create_token(s, org, request.name, request.role, request.actor, project=proj,
                                          expires_in=request.expires_in)
    return CreatedToken(secret, view)


def list_tokens(runtime: Runtime, org: str) -> tuple[TokenView, ...]:
    """The organisation's tokens (never their secrets), oldest first."""
    from argus.store import admin

    with runtime.unit_of_work() as s:
        return tuple(admin.list_tokens(s, _org(s, org, create=org == runtime.settings.default_org)))


def revoke_token(runtime: Runtime, org: str, token_id: int, actor: str, *, project: str | None = None) -> None:
    """Revoke token ``token_id`` of ``org`` (NotFoundError when it is not one of its tokens, or, with
    ``project``, not one limited to that project)."""
    from argus.core.errors import NotFoundError
    from argus.store import admin

    with runtime.unit_of_work() as s:
        o = _org(s, org, create=org == runtime.settings.default_org)
        if project is not None and not any(t.id == token_id and t.project == project
                                           for t in admin.list_tokens(s, o)):
            raise NotFoundError(f"token {token_id} not found in organisation {org!r}")
        admin.revoke_token(s, o, token_id, actor)


def list_audit(runtime: Runtime, org: str | None, *, limit: int = 100,
               before_id: int | None = None) -> tuple[AuditView, ...]:
    """Audit rows newest first: of ``org``, or every row (also failed authentications naming no
    organisation) when ``org`` is None."""
    from argus.store import admin

    with runtime.unit_of_work() as s:
        o = _org(s, org, create=False) if org is not None else None
        return tuple(admin.list_audit(s, o, limit=limit, before_id=before_id))
