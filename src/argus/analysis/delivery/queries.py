"""Load the stored delivery rows (bound project) into the typed inputs of :mod:`algo`.

Reads select only the columns the rules use (tuples, not ORM objects), so 100k PRs load quickly.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.analysis.delivery.schemas import (
    DeploymentRow,
    Incident,
    Pipeline,
    PipelineCommit,
    PrComment,
    PrCommit,
    PullRequest,
    Task,
    WorkItem,
)
from argus.store.models import (
    Commit,
    DeliveryCommit,
    DeliveryDeployment,
    DeliveryDeploymentCommit,
    DeliveryIncident,
    DeliveryPipeline,
    DeliveryPipelineCommit,
    DeliveryPrComment,
    DeliveryPrCommit,
    DeliveryPullRequest,
    DeliveryTask,
    DeliveryWorkItem,
)


def has_deployments_csv(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(DeliveryDeployment)))


def csv_deployments(session: Session) -> list[DeploymentRow]:
    """Rows of ``deployments.csv`` with their repo and commit from ``deployment_commits.csv``."""
    d, c = DeliveryDeployment, DeliveryDeploymentCommit
    stmt = (select(d.ext_id, d.deployment_group, d.name, d.scope, c.repo, c.commit_sha, d.environment, d.result,
                   d.started_at, d.finished_at)
            .outerjoin(c, (c.deployment_id == d.ext_id) & (c.project_id == d.project_id)))
    return [DeploymentRow(r[0], r[1] or r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
            for r in session.execute(stmt)]


def pipelines(session: Session) -> list[Pipeline]:
    p = DeliveryPipeline
    return [Pipeline(*r) for r in session.execute(select(
        p.ext_id, p.name, p.scope, p.type, p.result, p.environment, p.started_at, p.finished_at, p.duration_sec))]


def tasks(session: Session) -> list[Task]:
    t = DeliveryTask
    return [Task(*r) for r in session.execute(select(t.ext_id, t.pipeline_id, t.type, t.result, t.environment))]


def pipeline_commits(session: Session) -> list[PipelineCommit]:
    c = DeliveryPipelineCommit
    return [PipelineCommit(*r) for r in session.execute(select(c.pipeline_id, c.repo, c.commit_sha))]


def pull_requests(session: Session, *, merged_only: bool = False) -> list[PullRequest]:
    p = DeliveryPullRequest
    stmt = select(p.ext_id, p.repo, p.number, p.title, p.status, p.created_at, p.merged_at, p.merge_commit_sha,
                  p.first_commit_at, p.first_review_at)
    if merged_only:
        stmt = stmt.where(p.merged_at.is_not(None))
    return [PullRequest(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]) for r in session.execute(stmt)]


def pr_commits(session: Session) -> list[PrCommit]:
    c = DeliveryPrCommit
    return [PrCommit(*r) for r in session.execute(select(c.pr_id, c.commit_sha, c.authored_at))]


def pr_comments(session: Session, pr_id: str | None = None) -> list[PrComment]:
    c = DeliveryPrComment
    stmt = select(c.pr_id, c.ext_id, c.created_at, c.by_pr_author)
    if pr_id is not None:
        stmt = stmt.where(c.pr_id == pr_id)
    return [PrComment(*r) for r in session.execute(stmt)]


def incidents(session: Session) -> list[Incident]:
    i = DeliveryIncident
    return [Incident(*r) for r in session.execute(select(
        i.ext_id, i.title, i.status, i.created_at, i.resolved_at, i.repo_or_service))]


def commit_parents(session: Session) -> dict[str, list[str]]:
    """Parents by SHA from ``commits.csv`` and from the ingested git history (``argus ingest git``)."""
    out: dict[str, list[str]] = {}
    for sha, parents in session.execute(select(Commit.sha, Commit.parents)):
        out[sha] = list(parents or [])
    for sha, text in session.execute(select(DeliveryCommit.sha, DeliveryCommit.parent_shas)):
        out[sha] = (text or "").split()
    return out


def counts(session: Session) -> dict[str, int]:
    """Stored rows per delivery table (for the ingest summary)."""
    models = (DeliveryDeployment, DeliveryDeploymentCommit, DeliveryPipeline, DeliveryTask, DeliveryPipelineCommit,
              DeliveryPullRequest, DeliveryPrCommit, DeliveryPrComment, DeliveryCommit, DeliveryIncident,
              DeliveryWorkItem)
    return {m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in models}


def work_items(session: Session) -> list[WorkItem]:
    w = DeliveryWorkItem
    return [WorkItem(*r) for r in session.execute(select(
        w.ext_id, w.type, w.title, w.status, w.epic_id, w.story_points, w.component, w.created_at, w.resolved_at))]
