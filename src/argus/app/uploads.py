"""Use case: store the report files of one upload (the server's ``POST …/uploads``), whatever their kind.

The front door has already saved every file to disk (never whole in memory). Each file's kind is told
from its content (:func:`argus.ingest.detect.detect_report_kind`) and the file goes to the same use case
the CLI runs for it: test reports to :func:`argus.app.ingest_tests.ingest_test_reports`, coverage and
vulnerability scans to :func:`argus.app.ingest_artifacts.ingest_artifacts` — so parsing, limits,
idempotency (run + content hash) and dead letters are those of ``argus ingest``. A file of no kind
Argus reads, or one the front door cut at ``ingest.max_file_bytes``, is rejected with its dead letter.
Files keep the client's name (not the path of their temporary copy) in storage and in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from argus.ingest.detect import ReportKind

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.ingest.ci_env import CiMetadata

__all__ = ["UploadOutcome", "UploadRequest", "UploadResult", "UploadedFile", "store_upload"]

INGESTED, DUPLICATE, REJECTED = "ingested", "duplicate", "rejected"


@dataclass(frozen=True)
class UploadedFile:
    """One file of an upload, saved by the front door."""

    name: str  # as the client named it
    path: Path  # the saved copy
    size: int  # bytes received (at most ``max_file_bytes + 1`` when ``oversize``)
    #: The front door stopped saving it past ``ingest.max_file_bytes``.
    oversize: bool = False


@dataclass(frozen=True)
class UploadRequest:
    project: str
    files: tuple[UploadedFile, ...]
    meta: CiMetadata
    #: Organisation of the project (the token's); default from settings.
    org: str | None = None
    #: Called inside the unit of work that stores the test reports, with the runs they went into, when
    #: the upload holds test reports only (one unit of work: its writes commit with the results); its
    #: ids end up in :attr:`UploadResult.recorded`. The server records the upload's jobs this way.
    on_stored: Callable[[ProjectScope, tuple[int, ...]], tuple[int, ...]] | None = None


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one file: stored, already stored (duplicate) or rejected (with the reason)."""

    file: str
    status: str  # ingested | duplicate | rejected
    kind: str | None = None  # tests | coverage | vulns (None: not recognised)
    format: str | None = None
    reason: str | None = None
    run_id: int | None = None
    report_id: int | None = None
    #: Test results stored (tests), source files (coverage) or findings (vulns) of this report.
    items: int | None = None


@dataclass(frozen=True)
class UploadResult:
    project: str
    ci_run_id: str | None
    files: tuple[UploadOutcome, ...] = field(default=())
    #: What ``request.on_stored`` returned (empty when it was called and nothing was stored); ``None``
    #: when it was not called in the unit of work (no hook, or files of other kinds in the upload).
    recorded: tuple[int, ...] | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.files if o.status == status)

    @property
    def stored(self) -> int:
        return self.count(INGESTED)

    @property
    def rejected(self) -> int:
        return self.count(REJECTED)

    @property
    def duplicates(self) -> int:
        return self.count(DUPLICATE)

    @property
    def run_ids(self) -> tuple[int, ...]:
        """Runs that received new reports (sorted)."""
        return tuple(sorted({o.run_id for o in self.files if o.status == INGESTED and o.run_id is not None}))

    @property
    def results(self) -> int:
        """Test results stored by this upload."""
        return sum(o.items or 0 for o in self.files if o.status == INGESTED and o.kind == ReportKind.TESTS.value)


def _record_refusals(runtime: Runtime, request: UploadRequest, refused: list[tuple[UploadedFile, str]]) -> None:
    """Check the project exists (404 otherwise) and record the dead letters of the refused files."""
    from argus.core.enums import DeadLetterSource
    from argus.core.hashing import sha256_file
    from argus.ingest.deadletter import HEAD_BYTES, record_dead_letter

    def work(scope: ProjectScope) -> None:
        for f, reason in refused:
            with f.path.open("rb") as fh:
                head = fh.read(HEAD_BYTES)
            digest = None if f.oversize else sha256_file(f.path)
            record_dead_letter(scope.session, DeadLetterSource.TEST_REPORT, f.name, reason, content_hash=digest,
                               size_bytes=None if f.oversize else f.size, excerpt=head)

    runtime.in_project(request.project, work, org=request.org)


