"""Pure forecasts of a metric series: candidate models chosen per series and horizon on the series' own
history, with conformal prediction intervals from the chosen model's own backtest errors.

Model (numpy only, no statsforecast: that would bring ≈ 330 MB, see ``../shared/LIBRARY-NOTES.md``):

1. the step is the median spacing of the points; a horizon of ``H`` hours is ``round(H h / step)`` steps;
2. candidates, each forecasting ``h`` steps after an origin from the points up to that origin only:
   ``damped`` (an hour-of-day profile, when the history spans ``min_season_days``, plus Holt's additive
   damped trend on what is left), ``naive`` (the last value), ``seasonal_day`` (the value one day
   before the target time, a whole number of days back so that it is known at the origin),
   ``seasonal_day_median`` / ``seasonal_week_median`` (median of the last ``season_lags`` such values a
   day / a week apart, at least 2: a single copy of a week ago copied a one-off burst on NAB) and
   ``mean`` (the average of ``damped`` and ``seasonal_day``);
3. **backtest on rolling origins**: at each requested horizon ``h`` every candidate forecasts from each of
   the last ``error_origins`` origins whose target is still in the history (so strictly before the
   forecast origin); its skill is its mean absolute error over the naive forecast's on the origins where
   it has a forecast, and the simplest candidate within ``tie`` (2 %) of the best skill is chosen. Path
   steps between horizons use the next horizon's model;
4. intervals are **split-conformal**: the chosen candidate's signed ``h``-step errors on its origins
   (``y[t+h] - forecast_t(h)``), widened around their median by a factor per level, give the bounds as
   order statistics (``ceil((n+1)·q)``-th for the upper, the mirror for the lower), added to the point
   forecast. The widths ``interval_scale80`` / ``interval_scale95`` were chosen held out on NAB
   (``bench/forecast_heldout.py``). With fewer than ``min_backtest`` errors the fallback is the random walk's: the one-step
   differences scaled by ``sqrt(h)``;
5. a series never below 0 in its history (counts, durations) gets point and bounds clipped at 0.

Everything uses the given points only (causal): a backtest passes a prefix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from argus.analysis.anomaly.baselines import F64, I64, season_bucket
from argus.analysis.anomaly.schemas import Season, Series

DAY_S = 86400.0
WEEK_S = 7 * DAY_S
CANDIDATES: tuple[str, ...] = ("naive", "seasonal_day", "seasonal_day_median", "seasonal_week_median", "damped",
                               "mean")
"""Simplest first: the order in which candidates tied on skill are preferred."""


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
    """Most recent origins of the backtest: they choose the model and form the intervals."""
    candidates: tuple[str, ...] = CANDIDATES[:-1]
    """``mean`` is left out: the held-out protocol (``bench/forecast_heldout.py``, tuned on NAB fold 1) chose
    the set without it."""
    season_lags: int = 5
    """How many past days ``seasonal_day_median`` takes the median of."""
    tie: float = 0.02
    """Candidates whose skill is within this fraction of the best are tied; the simplest of them is chosen
    (fixed a priori, not tuned: a random walk should get the naive forecast, not a lucky damped trend)."""
    min_backtest: int = 30
    """A candidate needs this many backtest forecasts to be chosen; intervals need this many errors."""
    min_backtest_horizons: float = 3.0
    """… and its backtest origins must span this many horizons (``h``-step errors of neighbouring origins
    overlap: 3 × h origins are about 3 independent windows). Fixed a priori, not tuned."""
    interval_scale80: float = 1.0
    """The conformal errors are widened around their median by this factor for the 80 % interval (and the
    breach probabilities); 1: as measured."""
    interval_scale95: float = 1.1
    """The same for the 95 % interval (heavy tails are under-represented by the recent errors)."""


@dataclass(frozen=True)
class HorizonForecast:
    """The forecast ``hours`` ahead (``steps`` points): point value, 80 % and 95 % intervals, and the model
    chosen for it with its backtest (mean absolute error over ``backtest_origins`` rolling origins)."""

    hours: float
    steps: int
    at: str
    point: float
    low80: float
    high80: float
    low95: float
    high95: float
    model: str = "damped"
    backtest_mae: float = float("nan")
    backtest_origins: int = 0


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
    """Per path step: the chosen model's backtest errors (sorted, scaled), for exceedance probabilities."""
    floor: float | None = None
    """Lower bound of the values (0 for a series never below 0), applied to forecasts and bounds."""

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


def conformal_bounds(errors: F64, coverage: float) -> tuple[float, float]:
    """Split-conformal lower and upper error bounds from sorted ``errors``: the ``ceil((n+1)(1+c)/2)``-th
    smallest for the upper, its mirror for the lower (order statistics, so discrete values stay discrete).
    Beyond the sample (too few errors for the level) the extreme error is used."""
    n = errors.shape[0]
    k = min(n, math.ceil((n + 1) * (1 + coverage) / 2))
    return float(errors[n - k]), float(errors[k - 1])


