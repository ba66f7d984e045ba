"""Question → SQL pairs a language model answered successfully, remembered per project and offered
to the model as examples later (``argus ask``, docs/query.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, UTCDateTime
from argus.store.session import ProjectOwned


class QueryExample(ProjectOwned, Base):
    """One remembered pair; ``feedback`` is good | bad | null (a bad pair is never offered again)."""

    __tablename__ = "query_example"
    __table_args__ = (Index("ix_query_example_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    sql: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="model")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    feedback: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
