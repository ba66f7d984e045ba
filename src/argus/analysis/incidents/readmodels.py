"""What the front doors render of alerts and incidents (frozen; built by :mod:`service` and :mod:`queries`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class IngestOutcome:
    """One payload (or file) taken in: what became of its events."""

    source: str
    events: int
    new_alerts: int
    repeats: int
    resolved: int
    replays: int
    incidents_opened: int
    incidents_joined: int
    incidents_resolved: int
    deployments: int
    alert_ids: tuple[int, ...] = ()
    incident_ids: tuple[int, ...] = ()
    ignored: str | None = None


@dataclass(frozen=True)
class AlertView:
    id: int
    fingerprint: str
    name: str
    service: str | None
    environment: str | None
    severity: str
    priority: str
    status: str
    count: int
    sources: dict[str, Any]
    starts_at: datetime
    ends_at: datetime | None
    last_seen_at: datetime
    incident_id: int | None
    summary: str = ""
    links: tuple[str, ...] = ()
    #: Why the alert is in its incident (rule, detail): the grouping's evidence.
    correlation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentView:
    """One row of ``argus incidents list``."""

    id: int
    title: str
    state: str
    severity: str
    priority: str
    service: str | None
    services: tuple[str, ...]
    alerts: int
    events: int
    opened_at: datetime
    last_alert_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    merged_into: int | None = None


@dataclass(frozen=True)
class TransitionView:
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class ChangeCandidate:
    """A deployment or commit shortly before the incident opened (a candidate cause, not a verdict)."""

    kind: str  # deployment | commit
    ref: str  # deployment row id, or the commit sha
    at: datetime
    gap_s: float
    service: str | None
    detail: str


@dataclass(frozen=True)
class NotificationView:
    id: int
    channel: str
    kind: str
    status: str
    attempts: int
    next_at: datetime
    sent_at: datetime | None
    response_status: int | None
    last_error: str | None


@dataclass(frozen=True)
class IncidentDetail:
    incident: IncidentView
    alerts: tuple[AlertView, ...]
    transitions: tuple[TransitionView, ...]
    changes: tuple[ChangeCandidate, ...]
    notifications: tuple[NotificationView, ...]
    #: Seconds in each lifecycle state so far.
    time_in_state: dict[str, float]
    owners: tuple[str, ...] = ()
    runbooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionDone:
    incident_id: int
    from_state: str
    to_state: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class RegroupDone:
    """A merge (``moved`` alerts from ``sources`` into ``target``) or a split (into a new ``target``)."""

    target: int
    sources: tuple[int, ...]
    moved: tuple[int, ...]


@dataclass(frozen=True)
class MetricsRow:
    """MTTA, MTTR and mean time in each state of the incidents of one service and severity (seconds)."""

    service: str
    severity: str
    incidents: int
    acknowledged: int
    resolved: int
    mtta_s: float | None
    mttr_s: float | None
    time_in_state_s: dict[str, float]


@dataclass(frozen=True)
class ServicesLoaded:
    services: int
    edges: int


@dataclass(frozen=True)
class DeliveryRow:
    """One notification due for delivery (rendered message and where it goes)."""

    id: int
    channel: str
    kind: str
    incident_id: int
    attempts: int
    body: dict[str, Any]


@dataclass(frozen=True)
class NotifyOutcome:
    escalations: int
    sent: int
    retried: int
    failed: int
    deferred: int
