"""Typed values of runbooks: risk levels, action kinds and statuses, a parsed runbook file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from argus.core.enums import ReviewTier
from argus.core.errors import InputError


class Risk(StrEnum):
    """How much following a runbook can hurt (front-matter ``risk``; default ``[runbooks] default_risk``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: The least cautious review tier an action of each risk may have (the confidence tier can only be
#: more cautious). No system-changing action is ever AUTONOMOUS: none runs without approval.
RISK_FLOOR: dict[Risk, ReviewTier] = {
    Risk.LOW: ReviewTier.ASYNC_REVIEW,
    Risk.MEDIUM: ReviewTier.PRE_APPROVAL,
    Risk.HIGH: ReviewTier.HUMAN_REQUIRED,
}


class ActionKind(StrEnum):
    """Actions that change a system: only ever proposed, never run by Argus."""

    ROLLBACK = "rollback"
    SCALE = "scale"
    RESTART = "restart"
    FAILOVER = "failover"
    CONFIG_CHANGE = "config_change"
    OTHER = "other"


#: Risk of an action whose runbook entry names none, by kind (a rollback or failover touches more).
ACTION_RISK: dict[ActionKind, Risk] = {
    ActionKind.ROLLBACK: Risk.MEDIUM,
    ActionKind.SCALE: Risk.LOW,
    ActionKind.RESTART: Risk.MEDIUM,
    ActionKind.FAILOVER: Risk.HIGH,
    ActionKind.CONFIG_CHANGE: Risk.MEDIUM,
    ActionKind.OTHER: Risk.HIGH,
}


class ActionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


def parse_risk(value: object, where: str) -> Risk:
    try:
        return Risk(str(value).strip().lower())
    except ValueError:
        raise InputError(f"{where}: risk {value!r}: use low, medium or high") from None


def parse_action_kind(value: object, where: str) -> ActionKind:
    try:
        return ActionKind(str(value).strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        raise InputError(f"{where}: action kind {value!r}: use one of {', '.join(ActionKind)}") from None


@dataclass(frozen=True)
class ActionSpec:
    """One action a runbook proposes (declared in its front-matter, or found in its text)."""

    kind: ActionKind
    description: str
    target: str | None = None
    risk: Risk | None = None
    declared: bool = True


@dataclass(frozen=True)
class RunbookDoc:
    """One parsed runbook file."""

    key: str
    title: str
    body: str
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    risk: Risk = Risk.MEDIUM
    impact: str = ""
    url: str | None = None
    actions: tuple[ActionSpec, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of one stored runbook."""

    id: int
    tokens: tuple[str, ...]
    services: frozenset[str]
    linked: bool = False
    helped: int = 0
    not_helped: int = 0


@dataclass(frozen=True)
class Ranked:
    """One ranked runbook: BM25 score, factors, final score, match share, success rate, confidence."""

    id: int
    bm25: float
    service_factor: float
    success_rate: float
    score: float
    match: float
    confidence: float
    matched_terms: tuple[str, ...] = field(default_factory=tuple)
