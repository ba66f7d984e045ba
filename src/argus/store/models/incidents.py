"""Alerts (deduplicated), their receipts, incidents, lifecycle transitions, the service graph and
notifications (see docs/incidents.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class Alert(ProjectOwned, Base):
    """One alert episode: every event with its fingerprint inside the dedup window is counted here.

    ``sources`` counts the events per source (``{"alertmanager": 3, "grafana": 1}``); ``correlation``
    is the reason the alert joined its incident (the grouping's evidence).
    """

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_project_fingerprint", "project_id", "fingerprint", "last_seen_at"),
        Index("ix_alert_project_incident", "project_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    sources: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    name: Mapped[str] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    links: Mapped[list[str]] = mapped_column(Json, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=1)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))
    correlation: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class AlertReceipt(ProjectOwned, Base):
    """One received alert event (which source, when, which status); ``delivery_key`` (hash of the
    source's delivery id) makes a replayed delivery count once."""

    __tablename__ = "alert_receipt"
    __table_args__ = (UniqueConstraint("project_id", "delivery_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    delivery_key: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(ProjectOwned, Base):
    """Alerts that belong together, and where their handling stands (``state``: the lifecycle)."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_project_state", "project_id", "state", "last_alert_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    service: Mapped[str | None] = mapped_column(String(200))
    services: Mapped[list[str]] = mapped_column(Json, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_alert_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentTransition(ProjectOwned, Base):
    """One lifecycle step of an incident: from, to, who, when, why."""

    __tablename__ = "incident_transition"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class ServiceNode(ProjectOwned, Base):
    """A service of the project's service graph (``services.yaml``): dependencies, owners, runbooks."""

    __tablename__ = "service_node"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    depends_on: Mapped[list[str]] = mapped_column(Json, default=list)
    owners: Mapped[list[str]] = mapped_column(Json, default=list)
    runbooks: Mapped[list[str]] = mapped_column(Json, default=list)
    #: the service's SLO: ``{objective: 0.999, metric: <metric series name of its error ratio>}`` (or empty)
    slo: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class IncidentNotification(ProjectOwned, Base):
    """One message to one channel about one incident (``kind``: opened, escalated, resolved), its
    delivery state (pending, deferred, sent, failed) and attempts."""

    __tablename__ = "incident_notification"
    __table_args__ = (
        UniqueConstraint("project_id", "incident_id", "channel", "kind"),
        Index("ix_incident_notification_due", "project_id", "status", "next_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[list[Any]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
