"""Store test reports: validate, deduplicate by content hash, persist in bulk, dead-letter rejects.

Per file, in order: hash the bytes (SHA-256); a hash already stored for the project is a *duplicate*
(nothing stored, the earlier report is named); otherwise parse (pure, streaming); a parse error is
*rejected*: one ``dead_letter`` row with the reason, nothing else. An accepted report is written inside
its own SAVEPOINT (``session.begin_nested()``): the report row, new test identities and all results —
a database error rolls back only that file, which is then dead-lettered too. The run's counters get
the stored files' totals once, after the last file.
Other files of the same call are unaffected. The caller owns the outer transaction (never committed
here).

All files of one call belong to one :class:`TestRun` (one CI job attempt), found or created from the
CI metadata by :func:`argus.ingest.ci_env.find_or_create_run` when the first file is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from argus.core.clock import as_utc, utcnow
from argus.core.enums import DeadLetterSource
from argus.core.hashing import sha256_file
from argus.core.settings import IngestSettings
from argus.core.values import clean_text
from argus.ingest.ci_env import CiMetadata, find_or_create_run
from argus.ingest.deadletter import HEAD_BYTES, record_dead_letter
from argus.ingest.files import db_error_detail, not_regular_reason
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
from argus.store.models import TestReport, TestRun
from argus.store.session import current_project_id


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
    """Find or create the run lazily (only once a file is accepted)."""

    def __init__(self, session: Session, meta: CiMetadata, run_id: int | None) -> None:
        self.session, self.meta, self.run_id = session, meta, run_id
        self.run: TestRun | None = None

    def get(self, report: ParsedReport) -> TestRun:
        if self.run is None and self.run_id is not None:
            self.run = self.session.get(TestRun, self.run_id)
        if self.run is None:
            self.run = find_or_create_run(self.session, self.meta, started_at=report.timestamp)
        return self.run


_REPORT: Table = TestReport.__table__  # type: ignore[assignment]
_INSERT_REPORT = insert(_REPORT).returning(_REPORT.c.id)
_FIND_REPORT = select(_REPORT.c.id, _REPORT.c.run_id).where(
    _REPORT.c.project_id == bindparam("project_id"), _REPORT.c.content_hash == bindparam("content_hash")
).limit(1)


def store_report(session: Session, run: TestRun, report: ParsedReport, source: str, content_hash: str,
                 size: int, seen: SeenTests | None = None) -> int:
    """Persist one parsed report into ``run`` (bulk); return the report id. The caller wraps it in a
    SAVEPOINT, adds the report's summary to the run's counters (:func:`add_to_run`) and, once the
    SAVEPOINT is released, ``seen.commit()``.

    The ``test_report`` row is written by a Core ``INSERT ... RETURNING`` (not an ORM object and a
    flush: that cost more than the results of a small report).
    """
    project_id = current_project_id(session)
    now = utcnow()
    summary = report.summary()
    connection = session.connection()
    report_id: int = connection.execute(_INSERT_REPORT, {
        "project_id": project_id, "run_id": run.id, "content_hash": content_hash, "source_name": source,
        "format": report.format.value, "size_bytes": size, "ingested_at": now, "tests": summary.tests,
        "passed": summary.passed, "failed": summary.failed, "errors": summary.errors, "skipped": summary.skipped,
        "results": summary.attempts, "duration_s": summary.time_s,
    }).scalar_one()
    seen = seen or SeenTests(now)
    ids = resolve_test_cases(session, project_id, report.cases, seen.at, seen.ids)
    seen.pending = ids
    compact = connection.dialect.name == "sqlite"
    insert_results(session, result_rows(report, ids, project_id, run.id, report_id, compact))
    return report_id


class SeenTests:
    """Test ids resolved by one ingestion call, all stamped ``last_seen_at = at`` (see
    :func:`resolve_test_cases`); ``pending`` holds the current file's until its SAVEPOINT is released."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.ids: dict[str, int] = {}
        self.pending: dict[str, int] = {}

    def commit(self) -> None:
        self.ids.update(self.pending)
        self.pending = {}


