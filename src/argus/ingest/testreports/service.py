"""Store test reports: validate, deduplicate by run + content, persist in bulk, dead-letter rejects.

Per file, in order: hash the bytes (SHA-256); the same hash already stored for the *same run* is a
*duplicate* (nothing stored, the earlier report is named; exit status unaffected); otherwise parse
(pure, streaming); a parse error is *rejected*: one ``dead_letter`` row with the reason, nothing else.
An accepted report is written inside its own SAVEPOINT (``session.begin_nested()``): the report row, new
test identities and all results — a database error rolls back only that file, which is then
dead-lettered too. The run's counters get the stored files' totals once, after the last file, in SQL
(``tests = tests + n``: concurrent writers of one run never lose counts).
Other files of the same call are unaffected. The caller owns the outer transaction (never committed
here): if it rolls back, nothing of the call remains.

"Same run" (idempotency key): with a CI run id, the run of that CI identity
(:mod:`argus.ingest.runs`), enforced by the unique key ``(project, run, content hash)`` with
``INSERT … ON CONFLICT DO NOTHING`` — a copy stored concurrently by another process makes this one a
duplicate, not an error. Without a CI run id, any run without one on the same commit: the check runs
under a PostgreSQL advisory lock on the content (SQLite: the write lock), and a command whose file is
such a duplicate stores its other files in that same run (a re-ingest after kill -9 completes the run
instead of starting another).

All files of one call belong to one :class:`TestRun` (one CI job attempt), found or created when the
first file is accepted (never for a call that stores nothing: no empty runs).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from argus.core.clock import as_utc, utcnow
from argus.core.db import is_transient
from argus.core.enums import DeadLetterSource
from argus.core.hashing import sha256_file
from argus.core.settings import IngestSettings
from argus.core.values import clean_text
from argus.ingest.ci_env import CiMetadata
from argus.ingest.deadletter import HEAD_BYTES, record_dead_letter
from argus.ingest.files import db_error_detail, not_regular_reason
from argus.ingest.runs import add_counts, advisory_lock, delete_run, find_run, resolve_run, touch_run
from argus.ingest.testreports.model import (
    Limits,
    NotATestReportError,
    ParsedReport,
    ReportFormat,
    ReportParseError,
    ReportSummary,
)
from argus.ingest.testreports.parse import parse_report_file
from argus.ingest.testreports.store import insert_results, resolve_test_cases, result_rows
from argus.store.integrity import results_lock
from argus.store.models import TestReport, TestRun
from argus.store.session import current_project_id, project_connection


class FileStatus(StrEnum):
    INGESTED = "ingested"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    SKIPPED = "skipped"  # found by a directory or glob, and no test report (e.g. coverage.xml)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file."""

    source: str
    status: FileStatus
    format: ReportFormat | None = None
    summary: ReportSummary | None = None
    report_id: int | None = None
    run_id: int | None = None
    reason: str | None = None  # why it was rejected or skipped, or which report it duplicates
    warnings: tuple[str, ...] = ()


def limits_from(settings: IngestSettings) -> Limits:
    return Limits(settings.max_file_bytes, settings.max_output_chars, settings.max_message_chars)


def _excerpt(path: Path) -> bytes | None:
    try:
        if not path.is_file():  # opening a FIFO would block until a writer comes
            return None
        with path.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError:
        return None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


class _RunHolder:
    """The call's run: found or created lazily (only once a file is accepted)."""

    def __init__(self, session: Session, meta: CiMetadata, run_id: int | None) -> None:
        self.session, self.meta, self.run_id = session, meta, run_id
        self.created = False
        self.created_start: datetime | None = None  # the start the run was created with (created only)
        self.looked_up = False  # find_run found no run for meta in this transaction
        self.started_at: datetime | None = None  # earliest report timestamp stored by this call

    def get(self, report: ParsedReport) -> int:
        if report.timestamp is not None:
            at = as_utc(report.timestamp)
            self.started_at = at if self.started_at is None else min(self.started_at, at)
        if self.run_id is None:
            start = as_utc(report.timestamp) if report.timestamp is not None else utcnow()
            self.run_id, self.created = resolve_run(self.session, self.meta, started_at=start,
                                                    looked_up=self.looked_up)
            if self.created:
                self.created_start = start
        return self.run_id

    def owns_run(self) -> bool:
        """The run was created by this call with everything of ``meta`` and a start no stored report
        precedes: nothing to fill in (:func:`touch_run`), and its start is ``created_start``."""
        return self.created and self.created_start is not None and (
            self.started_at is None or self.started_at >= self.created_start)

    def duplicate_of(self, project_id: int, content_hash: str) -> tuple[int, int] | None:
        """(report id, run id) of this content already stored for the call's run (see the module doc)."""
        connection = project_connection(self.session)
        if self.meta.run_id is not None:
            run_id = self.run_id if self.run_id is not None else find_run(self.session, self.meta)
            if run_id is None:
                self.looked_up = True
                return None
            self.run_id = run_id
            found = connection.execute(_FIND_IN_RUN, {"project_id": project_id, "run_id": run_id,
                                                      "content_hash": content_hash}).scalar()
            return (int(found), run_id) if found is not None else None
        row = connection.execute(
            _find_local(self.meta.commit_sha), {"project_id": project_id, "content_hash": content_hash}
        ).first()
        if row is None:
            return None
        if self.run_id is None:  # join the run that already holds part of this command's files
            self.run_id = int(row[1])
        return int(row[0]), int(row[1])


