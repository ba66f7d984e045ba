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
- a Core ``SELECT`` of a project-owned table (``select(table.c.x)``, kept by hot paths for speed) is
  not rewritten but verified: every project-owned table it reads must be pinned to the bound project
  (``project_id = :bound``, or equal to the ``project_id`` of a pinned table), else it raises;
- statements on ``session.connection()`` bypass all of this: the few hot paths that need the raw
  connection (bulk ``COPY``/``executemany``) take it from :func:`project_connection`, which requires a
  bound project, and write the bound ``project_id`` themselves.

The statement walk (which project-owned tables, which ``project_id`` comparisons) is done once per
statement *shape* and cached by SQLAlchemy's cache key of the statement (the key its compiled-SQL
cache uses, computed once per statement object); the decision is still taken on every execution,
from that execution's bound project and parameter values. A statement without a cache key is walked
every time. Nothing is cached that could let a statement through: a plan lists tables to check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, Table, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ClauseElement, ColumnClause
from sqlalchemy.sql.selectable import Alias
from sqlalchemy.sql.util import find_tables

from argus.core.errors import ArgusError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from argus.store.models import Project

_PROJECT_KEY = "argus_project_id"
_UNSCOPED_KEY = "argus_unscoped_reasons"
_READ_ONLY_KEY = "argus_read_only"


class TenancyError(ArgusError):
    """A project-owned table was read or written outside the session's project scope."""


class ReadOnlyError(ArgusError):
    """A write was attempted in a read-only unit of work (``Runtime.reader()``)."""


class ProjectOwned:
    """Marker mixin: the model has a ``project_id`` column and is confined to the bound project."""

    project_id: Any


class ArgusSession(Session):
    """Session class that enforces the bound project scope (see the module doc)."""


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[ArgusSession]:
    """Sessions on ``engine``; ``read_only`` ones refuse every write (flush, INSERT/UPDATE/DELETE,
    :func:`project_connection`) with :class:`ReadOnlyError`."""
    return sessionmaker(bind=engine, class_=ArgusSession, expire_on_commit=False,
                        info={_READ_ONLY_KEY: True} if read_only else None)


def is_read_only(session: Session) -> bool:
    return bool(session.info.get(_READ_ONLY_KEY))


def _read_only_write(what: str) -> ReadOnlyError:
    return ReadOnlyError(f"internal: {what} in a read-only unit of work (use a writing Runtime for this use case)")


# -- binding ------------------------------------------------------------------------------------------


def bind_project(session: Session, project_id: int) -> None:
    """Confine every later read and write of project-owned tables in ``session`` to ``project_id``
    (binding again moves the scope: the last binding wins)."""
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
    if is_read_only(session):
        raise _read_only_write("raw connection for writing")
    if not is_unscoped(session):
        current_project_id(session)
    return session.connection()


# -- enforcement --------------------------------------------------------------------------------------


def owned_tables() -> dict[Table, Any]:
    """Every project-owned table and its mapper (from the model registry: new models are covered)."""
    from argus.store.base import Base

    registry = Base.registry
    # the number of mapped classes: a model defined later is picked up (``registry.mappers`` builds a
    # set of every mapper, too dear for every statement)
    n = len(registry._managers)
    if _OWNED_CACHE.get("n") != n:
        mappers = registry.mappers
        _OWNED_CACHE["tables"] = {cast(Table, m.local_table): m for m in mappers if issubclass(m.class_, ProjectOwned)}
        _OWNED_CACHE["n"] = n
        _PLANS.clear()  # plans name the owned tables they touch
    return cast(dict[Table, Any], _OWNED_CACHE["tables"])


_OWNED_CACHE: dict[str, Any] = {}


def _unbound(tables: list[Table]) -> TenancyError:
    names = ", ".join(sorted(t.name for t in tables))
    return TenancyError(
        f"internal: table {names} read or written by a session bound to no project "
        "(bind one with scoped_to(), or use unscoped(session, reason=...))"
    )


