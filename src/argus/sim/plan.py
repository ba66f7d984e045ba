"""Plan the timeline before playing it: work items, CI run times, which commits introduce bugs.

Bug-inducing commits are drawn *after* all commits are planned, by weighted sampling without
replacement with weight ``risk(commit)``: author propensity × sqrt(lines/40) × 1.8 at night
(local 21:00–06:00) × 1.3 when more than two files change. So larger, late-night commits by
careless authors are riskier, as just-in-time defect studies report (Kamei et al. 2013), and a
risk model has something real to learn.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argus.sim.config import SimConfig
from argus.sim.model import Author
from argus.sim.rng import poisson


@dataclass
class BranchPlan:
    author: Author
    merge_at: datetime | None  # None: still open at the end of the window
    commits: list[CommitPlan] = field(default_factory=list)


@dataclass
class CommitPlan:
    author: Author
    time: datetime
    size: int  # lines to change
    files: int
    branch: BranchPlan | None = None
    bug: str | None = None  # None | "regression" | "latent"

    def risk(self) -> float:
        local = (self.time + timedelta(minutes=self.author.tz_minutes)).hour
        night = 1.8 if local >= 21 or local < 6 else 1.0
        return self.author.bug_propensity * math.sqrt(self.size / 40) * night * (1.3 if self.files > 2 else 1.0)


@dataclass
class Plan:
    start: datetime
    end: datetime
    commits: list[CommitPlan]
    branches: list[BranchPlan]
    run_times: list[datetime]
    outage_runs: frozenset[datetime]  # first attempts at these times hit an infrastructure outage


def make_plan(cfg: SimConfig, authors: list[Author], rng: random.Random) -> Plan:
    start = cfg.base_date
    end = start + timedelta(days=cfg.days)
    commits: list[CommitPlan] = []
    branches: list[BranchPlan] = []
    runs: list[datetime] = []
    weights = [a.weight for a in authors]
    for d in range(cfg.days):
        day = start + timedelta(days=d)
        weekend = day.weekday() >= 5
        n_runs = cfg.runs_per_day if not weekend else max(1, cfg.runs_per_day // 3)
        runs += [(day + timedelta(hours=h)).replace(microsecond=0)
                 for h in sorted(rng.uniform(7.0, 20.5) for _ in range(n_runs))]
        budget = poisson(rng, cfg.commits_per_day * (0.15 if weekend else 1.0))
        while budget > 0:
            author = rng.choices(authors, weights)[0]
            hour = min(23.9, max(0.0, rng.gauss(author.mean_hour, author.hour_sd)))
            t = day + timedelta(hours=hour) - timedelta(minutes=author.tz_minutes)
            t = min(max(t, start + timedelta(minutes=5)), end - timedelta(minutes=30))
            if rng.random() < author.branch_pref:
                k = min(budget, 1 + poisson(rng, 1.0))
                merge_at: datetime | None = None
                times = [t]
                for _ in range(k - 1):
                    times.append(times[-1] + timedelta(hours=rng.uniform(0.3, 4.0)))
                merge = times[-1] + timedelta(hours=rng.uniform(0.5, 20.0))
                if merge < end:
                    merge_at = merge
                bp = BranchPlan(author, merge_at)
                for ct in times:
                    bp.commits.append(_commit(rng, author, ct, bp))
                branches.append(bp)
                commits += bp.commits
                budget -= k
            else:
                commits.append(_commit(rng, author, t, None))
                budget -= 1
    commits.sort(key=lambda c: c.time)
    _plant_bugs(cfg, rng, commits, start, end)
    runs.sort()
    outages = rng.sample(runs, min(len(runs), max(1, poisson(rng, cfg.outage_rate * len(runs)))))
    return Plan(start, end, commits, branches, runs, frozenset(outages))


def _commit(rng: random.Random, author: Author, t: datetime, branch: BranchPlan | None) -> CommitPlan:
    size = int(min(600, max(1, rng.lognormvariate(author.size_mu, 0.9))))
    files = min(6, 1 + poisson(rng, size / 80))
    return CommitPlan(author, t, size, files, branch)


def _weighted_pick(rng: random.Random, items: list[CommitPlan], k: int) -> list[CommitPlan]:
    """Weighted sampling without replacement (Efraimidis–Spirakis keys u^(1/w))."""
    keyed = sorted(items, key=lambda c: rng.random() ** (1.0 / c.risk()), reverse=True)
    return keyed[:k]


def _plant_bugs(cfg: SimConfig, rng: random.Random, commits: list[CommitPlan], start: datetime, end: datetime) -> None:
    weeks = cfg.days / 7
    direct = [c for c in commits if c.branch is None
              and start + timedelta(hours=8) <= c.time <= end - timedelta(days=min(1.0, cfg.days / 4))]
    for c in _weighted_pick(rng, direct, max(1, poisson(rng, cfg.regressions_per_week * weeks))):
        c.bug = "regression"
    late = end - timedelta(days=min(1.5, cfg.days / 3))
    rest = [c for c in commits if c.bug is None and c.time <= late
            and (c.branch is None or c.branch.merge_at is not None)]
    for c in _weighted_pick(rng, rest, max(1, poisson(rng, cfg.latent_bugs_per_week * weeks))):
        c.bug = "latent"
