"""Play the planned timeline: commits on main and feature branches, merges, fixes, CI runs.

Events are processed in time order. Main-line state (files, coverage, active tests, active
regressions, dependencies) changes only on main commits; a feature branch sees the main state at
its fork point plus its own file edits. Files a branch edits are locked until it merges, so merges
never conflict and a merge's tree is exactly main + the branch's files (fixes and renames that need
a locked file wait for the merge).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from argus.sim import events
from argus.sim.code import Lines, edit, helper_lines
from argus.sim.config import SimConfig
from argus.sim.model import (
    Author,
    Commit,
    CommitKind,
    LatentBug,
    Outage,
    OutageKind,
    Regression,
    RunSpec,
    TestSpec,
)
from argus.sim.outcomes import TestFailure, draw
from argus.sim.plan import BranchPlan, CommitPlan, Plan, make_plan
from argus.sim.realism import Realism
from argus.sim.rng import stream
from argus.sim.world import World, test_file_content

RUN_ID_BASE = 7_100_000


@dataclass
class Snapshot:
    """Main-line state as of one main commit."""

    mark: int
    tests: tuple[TestSpec, ...]
    regressions: tuple[str, ...]
    files: dict[str, Lines]
    covered: dict[str, float]
    extras: dict[str, tuple[str, ...]]
    deps: dict[str, dict[str, str]]  # ecosystem → package → version


@dataclass
class Branch:
    name: str
    plan: BranchPlan
    fork: Snapshot
    paths: list[str]
    title: str
    files: dict[str, Lines] = field(default_factory=dict)
    covered: dict[str, float] = field(default_factory=dict)
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    head: int | None = None
    merged: bool = False


@dataclass
class History:
    commits: list[Commit] = field(default_factory=list)
    runs: list[RunSpec] = field(default_factory=list)
    failures: dict[str, dict[int, TestFailure]] = field(default_factory=dict)
    regressions: dict[str, Regression] = field(default_factory=dict)
    latent: list[LatentBug] = field(default_factory=list)
    renames: list[tuple[TestSpec, TestSpec, int, datetime]] = field(default_factory=list)
    removals: list[tuple[TestSpec, int, datetime]] = field(default_factory=list)
    open_branches: list[str] = field(default_factory=list)


class Simulation:
    """Mutable state of one project's playback; :func:`play` is the entry point."""

    def __init__(self, cfg: SimConfig, world: World, index: int) -> None:
        self.cfg, self.world, self.index = cfg, world, index
        self.rng = stream(cfg.seed, "history", world.name)
        self.plan: Plan = make_plan(cfg, world.authors, stream(cfg.seed, "plan", world.name))
        self.h = History()
        self.queue: list[tuple[datetime, int, str, Any]] = []
        self.seq = 0
        self.issue = 100
        self.run_counter = 0
        self.locks: dict[str, Branch] = {}
        self.branches: dict[int, Branch] = {}  # id(BranchPlan) → Branch
        self.force_main = False
        self.test_file_of = {t.modules[0]: t.file for t in world.tests}
        deps = {"pip": dict(world.py_deps), "maven": dict(world.java_deps)}
        self.main = Snapshot(0, tuple(world.tests), (), dict(world.contents), dict(world.covered), {}, deps)
        self.vulns = events.plan_vulnerabilities(cfg, world, self.plan, stream(cfg.seed, "vulns", world.name))
        self.real = Realism(self) if cfg.realistic_bugs else None

    # ----------------------------------------------------------------- queue
    def push(self, t: datetime, kind: str, payload: Any = None) -> None:
        """Queue an event at ``t`` (whole seconds: git stores commit times in seconds)."""
        t = t.replace(microsecond=0)
        self.seq += 1
        heapq.heappush(self.queue, (t, self.seq, kind, payload))

    def next_issue(self) -> int:
        self.issue += 1
        return self.issue

    # ----------------------------------------------------------------- commits
    def commit(self, kind: CommitKind, author: Author, t: datetime, message: str, changes: dict[str, str | None],
               branch: Branch | None = None, parents: tuple[int, ...] | None = None, added: int = 0,
               deleted: int = 0) -> Commit:
        mark = len(self.h.commits) + 1
        if parents is None:
            head = branch.head if branch is not None and branch.head is not None else None
            base = head if head is not None else (branch.fork.mark if branch is not None else self.main.mark)
            parents = (base,) if base else ()
        c = Commit(mark, kind, branch.name if branch else "main", parents, author, t, message, changes, added, deleted)
        self.h.commits.append(c)
        if branch is not None:
            branch.head = mark
        else:
            self.main.mark = mark  # forks and runs copy what they keep, so main's dicts are updated in place
        return c

    def edit_files(self, paths: list[str], size: int, files: dict[str, Lines], covered: dict[str, float],
                   extras: dict[str, tuple[str, ...]], tests: tuple[TestSpec, ...],
                   touch_tests: bool, small_fix: bool = False) -> tuple[dict[str, str | None], int, int]:
        """Edit ``paths`` (sources) in the given state; return (changes, added, deleted)."""
        changes: dict[str, str | None] = {}
        added = deleted = 0
        share = max(1, size // max(1, len(paths)))
        for p in paths:
            src = self.world.module_of[p]
            new, a, d = edit(self.rng, files[p], src.lang, src.module, share, small_fix)
            files[p] = new
            cov = covered[p] + self.rng.gauss(0, 0.015) - 0.03 * a / (len(new) + 1)
            tf = self.test_file_of.get(p)
            if touch_tests and tf is not None and tf not in self.locks:
                extra = helper_lines(self.rng, src.lang, src.module)
                extras[tf] = extras.get(tf, ()) + extra
                files[tf] = test_file_content(self.world, [t for t in tests if t.file == tf], extras[tf])
                changes[tf] = "\n".join(files[tf])
                cov += self.rng.uniform(0.005, 0.04)
                added += len(extra)
            covered[p] = min(0.98, max(0.3, cov))
            changes[p] = "\n".join(new)
            added += a
            deleted += d
        return changes, added, deleted

    def pick_sources(self, n: int, needs_tests: bool = False) -> list[str]:
        free = [s.path for s in self.world.sources if s.path not in self.locks
                and self.test_file_of.get(s.path, "") not in self.locks]
        if needs_tests:
            active = self.main.regressions
            broken = {u for r in active for u in self.h.regressions[r].test_uids}
            ok = [p for p in free if any(p in t.modules and t.skip_reason is None and t.uid not in broken
                                         and t.uid not in self.world.flaky for t in self.main.tests)]
            if not ok:
                return []
            first = self.rng.choice(ok)
            return [first, *self.rng.sample([p for p in free if p != first], min(n - 1, len(free) - 1))]
        return self.rng.sample(free, min(n, len(free))) if free else []

    # ----------------------------------------------------------------- playback
    def play(self) -> History:
        events.initial_commit(self)
        for c in self.plan.commits:
            self.push(c.time, "bcommit" if c.branch is not None else "direct", c)
        for bp in self.plan.branches:
            if bp.merge_at is not None:
                self.push(bp.merge_at, "merge", bp)
        for t in self.plan.run_times:
            self.push(t, "run", None)
        events.schedule_test_changes(self)
        events.schedule_vulnerability_commits(self)
        own: dict[str, Callable[[datetime, Any], None]] = {"direct": self.on_direct, "bcommit": self.on_branch_commit, "merge": self.on_merge,
               "run": self.on_run, "rerun": self.on_run}
        external: dict[str, Callable[[Simulation, datetime, Any], None]] = {"fix": events.on_fix, "latent_fix": events.on_latent_fix, "rename": events.on_rename,
                    "remove": events.on_remove, "bump": events.on_bump, "adddep": events.on_add_dependency}
        while self.queue:
            t, _, kind, payload = heapq.heappop(self.queue)
            if kind in own:
                own[kind](t, payload)
            else:
                external[kind](self, t, payload)
        self.h.open_branches = sorted(b.name for b in self.branches.values() if b.plan.merge_at is None)
        return self.h

    def on_direct(self, t: datetime, cp: CommitPlan) -> None:
        paths = self.pick_sources(cp.files, needs_tests=cp.bug == "regression")
        if not paths:
            return
        size, large, before = cp.size, False, self.main.files[paths[0]]
        if self.real is not None and cp.bug is not None:
            size, large = self.real.inducing_size(size)
        changes, a, d = self.edit_files(paths, size, self.main.files, self.main.covered, self.main.extras,
                                        self.main.tests, self.rng.random() < 0.35)
        module = self.world.module_of[paths[0]].module
        msg = events.feature_message(self.rng, module)
        lines: tuple[str, ...] = ()
        if self.real is not None:
            msg = self.real.feature_message(self, msg, module, t, cp.bug is not None, large)
            if cp.bug is not None:
                lines = self.real.bug_lines(before, self.main.files[paths[0]])
        c = self.commit(CommitKind.FEATURE, cp.author, t, msg, changes, added=a, deleted=d)
        if cp.bug == "regression":
            events.plant_regression(self, c, paths[0], lines)
        elif cp.bug == "latent":
            events.plant_latent(self, c, paths[0], t, lines)

    def on_branch_commit(self, t: datetime, cp: CommitPlan) -> None:
        assert cp.branch is not None
        br = self.branches.get(id(cp.branch))
        if br is None:
            n = max(c.files for c in cp.branch.commits)
            paths = self.pick_sources(n)
            if not paths:
                return
            fork = replace(self.main, files=dict(self.main.files), covered=dict(self.main.covered),
                           extras=dict(self.main.extras), deps={k: dict(v) for k, v in self.main.deps.items()})
            module = self.world.module_of[paths[0]].module
            title = events.feature_message(self.rng, module)
            slug = "-".join(title.lower().replace(":", "").split()[:4]).replace("_", "-")
            br = Branch(f"{cp.author.handle}/{slug}-{len(self.branches) + 1}", cp.branch, fork, paths, title)
            self.branches[id(cp.branch)] = br
            for p in paths:
                self.locks[p] = br
                tf = self.test_file_of.get(p)
                if tf is not None:
                    self.locks.setdefault(tf, br)
        files = {**br.fork.files, **br.files}
        covered = {**br.fork.covered, **br.covered}
        extras = {**br.fork.extras, **br.extras}
        k = self.rng.randint(1, len(br.paths))
        touched = [br.paths[0], *self.rng.sample(br.paths[1:], k - 1)] if k > 1 else [br.paths[0]]
        size, large, before = cp.size, False, files[touched[0]]
        if self.real is not None and cp.bug is not None:
            size, large = self.real.inducing_size(size)
        changes, a, d = self.edit_files(touched, size, files, covered, extras, br.fork.tests,
                                        self.rng.random() < 0.5)
        for p in changes:
            br.files[p] = files[p]
            if p in covered:
                br.covered[p] = covered[p]
            if p in extras:
                br.extras[p] = extras[p]
        module = self.world.module_of[touched[0]].module
        msg = events.feature_message(self.rng, module)
        lines: tuple[str, ...] = ()
        if self.real is not None:
            msg = self.real.feature_message(self, msg, module, t, cp.bug is not None, large)
            if cp.bug is not None:
                lines = self.real.bug_lines(before, files[touched[0]])
        c = self.commit(CommitKind.FEATURE, cp.author, t, msg, changes, branch=br, added=a, deleted=d)
        if cp.bug == "latent":
            assert cp.branch.merge_at is not None
            events.plant_latent(self, c, touched[0], cp.branch.merge_at, lines)

    def on_merge(self, t: datetime, bp: BranchPlan) -> None:
        br = self.branches.get(id(bp))
        if br is None or br.head is None:
            return
        pr = self.next_issue()
        changes: dict[str, str | None] = {p: "\n".join(v) for p, v in br.files.items()}
        self.main.files.update(br.files)
        self.main.covered.update(br.covered)
        self.main.extras.update(br.extras)
        msg = f"Merge pull request #{pr} from {br.plan.author.handle}/{br.name.split('/', 1)[1]}\n\n{br.title}"
        self.commit(CommitKind.MERGE, br.plan.author, t, msg, changes, parents=(self.main.mark, br.head))
        br.merged = True
        for p in [p for p, b in self.locks.items() if b is br]:
            del self.locks[p]

    def on_run(self, t: datetime, prev: RunSpec | None) -> None:
        cfg, rng = self.cfg, self.rng
        if prev is None:
            open_br = [b for b in self.branches.values() if b.head is not None and not b.merged]
            if self.force_main or not open_br or rng.random() < 0.72:
                run = self._main_run(t)
                self.force_main = False
            else:
                run = self._branch_run(t, rng.choice(open_br))
            self.run_counter += 1
            run.run_id = str(RUN_ID_BASE + 100_000 * self.index + self.run_counter)
            run.environment = dict(rng.choices(cfg.environments, cfg.environment_weights)[0])
        else:
            run = replace(prev, attempt=prev.attempt + 1, started_at=t, outage=None, failed=False)
        run.seq = len(self.h.runs)
        run.key = f"{run.seq:04d}-{run.run_id}-a{run.attempt}"
        if (t in self.plan.outage_runs) if prev is None else rng.random() < cfg.outage_rate * 0.2:
            kind = rng.choice(list(OutageKind))
            run.outage = Outage(kind, rng.uniform(0.5, 0.9) if kind is OutageKind.OOM_KILLED else rng.uniform(0.8, 1.0),
                                f"outage-{kind.value}", f"ci-runner-{rng.randint(1, 24):02d}")
        fails = draw(stream(cfg.seed, "outcomes", self.world.name, run.key), run, self.world.flaky,
                     self.h.regressions, cfg.surefire_reruns)
        run.failed = any(f.final_failed for f in fails.values())
        self.h.runs.append(run)
        self.h.failures[run.key] = fails
        if run.failed and run.attempt == 1 and rng.random() < (0.9 if run.outage else cfg.rerun_rate):
            self.push(t + timedelta(minutes=rng.uniform(5, 60)), "rerun", run)

    def _main_run(self, t: datetime) -> RunSpec:
        s = self.main
        return self._runspec(t, s.mark, "main", s, s.files, s.covered)

    def _branch_run(self, t: datetime, br: Branch) -> RunSpec:
        assert br.head is not None
        return self._runspec(t, br.head, br.name, br.fork, {**br.fork.files, **br.files}, {**br.fork.covered, **br.covered})

    def _runspec(self, t: datetime, mark: int, branch: str, snap: Snapshot, files: dict[str, Lines],
                 covered: dict[str, float]) -> RunSpec:
        cov = {s.path: (files[s.path], covered[s.path]) for s in self.world.sources}
        vulns = tuple(v.id for v in self.vulns if v.disclosed_at <= t
                      and snap.deps[v.ecosystem].get(v.package) == v.installed)
        return RunSpec(0, "", "", 1, mark, branch, {}, t, snap.tests, snap.regressions, cov, vulns)

    def fix_time(self, t: datetime) -> datetime | None:
        """When a regression found by CI gets fixed: after 1–4 more runs, within the window."""
        runs = self.plan.run_times
        i = bisect_right(runs, t) + self.rng.randint(0, 3)
        if i >= len(runs):
            return None
        fix = runs[i] + timedelta(minutes=self.rng.uniform(15, 180))
        return fix if fix < self.plan.end else None


def play(cfg: SimConfig, world: World, index: int) -> tuple[History, Simulation]:
    sim = Simulation(cfg, world, index)
    return sim.play(), sim

