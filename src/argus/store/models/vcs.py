"""Git history: commits, files changed, just-in-time features, fix→inducing links, deployments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class Commit(ProjectOwned, Base):
    """One commit; ``present`` turns false when a force-push removed it from the ingested branch.

    ``szz_done_at`` is set on a fix once SZZ has considered it (blamed, or skipped as tangled or
    without source lines): ``argus ingest szz`` blames the fixes where it is still null.
    ``szz_over_blamed`` marks a commit blamed by more than ``git.szz_max_fixes_per_inducing`` fixes:
    its links were removed and later SZZ batches link nothing to it.
    """

    __tablename__ = "commit"
    __table_args__ = (
        UniqueConstraint("project_id", "sha"),
        Index("ix_commit_project_time", "project_id", "committer_time"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    sha: Mapped[str] = mapped_column(String(64))
    tree_sha: Mapped[str | None] = mapped_column(String(64))
    parents: Mapped[list[str]] = mapped_column(Json, default=list)
    author_name: Mapped[str] = mapped_column(Text)
    author_email: Mapped[str] = mapped_column(Text)
    author_time: Mapped[datetime] = mapped_column(UTCDateTime)
    author_tz_minutes: Mapped[int] = mapped_column(Integer, default=0)
    committer_name: Mapped[str] = mapped_column(Text)
    committer_email: Mapped[str] = mapped_column(Text)
    committer_time: Mapped[datetime] = mapped_column(UTCDateTime)
    committer_tz_minutes: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text)
    is_merge: Mapped[bool] = mapped_column(Boolean, default=False)
    is_fix: Mapped[bool] = mapped_column(Boolean, default=False)
    fix_source: Mapped[str | None] = mapped_column(String(10))  # tracker | message | none (argus.ingest.issues)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    branch: Mapped[str | None] = mapped_column(String(255))
    szz_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    szz_over_blamed: Mapped[bool | None] = mapped_column(Boolean)  # null = not over-blamed (bulk COPY omits it)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommitFile(ProjectOwned, Base):
    """A file changed by a commit (against its first parent)."""

    __tablename__ = "commit_file"
    __table_args__ = (Index("ix_commit_file_project_path", "project_id", "path"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    commit_id: Mapped[int] = mapped_column(ForeignKey("commit.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    old_path: Mapped[str | None] = mapped_column(Text)
    change_type: Mapped[str] = mapped_column(String(1))
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_deleted: Mapped[int] = mapped_column(Integer, default=0)
    is_binary: Mapped[bool] = mapped_column(Boolean, default=False)


class CommitFeatures(ProjectOwned, Base):
    """Kamei et al. (2013) just-in-time change features of one commit (recomputable)."""

    __tablename__ = "commit_features"

    commit_id: Mapped[int] = mapped_column(ForeignKey("commit.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    ns: Mapped[float] = mapped_column(Float)
    nd: Mapped[float] = mapped_column(Float)
    nf: Mapped[float] = mapped_column(Float)
    entropy: Mapped[float] = mapped_column(Float)
    la: Mapped[float] = mapped_column(Float)
    ld: Mapped[float] = mapped_column(Float)
    lt: Mapped[float] = mapped_column(Float)
    fix: Mapped[float] = mapped_column(Float)
    ndev: Mapped[float] = mapped_column(Float)
    age: Mapped[float] = mapped_column(Float)
    nuc: Mapped[float] = mapped_column(Float)
    exp: Mapped[float] = mapped_column(Float)
    rexp: Mapped[float] = mapped_column(Float)
    sexp: Mapped[float] = mapped_column(Float)
    version: Mapped[str] = mapped_column(String(20), default="1")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BugLink(ProjectOwned, Base):
    """SZZ link: ``fix_commit`` changed lines last touched by ``inducing_commit`` (evidence kept)."""

    __tablename__ = "bug_link"
    __table_args__ = (UniqueConstraint("fix_commit_id", "inducing_commit_id", "path"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    fix_commit_id: Mapped[int] = mapped_column(ForeignKey("commit.id", ondelete="CASCADE"), index=True)
    inducing_commit_id: Mapped[int] = mapped_column(ForeignKey("commit.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    lines: Mapped[list[int]] = mapped_column(Json, default=list)
    method: Mapped[str] = mapped_column(String(30), default="szz-blame")


class Deployment(ProjectOwned, Base):
    """A deployment of a commit to an environment (for DORA, risk and incident analyses)."""

    __tablename__ = "deployment"
    __table_args__ = (Index("ix_deployment_project_env_started", "project_id", "environment", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(100))
    service: Mapped[str | None] = mapped_column(String(200))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="success")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(String(255))
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class GitIngestState(ProjectOwned, Base):
    """Where the last ``argus ingest git`` of a branch stopped, and the feature state to resume from.

    ``feature_state`` is the serialised :class:`argus.ingest.git.features.FeatureState` (zlib JSON):
    per live file its last change time, change count and developers; per author change counts per
    year and subsystem. Its size follows the number of files and authors, not history length.
    """

    __tablename__ = "git_ingest_state"
    __table_args__ = (UniqueConstraint("project_id", "branch"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    branch: Mapped[str] = mapped_column(String(255))
    repo_path: Mapped[str] = mapped_column(Text)
    tip_sha: Mapped[str] = mapped_column(String(64))
    feature_version: Mapped[str] = mapped_column(String(20))
    feature_state: Mapped[bytes] = mapped_column(LargeBinary)
    commits: Mapped[int] = mapped_column(Integer, default=0)
    shallow: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
