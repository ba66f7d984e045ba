"""Use case: ingest coverage reports and vulnerability scans (idempotent per run).

All files of a request go into one unit of work, each in its own SAVEPOINT: a refused file becomes a
dead letter (committed with the rest) and never costs the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from argus.core.errors import RejectedInputError

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.ingest.ci_env import CiMetadata
    from argus.ingest.coverage.service import CoverageIngestResult
    from argus.ingest.vulns.service import VulnIngestResult

__all__ = ["ArtifactKind", "ArtifactOutcome", "IngestArtifactsRequest", "IngestArtifactsResult", "IngestStatus",
           "ingest_artifacts"]


class ArtifactKind(StrEnum):
    COVERAGE = "coverage"
    VULNERABILITIES = "vulns"


class IngestStatus(StrEnum):
    """What happened to one file (the values are the ``status`` of the JSON output)."""

    INGESTED = "ingested"
    DUPLICATE = "duplicate"  # the same content was stored for this run already
    REJECTED = "rejected"  # refused; a dead letter records it


@dataclass(frozen=True)
class IngestArtifactsRequest:
    """Coverage reports or vulnerability scans to store for ``project`` (created when missing)."""

    kind: ArtifactKind
    files: tuple[Path, ...]
    meta: CiMetadata
    project: str | None = None
    #: Format name (see ``--format``); ``None``: detect from the content.
    format: str | None = None
    #: Organisation of the project (default from settings; the server passes the token's).
    org: str | None = None
    #: The name a file is stored and reported under (an upload's client file name; default: its path).
    names: Mapping[Path, str] | None = None
    #: Create the project when it does not exist (the CLI); ``False``: :class:`NotFoundError` (the server).
    create: bool = True


@dataclass(frozen=True)
class ArtifactOutcome:
    """One file: its status, and the stored report (ingested or duplicate) or the reason it was refused."""

    file: str
    status: IngestStatus
    reason: str | None = None
    report: CoverageIngestResult | VulnIngestResult | None = None


@dataclass(frozen=True)
class IngestArtifactsResult:
    kind: ArtifactKind
    files: tuple[ArtifactOutcome, ...]

    @property
    def any_rejected(self) -> bool:
        return any(o.status is IngestStatus.REJECTED for o in self.files)


def ingest_artifacts(runtime: Runtime, request: IngestArtifactsRequest) -> IngestArtifactsResult:
    """Store every file of the request in one unit of work (run again whole after a transient conflict)."""
    from argus.core.enums import DeadLetterSource
    from argus.ingest.coverage.service import ingest_coverage
    from argus.ingest.files import ingest_file_isolated
    from argus.ingest.vulns.service import ingest_vulns

    coverage = request.kind is ArtifactKind.COVERAGE
    fn = ingest_coverage if coverage else ingest_vulns
    source = DeadLetterSource.COVERAGE if coverage else DeadLetterSource.VULNERABILITIES

    def work(scope: ProjectScope) -> list[ArtifactOutcome]:  # keeps nothing outside: safe to run again
        session, limit = scope.session, scope.settings.ingest.max_file_bytes
        outcomes: list[ArtifactOutcome] = []
        for path in request.files:
            shown = request.names.get(path, str(path)) if request.names else str(path)
            try:  # each file in its own SAVEPOINT: a refused one never costs the others
                res = ingest_file_isolated(session, source, path, limit, lambda data, name: fn(
                    session, data, name, request.meta, fmt=request.format, max_bytes=limit), name=shown)
            except RejectedInputError as exc:  # the dead letter is committed with the rest
                outcomes.append(ArtifactOutcome(shown, IngestStatus.REJECTED, reason=exc.reason))
                continue
            status = IngestStatus.DUPLICATE if res.duplicate else IngestStatus.INGESTED
            outcomes.append(ArtifactOutcome(shown, status, report=res))
        return outcomes

    return IngestArtifactsResult(request.kind, tuple(runtime.in_project(request.project, work, create=request.create,
                                                                        org=request.org)))
