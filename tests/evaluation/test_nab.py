"""NAB scoring, checked by hand on small cases and against NAB's published null-detector results."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from argus.evaluation.anomaly_nab import load_corpus
from argus.evaluation.nab import (
    MAX_TP,
    PROFILES,
    REWARD_LOW_FN,
    REWARD_LOW_FP,
    STANDARD,
    ScoredSeries,
    corpus_score,
    optimise_threshold,
    probation_rows,
    robust_threshold,
    row_weights,
    scaled_sigmoid,
    score_detections,
    sweep,
)


def _nab_dir() -> Path:
    env = os.environ.get("ARGUS_NAB_DIR")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared/datasets/nab").is_dir():
            return parent / "shared/datasets/nab"
    return Path("../shared/datasets/nab")


NAB = _nab_dir()
needs_nab = pytest.mark.skipif(not (NAB / "combined_windows.json").is_file(),
                               reason=f"NAB data not found at {NAB} (set ARGUS_NAB_DIR): ../shared/datasets is absent")


def test_scaled_sigmoid() -> None:
    assert float(scaled_sigmoid(0.0)) == 0.0
    assert float(scaled_sigmoid(-1.0)) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert float(MAX_TP) == pytest.approx(0.98661, abs=1e-5)
    assert float(scaled_sigmoid(3.0)) == pytest.approx(2 / (1 + math.exp(15)) - 1)
    assert float(scaled_sigmoid(3.01)) == -1.0


def test_probation_is_15_percent_capped_at_750() -> None:
    assert probation_rows(1000) == 150 and probation_rows(4032) == 604 and probation_rows(15902) == 750


def one_window() -> ScoredSeries:
    # 1000 rows, probation 150, one window over rows 500..599 (width 100)
    w = row_weights(1000, [(500, 599)])
    return ScoredSeries("cat/a.csv", w, np.zeros(1000))


def test_detection_at_the_window_start_is_worth_tp_and_later_ones_less() -> None:
    w = one_window().weights
    det = np.zeros(1000, dtype=bool)
    det[500] = True
    assert score_detections(w, det, STANDARD).score == pytest.approx(1.0)
    det[500], det[550] = False, True  # middle: position -(599-550+1)/100 = -0.5
    assert score_detections(w, det, STANDARD).score == pytest.approx(float(scaled_sigmoid(-0.5)) / MAX_TP)
    det[500] = True  # only the earliest detection in a window counts
    c = score_detections(w, det, STANDARD)
    assert c.score == pytest.approx(1.0) and c.tp == 1 and c.fp == 0 and c.fn == 0


def test_missed_window_and_false_positives() -> None:
    w = one_window().weights
    det = np.zeros(1000, dtype=bool)
    assert score_detections(w, det, STANDARD).score == -1.0
    assert score_detections(w, det, REWARD_LOW_FN).score == -2.0
    det[300] = True  # before any window: -fp
    assert score_detections(w, det, STANDARD).score == pytest.approx(-1.0 - 0.11)
    assert score_detections(w, det, REWARD_LOW_FP).score == pytest.approx(-1.0 - 0.22)
    det[300], det[100] = False, True  # in the probation period: ignored
    assert score_detections(w, det, STANDARD).score == -1.0
    det[100], det[600] = False, True  # just after the window: sigma(1/99), almost free
    assert score_detections(w, det, STANDARD).score == pytest.approx(-1.0 + 0.11 * float(scaled_sigmoid(1 / 99)))
    det[600], det[999] = False, True  # 400 rows after: > 3 widths, full cost
    assert score_detections(w, det, STANDARD).score == pytest.approx(-1.11)


def test_null_and_perfect_detectors_normalise_to_0_and_100() -> None:
    item = one_window()
    for p in PROFILES:
        assert corpus_score([item], 0.5, p)[0] == 0.0
        perfect = np.zeros(1000)
        perfect[500] = 1.0
        assert corpus_score([ScoredSeries("c/a.csv", item.weights, perfect)], 0.5, p)[0] == pytest.approx(100.0)


def test_sweep_matches_scoring_each_threshold() -> None:
    rng = np.random.default_rng(5)
    items = []
    for k in range(3):
        w = row_weights(800, [(300 + 50 * k, 380 + 50 * k), (600, 650)])
        items.append(ScoredSeries(f"c/{k}.csv", w, np.round(rng.random(800), 2)))
    for p in PROFILES:
        thresholds, scores = sweep(items, p)
        for t, s in zip(thresholds, scores, strict=True):
            assert s == pytest.approx(corpus_score(items, float(t), p)[0])
        best_t, best = optimise_threshold(items, p)
        assert best == float(scores.max())
        assert corpus_score(items, best_t, p)[0] == pytest.approx(best)


def test_plateau_rule_width_0_is_nabs_best_and_a_width_moves_off_the_cliff_edge() -> None:
    # one window (start 500): its detection has p = 1e-4.30; a false positive before it has p = 1e-4.32,
    # so NAB's best threshold sits at p <= 1e-4.30, a hair above the FP (a cliff: 1e-4.32 costs the FP).
    # Further FPs at p = 1e-3 and 1e-2: the plateau between 1e-3 and 1e-4.3 scores the same as the best.
    w = row_weights(1000, [(500, 599)])
    p = np.ones(1000)
    p[500], p[300], p[200], p[250] = 10 ** -4.30, 10 ** -4.32, 1e-3, 1e-2
    items = [ScoredSeries("c/a.csv", w, 1.0 - p)]
    t0, s0, sm0 = robust_threshold(items, STANDARD, 0.0)
    assert s0 == sm0 == pytest.approx(optimise_threshold(items, STANDARD)[1])
    assert 10 ** -4.32 < 1.0 - t0 <= 10 ** -4.30
    t, s, sm = robust_threshold(items, STANDARD, 0.2)
    assert s == pytest.approx(s0) and sm <= s
    assert 1.0 - t > 10 ** -4.1  # inside the plateau, at least 0.2 decade away from the FP's cliff
    assert 1.0 - t < 1e-3 * 10 ** -0.2  # and from the next FP's
    assert corpus_score(items, t, STANDARD)[0] == pytest.approx(s)


# NAB's published results of its null detector (numenta/NAB results/null/null_reward_low_FN_rate_scores.csv,
# MIT licence): file -> (Score under reward_low_FN_rate = -2 x windows, TN = scored rows outside windows,
# FN = scored rows inside windows, total rows). They pin window placement and the probation period.
NAB_NULL_LOW_FN = {
    "realTraffic/speed_t4013.csv": (-4.0, 1871, 250, 2495),
    "realTraffic/TravelTime_387.csv": (-6.0, 1876, 249, 2500),
    "realTweets/Twitter_volume_PFE.csv": (-8.0, 13520, 1588, 15858),
    "realAdExchange/exchange-2_cpc_results.csv": (-2.0, 1218, 163, 1624),
    "realTweets/Twitter_volume_KO.csv": (-6.0, 13514, 1587, 15851),
    "realAdExchange/exchange-3_cpm_results.csv": (-2.0, 1155, 153, 1538),
    "realTweets/Twitter_volume_FB.csv": (-4.0, 13501, 1582, 15833),
    "realTraffic/TravelTime_451.csv": (-2.0, 1621, 217, 2162),
    "artificialNoAnomaly/art_daily_small_noise.csv": (0.0, 3428, 0, 4032),
    "realTweets/Twitter_volume_UPS.csv": (-10.0, 13531, 1585, 15866),
    "realTraffic/occupancy_t4013.csv": (-4.0, 1875, 250, 2500),
    "realTweets/Twitter_volume_GOOG.csv": (-6.0, 13660, 1432, 15842),
    "realAdExchange/exchange-2_cpm_results.csv": (-4.0, 1219, 162, 1624),
    "realAdExchange/exchange-3_cpc_results.csv": (-6.0, 1155, 153, 1538),
    "realTraffic/occupancy_6005.csv": (-2.0, 1784, 239, 2380),
    "realAdExchange/exchange-4_cpc_results.csv": (-6.0, 1232, 165, 1643),
    "realTweets/Twitter_volume_CRM.csv": (-6.0, 13559, 1593, 15902),
    "artificialWithAnomaly/art_increase_spike_density.csv": (-2.0, 3025, 403, 4032),
    "artificialNoAnomaly/art_daily_perfect_square_wave.csv": (0.0, 3428, 0, 4032),
    "realAdExchange/exchange-4_cpm_results.csv": (-8.0, 1233, 164, 1643),
    "artificialNoAnomaly/art_daily_no_noise.csv": (0.0, 3428, 0, 4032),
    "realTweets/Twitter_volume_AAPL.csv": (-8.0, 13564, 1588, 15902),
    "artificialWithAnomaly/art_daily_jumpsdown.csv": (-2.0, 3025, 403, 4032),
    "realTraffic/speed_6005.csv": (-2.0, 1886, 239, 2500),
    "artificialWithAnomaly/art_load_balancer_spikes.csv": (-2.0, 3025, 403, 4032),
    "artificialWithAnomaly/art_daily_jumpsup.csv": (-2.0, 3025, 403, 4032),
    "realTweets/Twitter_volume_AMZN.csv": (-8.0, 13501, 1580, 15831),
    "realTweets/Twitter_volume_CVS.csv": (-6.0, 13577, 1526, 15853),
    "artificialWithAnomaly/art_daily_nojump.csv": (-2.0, 3025, 403, 4032),
    "realTweets/Twitter_volume_IBM.csv": (-4.0, 13553, 1590, 15893),
    "realTraffic/speed_7578.csv": (-8.0, 842, 116, 1127),
    "artificialNoAnomaly/art_flatline.csv": (0.0, 3428, 0, 4032),
    "artificialWithAnomaly/art_daily_flatmiddle.csv": (-2.0, 3025, 403, 4032),
    "artificialNoAnomaly/art_noisy.csv": (0.0, 3428, 0, 4032),
}


@needs_nab
def test_window_placement_and_probation_match_nab_published_null_results() -> None:
    corpus = {ns.name: ns for ns in load_corpus(NAB)}
    assert len(corpus) == 34
    for name, (score, tn, fn_rows, total) in NAB_NULL_LOW_FN.items():
        ns = corpus[name]
        w = row_weights(len(ns.series), ns.windows)
        null = score_detections(w, np.zeros(len(ns.series), dtype=bool), REWARD_LOW_FN)
        got = (null.score, int((w.scored & (w.window < 0)).sum()), int((w.window >= 0).sum()), len(ns.series))
        assert got == (score, tn, fn_rows, total), name


@needs_nab
def test_null_and_perfect_detectors_on_the_shared_corpus() -> None:
    items = []
    for ns in load_corpus(NAB):
        w = row_weights(len(ns.series), ns.windows)
        perfect = np.zeros(len(ns.series))
        for a, _ in ns.windows:
            perfect[a] = 1.0
        items.append(ScoredSeries(ns.name, w, perfect))
    assert sum(it.weights.n_windows for it in items) == 67
    for p in PROFILES:
        assert corpus_score(items, 0.5, p)[0] == pytest.approx(100.0)
        assert corpus_score(items, 1.5, p)[0] == 0.0  # nothing reaches the threshold: the null detector
