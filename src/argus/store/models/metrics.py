"""Metric series (ingested from files or derived from what Argus stores) and their points."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class MetricSeries(ProjectOwned, Base):
    """One series: a name and a label set (``key`` is ``name{k="v",...}``, labels sorted, unique per project).

    ``source`` is ``ingested`` (a file) or ``derived`` (computed from stored CI data); ``scored_until`` is
    the time of the last point the anomaly analysis scored (``NULL``: never scored).
    """

    __tablename__ = "metric_series"
    __table_args__ = (UniqueConstraint("project_id", "key", name="uq_metric_series_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(255))
    labels: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scored_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scored_points: Mapped[int] = mapped_column(Integer, default=0)


class MetricPoint(ProjectOwned, Base):
    """One value of one series at one time (a time appears once per series: re-ingesting is idempotent)."""

    __tablename__ = "metric_point"
    __table_args__ = (
        UniqueConstraint("series_id", "ts", name="uq_metric_point_series_ts"),
        Index("ix_metric_point_project_series", "project_id", "series_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    series_id: Mapped[int] = mapped_column(ForeignKey("metric_series.id", ondelete="CASCADE"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
