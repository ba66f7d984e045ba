"""Skip tests whose few failures can neither make them reportably flaky nor broken, before reading them.

Over a long history almost every test fails once or twice by chance; reading all of their runs would
cost as much as the table. A test is skipped when, outside outages,

* it failed in at most ``MAX_FAILURES`` runs, each with a single failed attempt (no retry failed, so
  no run alone can be a regression), and no failing run lies between another failing run and the
  next run of that one's branch (so no two failures can form a streak or support one); and
* an *upper bound* of its flaky probability stays below half the report threshold. The bound
  counts every failure as confirmed, takes its run count from an index-only count of its result
  rows minus the retries its failing runs may have added, and gives each environment value the share
  of the project's runs that carry it.

What is skipped is counted (``AnalysisResult.screened``), never reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from argus.analysis.flaky.probability import posterior_flaky
from argus.analysis.flaky.queries import RunMeta
from argus.analysis.flaky.schemas import FlakyParams

MAX_FAILURES = 10


def _could_chain(metas: list[RunMeta], next_start: Mapping[int, datetime | None]) -> bool:
    """True when some failing run starts inside another's window (its start .. the next run of its branch)."""
    for a in metas:
        end = next_start.get(a.id)
        for b in metas:
            if b.id != a.id and b.started_at >= a.started_at and (end is None or b.started_at <= end):
                return True
    return False


def screen(
    fails: Mapping[int, Mapping[int, int]],
    row_counts: Mapping[int, int],
    runs: Mapping[int, RunMeta],
    p: FlakyParams,
) -> set[int]:
    """Tests (ids of ``fails``: test → {failing run → failed attempts}) that need no further reading."""
    ordered = sorted(runs.values(), key=lambda r: (r.started_at, r.id))
    last_on_branch: dict[str | None, RunMeta] = {}
    next_start: dict[int, datetime | None] = {}
    for r in ordered:
        prev = last_on_branch.get(r.branch)
        if prev is not None:
            next_start[prev.id] = r.started_at
        next_start[r.id] = None
        last_on_branch[r.branch] = r
    total = max(1, len(ordered))
    pair_share: dict[str, float] = defaultdict(float)
    for r in ordered:
        for pair in r.env_key.split(",") if r.env_key else ():
            pair_share[pair] += 1 / total
    skip: set[int] = set()
    for tid, per_run in fails.items():
        if len(per_run) > MAX_FAILURES or any(n > 1 for n in per_run.values()):
            continue
        metas = [runs[r] for r in per_run if r in runs]
        if _could_chain(metas, next_start):
            continue
        f = len(per_run)
        n = max(f, row_counts.get(tid, 0) - 2 * f)
        fail_pairs: dict[str, int] = defaultdict(int)
        for m in metas:
            for pair in m.env_key.split(",") if m.env_key else ():
                fail_pairs[pair] += 1
        per_env = [(max(fail_pairs.get(k, 0), round(n * s)), fail_pairs.get(k, 0)) for k, s in pair_share.items()]
        bound = posterior_flaky(
            n, f, 0, prior=p.prior_flaky, noise_confirmed=p.noise_confirmed, noise_unconfirmed=p.noise_unconfirmed,
            rate_mean=p.rate_prior_mean, rate_strength=p.rate_prior_strength, per_env=per_env, env_share=p.env_share,
        )
        if bound < p.report_threshold / 2:
            skip.add(tid)
    return skip
