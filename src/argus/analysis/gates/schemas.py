"""Typed inputs and outputs of the quality gate (plain values, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RuleMode(StrEnum):
    BLOCK = "block"  # a triggered rule fails the gate
    WARN = "warn"  # a triggered rule only warns
    OFF = "off"  # not evaluated


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


class RuleStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


class Rule(StrEnum):
    COVERAGE_DROP = "coverage_drop"
    NEW_HIGH = "new_high"
    NEW_CRITICAL = "new_critical"
    MAX_HIGH = "max_high"
    MAX_CRITICAL = "max_critical"
    MIN_COVERAGE = "min_coverage"
    NEW_FAILURES = "new_failures"
    ALREADY_FAILING = "already_failing"
    NEWLY_FLAKY = "newly_flaky"
    DURATION = "duration"
    CHANGED_LINES = "changed_lines"


@dataclass(frozen=True)
class GateParams:
    """Thresholds of the gate (defaults are the seed's; see docs/analysis/gate.md).

    Comparisons are strict: a coverage drop of exactly ``delta_coverage`` points passes, one of more
    fails; ``delta_vuln_high`` new HIGH pass, one more fails.
    """

    baseline_runs: int = 10
    aggregate: str = "median"
    default_coverage: float | None = None  # None: with no coverage history there is no regression to measure
    default_high: int = 0
    default_critical: int = 0
    delta_coverage: float = 5.0
    delta_vuln_high: int = 3
    delta_vuln_critical: int = 1
    vuln_gating: bool = False
    max_high: int = 10
    max_critical: int = 2
    min_coverage: float | None = None  # None: no absolute floor (opt-in per project)
    changed_lines_min_pct: float = 80.0
    small_change_lines: int = 20
    duration_regression_pct: float = 25.0
    duration_min_s: float = 10.0
    modes: Mapping[str, RuleMode] = field(default_factory=dict)

    def mode(self, rule: Rule) -> RuleMode:
        return RuleMode(self.modes.get(rule.value, _DEFAULT_MODES[rule]))


_DEFAULT_MODES = {
    Rule.COVERAGE_DROP: RuleMode.BLOCK,
    Rule.NEW_HIGH: RuleMode.BLOCK,
    Rule.NEW_CRITICAL: RuleMode.BLOCK,
    Rule.MAX_HIGH: RuleMode.BLOCK,
    Rule.MAX_CRITICAL: RuleMode.BLOCK,
    Rule.MIN_COVERAGE: RuleMode.WARN,
    Rule.NEW_FAILURES: RuleMode.BLOCK,
    Rule.ALREADY_FAILING: RuleMode.WARN,
    Rule.NEWLY_FLAKY: RuleMode.WARN,
    Rule.DURATION: RuleMode.WARN,
    Rule.CHANGED_LINES: RuleMode.WARN,
}


@dataclass(frozen=True)
class VulnItem:
    """One finding of the current build (``identity`` as stored by vulnerability ingestion)."""

    identity: str
    vuln_id: str
    package: str
    severity: str
    installed_version: str | None = None
    fixed_version: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class BuildMetrics:
    """What one build (the CI runs of one commit or one CI run id) measured.

    ``None`` means "not measured in this build" (no coverage report, no vulnerability scan, no tests).
    """

    key: str
    run_ids: tuple[int, ...]
    commit_sha: str | None = None
    branch: str | None = None
    started_at: datetime | None = None
    coverage_pct: float | None = None
    coverage_report_id: int | None = None
    vuln_report_id: int | None = None
    vuln_counts: Mapping[str, int] | None = None
    vuln_identities: frozenset[str] = frozenset()
    tests: int | None = None
    test_duration_s: float | None = None
    failed_tests: int = 0


@dataclass(frozen=True)
class BaseFailure:
    """A test already failing on the default branch before the build under evaluation.

    ``since_commit`` is the oldest default-branch build of the unbroken failing streak that reaches
    the newest default-branch build running the test; ``since_first_seen`` is true when that streak
    starts at the first build Argus has of the test (it may have failed earlier: "since at least").
    """

    since_commit: str | None
    since_at: datetime | None
    since_first_seen: bool
    builds: int  # default-branch builds in the streak
    last_commit: str | None


@dataclass(frozen=True)
class TestFailure:
    """A test that failed in every attempt of the current build."""

    __test__ = False

    test_case_id: int
    name: str
    result_id: int
    message: str | None = None
    cluster_id: int | None = None
    cluster_label: str | None = None
    known_flaky: bool | None = None  # None: flaky status unknown
    already_failing: BaseFailure | None = None  # failing on the default branch before this build


@dataclass(frozen=True)
class CurrentDetails:
    """What the gate reads of the build under evaluation beyond its metrics."""

    failures: tuple[TestFailure, ...]
    retried: tuple[str, ...]
    retried_ids: tuple[int, ...]
    vulns: tuple[VulnItem, ...]


@dataclass(frozen=True)
class QuarantinedPass:
    """A quarantined test that passed in the build (a candidate for release from quarantine)."""

    test_case_id: int
    name: str
    result_id: int
    consecutive_passes: int  # consecutive default-branch passes counted by the last flaky analysis
    quarantined_at: datetime | None = None


@dataclass(frozen=True)
class FileChange:
    """Lines of one file changed by the diff (new-side line numbers of added lines), and counts."""

    path: str
    added_lines: frozenset[int]
    added: int
    deleted: int


@dataclass(frozen=True)
class ChangedLineCoverage:
    """Coverage of the executable lines added by the diff; ``uncovered`` lists (path, first, last)."""

    executable: int
    covered: int
    uncovered: tuple[tuple[str, int, int], ...] = ()

    @property
    def pct(self) -> float | None:
        return 100.0 * self.covered / self.executable if self.executable else None


@dataclass(frozen=True)
class LowCoverage:
    """Uncovered line ranges of one file, for the report's action items."""

    path: str
    ranges: tuple[tuple[int, int], ...]
    changed: bool  # ranges are lines the diff added (else the file's largest uncovered ranges)


@dataclass(frozen=True)
class GateInput:
    current: BuildMetrics
    baseline: tuple[BuildMetrics, ...]
    current_vulns: tuple[VulnItem, ...] = ()
    failures: tuple[TestFailure, ...] = ()
    retried_tests: tuple[str, ...] = ()  # failed then passed on retry in this build
    newly_flaky: tuple[str, ...] = ()  # from flaky analysis, when available
    flaky_status_known: bool = False
    changed_lines: int | None = None  # added + deleted lines of the diff; None when no diff was given
    changed_coverage: ChangedLineCoverage | None = None


@dataclass(frozen=True)
class Baseline:
    """The aggregated baseline and where each value came from (``history`` or ``defaults``)."""

    builds: tuple[str, ...]
    run_ids: tuple[int, ...]
    aggregate: str
    coverage_pct: float | None  # None: no coverage history and no configured default
    coverage_source: str  # history | defaults | none
    high: float
    critical: float
    vuln_source: str
    known_vulns: frozenset[str]
    test_duration_s: float | None


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    mode: RuleMode
    status: RuleStatus
    message: str
    current: float | None = None
    baseline: float | None = None
    delta: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class GateResult:
    verdict: Verdict
    rules: tuple[RuleResult, ...]
    baseline: Baseline
    notes: tuple[str, ...] = ()
    new_vulns: tuple[VulnItem, ...] = ()
    small_change: bool = False

    def of(self, rule: Rule) -> RuleResult | None:
        return next((r for r in self.rules if r.rule is rule), None)
