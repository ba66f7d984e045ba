"""Pure, causal detectors: each maps a :class:`Series` to a per-row tail probability ``p`` (small = anomalous).

A detector's anomaly score is ``1 - p``. Until a detector has its minimum history it answers ``p = 1``
(nothing to judge against). Every function uses rows ``<= t`` for row ``t``.
"""

from __future__ import annotations

import numpy as np

from argus.analysis.anomaly.baselines import (
    F64,
    bucket_median_mad,
    previous_time_window_mean,
    previous_window_mean_std,
    previous_window_range,
    running_range,
    season_bucket,
    trailing_mean,
    two_sided_tail,
    upper_tail,
)
from argus.analysis.anomaly.schemas import (
    EntropyParams,
    ExtremeParams,
    LikelihoodParams,
    SeasonalParams,
    Series,
    Severity,
    ShiftParams,
    SpikeRuleParams,
    SpikeRuleResult,
    ThreeSigmaParams,
)

_MAD_TO_SIGMA = 1.4826


def _scale_floor(values: F64, fraction: float) -> F64:
    lo, hi = running_range(values)
    span = np.nan_to_num(hi - lo, nan=0.0)
    return np.maximum(span * fraction, 1e-9)


def seasonal_residual_z(series: Series, params: SeasonalParams) -> F64:
    """Robust z of each value against the median/MAD of the same calendar bucket's earlier values."""
    v = series.values
    bucket = season_bucket(series.timestamps, params.season)
    med, mad, count = bucket_median_mad(v, bucket, params.history)
    scale = np.maximum(np.nan_to_num(mad, nan=0.0) * _MAD_TO_SIGMA, _scale_floor(v, params.min_scale_fraction))
    z = (v - np.nan_to_num(med, nan=0.0)) / scale
    return np.where(count >= params.min_history, z, 0.0)


def self_calibrated_p(raw: F64, short_window: int, long_window: int, min_history: int) -> F64:
    """Upper Gaussian tail of the recent mean of ``raw`` against ``raw``'s own earlier mean/std.

    This is Numenta's "anomaly likelihood" step: a statistic is judged against how large it usually
    is on this series, so a noisy series does not alert all the time and a quiet one alerts early.
    """
    short = trailing_mean(raw, short_window)
    lmean, lstd, lcount = previous_window_mean_std(raw, long_window)
    lstd = np.maximum(lstd, 0.05)
    p = upper_tail((short - lmean) / lstd)
    return np.where(lcount >= min_history, p, 1.0)


def seasonal_p(series: Series, params: SeasonalParams) -> F64:
    """Tail of the robust seasonal residual |z|, self-calibrated against its own history."""
    raw = np.minimum(np.abs(seasonal_residual_z(series, params)), 50.0)
    return self_calibrated_p(raw, params.short_window, params.long_window, params.min_history_calibration)


def likelihood_p(series: Series, params: LikelihoodParams) -> F64:
    """Windowed-Gaussian raw score turned into an anomaly likelihood (Numenta-style), as a tail ``p``.

    ``raw_t = |x_t - mean| / std`` over the previous ``window`` rows; the short-term average of ``raw``
    (last ``short_window`` rows) is compared with the mean/std of ``raw`` over the previous
    ``long_window`` rows; ``p`` is the upper Gaussian tail of that comparison.
    """
    v = series.values
    mean, std, count = previous_window_mean_std(v, params.window)
    std = np.maximum(std, _scale_floor(v, 0.001))
    raw = np.where(count >= 2, np.abs(v - mean) / std, 0.0)
    raw = np.minimum(raw, 50.0)  # one wild point must not own the long-term statistics
    return self_calibrated_p(raw, params.short_window, params.long_window, params.min_history)


def extreme_p(series: Series, params: ExtremeParams) -> F64:
    """A value beyond the recent range: ``p = 10^(-4 * excess / margin)`` (1e-4 at ``margin``).

    ``excess`` is the distance beyond the maximum (or below the minimum) of the previous ``window`` rows
    as a fraction of their range; inside the range ``p = 1``.
    """
    v = series.values
    lo, hi = previous_window_range(v, params.window)
    span = np.maximum(np.nan_to_num(hi - lo, nan=0.0), 1e-9)
    above = np.nan_to_num((v - hi) / span, nan=0.0)
    below = np.nan_to_num((lo - v) / span, nan=0.0)
    excess = np.maximum(np.maximum(above, below), 0.0)
    p = np.power(10.0, -4.0 * excess / params.margin)
    idx = np.arange(v.shape[0])
    return np.where((idx >= params.min_history) & (excess > 0), p, 1.0)


