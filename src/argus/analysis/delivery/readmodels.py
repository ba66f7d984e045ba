"""Frozen read models the front doors render (CLI text / JSON, API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class IngestSummary:
    directory: str
    files: tuple[tuple[str, int], ...]  # (file, rows read)
    stored: dict[str, int]  # rows per table after the ingest


@dataclass(frozen=True)
class BenchmarkView:
    report: str
    bucket: str | None
    rule: str


@dataclass(frozen=True)
class MetricView:
    key: str
    name: str
    value: float | None
    unit: str
    benchmarks: tuple[BenchmarkView, ...]
    inputs: dict[str, Any]


@dataclass(frozen=True)
class MonthView:
    month: str  # YYYY-MM
    first_day: date
    last_day: date
    metrics: tuple[MetricView, ...]


@dataclass(frozen=True)
class Coverage:
    """How much of the data the rules could connect (the report's evidence strength depends on it)."""

    deployment_source: str  # "deployments.csv" | "ci_pipelines.csv" | "none"
    deployment_rows: int
    production_deployments: int
    merged_prs: int
    merged_prs_deployed: int
    incidents: int
    incidents_linked: int
    commits_in_graph: int


@dataclass(frozen=True)
class DoraReport:
    schema: str
    project: str
    first_day: date
    last_day: date
    timezone: str
    metrics: tuple[MetricView, ...]
    months: tuple[MonthView, ...]
    coverage: Coverage
    insight_id: int | None


@dataclass(frozen=True)
class PrRow:
    pr_id: str
    repo: str | None
    number: int | None
    title: str | None
    merged_at: datetime | None
    coding_time_min: int | None
    pickup_time_min: int | None
    review_time_min: int | None
    deploy_time_min: int | None
    cycle_time_min: int
    deployment_id: str | None


@dataclass(frozen=True)
class PrList:
    items: tuple[PrRow, ...]
    merged_total: int


@dataclass(frozen=True)
class PrDetail:
    pr: PrRow
    created_at: datetime | None
    first_commit_at: datetime | None
    first_review_at: datetime | None
    merge_commit_sha: str | None
    deployment: dict[str, Any] | None  # the shipping deployment row and its previous one
    explanation: tuple[str, ...]
