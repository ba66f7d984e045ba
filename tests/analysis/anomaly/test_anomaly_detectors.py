"""Anomaly detectors: causal (prefix in, prefix out), bounded, and they find what they claim to find."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from argus.analysis.anomaly.baselines import (
    bucket_median_mad,
    previous_time_window_mean,
    previous_window_mean_std,
    previous_window_range,
    reestimated_window_mean_std,
)
from argus.analysis.anomaly.detectors import spike_rule
from argus.analysis.anomaly.ensemble import score_series
from argus.analysis.anomaly.schemas import (
    AnomalyParams,
    Detector,
    LikelihoodCombine,
    PostProcess,
    Series,
    Severity,
)


def seasonal_series(n: int = 3000, seed: int = 7, step_s: int = 300, jitter: bool = True, spike: bool = True) -> Series:
    """Five-minute points with a daily cycle, noise, gaps and jittered clocks; a spike at 2/3."""
    rng = np.random.default_rng(seed)
    steps = np.full(n, step_s)
    if jitter:
        steps = steps + rng.integers(-40, 40, n)
        steps[rng.choice(n, 20, replace=False)] += 3600  # gaps of an hour
    secs = np.cumsum(steps) + 1_700_000_000
    ts = secs.astype("datetime64[s]")
    hour = (secs % 86400) / 3600.0
    v = 100 + 40 * np.sin(2 * np.pi * hour / 24) + rng.normal(0, 3, n)
    if spike:
        v[2 * n // 3] += 90
    return Series(ts, v)


FAST = [d for d in Detector if d is not Detector.CAD_OSE]
"""CAD OSE is pure Python and quadratic: tested on shorter series below."""


@pytest.mark.parametrize("detector", FAST, ids=lambda d: d.value)
def test_scores_of_a_prefix_are_the_prefix_of_the_scores(detector: Detector) -> None:
    s = seasonal_series()
    full = score_series(s, detector)
    for cut in (1, 2, 50, 777, 1500, 2001, 2999):
        part = score_series(s.head(cut), detector)
        assert np.array_equal(part.score, full.score[:cut]), (detector, cut)
        assert np.array_equal(part.alert, full.alert[:cut]), (detector, cut)


@pytest.mark.parametrize("detector", FAST, ids=lambda d: d.value)
def test_scores_are_probabilities_and_alerts_follow_the_threshold(detector: Detector) -> None:
    sc = score_series(seasonal_series(seed=11), detector)
    assert sc.score.shape == (3000,)
    assert np.all((sc.score >= 0.0) & (sc.score <= 1.0))
    assert np.array_equal(sc.alert, sc.score >= sc.threshold)


def test_ensemble_alerts_on_the_spike_and_rarely_elsewhere() -> None:
    s = seasonal_series()
    sc = score_series(s, Detector.ENSEMBLE)
    spike = 2 * len(s) // 3
    assert sc.alert[spike]
    assert sc.alert.sum() <= 3  # one incident, one alert (hold-off), a clean daily cycle otherwise


def test_seasonal_residual_flags_a_daytime_value_at_night_that_is_inside_the_global_range() -> None:
    s = seasonal_series(jitter=False, spike=False)
    secs = s.timestamps.astype(np.int64)
    night = np.flatnonzero(((secs % 86400) // 3600 == 18) & (np.arange(len(s)) > 2200))[0]  # sin minimum
    v = s.values.copy()
    v[night] = 135.0  # an ordinary afternoon value, at the wrong hour
    s2 = Series(s.timestamps, v)
    seasonal = score_series(s2, Detector.SEASONAL)
    extreme = score_series(s2, Detector.EXTREME)
    # averaged over the 10 rows that hold it (Numenta's short window): the most anomalous after warm-up
    assert seasonal.score[night:night + 10].max() == seasonal.score[1000:].max()
    single = dataclasses.replace(AnomalyParams(), seasonal=dataclasses.replace(AnomalyParams().seasonal, short_window=1))
    assert score_series(s2, Detector.SEASONAL, single).score[night] > 0.999
    assert extreme.score[night] == 0.0  # within the range seen before: only the seasonal baseline sees it


def test_flat_series_stays_quiet() -> None:
    ts = (np.arange(2000) * 60 + 1_700_000_000).astype("datetime64[s]")
    sc = score_series(Series(ts, np.full(2000, 5.0)))
    assert not sc.alert.any()
    assert np.all(sc.score == 0.0)


def test_spike_rule_severities_follow_the_seed_2x_3x_5x() -> None:
    ts = (np.arange(20) * 300 + 1_700_000_000).astype("datetime64[s]")
    v = np.full(20, 10.0)
    v[13], v[15], v[17], v[19] = 25.0, 35.0, 80.0, 10.0  # hour means: 10, 11.25, 13.3, 20
    res = spike_rule(Series(ts, v), AnomalyParams().spike_rule)
    assert res.severity[0] is Severity.NONE  # no earlier hour: no ratio
    assert res.severity[13] is Severity.LOW
    assert res.severity[15] is Severity.MEDIUM
    assert res.severity[17] is Severity.HIGH
    assert res.severity[19] is Severity.NONE
    sc = score_series(Series(ts, v), Detector.SPIKE_RULE)
    assert list(np.flatnonzero(sc.alert)) == [15, 17]  # alert from 3x (medium) up


def test_spike_rule_uses_the_clock_not_the_row_count() -> None:
    secs = np.array([0, 60, 120, 7200, 7260], dtype=np.int64) + 1_700_000_000
    mean, count = previous_time_window_mean(secs, np.array([1.0, 2.0, 3.0, 10.0, 20.0]), 3600)
    assert list(count) == [0, 1, 2, 0, 1]  # after a two-hour gap the hour before holds nothing
    assert mean[2] == pytest.approx(1.5) and mean[4] == pytest.approx(10.0)


def test_three_sigma_alerts_beyond_three_standard_deviations_only() -> None:
    rng = np.random.default_rng(1)
    n = 600
    ts = (np.arange(n) * 60 + 1_700_000_000).astype("datetime64[s]")
    v = rng.normal(0, 1, n)
    v[500] = 12.0
    sc = score_series(Series(ts, v), Detector.THREE_SIGMA)
    assert sc.alert[500]
    assert sc.threshold == pytest.approx(0.9973, abs=1e-4)


def test_previous_window_statistics_exclude_the_current_row() -> None:
    v = np.array([1.0, 3.0, 5.0, 100.0])
    mean, std, count = previous_window_mean_std(v, 2)
    assert list(count) == [0, 1, 2, 2]
    assert mean[2] == pytest.approx(2.0) and std[2] == pytest.approx(1.0)
    assert mean[3] == pytest.approx(4.0)


def test_bucket_median_and_mad_use_earlier_rows_of_the_same_bucket() -> None:
    v = np.array([1.0, 50.0, 3.0, 60.0, 5.0, 70.0, 7.0])
    bucket = np.array([0, 1, 0, 1, 0, 1, 0])
    med, mad, count = bucket_median_mad(v, bucket, history=3)
    assert list(count) == [0, 0, 1, 1, 2, 2, 3]
    assert np.isnan(med[0])
    assert med[4] == pytest.approx(2.0) and mad[4] == pytest.approx(1.0)
    assert med[6] == pytest.approx(3.0) and mad[6] == pytest.approx(2.0)
    assert med[5] == pytest.approx(55.0)


def test_empty_and_single_point_series() -> None:
    empty = Series(np.array([], dtype="datetime64[s]"), np.array([], dtype=np.float64))
    one = Series(np.array(["2024-01-01T00:00:00"], dtype="datetime64[s]"), np.array([3.0]))
    for d in Detector:
        assert score_series(empty, d).score.shape == (0,)
        assert score_series(one, d).score.tolist() == [0.0]


@pytest.mark.parametrize(("n", "window"), [(1, 3), (5, 3), (100, 7), (1000, 64), (50, 200), (300, 1)])
def test_previous_window_range_equals_the_naive_min_and_max(n: int, window: int) -> None:
    v = np.random.default_rng(n).normal(size=n)
    lo, hi = previous_window_range(v, window)
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    for i in range(1, n):
        seg = v[max(0, i - window):i]
        assert (lo[i], hi[i]) == (seg.min(), seg.max())


def test_entropy_sees_a_change_of_shape_inside_the_old_range() -> None:
    """Values that stay inside the usual range but change distribution (spikes become dense):
    the range detector cannot see it, the windowed relative-entropy detector does."""
    rng = np.random.default_rng(3)
    n, change = 3000, 2000
    v = rng.normal(0.0, 1.0, n)
    v[rng.choice(change, 20, replace=False)] = 8.0  # rare spikes set the range early
    v[change:][rng.random(n - change) < 0.3] = 7.5  # then dense spikes, inside that range
    ts = (np.arange(n) * 300 + 1_700_000_000).astype("datetime64[s]")
    s = Series(ts, v)
    entropy = score_series(s, Detector.ENTROPY).score
    assert entropy[:change].max() < 0.9999
    assert entropy[change:change + 100].max() >= 0.9999
    assert score_series(s, Detector.EXTREME).score[change:change + 100].max() < 0.9999


def test_reestimated_window_matches_numentas_schedule_by_brute_force() -> None:
    v = np.random.default_rng(3).normal(0, 1, 1000) ** 2
    mean, std, ready = reestimated_window_mean_std(v, start=150, window=300, period=40, skip=20)
    assert not ready[:150].any() and ready[150:].all()
    for t in (150, 151, 189, 190, 555, 999):
        r = 150 + 40 * ((t - 150) // 40)
        win = v[max(0, r - 300 + 1) + 20: r + 1]
        assert mean[t] == pytest.approx(win.mean()) and std[t] == pytest.approx(win.std(), abs=1e-9)


@pytest.mark.parametrize("how", list(LikelihoodCombine), ids=lambda h: h.value)
def test_anomaly_likelihood_post_processor_is_causal(how: LikelihoodCombine) -> None:
    base = AnomalyParams()
    params = dataclasses.replace(base, ensemble=dataclasses.replace(
        base.ensemble, post=PostProcess.LIKELIHOOD,
        post_likelihood=dataclasses.replace(base.ensemble.post_likelihood, combine=how, learning_period=100,
                                            estimation_samples=50, historic_window=1000)))
    s = seasonal_series()
    full = score_series(s, Detector.ENSEMBLE, params)
    assert np.all((full.score >= 0.0) & (full.score <= 1.0))
    for cut in (1, 149, 150, 151, 777, 2001, 2999):
        part = score_series(s.head(cut), Detector.ENSEMBLE, params)
        assert np.array_equal(part.score, full.score[:cut]), (how, cut)


# -- CAD OSE (contextual anomaly detector, open-source edition) --------------------------------------------

def _cad_series(n: int = 700, novel_at: int | None = None) -> Series:
    ts = np.datetime64("2024-01-01T00:00:00") + np.arange(n) * np.timedelta64(300, "s")
    v = np.tile(np.array([0.0, 2.0, 5.0, 7.0, 5.0, 2.0]), n // 6 + 1)[:n].astype(np.float64)
    if novel_at is not None:
        v[novel_at] = 3.5  # inside the range, but a value this pattern never takes at this point
    return Series(ts, v)


def test_cad_ose_scores_of_a_prefix_are_the_prefix_of_the_scores() -> None:
    s = seasonal_series(seed=3).head(700)
    full = score_series(s, Detector.CAD_OSE)
    for cut in (1, 2, 151, 333, 699):
        part = score_series(s.head(cut), Detector.CAD_OSE)
        assert np.array_equal(part.score, full.score[:cut]), cut
        assert np.array_equal(part.alert, full.alert[:cut]), cut
    assert np.all((full.score >= 0.0) & (full.score <= 1.0))


def test_cad_ose_learns_a_repeating_pattern_and_flags_a_break_in_it() -> None:
    from argus.analysis.anomaly.cad import cad_score
    from argus.analysis.anomaly.schemas import CadParams

    plain = cad_score(_cad_series(), CadParams())
    assert plain[:151].max() == 0.0  # nothing before min_history
    assert plain.max() < 0.75 and plain[400:].mean() < 0.25  # the pattern is (mostly) predicted
    broken = cad_score(_cad_series(novel_at=500), CadParams())
    assert broken[500] == 1.0 > plain[500]  # no context predicted it, and it opened only new ones
    assert np.flatnonzero(broken >= 0.75).tolist() == [500]
    assert broken[501:651].max() == 0.0  # rest period: one detection per burst


def test_shift_sees_a_sustained_change_of_level_inside_the_old_range() -> None:
    """A noisy series whose level moves by one standard deviation, staying inside the range earlier
    spikes set: no row is extreme, but the mean of the last rows is far from the mean before them."""
    rng = np.random.default_rng(5)
    n, change = 4000, 3000
    v = rng.normal(0.0, 1.0, n)
    v[rng.choice(change, 20, replace=False)] = 9.0
    v[change:] += 1.0
    ts = (np.arange(n) * 300 + 1_700_000_000).astype("datetime64[s]")
    s = Series(ts, v)
    shift = score_series(s, Detector.SHIFT).score
    assert shift[300:change].max() < 0.9999
    assert shift[change:change + 200].max() >= 0.9999
    assert score_series(s, Detector.EXTREME).score[change:change + 200].max() < 0.9999
