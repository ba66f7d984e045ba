"""Argus's anomaly detectors on the Numenta Anomaly Benchmark: in-sample, optimised and held-out scores.

Held-out protocol: the corpus is split by category into two folds; the threshold is tuned (NAB's
sweep) on one fold and applied to the other, and the raw scores of both held-out halves are summed
and normalised over the whole corpus — every series is scored with a threshold chosen without it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from argus.analysis.anomaly.csvio import read_series
from argus.analysis.anomaly.ensemble import DEFAULT_PARAMS, score_series
from argus.analysis.anomaly.schemas import AnomalyParams, Detector, Series
from argus.core.errors import InputError
from argus.evaluation.nab import (
    PROFILES,
    CostProfile,
    ScoredSeries,
    corpus_score,
    load_windows,
    null_score,
    optimise_threshold,
    perfect_score,
    robust_threshold,
    row_weights,
    score_detections,
    window_indices,
)

FOLDS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("artificialNoAnomaly", "artificialWithAnomaly", "realAdExchange"),
    ("realTraffic", "realTweets"),
)
"""Categories of the two held-out folds (tune on one, report on the other)."""

PLATEAU_WIDTH = 0.1
"""Half-width, in decades of ``1 - threshold``, of the plateau rule (:func:`argus.evaluation.nab.robust_threshold`)
used to choose thresholds (and configurations) on a tuning fold: the score averaged over
``1 - t`` within a factor 10^0.1 ≈ 1.26 either way, instead of NAB's single best threshold."""


def tune_threshold(items: Sequence[ScoredSeries], profile: CostProfile, plateau: float | None) -> tuple[float, float]:
    """The threshold chosen on a tuning fold and the criterion it maximised: NAB's best score
    (``plateau`` None) or the plateau rule's smoothed score (``plateau`` = its half-width)."""
    if plateau is None:
        return optimise_threshold(items, profile)
    t, _, smooth = robust_threshold(items, profile, plateau)
    return t, smooth


@dataclass(frozen=True)
class NabSeries:
    name: str
    series: Series
    windows: tuple[tuple[int, int], ...]


def load_corpus(root: Path) -> list[NabSeries]:
    """Every ``data/<category>/<name>.csv`` listed in ``combined_windows.json`` under ``root``."""
    windows = load_windows(root / "combined_windows.json")
    out = []
    for name in sorted(windows):
        path = root / "data" / name
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            s = read_series(fh, str(path))
        out.append(NabSeries(name, s, window_indices(s.timestamps, windows[name])))
    if not out:
        raise InputError(f"{root}: no NAB series found (expected data/<category>/*.csv and combined_windows.json)")
    return out


def scored(corpus: Sequence[NabSeries], detector: Detector, params: AnomalyParams = DEFAULT_PARAMS
           ) -> tuple[list[ScoredSeries], float]:
    """Scores of ``detector`` on every series (NAB row weights attached), and its own alert threshold."""
    items, threshold = [], 1.0
    for ns in corpus:
        sc = score_series(ns.series, detector, params)
        threshold = sc.threshold
        items.append(ScoredSeries(ns.name, row_weights(len(ns.series), ns.windows), sc.score))
    return items, threshold


@dataclass(frozen=True)
class ProfileResult:
    profile: str
    argus_threshold: float
    argus_score: float
    optimised_threshold: float
    optimised_score: float
    held_out_score: float
    held_out_thresholds: tuple[float, float]
    plateau_held_out_score: float
    """Held out, the threshold chosen on the tuning fold by the plateau rule (``PLATEAU_WIDTH``)."""
    plateau_held_out_thresholds: tuple[float, float]
    tp: int
    fp: int
    fn: int


def _held_out(items: Sequence[ScoredSeries], profile: CostProfile, plateau: float | None = None
              ) -> tuple[float, tuple[float, float]]:
    raw = null = perfect = 0.0
    thresholds = []
    for tune, test in (FOLDS, FOLDS[::-1]):
        t, _ = tune_threshold([i for i in items if i.category in tune], profile, plateau)
        thresholds.append(t)
        for it in items:
            if it.category in test:
                raw += score_detections(it.weights, it.scores >= t, profile).score
                null += null_score(it.weights, profile)
                perfect += perfect_score(it.weights, profile)
    return (100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0), (thresholds[0], thresholds[1])


def evaluate(items: Sequence[ScoredSeries], argus_threshold: float) -> list[ProfileResult]:
    """Per cost profile: score at Argus's threshold, at the optimised one, and held out."""
    out = []
    for p in PROFILES:
        s, counts = corpus_score(items, argus_threshold, p)
        t, best = optimise_threshold(items, p)
        held, ths = _held_out(items, p)
        pheld, pths = _held_out(items, p, PLATEAU_WIDTH)
        out.append(ProfileResult(p.name, argus_threshold, s, t, best, held, ths, pheld, pths,
                                 counts.tp, counts.fp, counts.fn))
    return out


def find_nab_dir(start: Path) -> Path | None:
    """``shared/datasets/nab`` in ``start`` or the nearest parent that has one (``../shared/datasets/nab``)."""
    for base in (start, *start.parents):
        cand = base / "shared" / "datasets" / "nab"
        if (cand / "combined_windows.json").is_file():
            return cand
    return None


RELIABILITY_EDGES: tuple[float, ...] = (0.0, 0.5, 0.9, 0.99, 0.999, 0.9999)


