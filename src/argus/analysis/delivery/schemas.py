"""Typed inputs and outputs of the delivery rules (see docs/delivery.md for each rule and its DevLake name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
PRODUCTION = "PRODUCTION"
STAGING = "STAGING"
TESTING = "TESTING"
DEPLOYMENT = "DEPLOYMENT"


@dataclass(frozen=True)
class DeploymentRow:
    """One deployment row (DevLake ``cicd_deployment_commits``): a pipeline × repo with its own result,
    environment and times. ``group`` is the deployment it belongs to (DevLake ``cicd_deployment_id``):
    ``deployment_group`` (or the row's own id when empty), or the pipeline id for derived rows."""

    id: str
    group: str
    name: str | None
    scope: str | None
    repo: str | None
    commit_sha: str | None
    environment: str | None
    result: str | None
    started_at: datetime | None
    finished_at: datetime | None
    from_pipeline: bool = False


@dataclass(frozen=True)
class Pipeline:
    id: str
    name: str | None
    scope: str | None
    type: str | None
    result: str | None
    environment: str | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_sec: float | None


@dataclass(frozen=True)
class Task:
    id: str
    pipeline_id: str
    type: str | None
    result: str | None
    environment: str | None


@dataclass(frozen=True)
class PipelineCommit:
    pipeline_id: str
    repo: str
    commit_sha: str | None


@dataclass(frozen=True)
class PullRequest:
    id: str
    repo: str | None
    number: int | None
    title: str | None
    status: str | None
    created_at: datetime | None
    merged_at: datetime | None
    merge_commit_sha: str | None
    first_commit_at: datetime | None = None
    first_review_at: datetime | None = None


@dataclass(frozen=True)
class PrCommit:
    pr_id: str
    sha: str
    authored_at: datetime | None


@dataclass(frozen=True)
class PrComment:
    pr_id: str
    id: str
    created_at: datetime | None
    by_pr_author: bool | None


@dataclass(frozen=True)
class Incident:
    id: str
    title: str | None
    status: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    repo_or_service: str | None = None


@dataclass(frozen=True)
class PrMetrics:
    """DevLake ``project_pr_metrics``: whole minutes (rounded up) of each stage of one merged PR."""

    pr_id: str
    coding_time_min: int | None
    pickup_time_min: int | None
    review_time_min: int | None
    deploy_time_min: int | None
    cycle_time_min: int
    deployment_id: str | None
    first_commit_at: datetime | None
    first_review_at: datetime | None
    deployment_finished_at: datetime | None


@dataclass(frozen=True)
class IncidentLink:
    incident_id: str
    deployment_id: str  # the deployment (group, DevLake cicd_deployment_id)
    row_id: str  # the deployment row that finished last before the incident
    finished_at: datetime


@dataclass(frozen=True)
class Lineage:
    """Everything the rules derive, before any aggregation."""

    deployments: tuple[DeploymentRow, ...]
    previous: dict[str, str | None]
    pull_requests: tuple[PrMetrics, ...]
    incidents: dict[str, IncidentLink | None]
    shipped_by_diff: int  # commits in all previous→current production diffs (for evidence)


class Bucket(StrEnum):
    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Benchmark:
    """The bucket of one metric under one DORA report, and the comparison that decided it."""

    report: str  # "2021" | "2023"
    bucket: Bucket | None
    rule: str


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    value: float | None
    unit: str
    benchmarks: tuple[Benchmark, ...]
    inputs: dict[str, float | int | str | None]


@dataclass(frozen=True)
class PeriodMetrics:
    first_day: date
    last_day: date
    metrics: tuple[Metric, ...]

    def metric(self, key: str) -> Metric:
        return next(m for m in self.metrics if m.key == key)


@dataclass(frozen=True)
class DeliveryParams:
    """Parameters of the delivery rules (from ``DeliverySettings``; defaults documented there)."""

    timezone: str = "UTC"
    incident_max_gap_hours: float | None = None
    default_period_days: int = 180
    min_deployments_for_confidence: int = 20


@dataclass(frozen=True)
class WorkItem:
    id: str
    type: str | None
    title: str | None
    status: str | None
    epic_id: str | None
    story_points: float | None
    component: str | None
    created_at: datetime | None
    resolved_at: datetime | None
