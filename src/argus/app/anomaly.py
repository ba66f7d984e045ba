"""Metric-series and anomaly use cases: ingest a metric file, analyse stored series, list and show findings.

Each takes the :class:`~argus.app.runtime.Runtime` and a typed request and returns a frozen read model
(:mod:`argus.analysis.anomaly.readmodels`), in one project unit of work.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from argus.app.paging import Page, PageRequest, as_utc, decode_cursor, paginate, scan
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.anomaly.readmodels import AnalysisSummary, AnomalyList, IngestSummary, SeriesView
    from argus.analysis.insights.readmodels import InsightView
    from argus.app.runtime import ProjectScope, Runtime
    from argus.ingest.metrics.parser import ParsedSeries
    from argus.ingest.metrics.prometheus import RangeQuery

__all__ = [
    "AnalyzeRequest",
    "AnomaliesPage",
    "IngestRequest",
    "ListRequest",
    "PullRequest",
    "PushRequest",
    "SeriesPage",
    "SeriesPoints",
    "ShowRequest",
    "analyze",
    "ingest_metrics",
    "list_anomalies",
    "page_anomalies",
    "page_series",
    "pull_prometheus",
    "push_points",
    "scoring_key",
    "series_points",
    "show_anomaly",
]

#: Most points one push may carry.
MAX_PUSH_POINTS = 10_000


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


@dataclass(frozen=True)
class AnomaliesPage(PageRequest):
    """Anomaly and forecast insights created within [since, until], newest first (current ones unless
    ``include_superseded``), of one series (its name or full key) or all."""

    series: str | None = None
    kind: str | None = None  # anomaly | forecast_breach; None: both
    include_superseded: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind is not None and self.kind not in ("anomaly", "forecast_breach"):
            raise InputError(f"kind {self.kind!r}: use anomaly or forecast_breach")


@dataclass(frozen=True)
class SeriesPage(PageRequest):
    """Stored metric series by key (created within [since, until]), of one source or all."""

    source: str | None = None


def page_anomalies(runtime: Runtime, req: AnomaliesPage) -> Page[InsightView]:
    """A page of anomaly and forecast insights, newest first (by id), with claims and evidence (the
    rows of ``argus anomalies list``)."""
    from sqlalchemy import select

    from argus.analysis.anomaly.queries import ANOMALY_KINDS
    from argus.app.pages import _insight_views
    from argus.store.models import InsightRow

    order = [(InsightRow.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].id,)

    def work(scope: ProjectScope) -> Page[InsightView]:
        stmt = select(InsightRow).where(InsightRow.kind.in_([req.kind] if req.kind else ANOMALY_KINDS))
        if req.series is not None:
            stmt = stmt.where((InsightRow.subject_id == req.series)
                              | InsightRow.subject_id.startswith(req.series + "{", autoescape=True))
        if not req.include_superseded:
            stmt = stmt.where(InsightRow.superseded_by.is_(None))
        if req.since is not None:
            stmt = stmt.where(InsightRow.created_at >= req.since)
        if req.until is not None:
            stmt = stmt.where(InsightRow.created_at <= req.until)
        key = decode_cursor("anomalies", req.cursor, (int,)) if req.cursor else None
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1)
        page = paginate("anomalies", rows, req.limit, key_of, lambda row: row[0])
        return Page(tuple(_insight_views(scope, list(page.items))), page.next_cursor)

    return runtime.in_project(req.project, work)


def page_series(runtime: Runtime, req: SeriesPage) -> Page[SeriesView]:
    """A page of the project's stored series by key, each with its point count and time span."""
    from sqlalchemy import func, select

    from argus.analysis.anomaly.readmodels import SeriesView
    from argus.store.models import MetricPoint, MetricSeries

    order = [(MetricSeries.key, False), (MetricSeries.id, False)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].key, row[0].id)

    def view(row: Any) -> SeriesView:
        s, n, first, last = row
        return SeriesView(s.key, s.name, dict(s.labels or {}), s.source, int(n or 0), first, last, s.scored_until,
                          int(s.scored_points or 0))

    def work(scope: ProjectScope) -> Page[SeriesView]:
        points = (select(MetricPoint.series_id, func.count().label("n"), func.min(MetricPoint.ts).label("first"),
                         func.max(MetricPoint.ts).label("last")).group_by(MetricPoint.series_id).subquery())
        stmt = (select(MetricSeries, points.c.n, points.c.first, points.c.last)
                .outerjoin(points, points.c.series_id == MetricSeries.id))
        if req.source is not None:
            stmt = stmt.where(MetricSeries.source == req.source)
        if req.since is not None:
            stmt = stmt.where(MetricSeries.created_at >= req.since)
        if req.until is not None:
            stmt = stmt.where(MetricSeries.created_at <= req.until)
        key = decode_cursor("series", req.cursor, (str, int)) if req.cursor else None
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1)
        return paginate("series", rows, req.limit, key_of, view)

    return runtime.in_project(req.project, work)


@dataclass(frozen=True)
class SeriesPoints:
    """A stored series' newest points (oldest first), for a chart."""

    key: str
    name: str
    source: str
    points: tuple[tuple[datetime, float], ...]
    total: int


