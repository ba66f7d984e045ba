"""SQL that reduces stored results to what the flaky analysis needs (heavy lifting in the database).

Only three things touch many rows: the first-attempt failures (to find outage runs and the tests
worth looking at — a test that never failed needs no analysis), the per-test-per-run fold of those
candidate tests' attempts, and a bounded sample of failure texts per test. Tests that always passed
are never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from argus.analysis.flaky.schemas import FailureSample, RunStatus
from argus.store.models import TestCase, TestResult, TestRun
from argus.store.session import unscoped

FAIL_OUTCOMES = ("failed", "error")
_CHUNK = 900
PASS, RETRY_PASS, FAIL, SKIP = RunStatus.PASS, RunStatus.RETRY_PASS, RunStatus.FAIL, RunStatus.SKIP
_r = TestResult.__table__.c
_run = TestRun.__table__.c
_tc = TestCase.__table__.c


def chunks(ids: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@dataclass(frozen=True)
class RunMeta:
    id: int
    commit: str | None
    tree: str | None
    branch: str | None
    env_key: str
    started_at: datetime
    tests: int
    ci_key: tuple[str, str, str] | None
    ci_attempt: int
    duration_s: float


#: One test's attempts in one run, folded by SQL: (run id, status, attempts, failed attempts,
#: first-attempt duration, wasted seconds). Plain tuples: there can be millions.
Folded = tuple[int, RunStatus, int, int, float | None, float]


def env_key(environment: dict[str, str] | None) -> str:
    """A stable text key of a run's environment (``k=v`` pairs sorted by key)."""
    if not environment:
        return ""
    return ",".join(f"{k}={environment[k]}" for k in sorted(environment))


def load_runs(session: Session, project_id: int, since: datetime | None) -> dict[int, RunMeta]:
    stmt = select(
        _run.id, _run.commit_sha, _run.tree_sha, _run.branch, _run.environment, _run.started_at,
        _run.tests, _run.ci_provider, _run.ci_run_id, _run.ci_job, _run.ci_attempt, _run.duration_s,
    ).where(_run.project_id == project_id)
    if since is not None:
        stmt = stmt.where(_run.started_at >= since)
    out: dict[int, RunMeta] = {}
    for row in session.execute(stmt):
        ci = (row.ci_provider or "", row.ci_run_id, row.ci_job or "") if row.ci_run_id else None
        out[row.id] = RunMeta(
            row.id, row.commit_sha, row.tree_sha, row.branch, env_key(row.environment),
            row.started_at,
            row.tests or 0, ci, row.ci_attempt or 1, row.duration_s or 0.0,
        )
    return out


def _run_filter(project_id: int, since: datetime | None):  # type: ignore[no-untyped-def]
    cond = _r.project_id == project_id
    if since is not None:
        sub = select(_run.id).where(_run.project_id == project_id, _run.started_at >= since)
        cond = and_(cond, _r.run_id.in_(sub))
    return cond


def load_failing_attempts(session: Session, project_id: int, since: datetime | None) -> list[tuple[int, int, int]]:
    """(run id, test case id, attempt) of every failing attempt (read through the outcome index)."""
    stmt = select(_r.run_id, _r.test_case_id, _r.attempt).where(
        _run_filter(project_id, since), _r.outcome.in_(FAIL_OUTCOMES)
    )
    return [(int(a), int(b), int(c)) for a, b, c in session.execute(stmt).all()]


def count_rows(session: Session, test_ids: Sequence[int]) -> dict[int, int]:
    """Result rows per test, all time (index-only on (test_case_id, run_id); test ids are project-owned)."""
    out: dict[int, int] = {}
    for part in chunks(list(test_ids)):
        stmt = select(_r.test_case_id, func.count()).where(_r.test_case_id.in_(part)).group_by(_r.test_case_id)
        with unscoped(session, reason="index-only count: the test ids already belong to the bound project"):
            out.update({int(a): int(b) for a, b in session.execute(stmt).all()})
    return out


def load_run_totals(session: Session, project_id: int, run_ids: Sequence[int]) -> dict[int, int]:
    """Distinct tests per run, for runs whose ``tests`` counter was not filled at ingestion."""
    out: dict[int, int] = {}
    for part in chunks(list(run_ids)):
        stmt = (
            select(_r.run_id, func.count(func.distinct(_r.test_case_id)))
            .where(_r.project_id == project_id, _r.run_id.in_(part))
            .group_by(_r.run_id)
        )
        out.update({int(a): int(b) for a, b in session.execute(stmt)})
    return out


