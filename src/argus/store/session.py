"""Tenant-scoped sessions: tenancy fails closed.

Every table with a ``project_id`` column belongs to one project (the model mixes in
:class:`ProjectOwned`; ``organisation`` and ``project`` are the tenant roots, ``api_token`` and
``audit_log`` are organisation-level and not project-owned). A session is bound to one project
explicitly, with :func:`scoped_to` / :func:`bind_project` (``argus.app.runtime.Runtime.project_scope``
does it for every use case); project look-up (:mod:`argus.store.projects`) never binds.

Through an :class:`ArgusSession`:

- reading or writing a project-owned table in a session bound to no project raises
  :class:`TenancyError` (naming the table), unless the code runs inside the explicit, greppable
  ``with unscoped(session, reason=...)`` (admin, migrations, cross-project maintenance);
- ORM selects (entities, counts, joins, subqueries, relationship loads) are filtered to the bound
  project;
- ``UPDATE``/``DELETE`` (ORM-enabled or Core, through ``session.execute``) get ``project_id = <bound>``
  added to their ``WHERE``;
- ``INSERT`` (``session.execute(insert(Model), rows)``, ``insert(...).values(...)``, the dialect
  ``ON CONFLICT`` inserts) must name ``project_id`` in every row and it must equal the bound project:
  a missing ``project_id`` is refused, not filled in (the writer states its tenant; a silent default
  would hide the statement that forgot it); so must objects flushed with ``session.add``;
- a Core ``SELECT`` of a project-owned table (``select(table.c.x)``), which the ORM cannot filter,
  raises: select the mapped attributes (``select(Model.x)``) instead;
- statements on ``session.connection()`` bypass all of this: the few hot paths that need the raw
  connection (bulk ``COPY``/``executemany``) take it from :func:`project_connection`, which requires a
  bound project, and write the bound ``project_id`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, Table, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.util import find_tables

from argus.core.errors import ArgusError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from argus.store.models import Project

_PROJECT_KEY = "argus_project_id"
_UNSCOPED_KEY = "argus_unscoped_reasons"


class TenancyError(ArgusError):
    """A project-owned table was read or written outside the session's project scope."""


class ProjectOwned:
    """Marker mixin: the model has a ``project_id`` column and is confined to the bound project."""

    project_id: Any


class ArgusSession(Session):
    """Session class that enforces the bound project scope (see the module doc)."""


def make_session_factory(engine: Engine) -> sessionmaker[ArgusSession]:
    return sessionmaker(bind=engine, class_=ArgusSession, expire_on_commit=False)


# -- binding ------------------------------------------------------------------------------------------


def bind_project(session: Session, project_id: int) -> None:
    """Confine every later read and write of project-owned tables in ``session`` to ``project_id``."""
    bound = session.info.get(_PROJECT_KEY)
    if bound is not None and bound != project_id:
        raise TenancyError(f"internal: session is bound to project {bound}, cannot rebind it to {project_id}")
    session.info[_PROJECT_KEY] = project_id


def scoped_to(session: Session, project: Project) -> Project:
    """Bind ``session`` to ``project`` (see :func:`bind_project`) and return the project."""
    bind_project(session, project.id)
    return project


def current_project_id(session: Session) -> int:
    """The project the session is bound to (raises if it is bound to none: writes must know their tenant)."""
    pid = session.info.get(_PROJECT_KEY)
    if pid is None:
        raise TenancyError("internal: session is not scoped to a project")
    return int(pid)


@contextmanager
def unscoped(session: Session, *, reason: str) -> Iterator[Session]:
    """Let the block read and write project-owned tables of every project (admin, migrations, project
    listing, cross-project maintenance). ``reason`` says why, for the reader of ``grep unscoped(``."""
    if not reason.strip():
        raise ValueError("unscoped() needs a reason")
    reasons: list[str] = session.info.setdefault(_UNSCOPED_KEY, [])
    reasons.append(reason)
    try:
        yield session
    finally:
        reasons.pop()


def is_unscoped(session: Session) -> bool:
    return bool(session.info.get(_UNSCOPED_KEY))