@dataclass(frozen=True)
class ReliabilityBand:
    """Scored rows whose score lies in ``[low, high)`` and the share of them inside a labelled window."""

    low: float
    high: float
    rows: int
    in_window: float


def reliability(items: Sequence[ScoredSeries], edges: Sequence[float] = RELIABILITY_EDGES) -> list[ReliabilityBand]:
    """How often a score band falls inside NAB's windows (vs the base rate, the band starting at 0)."""
    s = np.concatenate([it.scores[it.weights.scored] for it in items] or [np.zeros(0)])
    w = np.concatenate([it.weights.window[it.weights.scored] >= 0 for it in items] or [np.zeros(0, dtype=bool)])
    out = []
    bounds = [*edges, math.inf]
    for lo, hi in itertools.pairwise(bounds):
        m = (s >= lo) & (s < hi)
        n = int(m.sum())
        out.append(ReliabilityBand(lo, min(hi, 1.0), n, float(w[m].mean()) if n else math.nan))
    return out


@dataclass(frozen=True)
class DetectorReport:
    detector: str
    results: tuple[ProfileResult, ...]
    reliability: tuple[ReliabilityBand, ...]


def evaluate_corpus(corpus: Sequence[NabSeries], detectors: Sequence[Detector],
                    params: AnomalyParams = DEFAULT_PARAMS) -> list[DetectorReport]:
    """:func:`evaluate` for each detector on a loaded corpus."""
    out = []
    for d in detectors:
        items, threshold = scored(corpus, d, params)
        out.append(DetectorReport(d.value, tuple(evaluate(items, threshold)), tuple(reliability(items))))
    return out


# -- parameters held out too (leave-categories-out) ----------------------------------------------------

@dataclass(frozen=True)
class GridPoint:
    """One configuration of the small grid the parameters are chosen from."""

    extreme_window: int
    likelihood_window: int
    seasonal_short_window: int

    @property
    def label(self) -> str:
        return (f"extreme window {self.extreme_window}, likelihood window {self.likelihood_window}, "
                f"seasonal short window {self.seasonal_short_window}")

    def params(self, base: AnomalyParams = DEFAULT_PARAMS) -> AnomalyParams:
        from dataclasses import replace

        return replace(base, extreme=replace(base.extreme, window=self.extreme_window),
                       likelihood=replace(base.likelihood, window=self.likelihood_window),
                       seasonal=replace(base.seasonal, short_window=self.seasonal_short_window))


GRID: tuple[GridPoint, ...] = tuple(
    GridPoint(e, lk, sw) for e in (1000, 2880, 8640) for lk in (50, 100, 300) for sw in (5, 10))
"""18 configurations around the defaults (the three parameters the defaults were last tuned on)."""


@dataclass(frozen=True)
class FoldChoice:
    tuned_on: int
    """1 or 2: the fold the configuration and threshold were chosen on (the other fold is scored)."""
    config: str
    threshold: float
    tune_score: float
    """The tuning criterion on the tuning fold: NAB's score, or the plateau rule's smoothed score."""
    test_score: float


@dataclass(frozen=True)
class ParamsHeldOut:
    """Score with the detector parameters AND the threshold chosen on the other fold, per profile."""

    profile: str
    score: float
    folds: tuple[FoldChoice, FoldChoice]


def _fold_score(items: Sequence[ScoredSeries], threshold: float, profile: CostProfile) -> tuple[float, float, float]:
    raw = null = perfect = 0.0
    for it in items:
        raw += score_detections(it.weights, it.scores >= threshold, profile).score
        null += null_score(it.weights, profile)
        perfect += perfect_score(it.weights, profile)
    return raw, null, perfect


def score_grid(corpus: Sequence[NabSeries], grid: Sequence[GridPoint] = GRID) -> list[list[ScoredSeries]]:
    """The ensemble's scores on the corpus for each grid configuration."""
    return [scored(corpus, Detector.ENSEMBLE, g.params())[0] for g in grid]


def held_out_parameters(corpus: Sequence[NabSeries], grid: Sequence[GridPoint] = GRID,
                        plateau: float | None = None,
                        scored_by: Sequence[Sequence[ScoredSeries]] | None = None) -> list[ParamsHeldOut]:
    """Leave-categories-out for the parameters too: on fold A choose the grid configuration and the
    threshold with the best fold-A score (NAB's optimised threshold; with ``plateau``, the best
    smoothed score of the plateau rule), score fold B with both; both ways; the raw scores of the two
    held-out halves are summed and normalised together (as :func:`_held_out`)."""
    if scored_by is None:
        scored_by = score_grid(corpus, grid)
    out = []
    for profile in PROFILES:
        raw = null = perfect = 0.0
        choices = []
        for k, (tune, test) in enumerate((FOLDS, FOLDS[::-1]), 1):
            best: tuple[float, float, int] | None = None
            for gi, items in enumerate(scored_by):
                t, s = tune_threshold([i for i in items if i.category in tune], profile, plateau)
                if best is None or s > best[0] + 1e-9:
                    best = (s, t, gi)
            assert best is not None
            tune_score, t, gi = best
            r, nl, pf = _fold_score([i for i in scored_by[gi] if i.category in test], t, profile)
            raw, null, perfect = raw + r, null + nl, perfect + pf
            choices.append(FoldChoice(k, grid[gi].label, t, tune_score,
                                      100.0 * (r - nl) / (pf - nl) if pf != nl else 0.0))
        score = 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0
        out.append(ParamsHeldOut(profile.name, score, (choices[0], choices[1])))
    return out
