"""Read-only SQL of the flaky analysis: stored results reduced to what it needs, and the read models
of its front doors (list, show, quarantine list, flaky status for the gate). Never writes.

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

from argus.analysis.flaky.lifecycle import FLAKY_STATES, LifecycleState
from argus.analysis.flaky.nodeid import pytest_node_id
from argus.analysis.flaky.readmodels import QuarantinedResult, QuarantinedTest, TestView
from argus.analysis.flaky.schemas import FailureSample, RunStatus, Verdict
from argus.core.enums import InsightKind, Outcome, SubjectType
from argus.store.models import FlakyTestState, InsightRow, TestCase, TestResult, TestRun
from argus.store.session import unscoped

FAIL_OUTCOMES = ("failed", "error")
#: The insight kinds the flaky analysis stores.
KINDS = (InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value)
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
        func.sum(case((_r.outcome == Outcome.PASSED.value, one), else_=zero)),
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


def states(session: Session) -> dict[int, FlakyTestState]:
    """Test case id → its lifecycle row (rows of the scoped project; the service updates them)."""
    return {s.test_case_id: s for s in session.scalars(select(FlakyTestState))}


def state_of(session: Session, test_case_id: int) -> FlakyTestState | None:
    return session.scalars(select(FlakyTestState).where(FlakyTestState.test_case_id == test_case_id)).first()


def list_tests(
    session: Session,
    *,
    kind: InsightKind | None = None,
    state: LifecycleState | None = None,
    min_probability: float = 0.0,
    limit: int = 100,
) -> list[TestView]:
    """Current flaky/broken insights with the lifecycle state, highest probability first."""
    stmt = (
        select(InsightRow, FlakyTestState.state)
        .join(TestCase, TestCase.identity == InsightRow.subject_id)
        .outerjoin(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
        .where(
            InsightRow.kind.in_([kind] if kind else KINDS),
            InsightRow.superseded_by.is_(None),
            InsightRow.subject_type == SubjectType.TEST.value,
            InsightRow.confidence >= min_probability,
        )
    )
    if state:
        stmt = stmt.where(FlakyTestState.state == LifecycleState(state).value)
    stmt = stmt.order_by(InsightRow.confidence.desc(), InsightRow.id.desc())
    out: list[TestView] = []
    for row, st in session.execute(stmt):
        data = row.data or {}
        if data.get("verdict") == Verdict.STABLE:  # a "monitor" insight: `flaky analyze` does not call it flaky
            continue
        if len(out) >= limit:
            break
        out.append(
            TestView(
                test=row.subject_id,
                label=row.subject_label,
                kind=row.kind,
                probability=row.confidence,
                low=row.confidence_low,
                high=row.confidence_high,
                action=row.action,
                category=(data.get("category") or {}).get("name"),
                state=st,
                wasted_s=float(data.get("wasted_s") or 0.0),
                review_tier=row.review_tier,
                insight_id=row.id,
            )
        )
    return out


def current_insight_ids(session: Session, identity: str) -> list[int]:
    """Ids of the current flaky/broken insights of one test."""
    return list(session.scalars(
        select(InsightRow.id).where(
            InsightRow.subject_type == SubjectType.TEST.value,
            InsightRow.subject_id == identity,
            InsightRow.kind.in_(KINDS),
            InsightRow.superseded_by.is_(None),
        )
    ).all())


def recent_messages(session: Session, test_case_id: int, n: int = 3, width: int = 160) -> tuple[str, ...]:
    """Up to ``n`` distinct failure messages of a test, newest first: first line, at most ``width`` chars."""
    rows = session.execute(
        select(TestResult.failure_type, TestResult.message, TestResult.stack)
        .where(TestResult.test_case_id == test_case_id, TestResult.outcome.in_(("failed", "error")))
        .order_by(TestResult.id.desc())
        .limit(50)
    )
    out: list[str] = []
    for ftype, message, stack in rows:
        text = next((ln.strip() for ln in (message or stack or "").splitlines() if ln.strip()), "")
        if ftype and ftype not in text:
            text = f"{ftype}: {text}" if text else ftype
        text = text if len(text) <= width else text[: width - 3] + "..."
        if text and text not in out:
            out.append(text)
        if len(out) >= n:
            break
    return tuple(out)


def quarantined_tests(session: Session) -> list[QuarantinedTest]:
    """Tests currently quarantined, most likely flaky first."""
    stmt = (
        select(FlakyTestState, TestCase)
        .join(TestCase, TestCase.id == FlakyTestState.test_case_id)
        .where(FlakyTestState.state == LifecycleState.QUARANTINED.value)
        .order_by(FlakyTestState.probability.desc(), TestCase.identity)
    )
    return [
        QuarantinedTest(
            tc.identity,
            pytest_node_id(tc.identity, tc.file, tc.classname, tc.name),
            st.state,
            st.probability,
            st.category,
            st.quarantined_at,
            tc.classname,
            tc.name,
        )
        for st, tc in session.execute(stmt)
    ]


def ever_analysed(session: Session) -> bool:
    """Whether the flaky analysis ever ran for the scoped project (a flaky/broken insight or a state)."""
    found = session.scalars(select(InsightRow.id).where(InsightRow.kind.in_(KINDS)).limit(1)).first()
    if found is None:
        found = session.scalars(select(FlakyTestState.id).limit(1)).first()
    return found is not None


def flagged(session: Session, identities: Sequence[str]) -> tuple[set[str], set[str]]:
    """(tests with a current flaky verdict or a flaky lifecycle state, tests with a current broken
    verdict) among ``identities``."""
    flaky: set[str] = set()
    broken: set[str] = set()
    ids = list(identities)
    flaky_states = sorted(s.value for s in FLAKY_STATES)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for kind, subject, data in session.execute(
            select(InsightRow.kind, InsightRow.subject_id, InsightRow.data).where(
                InsightRow.kind.in_(KINDS),
                InsightRow.subject_type == SubjectType.TEST.value,
                InsightRow.superseded_by.is_(None),
                InsightRow.subject_id.in_(chunk),
            )
        ):
            if kind == InsightKind.BROKEN_TEST.value:
                broken.add(subject)
            elif (data or {}).get("verdict") == Verdict.FLAKY.value:
                flaky.add(subject)
        flaky.update(
            session.scalars(
                select(TestCase.identity)
                .join(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
                .where(FlakyTestState.state.in_(flaky_states), TestCase.identity.in_(chunk))
            )
        )
    return flaky, broken


def quarantined_results(session: Session, run_ids: Sequence[int], limit: int = 200) -> list[QuarantinedResult]:
    """Quarantined tests that passed in the runs ``run_ids`` and failed in none of them."""
    passed = func.max(case((TestResult.outcome == Outcome.PASSED.value, 1), else_=0))
    failed = func.max(case((TestResult.outcome.in_((Outcome.FAILED.value, Outcome.ERROR.value)), 1), else_=0))
    rows = session.execute(
        select(TestCase.id, TestCase.identity, func.max(TestResult.id), FlakyTestState.consecutive_passes,
               FlakyTestState.quarantined_at)
        .join(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
        .join(TestResult, TestResult.test_case_id == TestCase.id)
        .where(FlakyTestState.state == LifecycleState.QUARANTINED.value, TestResult.run_id.in_(list(run_ids)))
        .group_by(TestCase.id, TestCase.identity, FlakyTestState.consecutive_passes, FlakyTestState.quarantined_at)
        .having(passed == 1, failed == 0)
        .order_by(TestCase.identity)
        .limit(limit)
    ).all()
    return [QuarantinedResult(tid, name, rid, passes or 0, at) for tid, name, rid, passes, at in rows]
