"""Pure insight builders: an anomaly finding or a forecast breach → :class:`argus.reasoning.Insight`.

An anomaly's evidence is the judged window and the baseline it was judged against. The seed's 3-gate
filter decides the action and caps the review tier through the evidence strength: all three gates →
``page`` (strong evidence), two → ``review`` (moderate: at most async review), fewer → ``observe``
(weak: at most pre-approval). Nothing pages a person unless all three gates pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from argus.analysis.anomaly.schemas import AnomalyFinding
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.anomaly"
VERSION = "1"
_MAX_CONFIDENCE = 0.999  # a probability from finite data never prints as certainty


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.rstrip("Z"))


def _num(x: float) -> float | None:
    return None if x != x else x  # NaN is no JSON


def _g(x: float) -> str:
    return f"{x:.4g}"


def anomaly_insight(f: AnomalyFinding, parameters: dict[str, Any]) -> Insight:
    g, b = f.gates, f.baseline
    strength = {3: Support.STRONG, 2: Support.MODERATE}.get(g.passed, Support.WEAK)
    action = {3: "page", 2: "review"}.get(g.passed, "observe")
    window = Evidence(
        EvidenceType.METRIC_WINDOW, f"{f.series_key} {f.window_times[0]}..{f.window_times[-1]}", strength,
        f"{len(f.window_values)} point(s) ending at {f.at}: " + ", ".join(_g(v) for v in f.window_values[-5:])
        + f"; anomaly score {f.score:.6f} ({f.detector})", _when(f.at))
    base = Evidence(
        EvidenceType.METRIC_BASELINE, f"{f.series_key} {b.first}..{b.last}",
        Support.MODERATE if b.count >= 30 else Support.WEAK,
        f"{b.count} earlier point(s): median {_g(b.median)}, MAD {_g(b.mad)}, range {_g(b.low)} to {_g(b.high)}",
        _when(b.last))
    gate_words = [
        f"baseline {g.baseline_days:.1f} day(s) old ({'passes' if g.baseline_old_enough else 'fails'} gate 1)",
        f"{100 * g.alert_share:.1f} % of the baseline scored >= 0.99 "
        f"({'predictable: passes' if g.predictable else 'unpredictable: fails'} gate 2)",
        f"{g.impact_words} ({'passes' if g.impact else 'fails'} gate 3)",
    ]
    uncertainty = []
    if not g.baseline_old_enough:
        uncertainty.append("young baseline: the series is younger than the gate's minimum age")
    if not g.predictable:
        uncertainty.append("the series is often unusual: its baseline alerts frequently")
    if not g.impact:
        uncertainty.append("little impact: " + g.impact_words)
    conf = min(_MAX_CONFIDENCE, f.score)
    direction = "above" if f.value >= b.median or b.count == 0 else "below"
    title = f"{f.series_key}: {_g(f.value)} at {f.at}, {direction} its normal range"
    summary = (f"{_g(f.value)} against a baseline median of {_g(b.median)} (MAD {_g(b.mad)}) over {b.count} "
               f"point(s); {g.passed} of 3 gates pass, so the action is {action}.")
    claims = (
        Claim(f"The value {_g(f.value)} at {f.at} is outside the range of its baseline", conf, (window, base)),
        Claim("Gates: " + "; ".join(gate_words), conf, (window,)),
    )
    return Insight(
        kind=InsightKind.ANOMALY, subject=Subject(SubjectType.METRIC_SERIES, f.series_key),
        title=title, summary=summary, claims=claims, confidence=Confidence(conf),
        provenance=Provenance(ANALYZER, VERSION, parameters), action=action, uncertainty=tuple(uncertainty),
        data={"series": f.series_key, "at": f.at, "value": f.value, "score": f.score, "detector": f.detector,
              "window": {"times": list(f.window_times), "values": list(f.window_values)},
              "baseline": {"first": b.first, "last": b.last, "count": b.count, "median": _num(b.median),
                           "mad": _num(b.mad), "low": _num(b.low), "high": _num(b.high)},
              "gates": {"baseline_days": g.baseline_days, "baseline_old_enough": g.baseline_old_enough,
                        "alert_share": g.alert_share, "predictable": g.predictable, "impact": g.impact,
                        "impact_words": g.impact_words, "passed": g.passed},
              "limit": f.limit},
    )


def forecast_insight(key: str, fc: Any, limit: float | None, capacity: float | None, params: Any) -> Insight | None:
    """A FORECAST_BREACH insight when the series will likely exceed ``limit`` within a horizon, or its
    forecast peak exceeds ``capacity_warn_fraction`` × ``capacity`` (recommend peak × headroom).

    ``fc`` is an :class:`argus.analysis.anomaly.forecast.Forecast`; ``params`` the gate parameters.
    ``None`` when neither holds.
    """
    claims: list[Claim] = []
    titles: list[str] = []
    action = None
    conf = 0.0
    data: dict[str, Any] = {"series": key, "origin": fc.origin, "step_seconds": fc.step_seconds,
                            "seasonal": fc.seasonal, "alpha": fc.alpha, "limit": limit, "capacity": capacity,
                            "floor": fc.floor,
                            "horizons": [{"hours": h.hours, "at": h.at, "point": h.point, "low80": _num(h.low80),
                                          "high80": _num(h.high80), "low95": _num(h.low95), "high95": _num(h.high95),
                                          "model": h.model, "backtest_mae": _num(h.backtest_mae),
                                          "backtest_origins": h.backtest_origins}
                                         for h in fc.horizons]}
    fc_ev = tuple(Evidence(EvidenceType.METRIC_FORECAST, f"{key} {fc.origin}+{h.hours:g}h", Support.MODERATE,
                           f"{h.hours:g} h: {_g(h.point)} (80 % {_g(h.low80)} to {_g(h.high80)}; "
                           f"95 % {_g(h.low95)} to {_g(h.high95)}); model {h.model}, chosen on "
                           f"{h.backtest_origins} earlier origin(s) (backtest MAE {_g(h.backtest_mae)})",
                           _when(fc.origin)) for h in fc.horizons)
    if limit is not None:
        for h in fc.horizons:
            p, _ = fc.exceedance(limit, h.steps)
            if p >= params.breach_probability:
                shown = min(_MAX_CONFIDENCE, p)
                titles.append(f"{key} will exceed {_g(limit)} within {h.hours:g} h, {100 * shown:.0f} %")
                claims.append(Claim(f"{key} exceeds {_g(limit)} with probability {100 * shown:.0f} % within "
                                    f"{h.hours:g} h of {fc.origin}", shown, fc_ev))
                data["breach"] = {"hours": h.hours, "probability": p}
                action, conf = "prevent_breach", shown
                break
    if capacity is not None and fc.horizons:
        peak = fc.peak(max(h.steps for h in fc.horizons))
        if peak > params.capacity_warn_fraction * capacity:
            rec = peak * params.capacity_headroom
            titles.append(f"{key}: forecast peak {_g(peak)} is {100 * peak / capacity:.0f} % of capacity "
                          f"{_g(capacity)}; recommend {_g(rec)}")
            claims.append(Claim(f"The forecast peak {_g(peak)} within {fc.horizons[-1].hours:g} h exceeds "
                                f"{100 * params.capacity_warn_fraction:.0f} % of the capacity {_g(capacity)}",
                                0.8, fc_ev))
            data["capacity_recommendation"] = {"peak": peak, "recommended": rec}
            action = action or "raise_capacity"
            conf = max(conf, 0.8)
    if not claims:
        return None
    return Insight(
        kind=InsightKind.FORECAST_BREACH, subject=Subject(SubjectType.METRIC_SERIES, key),
        title="; ".join(titles), summary=f"Forecast from {fc.origin}; model per horizon chosen on the series' own "
        f"history ({', '.join(f'{h.hours:g} h: {h.model}' for h in fc.horizons)}); intervals are the chosen "
        "model's own past errors at each horizon (split-conformal).",
        claims=tuple(claims), confidence=Confidence(conf), provenance=Provenance(ANALYZER + ".forecast", VERSION, {}),
        action=action, uncertainty=("a forecast assumes the future errs like the past",), data=data)
