"""Backtest of Argus's forecasts on the NAB series: do 80 % / 95 % intervals contain 80 % / 95 % of outcomes?

From each series, ``origins`` forecast origins are spread evenly over its second half (an origin needs
3 days of history and the longest horizon after it). At each origin the model sees the points up to it
only, forecasts the horizons (in hours, turned into steps by the series' own spacing), and the value
actually observed that many steps later is checked against the intervals. The point forecast's mean
absolute error is reported against the naive forecast (the last value) as ``skill`` (< 1 is better).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from argus.analysis.anomaly.forecast import ForecastParams, forecast, step_seconds
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


@dataclass(frozen=True)
class ForecastBacktest:
    series: int
    origins: int
    horizons: tuple[HorizonCoverage, ...]


def backtest(corpus: Sequence[NabSeries], horizons_h: Sequence[float] = HORIZONS_H, origins: int = 12,
             params: ForecastParams = ForecastParams()) -> ForecastBacktest:
    hits80: dict[float, list[bool]] = {h: [] for h in horizons_h}
    hits95: dict[float, list[bool]] = {h: [] for h in horizons_h}
    err: dict[float, list[float]] = {h: [] for h in horizons_h}
    naive: dict[float, list[float]] = {h: [] for h in horizons_h}
    used = 0
    for ns in corpus:
        s = ns.series
        n = len(s)
        step = step_seconds(s)
        max_steps = max(1, round(max(horizons_h) * 3600.0 / step))
        first = max(n // 2, round(3 * 86400.0 / step))
        last = n - 1 - max_steps
        if last <= first:
            continue
        for o in np.unique(np.linspace(first, last, origins).round().astype(int)):
            fc = forecast(s.head(int(o) + 1), horizons_h, params)
            if fc is None:
                continue
            used += 1
            y0 = float(s.values[o])
            for hf in fc.horizons:
                actual = float(s.values[min(n - 1, int(o) + hf.steps)])
                if not np.isnan(hf.low80):
                    hits80[hf.hours].append(hf.low80 <= actual <= hf.high80)
                    hits95[hf.hours].append(hf.low95 <= actual <= hf.high95)
                err[hf.hours].append(abs(actual - hf.point))
                naive[hf.hours].append(abs(actual - y0))
    out = []
    for h in horizons_h:
        nv = float(np.mean(naive[h])) if naive[h] else float("nan")
        out.append(HorizonCoverage(
            h, len(hits80[h]), float(np.mean(hits80[h])) if hits80[h] else float("nan"),
            float(np.mean(hits95[h])) if hits95[h] else float("nan"),
            float(np.mean(err[h])) / nv if nv else float("nan")))
    return ForecastBacktest(len(corpus), used, tuple(out))
