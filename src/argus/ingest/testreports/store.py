"""Bulk persistence of one parsed report: test identities resolved in chunks, results in one batch.

* ``test_case``: an upsert (``ON CONFLICT (project_id, identity) DO UPDATE SET last_seen_at``)
  inserts the new identities and bumps the known ones; see :func:`resolve_test_cases`.
* ``test_result``: one executemany on SQLite and ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3).

Both use the DB-API connection under the session (sqlite3 / psycopg directly: SQLAlchemy's per-row
parameter processing cost more than the inserts themselves), so they run inside the session's
transaction and SAVEPOINTs; driver errors are re-raised as SQLAlchemy ``DBAPIError``.

Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from argus.core.enums import Outcome
from argus.ingest.testreports.model import ParsedCase, ParsedReport
from argus.store.models import TestCase, TestResult

CHUNK = 500
PG_CHUNK = 10_000

#: Columns written per result, in this order (the rest keep their defaults / NULL).
RESULT_COLUMNS = (
    "project_id", "run_id", "report_id", "test_case_id", "outcome", "attempt", "duration_s", "message",
    "failure_type", "stack", "stdout", "stderr", "line", "properties", "is_flaky_rerun",
)


_CASE_COLUMNS = "project_id, identity, suite, classname, name, file, first_seen_at, last_seen_at"

_PG_UPSERT = f"""
INSERT INTO {TestCase.__tablename__} ({_CASE_COLUMNS})
SELECT %s, t.identity, t.suite, t.classname, t.name, t.file, %s, %s
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) AS t(identity, suite, classname, name, file)
ON CONFLICT (project_id, identity) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
RETURNING identity, id"""

_SQLITE_UPSERT = f"""
INSERT INTO {TestCase.__tablename__} ({_CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project_id, identity) DO UPDATE SET last_seen_at = excluded.last_seen_at"""

#: SQLAlchemy's storage format of datetimes on SQLite (naive UTC), reproduced for the raw path.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def resolve_test_cases(session: Session, project_id: int, cases: Sequence[ParsedCase], now: datetime) -> dict[str, int]:
    """Map every identity of ``cases`` to its ``test_case.id``, inserting new ones, bumping ``last_seen_at``.

    PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE ... RETURNING`` per
    :data:`PG_CHUNK` identities (no ``IN (...)`` look-ups: PostgreSQL plans those as sequential scans
    on a table grown in the same transaction, before statistics exist). SQLite: an executemany upsert,
    then the ids by ``IN`` chunks of :data:`CHUNK` (SQLite probes the unique index per value).
    Either way a concurrent ingester of the same tests cannot make it fail.
    """
    first: dict[str, ParsedCase] = {}
    for case in cases:
        if case.identity not in first:
            first[case.identity] = case
    identities = list(first)
    reps = [first[i] for i in identities]
    connection = session.connection()
    raw: Any = connection.connection.driver_connection
    dbapi_error = connection.dialect.loaded_dbapi.Error
    ids: dict[str, int] = {}
    try:
        if connection.dialect.name == "postgresql":
            with raw.cursor() as cursor:
                for i in range(0, len(identities), PG_CHUNK):
                    part = reps[i : i + PG_CHUNK]
                    cursor.execute(_PG_UPSERT, (
                        project_id, now, now, identities[i : i + PG_CHUNK], [c.suite for c in part],
                        [c.classname for c in part], [c.name for c in part], [c.file for c in part],
                    ))
                    ids.update(cursor.fetchall())
            return ids
        stamp = now.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_DATETIME)
        cursor = raw.cursor()
        try:
            cursor.executemany(_SQLITE_UPSERT, [
                (project_id, c.identity, c.suite, c.classname, c.name, c.file, stamp, stamp) for c in reps
            ])
            for i in range(0, len(identities), CHUNK):
                names = identities[i : i + CHUNK]
                cursor.execute(
                    f"SELECT identity, id FROM {TestCase.__tablename__} WHERE project_id = ? "
                    f"AND identity IN ({', '.join('?' * len(names))})",
                    (project_id, *names),
                )
                ids.update(cursor.fetchall())
        finally:
            cursor.close()
    except dbapi_error as exc:
        raise DBAPIError.instance("upsert test_case", None, exc, dbapi_error) from exc
    return ids


def _flaky_identities(report: ParsedReport) -> set[str]:
    """Tests with both a passing and a failing attempt in this report."""
    passed: set[str] = set()
    failed: set[str] = set()
    for case in report.cases:
        if case.outcome is Outcome.PASSED:
            passed.add(case.identity)
        elif case.outcome is Outcome.FAILED or case.outcome is Outcome.ERROR:
            failed.add(case.identity)
    return passed & failed


def result_rows(
    report: ParsedReport, ids: dict[str, int], project_id: int, run_id: int, report_id: int
) -> list[tuple[Any, ...]]:
    """Rows in :data:`RESULT_COLUMNS` order; ``is_flaky_rerun`` marks every attempt of a flaky test."""
    flaky = _flaky_identities(report) if any(c.attempt for c in report.cases) else set()
    dumps = json.dumps
    value = {o: o.value for o in Outcome}  # a dict lookup is cheaper than Enum.value per row
    return [
        (
            project_id, run_id, report_id, ids[c.identity], value[c.outcome], c.attempt, c.duration_s, c.message,
            c.failure_type, c.stack, c.stdout, c.stderr, c.line,
            dumps(c.properties) if c.properties else None, c.identity in flaky,
        )
        for c in report.cases
    ]


def insert_results(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert result rows in bulk on the session's connection (COPY on PostgreSQL)."""
    if not rows:
        return
    connection = session.connection()
    raw: Any = connection.connection.driver_connection
    dbapi_error = connection.dialect.loaded_dbapi.Error
    table = TestResult.__tablename__
    columns = ", ".join(RESULT_COLUMNS)
    if connection.dialect.name == "postgresql":
        sql = f"COPY {table} ({columns}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi_error as exc:
            raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
        return
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in RESULT_COLUMNS)})"
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, rows)
    except dbapi_error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
    finally:
        cursor.close()
