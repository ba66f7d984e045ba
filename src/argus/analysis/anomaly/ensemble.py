"""One entry point: score a series with a detector (default the ensemble) and decide Argus's alerts."""

from __future__ import annotations

import math

import numpy as np

from argus.analysis.anomaly.baselines import F64, reestimated_window_mean_std, trailing_mean, upper_tail
from argus.analysis.anomaly.cad import cad_p
from argus.analysis.anomaly.detectors import (
    entropy_p,
    extreme_p,
    likelihood_p,
    seasonal_p,
    shift_p,
    spike_rule_score,
    three_sigma_p,
)
from argus.analysis.anomaly.schemas import (
    AnomalyParams,
    Detector,
    EnsembleParams,
    LikelihoodCombine,
    PostLikelihoodParams,
    PostProcess,
    Scores,
    Series,
)

DEFAULT_PARAMS = AnomalyParams()

_THREE_SIGMA_SCORE = 1.0 - math.erfc(3.0 / math.sqrt(2.0))
"""Score of a point exactly 3 sigma away (alert threshold of the 3-sigma rule, ≈ 0.9973)."""


def member_p(series: Series, detector: Detector, params: AnomalyParams) -> F64:
    """Tail probability of one member detector (small = anomalous)."""
    if detector is Detector.SEASONAL:
        return seasonal_p(series, params.seasonal)
    if detector is Detector.LIKELIHOOD:
        return likelihood_p(series, params.likelihood)
    if detector is Detector.EXTREME:
        return extreme_p(series, params.extreme)
    if detector is Detector.ENTROPY:
        return entropy_p(series, params.entropy)
    if detector is Detector.SHIFT:
        return shift_p(series, params.shift)
    if detector is Detector.CAD_OSE:
        return cad_p(series, params.cad)
    if detector is Detector.THREE_SIGMA:
        return three_sigma_p(series, params.three_sigma)
    raise ValueError(f"{detector.value} has no tail probability")


def combine(ps: list[F64]) -> F64:
    """Bonferroni combination: ``1 - min(1, k * min_i p_i)`` — an anomaly probability in [0, 1]."""
    k = len(ps)
    pmin = np.minimum.reduce(ps) if k > 1 else ps[0]
    return np.asarray(1.0 - np.minimum(1.0, k * pmin), dtype=np.float64)


def anomaly_likelihood_p(combined_p: F64, params: PostLikelihoodParams) -> F64:
    """Numenta's anomaly likelihood of the ensemble's evidence, as a tail probability (small = anomalous).

    ``combined_p`` is ``min(1, k · min_i p_i)``. Row ``t`` uses rows ``<= t`` only: the trailing mean
    of the raw score, and a distribution re-estimated at fixed rows from the rows up to them.
    """
    n = combined_p.shape[0]
    if params.evidence_decades > 0:
        raw = -np.log10(np.maximum(combined_p, 1e-300)) / params.evidence_decades
        raw = np.clip(raw, 0.0, params.raw_cap)
    else:  # the ensemble's score itself, in [0, 1] (as Numenta feeds HTM's raw score)
        raw = 1.0 - combined_p
    avg = trailing_mean(raw, params.short_window)
    start = params.learning_period + params.estimation_samples
    mean, std, ready = reestimated_window_mean_std(avg, start, params.historic_window,
                                                   params.reestimation_period, params.learning_period)
    mean = np.maximum(mean, params.min_mean)
    std = np.maximum(std, math.sqrt(params.min_variance))
    p = np.ones(n)
    p[ready] = upper_tail((avg[ready] - mean[ready]) / std[ready])
    return p


def ensemble_score(series: Series, params: AnomalyParams) -> F64:
    """The ensemble's anomaly probability before the hold-off (members combined, then post-processed)."""
    ens = params.ensemble
    ps = [member_p(series, m, params) for m in ens.members]
    if ens.post is PostProcess.NONE:
        return combine(ps)
    how = ens.post_likelihood.combine
    if how is LikelihoodCombine.MEMBERS:
        return combine([anomaly_likelihood_p(p, ens.post_likelihood) for p in ps])
    if how is LikelihoodCombine.EXTREME_OR:
        ps = [np.minimum(1.0, 2.0 * np.minimum(p, anomaly_likelihood_p(p, ens.post_likelihood)))
              if m is Detector.EXTREME else p for m, p in zip(ens.members, ps, strict=True)]
        return combine(ps)
    if how is LikelihoodCombine.EXTREME_AND:
        ps = [np.maximum(p, anomaly_likelihood_p(p, ens.post_likelihood))
              if m is Detector.EXTREME else p for m, p in zip(ens.members, ps, strict=True)]
        return combine(ps)
    k = len(ps)
    pmin = np.minimum.reduce(ps) if k > 1 else ps[0]
    cp = np.minimum(1.0, k * pmin)
    pl = anomaly_likelihood_p(cp, ens.post_likelihood)
    if how is LikelihoodCombine.AND:
        pl = np.maximum(pl, cp)
    elif how is LikelihoodCombine.OR:
        pl = np.minimum(1.0, 2.0 * np.minimum(pl, cp))
    elif how is LikelihoodCombine.GEOMETRIC:
        pl = np.sqrt(pl * cp)
    return np.asarray(1.0 - pl, dtype=np.float64)


def holdoff(score: F64, params: EnsembleParams) -> F64:
    """Damp the rows after each alert (causal: whether row ``t`` is damped depends on rows < t).

    After an alert at row ``i`` the next ``clamp(holdoff_fraction * (i + 1))`` rows are multiplied
    by ``damping``, so one incident gives one alert instead of one per row.
    """
    out = score.copy()
    blocked_until = -1
    for i in np.flatnonzero(score >= params.threshold):
        if i <= blocked_until:
            continue
        h = int(min(params.holdoff_max, max(params.holdoff_min, round(params.holdoff_fraction * (i + 1)))))
        end = min(out.shape[0], i + 1 + h)
        out[i + 1:end] *= params.damping
        blocked_until = end - 1
    return out


def score_series(series: Series, detector: Detector = Detector.ENSEMBLE,
                 params: AnomalyParams = DEFAULT_PARAMS) -> Scores:
    """Per-row anomaly score in [0, 1] and alert flag for ``detector``; row ``t`` uses rows ``<= t``."""
    if detector is Detector.SPIKE_RULE:
        score = spike_rule_score(series, params.spike_rule)
        threshold = 1.0 - 1.0 / params.spike_rule.medium
    elif detector is Detector.ENSEMBLE:
        ens = params.ensemble
        score = holdoff(ensemble_score(series, params), ens)
        threshold = ens.threshold
    else:
        score = 1.0 - member_p(series, detector, params)
        threshold = _THREE_SIGMA_SCORE if detector is Detector.THREE_SIGMA else params.ensemble.threshold
    score = np.clip(score, 0.0, 1.0)
    return Scores(detector=detector, score=score, alert=score >= threshold, threshold=threshold)
