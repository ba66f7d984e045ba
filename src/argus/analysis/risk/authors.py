"""The author's earlier defect rate, from labels known at the time (issue 17, round 4 of the risk model;
`bench/risk_variants.py --round4`; docs/analysis/risk.md).

In ingested history the author is known and so is when each bug became known (the fixing commit's time):
:func:`known_bug_rate` gives each change its author's rate of bug-inducing earlier changes whose fix was
committed before the change. For a CSV of Kamei features without author ids (`argus risk evaluate-dataset`
on the shared JIT data), the author is recovered as a chain, below.

The shared JIT CSVs carry no author, but Kamei's ``exp`` is the author's count of earlier changes and
``rexp`` their recency-weighted count, so one author's changes form a chain along which ``exp`` grows by
``d ≥ 1`` (the CSV is a subset of the history, so gaps occur) and ``rexp`` grows by at most ``d`` and decays
in between. The decay was measured on the CSVs (links of consecutive ``exp`` and ``sexp`` within three
days: 1–4 % a day, median; it is faster than ``1 / (1 + age in years)`` would give), so the bounds are
empirical: a change ``days`` after a chain end is consistent with it when

    rexp_prev · max(0, 1 − decay · days) − tol · (d + 1)  ≤  rexp  ≤  rexp_prev + d + tol · (d + 1)

(``decay`` 0.15 a day, ``tol`` 0.05). :func:`author_chains` links each change, in time order, to the
**nearest consistent** earlier chain end (the smallest ``d`` plus distance to ``rexp_prev · e^(−0.02 days)
+ d``), reading only earlier rows: causal by construction. A change with no consistent candidate starts a
chain; ``max_gap`` bounds ``d``. Ambiguity is measured: :class:`Chains` counts links that had exactly one
consistent candidate. No ground truth exists for the links.

:func:`author_features` (label-free) and :func:`author_defect_rate` (labels) then describe each change's
author from earlier changes of its chain only. The defect rate reads a label only when it is **known**:
the row is in the training part (``known`` mask; a test row never reads a test label) and it is older than
the row by at least ``lag`` seconds (a bug is known only once its fix exists: a deployment scoring a
change today knows the labels of changes fixed before today, not of last hour's).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

DAY = 86400.0
#: Label-free author features (from earlier changes of the change's chain).
AUTHOR = ("a_prior", "a_log_gap", "a_exp_rate", "a_recent30", "a_mean_size", "a_size_rel", "a_fix_share",
          "a_exp_growth")
#: Label-based author features (:func:`author_defect_rate`).
AUTHOR_LABELS = ("author_bug_rate", "author_bug_known")


@dataclass(frozen=True)
class Chains:
    """``prev[i]``: the row this change links to (−1: starts a chain); ``chain[i]``: its chain id."""

    prev: np.ndarray
    chain: np.ndarray
    candidates: np.ndarray  # consistent candidates found for each row (0: chain start)

    @property
    def linked(self) -> int:
        return int(np.sum(self.prev >= 0))

    @property
    def unambiguous(self) -> int:
        return int(np.sum(self.candidates == 1))

    def summary(self) -> dict[str, float]:
        n = len(self.prev)
        return {"rows": n, "linked": self.linked, "chains": len(np.unique(self.chain)),
                "unambiguous_share_of_links": self.unambiguous / max(1, self.linked),
                "linked_share": self.linked / max(1, n)}


def author_chains(times: np.ndarray, exp: np.ndarray, rexp: np.ndarray, *, max_gap: int = 200,
                  tolerance: float = 0.05, decay: float = 0.15, typical_decay: float = 0.02) -> Chains:
    """Link each time-ordered change to the nearest consistent earlier chain end (see the module doc)."""
    t, e, r = (np.asarray(a, dtype=float) for a in (times, exp, rexp))
    if len(t) and np.any(np.diff(t) < 0):
        raise ValueError("rows must be in time order")
    n = len(t)
    prev = np.full(n, -1, dtype=int)
    chain = np.arange(n)
    cands = np.zeros(n, dtype=int)
    tails: dict[float, set[int]] = defaultdict(set)  # exp value → chain ends with that exp
    for i in range(n):
        best: tuple[float, float, int] | None = None
        count = 0
        for d in range(1, min(max_gap, int(e[i])) + 1):
            for j in tails.get(e[i] - d, ()):
                if t[j] > t[i]:
                    continue
                days = (t[i] - t[j]) / DAY
                hi = r[j] + d + tolerance * (d + 1)
                lo = r[j] * max(0.0, 1.0 - decay * days) - tolerance * (d + 1)
                if lo <= r[i] <= hi:
                    count += 1
                    expected = r[j] * np.exp(-typical_decay * days) + d
                    key = (d + abs(r[i] - expected), float(d), j)
                    if best is None or key < best:
                        best = key
        cands[i] = count
        if best is not None:
            j = best[2]
            prev[i] = j
            chain[i] = chain[j]
            tails[e[j]].discard(j)
        tails[e[i]].add(i)
    return Chains(prev, chain, cands)


def author_features(times: np.ndarray, chains: Chains, exp: np.ndarray, la: np.ndarray, ld: np.ndarray,
                    fix: np.ndarray, window: int = 10) -> dict[str, np.ndarray]:
    """Label-free features of each change's author, from the earlier changes of its chain only.

    - ``a_prior``: earlier changes of the chain in the data; ``a_log_gap``: log1p seconds since the
      previous one; ``a_exp_rate``: the author's changes per day since it (``exp`` grows with every change
      in the full history, so this counts changes the CSV does not hold); ``a_recent30``: chain changes in
      the previous 30 days; ``a_mean_size``: mean log1p(la + ld) of the last ``window`` chain changes,
      ``a_size_rel``: this change's log size minus it; ``a_fix_share``: share of fixes among them;
      ``a_exp_growth``: the author's changes per day since the chain's first change.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(exp, dtype=float)
    size = np.log1p(np.asarray(la, dtype=float) + np.asarray(ld, dtype=float))
    fx = np.asarray(fix, dtype=float)
    n = len(t)
    out = {k: np.full(n, np.nan) for k in AUTHOR}
    hist: dict[int, list[int]] = defaultdict(list)  # chain → its rows so far, oldest first
    for i in range(n):
        h = hist[int(chains.chain[i])]
        out["a_prior"][i] = len(h)
        if h:
            j = h[-1]
            gap = t[i] - t[j]
            out["a_log_gap"][i] = np.log1p(gap)
            out["a_exp_rate"][i] = (e[i] - e[j]) / (gap / DAY + 1.0)
            out["a_exp_growth"][i] = (e[i] - e[h[0]]) / ((t[i] - t[h[0]]) / DAY + 1.0)
            out["a_recent30"][i] = sum(1 for k in h[-200:] if t[i] - t[k] <= 30 * DAY)
            last = h[-window:]
            out["a_mean_size"][i] = float(np.mean(size[last]))
            out["a_size_rel"][i] = size[i] - out["a_mean_size"][i]
            out["a_fix_share"][i] = float(np.mean(fx[last]))
        h.append(i)
    return out


