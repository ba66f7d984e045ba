"""Organisation and project look-up and creation (the tenant roots)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.core.errors import InputError, NotFoundError
from argus.store.models import Organisation, Project
from argus.store.session import bind_project

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_slug(kind: str, slug: str) -> str:
    if not _SLUG.match(slug):
        raise InputError(f"invalid {kind} name {slug!r}: use letters, digits, '.', '_' or '-' (max 100)")
    return slug


def get_or_create_org(session: Session, slug: str) -> Organisation:
    org = session.scalars(
        select(Organisation).where(Organisation.slug == check_slug("organisation", slug))
    ).first()
    if org is None:
        org = Organisation(slug=slug, name=slug)
        session.add(org)
        session.flush()
    return org


def get_project(session: Session, slug: str, org_slug: str = "default") -> Project:
    """Find a project by organisation and slug, and scope the session to it."""
    project = session.scalars(
        select(Project).join(Organisation).where(Organisation.slug == org_slug, Project.slug == slug)
    ).first()
    if project is None:
        raise NotFoundError(f"project {slug!r} not found in organisation {org_slug!r}")
    bind_project(session, project.id)
    return project


def get_or_create_project(
    session: Session, slug: str, org_slug: str = "default", default_branch: str = "main"
) -> Project:
    """Find or create a project (and its organisation), and scope the session to it."""
    org = get_or_create_org(session, org_slug)
    project = session.scalars(
        select(Project).where(Project.org_id == org.id, Project.slug == check_slug("project", slug))
    ).first()
    if project is None:
        project = Project(org_id=org.id, slug=slug, name=slug, default_branch=default_branch)
        session.add(project)
        session.flush()
    bind_project(session, project.id)
    return project


def list_projects(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Organisation.slug, Project.slug).join(Project).order_by(Organisation.slug, Project.slug)
    )
    return [(o, p) for o, p in rows]
