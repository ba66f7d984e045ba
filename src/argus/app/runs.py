"""Read use cases of CI runs and tests: pages of runs, and of tests with their latest outcomes.

Each takes the :class:`~argus.app.runtime.Runtime` and a :class:`~argus.app.paging.PageRequest`, runs
one project-scoped unit of work and returns a :class:`~argus.app.paging.Page` of frozen read models.
Runs are newest first (start time, then id); tests are in identity order (then id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from argus.app.paging import Page, PageRequest, decode_cursor, paginate, scan
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime

#: Most outcomes a test's history may ask for.
MAX_HISTORY = 50


@dataclass(frozen=True)
class RunView:
    """One stored CI run (one job attempt) and its counters."""

    id: int
    commit_sha: str | None
    branch: str | None
    ci_provider: str | None
    ci_job: str | None
    ci_run_id: str | None
    ci_attempt: int
    ci_url: str | None
    environment: dict[str, str]
    started_at: datetime
    finished_at: datetime | None
    ingested_at: datetime
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    duration_s: float


@dataclass(frozen=True)
class OutcomeView:
    """A test's outcome in one run: the first attempt's, the last attempt's and how many were made."""

    run_id: int
    started_at: datetime
    commit_sha: str | None
    outcome: str
    final_outcome: str
    attempts: int
    duration_s: float | None


@dataclass(frozen=True)
class TestHistoryView:
    """A test and its outcomes in its latest runs (newest first)."""

    __test__ = False

    id: int
    identity: str
    name: str
    suite: str | None
    classname: str | None
    file: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    history: tuple[OutcomeView, ...]


@dataclass(frozen=True)
class RunsRequest(PageRequest):
    """Runs started within [since, until], optionally of one branch or commit (prefix)."""

    branch: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class TestsRequest(PageRequest):
    """Tests last seen within [since, until] (optionally whose identity contains ``search``), each with
    its outcomes in its latest ``history`` runs."""

    __test__ = False

    history: int = 10
    search: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.history <= MAX_HISTORY:
            raise InputError(f"history {self.history}: give a whole number from 0 to {MAX_HISTORY}")


def _run_columns() -> tuple[Any, ...]:
    """The columns of a :class:`RunView`, in its field order (plain rows, not ORM entities: a page
    of runs is read without building and identity-mapping 50 ``TestRun`` objects)."""
    from argus.store.models import TestRun

    return (TestRun.id, TestRun.commit_sha, TestRun.branch, TestRun.ci_provider, TestRun.ci_job,
            TestRun.ci_run_id, TestRun.ci_attempt, TestRun.ci_url, TestRun.environment, TestRun.started_at,
            TestRun.finished_at, TestRun.ingested_at, TestRun.tests, TestRun.passed, TestRun.failed,
            TestRun.errors, TestRun.skipped, TestRun.duration_s)


def list_runs(runtime: Runtime, req: RunsRequest) -> Page[RunView]:
    """The project's runs, newest first."""
    from sqlalchemy import select

    from argus.store.models import TestRun

    order = [(TestRun.started_at, True), (TestRun.id, True)]

    def work(scope: ProjectScope) -> Page[RunView]:
        stmt = select(*_run_columns())
        if req.since is not None:
            stmt = stmt.where(TestRun.started_at >= req.since)
        if req.until is not None:
            stmt = stmt.where(TestRun.started_at <= req.until)
        if req.branch is not None:
            stmt = stmt.where(TestRun.branch == req.branch)
        if req.commit is not None:
            stmt = stmt.where(TestRun.commit_sha.startswith(req.commit.lower(), autoescape=True))
        key = decode_cursor("runs", req.cursor, 2) if req.cursor else None
        rows = scan(scope.session, stmt, order, _run_key, key, req.limit + 1)
        return paginate("runs", rows, req.limit, _run_key, _run_view)

    return runtime.in_project(req.project, work)


def _run_key(row: Any) -> tuple[Any, ...]:
    return (row[9], row[0])  # started_at, id (_run_columns)


