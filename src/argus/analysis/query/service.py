"""Run a guarded query: one read-only transaction with a statement timeout, rolled back after.

On PostgreSQL the transaction is ``READ ONLY`` with ``SET LOCAL statement_timeout`` and, when
``pg_role`` is given, ``SET LOCAL ROLE`` to the read-only role (:mod:`.readonly`); on SQLite the
connection is put in ``query_only`` mode and a progress handler interrupts the statement at the
deadline. Either way nothing the query could do is committed: the transaction is always rolled back.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from argus.analysis.query.guard import DIALECTS, GuardedQuery, guard
from argus.analysis.query.readonly import check_role_name
from argus.analysis.query.rowtypes import RowTypeError, declared_types, types_by_name, validate_rows
from argus.core.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine


class QueryFailed(InputError):
    """The database refused or interrupted a query the guard accepted (bad column, timeout...)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"query failed ({rule}): {detail}")
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True)
class QueryResult:
    sql: str
    executed_sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    views: tuple[str, ...]


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, (bytes, memoryview)):
        return None
    return v


def dialect_of(engine: Engine) -> str:
    return DIALECTS.get(engine.dialect.name, engine.dialect.name)


def run(engine: Engine, sql: str, *, project_id: int, max_rows: int, timeout_s: float,
        pg_role: str | None = None) -> QueryResult:
    """Guard ``sql`` for ``project_id`` and run it read-only (module doc)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from argus.core.db import READ_ONLY

    dialect = dialect_of(engine)
    g: GuardedQuery = guard(sql, dialect=dialect, project_id=project_id, max_rows=max_rows)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        raw = conn.connection.driver_connection
        sqlite = dialect == "sqlite"
        try:
            if sqlite:
                deadline = time.monotonic() + timeout_s
                raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)  # type: ignore[union-attr]
            conn.begin()
            if sqlite:
                conn.exec_driver_sql("PRAGMA query_only = ON")
            if not sqlite:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
                if pg_role:
                    conn.exec_driver_sql(f'SET LOCAL ROLE "{check_role_name(pg_role)}"')
            try:
                res = conn.exec_driver_sql(g.sql)
                columns = tuple(res.keys())
                rows = tuple(tuple(_plain(v) for v in r) for r in res.fetchmany(g.limit))
            except DBAPIError as exc:
                msg = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
                rule = "timeout" if ("interrupt" in msg.lower() or "timeout" in msg.lower()) else "database"
                raise QueryFailed(rule, msg[:300]) from None
            except SQLAlchemyError as exc:
                raise QueryFailed("database", str(exc).splitlines()[0][:300]) from None
            finally:
                conn.rollback()
        finally:
            if sqlite:
                raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.commit()
    types = declared_types(sql, dialect)
    try:
        rows = validate_rows(columns, rows, types if types is not None else types_by_name(columns, g.views))
    except RowTypeError as exc:
        raise QueryFailed("types", str(exc)) from None
    return QueryResult(sql, g.sql, columns, rows, len(rows) >= max_rows, g.views)
