"""Typed values of incident investigation: the snapshot's items, hypotheses, factors, params, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class HypothesisKind(StrEnum):
    """Which generator proposed a hypothesis (F5 human validation is kept per kind)."""

    DEPLOY = "deploy"  # a deployment of the service or an upstream
    CONFIG = "config"  # a configuration change of the service or an upstream
    UPSTREAM = "upstream"  # an upstream dependency alerting first (an outage, or a flaky dependency)
    CAPACITY = "capacity"  # a saturation trend on the service
    PRECEDENT = "precedent"  # the recorded cause of a similar past incident
    CI_SIGNAL = "ci_signal"  # a gate failure or new failure cluster on the deployed commit
    LLM = "llm"  # drafted by a language model, scored by the same rules


class Verdict(StrEnum):
    RANKED = "ranked"  # at least one hypothesis shown
    LOW_CONFIDENCE = "low_confidence"  # some at or above the INCONCLUSIVE bound, none above the show bound
    INCONCLUSIVE = "inconclusive"  # every hypothesis below the bound: a person must add what is missing


FACTORS = ("signal", "temporal", "precedent", "evidence", "human")


@dataclass(frozen=True)
class InvestigationParams:
    """Every threshold of generation, scoring and policy (defaults: :class:`InvestigationSettings`)."""

    lookback_h: float = 24.0
    after_min: float = 30.0
    hops: int = 2
    weights: dict[str, float] = field(default_factory=lambda: {"signal": 0.25, "temporal": 0.20, "precedent": 0.20,
                                                                 "evidence": 0.20, "human": 0.15})
    signal_levels: list[tuple[float, float]] = field(
        default_factory=lambda: [(3.0, 0.9), (2.0, 0.7), (1.0, 0.4), (0.0, 0.2)])
    temporal_deploy_close: float = 0.95
    temporal_config: float = 0.85
    temporal_upstream_first: float = 0.85
    temporal_none: float = 0.3
    temporal_close_min: float = 30.0
    temporal_half_life_min: float = 120.0
    precedent_levels: list[tuple[int, float]] = field(default_factory=lambda: [(10, 0.9), (3, 0.7), (1, 0.5), (0, 0.3)])
    precedent_min_similarity: float = 0.35
    evidence_multi: float = 0.95
    evidence_single: float = 0.7
    evidence_weak: float = 0.4
    human_none: float = 0.5
    human_min_outcomes: int = 3
    uncertainty_base: float = 0.05
    uncertainty_per_default: float = 0.03
    show_top: int = 3
    show_min: float = 0.4
    inconclusive_below: float = 0.3
    auto_ack_above: float = 0.85
    conflict_margin: float = 0.1


# ---- the snapshot -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A deployment or configuration change in the look-back (source: the ``deployment`` row)."""

    ref: str  # deployment row id
    kind: str  # deploy | config
    service: str | None
    at: datetime
    relation: str  # self | upstream | downstream | other
    commit: str | None = None
    risk: float | None = None  # change-risk probability of the commit, when one was predicted
    risk_ref: str | None = None  # risk_prediction row id


@dataclass(frozen=True)
class AlertItem:
    """An alert of the incident or of a neighbour (source: the ``alert`` row)."""

    ref: str
    name: str
    service: str | None
    starts_at: datetime
    ends_at: datetime | None
    severity: str
    relation: str  # self | upstream | downstream | other
    in_incident: bool
    sigma: float | None = None  # deviation from the baseline in standard deviations (labels or values)
    value: float | None = None
    saturation: bool = False


@dataclass(frozen=True)
class MetricDeviation:
    """A metric of a service off its baseline in the look-back: a stored anomaly (source: the ``insight``
    row of the anomaly capability) or, without one, the series' points against its own earlier points
    (source: the ``metric_series`` row's window)."""

    ref_type: str  # insight | metric_window
    ref: str
    series: str  # the series key
    service: str
    at: datetime
    value: float
    baseline: float  # median of the earlier points
    sigma: float  # |value − median| / (1.4826 · MAD), capped at 10
    saturation: bool = False
    source: str = "anomaly"  # anomaly | points


