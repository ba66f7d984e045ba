"""Run SZZ while history is still being read: blame fixes in the background, on the other core.

The history pass finds fix commits oldest first. Each fix goes through a cheap filter on what the
history pass already knows (its files and numstat): fixes that delete no line of a source file, or
that change more than ``max_files`` source files (tangled), are never patched nor blamed. The rest
are queued; a feeder thread reads their ``-U0`` patches in batches (one ``git log --no-walk --stdin``
per batch) and hands one ``git blame`` per (fix, file) to a small thread pool of ``workers`` git
processes. With ``add_context`` > 0, fixes that only add lines to existing source files are patched
too, and the code around their insertions is blamed (:mod:`argus.ingest.git.szz`, a weaker link
kind). :meth:`BlamePipeline.finish` waits for what is left and returns every link.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from argus.ingest.git.gitcmd import Git
from argus.ingest.git.logparse import FileChange
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.szz import (
    CONTEXT,
    FixFile,
    InducingLink,
    SzzStats,
    blame_file,
    fix_patch_args,
    parse_fix_patches,
)

#: Fixes per patch-reading batch (one git process each).
BATCH = 100

_Task = tuple[str, FixFile, "Future[dict[int, str]]"]


class BlamePipeline:
    """Queue fixes as they are found; blame them in the background; collect links at the end."""

    def __init__(self, git: Git, source: SourceFilter | None, *, max_files: int, workers: int,
                 add_context: int = 0) -> None:
        self.git, self.source, self.max_files, self.add_context = git, source, max_files, add_context
        self.stats = SzzStats()  # counted by the caller's thread (add)
        self.feeder_stats = SzzStats()  # counted by the feeder thread, merged by finish()
        self.parent_of: dict[str, str] = {}
        self.pending: list[str] = []
        self.tasks: list[_Task] = []
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="argus-blame")
        self.batches: queue.Queue[list[str] | None] = queue.Queue()
        self.error: BaseException | None = None
        self.stopped = threading.Event()
        self.feeder = threading.Thread(target=self._feed, name="argus-szz-feeder", daemon=True)
        self.feeder.start()

    def add(self, sha: str, parent: str, files: Sequence[FileChange]) -> None:
        """Consider one fix (its first parent and the files the history pass saw it change)."""
        wanted = [f for f in files if (f.added or f.deleted or f.change_type in ("A", "D"))
                  and (self.source is None or self.source.wanted(f.old_path or f.path) or self.source.wanted(f.path))]
        if len(wanted) > self.max_files:
            self.stats.fixes_tangled += 1
            return
        if not any((f.deleted > 0 or (self.add_context > 0 and f.added > 0)) and f.change_type != "A"
                   for f in wanted):
            self.stats.fixes_no_source += 1
            return
        self.parent_of[sha] = parent
        self.pending.append(sha)
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.batches.put(self.pending)
            self.pending = []

    def _feed(self) -> None:
        try:
            while (batch := self.batches.get()) is not None:
                if self.stopped.is_set():
                    continue
                stdin = "".join(f"{sha}\n" for sha in batch).encode()
                stats = self.feeder_stats
                patches = parse_fix_patches(self.git.stream(fix_patch_args(), stdin=stdin), self.source, stats,
                                            self.add_context)
                for patch in patches:
                    if patch.sha not in self.parent_of or self.stopped.is_set():
                        continue
                    if not patch.files:
                        stats.fixes_no_source += 1
                        continue
                    if patch.files[0].kind == CONTEXT:
                        stats.fixes_add_only += 1
                    for f in patch.files:
                        future = self.pool.submit(blame_file, self.git, self.parent_of[patch.sha], f)
                        self.tasks.append((patch.sha, f, future))
                        stats.blame_calls += 1
        except BaseException as exc:  # re-raised by finish()
            self.error = exc

    def finish(self, progress: Callable[[int, int], None] | None = None) -> list[InducingLink]:
        """Wait for every blame; the links (fix sha → inducing sha, path, lines)."""
        self._flush()
        self.batches.put(None)
        self.feeder.join()
        if self.error is not None:
            self.close()
            raise self.error
        for name in ("fixes_tangled", "fixes_no_source", "fixes_add_only", "lines_cosmetic", "blame_calls"):
            setattr(self.stats, name, getattr(self.stats, name) + getattr(self.feeder_stats, name))
        left: dict[str, int] = {}
        for sha, _, _ in self.tasks:
            left[sha] = left.get(sha, 0) + 1
        total, done = len(left), 0
        if progress is not None:
            progress(0, total)
        links: list[InducingLink] = []
        try:
            for fix_sha, fix_file, future in self.tasks:
                owners = future.result()
                by_commit: dict[str, list[int]] = {}
                for line in fix_file.lines:
                    owner = owners.get(line)
                    if owner is not None and owner != fix_sha:
                        by_commit.setdefault(owner, []).append(line)
                links.extend(InducingLink(fix_sha, sha, fix_file.path, tuple(lines), fix_file.kind)
                             for sha, lines in by_commit.items())
                left[fix_sha] -= 1
                if left[fix_sha] == 0:
                    done += 1
                    if progress is not None:
                        progress(done, total)
        finally:
            self.close()
        return links

    def close(self) -> None:
        """Stop: cancel queued blames and wait for running ones (after an error, or when done)."""
        self.stopped.set()
        if self.feeder.is_alive():
            self.batches.put(None)
            self.feeder.join()
        self.pool.shutdown(wait=True, cancel_futures=True)
