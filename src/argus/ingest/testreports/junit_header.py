"""Compare a JUnit file's own totals (its header attributes) with the test cases Argus read.

The header is the root ``<testsuites>``'s ``tests``/``failures``/``errors``/``skipped`` when it has any
of them, else their sum over the top-level ``<testsuite>`` elements (nested suites are already counted
by their parents). Only attributes every such element carries are compared; ``disabled`` (tst,
GoogleTest) is added to ``skipped``, as Argus reads disabled tests as skipped. Producers count either
``<testcase>`` elements (Surefire, pytest, jest, TestNG …: a Surefire ``<flakyFailure>`` test counts as
one passed case) or executions (Gradle counts every retry): the header agrees when it matches either
way of counting. pytest's second element for a teardown error is not a test case of its own (pytest
does not count it in ``tests``) but its error is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from argus.core.enums import Outcome

FIELDS = ("tests", "failures", "errors", "skipped")


def _counts(attrs: dict[str, str]) -> dict[str, int | None]:
    counts = {f: _int(attrs.get(f)) for f in FIELDS}
    disabled = _int(attrs.get("disabled"))
    if disabled and counts["skipped"] is not None:
        counts["skipped"] = (counts["skipped"] or 0) + disabled
    return counts


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 12 else None


class HeaderCheck:
    """Collect the header counts while the document streams; :meth:`compare` at its end."""

    def __init__(self) -> None:
        self.root_counts: dict[str, int] | None = None
        self.sums: dict[str, int] = {}
        self.missing: set[str] = set()
        self.suites = 0

    def root(self, attrs: dict[str, str]) -> None:
        """A ``<testsuites>`` root: its counts win when it has any."""
        counts = {f: n for f, n in _counts(attrs).items() if n is not None}
        if counts:
            self.root_counts = counts

    def suite(self, attrs: dict[str, str], depth: int) -> None:
        """A ``<testsuite>`` opened at ``depth`` suites deep (0 = top level)."""
        if depth:
            return
        self.suites += 1
        for f, n in _counts(attrs).items():
            if n is None:
                self.missing.add(f)
            else:
                self.sums[f] = self.sums.get(f, 0) + n

    def header(self) -> dict[str, int]:
        if self.root_counts is not None:
            return self.root_counts
        return {f: n for f, n in self.sums.items() if f not in self.missing}

    def compare(self, elements: Counter[Outcome], doubles: int,
                executions: Callable[[], Counter[Outcome]]) -> str | None:
        """A warning when the header agrees with neither count (``None`` when it agrees or is absent).

        ``elements``: outcome per ``<testcase>`` element; ``doubles``: elements that are not test
        cases of their own (pytest's teardown errors); ``executions``: outcome per attempt.
        """
        header = self.header()
        if not header:
            return None
        read = _view(elements, sum(elements.values()) - doubles)
        if all(read[f] == n for f, n in header.items()):
            return None
        runs = executions()
        if all(_view(runs, sum(runs.values()))[f] == n for f, n in header.items()):
            return None
        said = " ".join(f"{f}={n}" for f, n in header.items())
        return (f"totals disagree with the file's header: header {said}, read {read['tests']} test cases: "
                f"{read['failures']} failed, {read['errors']} errors, {read['skipped']} skipped")


def _view(counts: Counter[Outcome], tests: int) -> dict[str, int]:
    return {"tests": tests, "failures": counts[Outcome.FAILED], "errors": counts[Outcome.ERROR],
            "skipped": counts[Outcome.SKIPPED]}
