"""Issue-tracker data (Jira, GitHub, GitLab) and the commit ↔ issue links found in commit messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class Issue(ProjectOwned, Base):
    """One tracker issue; ``key`` is ``ABC-123`` (Jira) or ``#123`` (GitHub, GitLab).

    ``is_bug`` is decided at ingestion by the configured rule (``issues.bug_types`` /
    ``issues.bug_labels``) and recomputed on every ingest of the same issue.
    """

    __tablename__ = "issue"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    tracker: Mapped[str] = mapped_column(String(20))  # jira | github | gitlab
    issue_type: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str | None] = mapped_column(String(100))
    labels: Mapped[list[str]] = mapped_column(Json, default=list)
    is_bug: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommitIssueLink(ProjectOwned, Base):
    """A commit references an issue key; ``source`` says where: ``closing-keyword`` (``Fixes #12``),
    ``message-key`` (``ABC-123``, ``#12``, ``GH-12`` anywhere in the message) or ``branch-name`` (the
    merged branch of a merge commit, ``feature/ABC-123-x``). The issue need not be stored (yet):
    links are kept by key, so issues and history can be ingested in either order."""

    __tablename__ = "commit_issue_link"
    __table_args__ = (
        UniqueConstraint("commit_id", "issue_key"),
        Index("ix_commit_issue_link_project_key", "project_id", "issue_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    commit_id: Mapped[int] = mapped_column(ForeignKey("commit.id", ondelete="CASCADE"), index=True)
    issue_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
