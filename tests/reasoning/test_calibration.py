from __future__ import annotations

import random

import pytest

from argus.reasoning import CalibrationMethod, Sample, fit_calibrator, reliability
from argus.reasoning.calibration import isotonic_fit


def test_ece_on_known_set() -> None:
    # bin 0.8-0.9: 10 samples at 0.85, 6 accepted -> |0.6-0.85| = 0.25
    # bin 0.2-0.3: 10 samples at 0.25, 3 accepted -> |0.3-0.25| = 0.05
    samples = [Sample(0.85, i < 6) for i in range(10)] + [Sample(0.25, i < 3) for i in range(10)]
    rep = reliability(samples, bins=10)
    assert rep.n == 20
    assert rep.ece == pytest.approx(0.5 * 0.25 + 0.5 * 0.05)
    assert rep.mce == pytest.approx(0.25)
    b8 = rep.bins[8]
    assert b8.count == 10 and b8.accuracy == pytest.approx(0.6) and b8.mean_confidence == pytest.approx(0.85)
    assert rep.bins[0].count == 0 and rep.bins[0].accuracy is None


def test_perfectly_calibrated_has_zero_ece_and_confidence_one_lands_in_last_bin() -> None:
    samples = [Sample(1.0, True)] * 4 + [Sample(0.0, False)] * 4
    rep = reliability(samples, bins=5)
    assert rep.ece == pytest.approx(0.0)
    assert rep.bins[-1].count == 4
    assert rep.brier == pytest.approx(0.0)


def test_pava_is_monotone_least_squares() -> None:
    _xs, ys = isotonic_fit([0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 1.0, 1.0])
    assert ys == sorted(ys)
    assert ys[0] == pytest.approx(0.5)  # first two pooled


def test_identity_fallback_when_scarce_or_one_sided() -> None:
    few = [Sample(0.9, True)] * 10
    cal = fit_calibrator(few)
    assert cal.method is CalibrationMethod.IDENTITY and "10 feedback" in cal.note
    one_sided = [Sample(0.9, True)] * 100
    assert fit_calibrator(one_sided).method is CalibrationMethod.IDENTITY
    assert fit_calibrator(one_sided).apply(0.42) == 0.42


@pytest.mark.parametrize("method", [CalibrationMethod.ISOTONIC, CalibrationMethod.HISTOGRAM])
def test_calibration_reduces_ece_of_overconfident_scores(method: CalibrationMethod) -> None:
    rng = random.Random(7)
    train, test = [], []
    for bucket in (train, test):
        for _ in range(2000):
            p = rng.random()
            true_p = p * 0.6  # the analyzer is overconfident
            bucket.append(Sample(p, rng.random() < true_p))
    cal = fit_calibrator(train, method)
    assert cal.method is method
    before = reliability(test).ece
    after = reliability([Sample(cal.apply(s.confidence), s.accepted) for s in test]).ece
    assert before > 0.15
    assert after < 0.05
    assert all(cal.apply(a) <= cal.apply(b) for a, b in [(0.1, 0.2), (0.5, 0.9), (0.0, 1.0)])
