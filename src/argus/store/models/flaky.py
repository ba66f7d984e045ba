"""Lifecycle state of flaky tests (active → quarantined → fixed), one row per tracked test."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, UTCDateTime
from argus.store.session import ProjectOwned


class FlakyTestState(ProjectOwned, Base):
    """Where a flaky test stands; ``manual`` marks a state set by a person (kept until evidence moves it)."""

    __tablename__ = "flaky_test_state"
    __table_args__ = (
        UniqueConstraint("project_id", "test_case_id"),
        Index("ix_flaky_test_state_project_state", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    test_case_id: Mapped[int] = mapped_column(ForeignKey("test_case.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20))
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    category: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str | None] = mapped_column(String(40))
    insight_id: Mapped[int | None] = mapped_column(ForeignKey("insight.id", ondelete="SET NULL"))
    consecutive_passes: Mapped[int] = mapped_column(Integer, default=0)
    wasted_s: Mapped[float] = mapped_column(Float, default=0.0)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
