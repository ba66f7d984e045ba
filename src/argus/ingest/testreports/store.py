"""Bulk persistence of one parsed report: test identities resolved in chunks, results in one batch.

* ``test_case``: the known identities are looked up (no lock), the new ones inserted
  (``ON CONFLICT DO NOTHING``), stale ``last_seen_at`` bumped; see :func:`resolve_test_cases`.
* ``test_result``: one executemany on SQLite and ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3).

Both use the DB-API connection under the session (sqlite3 / psycopg directly: SQLAlchemy's per-row
parameter processing cost more than the inserts themselves), so they run inside the session's
transaction and SAVEPOINTs; driver errors are re-raised as SQLAlchemy ``DBAPIError``.

Nothing here commits.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from argus.core.enums import Outcome
from argus.ingest.testreports.model import ParsedCase, ParsedReport
from argus.store.models import TestCase, TestResult
from argus.store.session import project_connection

CHUNK = 500
PG_CHUNK = 10_000

#: Columns written per result, in this order (the rest keep their defaults / NULL).
RESULT_COLUMNS = (
    "project_id", "run_id", "report_id", "test_case_id", "outcome", "attempt", "duration_s", "message",
    "failure_type", "stack", "stdout", "stderr", "line", "properties", "is_flaky_rerun",
)
#: The columns of a result with no text (the others are NULL); see :func:`result_rows`.
SHORT_COLUMNS = (
    "project_id", "run_id", "report_id", "test_case_id", "outcome", "attempt", "duration_s", "line", "is_flaky_rerun",
)


_CASE_COLUMNS = "project_id, identity, suite, classname, name, file, first_seen_at, last_seen_at"
_CASE = TestCase.__tablename__

# PostgreSQL: identities travel as one JSON text to find (json.dumps is C) and as arrays to insert
# (one statement per chunk, binary, no per-item quoting).
_PG_FIND = f"""
SELECT t.identity, c.id, c.last_seen_at < %s
FROM json_array_elements_text(%s::json) AS t(identity) JOIN {_CASE} c ON c.project_id = %s AND c.identity = t.identity"""

_PG_INSERT = f"""
INSERT INTO {_CASE} ({_CASE_COLUMNS})
SELECT %s, t.identity, t.suite, t.classname, t.name, t.file, %s, %s
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) AS t(identity, suite, classname, name, file)
ON CONFLICT (project_id, identity) DO NOTHING
RETURNING identity, id"""

_PG_BUMP = f"UPDATE {_CASE} SET last_seen_at = %s WHERE id = ANY(%s::bigint[]) AND last_seen_at < %s"


@functools.cache
def _sqlite_find(rows: int) -> str:
    marks = ", ".join("?" * rows)
    return f"SELECT identity, id, last_seen_at < ? FROM {_CASE} WHERE project_id = ? AND identity IN ({marks})"


@functools.cache
def _sqlite_insert_cases(rows: int) -> str:
    """Multi-row insert of ``rows`` test cases returning their ids (SQLite ≥ 3.35 has RETURNING)."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO {_CASE} ({_CASE_COLUMNS}) VALUES {values} RETURNING identity, id"


@functools.cache
def _sqlite_bump(rows: int) -> str:
    marks = ", ".join("?" * rows)
    return f"UPDATE {_CASE} SET last_seen_at = ? WHERE id IN ({marks}) AND last_seen_at < ?"


#: SQLAlchemy's storage format of datetimes on SQLite (naive UTC), reproduced for the raw path.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
#: Rounds of insert-then-find for identities a concurrent writer inserted meanwhile (see below).
_INSERT_ROUNDS = 5