@dataclass(frozen=True)
class _Plan:
    """What the tenancy check of one statement *shape* needs, found by walking the statement once:
    the project-owned tables it touches and, for a Core select, how ``project_id`` columns are
    compared (to which bind parameter, by its position in the statement's cache key, or to another
    table's ``project_id``). Deciding still happens per execution, with that execution's bound
    project and bind values: the plan holds no project id and no value."""

    tables: tuple[Table, ...]
    #: (table, where its ``project_id = :param`` value is): the parameter's index in the statement's
    #: ``CacheKey.bindparams`` (a cached plan), or the parameter itself (a plan never cached)
    pins: tuple[tuple[Any, int | BindParameter[Any]], ...] = ()
    links: tuple[tuple[Any, Any], ...] = ()  # (table, table): x.project_id = y.project_id


#: Plans by statement shape (SQLAlchemy's cache key: equal keys mean the same SQL from the same
#: tables, bind parameters in the same positions). Bounded: cleared when full.
_PLANS: dict[Any, _Plan] = {}
PLAN_CACHE_SIZE = 2000
#: Statements with more bind parameters (a multi-row ``INSERT … VALUES``) are planned alone, not
#: cached: their shapes rarely repeat and their keys are large.
PLAN_MAX_PARAMS = 100


def _plan_of(stmt: Any, state: ORMExecuteState, owned: dict[Table, Any]) -> tuple[_Plan, Any]:
    """The plan of ``stmt`` and the cache key its plan refers to (None: a plan made for this statement
    alone, not cached: the statement has no cache key, or a compared parameter is not in it)."""
    key = stmt._generate_cache_key()  # memoised on the statement; SQLAlchemy's compile cache reuses it
    if key is None or len(key.bindparams) > PLAN_MAX_PARAMS:
        return _make_plan(stmt, state, owned, None), None
    flags = (state.is_select, state.is_insert, state.is_update, state.is_delete, state.is_orm_statement)
    full = (flags, key.key)
    plan = _PLANS.get(full)
    if plan is None:
        try:
            plan = _make_plan(stmt, state, owned, key)
        except _NotCacheable:
            return _make_plan(stmt, state, owned, None), None
        if len(_PLANS) >= PLAN_CACHE_SIZE:
            _PLANS.clear()
        _PLANS[full] = plan
    return plan, key


class _NotCacheable(Exception):
    """A compared bind parameter is not among the cache key's: plan this statement alone."""


def _make_plan(stmt: Any, state: ORMExecuteState, owned: dict[Table, Any], key: Any) -> _Plan:
    """Walk ``stmt``. With ``key``, comparisons to bind parameters are recorded by position in
    ``key.bindparams`` (:class:`_NotCacheable` when one is not there); without, by the parameter."""
    found = _tables_of(stmt)
    if state.is_insert or state.is_update or state.is_delete:
        target = stmt.table
        tables = tuple(t for t in owned if t is target or t in found)
    else:
        tables = tuple(t for t in owned if t in found)
    if not tables or not (state.is_select and not state.is_orm_statement):
        return _Plan(tables)
    positions = {id(b): i for i, b in enumerate(key.bindparams)} if key is not None else {}
    pins: list[tuple[Any, int | BindParameter[Any]]] = []
    links: list[tuple[Any, Any]] = []
    for el in visitors.iterate(stmt):
        if not isinstance(el, BinaryExpression) or el.operator is not operators.eq:
            continue
        for x, y in ((el.left, el.right), (el.right, el.left)):
            if not _is_project_column(x):
                continue
            if isinstance(y, BindParameter):
                if key is None:  # an uncached plan (never stored) refers to the parameter itself
                    pins.append((_base(x.table), y))
                elif id(y) in positions:
                    pins.append((_base(x.table), positions[id(y)]))
                else:
                    raise _NotCacheable
            elif _is_project_column(y):
                links.append((_base(x.table), _base(y.table)))
    return _Plan(tables, tuple(pins), tuple(links))


