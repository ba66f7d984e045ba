"""Backtest of Argus's forecasts on the NAB series: do 80 % / 95 % intervals contain 80 % / 95 % of outcomes?

From each series, ``origins`` forecast origins are spread evenly over its second half (an origin needs
3 days of history and the longest horizon after it). At each origin the model sees the points up to it
only, forecasts the horizons (in hours, turned into steps by the series' own spacing), and the value
actually observed that many steps later is checked against the intervals. The point forecast's mean
absolute error is reported against the naive forecast (the last value) as ``skill`` (< 1 is better).

``records`` gives every (series, origin, horizon) outcome with the chosen model's backtest errors, so a
tuning run (``bench/forecast_heldout.py``) can try interval widths without forecasting again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from argus.analysis.anomaly.forecast import ForecastParams, conformal_bounds, forecast, step_seconds, widened
from argus.evaluation.anomaly_nab import NabSeries

HORIZONS_H: tuple[float, ...] = (3.0, 6.0, 12.0, 24.0)


@dataclass(frozen=True)
class HorizonCoverage:
    hours: float
    forecasts: int
    coverage80: float
    coverage95: float
    mae_ratio_naive: float
    """Mean absolute error of the point forecast divided by the naive (last value) forecast's."""
    models: tuple[tuple[str, int], ...] = ()
    """How often each model was chosen at this horizon, most often first."""


@dataclass(frozen=True)
class ForecastBacktest:
    series: int
    origins: int
    horizons: tuple[HorizonCoverage, ...]


@dataclass(frozen=True)
class Outcome:
    """One forecast checked against what happened."""

    series: str
    origin: int
    hours: float
    actual: float
    last: float
    point: float
    low80: float
    high80: float
    low95: float
    high95: float
    model: str
    errors: np.ndarray
    """The chosen model's backtest errors at this horizon (sorted; widened by ``interval_scale80``)."""
    floor: float | None


def origins_of(n: int, step: float, horizons_h: Sequence[float], origins: int) -> np.ndarray:
    """Origins spread over the second half of a series of ``n`` points (≥ 3 days in, the longest horizon left)."""
    max_steps = max(1, round(max(horizons_h) * 3600.0 / step))
    first = max(n // 2, round(3 * 86400.0 / step))
    last = n - 1 - max_steps
    if last <= first:
        return np.zeros(0, dtype=int)
    return np.unique(np.linspace(first, last, origins).round().astype(int))


def records(corpus: Sequence[NabSeries], horizons_h: Sequence[float] = HORIZONS_H, origins: int = 12,
            params: ForecastParams = ForecastParams()) -> Iterator[Outcome]:
    for ns in corpus:
        s = ns.series
        n = len(s)
        for o in origins_of(n, step_seconds(s), horizons_h, origins):
            fc = forecast(s.head(int(o) + 1), horizons_h, params)
            if fc is None:
                continue
            errs = dict(zip(fc.path_steps, fc.path_errors, strict=True))
            for hf in fc.horizons:
                yield Outcome(ns.name, int(o), hf.hours, float(s.values[min(n - 1, int(o) + hf.steps)]),
                              float(s.values[o]), hf.point, hf.low80, hf.high80, hf.low95, hf.high95, hf.model,
                              np.asarray(errs[hf.steps]), fc.floor)


def rescaled(r: Outcome, scale80: float, scale95: float) -> tuple[float, float, float, float]:
    """The outcome's 80 % and 95 % bounds had its errors been widened by these factors."""
    e = r.errors
    if e.size < 5:
        return (float("nan"),) * 4
    lo80, hi80 = conformal_bounds(widened(e, scale80), 0.8)
    lo95, hi95 = conformal_bounds(widened(e, scale95), 0.95)
    f = -np.inf if r.floor is None else r.floor
    return tuple(float(max(f, r.point + x)) for x in (lo80, hi80, lo95, hi95))  # type: ignore[return-value]


def summarise(outcomes: Sequence[Outcome], horizons_h: Sequence[float], series: int) -> ForecastBacktest:
    out = []
    for h in horizons_h:
        rs = [r for r in outcomes if r.hours == h]
        with_iv = [r for r in rs if not np.isnan(r.low80)]
        nv = float(np.mean([abs(r.actual - r.last) for r in rs])) if rs else float("nan")
        mae = float(np.mean([abs(r.actual - r.point) for r in rs])) if rs else float("nan")
        out.append(HorizonCoverage(
            h, len(with_iv),
            float(np.mean([r.low80 <= r.actual <= r.high80 for r in with_iv])) if with_iv else float("nan"),
            float(np.mean([r.low95 <= r.actual <= r.high95 for r in with_iv])) if with_iv else float("nan"),
            mae / nv if nv else float("nan"), tuple(Counter(r.model for r in rs).most_common())))
    return ForecastBacktest(series, len({(r.series, r.origin) for r in outcomes}), tuple(out))


def backtest(corpus: Sequence[NabSeries], horizons_h: Sequence[float] = HORIZONS_H, origins: int = 12,
             params: ForecastParams = ForecastParams()) -> ForecastBacktest:
    return summarise(list(records(corpus, horizons_h, origins, params)), horizons_h, len(corpus))
