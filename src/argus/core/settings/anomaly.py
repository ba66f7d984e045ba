"""Settings of stored-series anomaly scoring and forecasts (``[anomaly]``, ``ARGUS_ANOMALY__*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field


class AnomalySettings(BaseModel):
    """Anomalies and forecasts on stored metric series (see docs/analysis/anomaly.md)."""

    not_params: ClassVar[dict[str, str]] = {
        "tail_rows": "how many stored points are re-scored before the new ones (service, not the algorithm)",
        "derive_slowest_tests": "how many of the slowest tests get a duration series (service)",
        "limits": "per-series limits for breach forecasts (service)",
        "capacities": "per-series capacities for capacity recommendations (service)",
        "forecast_horizons_h": "forecast horizons (service)",
    }

    tail_rows: int = Field(
        6000, ge=100,
        description="Stored points before the first unscored one that are re-scored with it (the detectors' "
        "windows reach 2,880 rows back; scores are exact while a series is shorter than this).",
    )
    derive_slowest_tests: int = Field(10, ge=0, description="Tests (slowest by mean duration) with a duration series.")
    baseline_min_days: float = Field(
        7.0, ge=0, description="Gate 1: an anomaly pages a person only when its baseline is older than this."
    )
    predictable_max_alert_share: float = Field(
        0.02, ge=0, le=1,
        description="Gate 2: the series is predictable when at most this share of its baseline scored >= 0.99.",
    )
    impact_min_fraction: float = Field(
        0.2, ge=0,
        description="Gate 3 without a limit: the value is at least this fraction away from the baseline median.",
    )
    limits: dict[str, float] = Field(
        default_factory=dict,
        description="Upper limits per series name (SLOs): gate 3 is met beyond one; forecasts warn before it.",
    )
    capacities: dict[str, float] = Field(
        default_factory=dict, description="Capacity per series name: recommend more when the forecast peak nears it.",
    )
    capacity_warn_fraction: float = Field(0.8, gt=0, le=1, description="Recommend when peak > this × capacity.")
    capacity_headroom: float = Field(1.2, ge=1, description="Recommended capacity = forecast peak × this.")
    breach_probability: float = Field(
        0.8, gt=0, lt=1, description="A breach insight is saved when P(value > limit) reaches this within a horizon."
    )
    forecast_horizons_h: list[float] = Field(
        default_factory=lambda: [3.0, 6.0, 12.0, 24.0], description="Forecast horizons in hours."
    )
