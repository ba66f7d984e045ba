"""Numenta Anomaly Benchmark (NAB) scoring, implemented from NAB's published definition.

Per series: labelled anomaly windows ``[start, end]`` (timestamps of rows); the first 15 % of the rows
(at most 750) are a probation period that is not scored. A *detection* is a row whose anomaly score is
``>= threshold``. Within a window only the best-placed (earliest) detection counts, worth
``tp * σ(pos) / σ(-1)`` where ``pos = -(right - i + 1) / width`` runs from -1 at the window's first row
to ~0 at its last and ``σ(x) = 2 / (1 + e^{5x}) - 1`` is the scaled sigmoid (``-1`` beyond ``x > 3``).
A detection outside every window is a false positive worth ``fp * σ(|i - prev_right| / (prev_width - 1))``
(after a window: close to 0 just after it, down to ``-fp`` far from it) or ``-fp`` before any window. Each
window with no detection costs ``-fn``. Scores are summed over the corpus and normalised:
``100 * (S - S_null) / (S_perfect - S_null)`` where the null detector flags nothing (every window
missed) and the perfect one flags each window's first row. The optimised threshold is the one that
maximises the corpus total (NAB sweeps every distinct score).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from argus.core.errors import InputError

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CostProfile:
    """Weights of true positives, false positives and false negatives."""

    name: str
    tp: float
    fp: float
    fn: float


STANDARD = CostProfile("standard", tp=1.0, fp=0.11, fn=1.0)
REWARD_LOW_FP = CostProfile("reward_low_FP_rate", tp=1.0, fp=0.22, fn=1.0)
REWARD_LOW_FN = CostProfile("reward_low_FN_rate", tp=1.0, fp=0.11, fn=2.0)
PROFILES: tuple[CostProfile, ...] = (STANDARD, REWARD_LOW_FP, REWARD_LOW_FN)

PROBATION_FRACTION = 0.15
PROBATION_MAX = 750


def scaled_sigmoid(x: F64 | float) -> F64:
    """NAB's scaled sigmoid ``2 / (1 + exp(5x)) - 1``; ``-1`` for ``x > 3``."""
    a = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        val = 2.0 / (1.0 + np.exp(5.0 * a)) - 1.0
    return np.where(a > 3.0, -1.0, val)


MAX_TP = float(scaled_sigmoid(-1.0))


def probation_rows(n: int) -> int:
    """Rows at the start of a series that are not scored: 15 % of ``n``, at most 750."""
    return min(math.floor(PROBATION_FRACTION * n), PROBATION_MAX)


@dataclass(frozen=True)
class LabelledSeries:
    """One NAB series: its name (``category/file.csv``), timestamps and windows as row index pairs."""

    name: str
    timestamps: npt.NDArray[np.datetime64]
    windows: tuple[tuple[int, int], ...]

    @property
    def category(self) -> str:
        return self.name.split("/", 1)[0]


@dataclass(frozen=True)
class RowWeights:
    """What each row would be worth if detected: window id (-1 outside / probation) and weights."""

    window: npt.NDArray[np.int64]
    tp_unweighted: F64
    """Scaled sigmoid of the position inside the window (rows inside a window)."""
    fp_unweighted: F64
    """Scaled sigmoid of the distance past the previous window, or -1 (rows outside windows)."""
    scored: npt.NDArray[np.bool_]
    """False inside the probation period."""
    n_windows: int
    """Windows with at least one scored row (the ones a detector can hit or miss)."""


def window_indices(timestamps: npt.NDArray[np.datetime64], windows: Iterable[Sequence[str]]) -> tuple[tuple[int, int], ...]:
    """Row index pairs of windows given as timestamp strings (the first/last row inside each window)."""
    out = []
    for start, end in windows:
        a = int(np.searchsorted(timestamps, np.datetime64(start.replace(" ", "T")[:19], "s"), side="left"))
        b = int(np.searchsorted(timestamps, np.datetime64(end.replace(" ", "T")[:19], "s"), side="right")) - 1
        if b >= a:
            out.append((a, b))
    return tuple(out)