@event.listens_for(ArgusSession, "do_orm_execute")
def _scope_to_project(state: ORMExecuteState) -> Any:
    session = state.session
    if (state.is_insert or state.is_update or state.is_delete) and is_read_only(session):
        raise _read_only_write(f"{'INSERT' if state.is_insert else 'UPDATE' if state.is_update else 'DELETE'}")
    if is_unscoped(session):
        return
    owned = owned_tables()
    stmt = state.statement
    plan, key = _plan_of(stmt, state, owned)
    if not plan.tables:
        return
    tables = list(plan.tables)
    project_id = session.info.get(_PROJECT_KEY)
    if project_id is None:
        raise _unbound(tables)
    if state.is_select:
        if not state.is_orm_statement:
            _check_core_select(plan, key, project_id)
            return
        state.statement = stmt.options(
            *(with_loader_criteria(owned[t].class_, owned[t].class_.project_id == project_id, include_aliases=True)
              for t in tables)
        )
    elif state.is_insert:
        _check_insert(state, cast(Any, stmt).table, project_id)
    elif state.is_update or state.is_delete:
        target = cast(Any, stmt).table
        if target in owned:
            scoped = cast(Any, stmt).where(target.c.project_id == project_id)
            if state.is_orm_statement and state.is_update and isinstance(state.parameters, list):
                return _bulk_update_by_pk(state, scoped, owned[target])
            state.statement = scoped
    return None


def _bulk_update_by_pk(state: ORMExecuteState, scoped: Any, mapper: Any) -> Any:
    """``session.execute(update(Model), [{pk…, values…}, …])`` with the project criterion: the ORM cannot
    synchronise loaded objects of a bulk update that has extra WHERE criteria, so the rows' loaded
    objects are expired instead (they reload, scoped, on next access)."""
    result = state.invoke_statement(statement=scoped, execution_options={"synchronize_session": None})
    session = state.session
    keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
    for row in state.parameters or []:
        ident = tuple(cast(Mapping[str, Any], row).get(k) for k in keys)
        obj = session.identity_map.get(session.identity_key(mapper.class_, ident))
        if obj is not None:
            session.expire(obj, [k for k in cast(Mapping[str, Any], row) if k not in keys])
    return result


def _check_core_select(plan: _Plan, key: Any, project_id: int) -> None:
    """A Core select (``select(table.c.x)``) is not rewritten (hot paths keep their SQL) but verified:
    each project-owned table it reads must be pinned to the bound project by ``project_id = :bound`` or
    by ``project_id = other.project_id`` with a pinned table, else it raises. The values are this
    execution's (from its cache key's bind parameters), never the plan's."""
    pinned: set[Any] = set()
    for table, ref in plan.pins:
        bind = key.bindparams[ref] if isinstance(ref, int) else ref
        if _same(bind.effective_value, project_id):
            pinned.add(table)
    grew = True
    while grew:
        grew = False
        for x, y in plan.links:
            if x in pinned and y not in pinned:
                pinned.add(y)
                grew = True
    loose = sorted(t.name for t in plan.tables if t not in pinned)
    if loose:
        raise TenancyError(
            f"internal: Core select of project-owned table {', '.join(loose)} does not filter project_id to "
            "the bound project (add `project_id == current_project_id(session)`, or select the model)"
        )


def _is_project_column(el: Any) -> bool:
    return isinstance(el, ColumnClause) and el.key == "project_id" and getattr(el, "table", None) is not None


def _base(from_: Any) -> Any:
    while isinstance(from_, Alias):
        from_ = from_.element
    return from_


def _same(value: Any, project_id: int) -> bool:
    try:
        return value is not None and int(value) == project_id
    except (TypeError, ValueError):
        return False


def _tables_of(stmt: Any) -> set[Table]:
    found: list[Any] = find_tables(cast(ClauseElement, stmt), check_columns=True, include_aliases=True,
                                   include_joins=True, include_selects=True, include_crud=True)
    return set(found)


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
    if is_read_only(session) and (session.new or session.dirty or session.deleted):
        raise _read_only_write("flush of changed objects")
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
