"""Metric-series and anomaly use cases: ingest a metric file, analyse stored series, list and show findings.

Each takes the :class:`~argus.app.runtime.Runtime` and a typed request and returns a frozen read model
(:mod:`argus.analysis.anomaly.readmodels`), in one project unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.anomaly.readmodels import AnalysisSummary, AnomalyList, IngestSummary
    from argus.analysis.insights.readmodels import InsightView
    from argus.app.runtime import ProjectScope, Runtime

__all__ = ["AnalyzeRequest", "IngestRequest", "ListRequest", "ShowRequest", "analyze", "ingest_metrics",
           "list_anomalies", "show_anomaly"]


@dataclass(frozen=True)
class IngestRequest:
    """A metric file's lines (``timestamp,value`` CSV or OpenMetrics text) stored as series ``name``."""

    source: str
    lines: tuple[str, ...]
    name: str
    project: str | None = None
    fmt: str = "auto"


@dataclass(frozen=True)
class AnalyzeRequest:
    project: str | None = None
    derive: bool = True


@dataclass(frozen=True)
class ListRequest:
    project: str | None = None
    series: str | None = None
    include_superseded: bool = False
    limit: int = 50

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InputError(f"--limit {self.limit}: give a whole number, 1 or more")


@dataclass(frozen=True)
class ShowRequest:
    insight_id: int
    project: str | None = None


def ingest_metrics(runtime: Runtime, request: IngestRequest) -> IngestSummary:
    """Parse the file and store its series (new points only); the project is created when new."""
    from argus.analysis.anomaly.readmodels import IngestSummary
    from argus.core.clock import utcnow
    from argus.ingest.metrics.parser import MetricFormat, parse_metrics
    from argus.ingest.metrics.service import store_series

    now = utcnow().replace(tzinfo=None, microsecond=0)
    parsed = parse_metrics(list(request.lines), request.name, request.source, now, MetricFormat(request.fmt))

    def work(scope: ProjectScope) -> IngestSummary:
        stored = store_series(scope.session, parsed)
        return IngestSummary(request.source, tuple((s.key, s.points, s.new_points) for s in stored))

    return runtime.in_project(request.project, work, create=True)


def analyze(runtime: Runtime, request: AnalyzeRequest) -> AnalysisSummary:
    """Derive series from CI data, score new points, save anomaly and forecast insights (unknown project: 5)."""
    from argus.analysis.anomaly.service import analyze as run

    def work(scope: ProjectScope) -> AnalysisSummary:
        return run(scope.session, scope.settings.anomaly, derive_series=request.derive)

    return runtime.in_project(request.project, work)


def list_anomalies(runtime: Runtime, request: ListRequest) -> AnomalyList:
    from argus.analysis.anomaly import service

    def work(scope: ProjectScope) -> AnomalyList:
        return service.list_anomalies(scope.session, series=request.series,
                                      include_superseded=request.include_superseded, limit=request.limit)

    return runtime.in_project(request.project, work)


def show_anomaly(runtime: Runtime, request: ShowRequest) -> InsightView:
    from argus.analysis.anomaly.service import get_anomaly

    def work(scope: ProjectScope) -> InsightView:
        return get_anomaly(scope.session, request.insight_id)

    return runtime.in_project(request.project, work)
