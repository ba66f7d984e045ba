"""Shared fixtures: a fresh, migrated database per test (SQLite file, or a fresh PostgreSQL schema).

Set ``ARGUS_TEST_DATABASE_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the
database tests on PostgreSQL; each test then gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from argus.core.db import create_db_engine
from argus.core.settings import Settings
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to
from argus.testing.databases import SchemaTemplate, fresh_database, schema_template

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
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)  # type: ignore[arg-type]


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the CLI against this test's database (clean of the caller's ARGUS_*)."""
    for key in list(os.environ):
        if key.startswith("ARGUS_") and key != PG_ENV:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    env = {"ARGUS_DATABASE_URL": database_url, "ARGUS_HOME": str(tmp_path / "home")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