def _utc(t: datetime) -> datetime:
    from datetime import UTC

    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def series_points(runtime: Runtime, project: str | None, key: str, limit: int = 500) -> SeriesPoints:
    """The newest ``limit`` points of the series ``key`` (unknown series: not found, 5)."""
    from sqlalchemy import func, select

    from argus.core.errors import NotFoundError
    from argus.store.models import MetricPoint, MetricSeries

    if not 1 <= limit <= 10_000:
        raise InputError(f"limit {limit}: use 1 to 10000")

    def work(scope: ProjectScope) -> SeriesPoints:
        s = scope.session.scalar(select(MetricSeries).where(MetricSeries.key == key))
        if s is None:
            raise NotFoundError(f"no metric series {key[:200]!r}")
        rows = scope.session.execute(select(MetricPoint.ts, MetricPoint.value).where(MetricPoint.series_id == s.id)
                                     .order_by(MetricPoint.ts.desc()).limit(limit)).all()
        total = int(scope.session.scalar(select(func.count()).select_from(MetricPoint)
                                         .where(MetricPoint.series_id == s.id)) or 0)
        return SeriesPoints(s.key, s.name, s.source, tuple((_utc(r[0]), float(r[1])) for r in reversed(rows)),
                            total)

    return runtime.in_project(project, work)


@dataclass(frozen=True)
class PushRequest:
    """Points of one series pushed by a client (the API): ``(time, value)`` pairs, any order; a time
    given twice keeps its last value; a time the series holds already is skipped."""

    name: str
    points: tuple[tuple[datetime, float], ...]
    labels: tuple[tuple[str, str], ...] = ()
    project: str | None = None
    source: str = "pushed"

    def parsed(self) -> ParsedSeries:
        from argus.core.values import bounded_timestamp
        from argus.ingest.metrics.parser import ParsedSeries, check_name

        check_name(self.name)
        if not self.points:
            raise InputError("points: give at least one point")
        if len(self.points) > MAX_PUSH_POINTS:
            raise InputError(f"points: {len(self.points)} points, at most {MAX_PUSH_POINTS} per push")
        for k, v in self.labels:
            if not k or len(k) > 100 or len(v) > 500 or "\x00" in k + v or not (k[0].isalpha() or k[0] == "_") \
                    or not all(c.isalnum() or c == "_" for c in k):
                raise InputError(f"labels: {k[:40]!r}={v[:40]!r} is not a label (name: letters, digits, '_'; "
                                 "value: at most 500 characters)")
        last: dict[datetime, float] = {}
        for i, (t, value) in enumerate(self.points):
            if not math.isfinite(value):
                raise InputError(f"points[{i}]: value {value!r} is not a finite number")
            at = as_utc(t)
            assert at is not None
            if bounded_timestamp(at) is None:
                raise InputError(f"points[{i}]: timestamp {t.isoformat()} is out of range")
            last[at.replace(tzinfo=None)] = float(value)
        times = tuple(sorted(last))
        return ParsedSeries(self.name, dict(self.labels), times, tuple(last[t] for t in times))


def _store(runtime: Runtime, project: str | None, source: str, parsed: list[ParsedSeries], kind: str,
           org: str | None = None) -> IngestSummary:
    from argus.analysis.anomaly.readmodels import IngestSummary
    from argus.ingest.metrics.service import store_series

    def work(scope: ProjectScope) -> IngestSummary:
        stored = store_series(scope.session, parsed, kind)
        return IngestSummary(source, tuple((s.key, s.points, s.new_points) for s in stored))

    return runtime.in_project(project, work, create=True, org=org)


def push_points(runtime: Runtime, request: PushRequest) -> IngestSummary:
    """Store pushed points (new ones only; the project must exist: unknown project 5)."""
    from argus.analysis.anomaly.readmodels import IngestSummary
    from argus.ingest.metrics.service import store_series

    def work(scope: ProjectScope) -> IngestSummary:
        parsed = request.parsed()  # once the project is found (an unknown project is 404 whatever the points)
        stored = store_series(scope.session, [parsed], request.source)
        return IngestSummary("push", tuple((s.key, s.points, s.new_points) for s in stored))

    return runtime.in_project(request.project, work)


@dataclass(frozen=True)
class PullRequest:
    """A Prometheus ``query_range`` pull stored as series ``name`` (one per label set of the result)."""

    query: RangeQuery
    name: str
    project: str | None = None


def pull_prometheus(runtime: Runtime, request: PullRequest) -> IngestSummary:
    """Query Prometheus (no transaction open while it answers), then store the new points; the project
    is created when new. Errors: unreachable or failing server (1), a query it refuses (6)."""
    from argus.ingest.metrics.parser import check_name
    from argus.ingest.metrics.prometheus import query_range

    check_name(request.name)
    parsed = query_range(request.query, request.name)
    return _store(runtime, request.project, request.query.describe(), parsed, "prometheus")


def scoring_key(summary: IngestSummary) -> str | None:
    """The idempotency key of the scoring job after new points arrived (None: nothing new, no job): the
    same points again give the same key, so a repeated push or pull records no second job."""
    new = [(k, n, fresh) for k, n, fresh in summary.series if fresh > 0]
    if not new:
        return None
    raw = repr(sorted(new)) + summary.source
    return "metrics:" + hashlib.sha256(raw.encode()).hexdigest()[:40]
