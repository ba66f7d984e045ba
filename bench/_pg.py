"""A PostgreSQL schema for one bench run: created on entry, dropped (with all it holds) on exit unless
it was named by the caller (``--pg-schema``: kept and reused), with the URL whose connections use it.

    from _pg import pg_schema            # bench scripts run as `python bench/x.py`: bench/ is on sys.path
    with pg_schema(args.pg_url, keep=args.pg_schema) as pg:
        engine = create_db_engine(pg.url)
        ...
        pg.reset()                        # empty it again (drop and re-create) between two steps

    with bench_database(args.backend, args.pg_url, keep=args.pg_schema, sqlite_file=tmp / "bench.db") as url:
        ...                               # SQLite or PostgreSQL, as the bench's --backend says
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from argus.core.db import create_db_engine
from argus.testing.databases import with_search_path


@dataclass
class PgSchema:
    """One schema of a PostgreSQL database: its name, the URL that uses it, and an admin engine."""

    name: str
    url: str
    admin: Any

    def reset(self) -> None:
        """Drop everything in the schema (an empty schema of the same name afterwards)."""
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))


@contextmanager
def pg_schema(base_url: str, *, keep: str | None = None, prefix: str = "bench_") -> Iterator[PgSchema]:
    """A schema of ``base_url``'s database: ``keep`` (created if missing, left as it is on exit) or a
    new ``<prefix><random>`` one dropped on exit."""
    name = keep or f"{prefix}{uuid.uuid4().hex[:10]}"
    admin = create_db_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
        try:
            yield PgSchema(name, with_search_path(base_url, name), admin)
        finally:
            if keep is None:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        admin.dispose()


@contextmanager
def bench_database(backend: str, pg_url: str, *, keep: str | None, sqlite_file: Path) -> Iterator[str]:
    """The URL of a bench's database: the SQLite file ``sqlite_file`` (``backend`` "sqlite"), else a
    schema of ``pg_url`` as :func:`pg_schema` makes it (``keep``: a named one, kept)."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    with pg_schema(pg_url, keep=keep) as pg:
        yield pg.url
