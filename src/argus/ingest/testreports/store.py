"""Bulk persistence of one parsed report: test identities resolved in chunks, results in one batch.

* ``test_case``: existing identities are selected in chunks of :data:`CHUNK`; the new ones are
  inserted with ``INSERT ... ON CONFLICT DO NOTHING`` (so a concurrent ingester cannot make us fail)
  and selected again for their ids; ``last_seen_at`` of the known ones is bumped in the same chunks.
* ``test_result``: one executemany on SQLite (sqlite3 directly: SQLAlchemy's per-row parameter
  processing costs more than the insert itself) and ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3).
  Both run on the session's own connection, so they are inside its transaction and SAVEPOINTs.

Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from argus.core.enums import Outcome
from argus.ingest.testreports.model import ParsedCase, ParsedReport
from argus.store.models import TestCase, TestResult

CHUNK = 500

#: Columns written per result, in this order (the rest keep their defaults / NULL).
RESULT_COLUMNS = (
    "project_id", "run_id", "report_id", "test_case_id", "outcome", "attempt", "duration_s", "message",
    "failure_type", "stack", "stdout", "stderr", "line", "properties", "is_flaky_rerun",
)


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _select_ids(session: Session, project_id: int, identities: Sequence[str], into: dict[str, int]) -> None:
    for part in _chunks(identities):
        query = (
            select(TestCase.identity, TestCase.id)
            .where(TestCase.project_id == project_id, TestCase.identity.in_(part))
            .execution_options(argus_unscoped=True)  # filtered by project explicitly
        )
        for identity, case_id in session.execute(query):
            into[identity] = case_id


def resolve_test_cases(session: Session, project_id: int, cases: Sequence[ParsedCase], now: datetime) -> dict[str, int]:
    """Map every identity of ``cases`` to its ``test_case.id``, inserting the new ones."""
    first: dict[str, ParsedCase] = {}
    for case in cases:
        if case.identity not in first:
            first[case.identity] = case
    identities = list(first)
    ids: dict[str, int] = {}
    _select_ids(session, project_id, identities, ids)
    known = list(ids.values())
    for i in range(0, len(known), CHUNK):
        session.execute(
            update(TestCase)
            .where(TestCase.id.in_(known[i : i + CHUNK]))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    missing = [identity for identity in identities if identity not in ids]
    if missing:
        rows = [
            {
                "project_id": project_id,
                "identity": identity,
                "suite": first[identity].suite,
                "classname": first[identity].classname,
                "name": first[identity].name,
                "file": first[identity].file,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for identity in missing
        ]
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(TestCase).on_conflict_do_nothing(index_elements=["project_id", "identity"])
        for i in range(0, len(rows), CHUNK):
            session.execute(stmt, rows[i : i + CHUNK])
        _select_ids(session, project_id, missing, ids)
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
    return [
        (
            project_id, run_id, report_id, ids[c.identity], c.outcome.value, c.attempt, c.duration_s, c.message,
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
