"""The insight contract: Evidence → Claim → Insight (frozen values, no database).

An :class:`Insight` derives its grounding and review tier from its claims and confidence, so no
analysis can hand out an AUTONOMOUS insight whose claims lack strong evidence.

References are typed: a :class:`Subject`'s type is a :class:`~argus.core.enums.SubjectType` and an
:class:`Evidence` item's ``ref_type`` an :class:`~argus.core.enums.EvidenceType`; a string outside
those registries is refused when the value is built (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from argus.core.enums import EvidenceType, Grounding, InsightKind, ReviewTier, SubjectType, Support
from argus.reasoning.calibration import Calibrator
from argus.reasoning.policy import downgrade, evidence_strength_of, grounding_of, review_tier, stronger

_E = TypeVar("_E", bound=StrEnum)


def registered(registry: type[_E], value: str, what: str) -> _E:
    """``value`` as a member of ``registry``; a string outside it raises ``ValueError`` naming the known ones."""
    try:
        return registry(value)
    except ValueError:
        known = ", ".join(m.value for m in registry)
        raise ValueError(f"unknown {what} {value!r}; known: {known}") from None


@dataclass(frozen=True)
class Evidence:
    """A typed reference to a stored row (``ref_type`` + ``ref_id``) with its strength and a one-line detail.

    ``ref_type`` must be an :class:`EvidenceType` (its string value is accepted and converted).
    """

    ref_type: EvidenceType
    ref_id: str
    strength: Support
    detail: str
    observed_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ref_type", registered(EvidenceType, self.ref_type, "evidence type"))


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
    """What an insight is about: a :class:`SubjectType` (test, build, failure cluster ...) and an id.

    The type's string value is accepted and converted; a string outside the registry raises.
    """

    type: SubjectType
    id: str
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", registered(SubjectType, self.type, "subject type"))


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
        return grounding_of(self.claims)

    @property
    def evidence_strength(self) -> Support:
        return evidence_strength_of(self.claims)

    def calibrated(self, calibrator: Calibrator) -> Insight:
        """This insight with ``confidence.value`` = ``calibrator`` applied to the raw confidence.

        The raw confidence is ``confidence.raw`` (``confidence.value`` when unset) and is kept as
        ``raw``; calibrating twice with the same calibrator gives the same insight.
        """
        raw = self.confidence.raw if self.confidence.raw is not None else self.confidence.value
        return replace(self, confidence=replace(self.confidence, value=calibrator.apply(raw), raw=raw))

    @property
    def review_tier(self) -> ReviewTier:
        """The one review-tier rule (:mod:`argus.reasoning.policy`): ``confidence.value`` against the tier
        thresholds, capped by the evidence.

        ``confidence.value`` is the calibrated confidence: an analyzer's insight is identity-calibrated
        (value = raw) until :meth:`calibrated` applies its kind's calibrator, which the store does
        before saving; the stored tier is ``insight.calibrated(calibrator).review_tier``.
        """
        return review_tier(self.confidence.value, self.evidence_strength, self.grounding)
