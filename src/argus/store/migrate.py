"""Run and inspect the schema migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from argus.core.db import check_connection
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
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Upgrade the schema to ``target``; return (revision before, revision after)."""
    check_connection(engine)
    before = current_revision(engine)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return before, current_revision(engine) or ""


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
