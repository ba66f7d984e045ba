"""A fresh, empty database per test or probe: a new SQLite file, or a new PostgreSQL schema dropped
afterwards (the tests' ``ARGUS_TEST_DATABASE_URL``, the probes' ``--pg``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema`` (libpq ``options``)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(folder: Path, pg_base: str | None = None, *, prefix: str = "t_") -> Iterator[str]:
    """The URL of an empty database: ``folder/argus.db`` without ``pg_base``, else a new schema
    ``<prefix><random>`` of the PostgreSQL database ``pg_base``, dropped (with all it holds) on exit."""
    if pg_base is None:
        yield f"sqlite:///{folder / 'argus.db'}"
        return
    from sqlalchemy import text

    from argus.core.db import create_db_engine

    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(pg_base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield with_search_path(pg_base, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def scalar(database_url: str, sql: str, **params: object) -> object:
    """One value of ``sql`` on ``database_url`` (to check what processes stored)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(database_url)
    try:
        with eng.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        eng.dispose()


def upgrade_database(database_url: str) -> None:
    """Create the schema in-process (cheaper than one more ``argus db upgrade`` process)."""
    from argus.core.db import create_db_engine
    from argus.store.migrate import upgrade

    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
