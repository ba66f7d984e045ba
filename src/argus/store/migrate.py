"""Run and inspect the schema migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from argus.core.db import READ_ONLY, check_connection
from argus.core.errors import SchemaOutOfDateError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:
        raise SchemaOutOfDateError(f"migrations have {len(heads)} heads ({', '.join(heads)}); merge them")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    check_connection(engine)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        return MigrationContext.configure(conn).get_current_revision()


#: Key of the PostgreSQL advisory lock that serialises migrations (with the schema name, see upgrade).
_MIGRATION_LOCK = "argus-migrate"


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Upgrade the schema to ``target``; return (revision before, revision after).

    Safe to run from many processes at once (every CI job may run ``argus db upgrade``): one
    transaction does the whole upgrade, and it first takes a lock that the others wait for — on
    PostgreSQL a transaction-level advisory lock keyed by the current schema
    (``pg_advisory_xact_lock``), on SQLite the database's write lock (``BEGIN IMMEDIATE``, see
    :mod:`argus.core.db`). The revision is read under that lock, so the processes that waited find the
    schema already at ``target`` and do nothing. PostgreSQL and SQLite both run DDL transactionally.
    """
    check_connection(engine)
    cfg = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k || current_schema(), 0))"),
                         {"k": _MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after or ""


def ensure_up_to_date(engine: Engine) -> None:
    """Raise one clear error when the schema is missing or behind the code."""
    current = current_revision(engine)
    head = head_revision()
    if current is None:
        raise SchemaOutOfDateError("database has no Argus schema: run `argus db upgrade`")
    if current != head:
        known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
        if current not in known:
            raise SchemaOutOfDateError(
                f"database is at migration {current}, which this Argus does not know (newer Argus?)"
            )
        raise SchemaOutOfDateError(
            f"database schema is at {current}, code expects {head}: run `argus db upgrade`"
        )