def add_to_run(run: TestRun, summaries: Sequence[ReportSummary]) -> None:
    """Add stored reports' counts to the run (once per call of :func:`ingest_test_reports`)."""
    if not summaries:
        return
    run.tests += sum(s.tests for s in summaries)
    run.passed += sum(s.passed for s in summaries)
    run.failed += sum(s.failed for s in summaries)
    run.errors += sum(s.errors for s in summaries)
    run.skipped += sum(s.skipped for s in summaries)
    run.duration_s += sum(s.time_s for s in summaries)
    # the tests' end: start + reported test time, never later than now (ingesting in CI right after
    # the tests gives ~now; back-filling old reports must not stretch the build to the ingest date)
    try:
        estimate = as_utc(run.started_at) + timedelta(seconds=run.duration_s) if run.started_at else utcnow()
    except OverflowError:  # bounded durations summed over a huge run: past datetime's range
        estimate = utcnow()
    run.finished_at = min(estimate, utcnow())


def ingest_test_reports(
    session: Session,
    paths: Sequence[Path],
    meta: CiMetadata,
    settings: IngestSettings,
    progress: Callable[[FileOutcome], None] | None = None,
    run_id: int | None = None,
    optional: Container[Path] = frozenset(),
) -> list[FileOutcome]:
    """Ingest every file of ``paths`` into one run of the session's project (see the module doc).

    ``run_id`` attaches to a run created earlier (e.g. by a previous batch of the same command)
    instead of finding/creating one from ``meta``. A path in ``optional`` (found by a directory or a
    glob, not named) that is no test report at all is skipped, not rejected: no dead letter.
    """
    project_id = current_project_id(session)
    limits = limits_from(settings)
    holder = _RunHolder(session, meta, run_id)
    seen = SeenTests(utcnow())
    outcomes: list[FileOutcome] = []
    for path in paths:
        outcome = _ingest_one(session, project_id, path, limits, holder, seen, path in optional)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    if holder.run is not None:
        add_to_run(holder.run, [o.summary for o in outcomes if o.status is FileStatus.INGESTED and o.summary])
        session.flush()
    return outcomes


def _reject(session: Session, source: str, reason: str, path: Path, content_hash: str | None) -> FileOutcome:
    record_dead_letter(
        session, DeadLetterSource.TEST_REPORT, source, reason,
        content_hash=content_hash, size_bytes=_size(path), excerpt=_excerpt(path),
    )
    return FileOutcome(source, FileStatus.REJECTED, reason=reason)


def _ingest_one(session: Session, project_id: int, path: Path, limits: Limits, holder: _RunHolder,
                seen: SeenTests, optional: bool = False) -> FileOutcome:
    source = clean_text(str(path))  # an undecodable file name has surrogates no database stores
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
    # Core on the connection: filtered by project explicitly, no ORM statement per file
    existing = session.connection().execute(
        _FIND_REPORT, {"project_id": project_id, "content_hash": content_hash}
    ).first()
    if existing is not None:
        return FileOutcome(source, FileStatus.DUPLICATE, report_id=existing[0], run_id=existing[1],
                           reason=f"already ingested as report {existing[0]} (same content)")
    try:
        report = parse_report_file(path, limits, source)
    except NotATestReportError as exc:
        if optional:
            return FileOutcome(source, FileStatus.SKIPPED, reason=exc.reason)
        return _reject(session, source, exc.reason, path, content_hash)
    except ReportParseError as exc:
        return _reject(session, source, exc.reason, path, content_hash)
    run = holder.get(report)
    savepoint = session.begin_nested()
    try:
        report_id = store_report(session, run, report, source, content_hash, size, seen)
        savepoint.commit()
        seen.commit()
    except SQLAlchemyError as exc:
        savepoint.rollback()
        seen.pending = {}
        reason = f"database refused the report: {db_error_detail(exc)}"
        return _reject(session, source, reason, path, content_hash)
    return FileOutcome(source, FileStatus.INGESTED, report.format, report.summary(), report_id, run.id,
                       warnings=report.warnings)
