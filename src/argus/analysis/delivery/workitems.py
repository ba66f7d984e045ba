"""Story-point estimator and epic lead-time forecaster on work items (pure).

Story points: ridge regression on hashed words of the title (1–2-grams) plus the item's type and
component, fitted on log(1 + points) of the earlier items (time order by creation), its prediction
snapped to the nearest value of the training scale (e.g. 1 2 3 5 8 13). Hashing (``2**HASH_BITS``
buckets) needs no vocabulary, so the artefact is the coefficients as JSON. Baseline: the training
median. Reported: MAE in points, exact-scale-value share and within-one-step share.

Epic forecast: an open epic's remaining items divided by a throughput drawn, day by day, from the
epic's own resolved-per-day history (Monte Carlo, ``SIMULATIONS`` runs); an epic with fewer than
``MIN_OWN_DONE`` resolved items uses the pooled daily throughput of the epics resolved before. The
result is P50 and P85 days to completion, each multiplied by a factor learnt on the earlier epics
so that P85 covers 85 % of them (the only fitted parameter). Evaluation: each resolved epic is
forecast at the moment half its items were resolved, with only what was known then.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np

from argus.analysis.delivery.schemas import WorkItem

HASH_BITS = 12
FORMAT_POINTS = "argus.story-points/v1"
FORMAT_EPICS = "argus.epic-forecast/v1"
SIMULATIONS = 2000
MIN_OWN_DONE = 3
_WORD = re.compile(r"[a-z0-9]+")


def tokens(item: WorkItem) -> list[str]:
    words = _WORD.findall((item.title or "").lower())
    grams = words + [f"{a}_{b}" for a, b in pairwise(words)]
    return [*grams, f"type={(item.type or '').lower()}", f"component={(item.component or '').lower()}"]


def _bucket(tok: str) -> int:
    import zlib

    return zlib.crc32(tok.encode()) & ((1 << HASH_BITS) - 1)


def features(items: Sequence[WorkItem]) -> np.ndarray:
    X = np.zeros((len(items), 1 << HASH_BITS))
    for i, it in enumerate(items):
        for t in tokens(it):
            X[i, _bucket(t)] += 1.0
    return X


@dataclass(frozen=True)
class PointsModel:
    coef: tuple[float, ...]
    intercept: float
    scale: tuple[float, ...]

    def raw(self, items: Sequence[WorkItem]) -> np.ndarray:
        return np.expm1(features(items) @ np.array(self.coef) + self.intercept)

    def predict(self, items: Sequence[WorkItem]) -> np.ndarray:
        return snap(self.raw(items), self.scale)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT_POINTS, "hash_bits": HASH_BITS, "coef": list(self.coef),
                           "intercept": self.intercept, "scale": list(self.scale)})

    @classmethod
    def from_json(cls, text: str) -> PointsModel:
        d = json.loads(text)
        if d.get("format") != FORMAT_POINTS or d.get("hash_bits") != HASH_BITS:
            raise ValueError(f"not a {FORMAT_POINTS} artefact")
        return cls(tuple(d["coef"]), float(d["intercept"]), tuple(d["scale"]))


def snap(values: np.ndarray, scale: Sequence[float]) -> np.ndarray:
    s = np.array(sorted(scale))
    return s[np.abs(values[:, None] - s[None, :]).argmin(axis=1)] if len(values) else values


def fit_points(items: Sequence[WorkItem], alpha: float = 3.0) -> PointsModel:
    from sklearn.linear_model import Ridge

    y = np.log1p(np.array([float(i.story_points or 0) for i in items]))
    r = Ridge(alpha=alpha).fit(features(items), y)
    scale = sorted({float(i.story_points or 0) for i in items})
    return PointsModel(tuple(float(c) for c in r.coef_), float(r.intercept_), tuple(scale))


def points_scores(y: np.ndarray, pred: np.ndarray, scale: Sequence[float]) -> dict[str, float | int]:
    s = sorted(scale)
    pos = {v: i for i, v in enumerate(s)}
    step = [abs(pos.get(float(a), 0) - pos.get(float(b), 0)) for a, b in zip(snap(y, s), pred, strict=True)]
    return {"rows": len(y), "mae": round(float(np.abs(y - pred).mean()), 4),
            "exact": round(float(np.mean([d == 0 for d in step])), 4),
            "within_one_step": round(float(np.mean([d <= 1 for d in step])), 4)}


# --------------------------------------------------------------------------------------------- epics


@dataclass(frozen=True)
class EpicState:
    epic_id: str
    total: int
    done: int
    started: datetime
    daily: tuple[int, ...]  # resolved items per day since the epic's first item, up to the cut


def epic_items(items: Sequence[WorkItem]) -> dict[str, list[WorkItem]]:
    by: dict[str, list[WorkItem]] = defaultdict(list)
    for it in items:
        if it.epic_id and it.created_at is not None and (it.type or "").upper() != "EPIC":
            by[it.epic_id].append(it)
    return dict(by)


def state_at(epic_id: str, items: Sequence[WorkItem], cut: datetime) -> EpicState | None:
    """The epic as known at ``cut``: its items created by then, those resolved by then, per day."""
    known = [i for i in items if i.created_at is not None and i.created_at <= cut]
    if not known:
        return None
    start = min(i.created_at for i in known if i.created_at is not None)
    days = max(1, math.ceil((cut - start).total_seconds() / 86400))
    daily = [0] * days
    done = 0
    for i in known:
        if i.resolved_at is not None and i.resolved_at <= cut:
            done += 1
            daily[min(days - 1, int((i.resolved_at - start).total_seconds() // 86400))] += 1
    return EpicState(epic_id, len(known), done, start, tuple(daily))


def simulate(remaining: int, daily: Sequence[int], rng: np.random.Generator,
             runs: int = SIMULATIONS) -> tuple[float, float]:
    """P50 and P85 of the days needed to resolve ``remaining`` items at throughputs drawn from ``daily``."""
    if remaining <= 0:
        return 0.0, 0.0
    d = np.asarray(daily, dtype=float)
    if d.sum() <= 0:
        return math.inf, math.inf
    needed = np.empty(runs)
    horizon = max(30, int(4 * remaining / max(d.mean(), 1e-9)) + 30)
    draws = rng.choice(d, size=(runs, horizon))
    cum = draws.cumsum(axis=1)
    reach = (cum >= remaining).argmax(axis=1) + 1
    reach[cum[:, -1] < remaining] = horizon
    needed[:] = reach
    return float(np.percentile(needed, 50)), float(np.percentile(needed, 85))


def pooled_daily(groups: dict[str, list[WorkItem]], before: datetime) -> list[int]:
    """Per-day resolutions of every epic item resolved before ``before``, per epic-day with activity."""
    out: list[int] = []
    for items in groups.values():
        st = state_at("", items, before)
        if st is not None and st.done:
            out.extend(st.daily)
    return out


def forecast(st: EpicState, pooled: Sequence[int], rng: np.random.Generator, factor: float) -> tuple[float, float]:
    daily = st.daily if st.done >= MIN_OWN_DONE else (tuple(pooled) or st.daily)
    p50, p85 = simulate(st.total - st.done, daily, rng)
    return p50 * factor, p85 * factor


@dataclass(frozen=True)
class EpicCase:
    epic_id: str
    cut: datetime
    finished: datetime
    state: EpicState
    pooled: tuple[int, ...]

    @property
    def actual_days(self) -> float:
        return (self.finished - self.cut).total_seconds() / 86400


def cases(items: Sequence[WorkItem]) -> list[EpicCase]:
    """Resolved epics (every item resolved), each cut when half its items were resolved; by finish time."""
    groups = epic_items(items)
    out = []
    for eid, its in groups.items():
        if len(its) < 2 or any(i.resolved_at is None for i in its):
            continue
        res = sorted(i.resolved_at for i in its if i.resolved_at is not None)
        cut = res[len(res) // 2 - 1] + timedelta(seconds=1)
        st = state_at(eid, its, cut)
        if st is None or st.total - st.done <= 0:
            continue
        pooled = tuple(pooled_daily({k: v for k, v in groups.items() if k != eid}, cut))
        out.append(EpicCase(eid, cut, res[-1], st, pooled))
    return sorted(out, key=lambda c: (c.finished, c.epic_id))


def epic_scores(cs: Sequence[EpicCase], factor: float, seed: int = 7) -> dict[str, float | int | None]:
    if not cs:
        return {"rows": 0, "mae_days": None, "p85_coverage": None}
    rng = np.random.default_rng(seed)
    p50s, p85s = zip(*(forecast(c.state, c.pooled, rng, factor) for c in cs), strict=True)
    actual = np.array([c.actual_days for c in cs])
    p50 = np.array(p50s)
    finite = np.isfinite(p50)
    return {"rows": len(cs), "mae_days": round(float(np.abs(p50[finite] - actual[finite]).mean()), 3)
            if finite.any() else None,
            "p85_coverage": round(float(np.mean(actual <= np.array(p85s))), 4)}


def fit_factor(cs: Sequence[EpicCase], target: float = 0.85, seed: int = 7) -> float:
    """The multiplier of the raw forecasts that makes P85 cover ``target`` of ``cs`` (1.0 without cases)."""
    if not cs:
        return 1.0
    rng = np.random.default_rng(seed)
    ratios = []
    for c in cs:
        _, p85 = forecast(c.state, c.pooled, rng, 1.0)
        if math.isfinite(p85) and p85 > 0:
            ratios.append(c.actual_days / p85)
    return float(np.quantile(ratios, target)) if ratios else 1.0