def store_upload(runtime: Runtime, request: UploadRequest) -> UploadResult:
    """Store every file of the upload (see the module doc); the outcomes in the request's file order.

    Raises :class:`~argus.core.errors.NotFoundError` when the project does not exist in the organisation
    (nothing is stored then).
    """
    from argus.app.ingest_artifacts import ArtifactKind, IngestArtifactsRequest, ingest_artifacts
    from argus.app.ingest_tests import BATCH_FILES, IngestReportsRequest, ingest_test_reports
    from argus.ingest.detect import detect_report_kind

    limit = runtime.settings.ingest.max_file_bytes
    by_path: dict[Path, UploadOutcome] = {}
    groups: dict[ReportKind, list[UploadedFile]] = {k: [] for k in ReportKind}
    refused: list[tuple[UploadedFile, str]] = []
    for f in request.files:
        if f.oversize:
            refused.append((f, f"larger than the limit of {limit} bytes (ingest.max_file_bytes)"))
            continue
        detected = detect_report_kind(f.path)
        if detected.kind is None:
            refused.append((f, detected.reason or "unknown content"))
        else:
            groups[detected.kind].append(f)
    if refused:  # first: an unknown project stores nothing (and every use case below refuses it too)
        _record_refusals(runtime, request, refused)
    for f, reason in refused:
        by_path[f.path] = UploadOutcome(f.name, REJECTED, reason=reason)

    tests = groups[ReportKind.TESTS]
    # the hook runs in the tests' unit of work only when nothing else of the upload makes runs
    hooked = request.on_stored is not None and bool(tests) and len(tests) <= BATCH_FILES and not any(
        groups[k] for k in (ReportKind.COVERAGE, ReportKind.VULNERABILITIES))
    recorded: tuple[int, ...] | None = None
    if tests:
        names = {f.path: f.name for f in tests}
        res = ingest_test_reports(runtime, IngestReportsRequest(
            tuple(f.path for f in tests), request.meta, request.project, org=request.org, names=names, create=False,
            on_stored=request.on_stored if hooked else None))
        recorded = res.recorded if hooked else None
        for f, o in zip(tests, res.files, strict=True):
            by_path[f.path] = UploadOutcome(
                f.name, o.status.value, ReportKind.TESTS.value, o.format.value if o.format else None,
                None if o.status.value == INGESTED else o.reason, o.run_id, o.report_id,
                o.summary.attempts if o.summary else None)
    for kind, artifact in ((ReportKind.COVERAGE, ArtifactKind.COVERAGE),
                           (ReportKind.VULNERABILITIES, ArtifactKind.VULNERABILITIES)):
        files = groups[kind]
        if not files:
            continue
        names = {f.path: f.name for f in files}
        art = ingest_artifacts(runtime, IngestArtifactsRequest(
            artifact, tuple(f.path for f in files), request.meta, request.project, org=request.org, names=names,
            create=False))
        for f, a in zip(files, art.files, strict=True):
            rep = a.report
            items = None
            if rep is not None:
                items = rep.files if kind is ReportKind.COVERAGE else rep.counts.get("total")  # type: ignore[union-attr]
            by_path[f.path] = UploadOutcome(
                f.name, a.status.value, kind.value, rep.format if rep else None,
                a.reason if a.status.value == REJECTED else (
                    f"already stored as report {rep.report_id} of run {rep.run_id} (same content)"
                    if rep and a.status.value == DUPLICATE else None),
                rep.run_id if rep else None, rep.report_id if rep else None, items)
    return UploadResult(request.project, request.meta.run_id, tuple(by_path[f.path] for f in request.files),
                        recorded)


