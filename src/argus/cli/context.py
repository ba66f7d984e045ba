"""Per-invocation state of the CLI: settings, engine, units of work, output mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:  # imported when used: `argus --help` / `--version` must not load SQLAlchemy
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from argus.core.settings import Settings
    from argus.store.models import Project

T = TypeVar("T")
#: Times a unit of work is tried when the database aborts it for a transient conflict.
TRANSIENT_ATTEMPTS = 3


@dataclass
class CliState:
    """What every command gets: the settings, and a lazily created engine."""

    debug: bool = False
    _settings: Settings | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def with_settings(cls, settings: Settings, *, debug: bool = False) -> CliState:
        """State bound to given settings (used when one command runs others in-process)."""
        return cls(debug=debug, _settings=settings)

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

            self._engine = create_db_engine(self.settings.effective_database_url)
            if check_schema:
                ensure_up_to_date(self._engine)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work not yet scoped to a project (commits on success)."""
        from argus.core.db import unit_of_work
        from argus.store.session import make_session_factory

        with unit_of_work(make_session_factory(self.engine())) as s:  # type: ignore[arg-type]
            yield s

    @contextmanager
    def project_session(
        self, project: str | None, *, create: bool = False
    ) -> Iterator[tuple[Session, Project]]:
        """A unit of work scoped to ``project`` (default from settings); commits on success."""
        from argus.store.projects import get_or_create_project, get_project

        slug = project or self.settings.default_project
        with self.session() as s:
            if create:
                proj = get_or_create_project(
                    s, slug, self.settings.default_org, default_branch=self.settings.default_branch
                )
            else:
                proj = get_project(s, slug, self.settings.default_org)
            yield s, proj

    def in_project(self, project: str | None, work: Callable[[Session, Project], T], *, create: bool = False,
                   attempts: int = TRANSIENT_ATTEMPTS) -> T:
        """Run ``work`` in one project unit of work; run it again from scratch (new transaction) when
        the database aborts it for a transient conflict (:func:`argus.core.db.is_transient`: a
        PostgreSQL deadlock between concurrent writers, SQLite still locked after its busy timeout)."""
        from sqlalchemy.exc import DBAPIError

        from argus.core.db import is_transient

        for attempt in range(1, attempts + 1):
            try:
                with self.project_session(project, create=create) as (session, proj):
                    return work(session, proj)
            except DBAPIError as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
