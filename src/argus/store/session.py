"""Tenant-scoped sessions.

A session bound to a project (``bind_project``) filters every ORM ``select`` of a project-owned model
(any model with a ``project_id`` column, via :class:`ProjectOwned`) to that project, so callers cannot
forget the tenant filter. Bulk inserts set ``project_id`` explicitly from :func:`current_project_id`.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from argus.core.errors import ArgusError

_PROJECT_KEY = "argus_project_id"


class ProjectOwned:
    """Marker mixin: the model has a ``project_id`` column and is filtered by project scope."""

    project_id: Any


class ArgusSession(Session):
    """Session class whose ORM selects honour the bound project scope."""


@event.listens_for(ArgusSession, "do_orm_execute")
def _scope_to_project(state: ORMExecuteState) -> None:
    project_id = state.session.info.get(_PROJECT_KEY)
    if project_id is None or not state.is_select or state.execution_options.get("argus_unscoped"):
        return
    options = [
        with_loader_criteria(m.class_, m.class_.project_id == project_id, include_aliases=True)
        for m in _project_owned_mappers(state)
    ]
    if options:
        state.statement = state.statement.options(*options)


def _project_owned_mappers(state: ORMExecuteState) -> list[Any]:
    """Mappers of project-owned models that the statement reads anywhere (entities, FROM, joins, subqueries).

    ``state.all_mappers`` alone misses entities that appear only in ``select_from``/joins (e.g.
    ``select(func.count()).select_from(Model)``), so every table the statement mentions is matched too.
    """
    found = {m for m in state.all_mappers if issubclass(m.class_, ProjectOwned)}
    tables = set(
        find_tables(cast(ClauseElement, state.statement), check_columns=True, include_aliases=True, include_joins=True, include_selects=True)
    )
    found.update(m for m in _owned_mappers() if m.local_table in tables)
    return list(found)


def _owned_mappers() -> list[Any]:
    from argus.store.base import Base

    return [m for m in Base.registry.mappers if issubclass(m.class_, ProjectOwned)]


def make_session_factory(engine: Engine) -> sessionmaker[ArgusSession]:
    return sessionmaker(bind=engine, class_=ArgusSession, expire_on_commit=False)


def bind_project(session: Session, project_id: int) -> None:
    """Scope every later ORM select of ``session`` to ``project_id``."""
    session.info[_PROJECT_KEY] = project_id


def current_project_id(session: Session) -> int:
    """The project the session is scoped to (raises if unscoped: writes must know their tenant)."""
    pid = session.info.get(_PROJECT_KEY)
    if pid is None:
        raise ArgusError("internal: session is not scoped to a project")
    return int(pid)