_REPORT: Table = TestReport.__table__  # type: ignore[assignment]
_RUN: Table = TestRun.__table__  # type: ignore[assignment]
_FIND_IN_RUN = select(_REPORT.c.id).where(
    _REPORT.c.project_id == bindparam("project_id"), _REPORT.c.run_id == bindparam("run_id"),
    _REPORT.c.content_hash == bindparam("content_hash"),
).limit(1)


#: ``INSERT INTO test_report … ON CONFLICT DO NOTHING RETURNING id``, built once (by: PostgreSQL?).
_INSERT_REPORT = {pg: (postgresql.insert if pg else sqlite.insert)(_REPORT)
                  .on_conflict_do_nothing(index_elements=["project_id", "run_id", "content_hash"]).returning(_REPORT.c.id)
                  for pg in (True, False)}


def _find_local(commit_sha: str | None) -> Select[Any]:
    """Reports of this content in runs without a CI identity on the same commit."""
    commit = _RUN.c.commit_sha.is_(None) if commit_sha is None else _RUN.c.commit_sha == commit_sha
    return (
        select(_REPORT.c.id, _REPORT.c.run_id).join(_RUN, _RUN.c.id == _REPORT.c.run_id)
        .where(_REPORT.c.project_id == bindparam("project_id"), _REPORT.c.content_hash == bindparam("content_hash"),
               _RUN.c.ci_key.is_(None), commit).order_by(_REPORT.c.id).limit(1)
    )


def store_report(session: Session, run_id: int, report: ParsedReport, source: str, content_hash: str,
                 size: int, seen: SeenTests | None = None) -> int | None:
    """Persist one parsed report into run ``run_id`` (bulk); return the report id, or ``None`` when the run
    already has this content (stored meanwhile by a concurrent process: nothing written). The caller
    wraps it in a SAVEPOINT, adds the report's summary to the run's counters (:func:`add_to_run`) and,
    once the SAVEPOINT is released, ``seen.commit()``.

    The ``test_report`` row is written by a Core ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (not an
    ORM object and a flush: that cost more than the results of a small report).
    """
    project_id = current_project_id(session)
    now = utcnow()
    summary = report.summary()
    connection = project_connection(session)
    # PostgreSQL: the project's results lock, shared, before any row lock of this report's statements
    # (the insert check of test_result takes it too; deletes of runs/test cases take it exclusive)
    results_lock(connection, project_id, exclusive=False)
    report_id: int | None = connection.execute(_INSERT_REPORT[connection.dialect.name == "postgresql"], {
        "project_id": project_id, "run_id": run_id, "content_hash": content_hash, "source_name": source,
        "format": report.format.value, "size_bytes": size, "ingested_at": now, "tests": summary.tests,
        "passed": summary.passed, "failed": summary.failed, "errors": summary.errors, "skipped": summary.skipped,
        "results": summary.attempts, "duration_s": summary.time_s,
    }).scalar()
    if report_id is None:
        return None
    seen = seen or SeenTests(now)
    ids = resolve_test_cases(session, project_id, report.cases, seen.at, seen.ids, seen.resolution_s)
    seen.pending = ids
    compact = connection.dialect.name == "sqlite"
    insert_results(session, result_rows(report, ids, project_id, run_id, report_id, compact))
    return report_id


class SeenTests:
    """Test ids resolved by one ingestion call, all stamped ``last_seen_at = at`` (see
    :func:`resolve_test_cases`); ``pending`` holds the current file's until its SAVEPOINT is released."""

    def __init__(self, at: datetime, resolution_s: float = 0.0) -> None:
        self.at = at
        self.resolution_s = resolution_s  # ingest.test_seen_resolution_s
        self.ids: dict[str, int] = {}
        self.pending: dict[str, int] = {}

    def commit(self) -> None:
        self.ids.update(self.pending)
        self.pending = {}


def add_to_run(session: Session, run_id: int, summaries: Sequence[ReportSummary],
               own_start: datetime | None = None) -> None:
    """Add stored reports' counts to the run, in SQL (once per call of :func:`ingest_test_reports`);
    ``own_start``: see :func:`argus.ingest.runs.add_counts`."""
    if summaries:
        add_counts(session, run_id, tests=sum(s.tests for s in summaries), passed=sum(s.passed for s in summaries),
                   failed=sum(s.failed for s in summaries), errors=sum(s.errors for s in summaries),
                   skipped=sum(s.skipped for s in summaries), duration_s=sum(s.time_s for s in summaries),
                   own_start=own_start)


