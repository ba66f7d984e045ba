"""Read use cases of the web dashboard that the JSON API has no list for: the overview, a test's page,
the review queue, gate history with coverage and vulnerability trends, cluster sparklines and the
calibration of each insight kind.

Like :mod:`argus.app.pages`, each runs one project-scoped unit of work
(:meth:`~argus.app.runtime.Runtime.in_project`) and returns frozen read models. Everything is read
through indexed queries on the run table (``ix_test_run_project_started`` / ``…_branch_started``),
a test's results (``ix_test_result_case_run``) and insights (``ix_insight_project_kind_created``,
``ix_insight_subject``): no page scans the result table, so page time does not grow with it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from argus.analysis.insights.readmodels import InsightView
from argus.app.paging import Page, PageRequest, as_utc, decode_cursor, paginate, scan
from argus.app.runs import TestIdentityView
from argus.core.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from argus.analysis.flaky.readmodels import TestShown
    from argus.app.runtime import ProjectScope, Runtime
    from argus.reasoning.calibration import Calibrator, ReliabilityReport

#: Most runs a test page draws (its strip and duration chart).
MAX_TEST_RUNS = 200
#: Runs before a run that make its duration baseline (the band is their 10th–90th percentile).
BASELINE_WINDOW = 20
#: Latest gate verdicts on the overview.
OVERVIEW_GATES = 5


@dataclass(frozen=True)
class DashFilter:
    """The filter every dashboard page takes: project, branch (None: every branch) and time window."""

    project: str
    branch: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("project", "branch"):
            value = getattr(self, name)
            if isinstance(value, str) and "\x00" in value:
                raise InputError(f"{name}: NUL characters are not allowed")
        object.__setattr__(self, "since", as_utc(self.since))
        object.__setattr__(self, "until", as_utc(self.until))
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InputError(f"since {self.since.isoformat()} is after until {self.until.isoformat()}")


@dataclass(frozen=True)
class DayPoint:
    """The runs started on one (UTC) day."""

    day: date
    runs: int
    tests: int
    passed: int
    failed: int
    skipped: int
    duration_s: float

    @property
    def pass_rate(self) -> float | None:
        judged = self.passed + self.failed
        return self.passed / judged if judged else None


@dataclass(frozen=True)
class GateRow:
    """A recorded gate verdict (its GATE_VERDICT insight)."""

    insight_id: int
    build: str
    label: str
    verdict: str
    summary: str
    rules: dict[str, str]
    created_at: datetime
    confidence: float


@dataclass(frozen=True)
class OverviewView:
    project: str
    branches: tuple[str, ...]
    days: tuple[DayPoint, ...]
    runs: int
    tests_run: int
    passed: int
    failed: int
    ci_time_s: float
    flaky: int
    flaky_wasted_s: float
    broken: int
    quarantined: int
    clusters: int  # current clusters, as the latest clustering pass judged them (its insights)
    clusters_growing: int
    clusters_new: int
    review_pending: int
    gates: tuple[GateRow, ...]
    newest_run_at: datetime | None

    @property
    def pass_rate(self) -> float | None:
        judged = self.passed + self.failed
        return self.passed / judged if judged else None


@dataclass(frozen=True)
class RunOutcome:
    """A test's outcome in one run (first and final attempt), with the run's context."""

    run_id: int
    started_at: datetime
    commit_sha: str | None
    branch: str | None
    environment: dict[str, str]
    outcome: str
    final_outcome: str
    attempts: int
    duration_s: float | None
    #: 10th percentile, median and 90th percentile of the passing durations of the preceding runs.
    baseline: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class LifecycleEvent:
    at: datetime
    what: str
    detail: str
    insight_id: int | None = None


@dataclass(frozen=True)
class TestCluster:
    """A failure cluster a test's failures belong to, and how many of them."""

    id: int
    template: str
    count: int
    failures_of_test: int
    last_seen_at: datetime


