"""Use cases of server administration: API tokens (create, list, revoke) and the audit log.

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

__all__ = ["AuditView", "CreateToken", "CreatedToken", "TokenView", "create_token", "list_audit", "list_tokens",
           "revoke_token"]


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