def ingest_test_reports(
    session: Session,
    paths: Sequence[Path],
    meta: CiMetadata,
    settings: IngestSettings,
    progress: Callable[[FileOutcome], None] | None = None,
    run_id: int | None = None,
    optional: Container[Path] = frozenset(),
    names: Mapping[Path, str] | None = None,
) -> list[FileOutcome]:
    """Ingest every file of ``paths`` into one run of the session's project (see the module doc).

    ``run_id`` attaches to a run created earlier (e.g. by a previous batch of the same command)
    instead of finding/creating one from ``meta``. A path in ``optional`` (found by a directory or a
    glob, not named) that is no test report at all is skipped, not rejected: no dead letter. ``names``
    gives a path the name it is stored and reported under (an upload's client file name; default: the path).
    """
    project_id = current_project_id(session)
    limits = limits_from(settings)
    holder = _RunHolder(session, meta, run_id)
    seen = SeenTests(utcnow(), settings.test_seen_resolution_s)
    outcomes: list[FileOutcome] = []
    for path in paths:
        name = names.get(path) if names else None
        outcome = _ingest_one(session, project_id, path, limits, holder, seen, path in optional, name)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    stored = [o.summary for o in outcomes if o.status is FileStatus.INGESTED and o.summary]
    if holder.run_id is not None and stored:
        if holder.owns_run():  # created by this transaction from meta: only its counts and end to set
            add_to_run(session, holder.run_id, stored, own_start=holder.created_start)
        else:
            touch_run(session, holder.run_id, meta, holder.started_at)
            add_to_run(session, holder.run_id, stored)
    elif holder.created:
        delete_run(session, holder.run_id)  # type: ignore[arg-type]
    return outcomes


def _reject(session: Session, source: str, reason: str, path: Path, content_hash: str | None) -> FileOutcome:
    record_dead_letter(
        session, DeadLetterSource.TEST_REPORT, source, reason,
        content_hash=content_hash, size_bytes=_size(path), excerpt=_excerpt(path),
    )
    return FileOutcome(source, FileStatus.REJECTED, reason=reason)


def _ingest_one(session: Session, project_id: int, path: Path, limits: Limits, holder: _RunHolder,
                seen: SeenTests, optional: bool = False, name: str | None = None) -> FileOutcome:
    source = clean_text(name or str(path))  # an undecodable file name has surrogates no database stores
    content_hash: str | None = None
    try:
        refused = not_regular_reason(path)  # never open a FIFO or device: it would block
        if refused is not None:
            raise ReportParseError(source, refused)
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise ReportParseError(source, f"larger than the limit of {limits.max_file_bytes} bytes ({size} bytes)")
        content_hash = sha256_file(path)
    except ReportParseError as exc:
        return _reject(session, source, exc.reason, path, None)
    except OSError as exc:
        return _reject(session, source, f"cannot read: {exc.strerror or exc}", path, None)
    if holder.meta.run_id is None:  # no unique key can catch a concurrent copy: serialise on the content
        advisory_lock(session, "argus-test-report", project_id, content_hash)
    # Core on the connection: filtered by project explicitly, no ORM statement per file
    existing = holder.duplicate_of(project_id, content_hash)
    if existing is not None:
        return _duplicate(source, *existing)
    try:
        report = parse_report_file(path, limits, source)
    except NotATestReportError as exc:
        if optional:
            return FileOutcome(source, FileStatus.SKIPPED, reason=exc.reason)
        return _reject(session, source, exc.reason, path, content_hash)
    except ReportParseError as exc:
        return _reject(session, source, exc.reason, path, content_hash)
    run_id = holder.get(report)
    savepoint = session.begin_nested()
    try:
        report_id = store_report(session, run_id, report, source, content_hash, size, seen)
        if report_id is None:  # stored meanwhile by a concurrent process (same run, same content)
            savepoint.rollback()
            found = holder.duplicate_of(project_id, content_hash)
            return _duplicate(source, found[0] if found else 0, run_id)
        savepoint.commit()
        seen.commit()
    except SQLAlchemyError as exc:
        if is_transient(exc):  # a deadlock with a concurrent writer: the caller runs the batch again
            raise
        savepoint.rollback()
        seen.pending = {}
        reason = f"database refused the report: {db_error_detail(exc)}"
        return _reject(session, source, reason, path, content_hash)
    return FileOutcome(source, FileStatus.INGESTED, report.format, report.summary(), report_id, run_id,
                       warnings=report.warnings)


def _duplicate(source: str, report_id: int, run_id: int) -> FileOutcome:
    return FileOutcome(source, FileStatus.DUPLICATE, report_id=report_id, run_id=run_id,
                       reason=f"already ingested as report {report_id} of run {run_id} (same content)")