def _run_view(r: Any) -> RunView:
    (id_, sha, branch, provider, job, run_id, attempt, url, env, started, finished, ingested, tests, passed,
     failed, errors, skipped, duration) = r
    return RunView(id_, sha, branch, provider, job, run_id, attempt, url, dict(env or {}), started, finished,
                   ingested, tests, passed, failed, errors, skipped, duration)


def list_tests(runtime: Runtime, req: TestsRequest) -> Page[TestHistoryView]:
    """The project's tests in identity order, each with its latest outcomes."""
    from sqlalchemy import select

    from argus.store.models import TestCase

    order = [(TestCase.identity, False), (TestCase.id, False)]

    def work(scope: ProjectScope) -> Page[TestHistoryView]:
        stmt = select(TestCase)
        if req.since is not None:
            stmt = stmt.where(TestCase.last_seen_at >= req.since)
        if req.until is not None:
            stmt = stmt.where(TestCase.first_seen_at <= req.until)
        if req.search:
            stmt = stmt.where(TestCase.identity.contains(req.search, autoescape=True))
        key = decode_cursor("tests", req.cursor, 2) if req.cursor else None
        rows = scan(scope.session, stmt, order, _test_key, key, req.limit + 1)
        page = paginate("tests", rows, req.limit, _test_key, lambda row: row[0])
        hist = _histories(scope, [c.id for c in page.items], req.history, req.until)
        views = tuple(TestHistoryView(c.id, c.identity, c.name, c.suite, c.classname, c.file, c.first_seen_at,
                                      c.last_seen_at, hist.get(c.id, ())) for c in page.items)
        return Page(views, page.next_cursor)

    return runtime.in_project(req.project, work)


def _test_key(row: Any) -> tuple[Any, ...]:
    return (row[0].identity, row[0].id)


def _histories(scope: ProjectScope, case_ids: list[int], n: int,
               until: datetime | None) -> dict[int, tuple[OutcomeView, ...]]:
    """Per test case, its outcome in each of its latest ``n`` runs started by ``until``."""
    from sqlalchemy import func, select

    from argus.store.models import TestResult, TestRun

    if not case_ids or n == 0:
        return {}
    per_run = (
        select(TestResult.test_case_id.label("cid"), TestResult.run_id.label("rid"),
               func.min(TestResult.attempt).label("first"), func.max(TestResult.attempt).label("last"),
               func.count().label("attempts"))
        .where(TestResult.test_case_id.in_(case_ids))
        .group_by(TestResult.test_case_id, TestResult.run_id)
        .subquery()
    )
    ranked = (
        select(per_run, TestRun.started_at, TestRun.commit_sha,
               func.row_number().over(partition_by=per_run.c.cid,
                                      order_by=(TestRun.started_at.desc(), TestRun.id.desc())).label("rn"))
        .join(TestRun, TestRun.id == per_run.c.rid)
    )
    if until is not None:
        ranked = ranked.where(TestRun.started_at <= until)
    sub = ranked.subquery()
    latest = scope.session.execute(select(sub).where(sub.c.rn <= n).order_by(sub.c.cid, sub.c.rn)).all()
    run_ids = sorted({r.rid for r in latest})
    tried: dict[tuple[int, int, int], tuple[str, float | None]] = {}
    if run_ids:
        rows = scope.session.execute(
            select(TestResult.test_case_id, TestResult.run_id, TestResult.attempt, TestResult.outcome,
                   TestResult.duration_s)
            .where(TestResult.test_case_id.in_(case_ids), TestResult.run_id.in_(run_ids))
            .order_by(TestResult.id)
        )
        for cid, rid, attempt, outcome, dur in rows:
            tried.setdefault((cid, rid, attempt), (outcome, dur))
    out: dict[int, list[OutcomeView]] = {}
    for r in latest:
        first, dur = tried.get((r.cid, r.rid, r.first), ("unknown", None))
        last, _ = tried.get((r.cid, r.rid, r.last), (first, None))
        out.setdefault(r.cid, []).append(OutcomeView(r.rid, r.started_at, r.commit_sha, first, last,
                                                     int(r.attempts), dur))
    return {k: tuple(v) for k, v in out.items()}
