"""What the front doors render of the flaky analysis: list rows, one test's detail, the quarantine
list, an analysis run and a manual state change (frozen; built by :mod:`queries` and :mod:`service`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from argus.analysis.flaky.lifecycle import LifecycleState
from argus.analysis.insights.readmodels import InsightView

if TYPE_CHECKING:
    from argus.analysis.insights.refs import RunRef


@dataclass(frozen=True)
class TestView:
    """One row of ``argus flaky list``."""

    __test__ = False

    test: str
    label: str | None
    kind: str
    probability: float
    low: float | None
    high: float | None
    action: str | None
    category: str | None
    state: str | None
    wasted_s: float
    review_tier: str
    insight_id: int


@dataclass(frozen=True)
class TestDetail:
    """``argus flaky show``: a test's current flaky/broken insights and its lifecycle state."""

    __test__ = False

    test: str
    name: str
    state: str | None
    state_note: str | None
    manual: bool
    insights: tuple[InsightView, ...]
    #: The latest distinct failure messages (first line, trimmed), newest first.
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestShown:
    """A test's detail and the runs its evidence points at (``(ref_type, ref_id)`` → run)."""

    __test__ = False

    detail: TestDetail
    refs: Mapping[tuple[str, str], RunRef] = field(default_factory=dict)


@dataclass(frozen=True)
class QuarantinedTest:
    """A quarantined test as the quarantine forms (:mod:`argus.report.quarantine`) need it."""

    identity: str
    node_id: str | None  # None: not a pytest test (e.g. a JUnit/Surefire test), left out of pytest exports
    state: str
    probability: float
    category: str | None
    since: datetime | None
    classname: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Quarantine:
    """The quarantined tests of one project, most likely flaky first."""

    project: str
    tests: tuple[QuarantinedTest, ...]


@dataclass(frozen=True)
class StateChange:
    """A lifecycle transition made by an analysis."""

    identity: str
    before: str | None
    after: str | None
    reason: str


@dataclass(frozen=True)
class AnalysedTest:
    """A test an analysis judged flaky or broken (``data``: the insight's machine-readable part)."""

    __test__ = False

    identity: str
    verdict: str
    probability: float
    low: float | None
    high: float | None
    category: str
    action: str
    wasted_s: float
    data: Mapping[str, Any]


@dataclass(frozen=True)
class FlakyAnalysis:
    """What ``argus flaky analyze`` found (and stored, unless a dry run)."""

    project: str
    runs: int
    tests_examined: int
    outage_runs: int
    flaky: int
    broken: int
    insights_stored: int
    wasted_s: float
    state_changes: tuple[StateChange, ...]
    #: Flaky then broken tests, most likely first.
    tests: tuple[AnalysedTest, ...]
    dry_run: bool = False


@dataclass(frozen=True)
class StateSet:
    """A lifecycle state set by hand."""

    test: str
    state: LifecycleState


class FlakyStatus(StrEnum):
    """What the flaky analysis knows about a test (for the gate: may a failure be blamed on flakiness?)."""

    FLAKY = "flaky"  # a current flaky verdict or an active/quarantined state, and no broken verdict
    BROKEN = "broken"  # a current broken verdict: a real failure, whatever its old flaky label
    NOT_FLAKY = "not_flaky"  # neither


@dataclass(frozen=True)
class QuarantinedResult:
    """A quarantined test that passed in some runs and failed in none (a release candidate)."""

    test_case_id: int
    identity: str
    result_id: int
    consecutive_passes: int
    quarantined_at: datetime | None
