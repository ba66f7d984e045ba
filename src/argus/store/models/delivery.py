"""Delivery data for DORA metrics (``argus ingest delivery``): deployments, CI pipelines, pull requests,
commit graph and incidents, each keyed by the id it has in its source (re-ingesting updates by that id).

Column names follow the CSV headers documented in docs/delivery.md; enumerated values (environment,
result, status, type) are stored upper-case, timestamps as aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.store.base import Base, BigId, UTCDateTime
from argus.store.session import ProjectOwned

_ID = 255


class DeliveryDeployment(ProjectOwned, Base):
    """One deployment row (``deployments.csv``): a pipeline × repo with its own result and times."""

    __tablename__ = "delivery_deployment"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    name: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str | None] = mapped_column(String(50))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[str | None] = mapped_column(String(_ID))
    deployment_group: Mapped[str | None] = mapped_column(String(_ID))


class DeliveryDeploymentCommit(ProjectOwned, Base):
    """The repo and commit a deployment row deployed (``deployment_commits.csv``)."""

    __tablename__ = "delivery_deployment_commit"
    __table_args__ = (UniqueConstraint("project_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(_ID))
    repo: Mapped[str | None] = mapped_column(String(_ID))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    previous_commit_sha: Mapped[str | None] = mapped_column(String(64))


class DeliveryPipeline(ProjectOwned, Base):
    """One CI pipeline run (``ci_pipelines.csv``); deployments are derived from these when no
    ``deployments.csv`` was given."""

    __tablename__ = "delivery_pipeline"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    name: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(String(_ID))
    type: Mapped[str | None] = mapped_column(String(50))
    result: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(50))
    environment: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_sec: Mapped[float | None] = mapped_column(Float)


class DeliveryTask(ProjectOwned, Base):
    """One task (job) of a CI pipeline (``ci_tasks.csv``)."""

    __tablename__ = "delivery_task"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    pipeline_id: Mapped[str] = mapped_column(String(_ID), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(50))
    result: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(50))
    environment: Mapped[str | None] = mapped_column(String(100))


class DeliveryPipelineCommit(ProjectOwned, Base):
    """A repo and commit a CI pipeline ran on (``ci_pipeline_commits.csv``)."""

    __tablename__ = "delivery_pipeline_commit"
    __table_args__ = (UniqueConstraint("project_id", "pipeline_id", "repo"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    pipeline_id: Mapped[str] = mapped_column(String(_ID))
    repo: Mapped[str] = mapped_column(String(_ID))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    branch: Mapped[str | None] = mapped_column(String(_ID))


class DeliveryPullRequest(ProjectOwned, Base):
    """One pull / merge request (``pull_requests.csv``)."""

    __tablename__ = "delivery_pull_request"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    repo: Mapped[str | None] = mapped_column(String(_ID))
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)  # the description (issue keys: commit ↔ issue links)
    status: Mapped[str | None] = mapped_column(String(50))
    base_branch: Mapped[str | None] = mapped_column(String(_ID))
    head_branch: Mapped[str | None] = mapped_column(String(_ID))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merge_commit_sha: Mapped[str | None] = mapped_column(String(64))
    first_commit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryPrCommit(ProjectOwned, Base):
    """A commit of a pull request (``pr_commits.csv``)."""

    __tablename__ = "delivery_pr_commit"
    __table_args__ = (UniqueConstraint("project_id", "pr_id", "commit_sha"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    pr_id: Mapped[str] = mapped_column(String(_ID))
    commit_sha: Mapped[str] = mapped_column(String(64))
    authored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryPrComment(ProjectOwned, Base):
    """A comment or review on a pull request (``pr_comments.csv``)."""

    __tablename__ = "delivery_pr_comment"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    pr_id: Mapped[str] = mapped_column(String(_ID), index=True)
    account_id: Mapped[str | None] = mapped_column(String(_ID))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    by_pr_author: Mapped[bool | None] = mapped_column(Boolean)


class DeliveryCommit(ProjectOwned, Base):
    """A commit of the history used for ancestry (``commits.csv``); ``parent_shas`` space-separated."""

    __tablename__ = "delivery_commit"
    __table_args__ = (UniqueConstraint("project_id", "sha"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    repo: Mapped[str | None] = mapped_column(String(_ID))
    sha: Mapped[str] = mapped_column(String(64))
    parent_shas: Mapped[str | None] = mapped_column(Text)
    authored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryIncident(ProjectOwned, Base):
    """A production incident (``incidents.csv``)."""

    __tablename__ = "delivery_incident"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repo_or_service: Mapped[str | None] = mapped_column(String(_ID))


class DeliveryWorkItem(ProjectOwned, Base):
    """A tracker work item (``work_items.csv``, or the issues of ``argus ingest issues`` / ``argus sync
    jira|github|gitlab`` through :mod:`argus.ingest.issues.workitems`): story points and
    the epic it belongs to, for the story-point estimator and the epic forecaster."""

    __tablename__ = "delivery_work_item"
    __table_args__ = (UniqueConstraint("project_id", "ext_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(String(_ID))
    type: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(50))
    epic_id: Mapped[str | None] = mapped_column(String(_ID))
    story_points: Mapped[float | None] = mapped_column(Float)
    component: Mapped[str | None] = mapped_column(String(_ID))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sprint: Mapped[str | None] = mapped_column(String(200))  # Jira sprint (trackers only; not in work_items.csv)


class DeliverySyncState(ProjectOwned, Base):
    """Where the last ``argus sync github`` of a repo stopped (incremental sync cursors)."""

    __tablename__ = "delivery_sync_state"
    __table_args__ = (UniqueConstraint("project_id", "source", "repo"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    repo: Mapped[str] = mapped_column(String(_ID))
    pulls_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commits_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issues_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
