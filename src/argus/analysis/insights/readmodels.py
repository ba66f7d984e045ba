"""What the front doors render of stored insights: an insight with its evidence and feedback, a
recorded verdict, the calibration report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from argus.core.enums import FeedbackVerdict

if TYPE_CHECKING:
    from argus.analysis.insights.refs import RunRef
    from argus.reasoning import Calibrator
    from argus.reasoning.calibration import ReliabilityReport


@dataclass(frozen=True)
class EvidenceView:
    claim_index: int
    ref_type: str
    ref_id: str
    strength: str
    detail: str
    observed_at: datetime | None


@dataclass(frozen=True)
class FeedbackView:
    verdict: str
    actor: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class InsightView:
    id: int
    kind: str
    subject_type: str
    subject_id: str
    subject_label: str | None
    title: str
    summary: str
    confidence: float
    raw_confidence: float
    confidence_low: float | None
    confidence_high: float | None
    grounding: str
    review_tier: str
    action: str | None
    uncertainty: list[str]
    claims: list[dict[str, Any]]
    data: dict[str, Any]
    provenance: dict[str, Any]
    created_at: datetime
    superseded_by: int | None
    evidence: tuple[EvidenceView, ...] = ()
    feedback: tuple[FeedbackView, ...] = ()


@dataclass(frozen=True)
class InsightShown:
    """One insight and the runs its evidence points at (``(ref_type, ref_id)`` → run)."""

    insight: InsightView
    refs: Mapping[tuple[str, str], RunRef] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedbackRecorded:
    """A human verdict stored on an insight."""

    feedback_id: int
    insight_id: int
    verdict: FeedbackVerdict
    actor: str


@dataclass(frozen=True)
class CalibrationView:
    """How well stored confidences matched human verdicts, and the calibrator fitted from them."""

    report: ReliabilityReport
    calibrator: Calibrator
