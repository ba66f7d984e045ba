"""Forecasts: intervals that cover what they say on data like the model's, horizons in the series' own steps."""

from __future__ import annotations

import numpy as np

from argus.analysis.anomaly.forecast import forecast, robust_clean
from argus.analysis.anomaly.schemas import Series
from argus.evaluation.anomaly_forecast import backtest
from argus.evaluation.anomaly_nab import NabSeries


def _seasonal(n: int, seed: int, step_min: int = 30) -> Series:
    rng = np.random.default_rng(seed)
    t = np.datetime64("2026-01-01T00:00:00") + np.arange(n) * np.timedelta64(step_min, "m")
    hours = (t.astype("datetime64[m]").astype(np.int64) / 60.0) % 24
    v = 100 + 20 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 3, n)
    return Series(t.astype("datetime64[s]"), v)


def test_intervals_cover_about_what_they_say_in_a_backtest() -> None:
    corpus = [NabSeries(f"synthetic/s{k}.csv", _seasonal(1500, k), ()) for k in range(6)]
    r = backtest(corpus, (3.0, 24.0), origins=15)
    assert r.origins == 90
    for h in r.horizons:
        assert 0.65 <= h.coverage80 <= 0.95 and 0.85 <= h.coverage95 <= 1.0, h
        assert h.mae_ratio_naive < 1.0  # beats "tomorrow looks like now" on a daily cycle


def test_horizons_are_steps_of_the_series_and_intervals_are_nested() -> None:
    fc = forecast(_seasonal(600, 1), (3.0, 6.0, 12.0, 24.0))
    assert fc is not None and fc.seasonal and fc.step_seconds == 1800.0
    assert [h.steps for h in fc.horizons] == [6, 12, 24, 48]
    for h in fc.horizons:
        assert h.low95 <= h.low80 <= h.point <= h.high80 <= h.high95
        assert 60 < h.point < 140
    assert forecast(_seasonal(10, 1), (3.0,)) is None  # too short


def test_one_spike_does_not_move_the_forecast_level() -> None:
    s = _seasonal(600, 2)
    spiked = Series(s.timestamps, s.values.copy())
    spiked.values[-3] += 1000
    a, b = forecast(s, (3.0,)), forecast(spiked, (3.0,))
    assert a is not None and b is not None
    assert abs(a.horizons[0].point - b.horizons[0].point) < 10  # unclean, alpha 0.2 would move it by ~200
    assert robust_clean(spiked.values)[-3] < 200
