"""Shared fixtures: a fresh, migrated database per test (SQLite file, or a fresh PostgreSQL schema).

Set ``ARGUS_TEST_DATABASE_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the
database tests on PostgreSQL; each test then gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from argus.core.db import create_db_engine
from argus.core.settings import Settings
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to
from argus.testing.cli import CliJson
from argus.testing.databases import SchemaTemplate, clone_database, fresh_database, schema_template

PG_ENV = "ARGUS_TEST_DATABASE_URL"


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database for this test (SQLite file, or a fresh PostgreSQL schema)."""
    with fresh_database(tmp_path, pg_url()) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaTemplate]:
    """The head schema, made once per session by the real migrations (tests/store covers those)."""
    with schema_template(tmp_path_factory.mktemp("schema-template"), pg_url()) as template:
        yield template


@pytest.fixture(scope="module")
def module_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an empty database shared by one module (``migrated_template.restore`` it, or run ``argus db
    upgrade``): for an expensive history built once by a module-scoped fixture; each test then takes its
    own copy with ``copy_database``."""
    with fresh_database(tmp_path_factory.mktemp("module-db"), pg_url(), prefix="m_") as url:
        yield url


@pytest.fixture
def copy_database(database_url: str, migrated_template: SchemaTemplate) -> Callable[[str], str]:
    """``copy_database(url)`` copies the database at ``url`` into this test's (still empty) database and
    returns its URL: the test reads and writes its copy, never the shared original."""

    def copy(source_url: str) -> str:
        clone_database(source_url, database_url, migrated_template)
        return database_url

    return copy


@pytest.fixture
def engine(database_url: str, migrated_template: SchemaTemplate) -> Iterator[Engine]:
    """An engine on this test's database, at the head schema (restored from the session's template)."""
    migrated_template.restore(database_url)
    eng = create_db_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)  # type: ignore[return-value]


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the fresh database; the test decides whether to commit."""
    s = session_factory()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def project_session(session: Session) -> Session:
    """A session scoped to a fresh project ``demo``."""
    scoped_to(session, get_or_create_project(session, "demo"))
    return session


@pytest.fixture
def cli_json(capsys: pytest.CaptureFixture[str]) -> CliJson:
    """``cli_json(argv)``: run ``argus *argv --json`` in-process (what was printed before is dropped) and
    return the parsed JSON; a non-zero exit fails the test, showing what the command printed."""
    from argus.cli.app import main

    def run(argv: list[str]) -> Any:
        capsys.readouterr()
        code = main([*argv, "--json"])
        captured = capsys.readouterr()
        assert code == 0, f"argus {' '.join(argv)} --json exited {code}:\n{captured.err}{captured.out}"
        return json.loads(captured.out)

    return run


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)  # type: ignore[arg-type]


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the CLI against this test's database (clean of the caller's ARGUS_*)."""
    return _cli_environment(monkeypatch, tmp_path, database_url)


@pytest.fixture(scope="module")
def module_cli_env(tmp_path_factory: pytest.TempPathFactory, module_database: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """``cli_env`` for ``module_database``, in force while the module runs (a test's own ``cli_env``
    overrides it): the folder the module's shared history is built in, and the environment."""
    folder = tmp_path_factory.mktemp("module-cli")
    with pytest.MonkeyPatch.context() as mp:
        yield folder, _cli_environment(mp, folder, module_database)


def _cli_environment(monkeypatch: pytest.MonkeyPatch, folder: Path, database_url: str) -> dict[str, str]:
    for key in list(os.environ):
        if key.startswith("ARGUS_") and key != PG_ENV:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(folder)
    env = {"ARGUS_DATABASE_URL": database_url, "ARGUS_HOME": str(folder / "home")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
