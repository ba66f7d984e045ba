"""What the front doors render of an investigation (frozen). The accepted cause of an incident, for the
postmortem writer: :func:`argus.analysis.investigation.service.accepted_hypothesis` → :class:`AcceptedCause`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class EvidenceView:
    ref_type: str
    ref_id: str
    strength: str
    detail: str
    at: datetime | None = None


@dataclass(frozen=True)
class ActionSuggestion:
    """An action a recommended runbook proposes (never executed; approval is recorded elsewhere)."""

    kind: str
    description: str
    target: str | None
    risk: str
    review_tier: str
    status: str = "suggested"


@dataclass(frozen=True)
class RunbookSuggestion:
    """A runbook recommended for a hypothesis (its text and service as the query)."""

    runbook: str
    title: str
    score: float
    match: float
    risk: str
    expected_impact: str
    actions: tuple[ActionSuggestion, ...] = ()


@dataclass(frozen=True)
class HypothesisView:
    key: str
    kind: str
    cause: str
    title: str
    service: str | None
    insight_id: int | None
    #: calibrated confidence and its range; ``base`` the five-factor score before calibration
    confidence: float
    low: float
    high: float
    base: float
    factors: dict[str, float]
    weights: dict[str, float]
    defaults: tuple[str, ...]
    evidence: tuple[EvidenceView, ...]
    contradictions: tuple[str, ...]
    review_tier: str
    shown: bool
    precedents: int = 0
    drafted_by: str | None = None
    #: runbooks recommended for this hypothesis (top hypotheses only; when runbooks are indexed)
    runbooks: tuple[RunbookSuggestion, ...] = ()


@dataclass(frozen=True)
class InvestigationView:
    id: int
    incident_id: int
    snapshot_id: int
    verdict: str
    created_at: datetime
    actor: str
    hypotheses: tuple[HypothesisView, ...]
    conflicts: tuple[str, ...]
    request: str | None
    auto_ack: str | None
    weights: dict[str, float]
    #: counts of the snapshot's items (changes, alerts, slos, ci, precedents) and its notes
    snapshot: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    acknowledged: bool = False


@dataclass(frozen=True)
class OutcomeDone:
    incident_id: int
    hypothesis_key: str
    kind: str
    cause: str
    accepted: int
    rejected: int
    actor: str
    at: datetime


@dataclass(frozen=True)
class AcceptedCause:
    """The hypothesis a person recorded as the cause of an incident, with its evidence."""

    incident_id: int
    hypothesis_key: str
    kind: str
    cause: str
    title: str
    insight_id: int | None
    confidence: float | None
    evidence: tuple[EvidenceView, ...]
    actor: str
    at: datetime
    note: str | None = None
