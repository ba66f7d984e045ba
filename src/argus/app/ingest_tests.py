"""Use cases of test reports: ingest them (batched units of work, one run) and parse them (no storage).

The CLI (``argus ingest tests``, ``argus parse tests``), the benchmarks and, next, the HTTP API and job
workers call these; each front door turns its own inputs (arguments, globs, uploads) into a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from argus.ingest.testreports.service import FileOutcome, FileStatus

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.core.settings import IngestSettings
    from argus.ingest.ci_env import CiMetadata
    from argus.ingest.testreports.model import ParsedReport

__all__ = [
    "BATCH_FILES", "FileOutcome", "FileProgress", "FileStatus", "IngestReportsRequest", "IngestReportsResult",
    "ParsedFile", "ingest_test_reports", "parse_test_reports",
]

#: Files per transaction. Each file has its own SAVEPOINT; PostgreSQL slows down sharply once a
#: transaction has more than 64 subtransactions (its per-backend subxid cache overflows), so many
#: files are committed in batches, all attached to the run the first batch found or created.
BATCH_FILES = 50

_IN_RUN = (FileStatus.INGESTED, FileStatus.DUPLICATE)


class FileProgress(Protocol):
    """Told about each file once its batch is committed (a batch run again is never counted twice)."""

    def __call__(self, outcome: FileOutcome, /) -> None: ...


@dataclass(frozen=True)
class IngestReportsRequest:
    """Test report files to store into one run of ``project`` (default project from settings)."""

    files: tuple[Path, ...]
    meta: CiMetadata
    project: str | None = None
    #: Files found by a directory or glob (not named): skipped, not rejected, when no test report.
    optional: frozenset[Path] = frozenset()
    #: Files per unit of work (default :data:`BATCH_FILES`).
    batch_files: int | None = None
    #: Organisation of the project (default from settings; the server passes the token's).
    org: str | None = None
    #: The name a file is stored and reported under (an upload's client file name; default: its path).
    names: Mapping[Path, str] | None = None
    #: Create the project when it does not exist (the CLI); ``False``: :class:`NotFoundError` (the server).
    create: bool = True
    #: Called inside the unit of work of every batch that stored reports, with the runs they went into
    #: (sorted), before its commit: what it writes commits (or rolls back) with the reports. The ids it
    #: returns are collected in :attr:`IngestReportsResult.recorded` (the server records the upload's
    #: jobs this way: one transaction instead of two).
    on_stored: Callable[[ProjectScope, tuple[int, ...]], tuple[int, ...]] | None = None


@dataclass(frozen=True)
class IngestReportsResult:
    """What happened to every file, in input order."""

    files: tuple[FileOutcome, ...]
    #: The CI run id the reports were stored under (``None``: a local run, named by Argus's id).
    ci_run_id: str | None = None
    #: What ``request.on_stored`` returned, over every batch (empty without the hook or when nothing was stored).
    recorded: tuple[int, ...] = ()

    def with_status(self, status: FileStatus) -> tuple[FileOutcome, ...]:
        return tuple(o for o in self.files if o.status is status)

    @property
    def any_rejected(self) -> bool:
        return any(o.status is FileStatus.REJECTED for o in self.files)

    @property
    def run_id(self) -> int | None:
        """Argus's id of the run the reports went into (the run of the first stored or duplicate file)."""
        return next((o.run_id for o in self.files if o.status in _IN_RUN), None)

    @property
    def results(self) -> int:
        """Test results stored (attempts of the ingested files)."""
        return sum(o.summary.attempts for o in self.with_status(FileStatus.INGESTED) if o.summary)


def ingest_test_reports(runtime: Runtime, request: IngestReportsRequest,
                        progress: FileProgress | None = None) -> IngestReportsResult:
    """Ingest the request's files in units of work of :data:`BATCH_FILES` files, all into one run.

    Files in ``request.optional`` that are no test report are skipped. A batch aborted by a transient
    database conflict (a deadlock between concurrent writers) is run again whole
    (:meth:`Runtime.in_project`); a batch that fails otherwise rolls back whole, batches before it stay
    committed. The project is created when it does not exist yet (unless ``request.create`` is false).
    """
    from argus.core.db import commit_without_flush_wait
    from argus.ingest.testreports.service import ingest_test_reports as ingest_files

    size = request.batch_files or BATCH_FILES
    files = list(request.files)
    outcomes: list[FileOutcome] = []
    recorded: list[int] = []
    run_id: int | None = None
    for i in range(0, len(files), size):
        batch_files = files[i : i + size]

        def work(scope: ProjectScope, batch_files: list[Path] = batch_files, run_id: int | None = run_id,
                 ) -> tuple[list[FileOutcome], tuple[int, ...]]:
            if not scope.settings.ingest.synchronous_commit:
                commit_without_flush_wait(scope.session)
            done = ingest_files(scope.session, batch_files, request.meta, scope.settings.ingest, run_id=run_id,
                                optional=request.optional, names=request.names)
            if request.on_stored is None:
                return done, ()
            runs = sorted({o.run_id for o in done if o.status is FileStatus.INGESTED and o.run_id is not None})
            return done, (request.on_stored(scope, tuple(runs)) if runs else ())

        batch, hooked = runtime.in_project(request.project, work, create=request.create, org=request.org)
        recorded.extend(hooked)
        if progress is not None:  # after the commit: a batch run again must not count twice
            for outcome in batch:
                progress(outcome)
        outcomes.extend(batch)
        # a duplicate names the run the command joined (the CI run, or a local run being completed)
        run_id = run_id or next((o.run_id for o in batch if o.status in _IN_RUN), None)
    return IngestReportsResult(tuple(outcomes), request.meta.run_id, tuple(recorded))


@dataclass(frozen=True)
class ParsedFile:
    """One file parsed without storing it: its report, or why it was rejected or skipped."""

    path: Path
    report: ParsedReport | None = None
    #: Why it was rejected (the parser's reason) and the full message (names the file).
    error: str | None = None
    message: str | None = None
    #: Why it was skipped (found by a directory or glob, and no test report).
    skipped: str | None = None


def parse_test_reports(settings: IngestSettings, files: tuple[Path, ...],
                       optional: frozenset[Path] = frozenset()) -> tuple[ParsedFile, ...]:
    """Parse every file with the ingest limits of ``settings``; nothing is stored, no database is used."""
    from argus.ingest.testreports import NotATestReportError, ReportParseError, parse_report_file
    from argus.ingest.testreports.service import limits_from

    limits = limits_from(settings)
    parsed: list[ParsedFile] = []
    for path in files:
        try:
            report = parse_report_file(path, limits)
        except ReportParseError as exc:
            if isinstance(exc, NotATestReportError) and path in optional:
                parsed.append(ParsedFile(path, skipped=exc.reason))
            else:
                parsed.append(ParsedFile(path, error=exc.reason, message=str(exc)))
            continue
        parsed.append(ParsedFile(path, report=report))
    return tuple(parsed)
