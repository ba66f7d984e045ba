"""Reasoning core: evidence, claims, insights, confidence, review tiers, calibration. Pure: no database."""

from argus.reasoning.calibration import (
    CalibrationMethod,
    Calibrator,
    ReliabilityReport,
    Sample,
    fit_calibrator,
    reliability,
)
from argus.reasoning.confidence import Combination, combine, combine_claims, wilson_interval
from argus.reasoning.model import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.reasoning.policy import TierThresholds, grounding_of, review_tier, tier_for_confidence

__all__ = [
    "CalibrationMethod",
    "Calibrator",
    "Claim",
    "Combination",
    "Confidence",
    "Evidence",
    "Insight",
    "Provenance",
    "ReliabilityReport",
    "Sample",
    "Subject",
    "TierThresholds",
    "combine",
    "combine_claims",
    "fit_calibrator",
    "grounding_of",
    "reliability",
    "review_tier",
    "tier_for_confidence",
    "wilson_interval",
]