@dataclass(frozen=True)
class TestPageView(TestIdentityView):
    """A test's dashboard page: its identity, outcomes, what the page shows of them, lifecycle, clusters."""

    __test__ = False

    #: Oldest first.
    outcomes: tuple[RunOutcome, ...]
    shown: TestShown
    lifecycle: tuple[LifecycleEvent, ...]
    clusters: tuple[TestCluster, ...]


@dataclass(frozen=True)
class ReviewRequest(PageRequest):
    """Current insights whose review tier needs a person (every tier but autonomous), newest first."""

    kind: str | None = None
    pending_only: bool = True


@dataclass(frozen=True)
class GateHistoryRequest(PageRequest):
    verdict: str | None = None


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    commit_sha: str | None
    branch: str | None
    value: float
    #: Median of the previous points on the same series (the rolling baseline), None for the first.
    baseline: float | None


@dataclass(frozen=True)
class QualityTrends:
    coverage: tuple[TrendPoint, ...]
    vulnerabilities: tuple[TrendPoint, ...]  # critical + high findings per report


@dataclass(frozen=True)
class KindCalibration:
    kind: str
    report: ReliabilityReport
    calibrator: Calibrator
    feedback: int


@dataclass(frozen=True)
class ProjectRef:
    slug: str
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _run_filter(stmt: Any, f: DashFilter) -> Any:
    from argus.store.models import TestRun

    if f.branch:
        stmt = stmt.where(TestRun.branch == f.branch)
    if f.since is not None:
        stmt = stmt.where(TestRun.started_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(TestRun.started_at <= f.until)
    return stmt


def newest_run_at(runtime: Runtime, project: str) -> datetime | None:
    """When the project's newest run started (time-range presets count back from it)."""
    from sqlalchemy import func, select

    from argus.store.models import TestRun

    return runtime.in_project(project, lambda scope: as_utc(scope.session.scalar(select(func.max(TestRun.started_at)))))


def branches(scope: ProjectScope, limit: int = 50) -> tuple[str, ...]:
    """The project's branches with runs, most recently run first."""
    from sqlalchemy import func, select

    from argus.store.models import TestRun

    rows = scope.session.execute(
        select(TestRun.branch, func.max(TestRun.started_at).label("last")).where(TestRun.branch.is_not(None))
        .group_by(TestRun.branch).order_by(func.max(TestRun.started_at).desc()).limit(limit))
    return tuple(str(b) for b, _ in rows)


def overview(runtime: Runtime, f: DashFilter) -> OverviewView:
    """Runs per day, pass rate, CI time and time lost to flaky tests, current flaky/broken/quarantined
    counts, clusters (growing, new), the review queue's size and the latest gate verdicts."""
    from sqlalchemy import exists, func, select

    from argus.analysis.failures.schemas import Trend
    from argus.core.enums import InsightKind, ReviewTier, SubjectType
    from argus.store.models import Feedback, FlakyTestState, InsightRow, TestCase, TestRun

    def work(scope: ProjectScope) -> OverviewView:
        s = scope.session
        stmt = _run_filter(select(TestRun.started_at, TestRun.tests, TestRun.passed, TestRun.failed, TestRun.errors,
                                  TestRun.skipped, TestRun.duration_s), f)
        per_day: dict[date, list[float]] = {}
        for started, tests, passed, failed, errors, skipped, dur in s.execute(stmt):
            d = as_utc(started).date()  # type: ignore[union-attr]
            acc = per_day.setdefault(d, [0, 0, 0, 0, 0, 0.0])
            acc[0] += 1
            acc[1] += tests or 0
            acc[2] += passed or 0
            acc[3] += (failed or 0) + (errors or 0)
            acc[4] += skipped or 0
            acc[5] += float(dur or 0.0)
        days = tuple(DayPoint(d, int(a[0]), int(a[1]), int(a[2]), int(a[3]), int(a[4]), float(a[5]))
                     for d, a in sorted(per_day.items()))
        # current flaky/broken verdicts, as GET /flaky lists them (a "stable" monitor verdict is not flaky)
        findings = s.execute(
            select(InsightRow.kind, InsightRow.data)
            .join(TestCase, TestCase.identity == InsightRow.subject_id)
            .where(InsightRow.kind.in_([InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value]),
                   InsightRow.superseded_by.is_(None), InsightRow.subject_type == SubjectType.TEST.value)).all()
        flaky = [d or {} for k, d in findings if k == InsightKind.FLAKY_TEST.value and (d or {}).get("verdict") != "stable"]
        broken = [d for k, d in findings if k == InsightKind.BROKEN_TEST.value and (d or {}).get("verdict") != "stable"]
        quarantined = int(s.scalar(select(func.count()).select_from(FlakyTestState)
                                   .where(FlakyTestState.state == "quarantined")) or 0)
        # clusters as the latest clustering pass judged them (its current FAILURE_CLUSTER insights): no
        # aggregation over the clustered results on every page view
        cluster_data = [d or {} for (d,) in s.execute(select(InsightRow.data).where(
            InsightRow.kind == InsightKind.FAILURE_CLUSTER.value, InsightRow.superseded_by.is_(None)))]
        pending = int(s.scalar(
            select(func.count()).select_from(InsightRow).where(
                InsightRow.superseded_by.is_(None), InsightRow.review_tier != ReviewTier.AUTONOMOUS.value,
                ~exists().where(Feedback.insight_id == InsightRow.id))) or 0)
        gates = s.scalars(select(InsightRow).where(InsightRow.kind == InsightKind.GATE_VERDICT.value,
                                                   InsightRow.superseded_by.is_(None))
                          .order_by(InsightRow.id.desc()).limit(OVERVIEW_GATES)).all()
        newest = as_utc(s.scalar(select(func.max(TestRun.started_at))))
        return OverviewView(
            project=scope.project.slug, branches=branches(scope), days=days,
            runs=sum(d.runs for d in days), tests_run=sum(d.tests for d in days),
            passed=sum(d.passed for d in days), failed=sum(d.failed for d in days),
            ci_time_s=round(sum(d.duration_s for d in days), 3),
            flaky=len(flaky), flaky_wasted_s=round(sum(float(d.get("wasted_s") or 0.0) for d in flaky), 3),
            broken=len(broken), quarantined=quarantined, clusters=len(cluster_data),
            clusters_growing=sum(1 for d in cluster_data if d.get("trend") == Trend.UP.value),
            clusters_new=sum(1 for d in cluster_data if d.get("novel")), review_pending=pending,
            gates=tuple(_gate_row(r) for r in gates), newest_run_at=newest,
        )

    return runtime.in_project(f.project, work)


def _gate_row(r: Any) -> GateRow:
    data = r.data or {}
    return GateRow(r.id, r.subject_id, r.subject_label or r.subject_id[:12], str(data.get("verdict", "")),
                   r.summary, dict(data.get("rules") or {}), r.created_at, r.confidence)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _with_baselines(outcomes: list[RunOutcome], window: int = BASELINE_WINDOW) -> list[RunOutcome]:
    """Each outcome (oldest first) with the band of the passing durations of the ``window`` runs before it."""
    import dataclasses

    out: list[RunOutcome] = []
    seen: list[float] = []
    for o in outcomes:
        base = None
        if len(seen) >= 3:
            recent = sorted(seen[-window:])
            base = (_quantile(recent, 0.1), _quantile(recent, 0.5), _quantile(recent, 0.9))
        out.append(dataclasses.replace(o, baseline=base))
        if o.final_outcome == "passed" and o.duration_s is not None:
            seen.append(float(o.duration_s))
    return out


def test_detail(runtime: Runtime, f: DashFilter, test_id: int, runs: int = 50) -> TestPageView:
    """A test by id: its outcome in its latest ``runs`` runs (branch and window of ``f``) with the
    duration baseline, its flaky/broken findings with evidence, its lifecycle and its clusters."""
    from sqlalchemy import func, select

    from argus.analysis.flaky.readmodels import TestShown
    from argus.analysis.flaky.service import show_test
    from argus.analysis.insights.refs import describe_refs
    from argus.core.enums import InsightKind, SubjectType
    from argus.store.models import FailureCluster, FlakyTestState, InsightRow, TestCase, TestResult, TestRun

    if not 1 <= runs <= MAX_TEST_RUNS:
        raise InputError(f"runs {runs}: give a whole number from 1 to {MAX_TEST_RUNS}")

    def work(scope: ProjectScope) -> TestPageView:
        s = scope.session
        case = s.get(TestCase, test_id)
        if case is None or case.project_id != scope.project.id:
            raise NotFoundError(f"test {test_id} not found")
        per_run = (select(TestResult.run_id.label("rid"), func.min(TestResult.attempt).label("first"),
                          func.max(TestResult.attempt).label("last"), func.count().label("n"))
                   .where(TestResult.test_case_id == case.id).group_by(TestResult.run_id).subquery())
        stmt = _run_filter(
            select(per_run.c.rid, per_run.c.first, per_run.c.last, per_run.c.n, TestRun.started_at,
                   TestRun.commit_sha, TestRun.branch, TestRun.environment)
            .join(TestRun, TestRun.id == per_run.c.rid), f)
        latest = s.execute(stmt.order_by(TestRun.started_at.desc(), TestRun.id.desc()).limit(runs)).all()
        tried: dict[tuple[int, int], tuple[str, float | None]] = {}
        if latest:
            for rid, attempt, outcome, dur in s.execute(
                    select(TestResult.run_id, TestResult.attempt, TestResult.outcome, TestResult.duration_s)
                    .where(TestResult.test_case_id == case.id, TestResult.run_id.in_([r.rid for r in latest]))
                    .order_by(TestResult.id)):
                tried.setdefault((rid, attempt), (outcome, dur))
        outcomes = []
        for r in reversed(latest):
            first, dur = tried.get((r.rid, r.first), ("unknown", None))
            last, last_dur = tried.get((r.rid, r.last), (first, dur))
            outcomes.append(RunOutcome(r.rid, as_utc(r.started_at), r.commit_sha, r.branch,  # type: ignore[arg-type]
                                       dict(r.environment or {}), first, last, int(r.n),
                                       last_dur if last_dur is not None else dur))
        d = show_test(s, case.identity)
        refs = describe_refs(s, ((e.ref_type, e.ref_id) for v in d.insights for e in v.evidence),
                             scope.settings.run_url)
        events: list[LifecycleEvent] = []
        for ins in s.scalars(select(InsightRow).where(
                InsightRow.subject_type == SubjectType.TEST.value, InsightRow.subject_id == case.identity,
                InsightRow.kind.in_([InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value]))
                .order_by(InsightRow.id)):
            verdict = (ins.data or {}).get("verdict") or ins.kind
            events.append(LifecycleEvent(as_utc(ins.created_at), f"judged {verdict}",  # type: ignore[arg-type]
                                         f"{ins.title} (p={ins.confidence:.2f})", ins.id))
        st = s.scalars(select(FlakyTestState).where(FlakyTestState.test_case_id == case.id)).first()
        if st is not None:
            for at, what in ((st.detected_at, "tracked as flaky"), (st.quarantined_at, "quarantined"),
                             (st.fixed_at, "marked fixed")):
                if at is not None:
                    events.append(LifecycleEvent(as_utc(at), what, st.note or "", st.insight_id))  # type: ignore[arg-type]
            events.append(LifecycleEvent(as_utc(st.updated_at), f"state is {st.state}",  # type: ignore[arg-type]
                                         ("set by a person" if st.manual else "set by the analysis")
                                         + (f": {st.note}" if st.note else "")))
        events.sort(key=lambda e: e.at)
        # by the test's own results (ix_test_result_case_run), not the index of every clustered result
        per_cluster = {int(cid): int(n) for cid, n in s.execute(
            select(TestResult.cluster_id, func.count()).where(TestResult.test_case_id == case.id)
            .group_by(TestResult.cluster_id)) if cid is not None}
        found = s.scalars(select(FailureCluster).where(FailureCluster.id.in_(list(per_cluster)))).all() \
            if per_cluster else []
        clusters = tuple(sorted((TestCluster(c.id, c.template, c.count, per_cluster[c.id],
                                             as_utc(c.last_seen_at))  # type: ignore[arg-type]
                                 for c in found), key=lambda c: (-c.failures_of_test, c.id)))
        return TestPageView(case.id, case.identity, case.name, case.suite, case.classname, case.file,
                            as_utc(case.first_seen_at), as_utc(case.last_seen_at),  # type: ignore[arg-type]
                            tuple(_with_baselines(outcomes)), TestShown(d, refs), tuple(events), clusters)

    return runtime.in_project(f.project, work)


def find_test_id(runtime: Runtime, project: str, identity: str) -> int:
    """The id of the test named ``identity`` (not found when there is none)."""
    from sqlalchemy import select

    from argus.store.models import TestCase

    def work(scope: ProjectScope) -> int:
        found = scope.session.scalar(select(TestCase.id).where(TestCase.identity == identity))
        if found is None:
            raise NotFoundError(f"test {identity[:200]!r} not found")
        return int(found)

    return runtime.in_project(project, work)


def review_queue(runtime: Runtime, req: ReviewRequest) -> Page[InsightView]:
    """Current insights whose review tier needs a person, newest first (``pending_only``: those nobody
    has given a verdict on yet), with claims, evidence and feedback."""
    from sqlalchemy import exists, select

    from argus.app.pages import _insight_views
    from argus.core.enums import ReviewTier
    from argus.store.models import Feedback, InsightRow

    order = [(InsightRow.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].id,)

    def work(scope: ProjectScope) -> Page[InsightView]:
        stmt = select(InsightRow).where(InsightRow.superseded_by.is_(None),
                                        InsightRow.review_tier != ReviewTier.AUTONOMOUS.value)
        if req.kind:
            stmt = stmt.where(InsightRow.kind == req.kind)
        if req.pending_only:
            stmt = stmt.where(~exists().where(Feedback.insight_id == InsightRow.id))
        if req.since is not None:
            stmt = stmt.where(InsightRow.created_at >= req.since)
        if req.until is not None:
            stmt = stmt.where(InsightRow.created_at <= req.until)
        key = decode_cursor("review", req.cursor, (int,)) if req.cursor else None
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1)
        page = paginate("review", rows, req.limit, key_of, lambda row: row[0])
        return Page(tuple(_insight_views(scope, list(page.items))), page.next_cursor)

    return runtime.in_project(req.project, work)


