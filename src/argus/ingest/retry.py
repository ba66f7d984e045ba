"""Dead letters as a user sees them: list, show, and retry (re-ingest the original file).

A retry re-reads the dead letter's ``source_name`` as a path (when it still exists) and sends it
through the same use case as ``argus ingest tests|coverage|vulns``. When the file is stored (or
found already stored) the dead letter is deleted; when it is refused again, the dead letter's count
goes up and the new reason is kept. Git and webhook dead letters have no file to re-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.core.errors import InputError, NotFoundError, RejectedInputError
from argus.core.settings import IngestSettings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.files import ingest_file_isolated
from argus.store.models import DeadLetter


@dataclass(frozen=True)
class DeadLetterView:
    """One dead letter (a rejected input; the file itself is never stored)."""

    id: int
    source: str
    source_name: str
    reason: str
    content_type: str | None
    content_hash: str | None
    size_bytes: int | None
    count: int
    created_at: datetime
    last_seen_at: datetime
    excerpt: str | None


class RetryStatus(StrEnum):
    INGESTED = "ingested"  # stored now; the dead letter was deleted
    DUPLICATE = "duplicate"  # already stored (by another upload); the dead letter was deleted
    REJECTED = "rejected"  # refused again; the dead letter counts one more rejection


@dataclass(frozen=True)
class RetryOutcome:
    dead_letter_id: int
    source_name: str
    status: RetryStatus
    detail: str


def _view(row: DeadLetter) -> DeadLetterView:
    return DeadLetterView(row.id, row.source, row.source_name, row.reason, row.content_type, row.content_hash,
                          row.size_bytes, row.count, row.created_at, row.last_seen_at, row.excerpt)


def list_dead_letters(session: Session, *, source: DeadLetterSource | None = None,
                      limit: int = 50) -> list[DeadLetterView]:
    """The project's dead letters, most recently seen first."""
    stmt = select(DeadLetter).order_by(DeadLetter.last_seen_at.desc(), DeadLetter.id.desc()).limit(limit)
    if source is not None:
        stmt = stmt.where(DeadLetter.source == source.value)
    return [_view(row) for row in session.scalars(stmt)]


def _row(session: Session, dead_letter_id: int) -> DeadLetter:
    row = session.scalars(select(DeadLetter).where(DeadLetter.id == dead_letter_id)).first()
    if row is None:
        raise NotFoundError(f"dead letter {dead_letter_id} not found in this project (see `argus dead-letters list`)")
    return row


def get_dead_letter(session: Session, dead_letter_id: int) -> DeadLetterView:
    return _view(_row(session, dead_letter_id))


def retry_dead_letter(session: Session, dead_letter_id: int, meta: CiMetadata,
                      settings: IngestSettings) -> RetryOutcome:
    """Re-ingest the dead letter's file (see the module doc); the caller owns the transaction."""
    row = _row(session, dead_letter_id)
    name, source = row.source_name, row.source
    path = Path(name)
    if source not in (DeadLetterSource.TEST_REPORT, DeadLetterSource.COVERAGE, DeadLetterSource.VULNERABILITIES):
        raise InputError(f"dead letter {dead_letter_id}: a {source} input has no file to re-read")
    if not path.is_file():
        raise InputError(f"dead letter {dead_letter_id}: {name} no longer exists (or is not a regular file); "
                         "ingest a new copy with `argus ingest`")
    if source == DeadLetterSource.TEST_REPORT:
        from argus.ingest.testreports.service import FileStatus, ingest_test_reports

        outcome = ingest_test_reports(session, [path], meta, settings)[0]
        if outcome.status is FileStatus.REJECTED:
            return RetryOutcome(dead_letter_id, name, RetryStatus.REJECTED, outcome.reason or "rejected")
        status = RetryStatus.INGESTED if outcome.status is FileStatus.INGESTED else RetryStatus.DUPLICATE
        detail = f"report {outcome.report_id} in run {outcome.run_id}"
    else:
        from argus.ingest.coverage.service import ingest_coverage
        from argus.ingest.vulns.service import ingest_vulns

        fn = ingest_coverage if source == DeadLetterSource.COVERAGE else ingest_vulns
        limit = settings.max_file_bytes
        try:
            result = ingest_file_isolated(session, DeadLetterSource(source), path, limit,
                                          lambda data, n: fn(session, data, n, meta, max_bytes=limit))
        except RejectedInputError as exc:
            return RetryOutcome(dead_letter_id, name, RetryStatus.REJECTED, exc.reason)
        status = RetryStatus.DUPLICATE if result.duplicate else RetryStatus.INGESTED
        detail = f"report {result.report_id} in run {result.run_id}"
    session.execute(delete(DeadLetter).where(DeadLetter.id == dead_letter_id))
    return RetryOutcome(dead_letter_id, name, status, detail)