def row_weights(n: int, windows: Sequence[tuple[int, int]]) -> RowWeights:
    """The NAB weight of a detection at every row (independent of the detector and profile weights)."""
    window = np.full(n, -1, dtype=np.int64)
    tp_u = np.zeros(n)
    fp_u = np.full(n, -1.0)
    idx = np.arange(n)
    prev_right, prev_width = None, None
    cursor = 0
    for k, (a, b) in enumerate(sorted(windows)):
        width = float(b - a + 1)
        seg = idx[cursor:a]
        if prev_right is not None and seg.size:
            fp_u[cursor:a] = scaled_sigmoid(np.abs(prev_right - seg) / max(prev_width - 1.0, 1.0))  # type: ignore[operator]
        window[a:b + 1] = k
        tp_u[a:b + 1] = scaled_sigmoid(-(b - idx[a:b + 1] + 1) / width)
        prev_right, prev_width, cursor = b, width, b + 1
    if prev_right is not None and cursor < n:
        fp_u[cursor:] = scaled_sigmoid(np.abs(prev_right - idx[cursor:]) / max(prev_width - 1.0, 1.0))  # type: ignore[operator]
    scored = idx >= probation_rows(n)
    window = np.where(scored, window, -1)
    n_windows = int(np.unique(window[window >= 0]).size)
    return RowWeights(window=window, tp_unweighted=tp_u, fp_unweighted=fp_u, scored=scored, n_windows=n_windows)


@dataclass(frozen=True)
class Counts:
    """Raw NAB score of one series (or a sum) at one threshold, with the confusion counts."""

    score: float
    tp: int
    fp: int
    fn: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.score + other.score, self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


ZERO = Counts(0.0, 0, 0, 0)


def score_detections(weights: RowWeights, detected: npt.NDArray[np.bool_], profile: CostProfile) -> Counts:
    """Raw NAB score of one series given which rows were detections."""
    d = detected & weights.scored
    in_win = d & (weights.window >= 0)
    outside = d & (weights.window < 0)
    fp_score = float(np.sum(weights.fp_unweighted[outside])) * profile.fp
    tp_score, tp = 0.0, 0
    hit_windows = weights.window[in_win]
    if hit_windows.size:
        # best (= earliest, the sigmoid decreases through a window) detection per window
        best = np.full(int(weights.window.max()) + 1, -np.inf)
        np.maximum.at(best, hit_windows, weights.tp_unweighted[in_win])
        got = best[np.isfinite(best)]
        tp = int(got.size)
        tp_score = float(np.sum(got)) * profile.tp / MAX_TP
    fn = weights.n_windows - tp
    return Counts(tp_score + fp_score - fn * profile.fn, tp, int(outside.sum()), fn)


def null_score(weights: RowWeights, profile: CostProfile) -> float:
    """The detector that flags nothing misses every window."""
    return -profile.fn * weights.n_windows


def perfect_score(weights: RowWeights, profile: CostProfile) -> float:
    """The detector that flags each window's first row scores ``tp`` per window."""
    return profile.tp * weights.n_windows


def normalise(raw: float, null: float, perfect: float) -> float:
    """``100 * (raw - null) / (perfect - null)``; 0 for the null detector, 100 for the perfect one."""
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0


@dataclass(frozen=True)
class ScoredSeries:
    """A detector's per-row anomaly scores on one labelled series, with the NAB row weights."""

    name: str
    weights: RowWeights
    scores: F64

    @property
    def category(self) -> str:
        return self.name.split("/", 1)[0]


def corpus_score(items: Sequence[ScoredSeries], threshold: float, profile: CostProfile) -> tuple[float, Counts]:
    """Normalised NAB score of a corpus at one threshold, and the summed raw counts."""
    total = ZERO
    null = perfect = 0.0
    for it in items:
        total = total + score_detections(it.weights, it.scores >= threshold, profile)
        null += null_score(it.weights, profile)
        perfect += perfect_score(it.weights, profile)
    return normalise(total.score, null, perfect), total


