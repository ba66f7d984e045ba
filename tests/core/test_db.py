from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from argus.core.db import check_connection, create_db_engine, parse_database_url, unit_of_work
from argus.core.errors import ConfigError, DatabaseUnavailableError
from argus.store.session import make_session_factory


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "://"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_database_url(url)


def test_postgres_url_gets_psycopg_driver() -> None:
    assert parse_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_database_is_one_clear_error() -> None:
    engine = create_db_engine(f"postgresql+psycopg://nobody@127.0.0.1:{_free_port()}/none")
    with pytest.raises(DatabaseUnavailableError, match="cannot connect to database"):
        check_connection(engine)


def test_sqlite_has_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'sub' / 'a.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_unit_of_work_commits_or_rolls_back(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'u.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(RuntimeError), unit_of_work(factory) as s:
        s.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("boom")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]


def test_a_pooled_postgres_connection_closed_while_idle_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections idle longer than PING_IDLE_S are pinged before use; a dead one (the database
    restarted, an idle timeout) is discarded and a fresh one opened: the caller never sees it."""
    import os

    from argus.core import db

    base = os.environ.get("ARGUS_TEST_DATABASE_URL")
    if not base:
        pytest.skip("needs ARGUS_TEST_DATABASE_URL (PostgreSQL)")
    engine = create_db_engine(base, pool_size=1)
    admin = create_db_engine(base)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        monkeypatch.setattr(db, "PING_IDLE_S", 0.0)  # the pooled connection counts as idle now
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()
        admin.dispose()
