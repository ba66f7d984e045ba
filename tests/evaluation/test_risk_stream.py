"""Commit-stream features of change risk: no future row leaks into any of them."""

from __future__ import annotations

import numpy as np
import pytest

from argus.analysis.risk.model import KAMEI
from argus.evaluation.risk_stream import (
    recent_defect_rate,
    rolling_rank,
    stream_features,
    stream_names,
    time_features,
)


def _stream(n: int = 900, seed: int = 5) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(0, 40 * 86400, n)).astype(float)  # some instants repeat
    cols = {k: rng.lognormal(2, 1, n).round() for k in KAMEI}
    return times, cols


def test_every_stream_feature_of_a_row_reads_only_earlier_rows() -> None:
    """Recompute every feature on each prefix of the stream, and with every later row changed: row i keeps
    its value (the last prefix row is the row itself, so nothing after it can have been read)."""
    times, cols = _stream()
    full = stream_features(times, cols, window=100)
    assert set(full) == set(stream_names())
    rng = np.random.default_rng(9)
    for i in (0, 1, 50, 99, 100, 101, 437, 898, 899):
        prefix = stream_features(times[: i + 1], {k: v[: i + 1] for k, v in cols.items()}, window=100)
        later = {k: v.copy() for k, v in cols.items()}
        for v in later.values():
            v[i + 1:] = rng.lognormal(5, 2, len(v) - i - 1)
        t2 = times.copy()
        t2[i + 1:] = t2[i] + np.sort(rng.integers(0, 3600, len(t2) - i - 1))  # denser future stream
        changed = stream_features(t2, later, window=100)
        for name in full:
            np.testing.assert_array_equal(prefix[name][i], full[name][i], err_msg=f"{name}, row {i}")
            np.testing.assert_array_equal(changed[name][i], full[name][i], err_msg=f"{name}, row {i}")


def test_time_features_count_only_strictly_earlier_changes() -> None:
    t = np.array([0.0, 10.0, 10.0, 86400.0, 86410.0])
    f = time_features(t)
    assert f["day_commits"].tolist() == [0, 1, 1, 3, 3]  # [t − 24 h, t): never the row itself or a later one
    assert np.isnan(f["log_gap"][0]) and f["log_gap"][2] == 0.0
    assert f["weekday"][0] == 3 and f["hour"][4] == 0  # 1970-01-01 was a Thursday (Monday = 0)
    with pytest.raises(ValueError):
        time_features(np.array([2.0, 1.0]))


def test_rolling_rank_is_the_rank_among_the_previous_window() -> None:
    v = np.array([5.0, 1.0, 5.0, 9.0, 0.0, 3.0])
    r = rolling_rank(v, 3)
    assert np.isnan(r[0])
    assert r[1] == 0.0 and r[2] == 0.75  # 5 among [5, 1]: above 1, ties 5
    assert r[5] == pytest.approx(1 / 3 + 0)  # 3 among [5, 9, 0]: above 0 only
    big = np.random.default_rng(1).normal(size=5000)
    r = rolling_rank(big, 1000)
    i = 4321
    assert r[i] == pytest.approx(np.mean(big[i - 1000:i] < big[i]))


def test_recent_defect_rate_reads_training_labels_before_the_row_only() -> None:
    y = np.random.default_rng(2).integers(0, 2, 500)
    r = recent_defect_rate(y, 100, window=50)
    assert len(r) == 600 and np.isnan(r[0])
    assert r[10] == pytest.approx(y[:10].mean()) and r[400] == pytest.approx(y[350:400].mean())
    assert np.all(r[500:] == pytest.approx(y[450:500].mean()))  # every test row: the last training window
    for i in (1, 77, 499):
        y2 = y.copy()
        y2[i:] = 1 - y2[i:]  # the row's own label and every later one flipped
        assert recent_defect_rate(y2, 100, window=50)[i] == r[i]
