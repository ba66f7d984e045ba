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

    from argus.app.runtime import Runtime
    from argus.core.settings import Settings
    from argus.store.models import Project

T = TypeVar("T")
#: Times a unit of work is tried when the database aborts it for a transient conflict.
TRANSIENT_ATTEMPTS = 3  # as argus.app.runtime.TRANSIENT_ATTEMPTS (not imported here: startup time)


@dataclass
class CliState:
    """What every command gets: the :class:`~argus.app.runtime.Runtime` (settings, engine, units of
    work) the use cases run with, and the output mode."""

    debug: bool = False
    _settings: Settings | None = None
    _runtime: Runtime | None = field(default=None, repr=False)

    @classmethod
    def with_settings(cls, settings: Settings, *, debug: bool = False) -> CliState:
        """State bound to given settings (used when one command runs others in-process)."""
        return cls(debug=debug, _settings=settings)

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from argus.app.runtime import Runtime

            self._runtime = Runtime(self._settings)
        return self._runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def engine(self, *, check_schema: bool = True) -> Engine:
        return self.runtime.engine(check_schema=check_schema)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work not scoped to a project (commits on success)."""
        with self.runtime.unit_of_work() as s:
            yield s

    @contextmanager
    def project_session(
        self, project: str | None, *, create: bool = False
    ) -> Iterator[tuple[Session, Project]]:
        """A unit of work scoped to ``project`` (default from settings); commits on success."""
        with self.runtime.project_scope(project, create=create) as scope:
            yield scope.session, scope.project

    def in_project(self, project: str | None, work: Callable[[Session, Project], T], *, create: bool = False,
                   attempts: int = TRANSIENT_ATTEMPTS) -> T:
        """Run ``work`` in one project unit of work, again from scratch after a transient conflict
        (:meth:`argus.app.runtime.Runtime.in_project`)."""
        return self.runtime.in_project(project, lambda scope: work(scope.session, scope.project),
                                       create=create, attempts=attempts)

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def cli_actor(actor: str | None) -> str:
    """Who acts (``--actor``, at most 200 characters), by default ``cli:<login name>`` (``cli`` without one)."""
    if actor:
        return actor[:200]
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"
