"""Grounding status and review-tier policy.

Seed tiers (checklist X-25/X-26): confidence > 0.95 with strong evidence → AUTONOMOUS;
0.85–0.95 → ASYNC_REVIEW; 0.70–0.85 → PRE_APPROVAL; < 0.70 → HUMAN_REQUIRED. Boundaries belong to the
more cautious side except 0.85 and 0.70, which open their tier (0.95 itself is ASYNC_REVIEW, 0.85 is
ASYNC_REVIEW, 0.70 is PRE_APPROVAL). Evidence caps the tier independently — strong evidence allows
AUTONOMOUS, moderate at most ASYNC_REVIEW, weak at most PRE_APPROVAL, partially grounded at most
PRE_APPROVAL, ungrounded always HUMAN_REQUIRED — and the more cautious of the two tiers wins.

The confidence judged is the insight's *calibrated* confidence: the calibrator fitted from the
feedback on the insight's kind applied to its raw confidence (identity while feedback is scarce).
:meth:`argus.reasoning.Insight.calibrated` applies it and :attr:`argus.reasoning.Insight.review_tier`
is this one rule; the store saves ``insight.calibrated(calibrator).review_tier``, nothing else.

This module depends on no other reasoning module (``model`` imports it, never the reverse): claims
are read through :class:`ClaimLike`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from argus.core.enums import Grounding, ReviewTier, Support

_ORDER = {Support.WEAK: 0, Support.MODERATE: 1, Support.STRONG: 2}

_CAUTION = {
    ReviewTier.AUTONOMOUS: 0,
    ReviewTier.ASYNC_REVIEW: 1,
    ReviewTier.PRE_APPROVAL: 2,
    ReviewTier.HUMAN_REQUIRED: 3,
}


def weaker(a: Support, b: Support) -> Support:
    return a if _ORDER[a] <= _ORDER[b] else b


def stronger(a: Support, b: Support) -> Support:
    return a if _ORDER[a] >= _ORDER[b] else b


def downgrade(s: Support) -> Support:
    return Support.MODERATE if s is Support.STRONG else Support.WEAK


class ClaimLike(Protocol):
    """What the policy reads of a claim (:class:`argus.reasoning.Claim`)."""

    @property
    def grounded(self) -> bool: ...

    @property
    def support(self) -> Support: ...


@dataclass(frozen=True)
class TierThresholds:
    """Confidence thresholds of the review tiers (documented seed defaults)."""

    autonomous: float = 0.95  # strictly above
    async_review: float = 0.85  # at or above
    pre_approval: float = 0.70  # at or above


def more_cautious(a: ReviewTier, b: ReviewTier) -> ReviewTier:
    return a if _CAUTION[a] >= _CAUTION[b] else b


def tier_for_confidence(confidence: float, t: TierThresholds | None = None) -> ReviewTier:
    t = t or TierThresholds()
    if confidence > t.autonomous:
        return ReviewTier.AUTONOMOUS
    if confidence >= t.async_review:
        return ReviewTier.ASYNC_REVIEW
    if confidence >= t.pre_approval:
        return ReviewTier.PRE_APPROVAL
    return ReviewTier.HUMAN_REQUIRED


def tier_for_evidence(strength: Support, grounding: Grounding) -> ReviewTier:
    if grounding is Grounding.UNGROUNDED:
        return ReviewTier.HUMAN_REQUIRED
    cap = {
        Support.STRONG: ReviewTier.AUTONOMOUS,
        Support.MODERATE: ReviewTier.ASYNC_REVIEW,
        Support.WEAK: ReviewTier.PRE_APPROVAL,
    }[strength]
    if grounding is Grounding.PARTIALLY_GROUNDED:
        cap = more_cautious(cap, ReviewTier.PRE_APPROVAL)
    return cap


def review_tier(
    confidence: float, strength: Support, grounding: Grounding, t: TierThresholds | None = None
) -> ReviewTier:
    """The more cautious of the confidence tier and the evidence tier."""
    return more_cautious(tier_for_confidence(confidence, t), tier_for_evidence(strength, grounding))


def grounding_of(claims: Sequence[ClaimLike]) -> Grounding:
    """GROUNDED when every claim has evidence, PARTIALLY_GROUNDED when some do, else UNGROUNDED."""
    if not claims:
        return Grounding.UNGROUNDED
    grounded = sum(1 for c in claims if c.grounded)
    if grounded == len(claims):
        return Grounding.GROUNDED
    return Grounding.PARTIALLY_GROUNDED if grounded else Grounding.UNGROUNDED


def evidence_strength_of(claims: Sequence[ClaimLike]) -> Support:
    """An insight is as strong as its weakest claim."""
    if not claims:
        return Support.WEAK
    strength = Support.STRONG
    for c in claims:
        strength = weaker(strength, c.support)
    return strength
