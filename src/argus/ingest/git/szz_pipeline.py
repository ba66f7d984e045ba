"""Run SZZ while history is still being read: blame fixes in the background, on the other core.

The history pass finds fix commits oldest first. Each fix goes through a cheap filter on what the
history pass already knows (its files and numstat): fixes that delete no line of a source file, or
that change more than ``max_files`` source files (tangled), are never patched nor blamed. The rest
are queued; a feeder thread reads their ``-U0`` patches in batches (one ``git log --no-walk --stdin``
per batch) and hands one ``git blame`` per (fix, file) to a small thread pool of ``workers`` git
processes. With ``add_context`` > 0, fixes that only add lines to existing source files are patched
too, and the code around their insertions is blamed (:mod:`argus.ingest.git.szz`, a weaker link
kind). :meth:`BlamePipeline.finish` waits for what is left and returns every link.

With a replay (``replay_tip``, :mod:`argus.ingest.git.replay`), a thread replays the history
*while* the history pass runs: at each commit it waits until the history pass has
decided that commit (:meth:`BlamePipeline.passed`; everything counts as decided once
:meth:`BlamePipeline.finish` is called), and a fix's lines are taken from the replay's own ``-U0 -w``
patch of it (the same diff the patch reader would read), so fixes need no patch read and no blame
(but for what the replay cannot answer: see :mod:`argus.ingest.git.replay`). Fixes the replay never
reached are patched and blamed after it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from argus.ingest.git.gitcmd import CatFile, Git
from argus.ingest.git.logparse import FileChange
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.replay import ReplayResult, replay_owners
from argus.ingest.git.szz import (
    CONTEXT,
    START,
    FixFile,
    InducingLink,
    SzzStats,
    blame_file,
    fix_patch_args,
    is_code,
    parse_fix_patches,
)
from argus.ingest.git.szz_rules import LinkRules

#: Fixes per patch-reading batch (one git process each).
BATCH = 100

_Task = tuple[str, FixFile, "Future[dict[int, str]]"]
#: Seconds the replay waits for the history pass between checks (it is also woken when its commit is decided).
_WAIT_S = 0.05


class _Stopped(Exception):
    """The pipeline was closed while the replay ran."""


class BlamePipeline:
    """Queue fixes as they are found; blame them in the background; collect links at the end."""

    def __init__(self, git: Git, source: SourceFilter | None, *, max_files: int, workers: int,
                 add_context: int = 0, max_fix_added: int = 0, max_inducing_per_fix: int = 0,
                 min_link_share: float = 0.0, replay_tip: str | None = None,
                 replay_max_states: int | None = None, rules: LinkRules | None = None) -> None:
        self.git, self.source, self.max_files, self.add_context = git, source, max_files, add_context
        self.max_fix_added, self.max_inducing_per_fix = max_fix_added, max_inducing_per_fix
        self.min_link_share = min_link_share
        self.rules = rules or LinkRules()  # labelling refinements (argus.ingest.git.szz_rules)
        self.replay_tip = replay_tip  # blame by one replay of the history up to this commit
        self.replay_max_states = replay_max_states
        self.requests: dict[str, tuple[FixFile, ...]] = {}  # fixes waiting for the replay
        self.replay: ReplayResult | None = None
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
        self.replay_stats = SzzStats()  # counted by the replay thread
        self.decided: set[str] = set()  # commits the history pass is done with
        self.replayed: set[str] = set()  # fixes the replay reached (answered, or nothing to blame)
        self.history_done = threading.Event()
        self.wake = threading.Event()
        self.waiting: str | None = None
        self.replayer: threading.Thread | None = None
        if replay_tip is not None:
            self.replayer = threading.Thread(target=self._run_replay, name="argus-szz-replay", daemon=True)
            self.replayer.start()

    def add(self, sha: str, parent: str, files: Sequence[FileChange]) -> None:
        """Consider one fix (its first parent and the files the history pass saw it change)."""
        wanted = [f for f in files if (f.added or f.deleted or f.change_type in ("A", "D"))
                  and (self.source is None or self.source.wanted(f.old_path or f.path) or self.source.wanted(f.path))]
        if len(wanted) > self.max_files:
            self.stats.fixes_tangled += 1
            return
        added = sum(f.added for f in wanted)
        if 0 < self.max_fix_added < added and added >= 2 * sum(f.deleted for f in wanted):
            self.stats.fixes_feature_shaped += 1  # a feature filed as a bug (Herzig et al. 2013): not blamed
            return
        if not any((f.deleted > 0 or (self.add_context > 0 and f.added > 0)) and f.change_type != "A"
                   for f in wanted):
            self.stats.fixes_no_source += 1
            return
        self.parent_of[sha] = parent
        if self.replayer is not None:  # patched from the replay's own stream (or after it, if never reached)
            return
        self.pending.append(sha)
        if len(self.pending) >= BATCH:
            self._flush()

    def passed(self, sha: str) -> None:
        """The history pass is done with commit ``sha`` (after :meth:`add`, if it is a fix)."""
        if self.replayer is not None:
            self.decided.add(sha)
            if self.waiting == sha:
                self.wake.set()

    def _run_replay(self) -> None:
        assert self.replay_tip is not None
        try:
            self.replay = replay_owners(self.git, self.replay_tip, self._ask, None, max_states=self.replay_max_states)
        except _Stopped:
            pass
        except BaseException as exc:  # re-raised by finish()
            self.error = exc

    def _ask(self, sha: str, record: bytes) -> tuple[FixFile, ...] | None:
        """At a commit of the chain: once the history pass has decided it, the lines to answer if it is a fix."""
        while sha not in self.decided and not self.history_done.is_set():
            self.waiting = sha
            self.wake.clear()
            if sha in self.decided or self.history_done.is_set():
                break
            self.wake.wait(_WAIT_S)
            if self.stopped.is_set():
                raise _Stopped
        self.waiting = None
        self.decided.discard(sha)  # each commit is asked about once: the set stays as small as the replay's lag
        if self.stopped.is_set():
            raise _Stopped
        if sha not in self.parent_of:
            return None
        self.replayed.add(sha)
        end = record.find(b"\n")
        body = record[end:] if end >= 0 else b""
        patch = next(parse_fix_patches([START + sha.encode() + body], self.source, self.replay_stats,
                                       self.add_context, self.rules.context_per_file))
        if not patch.files:
            self.replay_stats.fixes_no_source += 1
            return None
        if patch.files[0].kind == CONTEXT:
            self.replay_stats.fixes_add_only += 1
        self.requests[sha] = patch.files
        return patch.files

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
                                            self.add_context, self.rules.context_per_file)
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
        if self.replayer is not None:
            self.history_done.set()
            self.wake.set()
            self.replayer.join()
            if self.error is None:  # fixes the replay never reached: patched and blamed one by one
                self.pending.extend(sha for sha in self.parent_of if sha not in self.replayed)
        self._flush()
        self.batches.put(None)
        self.feeder.join()
        if self.error is not None:
            self.close()
            raise self.error
        resolved: list[tuple[str, FixFile, dict[int, str]]] = []
        if self.replay is not None:
            resolved = self._replay()
        for name in ("fixes_tangled", "fixes_no_source", "fixes_add_only", "lines_cosmetic", "blame_calls",
                     "fixes_feature_shaped", "fixes_over_blaming", "links_low_share"):
            setattr(self.stats, name, getattr(self.stats, name) + getattr(self.feeder_stats, name)
                    + getattr(self.replay_stats, name))
        left: dict[str, int] = {}
        for sha, _, _ in self.tasks:
            left[sha] = left.get(sha, 0) + 1
        total, done = len(left), 0
        if progress is not None:
            progress(0, total)
        links: list[InducingLink] = []
        for fix_sha, fix_file, owners in resolved:
            links.extend(_links(fix_sha, fix_file, owners))
        try:
            for fix_sha, fix_file, future in self.tasks:
                links.extend(_links(fix_sha, fix_file, future.result()))
                left[fix_sha] -= 1
                if left[fix_sha] == 0:
                    done += 1
                    if progress is not None:
                        progress(done, total)
        finally:
            self.close()
        return self._cap_per_fix(self._by_share(links))

    def _replay(self) -> list[tuple[str, FixFile, dict[int, str]]]:
        """Owners of the fixes' lines found by the replay; the lines it could not answer go to git blame."""
        assert self.replay is not None
        by_key = {(sha, f.path): f for sha, files in self.requests.items() for f in files}
        merge_blames = {key: self.pool.submit(blame_file, self.git, key[0], FixFile(key[1], tuple(sorted(lines))))
                        for key, lines in self.replay.merge_lines.items()}
        self.feeder_stats.blame_calls += len(merge_blames)
        at_merge = {key: future.result() for key, future in merge_blames.items()}
        for (sha, path, line), (merge, mpath, mline) in self.replay.via_merge.items():
            owner = at_merge[(merge, mpath)].get(mline)
            if owner is not None:
                self.replay.owners[(sha, path)][line] = owner
        resolved: list[tuple[str, FixFile, dict[int, str]]] = []
        catfile = CatFile(self.git)
        try:
            for (sha, path), owners in self.replay.owners.items():
                f = by_key[(sha, path)]
                if f.kind == CONTEXT and owners:  # context lines that carry no code are left out, as blame does
                    text = (catfile.read(f"{self.parent_of[sha]}:{path}") or b"").split(b"\n")
                    owners = {n: o for n, o in owners.items() if n <= len(text) and is_code(path, text[n - 1])}
                resolved.append((sha, f, owners))
        finally:
            catfile.close()
        for sha, f in self.replay.to_blame:
            future = self.pool.submit(blame_file, self.git, self.parent_of[sha], f)
            self.tasks.append((sha, f, future))
            self.feeder_stats.blame_calls += 1
        return resolved

    def _by_share(self, links: list[InducingLink]) -> list[InducingLink]:
        """Drop candidates owning less than ``min_link_share`` of their fix's blamed (deleted) lines.

        Shares are counted over classic links only (lines the fix deleted or changed, all its files);
        context links of add-only fixes blame a fixed window around each insertion and are kept.
        """
        if self.min_link_share <= 0:
            return links
        owned: dict[tuple[str, str], int] = {}
        total: dict[str, int] = {}
        for link in links:
            if link.method == CONTEXT:
                continue
            key = (link.fix_sha, link.inducing_sha)
            owned[key] = owned.get(key, 0) + len(link.lines)
            total[link.fix_sha] = total.get(link.fix_sha, 0) + len(link.lines)
        low = {key for key, n in owned.items() if n < self.min_link_share * total[key[0]]}
        self.stats.links_low_share += len(low)
        return [link for link in links if link.method == CONTEXT or (link.fix_sha, link.inducing_sha) not in low]

    def _cap_per_fix(self, links: list[InducingLink]) -> list[InducingLink]:
        """Drop every link of a fix whose blame named more than ``max_inducing_per_fix`` commits."""
        if self.max_inducing_per_fix <= 0:
            return links
        named: dict[str, set[str]] = {}
        for link in links:
            named.setdefault(link.fix_sha, set()).add(link.inducing_sha)
        over = {fix for fix, shas in named.items() if len(shas) > self.max_inducing_per_fix}
        self.stats.fixes_over_blaming += len(over)
        return [link for link in links if link.fix_sha not in over]

    def close(self) -> None:
        """Stop: cancel queued blames and wait for running ones (after an error, or when done)."""
        self.stopped.set()
        self.history_done.set()
        self.wake.set()
        if self.replayer is not None and self.replayer.is_alive():
            self.replayer.join()
        if self.feeder.is_alive():
            self.batches.put(None)
            self.feeder.join()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _links(fix_sha: str, fix_file: FixFile, owners: dict[int, str]) -> list[InducingLink]:
    """One link per commit owning some of the fix's lines of this file (the fix itself excluded)."""
    by_commit: dict[str, list[int]] = {}
    for line in fix_file.lines:
        owner = owners.get(line)
        if owner is not None and owner != fix_sha:
            by_commit.setdefault(owner, []).append(line)
    return [InducingLink(fix_sha, sha, fix_file.path, tuple(lines), fix_file.kind) for sha, lines in by_commit.items()]
