"""JUnit XML in all its dialects, streamed.

One handler covers pytest (xunit1 with ``file``/``line``, xunit2), Maven Surefire/Failsafe, Gradle,
jest-junit, mocha-junit-reporter, go-junit-report, gotestsum, Bazel, PHPUnit, scalatest, Catch2, CUnit,
cargo-nextest and GoogleTest: ``<testsuites>`` or bare ``<testsuite>`` roots, nested suites.

Per ``<testcase>`` element the outcome is the most severe result it contains: ``<error>`` over
``<failure>`` over ``<skipped>`` (or a ``status``/``result`` attribute meaning not run, as GoogleTest and
tst write), else passed. Retries (attempts of the same test, in order):

* Surefire/nextest ``<flakyFailure>``/``<flakyError>``: failed/errored attempts *before* the passing
  one the element itself records;
* ``<rerunFailure>``/``<rerunError>``: further failed attempts *after* the ``<failure>``/``<error>``;
* Gradle test-retry without ``mergeReruns`` writes each execution as its own ``<testcase>``: in a
  suite with Gradle's signature (exactly the attributes ``name tests skipped failures errors timestamp
  hostname time``, in that order) a repeat of a test whose attempts so far all failed is a retry
  (Gradle's own grouping rule);
* pytest's second ``<testcase>`` for a failed test whose teardown also failed (``<error message="failed
  on teardown with ...">``) is the same test, not a new one.

Any other repeat of a test name (jest ``test.each``, TestNG data providers) is another *invocation*: a
test of its own, `` [#n]`` appended (see :class:`CaseCollector`). The header counts (``tests``,
``failures``, ``errors``, ``skipped`` of the root, else the sum over top-level suites) are compared
with what was read (per ``<testcase>`` element, or per execution as Gradle counts); a disagreement is a
warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from argus.core.enums import Outcome
from argus.ingest.testreports.junit_header import HeaderCheck
from argus.ingest.testreports.model import ParsedReport, ReportFormat
from argus.ingest.testreports.xmlstream import TextBuffer, XmlContext, to_datetime, to_float, to_int

_RESULT_TAGS = frozenset(("failure", "error", "skipped"))
_RETRY_TAGS = {
    "flakyFailure": (Outcome.FAILED, True),
    "flakyError": (Outcome.ERROR, True),
    "rerunFailure": (Outcome.FAILED, False),
    "rerunError": (Outcome.ERROR, False),
}
_NOT_RUN = frozenset(("disabled", "notrun", "skipped", "ignored", "suppressed"))
_SEVERITY = {"skipped": 1, "failure": 2, "error": 3}
#: The attributes of a Gradle ``<testsuite>``, in the order Gradle writes them (its JUnit XML writer).
GRADLE_SUITE = ("name", "tests", "skipped", "failures", "errors", "timestamp", "hostname", "time")
#: container-structure-test's root attributes; before v1.16 it wrote Go ``time.Duration``s (nanoseconds).
CST_ROOT = ("failures", "tests", "time")
CST_NANOS_FROM = 10_000  # an integer root time this large is nanoseconds (as seconds: 2.8 hours of checks)
_TEARDOWN = "failed on teardown with "


class _Attempt:
    """A retry element (flaky/rerun) inside a testcase."""

    __slots__ = ("before", "message", "outcome", "stack", "stderr", "stdout", "type")

    def __init__(self, outcome: Outcome, before: bool, attrs: dict[str, str]) -> None:
        self.outcome = outcome
        self.before = before
        self.message = attrs.get("message")
        self.type = attrs.get("type")
        self.stack: TextBuffer | None = None
        self.stdout: TextBuffer | None = None
        self.stderr: TextBuffer | None = None


class _Case:
    __slots__ = ("attrs", "body", "props", "result", "result_attrs", "retries", "stderr", "stdout", "suite")

    def __init__(self, attrs: dict[str, str], suite: str | None) -> None:
        self.attrs = attrs
        self.suite = suite
        self.result: str | None = None
        self.result_attrs: dict[str, str] = {}
        self.body: TextBuffer | None = None
        self.stdout: TextBuffer | None = None
        self.stderr: TextBuffer | None = None
        self.props: dict[str, str] | None = None
        self.retries: list[_Attempt] | None = None


def _text(buffer: TextBuffer | None) -> str | None:
    return buffer.value() if buffer is not None else None


class JUnitHandler:
    """Handler for ``<testsuites>``/``<testsuite>`` roots (see the module docstring)."""

    def __init__(self, context: XmlContext) -> None:
        self.ctx = context
        self.out = context.limits.max_output_chars
        self.suites: list[str | None] = []
        self.in_case = False
        self.case_attrs: dict[str, str] = {}
        self.case_suite: str | None = None
        self.case: _Case | None = None  # built at the testcase's first child (most have none)
        self.retry: _Attempt | None = None
        self.capturing: str | None = None
        self.depth = 0  # elements open inside the current testcase
        self.timestamp = None
        self.gradle: list[bool] = []  # per open suite: written by Gradle (repeats after failures are retries)
        self.retries_in_suite = False
        self.header = HeaderCheck()
        self.passed_elements = 0  # <testcase> elements without a result child (the hot path)
        self.elements: Counter[Outcome] = Counter()  # outcome per other <testcase> element
        self.to_seconds: Callable[[str | None], float | None] = to_float  # time attribute -> seconds
        self.cst_nanos: bool | None = None  # container-structure-test root seen: decided at the first case
        self.doubles = 0  # pytest's teardown-error elements (not test cases of their own)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.in_case:
            if tag == "testcase":
                if self.cst_nanos:
                    self._check_cst(attrs)
                self.in_case = True
                self.case_attrs = attrs
                self.case_suite = self.suites[-1] if self.suites else None
                self.depth = 0
            elif tag == "testsuite":
                self.header.suite(attrs, len(self.suites))
                self.suites.append(attrs.get("name"))
                self.gradle.append(tuple(attrs) == GRADLE_SUITE)
                self.retries_in_suite = self.gradle[-1]
                if self.timestamp is None and "timestamp" in attrs:
                    self.timestamp = to_datetime(attrs["timestamp"])  # type: ignore[assignment]
            elif tag == "testsuites":
                self.header.root(attrs)
                time = attrs.get("time", "")
                self.cst_nanos = tuple(attrs) == CST_ROOT and time.isdigit() and int(time) >= CST_NANOS_FROM
            return
        case = self.case
        if case is None:
            case = self.case = _Case(self.case_attrs, self.case_suite)
        self.depth += 1
        if self.capturing is not None:
            return
        if tag in _RESULT_TAGS:
            if _SEVERITY[tag] > _SEVERITY.get(case.result or "", 0):
                case.result = tag
                case.result_attrs = attrs
                case.body = self._capture(tag)
        elif tag in _RETRY_TAGS:
            outcome, before = _RETRY_TAGS[tag]
            self.retry = _Attempt(outcome, before, attrs)
            if case.retries is None:
                case.retries = []
            case.retries.append(self.retry)
        elif tag == "stackTrace" and self.retry is not None:
            self.retry.stack = self._capture(tag)
        elif tag == "system-out":
            buffer = self._capture(tag)
            if self.retry is not None:
                self.retry.stdout = buffer
            else:
                case.stdout = buffer
        elif tag == "system-err":
            buffer = self._capture(tag)
            if self.retry is not None:
                self.retry.stderr = buffer
            else:
                case.stderr = buffer
        elif tag == "property" and "name" in attrs:
            if case.props is None:
                case.props = {}
            case.props[attrs["name"]] = attrs.get("value", "")

    def _check_cst(self, attrs: dict[str, str]) -> None:
        """Confirm container-structure-test (cases with only a name and an integer time): nanoseconds."""
        self.cst_nanos = False
        if tuple(attrs) == ("name", "time") and attrs["time"].isdigit():
            self.to_seconds = self._nanos
            self.ctx.collector.warnings.append(
                "container-structure-test report with durations in nanoseconds: converted to seconds")

    def _nanos(self, value: str | None) -> float | None:
        seconds = to_float(value)
        return round(seconds * 1e-9, 9) if seconds is not None else None

    def _capture(self, tag: str) -> TextBuffer:
        self.capturing = tag
        return self.ctx.capture(self.out)

    def end(self, tag: str) -> None:
        if not self.in_case:
            if tag == "testsuite" and self.suites:
                self.suites.pop()
                self.gradle.pop()
                self.retries_in_suite = bool(self.gradle) and self.gradle[-1]
            return
        if self.depth == 0:  # the testcase element itself
            self.in_case = False
            case = self.case
            if case is None:  # no child element: passed, or not run by a status attribute
                a = self.case_attrs
                # membership first: most cases have neither attribute (one call less per result)
                not_run = ("status" in a or "result" in a) and (
                    a.get("status", "").lower() in _NOT_RUN or a.get("result") == "skipped")
                if not_run:
                    outcome = Outcome.SKIPPED
                    self.elements[outcome] += 1
                else:
                    outcome = Outcome.PASSED
                    self.passed_elements += 1
                line = a.get("line")
                args = (self.case_suite, a.get("classname") or a.get("class"), a.get("name"), a.get("file"),
                        to_int(line) if line else None, outcome, self.to_seconds(a.get("time")))
                if self.retries_in_suite:
                    self.ctx.collector.add(*args, retry_after_failure=True)
                else:
                    self.ctx.collector.add_plain(*args)
                return
            self._emit(case)
            self.case = None
            self.retry = None
            return
        self.depth -= 1
        if self.capturing == tag:
            self.ctx.stop()
            self.capturing = None
        elif tag in _RETRY_TAGS:
            self.retry = None

    def _emit(self, case: _Case) -> None:
        a = case.attrs
        name = a.get("name")
        classname = a.get("classname") or a.get("class")
        file = a.get("file")
        line = to_int(a.get("line"))
        duration = self.to_seconds(a.get("time"))
        result = case.result
        if result == "error":
            outcome = Outcome.ERROR
        elif result == "failure":
            outcome = Outcome.FAILED
        elif result == "skipped" or a.get("status", "").lower() in _NOT_RUN or a.get("result") == "skipped":
            outcome = Outcome.SKIPPED
        else:
            outcome = Outcome.PASSED
        self.elements[outcome] += 1
        add = self.ctx.collector.add
        retries = case.retries
        ra = case.result_attrs
        if retries is None:  # the common case: one attempt
            teardown = result == "error" and (ra.get("message") or "").startswith(_TEARDOWN)
            self.doubles += teardown
            add(case.suite, classname, name, file, line, outcome, duration, ra.get("message"), ra.get("type"),
                _text(case.body), _text(case.stdout), _text(case.stderr), case.props, teardown,
                self.retries_in_suite)
            return
        first = True
        for r in retries:
            if r.before:
                add(case.suite, classname, name, file, line, r.outcome, None, r.message, r.type,
                    _text(r.stack), _text(r.stdout), _text(r.stderr), case.props, not first)
                first = False
        add(case.suite, classname, name, file, line, outcome, duration, ra.get("message"), ra.get("type"),
            _text(case.body), _text(case.stdout), _text(case.stderr), case.props, not first)
        for r in retries:
            if not r.before:
                add(case.suite, classname, name, file, line, r.outcome, None, r.message, r.type,
                    _text(r.stack), _text(r.stdout), _text(r.stderr), case.props, True)

    def finish(self) -> ParsedReport:
        collector = self.ctx.collector
        self.elements[Outcome.PASSED] += self.passed_elements
        warning = self.header.compare(self.elements, self.doubles, lambda: Counter(c.outcome for c in collector.cases))
        if warning:
            collector.warnings.append(warning)
        return collector.report(ReportFormat.JUNIT, self.timestamp)
