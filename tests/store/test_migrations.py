"""The shipped migrations create the models' schema, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text, types

import argus.store.models  # noqa: F401
from argus.core.db import create_db_engine
from argus.core.errors import SchemaOutOfDateError
from argus.store.base import Base
from argus.store.integrity import include_object
from argus.store.migrate import current_revision, ensure_up_to_date, head_revision, upgrade


def pg_url() -> str | None:
    return os.environ.get("ARGUS_TEST_DATABASE_URL") or None


def _family(t: types.TypeEngine[Any]) -> str:
    name = type(t).__name__.upper()
    for key, fam in (
        ("INT", "int"),
        ("CHAR", "str"),
        ("TEXT", "text"),
        ("TIMESTAMP", "datetime"),
        ("DATETIME", "datetime"),
        ("JSON", "json"),
        ("FLOAT", "float"),
        ("DOUBLE", "float"),
        ("REAL", "float"),
        ("NUMERIC", "float"),
        ("BOOL", "bool"), ("BLOB", "binary"), ("BYTEA", "binary"), ("BINARY", "binary"),
    ):
        if key in name:
            if fam == "str":
                return f"str({getattr(t, 'length', None)})"
            return fam
    return name


def snapshot(engine: Engine) -> dict[str, Any]:
    insp = inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        if table == "alembic_version":
            continue
        out[table] = {
            "columns": sorted(
                (c["name"], _family(c["type"]), bool(c["nullable"])) for c in insp.get_columns(table)
            ),
            "pk": sorted(insp.get_pk_constraint(table)["constrained_columns"]),
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in insp.get_foreign_keys(table)
            ),
            "uniques": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
        }
        # PostgreSQL also reports each unique constraint as a unique index; SQLite does not
        out[table]["indexes"] = sorted(
            (tuple(i["column_names"]), bool(i["unique"]))
            for i in insp.get_indexes(table)
            if not (i["unique"] and tuple(i["column_names"]) in out[table]["uniques"])
        )
    return out


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False,
                                                   "include_object": include_object(engine.dialect.name)}),
            Base.metadata
        )
    assert diffs == [], f"models and migrations differ: {diffs}"
    assert current_revision(engine) == head_revision()
    ensure_up_to_date(engine)


def test_quick_check_agrees_with_alembic(engine: Engine) -> None:
    """ensure_up_to_date reads the heads from the migration files without Alembic: the same heads, and
    the same stored revision as Alembic's MigrationContext (also none at all, for an empty database)."""
    from alembic.script import ScriptDirectory

    from argus.store.migrate import _config, _quick_heads, _stored_revision

    assert _quick_heads() == tuple(sorted(ScriptDirectory.from_config(_config()).get_heads()))
    with engine.connect() as conn:
        assert _stored_revision(conn) == MigrationContext.configure(conn).get_current_revision() == head_revision()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    with engine.connect() as conn:
        assert _stored_revision(conn) is None and MigrationContext.configure(conn).get_current_revision() is None


def test_upgrade_is_idempotent(engine: Engine) -> None:
    before, after = upgrade(engine)
    assert before == after == head_revision()


def test_empty_database_reports_missing_schema(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDateError, match="argus db upgrade"):
        ensure_up_to_date(engine)


def test_unknown_revision_is_reported(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(SchemaOutOfDateError, match="unknown, newer revision"):
        ensure_up_to_date(engine)


@pytest.mark.postgres
def test_same_schema_on_sqlite_and_postgresql(tmp_path: Path, engine: Engine) -> None:
    if pg_url() is None:
        pytest.skip(
            "PostgreSQL schema parity needs ARGUS_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    assert engine.dialect.name == "postgresql"
    lite = create_db_engine(f"sqlite:///{tmp_path / 'parity.db'}")
    upgrade(lite)
    a, b = snapshot(lite), snapshot(engine)
    # PostgreSQL has triggers instead of two foreign keys of test_result (argus.store.integrity;
    # tests/store/test_result_integrity.py checks them)
    replaced = [(("run_id",), "test_run", ("id",)), (("test_case_id",), "test_case", ("id",))]
    assert set(replaced) <= set(a["test_result"]["fks"])
    a["test_result"]["fks"] = [fk for fk in a["test_result"]["fks"] if fk not in replaced]
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], f"table {table} differs between SQLite and PostgreSQL"
