"""CI metrics of one build (seed 004, S4-21/S4-22): coverage, tests, flakiness, reruns, vulnerabilities, timing.

``rerun_count`` = test retries inside the build's runs (attempts after the first) + job re-runs
(CI attempts after the first); ``build_duration_s`` = last finish − first start of the build's runs
when finish times are known; queue time is not observable from reports and is always ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.analysis.gates.builds import build_metrics, current_details, find_build_runs
from argus.core.clock import utcnow
from argus.core.enums import InsightKind, SubjectType
from argus.store.models import InsightRow, TestResult


@dataclass(frozen=True)
class CiMetrics:
    timestamp: datetime
    project: str
    build: str
    workflow_run_id: str | None
    commit: str | None
    branch: str | None
    coverage_pct: float | None
    tests: int | None
    failed_tests: int
    flaky_tests: int
    has_flaky_tests: bool
    rerun_count: int
    vulnerabilities: dict[str, int] | None
    test_duration_s: float | None
    build_duration_s: float | None
    queue_time_s: float | None = None
    ai_fix_confidence: float | None = None
    job_statuses: dict[str, str] = field(default_factory=dict)


def collect_ci_metrics(
    session: Session, project: str, *, commit: str | None = None, ci_run_id: str | None = None
) -> CiMetrics:
    key, runs = find_build_runs(session, commit=commit, ci_run_id=ci_run_id)
    b = build_metrics(session, key, runs)
    details = current_details(session, b)
    retries = session.scalar(
        select(func.count()).select_from(TestResult).where(TestResult.run_id.in_(b.run_ids), TestResult.attempt > 0)
    ) or 0
    job_reruns = sum(max(0, r.ci_attempt - 1) for r in runs)
    finished = [r.finished_at for r in runs if r.finished_at is not None]
    duration = (max(finished) - min(r.started_at for r in runs)).total_seconds() if finished else None
    verdict = session.scalars(
        select(InsightRow.data).where(
            InsightRow.kind == InsightKind.GATE_VERDICT.value,
            InsightRow.subject_type == SubjectType.BUILD.value,
            InsightRow.subject_id == key,
            InsightRow.superseded_by.is_(None),
        ).order_by(InsightRow.id.desc()).limit(1)
    ).first()
    statuses = {
        "test": "missing" if b.tests is None else ("failure" if details.failures else "success"),
        "coverage": "missing" if b.coverage_pct is None else "success",
        "vulnerabilities": "missing" if b.vuln_counts is None else "success",
        "lint": "unknown",
        "gate": str(verdict.get("verdict")) if isinstance(verdict, dict) and verdict.get("verdict") else "not_run",
    }
    run_id = next((r.ci_run_id for r in runs if r.ci_run_id), None)
    return CiMetrics(
        timestamp=utcnow(),
        project=project,
        build=key,
        workflow_run_id=run_id,
        commit=b.commit_sha,
        branch=b.branch,
        coverage_pct=b.coverage_pct,
        tests=b.tests,
        failed_tests=len(details.failures),
        flaky_tests=len(details.retried),
        has_flaky_tests=bool(details.retried),
        rerun_count=int(retries) + job_reruns,
        vulnerabilities=dict(b.vuln_counts) if b.vuln_counts is not None else None,
        test_duration_s=b.test_duration_s,
        build_duration_s=duration,
        job_statuses=statuses,
    )