def calibration_by_kind(runtime: Runtime, project: str, bins: int = 10) -> tuple[KindCalibration, ...]:
    """The reliability report and calibrator of every insight kind that has feedback (then, when there
    are several: every kind together, as ``*``)."""
    from sqlalchemy import func, select

    from argus.analysis.insights.service import calibration_report
    from argus.store.models import Feedback, InsightRow

    def work(scope: ProjectScope) -> tuple[KindCalibration, ...]:
        s = scope.session
        counts = {str(k): int(n) for k, n in s.execute(
            select(InsightRow.kind, func.count()).join(Feedback, Feedback.insight_id == InsightRow.id)
            .group_by(InsightRow.kind))}
        out = []
        for kind in sorted(counts):
            report, cal = calibration_report(s, kind, bins)
            out.append(KindCalibration(kind, report, cal, int(counts[kind])))
        if len(counts) > 1:
            report, cal = calibration_report(s, None, bins)
            out.append(KindCalibration("*", report, cal, int(sum(counts.values()))))
        return tuple(out)

    return runtime.in_project(project, work)


def gate_history(runtime: Runtime, req: GateHistoryRequest) -> Page[GateRow]:
    """Recorded gate verdicts, newest first."""
    from sqlalchemy import select

    from argus.core.enums import InsightKind
    from argus.store.models import InsightRow

    order = [(InsightRow.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].id,)

    def work(scope: ProjectScope) -> Page[GateRow]:
        stmt = select(InsightRow).where(InsightRow.kind == InsightKind.GATE_VERDICT.value,
                                        InsightRow.superseded_by.is_(None))
        if req.since is not None:
            stmt = stmt.where(InsightRow.created_at >= req.since)
        if req.until is not None:
            stmt = stmt.where(InsightRow.created_at <= req.until)
        key = decode_cursor("gates", req.cursor, (int,)) if req.cursor else None
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1)

        def view(row: Any) -> GateRow | None:
            g = _gate_row(row[0])
            return g if req.verdict is None or g.verdict == req.verdict else None

        return paginate("gates", rows, req.limit, key_of, view)

    return runtime.in_project(req.project, work)


