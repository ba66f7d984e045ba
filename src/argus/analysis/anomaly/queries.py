"""Read-only SQL for stored series: their points, and the series Argus derives from its CI data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.analysis.anomaly.schemas import Series
from argus.core.enums import InsightKind
from argus.store.models import (
    CoverageReport,
    InsightRow,
    MetricPoint,
    MetricSeries,
    TestCase,
    TestResult,
    TestRun,
)


@dataclass(frozen=True)
class DerivedSeries:
    """Points of a series computed from stored CI data (one per run, at the run's start)."""

    name: str
    labels: dict[str, str]
    times: tuple[datetime, ...]
    values: tuple[float, ...]


def all_series(session: Session) -> list[MetricSeries]:
    return list(session.scalars(select(MetricSeries).order_by(MetricSeries.key)))


def first_point(session: Session, series_id: int) -> datetime | None:
    return session.scalar(select(func.min(MetricPoint.ts)).where(MetricPoint.series_id == series_id))


def count_points(session: Session, series_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(MetricPoint).where(
        MetricPoint.series_id == series_id)) or 0)


def _as_series(rows: Sequence[tuple[datetime, float]]) -> Series:
    ts = np.array([np.datetime64(t.replace(tzinfo=None), "s") for t, _ in rows], dtype="datetime64[s]")
    return Series(ts, np.array([float(v) for _, v in rows], dtype=np.float64))


def points_after(session: Session, series_id: int, after: datetime | None, tail: int
                 ) -> tuple[Series, int, datetime | None]:
    """The points after ``after`` and, before them, up to ``tail`` points at or before it (the context
    they are scored with); returns the series, the index of the first point after ``after``, and the
    stored time of the last point (exact: the series' timestamps are whole seconds, a stored time may
    have a fraction, and the next pass must start after the stored one)."""
    base = select(MetricPoint.ts, MetricPoint.value).where(MetricPoint.series_id == series_id)
    if after is None:
        rows = session.execute(base.order_by(MetricPoint.ts)).all()
        return _as_series([(r[0], r[1]) for r in rows]), 0, (rows[-1][0] if rows else None)
    context = session.execute(base.where(MetricPoint.ts <= after).order_by(MetricPoint.ts.desc()).limit(tail)).all()
    new = session.execute(base.where(MetricPoint.ts > after).order_by(MetricPoint.ts)).all()
    points = [(r[0], r[1]) for r in reversed(context)] + [(r[0], r[1]) for r in new]
    return _as_series(points), len(context), (new[-1][0] if new else after)


def recent_points(session: Session, series_id: int, limit: int) -> Series:
    rows = session.execute(select(MetricPoint.ts, MetricPoint.value).where(MetricPoint.series_id == series_id)
                           .order_by(MetricPoint.ts.desc()).limit(limit)).all()
    return _as_series([(r[0], r[1]) for r in reversed(rows)])


def _velocity(times: list[datetime], counts: list[float], window: timedelta) -> list[float]:
    """Failures per hour over the runs started in ``(t - window, t]`` (causal)."""
    out, lo, total = [], 0, 0.0
    for i, t in enumerate(times):
        total += counts[i]
        while times[lo] <= t - window:
            total -= counts[lo]
            lo += 1
        out.append(total / (window.total_seconds() / 3600.0))
    return out


def derived_series(session: Session, slowest_tests: int) -> list[DerivedSeries]:
    """Build duration, failed tests and failure velocity per run (per CI job), flaky tests per run, line
    coverage per report, and the duration of the ``slowest_tests`` slowest tests (first attempts)."""
    runs = session.execute(
        select(TestRun.id, TestRun.started_at, TestRun.finished_at, TestRun.duration_s, TestRun.failed,
               TestRun.errors, TestRun.ci_job).order_by(TestRun.started_at, TestRun.id)).all()
    by_job: dict[str, list[tuple[int, datetime, float, float]]] = defaultdict(list)
    for rid, start, end, dur, failed, errors, job in runs:
        seconds = (end - start).total_seconds() if end is not None else float(dur or 0.0)
        by_job[job or ""].append((rid, start, seconds, float((failed or 0) + (errors or 0))))
    out: list[DerivedSeries] = []
    for job, items in sorted(by_job.items()):
        labels = {"job": job} if job else {}
        dedup: dict[datetime, tuple[float, float]] = {}
        for _, start, seconds, fails in items:
            dedup[start] = (seconds, fails)
        times = sorted(dedup)
        out.append(DerivedSeries("ci.build_duration_s", labels, tuple(times), tuple(dedup[t][0] for t in times)))
        fail_counts = [dedup[t][1] for t in times]
        out.append(DerivedSeries("ci.failed_tests", labels, tuple(times), tuple(fail_counts)))
        out.append(DerivedSeries("ci.failure_velocity_per_h", labels, tuple(times),
                                 tuple(_velocity(times, fail_counts, timedelta(hours=1)))))
    flaky = dict(session.execute(
        select(TestResult.run_id, func.count(func.distinct(TestResult.test_case_id)))
        .where(TestResult.is_flaky_rerun.is_(True)).group_by(TestResult.run_id)).all())
    starts: dict[datetime, float] = {}
    for rid, start, *_ in runs:
        starts[start] = starts.get(start, 0.0) + float(flaky.get(rid, 0))
    if runs:
        times = sorted(starts)
        out.append(DerivedSeries("ci.flaky_tests", {}, tuple(times), tuple(starts[t] for t in times)))
    cov = session.execute(
        select(TestRun.started_at, CoverageReport.line_pct).join(TestRun, TestRun.id == CoverageReport.run_id)
        .where(CoverageReport.line_pct.is_not(None)).order_by(TestRun.started_at)).all()
    if cov:
        last = {t: float(p or 0.0) for t, p in cov}
        times = sorted(last)
        out.append(DerivedSeries("coverage.line_pct", {}, tuple(times), tuple(last[t] for t in times)))
    if slowest_tests > 0:
        top = session.execute(
            select(TestResult.test_case_id, TestCase.identity)
            .join(TestCase, TestCase.id == TestResult.test_case_id)
            .where(TestResult.attempt == 0, TestResult.duration_s.is_not(None))
            .group_by(TestResult.test_case_id, TestCase.identity)
            .order_by(func.avg(TestResult.duration_s).desc(), TestCase.identity).limit(slowest_tests)).all()
        for case_id, identity in top:
            rows = session.execute(
                select(TestRun.started_at, TestResult.duration_s).join(TestRun, TestRun.id == TestResult.run_id)
                .where(TestResult.test_case_id == case_id, TestResult.attempt == 0,
                       TestResult.duration_s.is_not(None)).order_by(TestRun.started_at)).all()
            last = {t: float(d or 0.0) for t, d in rows}
            times = sorted(last)
            out.append(DerivedSeries("test.duration_s", {"test": identity}, tuple(times),
                                     tuple(last[t] for t in times)))
    return out


ANOMALY_KINDS = (InsightKind.ANOMALY.value, InsightKind.FORECAST_BREACH.value)


def anomaly_insight_ids(session: Session, *, series: str | None, include_superseded: bool, limit: int) -> list[int]:
    stmt = select(InsightRow.id).where(InsightRow.kind.in_(ANOMALY_KINDS))
    if series is not None:
        stmt = stmt.where((InsightRow.subject_id == series) | InsightRow.subject_id.like(f"{series}{{%"))
    if not include_superseded:
        stmt = stmt.where(InsightRow.superseded_by.is_(None))
    return [int(i) for i in session.scalars(stmt.order_by(InsightRow.created_at.desc(), InsightRow.id.desc())
                                            .limit(limit))]