#: Upload form fields that carry CI metadata (besides ``env.NAME`` fields), and the longest value.
METADATA_FIELDS = ("provider", "commit", "branch", "run_id", "job", "job_id", "attempt", "url", "pr", "base")
MAX_FIELD_CHARS = 2000
#: Most ``env.*`` fields of one upload.
MAX_ENV_FIELDS = 100


def upload_metadata(fields: list[tuple[str, str]]) -> CiMetadata:
    """The CI metadata of an upload's form fields (``commit``, ``branch``, ``run_id``, ``job``, ``job_id``,
    ``attempt``, ``provider``, ``url``, ``pr``, ``base``, ``env.NAME``); :class:`InputError` names a bad one.

    ``pr`` and ``base`` are kept in the run's environment (``pr``, ``base_branch``), like the CI
    detectors do. A ``run_id`` without ``provider`` gets provider ``api`` (part of the run's identity).
    """
    from argus.core.errors import InputError
    from argus.core.values import MAX_CI_TEXT, MAX_INT32, is_commit_sha
    from argus.ingest.ci_env import CiMetadata, bounded_metadata

    values: dict[str, str] = {}
    env: dict[str, str] = {}
    for name, raw in fields:
        value = raw.strip()
        if len(value) > MAX_FIELD_CHARS or not value.isprintable():
            raise InputError(f"field {name!r}: expected at most {MAX_FIELD_CHARS} printable characters")
        if name.startswith("env."):
            key = name[4:]
            if not key or len(key) > 100 or not key.isprintable():
                raise InputError(f"field {name!r}: expected env.NAME with a name of 1 to 100 printable characters")
            env[key] = value
            if len(env) > MAX_ENV_FIELDS:
                raise InputError(f"at most {MAX_ENV_FIELDS} env.* fields")
        elif name in METADATA_FIELDS:
            if name in values:
                raise InputError(f"field {name!r} given twice")
            values[name] = value
        else:
            known = ", ".join((*METADATA_FIELDS, "env.NAME", "files"))
            raise InputError(f"unknown field {name!r}: expected {known}")
    for name in ("run_id", "job", "job_id", "branch", "provider", "pr", "base"):
        if len(values.get(name, "")) > MAX_CI_TEXT:
            raise InputError(f"field {name!r}: {len(values[name])} characters, expected at most {MAX_CI_TEXT}")
    commit = values.get("commit") or None
    if commit is not None and not is_commit_sha(commit):
        raise InputError(f"field 'commit' {commit[:80]!r}: expected 4 to 64 hexadecimal digits")
    attempt = 1
    if values.get("attempt"):
        text = values["attempt"]
        if not (text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_INT32):
            raise InputError(f"field 'attempt' {text[:80]!r}: expected a whole number from 1 to {MAX_INT32}")
        attempt = int(text)
    if values.get("pr"):
        env.setdefault("pr", values["pr"])
    if values.get("base"):
        env.setdefault("base_branch", values["base"])
    run_id = values.get("run_id") or None
    provider = values.get("provider") or ("api" if run_id else None)
    return bounded_metadata(CiMetadata(
        provider=provider, run_id=run_id, job=values.get("job") or None, attempt=attempt, commit_sha=commit,
        branch=values.get("branch") or None, url=values.get("url") or None, environment=env,
        job_id=values.get("job_id") or None))


def metadata_fields(meta: CiMetadata) -> list[tuple[str, str]]:
    """The upload form fields of ``meta`` (the inverse of :func:`upload_metadata`, for clients)."""
    pairs = [("provider", meta.provider), ("commit", meta.commit_sha), ("branch", meta.branch),
             ("run_id", meta.run_id), ("job", meta.job), ("job_id", meta.job_id), ("url", meta.url)]
    fields = [(k, v) for k, v in pairs if v]
    if meta.attempt != 1:
        fields.append(("attempt", str(meta.attempt)))
    fields += [(f"env.{k}", v) for k, v in sorted(meta.environment.items()) if v and k]
    return [(k, "".join(c for c in v if c.isprintable())[:MAX_FIELD_CHARS]) for k, v in fields]
