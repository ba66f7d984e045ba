from __future__ import annotations

import pytest

from argus.reasoning import Claim, Combination, combine, combine_claims, wilson_interval


def test_weakest_link_is_minimum() -> None:
    assert combine([0.9, 0.6, 0.8]) == 0.6
    assert combine_claims([Claim("a", 0.9), Claim("b", 0.7)]) == 0.7


def test_product_and_mean() -> None:
    assert combine([0.5, 0.5], Combination.PRODUCT) == pytest.approx(0.25)
    assert combine([0.2, 0.4], Combination.MEAN) == pytest.approx(0.3)


def test_empty_and_invalid() -> None:
    assert combine([]) == 0.0
    with pytest.raises(ValueError):
        combine([1.5])


def test_wilson_interval_narrows_with_sample_size() -> None:
    lo5, hi5 = wilson_interval(2, 5)
    lo500, hi500 = wilson_interval(200, 500)
    assert lo5 < 0.4 < hi5 and lo500 < 0.4 < hi500
    assert (hi5 - lo5) > 3 * (hi500 - lo500)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    # known value: 8 of 10, z = 1.96 -> (0.4902, 0.9433)
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
