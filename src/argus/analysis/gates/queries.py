"""Read-only SQL of the gate: the build under evaluation, its details, coverage lines, CI-metric counts.

The baseline (green default-branch builds, tests already failing there) is read in
:mod:`argus.analysis.gates.queries_baseline`. Nothing here writes.

A *build* is the CI runs of one commit (or of one CI run id): several jobs (tests, coverage, scan)
each store their own :class:`TestRun`. Within a build, a retried job counts by its latest attempt; a
test *fails* in a build when every attempt of it failed, and is *retried* when it failed and then passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from argus.analysis.gates.schemas import BuildMetrics, CurrentDetails, TestFailure, VulnItem
from argus.core.enums import InsightKind, Outcome, SubjectType
from argus.core.errors import NotFoundError
from argus.ingest.coverage import decode_ranges
from argus.store.models import (
    CoverageFile,
    CoverageReport,
    FailureCluster,
    InsightRow,
    TestCase,
    TestResult,
    TestRun,
    VulnFinding,
    VulnReport,
)

FAILING = (Outcome.FAILED.value, Outcome.ERROR.value)


def latest_attempts(runs: Sequence[TestRun]) -> list[TestRun]:
    """One run per CI job: the latest attempt (runs without a CI identity are all kept)."""
    best: dict[tuple[str | None, str | None, str | None], TestRun] = {}
    loose: list[TestRun] = []
    for r in runs:
        if r.ci_run_id is None:
            loose.append(r)
            continue
        key = (r.ci_provider, r.ci_run_id, r.ci_job)
        cur = best.get(key)
        if cur is None or (r.ci_attempt, r.id) > (cur.ci_attempt, cur.id):
            best[key] = r
    return sorted([*best.values(), *loose], key=lambda r: r.id)


def find_build_runs(
    session: Session, *, commit: str | None = None, ci_run_id: str | None = None, branch: str | None = None
) -> tuple[str, list[TestRun]]:
    """The runs of the build named by a CI run id (else an Argus run id) or by a commit (full or prefix),
    restricted to ``branch`` when given."""
    key, runs = _find_build_runs(session, commit=commit, ci_run_id=ci_run_id)
    if branch is not None:
        runs = [r for r in runs if r.branch == branch]
        if not runs:
            raise NotFoundError(f"build {key[:12]} has no run on branch {branch!r}")
    return key, runs


def _find_build_runs(
    session: Session, *, commit: str | None = None, ci_run_id: str | None = None
) -> tuple[str, list[TestRun]]:
    if ci_run_id is not None:
        runs = list(session.scalars(select(TestRun).where(TestRun.ci_run_id == ci_run_id).order_by(TestRun.id)))
        if not runs and ci_run_id.isdigit():
            runs = list(session.scalars(select(TestRun).where(TestRun.id == int(ci_run_id))))
        if not runs:
            raise NotFoundError(f"no ingested run with CI run id {ci_run_id!r} in this project")
        commits = {r.commit_sha for r in runs}
        key = next(iter(commits)) if len(commits) == 1 and None not in commits else f"run {ci_run_id}"
        return str(key), latest_attempts(runs)
    if commit is None:
        raise NotFoundError("no build named: give --commit or --run-id, or run inside CI")
    runs = list(session.scalars(select(TestRun).where(TestRun.commit_sha == commit).order_by(TestRun.id)))
    if not runs and len(commit) >= 4:
        runs = list(session.scalars(
            select(TestRun).where(TestRun.commit_sha.like(f"{commit}%")).order_by(TestRun.id)
        ))
        if len({r.commit_sha for r in runs}) > 1:
            raise NotFoundError(f"commit prefix {commit!r} is ambiguous: give more characters")
    if not runs:
        raise NotFoundError(f"no ingested run for commit {commit!r} in this project")
    return runs[0].commit_sha or commit, latest_attempts(runs)


def _per_test(run_ids: Sequence[int]) -> Any:
    """Subquery: one row per test of the runs with ``p`` (any attempt passed) and ``f`` (any failed)."""
    passed = func.max(case((TestResult.outcome == Outcome.PASSED.value, 1), else_=0)).label("p")
    failed = func.max(case((TestResult.outcome.in_(FAILING), 1), else_=0)).label("f")
    return (
        select(TestResult.test_case_id.label("tc"), passed, failed)
        .where(TestResult.run_id.in_(run_ids))
        .group_by(TestResult.test_case_id)
        .subquery()
    )


def _test_counts(session: Session, run_ids: Sequence[int]) -> tuple[int, int]:
    """(distinct tests, tests failing in every attempt) of the runs, aggregated in SQL."""
    if not run_ids:
        return 0, 0
    sub = _per_test(run_ids)
    failing = func.sum(case(((sub.c.f == 1) & (sub.c.p == 0), 1), else_=0))
    n, bad = session.execute(select(func.count(), failing).select_from(sub)).one()
    return int(n or 0), int(bad or 0)


def _test_status(session: Session, run_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """(test ids failing in every attempt, test ids failed-then-passed) of the runs."""
    if not run_ids:
        return [], []
    sub = _per_test(run_ids)
    rows = session.execute(select(sub.c.tc, sub.c.p, sub.c.f).where(sub.c.f == 1)).all()
    return [tc for tc, p, _ in rows if not p], [tc for tc, p, _ in rows if p]


def build_metrics(session: Session, key: str, runs: Sequence[TestRun], *, green: bool = False) -> BuildMetrics:
    """Coverage (latest report), vulnerability counts and identities (latest scan), tests and duration.

    ``green=True`` (a baseline build, known to have no failing test) takes the test count from the
    runs' counters instead of aggregating results.
    """
    ids = [r.id for r in runs]
    cov = session.scalars(
        select(CoverageReport).where(CoverageReport.run_id.in_(ids)).order_by(CoverageReport.id.desc()).limit(1)
    ).first()
    scan = session.scalars(
        select(VulnReport).where(VulnReport.run_id.in_(ids)).order_by(VulnReport.id.desc()).limit(1)
    ).first()
    identities: frozenset[str] = frozenset()
    counts: dict[str, int] | None = None
    if scan is not None:
        identities = frozenset(session.scalars(select(VulnFinding.identity).where(VulnFinding.report_id == scan.id)))
        counts = {s: int(getattr(scan, s)) for s in ("critical", "high", "medium", "low", "unknown")}
    if green:
        n_tests, n_failing = sum(r.tests for r in runs), 0
    else:
        n_tests, n_failing = _test_counts(session, ids)
    with_tests = [r for r in runs if r.tests]
    return BuildMetrics(
        key=key,
        run_ids=tuple(ids),
        commit_sha=next((r.commit_sha for r in runs if r.commit_sha), None),
        branch=next((r.branch for r in runs if r.branch), None),
        started_at=min((r.started_at for r in runs), default=None),
        coverage_pct=cov.line_pct if cov is not None else None,
        coverage_report_id=cov.id if cov is not None else None,
        vuln_report_id=scan.id if scan is not None else None,
        vuln_counts=counts,
        vuln_identities=identities,
        tests=n_tests if n_tests else None,
        test_duration_s=sum(r.duration_s for r in with_tests) if with_tests else None,
        failed_tests=n_failing,
    )


def current_details(session: Session, build: BuildMetrics, max_failures: int = 200) -> CurrentDetails:
    """Failing tests (with their latest failing result and its failure cluster), retried tests, findings."""
    failing, retried = _test_status(session, build.run_ids)
    failures: list[TestFailure] = []
    if failing:
        rows = session.execute(
            select(TestResult.id, TestResult.test_case_id, TestCase.identity, TestResult.message,
                   TestResult.cluster_id, FailureCluster.template)
            .join(TestCase, TestCase.id == TestResult.test_case_id)
            .outerjoin(FailureCluster, FailureCluster.id == TestResult.cluster_id)
            .where(TestResult.run_id.in_(build.run_ids), TestResult.test_case_id.in_(failing[:max_failures]))
            .order_by(TestResult.id)
        ).all()
        latest = {tc: (rid, ident, msg, cid, tpl) for rid, tc, ident, msg, cid, tpl in rows}
        for tc, (rid, ident, msg, cid, tpl) in sorted(latest.items(), key=lambda kv: kv[1][1]):
            failures.append(TestFailure(tc, ident, rid, (msg or "")[:500] or None, cid, tpl))
    names = (
        list(session.scalars(select(TestCase.identity).where(TestCase.id.in_(retried[:max_failures]))))
        if retried else []
    )
    vulns: tuple[VulnItem, ...] = ()
    if build.vuln_report_id is not None:
        vulns = tuple(
            VulnItem(f.identity, f.canonical_id, f.package, f.severity, f.installed_version, f.fixed_version, f.title)
            for f in session.scalars(
                select(VulnFinding).where(VulnFinding.report_id == build.vuln_report_id).order_by(VulnFinding.id)
            )
        )
    return CurrentDetails(tuple(failures), tuple(sorted(names)), tuple(retried), vulns)


def coverage_lines(session: Session, report_id: int) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
    """Path → (covered lines, missing lines) of one coverage report."""
    rows = session.execute(
        select(CoverageFile.path, CoverageFile.covered_lines, CoverageFile.missing_lines).where(
            CoverageFile.report_id == report_id
        )
    ).all()
    return {p: (decode_ranges(c), decode_ranges(m)) for p, c, m in rows}


def retry_count(session: Session, run_ids: Sequence[int]) -> int:
    """Test attempts after the first in the runs (retries inside the build's jobs)."""
    return int(session.scalar(
        select(func.count()).select_from(TestResult).where(TestResult.run_id.in_(run_ids), TestResult.attempt > 0)
    ) or 0)


def latest_gate_verdict(session: Session, build_key: str) -> str | None:
    """The verdict of the current GATE_VERDICT insight of the build, if the gate was recorded for it."""
    data = session.scalars(
        select(InsightRow.data).where(
            InsightRow.kind == InsightKind.GATE_VERDICT.value,
            InsightRow.subject_type == SubjectType.BUILD.value,
            InsightRow.subject_id == build_key,
            InsightRow.superseded_by.is_(None),
        ).order_by(InsightRow.id.desc()).limit(1)
    ).first()
    return str(data.get("verdict")) if isinstance(data, dict) and data.get("verdict") else None
