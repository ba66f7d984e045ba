"""``go test -json`` output (test2json): one JSON event per line, streamed by ``go test``.

Events carry ``Action`` (``start``, ``run``, ``pause``, ``cont``, ``output``, ``pass``, ``fail``,
``skip``, ``bench``, and since Go 1.24 ``build-output``/``build-fail``), ``Package``, ``Test`` (absent
on package-level events), ``Output`` and ``Elapsed`` (seconds). Per test (package + name): ``pass`` →
passed (``bench`` too), ``fail`` → failed, ``skip`` → skipped; a test started but never finished (a
panic or ``-timeout`` killed the binary) is an error. Subtests (``TestX/case``) are tests of their own,
as go-junit-report and gotestsum count them; the parent is kept too. Suite and class are the package
path, so identities equal those of gotestsum's JUnit XML (``<package>::<Test>``). A package that
failed without any failing test (build failure, panic outside a test, ``TestMain`` exit) gives one
error case named :data:`PACKAGE_CASE` with the package output (Go >= 1.24's build events, keyed by
the build's ImportPath, join the package whose ``fail`` names that build in ``FailedBuild``). Output
lines become ``stdout``; a failure's message is its first output line that is not a ``=== RUN``/
``--- FAIL`` marker.

Lines that do not start with ``{`` (stderr interleaved by ``2>&1``) are skipped with a warning; a line
starting with ``{`` that is not JSON rejects the file.
"""

from __future__ import annotations

import json
from typing import Any

from argus.core.enums import Outcome
from argus.ingest.testreports.model import Limits, ParsedReport, ReportFormat, ReportParseError
from argus.ingest.testreports.xmlstream import CaseCollector, clip, to_datetime

PACKAGE_CASE = "(package)"
_DONE = {"pass": Outcome.PASSED, "bench": Outcome.PASSED, "fail": Outcome.FAILED, "skip": Outcome.SKIPPED}
_MARKERS = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- FAIL", "--- PASS", "--- SKIP", "# ")


def is_go_event(first: Any) -> bool:
    """Whether a decoded first line looks like a test2json event."""
    return isinstance(first, dict) and isinstance(first.get("Action"), str) and (
        "Package" in first or "ImportPath" in first or "Time" in first)


class _Test:
    __slots__ = ("elapsed", "outcome", "output", "size")

    def __init__(self) -> None:
        self.outcome: Outcome | None = None
        self.elapsed: float | None = None
        self.output: list[str] = []
        self.size = 0


def _elapsed(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


def _message(output: list[str]) -> str | None:
    for line in output:
        text = line.strip()
        if text and not text.startswith(_MARKERS):
            return text
    return None


def parse_go_test_lines(lines: list[bytes], source: str, limits: Limits) -> ParsedReport:
    """Parse the event lines of ``go test -json``."""
    tests: dict[tuple[str, str], _Test] = {}
    packages: dict[str, _Test] = {}
    built_by: dict[str, str] = {}  # Go >= 1.24: build ImportPath ("pkg [pkg.test]") -> package whose fail names it
    out_limit = limits.max_output_chars
    timestamp = None
    skipped_lines = 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith(b"{"):
            skipped_lines += 1
            continue
        try:
            event = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            raise ReportParseError(source, f"line {number} is not JSON: {exc}") from None
        if not isinstance(event, dict):
            raise ReportParseError(source, f"line {number}: expected a JSON object")
        action = event.get("Action")
        package = event.get("Package") or event.get("ImportPath")
        if not isinstance(action, str) or not isinstance(package, str):
            continue
        if timestamp is None and isinstance(event.get("Time"), str):
            timestamp = to_datetime(event["Time"])
        name = event.get("Test")
        if isinstance(name, str) and name:
            test = tests.get((package, name))
            if test is None:
                test = tests[(package, name)] = _Test()
        else:
            test = packages.get(package)
            if test is None:
                test = packages[package] = _Test()
            if action == "build-fail":
                action = "fail"
            if isinstance(event.get("FailedBuild"), str):
                built_by[event["FailedBuild"]] = package
        if action in _DONE:
            test.outcome = _DONE[action]
            test.elapsed = _elapsed(event.get("Elapsed"))
        elif action in ("output", "build-output"):
            text = event.get("Output")
            if isinstance(text, str) and test.size < out_limit:
                test.output.append(text)
                test.size += len(text)
    for build, package in built_by.items():  # one build failure is one error case, of the package it broke
        if build != package and (built := packages.pop(build, None)) is not None:
            packages[package].output[:0] = built.output
    collector = CaseCollector(limits)
    failed_packages = set()
    for (package, name), test in tests.items():
        outcome = test.outcome or Outcome.ERROR
        if outcome in (Outcome.FAILED, Outcome.ERROR):
            failed_packages.add(package)
        output = "".join(test.output)
        explained = outcome is not Outcome.PASSED
        collector.add(
            package, package, name, None, None, outcome, test.elapsed,
            (_message(test.output) if explained else None) or (None if test.outcome else "test did not finish"),
            None, None, clip(output, out_limit) or None,
        )
    for package, pkg in packages.items():
        if pkg.outcome is Outcome.FAILED and package not in failed_packages:
            output = "".join(pkg.output)
            collector.add(package, package, PACKAGE_CASE, None, None, Outcome.ERROR, pkg.elapsed,
                          _message(pkg.output) or "package failed", None, None, clip(output, out_limit) or None)
    if skipped_lines:
        collector.warnings.append(f"{skipped_lines} line(s) that are not JSON events were skipped (stderr mixed in?)")
    return collector.report(ReportFormat.GO_TEST_JSON, timestamp)
