"""Evaluate the gate for one build: store → builds and baseline → algo → GATE_VERDICT insight.

Never commits: the caller owns the transaction. The unified diff (for changed-line coverage and the
small-change rule) is passed in as text; :func:`git_diff` produces it from a checkout.
"""

from __future__ import annotations

import dataclasses
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.gates.algo import evaluate
from argus.analysis.gates.base_failures import base_failures
from argus.analysis.gates.builds import baseline_builds, build_metrics, current_details, find_build_runs
from argus.analysis.gates.diff import changed_line_coverage, parse_unified_diff
from argus.analysis.gates.flaky_status import known_flaky, quarantined_passes
from argus.analysis.gates.schemas import (
    BuildMetrics,
    ChangedLineCoverage,
    FileChange,
    GateInput,
    GateParams,
    GateResult,
    QuarantinedPass,
    RuleMode,
    TestFailure,
)
from argus.core.errors import InputError
from argus.core.settings import GateSettings
from argus.ingest.coverage.schemas import decode_ranges, ranges_of
from argus.store.models import CoverageFile, Project

_GIT_TIMEOUT_S = 30.0


def params_from_settings(gs: GateSettings) -> GateParams:
    from argus.core.settings import derive

    return derive(GateParams, gs, modes={k: RuleMode(v) for k, v in gs.rules.items()})


@dataclass(frozen=True)
class LowCoverage:
    """Uncovered line ranges of one file, for the report's action items."""

    path: str
    ranges: tuple[tuple[int, int], ...]
    changed: bool  # ranges are lines the diff added (else the file's largest uncovered ranges)


@dataclass(frozen=True)
class GateOutcome:
    project: str
    default_branch: str
    build: BuildMetrics
    baseline_builds: tuple[BuildMetrics, ...]
    result: GateResult
    params: GateParams
    failures: tuple[TestFailure, ...]
    retried: tuple[str, ...]
    flaky_status_known: bool
    changed_files: tuple[FileChange, ...]
    changed_lines: int | None
    changed_coverage: ChangedLineCoverage | None
    low_coverage: tuple[LowCoverage, ...]
    insight_id: int | None = None
    quarantined_passed: tuple[QuarantinedPass, ...] = ()
    vulns_in_baseline: int | None = None  # current findings also found by a baseline scan (None: no baseline scan)


def git_diff(repo: Path, base: str, head: str | None) -> str:
    """``git diff -U0 base...head`` (merge-base diff, as a PR shows it) of the checkout at ``repo``."""
    spec = f"{base}...{head or 'HEAD'}"
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "diff", "--no-color", "--no-ext-diff", "-U0", spec],
            capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"git diff {spec} in {repo}: {exc}") from None
    if out.returncode != 0:
        raise InputError(f"git diff {spec} in {repo} failed: {out.stderr.strip() or out.returncode}")
    return out.stdout


def _coverage_lines(session: Session, report_id: int) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
    rows = session.execute(
        select(CoverageFile.path, CoverageFile.covered_lines, CoverageFile.missing_lines).where(
            CoverageFile.report_id == report_id
        )
    ).all()
    return {p: (decode_ranges(c), decode_ranges(m)) for p, c, m in rows}


def _low_coverage(
    cov: dict[str, tuple[frozenset[int], frozenset[int]]], changed: ChangedLineCoverage | None, limit: int = 5
) -> tuple[LowCoverage, ...]:
    if changed is not None and changed.uncovered:
        by_file: dict[str, list[tuple[int, int]]] = {}
        for path, a, b in changed.uncovered:
            by_file.setdefault(path, []).append((a, b))
        return tuple(LowCoverage(p, tuple(r), True) for p, r in list(by_file.items())[:limit])
    worst = sorted(cov.items(), key=lambda kv: (-len(kv[1][1]), kv[0]))
    out = []
    for path, (_, missing) in worst[:limit]:
        if not missing:
            break
        runs = sorted(ranges_of(missing), key=lambda r: (r[0] - r[1], r[0]))[:3]
        out.append(LowCoverage(path, tuple(sorted(runs)), False))
    return tuple(out)


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
    on_base = base_failures(
        session, project.default_branch, [f.test_case_id for f in details.failures],
        before=current.started_at, exclude_commit=current.commit_sha,
    )
    failures = tuple(
        dataclasses.replace(
            f, known_flaky=None if flaky is None else f.name in flaky, already_failing=on_base.get(f.test_case_id)
        )
        for f in details.failures
    )
    newly = tuple(t for t in details.retried if flaky is None or t not in flaky)
    changes: list[FileChange] = parse_unified_diff(diff_text) if diff_text is not None else []
    changed_lines = sum(c.added + c.deleted for c in changes) if diff_text is not None else None
    cov = _coverage_lines(session, current.coverage_report_id) if current.coverage_report_id else {}
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
        low_coverage=_low_coverage(cov, changed_cov),
        quarantined_passed=quarantined_passes(session, current.run_ids),
        vulns_in_baseline=sum(1 for v in details.vulns if v.identity in result.baseline.known_vulns)
        if result.baseline.vuln_source == "history" else None,
    )


def record_gate(session: Session, outcome: GateOutcome) -> GateOutcome:
    """Store the verdict as a GATE_VERDICT insight; returns the outcome with its ``insight_id``."""
    from argus.analysis.gates.insight import gate_insight
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