def resolve_test_cases(
    session: Session, project_id: int, cases: Sequence[ParsedCase], now: datetime,
    known: Mapping[str, int] | None = None, resolution_s: float = 0.0,
) -> dict[str, int]:
    """Map every identity of ``cases`` to its ``test_case.id``, inserting new ones, bumping ``last_seen_at``.

    ``known`` maps identities this ingestion call has already resolved, with the same ``now``, to
    their ids: those are neither written nor looked up again (their ``last_seen_at`` already is
    ``now``); with one ``now`` per command, a test in several files of one command is written once.

    Three set-based steps, each one statement per chunk of identities: **find** the known tests
    (a plain read: no row is locked, so concurrent uploads of one suite do not queue on its tests);
    **insert** the missing ones (``ON CONFLICT DO NOTHING ... RETURNING``: one a concurrent writer
    inserted meanwhile is found by the next find, so a concurrent ingester of the same tests cannot
    make this fail); **bump** ``last_seen_at`` to ``now`` only where it is older than ``now -
    resolution_s`` (``ingest.test_seen_resolution_s``): a suite uploaded many times a minute is not
    rewritten (and its rows not locked) by every upload, and ``last_seen_at`` never moves back.

    PostgreSQL: identities as one JSON text to find (``json_array_elements_text``) and as arrays to
    insert (``unnest``); :data:`PG_CHUNK` per statement; no ``IN (...)``
    look-ups: PostgreSQL plans those as sequential scans on a table grown in the same transaction,
    before statistics exist). SQLite: ``IN (...)`` / multi-row ``VALUES`` of :data:`CHUNK` identities
    (8 parameters each: 4,000 per statement, under SQLite's limit of 32,766).
    """
    ids: dict[str, int] = {}
    first: dict[str, ParsedCase] = {}
    known = known or {}
    for case in cases:
        identity = case.identity
        if identity in ids or identity in first:
            continue
        known_id = known.get(identity)
        if known_id is not None:
            ids[identity] = known_id
        else:
            first[identity] = case
    if not first:
        return ids
    connection = project_connection(session)
    raw: Any = connection.connection.driver_connection
    dbapi_error = connection.dialect.loaded_dbapi.Error
    stale_before = now - timedelta(seconds=max(0.0, resolution_s))
    # Writers that lock rows in one global order (sorted) cannot deadlock on them within one
    # statement; across statements a deadlock aborts the batch, which is run again (is_transient).
    identities = sorted(first)
    try:
        if connection.dialect.name == "postgresql":
            _resolve_pg(raw, project_id, identities, first, now, stale_before, ids)
        else:
            _resolve_sqlite(raw, project_id, identities, first, now, stale_before, ids)
    except dbapi_error as exc:
        raise DBAPIError.instance("resolve test_case", None, exc, dbapi_error) from exc
    return ids


def _resolve_pg(raw: Any, project_id: int, identities: list[str], first: Mapping[str, ParsedCase], now: datetime,
                stale_before: datetime, ids: dict[str, int]) -> None:
    stale: list[int] = []
    with raw.cursor() as cursor:
        missing = identities
        for _ in range(_INSERT_ROUNDS):
            for i in range(0, len(missing), PG_CHUNK):
                # the identities as one JSON text (json.dumps: C), not a text[] (psycopg dumps a list
                # element by element in Python: ≈ 2 ms per 1,000); fetchall: no Python call per row
                cursor.execute(_PG_FIND, (stale_before, json.dumps(missing[i : i + PG_CHUNK], ensure_ascii=False), project_id), binary=True)
                for identity, case_id, old in cursor.fetchall():
                    ids[identity] = case_id
                    if old:
                        stale.append(case_id)
            missing = [i for i in missing if i not in ids]
            if not missing:
                break
            for i in range(0, len(missing), PG_CHUNK):
                part = [first[m] for m in missing[i : i + PG_CHUNK]]
                cursor.execute(_PG_INSERT, (
                    project_id, now, now, missing[i : i + PG_CHUNK], [c.suite for c in part],
                    [c.classname for c in part], [c.name for c in part], [c.file for c in part],
                ), binary=True)
                ids.update(cursor.fetchall())
            missing = [i for i in missing if i not in ids]  # inserted meanwhile by another writer: find them
            if not missing:
                break
        else:  # pragma: no cover - a row that conflicts is committed, so the next find sees it
            raise RuntimeError(f"test identities neither found nor inserted: {missing[:3]}")
        if stale:
            stale.sort()
            for i in range(0, len(stale), PG_CHUNK):
                cursor.execute(_PG_BUMP, (now, stale[i : i + PG_CHUNK], now), binary=True)


