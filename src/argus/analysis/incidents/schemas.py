"""Typed values of the incident capability: severity classes, priorities, lifecycle states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argus.core.errors import InputError


class Severity(StrEnum):
    """Severity class (seed S2-19 critical / warning / info, with high between)."""

    CRITICAL = "critical"
    HIGH = "high"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Priority(StrEnum):
    """P0 page now, P1 within a minute, P2 batched (5 min), P3 low, batched (15 min; quiet hours)."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    def lower(self) -> Priority:
        order = list(Priority)
        return order[min(order.index(self) + 1, len(order) - 1)]


class IncidentState(StrEnum):
    """The lifecycle (Netflix Dispatch / seed S2-27): see :data:`TRANSITIONS`."""

    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    INCONCLUSIVE = "inconclusive"
    LEARNED = "learned"


S = IncidentState
#: Legal transitions. Forward along DETECTED → ACKNOWLEDGED → INVESTIGATING → MITIGATED → RESOLVED →
#: LEARNED (steps after acknowledgement may be skipped), INCONCLUSIVE from any open state then LEARNED,
#: and two ways back: MITIGATED → INVESTIGATING (it came back) and RESOLVED → INVESTIGATING (reopened).
#: An unacknowledged incident may resolve (its alerts all resolved, or a person closes it).
TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    S.DETECTED: frozenset({S.ACKNOWLEDGED, S.RESOLVED, S.INCONCLUSIVE}),
    S.ACKNOWLEDGED: frozenset({S.INVESTIGATING, S.MITIGATED, S.RESOLVED, S.INCONCLUSIVE}),
    S.INVESTIGATING: frozenset({S.MITIGATED, S.RESOLVED, S.INCONCLUSIVE}),
    S.MITIGATED: frozenset({S.RESOLVED, S.INVESTIGATING, S.INCONCLUSIVE}),
    S.RESOLVED: frozenset({S.LEARNED, S.INVESTIGATING}),
    S.INCONCLUSIVE: frozenset({S.LEARNED}),
    S.LEARNED: frozenset(),
}
#: States in which an incident still takes new alerts.
OPEN_STATES = frozenset({S.DETECTED, S.ACKNOWLEDGED, S.INVESTIGATING, S.MITIGATED})


def parse_state(value: str) -> IncidentState:
    try:
        return IncidentState(value.strip().lower())
    except ValueError:
        raise InputError(f"state {value!r}: use one of {', '.join(IncidentState)}") from None


@dataclass(frozen=True)
class ServiceInfo:
    """One service of the graph: what it depends on, who owns it, its runbooks."""

    name: str
    depends_on: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    runbooks: tuple[str, ...] = ()
    #: SLO: objective (e.g. 0.999) and the metric series name holding the service's error ratio.
    slo_objective: float | None = None
    slo_metric: str | None = None


@dataclass(frozen=True)
class OpenIncident:
    """What correlation needs to know of an open incident."""

    id: int
    services: frozenset[str]
    names: frozenset[str]
    last_alert_at: datetime