def sweep(items: Sequence[ScoredSeries], profile: CostProfile) -> tuple[F64, F64]:
    """Every distinct threshold (scores, descending) and the normalised corpus score at each (exact).

    Lowering the threshold to the next distinct score adds the rows with that score: a row outside any
    window adds its FP weight, a row in a window raises that window's best detection (from ``-fn``).
    """
    scores, fpw, tpw, win = [], [], [], []
    null = perfect = 0.0
    offset = 0
    for it in items:
        w = it.weights
        m = w.scored
        scores.append(it.scores[m])
        fpw.append(np.where(w.window[m] < 0, w.fp_unweighted[m] * profile.fp, 0.0))
        tpw.append(w.tp_unweighted[m] * profile.tp / MAX_TP)
        win.append(np.where(w.window[m] >= 0, w.window[m] + offset, -1))
        offset += int(w.window.max()) + 1 if w.window.size else 0
        null += null_score(w, profile)
        perfect += perfect_score(w, profile)
    if not scores:
        return np.zeros(0), np.zeros(0)
    s = np.concatenate(scores)
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    win_sorted = np.concatenate(win)[order]
    tp_sorted = np.concatenate(tpw)[order]
    delta = np.concatenate(fpw)[order]
    inside = np.flatnonzero(win_sorted >= 0)
    if inside.size:
        by_win = inside[np.argsort(win_sorted[inside], kind="stable")]  # rank order kept within a window
        ids = win_sorted[by_win]
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        for a, b in zip(starts, np.concatenate((starts[1:], [by_win.size])), strict=True):
            pos = by_win[a:b]
            run = np.maximum.accumulate(np.concatenate(([-profile.fn], tp_sorted[pos])))
            delta[pos] += np.diff(run)
    raw = null + np.cumsum(delta)
    last_of_tie = np.concatenate((s_sorted[1:] != s_sorted[:-1], [True]))
    thresholds = np.concatenate(([1.1], s_sorted[last_of_tie]))
    raws = np.concatenate(([null], raw[last_of_tie]))
    return thresholds, np.array([normalise(r, null, perfect) for r in raws])


def optimise_threshold(items: Sequence[ScoredSeries], profile: CostProfile) -> tuple[float, float]:
    """The threshold that maximises the corpus score, and that score (NAB's exhaustive sweep).

    Ties keep the highest threshold (the fewest alerts).
    """
    thresholds, scores = sweep(items, profile)
    if thresholds.size == 0:
        return 1.1, 0.0
    k = int(np.argmax(scores))
    return float(thresholds[k]), float(scores[k])


SMOOTHING_STEP = 0.005
"""Grid step of :func:`robust_threshold`, in decades of ``1 - threshold``."""


def robust_threshold(items: Sequence[ScoredSeries], profile: CostProfile, width: float) -> tuple[float, float, float]:
    """A threshold on a plateau rather than at a cliff's edge: the maximiser of the score averaged over
    ``± width`` decades of ``1 - threshold``; returns ``(threshold, score there, smoothed score)``.

    NAB's optimised threshold (:func:`optimise_threshold`) is by construction the score of some
    detection, so it sits exactly at the edge where one more decimal loses that detection: the step
    curve of the score is maximised, and a threshold chosen that way travels badly to other series.
    Here the curve is read on a grid of ``x = -log10(1 - threshold)`` (0 to 16, step 0.005) and
    averaged over ``[x - width, x + width]``; ``width`` = 0 is NAB's choice on that grid. Ties keep the
    highest threshold.
    """
    thresholds, scores = sweep(items, profile)
    if thresholds.size == 0:
        return 1.1, 0.0, 0.0
    xs = np.arange(0.0, 16.0 + SMOOTHING_STEP / 2, SMOOTHING_STEP)
    grid_t = 1.0 - np.power(10.0, -xs)
    # detected = score >= t: the same rows as at the smallest distinct score >= t (thresholds descend)
    asc_t = thresholds[::-1]
    k = np.searchsorted(asc_t, grid_t, side="left")
    vals = np.where(k < asc_t.size, scores[::-1][np.minimum(k, asc_t.size - 1)], scores[0])
    h = round(width / SMOOTHING_STEP)
    if h > 0:
        pad = np.concatenate((np.full(h, vals[0]), vals, np.full(h, vals[-1])))
        c = np.concatenate(([0.0], np.cumsum(pad)))
        smooth = (c[2 * h + 1:] - c[:-2 * h - 1]) / (2 * h + 1)
    else:
        smooth = vals
    best = np.flatnonzero(smooth >= smooth.max() - 1e-9)[-1]
    return float(grid_t[best]), float(vals[best]), float(smooth[best])


def load_windows(path: Path) -> dict[str, list[list[str]]]:
    """``combined_windows.json``: series name → list of ``[start, end]`` timestamp strings."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read NAB windows ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object of series name -> windows")
    return data
