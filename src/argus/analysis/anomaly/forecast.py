"""Pure forecasts of a metric series: seasonal profile + damped-trend exponential smoothing, with
empirical prediction intervals.

Model (numpy only, no statsforecast: that would bring ≈ 330 MB, see ``../shared/LIBRARY-NOTES.md``):

1. the step is the median spacing of the points; a horizon of ``H`` hours is ``round(H h / step)`` steps;
2. when the history spans at least ``min_season_days`` days, an hour-of-day profile (median per hour of
   the level-removed values over the history) is removed, and added back to the forecast;
3. Holt's additive damped trend on what is left: ``level``, ``trend``, damping ``phi``; ``alpha`` is
   chosen from a small grid by one-step error over the history;
4. intervals are *empirical*: the ``h``-step errors the same model made from every earlier origin in the
   history (``y[t+h] - forecast_t(h)``), whose 10/90 % and 2.5/97.5 % quantiles are added to the point
   forecast. An 80 % interval therefore contains ~80 % of outcomes when the future errs like the past.

Everything uses the given points only (causal): a backtest passes a prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from argus.analysis.anomaly.baselines import F64, season_bucket
from argus.analysis.anomaly.schemas import Season, Series


@dataclass(frozen=True)
class ForecastParams:
    history: int = 4032
    """Points the model is fitted on (the most recent; 14 days of 5-minute points)."""
    alphas: tuple[float, ...] = (0.05, 0.2, 0.5, 0.9)
    beta: float = 0.05
    phi: float = 0.9
    min_season_days: float = 3.0
    min_points: int = 30
    error_origins: int = 2000
    """Most recent origins whose errors form the intervals."""


@dataclass(frozen=True)
class HorizonForecast:
    """The forecast ``hours`` ahead (``steps`` points): point value, 80 % and 95 % intervals."""

    hours: float
    steps: int
    at: str
    point: float
    low80: float
    high80: float
    low95: float
    high95: float


@dataclass(frozen=True)
class Forecast:
    origin: str
    step_seconds: float
    seasonal: bool
    alpha: float
    horizons: tuple[HorizonForecast, ...]
    path_steps: tuple[int, ...]
    path_point: tuple[float, ...]
    path_errors: tuple[tuple[float, ...], ...]
    """Per path step: the empirical errors (sorted), for exceedance probabilities."""

    def exceedance(self, limit: float, max_steps: int) -> tuple[float, int]:
        """Highest P(value > limit) over the path steps up to ``max_steps``, and the step where it is."""
        best, where = 0.0, 0
        for s, p, errs in zip(self.path_steps, self.path_point, self.path_errors, strict=True):
            if s > max_steps or not errs:
                continue
            e = np.asarray(errs)
            prob = float((p + e > limit).mean())
            if prob > best:
                best, where = prob, s
        return best, where

    def peak(self, max_steps: int) -> float:
        vals = [p for s, p in zip(self.path_steps, self.path_point, strict=True) if s <= max_steps]
        return max(vals) if vals else float("nan")


def _holt(y: F64, alpha: float, beta: float, phi: float) -> tuple[F64, F64]:
    """Level and trend after each point (state at ``t`` uses ``y[:t + 1]``)."""
    n = y.shape[0]
    lv = np.empty(n)
    tr = np.empty(n)
    level, trend = float(y[0]), 0.0
    a, b = alpha, beta
    for t in range(n):
        prev_level = level
        level = a * float(y[t]) + (1 - a) * (level + phi * trend)
        trend = b * (level - prev_level) + (1 - b) * phi * trend
        lv[t] = level
        tr[t] = trend
    return lv, tr


def robust_clean(y: F64, window: int = 5, k: float = 6.0) -> F64:
    """``y`` with outliers pulled in: residuals from the trailing median of ``window`` points are clipped at
    ``k`` robust standard deviations, so one spike does not move the level the forecast starts from."""
    n = y.shape[0]
    if n < 3:
        return y
    w = min(window, n)
    pad = np.concatenate((np.full(w - 1, y[0]), y))
    med = np.median(np.lib.stride_tricks.sliding_window_view(pad, w), axis=1)
    r = y - med
    scale = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    if scale <= 0:
        scale = float(np.std(r)) or 1e-9
    return np.asarray(med + np.clip(r, -k * scale, k * scale), dtype=np.float64)


def _damp_sum(phi: float, h: int) -> float:
    return float(sum(phi ** k for k in range(1, h + 1)))


def step_seconds(series: Series) -> float:
    secs = series.timestamps.astype("datetime64[s]").astype(np.int64)
    d = np.diff(secs)
    d = d[d > 0]
    return float(np.median(d)) if d.size else 3600.0


def forecast(series: Series, horizons_h: Sequence[float], params: ForecastParams = ForecastParams()
             ) -> Forecast | None:
    """Forecast ``horizons_h`` hours after the last point; ``None`` with fewer than ``min_points``."""
    n_all = len(series)
    if n_all < params.min_points:
        return None
    s = series if n_all <= params.history else Series(series.timestamps[-params.history:],
                                                      series.values[-params.history:])
    raw = s.values.astype(np.float64)
    y = robust_clean(raw)
    n = y.shape[0]
    step = step_seconds(s)
    span_days = float((s.timestamps[-1] - s.timestamps[0]) / np.timedelta64(1, "s")) / 86400.0
    seasonal = span_days >= params.min_season_days and step <= 3600.0
    season = np.zeros(24)
    buckets = season_bucket(s.timestamps, Season.HOUR_OF_DAY)
    if seasonal:
        win = max(1, round(86400.0 / step))
        kernel = np.ones(win) / win
        pad = np.concatenate((np.full(win - 1, y[0]), y))
        local = np.convolve(pad, kernel, mode="valid")  # trailing daily mean (causal)
        resid = y - local
        for h in range(24):
            m = buckets == h
            if m.any():
                season[h] = float(np.median(resid[m]))
    z = y - season[buckets]
    best = None
    for a in params.alphas:
        lv, tr = _holt(z, a, params.beta, params.phi)
        err = float(np.mean(np.abs(z[1:] - (lv[:-1] + params.phi * tr[:-1])))) if n > 1 else 0.0
        if best is None or err < best[0]:
            best = (err, a, lv, tr)
    assert best is not None
    _, alpha, lv, tr = best
    last_t = s.timestamps[-1]
    step_td = np.timedelta64(round(step), "s")
    h_steps = [max(1, round(h * 3600.0 / step)) for h in horizons_h]
    max_steps = max(h_steps) if h_steps else 1
    path = sorted({*h_steps, *(int(x) for x in np.unique(np.linspace(1, max_steps, 24).round()))})

    def point(origin_idx: np.ndarray | int, h: int, at: np.ndarray | np.datetime64) -> F64:
        hour = season_bucket(np.atleast_1d(at).astype("datetime64[s]"), Season.HOUR_OF_DAY)
        return np.asarray(lv[origin_idx] + _damp_sum(params.phi, h) * tr[origin_idx] + season[hour], dtype=np.float64)

    errors: dict[int, F64] = {}
    for h in path:
        o = np.arange(max(0, n - h - params.error_origins), max(0, n - h))
        if o.size == 0:
            errors[h] = np.zeros(0)
            continue
        # the forecast for the point h rows later (its real time, gaps included)
        fc = point(o, h, s.timestamps[o + h])
        errors[h] = np.sort(raw[o + h] - fc)  # against what happened, outliers included
    out = []
    for hours, h in zip(horizons_h, h_steps, strict=True):
        at = last_t + step_td * h
        p = float(point(n - 1, h, at)[0])
        e = errors[h]
        q = np.quantile(e, [0.025, 0.1, 0.9, 0.975]) if e.size >= 5 else np.array([np.nan] * 4)
        out.append(HorizonForecast(float(hours), h, f"{np.datetime_as_string(at, unit='s')}Z", p,
                                   p + float(q[1]), p + float(q[2]), p + float(q[0]), p + float(q[3])))
    path_point = tuple(float(point(n - 1, h, last_t + step_td * h)[0]) for h in path)
    return Forecast(f"{np.datetime_as_string(last_t, unit='s')}Z", step, seasonal, alpha, tuple(out), tuple(path),
                    path_point, tuple(tuple(float(x) for x in errors[h]) for h in path))
