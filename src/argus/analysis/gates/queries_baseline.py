"""Read-only SQL of the baseline: green default-branch builds, and the default-branch history of tests.

Baseline builds: the one baseline of ``argus gate`` and ``argus baseline`` (see :func:`baseline_builds`).

Already failing: per test, the default-branch builds (commits) that ran it before the build under
evaluation, folded like the gate folds a build: a build *fails* the test when every attempt in it
failed. The streak is folded in :func:`argus.analysis.gates.algo.fold_base_failures`. Aggregated in
SQL: one row per (test, commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from argus.analysis.gates.algo import baseline_complete, trim_baseline
from argus.analysis.gates.queries import FAILING, build_metrics, latest_attempts
from argus.analysis.gates.schemas import BuildMetrics
from argus.core.enums import Outcome
from argus.store.models import TestResult, TestRun


def baseline_builds(
    session: Session,
    default_branch: str,
    n: int,
    *,
    before: datetime | None,
    exclude_commit: str | None,
    scan_limit: int = 200,
) -> list[BuildMetrics]:
    """The green builds (no test failing in every attempt) on ``default_branch`` the baseline reads, newest first.

    The one baseline of ``argus gate`` and ``argus baseline``. A build is a default-branch commit
    whose first run started no later than ``before`` (so a historical build is judged against what
    preceded it); *all* its runs count, whenever their artefacts were ingested and whichever branch
    they name (none, for a coverage upload without ``--branch``) — a coverage or scan report ingested
    after the tests gets a later start time but belongs to the same build. Returned: the newest ``n``
    green builds, plus older green builds (up to ``3·n`` in all) while fewer than ``n`` of them
    measured coverage or ran a scan, so that builds with only some artefacts still give each metric
    up to ``n`` values. At most ``scan_limit`` recent default-branch commits are examined.
    """
    start = func.min(TestRun.started_at)
    stmt = (
        select(TestRun.commit_sha, start)
        .where(TestRun.branch == default_branch, TestRun.commit_sha.is_not(None))
        .group_by(TestRun.commit_sha)
        .order_by(start.desc(), TestRun.commit_sha)
        .limit(scan_limit)
    )
    if before is not None:
        stmt = stmt.having(start <= before)
    if exclude_commit is not None:
        stmt = stmt.where(TestRun.commit_sha != exclude_commit)
    commits: list[str] = [c for c, _ in session.execute(stmt).all() if c]
    green: list[BuildMetrics] = []
    batch = max(2 * n, 10)
    for i in range(0, len(commits), batch):  # newest first; stop as soon as every metric has n builds
        chunk = commits[i : i + batch]
        runs_by_commit: dict[str, list[TestRun]] = {}
        q = select(TestRun).where(
            TestRun.commit_sha.in_(chunk), or_(TestRun.branch == default_branch, TestRun.branch.is_(None))
        )
        for r in session.scalars(q):
            runs_by_commit.setdefault(r.commit_sha or "", []).append(r)
        latest = {c: latest_attempts(rs) for c, rs in runs_by_commit.items()}
        red = _red_commits(session, [r.id for rs in latest.values() for r in rs])
        for c in chunk:
            if c in latest and c not in red:
                green.append(build_metrics(session, c, latest[c], green=True))
                if baseline_complete(green, n):
                    return trim_baseline(green, n)
    return trim_baseline(green, n)


def _red_commits(session: Session, run_ids: Sequence[int]) -> set[str]:
    """Commits among ``run_ids``' runs with a test that failed in every attempt (all of a commit's runs
    must be in ``run_ids``, so that a retry in another run is seen).

    Only commits with at least one failing result are grouped per test (most builds have none).
    """
    if not run_ids:
        return set()
    suspects = [
        r for r in session.scalars(
            select(TestResult.run_id).where(TestResult.run_id.in_(run_ids), TestResult.outcome.in_(FAILING)).distinct()
        )
    ]
    if not suspects:
        return set()
    commits = set(session.scalars(select(TestRun.commit_sha).where(TestRun.id.in_(suspects))))
    runs = [r for r in session.scalars(select(TestRun.id).where(TestRun.id.in_(run_ids), TestRun.commit_sha.in_(commits)))]
    passed = func.max(case((TestResult.outcome == Outcome.PASSED.value, 1), else_=0))
    failed = func.max(case((TestResult.outcome.in_(FAILING), 1), else_=0))
    rows = session.execute(
        select(TestRun.commit_sha)
        .join(TestResult, TestResult.run_id == TestRun.id)
        .where(TestResult.run_id.in_(runs))
        .group_by(TestRun.commit_sha, TestResult.test_case_id)
        .having(failed == 1, passed == 0)
    ).all()
    return {c or "" for (c,) in rows}


def base_failure_history(
    session: Session,
    default_branch: str,
    test_ids: Sequence[int],
    *,
    before: datetime | None,
    exclude_commit: str | None,
) -> dict[int, list[tuple[datetime, str, bool]]]:
    """Test id → its default-branch builds before the build under evaluation, as (first start, commit,
    failed in every attempt); builds where it was only skipped are left out (they say nothing)."""
    if not test_ids:
        return {}
    start = func.min(TestRun.started_at).label("start")
    passed = func.max(case((TestResult.outcome == Outcome.PASSED.value, 1), else_=0)).label("p")
    failed = func.max(case((TestResult.outcome.in_(FAILING), 1), else_=0)).label("f")
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
    return history
