"""Store a coverage report: parse → dedupe → attach to the CI run → bulk insert per-file rows.

Parsing happens before any write, so a rejected file leaves only its dead-letter row; the
:class:`CoverageParseError` is re-raised for the caller to report (the CLI commits the dead letter).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.core.hashing import sha256_bytes
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage._attach import store_report
from argus.ingest.coverage.parse import DEFAULT_MAX_BYTES, parse_coverage
from argus.ingest.coverage.schemas import encode_ranges
from argus.ingest.deadletter import parse_or_dead_letter
from argus.store.models import CoverageFile, CoverageReport


@dataclass(frozen=True)
class CoverageIngestResult:
    report_id: int
    run_id: int
    duplicate: bool
    format: str
    files: int
    line_pct: float | None
    branch_pct: float | None
    lines_valid: int
    lines_covered: int


def _result(row: CoverageReport, duplicate: bool) -> CoverageIngestResult:
    return CoverageIngestResult(
        row.id, row.run_id, duplicate, row.format, row.files, row.line_pct, row.branch_pct,
        row.lines_valid, row.lines_covered,
    )


def ingest_coverage(
    session: Session,
    data: bytes,
    source_name: str,
    meta: CiMetadata,
    *,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CoverageIngestResult:
    """Parse and store one coverage report for the session's project (never commits)."""
    content_hash = sha256_bytes(data)
    parsed = parse_or_dead_letter(
        session, DeadLetterSource.COVERAGE, source_name, data, content_hash,
        lambda: parse_coverage(data, source_name, fmt, max_bytes=max_bytes),
    )
    row, duplicate = store_report(session, CoverageReport, content_hash, meta, dict(
        source_name=source_name,
        format=parsed.format,
        size_bytes=len(data),
        files=len(parsed.files),
        lines_valid=parsed.lines_valid,
        lines_covered=parsed.lines_covered,
        branches_valid=parsed.branches_valid,
        branches_covered=parsed.branches_covered,
        line_pct=parsed.line_pct,
        branch_pct=parsed.branch_pct,
    ))
    if duplicate:
        return _result(row, True)
    session.execute(
        insert(CoverageFile),
        [
            {
                "project_id": row.project_id,
                "report_id": row.id,
                "path": f.path,
                "lines_valid": f.lines_valid,
                "lines_covered": f.lines_covered,
                "branches_valid": f.branches_valid,
                "branches_covered": f.branches_covered,
                "covered_lines": encode_ranges(f.covered_lines),
                "missing_lines": encode_ranges(f.missing_lines),
            }
            for f in parsed.files
        ],
    )
    return _result(row, False)