def _rolling(points: list[tuple[datetime, str | None, str | None, float]], window: int = 10) -> tuple[TrendPoint, ...]:
    out: list[TrendPoint] = []
    seen: list[float] = []
    for at, sha, branch, value in points:
        out.append(TrendPoint(at, sha, branch, value, statistics.median(seen[-window:]) if seen else None))
        seen.append(value)
    return tuple(out)


def quality_trends(runtime: Runtime, f: DashFilter, limit: int = 200) -> QualityTrends:
    """Line coverage and critical+high vulnerability counts of the latest ``limit`` reports (oldest
    first), each with the rolling median of the ones before it (the gate's kind of baseline)."""
    from sqlalchemy import select

    from argus.store.models import CoverageReport, TestRun, VulnReport

    def work(scope: ProjectScope) -> QualityTrends:
        s = scope.session
        cov = s.execute(_run_filter(select(TestRun.started_at, TestRun.commit_sha, TestRun.branch, CoverageReport.line_pct)
                                    .join(TestRun, TestRun.id == CoverageReport.run_id)
                                    .where(CoverageReport.line_pct.is_not(None)), f)
                        .order_by(TestRun.started_at.desc()).limit(limit)).all()
        vul = s.execute(_run_filter(select(TestRun.started_at, TestRun.commit_sha, TestRun.branch,
                                           VulnReport.critical + VulnReport.high)
                                    .join(TestRun, TestRun.id == VulnReport.run_id), f)
                        .order_by(TestRun.started_at.desc()).limit(limit)).all()
        return QualityTrends(
            _rolling([(as_utc(a), c, b, float(v)) for a, c, b, v in reversed(cov)]),  # type: ignore[misc]
            _rolling([(as_utc(a), c, b, float(v)) for a, c, b, v in reversed(vul)]),  # type: ignore[misc]
        )

    return runtime.in_project(f.project, work)


