"""What every use case runs with: the settings, a lazily created engine, project-scoped units of work.

The CLI makes one :class:`Runtime` per invocation, the HTTP server one per process, a job worker one
per worker; the same use cases run on all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:  # imported when used: `argus --help` must not load SQLAlchemy
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from argus.core.settings import Settings
    from argus.store.models import Project

T = TypeVar("T")
#: Times a unit of work is tried when the database aborts it for a transient conflict.
TRANSIENT_ATTEMPTS = 3


def qualified(org: str, project: str) -> str:
    """The reference ``org/project`` that names a project of any organisation in every use case."""
    return f"{org}/{project}"


@dataclass(frozen=True)
class KnownProject:
    """A project row read moments ago by the caller (the server's token check reads the requested
    project in the same statement): a unit of work on it is opened without looking it up again.
    Only its identity is trusted, not its existence later: if it was deleted meanwhile, the use case
    runs on an id with no rows (an empty answer, never another tenant's rows: the session is bound to
    this id and tenancy stays fail-closed)."""

    org_slug: str
    id: int
    org_id: int
    slug: str
    name: str
    default_branch: str
    repo_path: str | None
    created_at: datetime

    def attach(self, session: Session) -> Project:
        """The project as a persistent ORM object of ``session``, without a statement."""
        from sqlalchemy.orm import make_transient_to_detached

        from argus.store.models import Project

        project = Project(id=self.id, org_id=self.org_id, slug=self.slug, name=self.name,
                          default_branch=self.default_branch, repo_path=self.repo_path, created_at=self.created_at)
        make_transient_to_detached(project)  # as if just loaded: no pending INSERT, nothing dirty
        session.add(project)
        return project


@dataclass(frozen=True)
class ProjectScope:
    """One unit of work bound to one project: every read and write of a project-owned table in
    ``session`` is confined to ``project`` (tenancy fails closed, see :mod:`argus.store.session`)."""

    session: Session
    project: Project
    settings: Settings


@dataclass
class Runtime:
    """Settings and engine of one front door; opens the units of work use cases run in.

    A runtime made by :meth:`reader` opens **read-only** units of work (the server's GET routes):
    on PostgreSQL they run outside a transaction (autocommit: no ``BEGIN``/``COMMIT`` round trips;
    under the default READ COMMITTED each statement sees its own snapshot either way), on SQLite in a
    deferred transaction (a reader never takes or waits for the write lock). Any write through such a
    session raises (:class:`argus.store.session.ReadOnlyError`), so a use case that writes cannot run
    half-committed in one.
    """

    _settings: Settings | None = None
    _engine: Engine | None = field(default=None, repr=False)
    read_only: bool = False
    _factory: tuple[Engine, sessionmaker[Session]] | None = field(default=None, repr=False, compare=False)
    #: A project already resolved by the caller (:meth:`knowing`); units of work on it skip the look-up.
    _known: KnownProject | None = field(default=None, repr=False, compare=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from argus.core.settings import load_settings

            self._settings = load_settings()
        return self._settings

    def engine(self, *, check_schema: bool = True) -> Engine:
        if self._engine is None:
            from argus.core.db import create_db_engine
            from argus.store.migrate import ensure_up_to_date

            settings = self.settings
            self._engine = create_db_engine(settings.effective_database_url, pool_size=settings.server.threads)
            if check_schema:
                ensure_up_to_date(self._engine)
        return self._engine

    def reader(self) -> Runtime:
        """This runtime (same settings and engine) opening read-only units of work (class doc)."""
        if self.read_only:
            return self
        return dataclasses.replace(self, _settings=self.settings, _engine=self.engine(), read_only=True,
                                   _factory=None)

    @property
    def known_project(self) -> KnownProject | None:
        """The project this runtime opens units of work on without a look-up (:meth:`knowing`)."""
        return self._known

    def knowing(self, project: KnownProject | None) -> Runtime:
        """This runtime (same settings, engine and session factory) opening units of work on
        ``project`` without looking it up (:class:`KnownProject`); itself when ``project`` is None."""
        if project is None or project is self._known:
            return self
        self._sessions()  # made once here and shared by every copy (a sessionmaker per copy costs ≈ 1 ms)
        return dataclasses.replace(self, _known=project)

    def _sessions(self) -> sessionmaker[Session]:
        """The session factory of this runtime's engine (made once per engine, not per unit of work)."""
        engine = self.engine()
        if self._factory is None or self._factory[0] is not engine:
            from argus.core.db import READ_ONLY
            from argus.store.session import make_session_factory

            bind = engine
            if self.read_only:
                bind = engine.execution_options(**({"isolation_level": "AUTOCOMMIT"} if engine.dialect.name
                                                   == "postgresql" else {READ_ONLY: True}))
            factory = cast("sessionmaker[Session]", make_session_factory(bind, read_only=self.read_only))
            self._factory = (engine, factory)
            return factory
        return self._factory[1]

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A unit of work bound to no project (commits on success). Project-owned tables cannot be
        read or written in it; use :meth:`project_scope` (or ``store.session.unscoped`` for admin)."""
        from argus.core.db import unit_of_work

        with unit_of_work(self._sessions()) as s:
            yield s

    @contextmanager
    def project_scope(self, project: str | None, *, create: bool = False,
                      org: str | None = None) -> Iterator[ProjectScope]:
        """A unit of work scoped to ``project`` (default from settings) of organisation ``org`` (default
        from settings; the server passes the caller's); commits on success. ``project`` may also be a
        qualified reference ``org/project`` (:func:`qualified`), which is how background jobs name the
        project of any organisation."""
        from argus.store.projects import get_or_create_project, get_project
        from argus.store.session import scoped_to

        slug = project or self.settings.default_project
        if org is None and "/" in slug:  # slugs never contain "/" (store.projects.check_slug)
            org, slug = slug.split("/", 1)
        org_slug = org or self.settings.default_org
        known = self._known
        with self.unit_of_work() as s:
            if known is not None and known.slug == slug and known.org_slug == org_slug:
                proj = known.attach(s)
            elif create:
                proj = get_or_create_project(s, slug, org_slug, default_branch=self.settings.default_branch)
            else:
                proj = get_project(s, slug, org_slug)
            yield ProjectScope(s, scoped_to(s, proj), self.settings)

    def in_project(self, project: str | None, work: Callable[[ProjectScope], T], *, create: bool = False,
                   attempts: int = TRANSIENT_ATTEMPTS, org: str | None = None) -> T:
        """Run ``work`` in one project unit of work; run it again from scratch (new transaction) when
        the database aborts it for a transient conflict (:func:`argus.core.db.is_transient`: a
        PostgreSQL deadlock between concurrent writers, SQLite still locked after its busy timeout).
        ``work`` must therefore be safe to run again: keep its results in what it returns."""
        from sqlalchemy.exc import DBAPIError

        from argus.core.db import is_transient

        for attempt in range(1, attempts + 1):
            try:
                with self.project_scope(project, create=create, org=org) as scope:
                    return work(scope)
            except DBAPIError as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._factory = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
