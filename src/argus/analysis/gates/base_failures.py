"""Which of a build's failing tests were already failing on the default branch, and since when.

Per test, the default-branch builds (commits) that ran it before the build under evaluation are
folded like the gate folds a build: a build *fails* the test when every attempt in it failed. The
test is already failing when the newest such build fails it; "since" is the oldest build of that
unbroken failing streak, and "since at least" when the streak reaches the first build Argus has of
the test (it may have failed before Argus saw it). Aggregated in SQL: one row per (test, commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from argus.analysis.gates.schemas import BaseFailure
from argus.core.enums import Outcome
from argus.store.models import TestResult, TestRun

_FAILING = (Outcome.FAILED.value, Outcome.ERROR.value)


def base_failures(
    session: Session,
    default_branch: str,
    test_ids: Sequence[int],
    *,
    before: datetime | None,
    exclude_commit: str | None,
) -> dict[int, BaseFailure]:
    """Test id → how it was already failing on ``default_branch`` (only tests that were)."""
    if not test_ids:
        return {}
    start = func.min(TestRun.started_at).label("start")
    passed = func.max(case((TestResult.outcome == Outcome.PASSED.value, 1), else_=0)).label("p")
    failed = func.max(case((TestResult.outcome.in_(_FAILING), 1), else_=0)).label("f")
    stmt = (
        select(TestResult.test_case_id, TestRun.commit_sha, start, passed, failed)
        .join(TestRun, TestRun.id == TestResult.run_id)
        .where(
            TestResult.test_case_id.in_(list(test_ids)),
            or_(TestRun.branch == default_branch, TestRun.branch.is_(None)),
            TestRun.commit_sha.in_(select(TestRun.commit_sha).where(TestRun.branch == default_branch)),
        )
        .group_by(TestResult.test_case_id, TestRun.commit_sha)
    )
    if exclude_commit is not None:
        stmt = stmt.where(TestRun.commit_sha != exclude_commit)
    if before is not None:
        stmt = stmt.having(start <= before)
    history: dict[int, list[tuple[datetime, str, bool]]] = {}
    for tid, commit, first, p, f in session.execute(stmt).all():
        if p or f:  # skipped-only builds say nothing
            history.setdefault(tid, []).append((first, commit, bool(f) and not p))
    out: dict[int, BaseFailure] = {}
    for tid, builds in history.items():
        builds.sort(reverse=True)  # newest first
        streak = 0
        for _, _, failing in builds:
            if not failing:
                break
            streak += 1
        if streak == 0:
            continue
        since_at, since, _ = builds[streak - 1]
        out[tid] = BaseFailure(since, since_at, streak == len(builds), streak, builds[0][1])
    return out