def _resolve_sqlite(raw: Any, project_id: int, identities: list[str], first: Mapping[str, ParsedCase],
                    now: datetime, stale_before: datetime, ids: dict[str, int]) -> None:
    # every SQLite writer holds the database's write lock for its whole transaction (BEGIN IMMEDIATE):
    # nothing can insert a test between the find and the insert
    stamp = now.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_DATETIME)
    threshold = stale_before.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_DATETIME)
    stale: list[int] = []
    cursor = raw.cursor()
    try:
        for i in range(0, len(identities), CHUNK):
            part = identities[i : i + CHUNK]
            cursor.execute(_sqlite_find(len(part)), [threshold, project_id, *part])
            for identity, case_id, old in cursor.fetchall():
                ids[identity] = case_id
                if old:
                    stale.append(case_id)
        missing = [i for i in identities if i not in ids]
        for i in range(0, len(missing), CHUNK):
            params: list[Any] = []
            for identity in missing[i : i + CHUNK]:
                c = first[identity]
                params += (project_id, identity, c.suite, c.classname, c.name, c.file, stamp, stamp)
            cursor.execute(_sqlite_insert_cases(len(missing[i : i + CHUNK])), params)
            ids.update(cursor.fetchall())
        for i in range(0, len(stale), CHUNK):
            part_ids = stale[i : i + CHUNK]
            cursor.execute(_sqlite_bump(len(part_ids)), [stamp, *part_ids, stamp])
    finally:
        cursor.close()


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
    report: ParsedReport, ids: dict[str, int], project_id: int, run_id: int, report_id: int, compact: bool = False
) -> list[tuple[Any, ...]]:
    """Rows in :data:`RESULT_COLUMNS` order; ``is_flaky_rerun`` marks every attempt of a flaky test.

    With ``compact``, a result without message, type, stack, output or properties (most passing
    ones) is a shorter row in :data:`SHORT_COLUMNS` order: SQLite then binds 9 values instead of 15
    (about a third less CPU per insert, measured). Document order is kept either way.
    """
    flaky = _flaky_identities(report) if any(c.attempt for c in report.cases) else set()
    dumps = json.dumps
    value = {o: o.value for o in Outcome}  # a dict lookup is cheaper than Enum.value per row
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    # unpacking the NamedTuple is cheaper than its 14 attribute look-ups per row
    for identity, _, _, _, _, line, outcome, duration, message, ftype, stack, out, err, props, attempt in report.cases:
        if compact and message is None and ftype is None and stack is None and out is None and err is None \
                and not props:
            append((project_id, run_id, report_id, ids[identity], value[outcome], attempt, duration, line,
                    identity in flaky))
        else:
            append((project_id, run_id, report_id, ids[identity], value[outcome], attempt, duration, message, ftype,
                    stack, out, err, line, dumps(props) if props else None, identity in flaky))
    return rows


def _sqlite_insert(columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {TestResult.__tablename__} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


_SQLITE_INSERTS = {len(cols): _sqlite_insert(cols) for cols in (RESULT_COLUMNS, SHORT_COLUMNS)}


def insert_results(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Insert result rows in bulk on the session's connection (COPY on PostgreSQL).

    ``rows`` are in :data:`RESULT_COLUMNS` order; on SQLite they may also be :data:`SHORT_COLUMNS`
    rows (see :func:`result_rows`), written by one executemany per run of rows of the same kind.
    """
    if not rows:
        return
    connection = project_connection(session)
    raw: Any = connection.connection.driver_connection
    dbapi_error = connection.dialect.loaded_dbapi.Error
    table = TestResult.__tablename__
    if connection.dialect.name == "postgresql":
        sql = f"COPY {table} ({', '.join(RESULT_COLUMNS)}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi_error as exc:
            raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
        return
    cursor = raw.cursor()
    sql = ""
    try:
        for width, group in itertools.groupby(rows, len):
            sql = _SQLITE_INSERTS[width]
            cursor.executemany(sql, group)
    except dbapi_error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
    finally:
        cursor.close()