def cluster_sparklines(runtime: Runtime, project: str, cluster_ids: Sequence[int], days: int = 14,
                       end: datetime | None = None) -> dict[int, tuple[int, ...]]:
    """Failures per day of each cluster over the ``days`` days ending at ``end`` (default: the
    project's newest run), oldest day first."""
    from sqlalchemy import func, select

    from argus.store.models import TestResult, TestRun

    if not cluster_ids:
        return {}

    def work(scope: ProjectScope) -> dict[int, tuple[int, ...]]:
        s = scope.session
        stop = as_utc(end) or as_utc(s.scalar(select(func.max(TestRun.started_at))))
        if stop is None:
            return {cid: (0,) * days for cid in cluster_ids}
        last_day = stop.date()
        start = datetime.combine(last_day - timedelta(days=days - 1), datetime.min.time(), tzinfo=stop.tzinfo)
        per_run = (select(TestResult.cluster_id, TestResult.run_id, func.count().label("n"))
                   .where(TestResult.cluster_id.in_(list(cluster_ids)))
                   .group_by(TestResult.cluster_id, TestResult.run_id).subquery())
        rows = s.execute(select(per_run.c.cluster_id, per_run.c.n, TestRun.started_at)
                         .join(TestRun, TestRun.id == per_run.c.run_id).where(TestRun.started_at >= start))
        series = {cid: [0] * days for cid in cluster_ids}
        for cid, n, started in rows:
            i = (as_utc(started).date() - (last_day - timedelta(days=days - 1))).days  # type: ignore[union-attr]
            if 0 <= i < days:
                series[cid][i] += int(n)
        return {cid: tuple(v) for cid, v in series.items()}

    return runtime.in_project(project, work)


