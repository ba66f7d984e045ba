"""Run and inspect the schema migrations shipped in the package.

Alembic (about 0.3 s of imports) is loaded only to run or walk the migrations: the check every command
makes before its first unit of work (:func:`ensure_up_to_date`) reads the stored revision with one query
and the migration files' ``revision``/``down_revision`` lines (:func:`_quick_heads`).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DatabaseError, OperationalError

from argus.core.db import READ_ONLY, check_connection
from argus.core.errors import DatabaseUnavailableError, SchemaOutOfDateError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Alembic's default version table (env.py keeps it).
VERSION_TABLE = "alembic_version"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@functools.cache
def _quick_heads() -> tuple[str, ...] | None:
    """The heads of the shipped migrations from each file's top-level ``revision = ...`` and
    ``down_revision = ...`` (no Alembic import); None when a file does not state them plainly (the
    caller then asks Alembic). tests/store/test_migrations.py checks it against Alembic's answer."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        rev, down = found.get("revision"), found.get("down_revision")
        if not isinstance(rev, str) or "down_revision" not in found:
            return None
        if isinstance(down, str):
            downs.add(down)
        elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
            downs.update(down)
        elif down is not None:
            return None
        revisions.add(rev)
    return tuple(sorted(revisions - downs)) or None


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:
        raise SchemaOutOfDateError(f"migrations have {len(heads)} heads ({', '.join(heads)}); merge them")
    return heads[0]


def _not_argus(engine: Engine, why: str) -> DatabaseUnavailableError:
    where = engine.url.render_as_string(hide_password=True)
    return DatabaseUnavailableError(f"{where} is not an Argus database ({why})")


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision (``None`` for an empty database).

    Raises one clear error for a file that is no database, and for a database that has tables but
    no ``alembic_version`` (created by something else: ``db upgrade`` would collide with its tables).
    """
    try:
        check_connection(engine)
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            revision = _stored_revision(conn)
            tables = [] if revision is not None else inspect(conn).get_table_names()
    except OperationalError as exc:  # the server went away / refused between the check and now
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(f"cannot connect to database {where}: {first}") from None
    except DatabaseError as exc:  # e.g. SQLite "file is not a database"
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise _not_argus(engine, first) from None
    if revision is None and tables:
        shown = ", ".join(sorted(tables)[:5]) + (" …" if len(tables) > 5 else "")
        raise _not_argus(engine, f"it has tables ({shown}) but no alembic_version; use an empty database")
    return revision


def _stored_revision(conn: Connection) -> str | None:
    """The revision in the version table (None: no table, or no row), as Alembic's
    ``MigrationContext.get_current_revision`` reads it (Alembic itself when the table holds several)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:  # several heads stamped: Alembic's own answer
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def newer_revision_error(revision: str) -> SchemaOutOfDateError:
    return SchemaOutOfDateError(f"database is at an unknown, newer revision {revision}; upgrade Argus")


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
    A database of another application, or at a revision newer than this Argus, is refused first.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    current_revision(engine)  # one clear error for a non-database or a foreign schema, before locking
    cfg = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k || current_schema(), 0))"),
                         {"k": _MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        if before is not None and before not in known_revisions():
            raise newer_revision_error(before)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after or ""


def ensure_up_to_date(engine: Engine) -> None:
    """Raise one clear error when the schema is missing or behind the code."""
    current = current_revision(engine)
    if current is not None and _quick_heads() == (current,):
        return  # at the one head: no need for Alembic
    head = head_revision()
    if current is None:
        raise SchemaOutOfDateError("database has no Argus schema: run `argus db upgrade`")
    if current != head:
        if current not in known_revisions():
            raise newer_revision_error(current)
        raise SchemaOutOfDateError(
            f"database schema is at {current}, code expects {head}: run `argus db upgrade`"
        )
