"""Evaluate the gate for one build: queries → algo → GATE_VERDICT insight; and a build's CI metrics.

The only module of the gate another capability or a use case imports. Never commits: the caller
owns the transaction. The unified diff (for changed-line coverage and the small-change rule) is
passed in as text (:func:`argus.ingest.git.gitcmd.merge_base_diff` produces it from a checkout).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from argus.analysis.gates.algo import evaluate, fold_base_failures
from argus.analysis.gates.diff import changed_line_coverage, low_coverage, parse_unified_diff
from argus.analysis.gates.flaky_status import known_flaky, quarantined_passes
from argus.analysis.gates.insights import gate_insight
from argus.analysis.gates.queries import (
    build_metrics,
    coverage_lines,
    current_details,
    find_build_runs,
    latest_gate_verdict,
    retry_count,
)
from argus.analysis.gates.queries_baseline import base_failure_history, baseline_builds
from argus.analysis.gates.readmodels import BaselineReadModel, CiMetrics, GateOutcome
from argus.analysis.gates.schemas import (
    BuildMetrics,
    FileChange,
    GateInput,
    GateParams,
    GateResult,
    RuleMode,
)
from argus.core.clock import utcnow
from argus.core.settings import GateSettings
from argus.store.models import Project

__all__ = [
    "GateOutcome",
    "baseline_for",
    "collect_ci_metrics",
    "current_baseline",
    "gate_baseline",
    "params_from_settings",
    "record_gate",
    "run_gate",
]


def params_from_settings(gs: GateSettings) -> GateParams:
    from argus.core.settings import derive

    return derive(GateParams, gs, modes={k: RuleMode(v) for k, v in gs.rules.items()})


def run_gate(
    session: Session,
    project: Project,
    gs: GateSettings,
    *,
    commit: str | None = None,
    ci_run_id: str | None = None,
    branch: str | None = None,
    diff_text: str | None = None,
) -> GateOutcome:
    """Evaluate the gate for the build named by ``ci_run_id`` or ``commit`` (nothing is written)."""
    params = params_from_settings(gs)
    key, runs = find_build_runs(session, commit=commit, ci_run_id=ci_run_id, branch=branch)
    current = build_metrics(session, key, runs)
    baseline = baseline_for(session, project, params, current)
    details = current_details(session, current)
    flaky = known_flaky(session, [f.name for f in details.failures] + list(details.retried))
    on_base = fold_base_failures(base_failure_history(
        session, project.default_branch, [f.test_case_id for f in details.failures],
        before=current.started_at, exclude_commit=current.commit_sha,
    ))
    failures = tuple(
        dataclasses.replace(
            f, known_flaky=None if flaky is None else f.name in flaky, already_failing=on_base.get(f.test_case_id)
        )
        for f in details.failures
    )
    newly = tuple(t for t in details.retried if flaky is None or t not in flaky)
    changes: list[FileChange] = parse_unified_diff(diff_text) if diff_text is not None else []
    changed_lines = sum(c.added + c.deleted for c in changes) if diff_text is not None else None
    cov = coverage_lines(session, current.coverage_report_id) if current.coverage_report_id else {}
    changed_cov = changed_line_coverage(changes, cov) if diff_text is not None and cov else None
    inp = GateInput(
        current=current,
        baseline=tuple(baseline),
        current_vulns=details.vulns,
        failures=failures,
        retried_tests=newly,
        flaky_status_known=flaky is not None,
        changed_lines=changed_lines,
        changed_coverage=changed_cov,
    )
    result = evaluate(inp, params)
    return GateOutcome(
        project=project.slug,
        default_branch=project.default_branch,
        build=current,
        baseline_builds=tuple(baseline),
        result=result,
        params=params,
        failures=failures,
        retried=newly,
        flaky_status_known=flaky is not None,
        changed_files=tuple(changes),
        changed_lines=changed_lines,
        changed_coverage=changed_cov,
        low_coverage=low_coverage(cov, changed_cov),
        quarantined_passed=quarantined_passes(session, current.run_ids),
        vulns_in_baseline=sum(1 for v in details.vulns if v.identity in result.baseline.known_vulns)
        if result.baseline.vuln_source == "history" else None,
    )


def record_gate(session: Session, outcome: GateOutcome) -> GateOutcome:
    """Store the verdict as a GATE_VERDICT insight; returns the outcome with its ``insight_id``."""
    from argus.analysis.insights.service import save_insights

    (insight_id,) = save_insights(session, [gate_insight(outcome)])
    return dataclasses.replace(outcome, insight_id=insight_id)


def baseline_for(session: Session, project: Project, params: GateParams, build: BuildMetrics | None) -> list[BuildMetrics]:
    """The baseline builds ``build`` is judged against (``None``: a build starting now).

    The one place both ``argus gate`` and ``argus baseline`` get their baseline from.
    """
    return baseline_builds(
        session, project.default_branch, params.baseline_runs,
        before=build.started_at if build is not None else None,
        exclude_commit=build.commit_sha if build is not None else None,
    )


def current_baseline(
    session: Session,
    project: Project,
    gs: GateSettings,
    *,
    commit: str | None = None,
    ci_run_id: str | None = None,
) -> tuple[list[BuildMetrics], GateResult]:
    """The baseline the build named by ``commit``/``ci_run_id`` is judged against (none named: a build
    starting now), for review and export.

    Returns the baseline builds and a gate result of an empty build (only its ``baseline`` and
    ``notes`` are meaningful).
    """
    params = params_from_settings(gs)
    build = None
    if commit is not None or ci_run_id is not None:
        key, runs = find_build_runs(session, commit=commit, ci_run_id=ci_run_id)
        build = build_metrics(session, key, runs)
    builds = baseline_for(session, project, params, build)
    empty = BuildMetrics(key="(baseline)", run_ids=())
    return builds, evaluate(GateInput(current=empty, baseline=tuple(builds)), params)


def gate_baseline(
    session: Session,
    project: Project,
    gs: GateSettings,
    *,
    commit: str | None = None,
    ci_run_id: str | None = None,
) -> BaselineReadModel:
    """:func:`current_baseline` as the read model ``argus baseline`` renders."""
    builds, result = current_baseline(session, project, gs, commit=commit, ci_run_id=ci_run_id)
    return BaselineReadModel(project.slug, project.default_branch, tuple(builds), result)


def collect_ci_metrics(
    session: Session, project: str, *, commit: str | None = None, ci_run_id: str | None = None
) -> CiMetrics:
    """CI metrics of the build named by ``ci_run_id`` or ``commit`` (see :class:`CiMetrics`)."""
    key, runs = find_build_runs(session, commit=commit, ci_run_id=ci_run_id)
    b = build_metrics(session, key, runs)
    details = current_details(session, b)
    retries = retry_count(session, b.run_ids)
    job_reruns = sum(max(0, r.ci_attempt - 1) for r in runs)
    finished = [r.finished_at for r in runs if r.finished_at is not None]
    duration = (max(finished) - min(r.started_at for r in runs)).total_seconds() if finished else None
    statuses = {
        "test": "missing" if b.tests is None else ("failure" if details.failures else "success"),
        "coverage": "missing" if b.coverage_pct is None else "success",
        "vulnerabilities": "missing" if b.vuln_counts is None else "success",
        "lint": "unknown",
        "gate": latest_gate_verdict(session, key) or "not_run",
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
        rerun_count=retries + job_reruns,
        vulnerabilities=dict(b.vuln_counts) if b.vuln_counts is not None else None,
        test_duration_s=b.test_duration_s,
        build_duration_s=duration,
        job_statuses=statuses,
    )