def list_branches(runtime: Runtime, project: str) -> tuple[str, ...]:
    """The project's branches with runs, most recently run first (the dashboard's branch filter)."""
    return runtime.in_project(project, branches)


def page_context(runtime: Runtime, project: str, *, with_branches: bool = True) -> tuple[datetime | None, tuple[str, ...]]:
    """What every dashboard page needs of a project in one unit of work: when its newest run started
    (time ranges count back from it) and its branches (the branch filter)."""
    from sqlalchemy import func, select

    from argus.store.models import TestRun

    def work(scope: ProjectScope) -> tuple[datetime | None, tuple[str, ...]]:
        newest = as_utc(scope.session.scalar(select(func.max(TestRun.started_at))))
        return newest, branches(scope) if with_branches else ()

    return runtime.in_project(project, work)


def org_projects(runtime: Runtime, org: str) -> tuple[str, ...]:
    """The projects of organisation ``org``, by name."""
    from argus.store.projects import list_projects

    with runtime.unit_of_work() as s:
        return tuple(p for o, p in list_projects(s) if o == org)


@dataclass(frozen=True)
class GridRun:
    """One of the project's latest runs (a column of the tests list's strips)."""

    id: int
    started_at: datetime
    commit_sha: str | None
    branch: str | None


@dataclass(frozen=True)
class OutcomeGrid:
    """The outcomes of some tests in the project's latest runs: ``cells[test id][i]`` is the test's
    (first outcome, final outcome, attempts, duration) in ``runs[i]`` (oldest first), None when it did not run."""

    runs: tuple[GridRun, ...]
    cells: dict[int, tuple[tuple[str, str, int, float | None] | None, ...]]


