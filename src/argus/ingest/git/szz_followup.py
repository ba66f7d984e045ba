"""SZZ as a resumable follow-up step: blame the stored fixes that no SZZ pass has considered yet.

``argus ingest git --no-szz`` stores history only; ``argus ingest szz`` then works through the fixes
whose ``Commit.szz_done_at`` is null, oldest first, a batch at a time. The caller runs each batch in
three steps so that no database transaction stays open while git blames: :meth:`SzzFollowUp.select`
(a short read), :meth:`SzzFollowUp.blame` (no session), :meth:`SzzFollowUp.store` (a short write that
replaces the batch's links and marks its fixes done). A batch stored is never redone; a batch cut
short leaves nothing behind, and the next run takes it again. The rules are those of the in-ingest
SZZ (same pipeline, same file filter from the stored numstat, same :func:`label_fixes`), so both
give the same links.

On a history where the first ingest would replay (``git.szz_replay``, a full clone, at least
``git.szz_replay_min_commits`` stored commits: :attr:`SzzFollowUp.replay_tip` is set), the caller
selects every fix of the run at once and blames them by *one* replay of the history up
to ``HEAD`` (a replay per batch would read the history once per batch), then stores the links batch
by batch (:meth:`SzzBatch.split`), each batch committed as before: an interruption during the blame
stores nothing, one during the stores keeps the batches already stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from argus.core.settings import GitSettings
from argus.ingest.git import gitcmd
from argus.ingest.git.labels import LabelOutcome, label_fixes
from argus.ingest.git.logparse import FileChange
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.szz import InducingLink, SzzStats
from argus.ingest.git.szz_pipeline import BlamePipeline
from argus.ingest.git.szz_rules import LinkRules
from argus.store.models import Commit, CommitFile

#: Stored commits from which the blame goes through a temporary commit-graph.
COMMIT_GRAPH_MIN_COMMITS = 1000


def _pending() -> tuple[ColumnElement[bool], ...]:
    return (Commit.is_fix.is_(True), Commit.szz_done_at.is_(None), Commit.present.is_(True),
            Commit.is_merge.is_(False))


def count_pending(session: Session) -> int:
    """Fixes of the project that no SZZ pass has considered yet."""
    return session.scalar(select(func.count()).select_from(Commit).where(*_pending())) or 0


def count_stored(session: Session) -> int:
    """Commits stored for the project (decides whether a commit-graph pays off)."""
    return session.scalar(select(func.count()).select_from(Commit)) or 0


@dataclass(frozen=True)
class SzzBatch:
    """Fixes to blame: ``(commit id, sha, first parent)`` and each one's stored file changes."""

    fixes: tuple[tuple[int, str, str], ...]
    files: dict[int, list[FileChange]]

    def split(self, size: int, links: list[InducingLink]) -> list[tuple[SzzBatch, list[InducingLink]]]:
        """Batches of ``size`` fixes (oldest first, as selected), each with the links of its own fixes
        (a batch no larger than ``size`` is itself, its links as given)."""
        if len(self.fixes) <= max(1, size):
            return [(self, links)]
        by_fix: dict[str, list[InducingLink]] = {}
        for link in links:
            by_fix.setdefault(link.fix_sha, []).append(link)
        out: list[tuple[SzzBatch, list[InducingLink]]] = []
        for i in range(0, len(self.fixes), max(1, size)):
            part = self.fixes[i : i + max(1, size)]
            out.append((SzzBatch(part, {cid: self.files[cid] for cid, _, _ in part if cid in self.files}),
                        [link for _, sha, _ in part for link in by_fix.get(sha, [])]))
        return out


@dataclass
class SzzRunResult:
    """What one ``argus ingest szz`` did (sums over its batches)."""

    repo: str
    pending_before: int = 0
    batches: int = 0
    fixes: int = 0  # fixes considered (blamed, tangled or without source lines)
    fixes_blamed: int = 0
    links: int = 0
    links_unresolved: int = 0
    links_later_than_fix: int = 0
    links_to_over_blamed: int = 0
    fixes_tangled: int = 0
    fixes_no_source: int = 0
    over_blamed: list[str] = field(default_factory=list)
    remaining: int = 0
    replay: bool = False  # blamed by one replay of the history (else one git blame per fix and file)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, batch: SzzBatch, outcome: LabelOutcome) -> None:
        """Count one stored batch."""
        self.batches += 1
        self.fixes += len(batch.fixes)
        self.links += outcome.links
        self.links_unresolved += outcome.unresolved
        self.links_later_than_fix += outcome.later_than_fix
        self.links_to_over_blamed += outcome.to_over_blamed
        self.over_blamed.extend(outcome.over_blamed)

    def add_blame(self, blamed: int, stats: SzzStats) -> None:
        """Count one blame pass (of one batch, or of every batch at once by the replay)."""
        self.fixes_tangled += stats.fixes_tangled
        self.fixes_no_source += stats.fixes_no_source
        self.fixes_blamed += blamed - stats.fixes_tangled - stats.fixes_no_source - stats.fixes_feature_shaped