def entropy_p(series: Series, params: EntropyParams) -> F64:
    """Relative entropy of the last ``window`` rows' histogram against the rows before them, as a tail ``p``.

    Bins: equal-width over the range of the previous ``range_window`` rows, fixed for a row when it
    arrives (values outside that range go to the edge bins). Counts are cumulative sums per bin, so the
    cost is O(n × bins). The divergence (add-one/2 smoothing) is self-calibrated like ``likelihood_p``.
    """
    v = series.values
    n = v.shape[0]
    if n == 0:
        return np.ones(0)
    k = params.bins
    lo, hi = previous_window_range(v, params.range_window)
    span = np.nan_to_num(hi - lo, nan=0.0)
    frac = np.where(span > 0, (v - np.nan_to_num(lo, nan=0.0)) / np.where(span > 0, span, 1.0), 0.5)
    b = np.clip(np.floor(frac * k), 0, k - 1).astype(np.int64)
    onehot = np.zeros((n + 1, k), dtype=np.float64)
    onehot[np.arange(1, n + 1), b] = 1.0
    c = np.cumsum(onehot, axis=0)
    idx = np.arange(1, n + 1)
    w0 = np.maximum(0, idx - params.window)
    r0 = np.maximum(0, w0 - params.reference_window)
    recent = c[idx] - c[w0]
    ref = c[w0] - c[r0]
    nw = (idx - w0)[:, None].astype(np.float64)
    nr = (w0 - r0)[:, None].astype(np.float64)
    pr = (recent + 0.5) / (nw + 0.5 * k)
    qr = (ref + 0.5) / (nr + 0.5 * k)
    kl = np.sum(pr * np.log(pr / qr), axis=1)
    # The divergence is defined from row ``window + min_history`` on (a fixed row, not data-dependent);
    # it is calibrated against defined divergences only (zeros before would make the first look huge).
    start = min(n, params.window + params.min_history)
    p = np.ones(n)
    p[start:] = self_calibrated_p(kl[start:], params.short_window, params.long_window, params.min_history)
    return p


def shift_p(series: Series, params: ShiftParams) -> F64:
    """Multi-scale level shift, as a tail ``p``: for each scale ``k`` the mean of the last ``k`` rows
    (``t - k + 1 .. t``) against the mean/std of the ``window`` rows before them, ``|difference| / std``
    self-calibrated (``self_calibrated_p``, no extra averaging); Bonferroni over the scales, times
    ``weight``. It sees a sustained change of level or of spike density that one row's distance
    (*likelihood*) or the running range (*extreme*) does not. Row ``t`` uses rows ``<= t`` only.
    """
    v = series.values
    n = v.shape[0]
    if n == 0 or not params.scales:
        return np.ones(n)
    mean, std, _ = previous_window_mean_std(v, params.window)
    std = np.maximum(std, _scale_floor(v, 0.001))
    idx = np.arange(n)
    ps = []
    for k in params.scales:
        recent = trailing_mean(v, k)
        ref = np.maximum(idx - k + 1, 0)  # the reference window ends just before the recent k rows
        raw = np.minimum(np.abs(recent - mean[ref]) / std[ref], 50.0)
        # Defined from a fixed row on (k - 1 + min_reference, not data-dependent); calibrated against
        # defined values only (zeros before would make the first ones look huge).
        start = min(n, k - 1 + params.min_reference)
        p = np.ones(n)
        p[start:] = self_calibrated_p(raw[start:], 1, params.long_window, params.min_history)
        ps.append(p)
    return np.minimum(1.0, params.weight * len(ps) * np.minimum.reduce(ps))


def spike_rule(series: Series, params: SpikeRuleParams) -> SpikeRuleResult:
    """The seed's rule: ratio of the value to the mean of the previous hour (by clock); severities.

    A ratio is only defined when that mean is positive and the hour held at least one earlier row.
    """
    v = series.values
    secs = series.timestamps.astype("datetime64[s]").astype(np.int64)
    mean, count = previous_time_window_mean(secs, v, params.window_seconds)
    ok = (count > 0) & (mean > 0)
    ratio = np.where(ok, v / np.where(ok, mean, 1.0), 0.0)
    sev = np.full(v.shape[0], Severity.NONE.value, dtype=object)
    sev[ratio > params.low] = Severity.LOW.value
    sev[ratio > params.medium] = Severity.MEDIUM.value
    sev[ratio > params.high] = Severity.HIGH.value
    return SpikeRuleResult(ratio=ratio, severity=tuple(Severity(s) for s in sev))


def spike_rule_score(series: Series, params: SpikeRuleParams) -> F64:
    """Score of the spike rule in [0, 1): ``1 - 1/ratio`` (2x → 0.5, 3x → 0.667, 5x → 0.8)."""
    ratio = spike_rule(series, params).ratio
    return np.where(ratio > 1.0, 1.0 - 1.0 / np.maximum(ratio, 1.0), 0.0)


def three_sigma_p(series: Series, params: ThreeSigmaParams) -> F64:
    """The seed's 3-sigma rule as a two-sided tail of ``(x - mean) / std`` over the previous rows."""
    v = series.values
    mean, std, count = previous_window_mean_std(v, params.window)
    std = np.maximum(std, _scale_floor(v, 0.001))
    z = (v - mean) / std
    return np.where(count >= params.min_history, two_sided_tail(z), 1.0)