def outcome_grid(runtime: Runtime, f: DashFilter, case_ids: Sequence[int], runs: int = 20) -> OutcomeGrid:
    """The outcomes of tests ``case_ids`` in the project's latest ``runs`` runs (branch and window of
    ``f``): two indexed queries whatever the size of the result table (the runs by start time, then
    the results of those runs and tests by ``ix_test_result_case_run``)."""
    from sqlalchemy import select

    from argus.store.models import TestResult, TestRun

    def work(scope: ProjectScope) -> OutcomeGrid:
        s = scope.session
        latest = list(reversed(s.execute(_run_filter(
            select(TestRun.id, TestRun.started_at, TestRun.commit_sha, TestRun.branch), f)
            .order_by(TestRun.started_at.desc(), TestRun.id.desc()).limit(runs)).all()))
        cols = tuple(GridRun(r.id, as_utc(r.started_at), r.commit_sha, r.branch) for r in latest)  # type: ignore[arg-type]
        if not cols or not case_ids:
            return OutcomeGrid(cols, {})
        index = {r.id: i for i, r in enumerate(cols)}
        tried: dict[tuple[int, int], list[tuple[int, str, float | None]]] = {}
        for cid, rid, attempt, outcome, dur in s.execute(
                select(TestResult.test_case_id, TestResult.run_id, TestResult.attempt, TestResult.outcome,
                       TestResult.duration_s)
                .where(TestResult.test_case_id.in_(list(case_ids)), TestResult.run_id.in_(list(index)))):
            tried.setdefault((cid, rid), []).append((attempt, outcome, dur))
        cells: dict[int, list[tuple[str, str, int, float | None] | None]] = {c: [None] * len(cols) for c in case_ids}
        for (cid, rid), attempts in tried.items():
            attempts.sort(key=lambda a: a[0])
            cells[cid][index[rid]] = (attempts[0][1], attempts[-1][1], len(attempts), attempts[-1][2])
        return OutcomeGrid(cols, {c: tuple(v) for c, v in cells.items()})

    return runtime.in_project(f.project, work)


# --- change risk on the changes page -------------------------------------------------------------


@dataclass(frozen=True)
class RiskFactor:
    feature: str
    value: float | None
    contribution: float  # log-odds (SHAP) of the assessment the prediction belongs to


