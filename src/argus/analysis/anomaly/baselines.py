"""Causal baselines: statistics of the rows before ``t`` (never ``t`` itself, never after it).

All functions are vectorised numpy and deterministic; the value at index ``t`` depends on
``values[:t]`` only (and ``values[t]`` where documented), so a prefix gives the prefix of the output.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from argus.analysis.anomaly.schemas import Season

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_erfc = np.frompyfunc(math.erfc, 1, 1)
_SQRT2 = math.sqrt(2.0)
_CHUNK = 16384


def upper_tail(z: F64) -> F64:
    """P(Z > z) for a standard normal Z, element-wise (exact ``erfc``, no SciPy)."""
    return np.asarray(_erfc(np.asarray(z, dtype=np.float64) / _SQRT2), dtype=np.float64) * 0.5


def two_sided_tail(z: F64) -> F64:
    """P(|Z| > |z|) for a standard normal Z."""
    return np.minimum(1.0, 2.0 * upper_tail(np.abs(z)))


def previous_window_mean_std(values: F64, window: int) -> tuple[F64, F64, I64]:
    """Mean, standard deviation and count of the (up to) ``window`` rows before each row.

    Row 0 has count 0 (mean 0, std 0). Sums are centred on ``values[0]`` for numerical stability
    (a causal choice: the first value is known from the start).
    """
    n = values.shape[0]
    if n == 0:
        z = np.zeros(0)
        return z, z, np.zeros(0, dtype=np.int64)
    c = values - values[0]
    s1 = np.concatenate(([0.0], np.cumsum(c)))
    s2 = np.concatenate(([0.0], np.cumsum(c * c)))
    idx = np.arange(n)
    lo = np.maximum(0, idx - window)
    count = idx - lo
    safe = np.maximum(count, 1)
    mean_c = (s1[idx] - s1[lo]) / safe
    var = (s2[idx] - s2[lo]) / safe - mean_c * mean_c
    std = np.sqrt(np.maximum(var, 0.0))
    return mean_c + values[0], std, count.astype(np.int64)


def trailing_mean(values: F64, window: int) -> F64:
    """Mean of the (up to) ``window`` rows ending at and including each row."""
    n = values.shape[0]
    s = np.concatenate(([0.0], np.cumsum(values)))
    idx = np.arange(1, n + 1)
    lo = np.maximum(0, idx - window)
    return np.asarray((s[idx] - s[lo]) / (idx - lo), dtype=np.float64)


def previous_time_window_mean(seconds: npt.NDArray[np.int64], values: F64, window_seconds: int) -> tuple[F64, I64]:
    """Mean and count of the rows with timestamp in ``[t - window, t)`` and index before ``t``.

    Works with irregular timestamps (uses the clock, not the row count).
    """
    n = values.shape[0]
    s = np.concatenate(([0.0], np.cumsum(values)))
    idx = np.arange(n)
    lo = np.searchsorted(seconds, seconds - window_seconds, side="left")
    lo = np.minimum(lo, idx)
    count = idx - lo
    mean = (s[idx] - s[lo]) / np.maximum(count, 1)
    return np.asarray(mean, dtype=np.float64), count.astype(np.int64)


def running_range(values: F64) -> tuple[F64, F64]:
    """Minimum and maximum of the rows before each row (``nan`` for row 0)."""
    n = values.shape[0]
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    if n > 1:
        lo[1:] = np.minimum.accumulate(values[:-1])
        hi[1:] = np.maximum.accumulate(values[:-1])
    return lo, hi


def previous_window_range(values: F64, window: int) -> tuple[F64, F64]:
    """Minimum and maximum of the (up to) ``window`` rows before each row (``nan`` for row 0).

    O(n) for any window (van Herk / Gil-Werman: per-block prefix and suffix extrema); ``window <= 0``
    means all earlier rows (:func:`running_range`).
    """
    n = values.shape[0]
    if window <= 0 or n == 0:
        return running_range(values)
    return -_previous_window_max(-values, window), _previous_window_max(values, window)


def _previous_window_max(values: F64, window: int) -> F64:
    n = values.shape[0]
    y = np.concatenate((np.full(window, -np.inf), values))  # y[i:i + window] = values[i - window:i]
    blocks = -(-y.shape[0] // window)
    y = np.concatenate((y, np.full(blocks * window - y.shape[0], -np.inf))).reshape(blocks, window)
    prefix = np.maximum.accumulate(y, axis=1).ravel()
    suffix = np.maximum.accumulate(y[:, ::-1], axis=1)[:, ::-1].ravel()
    j = np.arange(n)
    out = np.maximum(suffix[j], prefix[j + window - 1])
    return np.where(np.isfinite(out), out, np.nan)


def season_bucket(timestamps: npt.NDArray[np.datetime64], season: Season) -> I64:
    """Calendar bucket of each timestamp (UTC): hour of day (0-23), hour of week (0 = Monday 00h)."""
    hours = timestamps.astype("datetime64[h]").astype(np.int64)
    if season is Season.HOUR_OF_DAY:
        return np.asarray(hours % 24, dtype=np.int64)
    if season is Season.HOUR_OF_WEEK:
        return np.asarray((hours + 72) % 168, dtype=np.int64)  # 1970-01-01 was a Thursday
    return np.zeros(hours.shape[0], dtype=np.int64)


def _median_of_sorted(s: F64, m: I64) -> F64:
    rows = np.arange(s.shape[0])
    lo = np.maximum((m - 1) // 2, 0)
    hi = np.maximum(m // 2, 0)
    med = 0.5 * (s[rows, lo] + s[rows, hi])
    return np.where(m > 0, med, np.nan)


def bucket_median_mad(values: F64, bucket: I64, history: int) -> tuple[F64, F64, I64]:
    """Median and MAD of the last ``history`` earlier values that share each row's bucket.

    Returns (median, MAD, count); count 0 gives ``nan`` median and MAD. Irregular timestamps are fine:
    the baseline is "the same hour on earlier days", however many rows those days had.
    """
    n = values.shape[0]
    if n == 0:
        z = np.zeros(0)
        return z, z, np.zeros(0, dtype=np.int64)
    order = np.argsort(bucket, kind="stable")
    sv = values[order]
    sb = bucket[order]
    starts = np.flatnonzero(np.concatenate(([True], sb[1:] != sb[:-1])))
    ends = np.append(starts[1:], n).astype(np.int64)
    seg_start = np.repeat(starts, ends - starts)
    med = np.empty(n)
    mad = np.empty(n)
    count = np.empty(n, dtype=np.int64)
    offsets = np.arange(history)[None, :] - history
    for a in range(0, n, _CHUNK):  # bounded memory: CHUNK x history floats at a time
        pos = np.arange(a, min(n, a + _CHUNK))
        idx = pos[:, None] + offsets
        valid = idx >= seg_start[pos][:, None]
        win = np.where(valid, sv[np.maximum(idx, 0)], np.nan)
        c = valid.sum(axis=1).astype(np.int64)
        m = _median_of_sorted(np.sort(win, axis=1), c)
        med[pos] = m
        mad[pos] = _median_of_sorted(np.sort(np.abs(win - m[:, None]), axis=1), c)
        count[pos] = c
    out_med = np.empty(n)
    out_mad = np.empty(n)
    out_cnt = np.empty(n, dtype=np.int64)
    out_med[order] = med
    out_mad[order] = mad
    out_cnt[order] = count
    return out_med, out_mad, out_cnt


def reestimated_window_mean_std(values: F64, start: int, window: int, period: int, skip: int
                                ) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
    """Mean and std of ``values`` as last re-estimated at or before each row (Numenta's schedule).

    The distribution is fitted at rows ``r = start, start + period, start + 2 period, ...`` over the
    rows ``[max(0, r - window + 1) + skip, r]`` (the window ends at ``r`` inclusive; its first ``skip``
    rows are left out, as Numenta's anomaly likelihood does with its learning period) and used for
    rows ``r .. r + period - 1``. Rows before ``start`` have no distribution (``ready`` False). Causal:
    row ``t`` uses rows ``<= t`` only.
    """
    n = values.shape[0]
    mean = np.zeros(n)
    std = np.zeros(n)
    ready = np.zeros(n, dtype=bool)
    if n <= start:
        return mean, std, ready
    c = values - values[0]
    s1 = np.concatenate(([0.0], np.cumsum(c)))
    s2 = np.concatenate(([0.0], np.cumsum(c * c)))
    r = np.arange(start, n, period)
    lo = np.minimum(np.maximum(0, r - window + 1) + skip, r)
    cnt = (r + 1 - lo).astype(np.float64)
    m = (s1[r + 1] - s1[lo]) / cnt
    var = np.maximum((s2[r + 1] - s2[lo]) / cnt - m * m, 0.0)
    which = (np.arange(start, n) - start) // period
    mean[start:] = m[which] + values[0]
    std[start:] = np.sqrt(var)[which]
    ready[start:] = True
    return mean, std, ready
