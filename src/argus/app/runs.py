"""Read use cases of CI runs and tests: pages of runs, and of tests with their latest outcomes.

Each takes the :class:`~argus.app.runtime.Runtime` and a :class:`~argus.app.paging.PageRequest`, runs
one project-scoped unit of work and returns a :class:`~argus.app.paging.Page` of frozen read models.
Runs are newest first (start time, then id); tests are in identity order (then id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
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
class TestIdentityView:
    """A test: its identity and when it was first and last seen (the head of every view of a test)."""

    __test__ = False

    id: int
    identity: str
    name: str
    suite: str | None
    classname: str | None
    file: str | None
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class TestHistoryView(TestIdentityView):
    """A test and its outcomes in its latest runs (newest first)."""

    __test__ = False

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
    from sqlalchemy import Text, cast

    from argus.store.models import TestRun

    # the environment as its JSON text, decoded by _run_view (most are empty: no decoder call at all)
    return (TestRun.id, TestRun.commit_sha, TestRun.branch, TestRun.ci_provider, TestRun.ci_job,
            TestRun.ci_run_id, TestRun.ci_attempt, TestRun.ci_url, cast(TestRun.environment, Text), TestRun.started_at,
            TestRun.finished_at, TestRun.ingested_at, TestRun.tests, TestRun.passed, TestRun.failed,
            TestRun.errors, TestRun.skipped, TestRun.duration_s)


@lru_cache(maxsize=32)
def _runs_statement(since: bool, until: bool, branch: bool, commit: bool, after: bool) -> Any:
    """The page query of runs for one combination of filters, built once with bound parameters
    (``since``, ``until``, ``branch``, ``commit_like``, ``k_started``, ``k_id``, ``limit``): building a
    statement and its cache key cost more CPU than running it."""
    from sqlalchemy import Integer, and_, bindparam, or_, select

    from argus.store.models import TestRun

    stmt = select(*_run_columns())
    if since:
        stmt = stmt.where(TestRun.started_at >= bindparam("since"))
    if until:
        stmt = stmt.where(TestRun.started_at <= bindparam("until"))
    if branch:
        stmt = stmt.where(TestRun.branch == bindparam("branch"))
    if commit:
        stmt = stmt.where(TestRun.commit_sha.like(bindparam("commit_like"), escape="/"))
    if after:  # strictly after the cursor's key in (started_at desc, id desc)
        stmt = stmt.where(or_(TestRun.started_at < bindparam("k_started"),
                              and_(TestRun.started_at == bindparam("k_started"), TestRun.id < bindparam("k_id"))))
    return stmt.order_by(TestRun.started_at.desc(), TestRun.id.desc()).limit(bindparam("limit", type_=Integer))


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern (escape ``/``) matching what starts with ``prefix`` literally."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def list_runs(runtime: Runtime, req: RunsRequest) -> Page[RunView]:
    """The project's runs, newest first."""
    key = decode_cursor("runs", req.cursor, (datetime, int)) if req.cursor else None
    params: dict[str, Any] = {"since": req.since, "until": req.until, "branch": req.branch, "limit": req.limit + 1}
    if req.commit is not None:
        params["commit_like"] = _like_prefix(req.commit.lower())
    if key is not None:
        params["k_started"], params["k_id"] = key
    stmt = _runs_statement(req.since is not None, req.until is not None, req.branch is not None,
                           req.commit is not None, key is not None)
    used = {k: v for k, v in params.items() if v is not None}

    def work(scope: ProjectScope) -> Page[RunView]:
        rows = scope.session.execute(stmt, used).all()
        return paginate("runs", rows, req.limit, _run_key, _run_view)

    return runtime.in_project(req.project, work)


def _run_key(row: Any) -> tuple[Any, ...]:
    return (row[9], row[0])  # started_at, id (_run_columns)


def _run_view(r: Any) -> RunView:
    (id_, sha, branch, provider, job, run_id, attempt, url, env, started, finished, ingested, tests, passed,
     failed, errors, skipped, duration) = r
    environment = json.loads(env) if env and env != "{}" else {}
    return RunView(id_, sha, branch, provider, job, run_id, attempt, url, dict(environment or {}), started, finished,
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
        key = decode_cursor("tests", req.cursor, (str, int)) if req.cursor else None
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
