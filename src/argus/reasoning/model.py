"""The insight contract: Evidence → Claim → Insight (frozen values, no database).

An :class:`Insight` derives its grounding and review tier from its claims and confidence, so no
analysis can hand out an AUTONOMOUS insight whose claims lack strong evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from argus.core.enums import Grounding, InsightKind, ReviewTier, Support

_ORDER = {Support.WEAK: 0, Support.MODERATE: 1, Support.STRONG: 2}


def weaker(a: Support, b: Support) -> Support:
    return a if _ORDER[a] <= _ORDER[b] else b


def stronger(a: Support, b: Support) -> Support:
    return a if _ORDER[a] >= _ORDER[b] else b


def downgrade(s: Support) -> Support:
    return Support.MODERATE if s is Support.STRONG else Support.WEAK


@dataclass(frozen=True)
class Evidence:
    """A typed reference to a stored row (``ref_type`` + ``ref_id``) with its strength and a one-line detail."""

    ref_type: str
    ref_id: str
    strength: Support
    detail: str
    observed_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """One checkable statement, the evidence for it, and what speaks against it.

    ``confidence`` is the analyzer's probability that the claim holds. ``support`` is derived: the
    strongest evidence item, downgraded one level when there are contradictions; a claim with no
    evidence is weak and ungrounded.
    """

    text: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    contradictions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"claim confidence must be within [0, 1], got {self.confidence}")

    @property
    def grounded(self) -> bool:
        return bool(self.evidence)

    @property
    def support(self) -> Support:
        if not self.evidence:
            return Support.WEAK
        best = Support.WEAK
        for ev in self.evidence:
            best = stronger(best, ev.strength)
        return downgrade(best) if self.contradictions else best


@dataclass(frozen=True)
class Subject:
    """What an insight is about: a type (test, commit, run, cluster, project ...) and an id."""

    type: str
    id: str
    label: str | None = None


@dataclass(frozen=True)
class Confidence:
    """A probability in [0, 1] with an optional interval; ``raw`` is the value before calibration."""

    value: float
    low: float | None = None
    high: float | None = None
    raw: float | None = None

    def __post_init__(self) -> None:
        for name in ("value", "low", "high", "raw"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 1.0:
                raise ValueError(f"confidence {name} must be within [0, 1], got {v}")


@dataclass(frozen=True)
class Provenance:
    """Which analyzer (and version, parameters, model) produced an insight."""

    analyzer: str
    version: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    model_version: str | None = None


@dataclass(frozen=True)
class Insight:
    """What an analysis tells a user: claims with evidence, a calibrated confidence, a review tier."""

    kind: InsightKind
    subject: Subject
    title: str
    summary: str
    claims: tuple[Claim, ...]
    confidence: Confidence
    provenance: Provenance
    action: str | None = None
    uncertainty: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def grounding(self) -> Grounding:
        from argus.reasoning.policy import grounding_of

        return grounding_of(self.claims)

    @property
    def evidence_strength(self) -> Support:
        from argus.reasoning.policy import evidence_strength_of

        return evidence_strength_of(self.claims)

    @property
    def review_tier(self) -> ReviewTier:
        from argus.reasoning.policy import review_tier

        return review_tier(self.confidence.value, self.evidence_strength, self.grounding)