def project_connection(session: Session) -> Connection:
    """The session's connection for a hot path that writes raw SQL (bulk ``COPY``/``executemany``).

    Statements on it are not scoped: the caller must write and filter by :func:`current_project_id`
    itself. Requires a bound project (or :func:`unscoped`), so an unbound session still fails closed.
    """
    if not is_unscoped(session):
        current_project_id(session)
    return session.connection()


# -- enforcement --------------------------------------------------------------------------------------


def owned_tables() -> dict[Table, Any]:
    """Every project-owned table and its mapper (from the model registry: new models are covered)."""
    from argus.store.base import Base

    return {cast(Table, m.local_table): m for m in Base.registry.mappers if issubclass(m.class_, ProjectOwned)}


def _unbound(tables: list[Table]) -> TenancyError:
    names = ", ".join(sorted(t.name for t in tables))
    return TenancyError(
        f"internal: table {names} read or written by a session bound to no project "
        "(bind one with scoped_to(), or use unscoped(session, reason=...))"
    )


@event.listens_for(ArgusSession, "do_orm_execute")
def _scope_to_project(state: ORMExecuteState) -> None:
    session = state.session
    if is_unscoped(session):
        return
    owned = owned_tables()
    stmt = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        target = cast(Any, stmt).table
        tables = [t for t in owned if t is target or t in _tables_of(stmt)]
    else:
        tables = [t for t in owned if t in _tables_of(stmt)]
    if not tables:
        return
    project_id = session.info.get(_PROJECT_KEY)
    if project_id is None:
        raise _unbound(tables)
    if state.is_select:
        if not state.is_orm_statement:
            names = ", ".join(sorted(t.name for t in tables))
            raise TenancyError(f"internal: Core select of project-owned table {names} cannot be scoped; select the model")
        state.statement = stmt.options(
            *(with_loader_criteria(owned[t].class_, owned[t].class_.project_id == project_id, include_aliases=True)
              for t in tables)
        )
    elif state.is_insert:
        _check_insert(state, target, project_id)
    elif (state.is_update or state.is_delete) and target in owned:
        state.statement = cast(Any, stmt).where(target.c.project_id == project_id)


def _tables_of(stmt: Any) -> set[Table]:
    return set(find_tables(cast(ClauseElement, stmt), check_columns=True, include_aliases=True,
                           include_joins=True, include_selects=True, include_crud=True))


def _check_insert(state: ORMExecuteState, table: Table, project_id: int) -> None:
    stmt: Any = state.statement
    if table not in owned_tables():
        return
    if getattr(stmt, "select", None) is not None:
        raise TenancyError(f"internal: INSERT … SELECT into project-owned table {table.name} cannot be scoped")
    rows: list[Mapping[Any, Any]] = []
    if stmt._multi_values:
        rows.extend(dict(zip(table.c.keys(), r, strict=False)) if not isinstance(r, Mapping) else r
                    for group in stmt._multi_values for r in group)
    embedded = {_key(k): v for k, v in (stmt._values or {}).items()}
    params = state.parameters
    param_rows = [params] if isinstance(params, Mapping) else list(params or [])
    if param_rows:
        rows.extend({**embedded, **{_key(k): v for k, v in p.items()}} for p in param_rows)
    elif embedded or not rows:
        rows.append(embedded)
    for row in rows:
        value = {_key(k): v for k, v in row.items()}.get("project_id")
        if isinstance(value, BindParameter):
            value = value.value
        if value is None:
            raise TenancyError(f"internal: insert into {table.name} without project_id (it is never filled in)")
        if value != project_id:
            raise TenancyError(f"internal: insert into {table.name} for project {value} in a session bound to {project_id}")


def _key(k: Any) -> str:
    return k if isinstance(k, str) else str(getattr(k, "key", k))


@event.listens_for(ArgusSession, "before_flush")
def _check_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if is_unscoped(session):
        return
    project_id = session.info.get(_PROJECT_KEY)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, ProjectOwned):
            continue
        table = cast(Table, cast(Any, obj).__table__)
        if project_id is None:
            raise _unbound([table])
        if obj.project_id != project_id:
            raise TenancyError(
                f"internal: {table.name} row of project {obj.project_id} written in a session bound to {project_id}"
            )
