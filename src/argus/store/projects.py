"""Organisation and project look-up and creation (the tenant roots).

Looking a project up never scopes the session to it: binding is explicit
(:func:`argus.store.session.scoped_to`, done by ``argus.app.runtime.Runtime.project_scope``).
"""

from __future__ import annotations

import re

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from argus.core.errors import InputError, NotFoundError
from argus.store.models import Organisation, Project
from argus.store.upsert import insert_ignore

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def is_slug(slug: str) -> bool:
    """Whether ``slug`` is a possible organisation or project name."""
    return _SLUG.match(slug) is not None


def check_slug(kind: str, slug: str) -> str:
    if not is_slug(slug):
        raise InputError(f"invalid {kind} name {slug!r}: use letters, digits, '.', '_' or '-' (max 100)")
    return slug


def get_or_create_org(session: Session, slug: str) -> Organisation:
    """Find or create an organisation; concurrent creators of the same slug all get the one row."""
    query = select(Organisation).where(Organisation.slug == check_slug("organisation", slug))
    org = session.scalars(query).first()
    if org is None:
        insert_ignore(session, _table(Organisation), {"slug": slug, "name": slug}, ["slug"])
        org = session.scalars(query).one()
    return org


def get_project(session: Session, slug: str, org_slug: str = "default") -> Project:
    """Find a project by organisation and slug (does not scope the session: see :func:`scoped_to`)."""
    project = session.scalars(
        select(Project).join(Organisation).where(Organisation.slug == org_slug, Project.slug == slug)
    ).first()
    if project is None:
        raise NotFoundError(f"project {slug!r} not found in organisation {org_slug!r}")
    return project


def get_or_create_project(
    session: Session, slug: str, org_slug: str = "default", default_branch: str = "main"
) -> Project:
    """Find or create a project (and its organisation); does not scope the session."""
    org = get_or_create_org(session, org_slug)
    query = select(Project).where(Project.org_id == org.id, Project.slug == check_slug("project", slug))
    project = session.scalars(query).first()
    if project is None:
        # lookup-then-insert raced between parallel CI jobs (issue 11 item 1): insert-or-nothing, then read
        values = {"org_id": org.id, "slug": slug, "name": slug, "default_branch": default_branch}
        insert_ignore(session, _table(Project), values, ["org_id", "slug"])
        project = session.scalars(query).one()
    return project


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def list_projects(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Organisation.slug, Project.slug).join(Project).order_by(Organisation.slug, Project.slug)
    )
    return [(o, p) for o, p in rows]
