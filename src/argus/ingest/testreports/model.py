"""Typed results of parsing one test report: cases (one per attempt), the report, its summary, errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

from argus.core.enums import Outcome
from argus.core.errors import RejectedInputError


class ReportFormat(StrEnum):
    """Report formats Argus reads (detected from content, never from the file name)."""

    JUNIT = "junit"  # every JUnit XML dialect: <testsuites>/<testsuite> roots
    NUNIT3 = "nunit3"  # <test-run>
    NUNIT2 = "nunit2"  # <test-results>
    XUNIT2 = "xunit2"  # xUnit.net v2 <assemblies>/<assembly>
    TRX = "trx"  # MSTest / VSTest <TestRun>
    MOCHA_JSON = "mocha-json"  # mocha's built-in `json` reporter
    DART_JSON = "dart-json"  # `dart test --reporter json` (one event per line)
    GO_TEST_JSON = "go-test-json"  # `go test -json` (test2json events, one per line)
    RSPEC_JSON = "rspec-json"  # `rspec --format json`


class ReportParseError(RejectedInputError):
    """The one error a parser raises: the input is not a readable report (``reason`` says why).

    Covers empty, oversized, corrupt or truncated files, DTDs/entities (refused), and unknown formats.
    """


class NotATestReportError(ReportParseError):
    """The input is well-formed XML or JSON of another kind (``coverage.xml``, ``pom.xml``, ``package.json``).

    A file picked up by a directory or glob is skipped for this; a file named explicitly is rejected.
    """


@dataclass(frozen=True)
class Limits:
    """Size limits applied while parsing (defaults match ``IngestSettings``)."""

    max_file_bytes: int = 256 * 1024 * 1024
    max_output_chars: int = 64 * 1024  # stack, stdout, stderr of one attempt
    max_message_chars: int = 8 * 1024  # failure/skip message of one attempt


class ParsedCase(NamedTuple):
    """One attempt of one test as the report states it (immutable).

    A ``NamedTuple`` rather than a frozen dataclass: it is built once per result on the hot path
    (a million per benchmark run) and constructs about 3x faster.

    ``attempt`` is 0 for the first try of the test (by ``identity``) in this report and 1, 2 ... for
    the retries the report marks, in document order. A name repeated without a rerun mark is another
    invocation: a test of its own whose ``identity`` and ``name`` end in `` [#n]``. ``duration_s`` is in seconds (``None`` when the report has none).
    ``message``, ``stack``, ``stdout``, ``stderr`` are truncated to :class:`Limits`.
    """

    identity: str
    suite: str | None
    classname: str | None
    name: str
    file: str | None
    line: int | None
    outcome: Outcome
    duration_s: float | None
    message: str | None = None
    failure_type: str | None = None
    stack: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    properties: Mapping[str, str] | None = None
    attempt: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The case as JSON-ready plain data."""
        data = self._asdict()
        data["outcome"] = self.outcome.value
        data["properties"] = dict(self.properties) if self.properties else None
        return data


@dataclass(frozen=True)
class ReportSummary:
    """Counts per distinct test (retries of one test count once).

    A test's outcome is *passed* if any attempt passed (a failure then a pass is flaky, not failed),
    else *error* if any attempt errored, else *failed* if any failed, else *skipped*.
    ``attempts`` counts every result; ``flaky`` the tests that both failed and passed;
    ``time_s`` sums the durations of all attempts.
    """

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    attempts: int = 0
    flaky: int = 0
    time_s: float = 0.0


@dataclass(frozen=True)
class ParsedReport:
    """A parsed report: every attempt of every test, in document order."""

    format: ReportFormat
    cases: tuple[ParsedCase, ...]
    timestamp: datetime | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def _summary(self) -> ReportSummary:
        return summarise(self.cases)

    def summary(self) -> ReportSummary:
        """Counts per distinct test (computed once)."""
        return self._summary

    def final_outcomes(self) -> dict[str, Outcome]:
        """Each test's outcome over its attempts (rule of :class:`ReportSummary`)."""
        seen: dict[str, set[Outcome]] = {}
        for case in self.cases:
            seen.setdefault(case.identity, set()).add(case.outcome)
        return {identity: final_outcome(outcomes) for identity, outcomes in seen.items()}


def final_outcome(outcomes: set[Outcome]) -> Outcome:
    for candidate in (Outcome.PASSED, Outcome.ERROR, Outcome.FAILED):
        if candidate in outcomes:
            return candidate
    return Outcome.SKIPPED


def summarise(cases: tuple[ParsedCase, ...] | list[ParsedCase]) -> ReportSummary:
    """Count distinct tests by final outcome (see :class:`ReportSummary`)."""
    time_s = sum(c.duration_s for c in cases if c.duration_s)
    counts = Counter(c.outcome for c in cases if not c.attempt)  # first attempts: one per test
    retried = {c.identity for c in cases if c.attempt}
    flaky = 0
    if retried:  # a retried test's outcome is over all its attempts: redo those tests
        seen: dict[str, set[Outcome]] = {identity: set() for identity in retried}
        for case in cases:
            outcomes = seen.get(case.identity)
            if outcomes is not None:
                outcomes.add(case.outcome)
                if not case.attempt:
                    counts[case.outcome] -= 1
        for outcomes in seen.values():
            counts[final_outcome(outcomes)] += 1
            if Outcome.PASSED in outcomes and (Outcome.FAILED in outcomes or Outcome.ERROR in outcomes):
                flaky += 1
    return ReportSummary(
        tests=sum(counts.values()),
        passed=counts[Outcome.PASSED],
        failed=counts[Outcome.FAILED],
        errors=counts[Outcome.ERROR],
        skipped=counts[Outcome.SKIPPED],
        attempts=len(cases),
        flaky=flaky,
        time_s=round(time_s, 6),
    )
