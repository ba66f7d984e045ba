"""Typed inputs and outputs of flaky/broken analysis (plain values, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class RunStatus(StrEnum):
    """What one run says about one test once its attempts are folded together."""

    PASS = "pass"  # first attempt passed
    RETRY_PASS = "retry_pass"  # first attempt failed, a retry in the same run passed
    FAIL = "fail"  # every attempt failed
    SKIP = "skip"  # only skipped attempts: no information


class Verdict(StrEnum):
    FLAKY = "flaky"
    BROKEN = "broken"
    STABLE = "stable"  # failures seen, but not enough to call it flaky


class Action(StrEnum):
    QUARANTINE = "quarantine"
    INVESTIGATE = "investigate"
    MONITOR = "monitor"
    FIX_REGRESSION = "fix_regression"


class Category(StrEnum):
    ASYNC_WAIT = "async_wait"
    CONCURRENCY = "concurrency"
    ORDER_DEPENDENCY = "order_dependency"
    RESOURCE_LEAK = "resource_leak"
    NETWORK = "network"
    TIME_DATE = "time_date"
    RANDOMNESS = "randomness"
    IO = "io"
    FLOATING_POINT = "floating_point"
    UNORDERED_COLLECTION = "unordered_collection"
    DATA_SETUP = "data_setup"
    ENVIRONMENT = "environment"
    UNKNOWN = "unknown"


class RunObs(NamedTuple):
    """One test in one run, its attempts folded (built by SQL aggregation per test and run).

    ``code_key`` identifies the code under test: the git tree when known, else the commit.
    Durations are seconds; ``wasted_s`` is the time of failed attempts plus retries in this run.
    A named tuple rather than a dataclass: histories hold millions of these.
    """

    run_id: int
    started_at: datetime
    status: RunStatus
    code_key: str | None
    commit: str | None
    branch: str | None
    env_key: str
    on_default_branch: bool
    attempts: int
    failed_attempts: int
    duration_s: float | None  # first attempt
    wasted_s: float
    outage: bool = False
    job_rerun_wasted_s: float = 0.0  # share of a whole-job rerun attributed to this test's failure


@dataclass(frozen=True)
class FailureSample:
    """A failing attempt with the text used to categorise it (stack already truncated)."""

    result_id: int
    run_id: int
    message: str | None
    failure_type: str | None
    stack: str | None
    duration_s: float | None = None


@dataclass(frozen=True)
class TestHistory:
    """Everything the pure analysis needs about one test, runs oldest first."""

    __test__ = False

    test_case_id: int
    identity: str
    runs: tuple[RunObs, ...]
    failures: tuple[FailureSample, ...] = ()


@dataclass(frozen=True)
class FlakyParams:
    """Thresholds and priors; defaults documented in docs/analysis/flaky.md."""

    window_runs: int = 50
    min_runs: int = 5
    outage_share: float = 0.5
    quarantine_threshold: float = 0.7
    investigate_threshold: float = 0.5
    report_threshold: float = 0.2
    fixed_after_passes: int = 20
    broken_min_consecutive: int = 2  # failed attempts in a row from a code change (retries count)
    broken_min_probability: float = 0.95
    prior_flaky: float = 0.05  # share of tests that are flaky, before seeing any history
    noise_unconfirmed: float = 0.003  # mean per-run failure rate of a stable test (noise, one-run regressions)
    noise_confirmed: float = 0.001  # the part of it a passing rerun can confirm (infrastructure hiccups)
    rate_prior_mean: float = 0.1  # Beta prior on a flaky test's failure rate: mean ...
    rate_prior_strength: float = 10.0  # ... and pseudo-count (alpha + beta)
    env_share: float = 0.3  # prior share of flaky tests that misbehave in one environment only
    prior_broken: float = 0.1  # P(regression) for a failure streak that starts at a code change


@dataclass(frozen=True)
class BrokenSegment:
    """A streak of deterministic failures starting at a code change (a regression)."""

    branch: str | None
    first_run_id: int
    first_commit: str | None
    last_run_id: int
    runs: int
    failed_attempts: int
    probability: float  # P(regression) vs a flaky test failing this often in a row
    open: bool  # still failing at the latest run on that branch
    last_pass_run_id: int | None = None
    last_pass_commit: str | None = None
    fixed_run_id: int | None = None
    fixed_commit: str | None = None
    started_at: datetime | None = None
    fixed_at: datetime | None = None


@dataclass(frozen=True)
class CategoryResult:
    category: Category
    score: float  # share of categorisable signals that point here, in [0, 1]
    reasons: tuple[str, ...]
    result_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Dimensions:
    """The seed's multi-dimensional score (S0-43), each in [0, 1]; see docs for normalisations."""

    temporal_variance: float
    alternation_rate: float
    environmental_consistency: float
    duration_variance: float
    score: float


@dataclass(frozen=True)
class Assessment:
    """The verdict on one test with the counts that justify it."""

    test_case_id: int
    identity: str
    verdict: Verdict
    probability: float  # P(flaky) under default priors
    low: float  # posterior range over the prior class (wide when few runs back it)
    high: float
    clean_runs: int
    failing_runs: int
    retry_pass_runs: tuple[int, ...]
    same_code_runs: tuple[tuple[int, int, bool], ...]  # (failing run, passing run, same environment?)
    flip_runs: tuple[int, ...]  # isolated default-branch failures between passes
    outage_runs: tuple[int, ...]
    window_runs: int
    window_failures: int
    window_rate: float | None
    window_rate_low: float | None
    window_rate_high: float | None
    window_failing_runs: tuple[int, ...]
    dimensions: Dimensions | None
    category: CategoryResult
    action: Action
    wasted_s: float
    wasted_runs: int
    broken: BrokenSegment | None = None
    past_regressions: tuple[BrokenSegment, ...] = ()
    consecutive_default_passes: int = 0
    all_failing: bool = False
    last_failure_at: datetime | None = None
    last_run_at: datetime | None = None
    uncertainty: tuple[str, ...] = field(default=())
