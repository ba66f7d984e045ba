"""Typed views of stored insights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
