"""Store a vulnerability report: parse → dedupe → attach to the CI run → bulk insert findings.

A rejected file is recorded in the dead-letter table and the :class:`VulnParseError` re-raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.core.hashing import sha256_bytes
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage._attach import store_report
from argus.ingest.deadletter import parse_or_dead_letter
from argus.ingest.vulns.parse import DEFAULT_MAX_BYTES, parse_vulns
from argus.ingest.vulns.schemas import Severity
from argus.store.models import VulnFinding, VulnReport


@dataclass(frozen=True)
class VulnIngestResult:
    report_id: int
    run_id: int
    duplicate: bool
    format: str
    counts: dict[str, int]


def _result(row: VulnReport, duplicate: bool) -> VulnIngestResult:
    counts = {s.value: int(getattr(row, s.value)) for s in Severity}
    return VulnIngestResult(row.id, row.run_id, duplicate, row.format, {**counts, "total": row.total})


def ingest_vulns(
    session: Session,
    data: bytes,
    source_name: str,
    meta: CiMetadata,
    *,
    fmt: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VulnIngestResult:
    """Parse and store one vulnerability report for the session's project (never commits)."""
    content_hash = sha256_bytes(data)
    parsed = parse_or_dead_letter(
        session, DeadLetterSource.VULNERABILITIES, source_name, data, content_hash,
        lambda: parse_vulns(data, source_name, fmt, max_bytes=max_bytes),
    )
    counts = parsed.counts()
    row, duplicate = store_report(session, VulnReport, content_hash, meta, dict(
        source_name=source_name,
        format=parsed.format,
        size_bytes=len(data),
        total=len(parsed.findings),
        **{s.value: counts[s] for s in Severity},
    ))
    if duplicate:
        return _result(row, True)
    if parsed.findings:
        session.execute(
            insert(VulnFinding),
            [
                {
                    "project_id": row.project_id,
                    "report_id": row.id,
                    "identity": f.identity,
                    "vuln_id": f.vuln_id[:200],
                    "canonical_id": f.canonical_id[:200],
                    "aliases": list(f.aliases),
                    "package": f.package,
                    "installed_version": f.installed_version,
                    "fixed_version": f.fixed_version,
                    "severity": f.severity.value,
                    "title": (f.title or "")[:2000] or None,
                    "target": f.target,
                }
                for f in parsed.findings
            ],
        )
    return _result(row, False)
