"""Forecasts: intervals that cover what they say on data like the model's, horizons in the series' own steps."""

from __future__ import annotations

import numpy as np
import pytest

from argus.analysis.anomaly.forecast import ForecastParams, conformal_bounds, forecast, robust_clean
from argus.analysis.anomaly.insights import forecast_insight
from argus.analysis.anomaly.schemas import GateParams, Series
from argus.evaluation.anomaly_forecast import backtest, origins_of, records
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


def _five_min(values: np.ndarray) -> Series:
    t = np.datetime64("2026-01-05T00:00:00") + np.arange(values.shape[0]) * np.timedelta64(5, "m")
    return Series(t.astype("datetime64[s]"), values.astype(np.float64))


def _daily_pattern(days: int, seed: int, noise: float = 1.0) -> Series:
    """A daily shape that changes every 5 minutes (an hour-of-day profile cannot follow it) plus noise."""
    rng = np.random.default_rng(seed)
    shape = 50 + 30 * rng.random(288)
    return _five_min(np.tile(shape, days) + rng.normal(0, noise, 288 * days))


def test_model_choice_seasonal_naive_on_a_daily_pattern_and_naive_on_a_random_walk() -> None:
    fc = forecast(_daily_pattern(8, 3), (3.0, 6.0, 12.0, 24.0))
    assert fc is not None
    assert {h.model for h in fc.horizons} <= {"seasonal_day", "seasonal_day_median"}, fc.horizons
    only = ForecastParams(candidates=("damped", "naive", "seasonal_day"))
    fc = forecast(_daily_pattern(8, 3), (6.0,), only)
    assert fc is not None and fc.horizons[0].model == "seasonal_day"
    chosen = []
    for seed in range(10):  # one path of a random walk can look mean-reverting: judge over several
        walk = _five_min(1000 + np.cumsum(np.random.default_rng(seed).normal(0, 5, 4032)))
        fc = forecast(walk, (3.0, 6.0, 12.0, 24.0))
        assert fc is not None and fc.horizons[0].model == "naive", fc.horizons
        chosen += [h.model for h in fc.horizons]
        assert all(h.backtest_origins >= 3 * h.steps and h.backtest_mae > 0 for h in fc.horizons)
    assert chosen.count("naive") >= 0.8 * len(chosen), chosen


def test_no_point_after_the_origin_is_used() -> None:
    s = _daily_pattern(8, 5)
    o = int(origins_of(len(s), 300.0, (3.0, 24.0), 4)[1])
    changed = Series(s.timestamps, s.values.copy())
    changed.values[o + 1:] = 1e6  # wildly different future
    a = forecast(s.head(o + 1), (3.0, 24.0))
    b = forecast(changed.head(o + 1), (3.0, 24.0))
    assert a == b
    ra = [r for r in records([NabSeries("x/a.csv", s, ())], (3.0, 24.0), 4) if r.origin == o]
    rb = [r for r in records([NabSeries("x/a.csv", changed, ())], (3.0, 24.0), 4) if r.origin == o]
    assert ra and [(r.point, r.low80, r.high95, r.model) for r in ra] == [(r.point, r.low80, r.high95, r.model)
                                                                             for r in rb]


def test_conformal_bounds_are_order_statistics() -> None:
    e = np.arange(1.0, 100.0)  # 99 sorted errors
    lo, hi = conformal_bounds(e, 0.8)
    assert (lo, hi) == (10.0, 90.0)  # ceil(100 * 0.9) = 90th smallest; its mirror
    lo, hi = conformal_bounds(np.arange(1.0, 6.0), 0.95)
    assert (lo, hi) == (1.0, 5.0)  # too few errors for the level: the extremes


def test_zero_heavy_counts_never_go_below_zero_and_cover_in_a_backtest() -> None:
    rng = np.random.default_rng(6)
    corpus = []
    for k in range(4):
        v = np.where(rng.random(2000) < 0.85, 0.0, rng.integers(1, 6, 2000).astype(float))
        corpus.append(NabSeries(f"x/counts{k}.csv", _five_min(v), ()))
    fc = forecast(corpus[0].series, (3.0, 6.0, 12.0, 24.0))
    assert fc is not None and fc.floor == 0.0
    for h in fc.horizons:
        assert 0.0 <= h.low95 <= h.low80 <= h.point <= h.high80 <= h.high95
    r = backtest(corpus, (3.0, 24.0), origins=12)
    for h in r.horizons:
        assert h.coverage80 >= 0.7 and h.coverage95 >= 0.88, h


def test_short_history_falls_back_to_random_walk_intervals() -> None:
    s = _five_min(100 + np.cumsum(np.random.default_rng(7).normal(0, 1, 40)))
    fc = forecast(s, (1.0, 2.0))
    assert fc is not None
    for h in fc.horizons:
        assert h.model == "naive" and h.backtest_origins < 30
        assert h.low95 <= h.low80 < h.point < h.high80 <= h.high95  # random walk's errors, widening with h
    assert fc.horizons[1].high80 - fc.horizons[1].low80 > fc.horizons[0].high80 - fc.horizons[0].low80


def test_unknown_candidate_is_refused() -> None:
    with pytest.raises(ValueError, match="forecast candidates \\['prophet'\\]"):
        forecast(_seasonal(600, 1), (3.0,), ForecastParams(candidates=("naive", "prophet")))


def test_breach_within_horizon_and_capacity_follow_the_daily_peak() -> None:
    s = _seasonal(24 * 2 * 10 + 12, 8)  # ten days and 6 h of 30-minute points; the daily peak is at 06:00
    s = Series(s.timestamps[:-24], s.values[:-24])  # ends at 17:30: the next peak is 12.5 h away
    fc = forecast(s, (3.0, 6.0, 12.0, 24.0))
    assert fc is not None
    assert {h.model for h in fc.horizons} & {"seasonal_day", "seasonal_day_median", "damped"}
    gp = GateParams()
    ins = forecast_insight("build.queue_s", fc, 112.0, None, gp)
    assert ins is not None and ins.action == "prevent_breach"
    assert ins.data["breach"]["hours"] in (12.0, 24.0)  # not within 3 or 6 h: the peak is 12 h away
    assert "will exceed 112 within" in ins.title
    assert forecast_insight("build.queue_s", fc, 1000.0, None, gp) is None
    cap = forecast_insight("build.queue_s", fc, None, 130.0, gp)
    assert cap is not None and cap.action == "raise_capacity"
    rec = cap.data["capacity_recommendation"]
    assert rec["peak"] > 0.8 * 130.0 and rec["recommended"] == pytest.approx(rec["peak"] * 1.2)
    assert all(h["model"] for h in cap.data["horizons"])