def widened(errors: F64, scale: float) -> F64:
    """``errors`` spread around their median by ``scale`` (order kept)."""
    if scale == 1.0 or not errors.size:
        return errors
    med = float(np.median(errors))
    return np.asarray(med + (errors - med) * scale, dtype=np.float64)


def _median(rows: list[F64]) -> F64:
    """Column-wise median of the non-NaN values; NaN where fewer than 2 (one copy of a period ago would copy
    a one-off event too)."""
    stack = np.sort(np.vstack(rows), axis=0)  # NaN last
    m = (~np.isnan(stack)).sum(axis=0)
    cols = np.arange(stack.shape[1])
    med = 0.5 * (stack[np.maximum(m - 1, 0) // 2, cols] + stack[m // 2, cols])
    return np.where(m >= 2, med, np.nan)


@dataclass
class _Fit:
    """What the candidates need: the series (raw and cleaned), its times in seconds, the damped model."""

    raw: F64
    y: F64
    secs: I64
    step: float
    season: F64
    lv: F64
    tr: F64
    phi: float
    lags: int

    def damped(self, o: I64, h: int, target: I64) -> F64:
        hour = ((target // 3600) % 24).astype(np.int64)
        return np.asarray(self.lv[o] + _damp_sum(self.phi, h) * self.tr[o] + self.season[hour], dtype=np.float64)

    def _lagged(self, o: I64, target: I64, period: float, extra: int) -> F64:
        """The value ``k + extra`` periods before ``target`` (``k`` the fewest periods that reach back to the
        origin): the last point at or before that time, NaN when there is none within a tolerance."""
        per = int(period)
        k = np.maximum(1, -((self.secs[o] - target) // per)) + extra  # ceil of the gap in periods
        when = target - k * per
        idx = np.searchsorted(self.secs, when, side="right") - 1
        ok = idx >= 0
        idx = np.clip(idx, 0, None)
        ok &= (when - self.secs[idx]) <= max(2 * self.step, period / 8)
        return np.where(ok, self.y[idx], np.nan)

    def predict(self, names: Sequence[str], o: I64, h: int, target: I64) -> dict[str, F64]:
        """Each named candidate's forecast ``h`` steps after origins ``o`` for the times ``target`` (NaN: none)."""
        out: dict[str, F64] = {}
        days: list[F64] = []
        for name in names:
            if name == "damped" or (name == "mean" and "damped" not in out):
                out["damped"] = self.damped(o, h, target)
            if name in ("seasonal_day", "seasonal_day_median", "mean") and not days:
                days.append(self._lagged(o, target, DAY_S, 0))
            if name == "naive":
                out[name] = np.asarray(self.y[o], dtype=np.float64)
            elif name == "seasonal_day":
                out[name] = days[0]
            elif name == "seasonal_week_median":
                out[name] = _median([self._lagged(o, target, WEEK_S, j) for j in range(self.lags)])
            elif name == "seasonal_day_median":
                days.extend(self._lagged(o, target, DAY_S, j) for j in range(len(days), self.lags))
                out[name] = _median(days)
            elif name == "mean":
                out[name] = 0.5 * (out["damped"] + days[0])
        return {name: out[name] for name in names}


def _fit(s: Series, params: ForecastParams) -> tuple[_Fit, bool, float]:
    raw = s.values.astype(np.float64)
    y = robust_clean(raw)
    n = y.shape[0]
    step = step_seconds(s)
    span_days = float((s.timestamps[-1] - s.timestamps[0]) / np.timedelta64(1, "s")) / DAY_S
    seasonal = span_days >= params.min_season_days and step <= 3600.0
    season = np.zeros(24)
    if seasonal:
        buckets = season_bucket(s.timestamps, Season.HOUR_OF_DAY)
        win = max(1, round(DAY_S / step))
        kernel = np.ones(win) / win
        pad = np.concatenate((np.full(win - 1, y[0]), y))
        local = np.convolve(pad, kernel, mode="valid")  # trailing daily mean (causal)
        resid = y - local
        for hr in range(24):
            m = buckets == hr
            if m.any():
                season[hr] = float(np.median(resid[m]))
        z = y - season[buckets]
    else:
        z = y
    best = None
    for a in params.alphas:
        lv, tr = _holt(z, a, params.beta, params.phi)
        err = float(np.mean(np.abs(z[1:] - (lv[:-1] + params.phi * tr[:-1])))) if n > 1 else 0.0
        if best is None or err < best[0]:
            best = (err, a, lv, tr)
    assert best is not None
    _, alpha, lv, tr = best
    secs = s.timestamps.astype("datetime64[s]").astype(np.int64)
    return _Fit(raw, y, secs, step, season, lv, tr, params.phi, params.season_lags), seasonal, alpha


def _fallback_errors(raw: F64, h: int) -> F64:
    """The random walk's ``h``-step errors: one-step differences × sqrt(h)."""
    d = np.diff(raw)
    return np.sort(d * math.sqrt(h)) if d.size else np.zeros(0)


_Choice = tuple[str, float, int, float, F64]
"""Chosen model, its backtest MAE, how many errors, its forecast from the last point, its sorted errors."""


def _choose(fit: _Fit, params: ForecastParams, candidates: Sequence[str], h: int) -> _Choice:
    """Backtest ``candidates`` ``h`` steps ahead from the last ``error_origins`` origins whose target is in the
    history. Each one's skill is its MAE over the naive forecast's on the origins where it forecasts; the
    first candidate (simplest first) within ``tie`` of the best skill is chosen (fallback: naive)."""
    n = fit.raw.shape[0]
    o = np.arange(max(0, n - h - params.error_origins), max(0, n - h))
    final_t = np.array([int(fit.secs[-1]) + round(h * fit.step)], dtype=np.int64)
    now = fit.predict(candidates, np.array([n - 1]), h, final_t)
    past = fit.predict(candidates, o, h, fit.secs[o + h])
    actual = fit.raw[o + h]
    naive_err = np.abs(actual - fit.y[o])
    scored: list[tuple[str, float, float, float, F64]] = []  # name, skill, MAE, forecast now, errors
    for name in candidates:
        p_now = float(now[name][0])
        if math.isnan(p_now):
            continue  # no forecast at the origin (no value a period back)
        own = ~np.isnan(past[name])
        if int(np.count_nonzero(own)) < max(params.min_backtest, params.min_backtest_horizons * h):
            continue  # too few (overlapping) backtest windows to judge it at this horizon
        err = actual[own] - past[name][own]
        mae, base = float(np.abs(err).mean()), float(naive_err[own].mean())
        skill = mae / base if base > 0 else (1.0 if mae == 0 else math.inf)
        scored.append((name, skill, mae, p_now, err))
    if not scored:
        return ("naive", float("nan"), 0, float(fit.y[-1]), _fallback_errors(fit.raw, h))
    best = min(sc[1] for sc in scored)
    name, _, mae, p_now, err = next(sc for sc in scored if sc[1] <= best * (1 + params.tie) + 1e-12)
    errs = np.sort(err)
    if errs.size < params.min_backtest:
        errs = _fallback_errors(fit.raw, h)
    return (name, mae, int(errs.size), p_now, errs)


def forecast(series: Series, horizons_h: Sequence[float], params: ForecastParams = ForecastParams()
             ) -> Forecast | None:
    """Forecast ``horizons_h`` hours after the last point; ``None`` with fewer than ``min_points``."""
    unknown = set(params.candidates) - set(CANDIDATES)
    if unknown or not params.candidates:
        raise ValueError(f"forecast candidates {sorted(unknown)}: use some of {', '.join(CANDIDATES)}")
    n_all = len(series)
    if n_all < params.min_points:
        return None
    s = series if n_all <= params.history else Series(series.timestamps[-params.history:],
                                                      series.values[-params.history:])
    fit, seasonal, alpha = _fit(s, params)
    raw, step = fit.raw, fit.step
    floor = 0.0 if float(raw.min()) >= 0 else None
    last = int(fit.secs[-1])
    h_steps = [max(1, round(h * 3600.0 / step)) for h in horizons_h]
    max_steps = max(h_steps) if h_steps else 1
    path = sorted({*h_steps, *(int(x) for x in np.unique(np.linspace(1, max_steps, 24).round()))})
    chosen: dict[int, _Choice] = {h: _choose(fit, params, params.candidates, h) for h in sorted(set(h_steps))}
    for h in path:  # between horizons: the model chosen for the next horizon, with its own errors at h
        if h not in chosen:
            nxt = min(k for k in h_steps if k >= h)
            chosen[h] = _choose(fit, params, (chosen[nxt][0],), h)
    path_errors = {h: widened(pick[4], params.interval_scale80) for h, pick in chosen.items()}

    def clip(x: float) -> float:
        return x if floor is None or math.isnan(x) else max(floor, x)

    out = []
    for hours, h in zip(horizons_h, h_steps, strict=True):
        at = np.datetime64(last + round(h * step), "s")
        name, mae, count, pt = chosen[h][:4]
        e = chosen[h][4]
        if e.size >= 5:
            lo80, hi80 = conformal_bounds(widened(e, params.interval_scale80), 0.8)
            lo95, hi95 = conformal_bounds(widened(e, params.interval_scale95), 0.95)
        else:
            lo80 = hi80 = lo95 = hi95 = float("nan")
        out.append(HorizonForecast(float(hours), h, f"{np.datetime_as_string(at, unit='s')}Z", clip(pt),
                                   clip(pt + lo80), clip(pt + hi80), clip(pt + lo95), clip(pt + hi95),
                                   name, mae, count))
    path_point = tuple(clip(chosen[h][3]) for h in path)
    return Forecast(f"{np.datetime_as_string(np.datetime64(last, 's'), unit='s')}Z", step, seasonal, alpha,
                    tuple(out), tuple(path), path_point, tuple(tuple(path_errors[h].tolist()) for h in path),
                    floor)
