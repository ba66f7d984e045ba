"""Use cases of git history: ingest it (commits, files, JIT features, fix labels, SZZ links), run SZZ as a
resumable follow-up, and read the stored changes."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from argus.ingest.git.queries import ChangeDetail, ChangeSummary
from argus.ingest.issues.service import RelinkResult

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.ingest.git.labels import LabelOutcome
    from argus.ingest.git.szz import InducingLink
    from argus.ingest.git.szz_followup import SzzBatch, SzzFollowUp

T = TypeVar("T")

__all__ = [
    "ChangeDetail", "ChangeSummary", "GitProgress", "HistoryIngested", "IngestHistoryRequest", "ListChangesRequest",
    "SzzRequest", "SzzRun", "ingest_history", "list_changes", "run_szz", "show_change",
]


class GitProgress(Protocol):
    """Told now and then how far a phase is: ``commits`` (history read), ``szz`` (fixes blamed while
    ingesting history), ``szz-done`` (fixes done by :func:`run_szz`); ``total`` 0 when unknown."""

    def __call__(self, phase: str, done: int, total: int, /) -> None: ...


@dataclass(frozen=True)
class IngestHistoryRequest:
    project: str | None = None
    #: Repository (work tree or bare); ``None``: the project's stored path, else ``fallback_repo``.
    repo: Path | None = None
    #: The repository when none is given nor stored (the CLI: the current directory).
    fallback_repo: Path | None = None
    #: Only commits after this revision, or from this ISO date on.
    since: str | None = None
    #: Branch or revision (default: the repository's current branch).
    branch: str | None = None
    #: Label bug-inducing commits (``None``: from settings).
    szz: bool | None = None


@dataclass(frozen=True)
class HistoryIngested:
    """What one history ingestion did (the fields of :class:`argus.ingest.git.service.GitIngestResult`)."""

    repo: str
    branch: str
    head: str
    mode: str  # full | incremental | rebuild | up-to-date
    previous_tip: str | None
    commits_read: int
    commits_new: int
    merges: int
    files: int
    features: int
    fixes: int
    marked_absent: int
    restored: int
    links: int
    links_unresolved: int
    fixes_blamed: int
    fixes_tangled: int
    fixes_no_source: int
    links_later_than_fix: int
    links_after_report: int
    links_too_large: int
    issue_links: RelinkResult | None
    over_blamed: tuple[str, ...]
    blob_reads: int
    malformed: int
    bare: bool
    shallow: bool
    notes: tuple[str, ...]
    seconds: dict[str, float]


def _frozen(cls: type[T], value: object) -> T:
    """``value`` (a mutable result dataclass) as the frozen read model ``cls`` with the same fields."""
    fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: tuple(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
                  for k, v in fields.items()})


def _repo(request_repo: Path | None, stored: str | None, fallback: Path | None) -> Path:
    return request_repo or (Path(stored) if stored else fallback or Path.cwd())


def ingest_history(runtime: Runtime, request: IngestHistoryRequest,
                   progress: GitProgress | None = None) -> HistoryIngested:
    """Ingest the branch's history into the project (created when missing) in one unit of work.

    The unit of work is tried once (a long ingestion is not run again from scratch after a conflict).
    """
    from argus.ingest.git.service import ingest_git

    def work(scope: ProjectScope) -> HistoryIngested:
        path = _repo(request.repo, scope.project.repo_path, request.fallback_repo)
        result = ingest_git(scope.session, path, scope.settings.git, branch=request.branch, since=request.since,
                            szz=request.szz, progress=progress, issues=scope.settings.issues)
        return _frozen(HistoryIngested, result)

    return runtime.in_project(request.project, work, create=True, attempts=1)


@dataclass(frozen=True)
class SzzRequest:
    project: str | None = None
    #: Repository; ``None``: the project's stored path, else ``fallback_repo`` (the CLI: current directory).
    repo: Path | None = None
    fallback_repo: Path | None = None
    #: Fixes per batch; each batch is committed on its own, so an interruption loses at most one.
    batch: int = 50
    #: Stop after this many fixes (a later run continues); ``None``: all pending.
    max_fixes: int | None = None


@dataclass(frozen=True)
class SzzRun:
    """What one SZZ follow-up did (the fields of :class:`argus.ingest.git.szz_followup.SzzRunResult`)."""

    repo: str
    pending_before: int
    batches: int
    fixes: int  # fixes considered (blamed, tangled or without source lines)
    fixes_blamed: int
    links: int
    links_unresolved: int
    links_later_than_fix: int
    links_to_over_blamed: int
    fixes_tangled: int
    fixes_no_source: int
    over_blamed: tuple[str, ...]
    remaining: int
    replay: bool  # blamed by one replay of the history (else one git blame per fix and file)
    seconds: dict[str, float]


def run_szz(runtime: Runtime, request: SzzRequest, progress: GitProgress | None = None) -> SzzRun:
    """Blame pending fixes batch by batch: read (a short unit of work), blame (no transaction), store
    (a short unit of work, committed). Each unit of work runs again after a transient conflict. When the
    replay applies, every fix of the run is read and blamed at once (one replay), then stored batch by batch."""
    from argus.ingest.git.szz_followup import SzzFollowUp, SzzRunResult, count_pending, count_stored

    project = request.project
    started = time.perf_counter()
    stored_path, pending, commits = runtime.in_project(project, lambda sc: (
        sc.project.repo_path, count_pending(sc.session), count_stored(sc.session)))
    path = _repo(request.repo, stored_path, request.fallback_repo)
    result = SzzRunResult(repo=str(path), pending_before=pending)
    limit = min(pending, request.max_fixes) if request.max_fixes is not None else pending
    with SzzFollowUp(path, runtime.settings.git, stored_commits=commits) as job:
        # With the replay every fix of the run is read and blamed at once, then stored batch by batch.
        replay = job.replay_tip is not None
        blame_progress = ((lambda done, n: progress("szz", done, n))
                          if progress is not None and replay else None)
        while result.fixes < limit:
            if progress is not None:
                progress("szz-done", result.fixes, limit)
            size = limit - result.fixes if replay else min(request.batch, limit - result.fixes)
            todo = runtime.in_project(project, partial(_select, job, size))
            if not todo.fixes:
                break
            links, stats = job.blame(todo, blame_progress)
            result.add_blame(job.blamed, stats)
            result.replay = replay
            for i, (part, part_links) in enumerate(todo.split(request.batch, links)):
                if progress is not None and i:
                    progress("szz-done", result.fixes, limit)
                result.add(part, runtime.in_project(project, partial(_store, job, part, part_links)))
        if progress is not None and result.fixes:
            progress("szz-done", result.fixes, result.fixes)
    result.remaining = runtime.in_project(project, lambda sc: count_pending(sc.session))
    result.seconds["total"] = time.perf_counter() - started
    return _frozen(SzzRun, result)


def _select(job: SzzFollowUp, size: int, scope: ProjectScope) -> SzzBatch:
    return job.select(scope.session, size)


def _store(job: SzzFollowUp, todo: SzzBatch, links: list[InducingLink], scope: ProjectScope) -> LabelOutcome:
    return job.store(scope.session, todo, links)


@dataclass(frozen=True)
class ListChangesRequest:
    project: str | None = None
    #: ISO date, ``30d`` / ``2w`` / ``12h``, or a commit sha.
    since: str | None = None
    limit: int = 50
    fixes_only: bool = False
    #: Include commits a force-push removed.
    include_absent: bool = False


def list_changes(runtime: Runtime, request: ListChangesRequest) -> tuple[ChangeSummary, ...]:
    """Stored changes newest first, with size, fix flag and how many later fixes blamed them."""
    from argus.ingest.git import queries

    def work(scope: ProjectScope) -> tuple[ChangeSummary, ...]:
        return tuple(queries.list_changes(
            scope.session, since=queries.parse_since(scope.session, request.since), limit=request.limit,
            fixes_only=request.fixes_only, include_absent=request.include_absent))

    return runtime.in_project(request.project, work)


def show_change(runtime: Runtime, sha: str, project: str | None = None) -> ChangeDetail:
    """One change (sha or unambiguous prefix): features, files and SZZ links both ways."""
    from argus.ingest.git.queries import change_detail

    return runtime.in_project(project, lambda scope: change_detail(scope.session, sha))