def author_defect_rate(times: np.ndarray, chains: Chains, labels: np.ndarray, known: np.ndarray, *,
                       lag: float = 0.0, prior_weight: float = 5.0) -> dict[str, np.ndarray]:
    """The author's earlier defect rate from labels known at the time (see the module doc).

    A label of row ``j`` is read for row ``i`` only if ``j`` is an earlier row of ``i``'s chain,
    ``known[j]`` (a training row) and ``times[j] ≤ times[i] − lag``. The rate is smoothed towards the
    project's base rate over the same known labels (every chain's, older than the lag; ``prior_weight``
    pseudo-changes); ``author_bug_known`` is how many labels it read.
    ``labels`` of rows not ``known`` are never read.
    """
    t = np.asarray(times, dtype=float)
    kn = np.asarray(known, dtype=bool)
    y = np.where(kn, np.asarray(labels, dtype=float), 0.0)  # unknown labels are never an input
    n = len(t)
    kt = t[kn]  # times of the known rows (time-ordered)
    kc = np.concatenate([[0.0], np.cumsum(y[kn])])
    rate, count = np.full(n, np.nan), np.zeros(n)
    seen_t: dict[int, list[float]] = defaultdict(list)  # chain → times of its known rows so far
    seen_b: dict[int, list[float]] = defaultdict(lambda: [0.0])  # chain → cumulative bug counts
    for i in range(n):
        g = int(np.searchsorted(kt, t[i] - lag, side="right"))  # every known row older than the lag
        base = kc[g] / g if g else 0.0
        ch = int(chains.chain[i])
        ts, cb = seen_t[ch], seen_b[ch]
        c = bisect_right(ts, t[i] - lag)
        count[i] = c
        den = c + prior_weight
        rate[i] = (cb[c] + prior_weight * base) / den if den > 0 else np.nan
        if kn[i]:
            ts.append(t[i])
            cb.append(cb[-1] + y[i])
    return {"author_bug_rate": rate, "author_bug_known": count}


def known_bug_rate(times: Sequence[float], authors: Sequence[Hashable], fixed_at: Sequence[float | None], *,
                   prior_weight: float = 5.0) -> dict[str, np.ndarray]:
    """Ingested history: each change's author's earlier bug-inducing rate from labels known at its time.

    ``fixed_at[j]``: when change ``j`` became known as bug-inducing (its earliest fixing commit's time;
    None: no fix). For change ``i`` an earlier change ``j`` of the same author counts as bug-inducing only if
    ``fixed_at[j] < times[i]``; otherwise it counts as clean so far (what a deployment knows at ``times[i]``).
    The rate is smoothed towards the project's rate known the same way (``prior_weight`` pseudo-changes);
    ``author_bug_known`` is the number of the author's earlier changes. ``times`` must be in time order.
    """
    t = np.asarray(times, dtype=float)
    if len(t) and np.any(np.diff(t) < 0):
        raise ValueError("rows must be in time order")
    n = len(t)
    rate, count = np.full(n, np.nan), np.zeros(n)
    seen: dict[Hashable, int] = defaultdict(int)  # author → earlier changes
    bugs: dict[Hashable, int] = defaultdict(int)  # author → earlier changes known bug-inducing
    pending: list[tuple[float, int, Hashable]] = []  # (fix time, row, author) not yet known
    total_bugs = 0
    for i in range(n):
        while pending and pending[0][0] < t[i]:
            _, _, who = heapq.heappop(pending)
            bugs[who] += 1
            total_bugs += 1
        a = authors[i]
        base = total_bugs / i if i else 0.0  # i earlier changes
        count[i] = seen[a]
        den = seen[a] + prior_weight
        rate[i] = (bugs[a] + prior_weight * base) / den if den > 0 else np.nan
        seen[a] += 1
        f = fixed_at[i]
        if f is not None:
            heapq.heappush(pending, (float(f), i, a))
    return {"author_bug_rate": rate, "author_bug_known": count}