def load_folded(
    session: Session, project_id: int, test_ids: Sequence[int], since: datetime | None
) -> dict[int, list[Folded]]:
    """Per candidate test, its runs with attempts folded: status, attempts, first-attempt duration, waste."""
    failing = _r.outcome.in_(FAIL_OUTCOMES)
    one, zero = literal(1), literal(0)
    stmt_cols = (
        _r.test_case_id,
        _r.run_id,
        func.count(),
        func.sum(case((failing, one), else_=zero)),
        func.sum(case((_r.outcome == "passed", one), else_=zero)),
        func.max(case((and_(_r.attempt == 0, failing), one), else_=zero)),
        func.max(case((_r.attempt == 0, _r.duration_s), else_=None)),
        func.sum(case((or_(failing, _r.attempt > 0), func.coalesce(_r.duration_s, 0.0)), else_=0.0)),
    )
    out: dict[int, list[Folded]] = defaultdict(list)
    for part in chunks(list(test_ids)):
        stmt = (
            select(*stmt_cols)
            .where(_run_filter(project_id, since), _r.test_case_id.in_(part))
            .group_by(_r.test_case_id, _r.run_id)
        )
        for tid, rid, n, nf, npass, first_failed, dur, wasted in session.execute(stmt).all():
            if npass:
                status = RETRY_PASS if first_failed else PASS
            elif nf:
                status = FAIL
            else:
                status = SKIP
            out[tid].append((rid, status, n, nf or 0, dur, wasted or 0.0))
    return out


def load_failure_samples(
    session: Session, project_id: int, test_ids: Sequence[int], per_test: int, stack_chars: int = 2000
) -> dict[int, list[FailureSample]]:
    """The latest ``per_test`` failing attempts of each test with message, type and the top of the stack."""
    out: dict[int, list[FailureSample]] = defaultdict(list)
    rn = func.row_number().over(partition_by=_r.test_case_id, order_by=_r.id.desc()).label("rn")
    for part in chunks(list(test_ids)):
        inner = (
            select(
                _r.id, _r.test_case_id, _r.run_id, _r.message, _r.failure_type,
                func.substr(_r.stack, 1, stack_chars).label("stack"), _r.duration_s, rn,
            )
            .where(_r.project_id == project_id, _r.test_case_id.in_(part), _r.outcome.in_(FAIL_OUTCOMES))
            .subquery()
        )
        stmt = select(inner).where(inner.c.rn <= per_test)
        for row in session.execute(stmt):
            out[int(row.test_case_id)].append(
                FailureSample(int(row.id), int(row.run_id), row.message, row.failure_type, row.stack, row.duration_s)
            )
    return out


@dataclass(frozen=True)
class CaseInfo:
    id: int
    identity: str
    name: str
    file: str | None
    classname: str | None


def load_cases(session: Session, project_id: int, test_ids: Iterable[int]) -> dict[int, CaseInfo]:
    out: dict[int, CaseInfo] = {}
    for part in chunks(sorted(set(test_ids))):
        stmt = select(_tc.id, _tc.identity, _tc.name, _tc.file, _tc.classname).where(
            _tc.project_id == project_id, _tc.id.in_(part)
        )
        for row in session.execute(stmt):
            out[int(row.id)] = CaseInfo(int(row.id), row.identity, row.name, row.file, row.classname)
    return out


def find_case(session: Session, project_id: int, test: str) -> CaseInfo | None:
    """A test by exact identity, else by a unique identity suffix or name."""
    cols = (_tc.id, _tc.identity, _tc.name, _tc.file, _tc.classname)
    row = session.execute(select(*cols).where(_tc.project_id == project_id, _tc.identity == test)).first()
    if row is None:
        rows = session.execute(
            select(*cols)
            .where(_tc.project_id == project_id, or_(_tc.identity.endswith(test), _tc.name == test))
            .limit(2)
        ).all()
        row = rows[0] if len(rows) == 1 else None
    return None if row is None else CaseInfo(int(row.id), row.identity, row.name, row.file, row.classname)