class SzzFollowUp:
    """Blame pending fixes of one repository, batch by batch (a context manager: owns git processes)."""

    def __init__(self, repo_path: Path, settings: GitSettings, *, stored_commits: int = 0) -> None:
        self.settings = settings
        self.git, self.info = gitcmd.open_repo(repo_path)
        self.blame_git = self.git
        self.stack = ExitStack()
        self.notes: list[str] = []
        self.blame_seconds = 0.0
        self.blamed = 0  # fixes of the last batch handed to the blame pipeline (root commits are not)
        #: blame by one replay of the history up to this commit (the first ingest's conditions)
        self.replay_tip: str | None = None
        if settings.szz_replay and not self.info.shallow and stored_commits >= settings.szz_replay_min_commits:
            self.replay_tip = gitcmd.resolve_commit(self.git, "HEAD")
        if settings.szz_commit_graph and stored_commits >= COMMIT_GRAPH_MIN_COMMITS and self.replay_tip is None:
            graph = self.stack.enter_context(gitcmd.temporary_commit_graph(self.git, self.info))
            if graph is None:
                self.notes.append("git could not build a commit-graph (git >= 2.27 needed): SZZ ran without it")
            else:
                self.blame_git = graph

    def __enter__(self) -> SzzFollowUp:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stack.close()

    def select(self, session: Session, limit: int) -> SzzBatch:
        """The next ``limit`` pending fixes, oldest first, with their stored files."""
        rows = session.execute(
            select(Commit.id, Commit.sha, Commit.parents).where(*_pending())
            .order_by(Commit.committer_time, Commit.id).limit(max(1, limit))
        ).all()
        fixes = tuple((cid, sha, parents[0] if parents else "") for cid, sha, parents in rows)
        files: dict[int, list[FileChange]] = {}
        ids = [cid for cid, _, _ in fixes]
        for i in range(0, len(ids), 500):
            for f in session.scalars(select(CommitFile).where(CommitFile.commit_id.in_(ids[i : i + 500]))
                                     .order_by(CommitFile.id)):
                files.setdefault(f.commit_id, []).append(FileChange(
                    f.path, f.old_path, f.change_type, f.lines_added, f.lines_deleted, f.is_binary, "", ""))
        return SzzBatch(fixes, files)

    def blame(self, batch: SzzBatch, progress: Callable[[int, int], None] | None = None
              ) -> tuple[list[InducingLink], SzzStats]:
        """Blame the batch (no database access): its links and what was skipped."""
        t0 = time.perf_counter()
        pipeline = BlamePipeline(self.blame_git, SourceFilter.from_settings(self.settings),
                                 max_files=self.settings.szz_max_files, workers=self.settings.szz_workers,
                                 add_context=self.settings.szz_add_only_context,
                                 max_fix_added=self.settings.szz_max_fix_added,
                                 max_inducing_per_fix=self.settings.szz_max_inducing_per_fix,
                                 min_link_share=self.settings.szz_min_link_share, replay_tip=self.replay_tip,
                                 replay_max_states=self.settings.szz_replay_max_branches,
                                 rules=LinkRules.from_settings(self.settings))
        try:
            self.blamed = 0
            for cid, sha, parent in batch.fixes:
                if parent:  # a root commit has nothing to blame
                    self.blamed += 1
                    pipeline.add(sha, parent, batch.files.get(cid, []))
            links = pipeline.finish(progress)
        finally:
            pipeline.close()
        self.blame_seconds = time.perf_counter() - t0
        return links, pipeline.stats

    def store(self, session: Session, batch: SzzBatch, links: list[InducingLink]) -> LabelOutcome:
        """Replace the batch's links and mark its fixes done (the caller commits)."""
        return label_fixes(session, list(batch.fixes), links,
                           max_fixes_per_inducing=self.settings.szz_max_fixes_per_inducing,
                           max_inducing_files=self.settings.szz_max_inducing_files,
                           before_report=self.settings.szz_before_report, pick=self.settings.szz_pick)