@dataclass(frozen=True)
class SloState:
    """Error-budget burn rates of one service's SLO (Google SRE multiwindow, multi-burn-rate)."""

    service: str
    objective: float
    burn: dict[str, float]  # window → burn rate ("1h", "5m", "6h", "30m")
    page: bool  # 1h and 5m both at or above 14.4
    ticket: bool  # 6h and 30m both at or above 6
    ref: str  # metric_series row id


@dataclass(frozen=True)
class CiSignal:
    """A gate failure or a failure cluster on a deployed commit (source: an ``insight`` row)."""

    ref: str
    kind: str  # gate_failure | failure_cluster | novel_failure
    commit: str | None
    detail: str


@dataclass(frozen=True)
class Precedent:
    """A similar earlier incident and its recorded cause (source: the ``incident`` row)."""

    ref: str
    similarity: float
    title: str
    opened_at: datetime
    cause_kind: str | None = None
    cause: str | None = None  # "<kind>:<service>" of the accepted hypothesis (or of its postmortem's cause)
    postmortem: str | None = None  # postmortem row id, when the incident has one


@dataclass(frozen=True)
class Snapshot:
    incident_id: int
    title: str
    service: str | None
    services: tuple[str, ...]
    opened_at: datetime
    taken_at: datetime
    upstream: dict[str, int]  # service → hops (it is depended on, directly or not)
    downstream: dict[str, int]
    #: the service graph around the incident: service → what it depends on
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    alerts: tuple[AlertItem, ...] = ()
    slos: tuple[SloState, ...] = ()
    ci: tuple[CiSignal, ...] = ()
    precedents: tuple[Precedent, ...] = ()
    #: outcomes per hypothesis pattern (:attr:`Hypothesis.pattern`): (accepted, judged)
    history: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: metric deviations of the services and upstreams (anomaly findings, else stored points)
    metrics: tuple[MetricDeviation, ...] = ()


# ---- hypotheses ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ev:
    """One piece of evidence of a hypothesis: the snapshot item's source row."""

    ref_type: str  # an EvidenceType value
    ref_id: str
    strength: str  # a Support value
    detail: str
    source: str  # the independent source it comes from: deployment | alert | ci | risk | slo | precedent | llm
    at: datetime | None = None


@dataclass(frozen=True)
class Hypothesis:
    """A candidate cause before scoring: what the generator saw."""

    key: str
    kind: HypothesisKind
    cause: str  # "<cause kind>:<service>": what a precedent's recorded cause is compared with
    service: str | None
    title: str
    evidence: tuple[Ev, ...]
    sigma: float | None = None
    temporal: float | None = None  # None: no temporal link
    precedents: int = 0
    precedent_refs: tuple[str, ...] = ()
    contradictions: tuple[str, ...] = ()
    drafted_by: str | None = None  # the LLM that drafted it
    relation: str = "self"  # self | upstream | - : where the cause sits relative to the incident's services

    @property
    def pattern(self) -> str:
        """What F5 keeps a validation history of: kind, relation, and whether the cause came close in time."""
        near = "close" if self.temporal is not None and self.temporal >= 0.8 else "far"
        return f"{self.kind.value}/{self.relation}/{near}"


@dataclass(frozen=True)
class Scored:
    hypothesis: Hypothesis
    factors: dict[str, float]
    weights: dict[str, float]
    base: float
    low: float
    high: float
    defaults: tuple[str, ...]  # factors left at their no-information level


@dataclass(frozen=True)
class PolicyDecision:
    verdict: Verdict
    shown: tuple[str, ...]  # hypothesis keys shown, best first
    conflicts: tuple[str, ...]
    request: str | None  # what a person is asked for (INCONCLUSIVE, conflicts)
    auto_ack: str | None  # key of the hypothesis that acknowledges the incident, if any
    data: dict[str, Any] = field(default_factory=dict)
