from __future__ import annotations

import pytest

from argus.core.enums import Grounding, InsightKind, ReviewTier, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.reasoning.policy import (
    evidence_strength_of,
    grounding_of,
    review_tier,
    tier_for_confidence,
    tier_for_evidence,
)


def ev(strength: Support = Support.STRONG) -> Evidence:
    return Evidence("test_result", "1", strength, "failed then passed on retry")


@pytest.mark.parametrize(
    ("confidence", "tier"),
    [
        (0.9501, ReviewTier.AUTONOMOUS),
        (0.95, ReviewTier.ASYNC_REVIEW),
        (0.9499, ReviewTier.ASYNC_REVIEW),
        (0.85, ReviewTier.ASYNC_REVIEW),
        (0.8499, ReviewTier.PRE_APPROVAL),
        (0.70, ReviewTier.PRE_APPROVAL),
        (0.6999, ReviewTier.HUMAN_REQUIRED),
        (0.0, ReviewTier.HUMAN_REQUIRED),
        (1.0, ReviewTier.AUTONOMOUS),
    ],
)
def test_confidence_tier_boundaries(confidence: float, tier: ReviewTier) -> None:
    assert tier_for_confidence(confidence) is tier


@pytest.mark.parametrize(
    ("strength", "grounding", "tier"),
    [
        (Support.STRONG, Grounding.GROUNDED, ReviewTier.AUTONOMOUS),
        (Support.MODERATE, Grounding.GROUNDED, ReviewTier.ASYNC_REVIEW),
        (Support.WEAK, Grounding.GROUNDED, ReviewTier.PRE_APPROVAL),
        (Support.STRONG, Grounding.PARTIALLY_GROUNDED, ReviewTier.PRE_APPROVAL),
        (Support.STRONG, Grounding.UNGROUNDED, ReviewTier.HUMAN_REQUIRED),
    ],
)
def test_evidence_caps_tier(strength: Support, grounding: Grounding, tier: ReviewTier) -> None:
    assert tier_for_evidence(strength, grounding) is tier


def test_more_cautious_of_confidence_and_evidence_wins() -> None:
    assert review_tier(0.99, Support.MODERATE, Grounding.GROUNDED) is ReviewTier.ASYNC_REVIEW
    assert review_tier(0.99, Support.WEAK, Grounding.GROUNDED) is ReviewTier.PRE_APPROVAL
    assert review_tier(0.75, Support.STRONG, Grounding.GROUNDED) is ReviewTier.PRE_APPROVAL
    assert review_tier(0.99, Support.STRONG, Grounding.UNGROUNDED) is ReviewTier.HUMAN_REQUIRED


def test_grounding_status() -> None:
    grounded = Claim("a", 0.9, (ev(),))
    bare = Claim("b", 0.9)
    assert grounding_of([grounded, grounded]) is Grounding.GROUNDED
    assert grounding_of([grounded, bare]) is Grounding.PARTIALLY_GROUNDED
    assert grounding_of([bare]) is Grounding.UNGROUNDED
    assert grounding_of([]) is Grounding.UNGROUNDED


def test_claim_support_strongest_evidence_and_contradictions_downgrade() -> None:
    c = Claim("x", 0.9, (ev(Support.WEAK), ev(Support.STRONG)))
    assert c.support is Support.STRONG
    contradicted = Claim("x", 0.9, (ev(Support.STRONG),), contradictions=("passed on 3 later commits",))
    assert contradicted.support is Support.MODERATE
    assert Claim("x", 0.9).support is Support.WEAK


def test_insight_strength_is_weakest_claim_and_tier_derived() -> None:
    strong = Claim("s", 0.99, (ev(Support.STRONG),))
    moderate = Claim("m", 0.99, (ev(Support.MODERATE),))
    ins = Insight(
        kind=InsightKind.FLAKY_TEST,
        subject=Subject("test", "t1"),
        title="t",
        summary="s",
        claims=(strong, moderate),
        confidence=Confidence(0.99),
        provenance=Provenance("test", "1"),
    )
    assert evidence_strength_of(ins.claims) is Support.MODERATE
    assert ins.review_tier is ReviewTier.ASYNC_REVIEW
    only_strong = Insight(**{**ins.__dict__, "claims": (strong,)})
    assert only_strong.review_tier is ReviewTier.AUTONOMOUS


def test_review_tier_is_the_calibrated_confidences() -> None:
    """One rule: the tier is judged on the calibrated confidence (what the store saves)."""
    from argus.reasoning import CalibrationMethod, Calibrator

    ins = Insight(
        kind=InsightKind.FLAKY_TEST,
        subject=Subject("test", "t1"),
        title="t",
        summary="s",
        claims=(Claim("s", 0.97, (ev(Support.STRONG),)),),
        confidence=Confidence(0.97, raw=0.97),
        provenance=Provenance("test", "1"),
    )
    assert ins.review_tier is ReviewTier.AUTONOMOUS  # identity-calibrated until calibrated
    harsh = Calibrator(CalibrationMethod.ISOTONIC, (0.0, 1.0), (0.0, 0.8))  # 0.97 -> 0.776
    cal = ins.calibrated(harsh)
    assert cal.confidence.value == pytest.approx(0.776) and cal.confidence.raw == 0.97
    assert cal.review_tier is ReviewTier.PRE_APPROVAL
    assert cal.calibrated(harsh) == cal  # calibrating applies to the raw value, never twice
    assert ins.calibrated(Calibrator(CalibrationMethod.IDENTITY)).review_tier is ReviewTier.AUTONOMOUS


def test_confidence_out_of_range_rejected() -> None:
    with pytest.raises(ValueError):
        Claim("x", 1.2)
    with pytest.raises(ValueError):
        Confidence(0.5, low=-0.1)
