"""Pure: turn an alerting row of a scored series into an :class:`AnomalyFinding` with the seed's 3 gates.

Gate 1 (baseline): the series' first point is at least ``baseline_min_days`` older than the anomaly.
Gate 2 (predictable): at most ``predictable_max_alert_share`` of the baseline rows scored >= 0.99
(the detectors are usually calm on this series). Gate 3 (impact): the value is beyond the series'
configured limit, or (no limit) at least ``impact_min_fraction`` away from the baseline median.
"""

from __future__ import annotations

import numpy as np

from argus.analysis.anomaly.schemas import AnomalyFinding, Baseline, GateParams, Gates, Scores, Series

_CALM = 0.99


def iso(t: np.datetime64) -> str:
    return f"{np.datetime_as_string(t, unit='s')}Z"


def baseline_of(series: Series, i: int, rows: int) -> Baseline:
    lo = max(0, i - rows)
    v = series.values[lo:i]
    if v.size == 0:
        t = iso(series.timestamps[i])
        return Baseline(t, t, 0, float("nan"), float("nan"), float("nan"), float("nan"))
    med = float(np.median(v))
    return Baseline(iso(series.timestamps[lo]), iso(series.timestamps[i - 1]), int(v.size), med,
                    float(np.median(np.abs(v - med))), float(v.min()), float(v.max()))


def gates_of(series: Series, scores: Scores, i: int, first_seen: np.datetime64, base: Baseline,
             params: GateParams, limit: float | None) -> Gates:
    days = float((series.timestamps[i] - first_seen) / np.timedelta64(1, "s")) / 86400.0
    lo = max(0, i - params.baseline_rows)
    prior = scores.score[lo:i]
    share = float((prior >= _CALM).mean()) if prior.size else 1.0
    value = float(series.values[i])
    if limit is not None:
        impact = value > limit
        words = f"value {value:g} {'is above' if impact else 'is within'} the limit {limit:g}"
    elif base.count == 0:
        impact, words = False, "no baseline to measure the impact against"
    else:
        dev = abs(value - base.median)
        rel = dev / abs(base.median) if base.median else float("inf")
        impact = rel >= params.impact_min_fraction
        words = (f"value {value:g} is {'infinitely' if rel == float('inf') else f'{100 * rel:.0f} %'} away from "
                 f"the baseline median {base.median:g}")
    return Gates(days, days >= params.baseline_min_days, share, share <= params.predictable_max_alert_share,
                 impact, words)


def findings(key: str, series: Series, scores: Scores, rows: np.ndarray, first_seen: np.datetime64,
             params: GateParams, limit: float | None = None) -> list[AnomalyFinding]:
    """One finding per alerting row index in ``rows`` (indexes into ``series``)."""
    out = []
    for i in (int(r) for r in rows):
        base = baseline_of(series, i, params.baseline_rows)
        w0 = max(0, i - params.window_rows + 1)
        out.append(AnomalyFinding(
            series_key=key, at=iso(series.timestamps[i]), value=float(series.values[i]),
            score=float(scores.score[i]), detector=scores.detector.value,
            window_times=tuple(iso(t) for t in series.timestamps[w0:i + 1]),
            window_values=tuple(float(v) for v in series.values[w0:i + 1]),
            baseline=base, gates=gates_of(series, scores, i, first_seen, base, params, limit), limit=limit,
        ))
    return out