@dataclass(frozen=True)
class ChangeRisk:
    """The latest stored risk prediction of one commit (``argus risk SHA`` logs one per assessment)."""

    sha: str
    prediction_id: int
    score: int  # 0–100
    probability: float
    level: str  # GO | WARN | BLOCK
    created_at: datetime
    insight_id: int | None
    factors: tuple[RiskFactor, ...] = ()


def change_risks(runtime: Runtime, project: str, shas: Sequence[str], top: int = 3) -> dict[str, ChangeRisk]:
    """The latest risk prediction of each of ``shas`` (absent: never assessed), with the top factors of
    the CHANGE_RISK insight it was logged with. Reads ``risk_prediction`` by commit sha (one query for
    the page's commits) and the insights it names."""
    from sqlalchemy import select

    from argus.store.models import InsightRow
    from argus.store.models.risk import RiskPrediction

    wanted = [s for s in dict.fromkeys(shas) if s]

    def work(scope: ProjectScope) -> dict[str, ChangeRisk]:
        if not wanted:
            return {}
        latest: dict[str, Any] = {}
        rows = scope.session.scalars(select(RiskPrediction).where(RiskPrediction.commit_sha.in_(wanted))
                                     .order_by(RiskPrediction.id.desc()))
        for r in rows:
            latest.setdefault(r.commit_sha or "", r)
        insight_ids = {r.insight_id for r in latest.values() if r.insight_id is not None}
        data: dict[int, dict[str, Any]] = {}
        if insight_ids:
            for i in scope.session.scalars(select(InsightRow).where(InsightRow.id.in_(insight_ids))):
                data[i.id] = i.data or {}
        out = {}
        for sha, r in latest.items():
            raw = data.get(r.insight_id or 0, {}).get("factors") or []
            factors = tuple(RiskFactor(str(f.get("feature")), f.get("value"), float(f.get("contribution") or 0.0))
                            for f in raw if isinstance(f, dict))
            factors = tuple(sorted(factors, key=lambda f: -abs(f.contribution))[:top])
            out[sha] = ChangeRisk(sha, r.id, round(100 * float(r.probability)), float(r.probability), r.level,
                                  as_utc(r.created_at) or r.created_at, r.insight_id, factors)
        return out

    return runtime.in_project(project, work)


# --- incidents ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentsRequest(PageRequest):
    state: str | None = None
    service: str | None = None
    priority: str | None = None


def incident_list(runtime: Runtime, req: IncidentsRequest) -> Page[Any]:
    """Incidents (merged ones left out), newest first, filtered by lifecycle state, service (the
    incident's main service or any of its services) and priority; paged by cursor. Reads the incident
    table by ``ix_incident_project_state`` / its primary key."""
    from sqlalchemy import select

    from argus.analysis.incidents.queries import incident_view
    from argus.analysis.incidents.schemas import IncidentState
    from argus.store.models.incidents import Incident

    if req.state is not None and req.state not in {s.value for s in IncidentState}:
        raise InputError(f"state {req.state[:40]!r}: use one of {', '.join(s.value for s in IncidentState)}")
    if req.priority is not None and req.priority not in ("P0", "P1", "P2", "P3"):
        raise InputError(f"priority {req.priority[:10]!r}: use P0, P1, P2 or P3")
    order = [(Incident.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].id,)

    def work(scope: ProjectScope) -> Page[Any]:
        stmt = select(Incident).where(Incident.merged_into_id.is_(None))
        if req.state:
            stmt = stmt.where(Incident.state == req.state)
        if req.priority:
            stmt = stmt.where(Incident.priority == req.priority)
        key = decode_cursor("incidents", req.cursor, (int,)) if req.cursor else None
        # ``services`` is a JSON list: the service filter drops rows while paging (scan reads lazily).
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1 if not req.service else 200)
        def view_of(row: Any) -> Any:
            inc = row[0]
            if req.service and inc.service != req.service and req.service not in (inc.services or []):
                return None
            return incident_view(inc)

        return paginate("incidents", rows, req.limit, key_of, view_of)

    return runtime.in_project(req.project, work)
