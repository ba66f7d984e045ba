"""What a front door renders of the gate: the gate outcome, the baseline, the CI metrics of a build.

Frozen values; the renderings (Markdown, JSON ``argus.gate/v1``, ``argus.quality-baseline/v1``,
``argus.ci-metrics/v1``, terminal) are in :mod:`argus.report.gate` and :mod:`argus.report.ci_metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from argus.analysis.gates.schemas import (
    BuildMetrics,
    ChangedLineCoverage,
    FileChange,
    GateParams,
    GateResult,
    LowCoverage,
    QuarantinedPass,
    TestFailure,
    Verdict,
)


@dataclass(frozen=True)
class NeededTest:
    """A test the change needs (from test selection): id, estimated failure probability, first reason."""

    __test__ = False

    test: str
    score: float
    reason: str


@dataclass(frozen=True)
class TestsNeeded:
    """"Tests this change needs" in the PR report: the selection made for the build's diff."""

    __test__ = False

    tests: tuple[NeededTest, ...]
    total: int
    mode: str
    estimated_miss: float
    uncovered: tuple[str, ...] = ()
    insight_id: int | None = None


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
    tests_needed: TestsNeeded | None = None  # None: no coverage map or no diff


@dataclass(frozen=True)
class CiMetrics:
    """CI metrics of one build (seed 004, S4-21/S4-22): coverage, tests, flakiness, reruns,
    vulnerabilities, timing.

    ``rerun_count`` = test retries inside the build's runs (attempts after the first) + job re-runs
    (CI attempts after the first); ``build_duration_s`` = last finish − first start of the build's
    runs when finish times are known; queue time is not observable from reports and is always ``None``.
    """

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


@dataclass(frozen=True)
class GateReadModel:
    """What ``argus gate`` shows: the outcome, the build's CI metrics when asked for, and notes on
    what could not be checked (e.g. no diff: changed-line checks skipped)."""

    outcome: GateOutcome
    metrics: CiMetrics | None = None
    notes: tuple[str, ...] = ()

    def blocks(self, fail_on: str) -> bool:
        """Whether the verdict fails the CI job: FAIL, or WARN too with ``fail_on == "warn"``."""
        verdict = self.outcome.result.verdict
        return verdict is Verdict.FAIL or (fail_on == "warn" and verdict is Verdict.WARN)


@dataclass(frozen=True)
class BaselineReadModel:
    """The rolling baseline a build is judged against (``argus baseline``): its builds, and a gate
    result of an empty build whose ``baseline`` and ``notes`` are meaningful."""

    project: str
    default_branch: str
    builds: tuple[BuildMetrics, ...]
    result: GateResult
