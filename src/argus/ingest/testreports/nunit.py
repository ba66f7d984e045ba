"""NUnit 3 (``<test-run>``) and NUnit 2 (``<test-results>``) reports, streamed.

Outcomes as NUnit means them:

* NUnit 3 ``result``: Passed and Warning → passed; Failed → failed, except ``label`` Error, Invalid
  or Cancelled → error (NUnit counts those as errors/invalid, not assertion failures); Skipped,
  Ignored, Explicit and Inconclusive → skipped.
* NUnit 2 ``result``: Success → passed; Failure → failed; Error, Cancelled → error; Ignored,
  Skipped, NotRunnable, Inconclusive → skipped (NUnit 2 lists these under "not run"); without
  ``result``: ``executed="False"`` → skipped, else failed when ``success="False"`` or a ``<failure>``
  element is present, else passed.

A bare ``<test-suite>`` root (a fragment some tools write) is read the same way. Class: the
``classname`` attribute (NUnit 3), else the part of the dotted (full) name before the method, else the
enclosing fixture's name.
"""

from __future__ import annotations

from argus.core.enums import Outcome
from argus.ingest.testreports.model import ParsedReport, ReportFormat
from argus.ingest.testreports.xmlstream import TextBuffer, XmlContext, to_datetime, to_float

# NUnit 3 and NUnit 2 result names do not overlap in meaning, so one table serves both.
_RESULTS = {
    "passed": Outcome.PASSED,  # 3
    "success": Outcome.PASSED,  # 2
    "warning": Outcome.PASSED,  # 3
    "failed": Outcome.FAILED,  # 3 (label may say error)
    "failure": Outcome.FAILED,  # 2
    "error": Outcome.ERROR,  # 2
    "cancelled": Outcome.ERROR,  # 2
    "skipped": Outcome.SKIPPED,
    "ignored": Outcome.SKIPPED,
    "explicit": Outcome.SKIPPED,
    "notrunnable": Outcome.SKIPPED,  # 2: listed under "not run"
    "inconclusive": Outcome.SKIPPED,
}
_ERROR_LABELS = frozenset(("error", "invalid", "cancelled"))


def split_dotted(name: str) -> tuple[str | None, str]:
    """``Ns.Class.Method(1.5)`` → (``Ns.Class``, ``Method(1.5)``); undotted names keep no class."""
    head = name.split("(", 1)[0]
    if "." not in head:
        return None, name
    cut = head.rfind(".")
    return name[:cut], name[cut + 1 :]


class NUnitHandler:
    """Handler for NUnit 3 ``<test-run>`` and NUnit 2 ``<test-results>`` roots."""

    def __init__(self, context: XmlContext, version: int) -> None:
        self.ctx = context
        self.version = version
        self.out = context.limits.max_output_chars
        self.suites: list[tuple[str | None, str | None]] = []  # (type, full name)
        self.case: dict[str, str] | None = None
        self.section: str | None = None  # failure | reason
        self.capturing: str | None = None
        self.buffers: dict[str, TextBuffer] = {}
        self.props: dict[str, str] | None = None
        self.has_failure = False
        self.timestamp = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.case is None:
            if tag == "test-suite":
                self.suites.append((attrs.get("type"), attrs.get("fullname") or attrs.get("name")))
            elif tag == "test-case":
                self.case = attrs
                self.buffers = {}
                self.props = None
                self.section = None
                self.has_failure = False
            elif tag in ("test-run", "test-results") and self.timestamp is None:
                self.timestamp = to_datetime(attrs.get("start-time"))  # type: ignore[assignment]
            return
        if self.capturing is not None:
            return
        if tag in ("failure", "reason"):
            self.section = tag
            if tag == "failure":
                self.has_failure = True
        elif tag in ("message", "stack-trace") and self.section is not None:
            key = "stack" if tag == "stack-trace" else f"{self.section}-message"
            self.capturing = tag
            self.buffers[key] = self.ctx.capture(self.out)
        elif tag == "output":
            self.capturing = tag
            self.buffers["stdout"] = self.ctx.capture(self.out)
        elif tag == "property" and "name" in attrs:
            if self.props is None:
                self.props = {}
            self.props[attrs["name"]] = attrs.get("value", "")

    def end(self, tag: str) -> None:
        if self.case is None:
            if tag == "test-suite" and self.suites:
                self.suites.pop()
            return
        if self.capturing == tag:
            self.ctx.stop()
            self.capturing = None
        elif tag in ("failure", "reason"):
            self.section = None
        elif tag == "test-case":
            self._emit(self.case)
            self.case = None

    def _outcome(self, a: dict[str, str]) -> Outcome:
        outcome = _RESULTS.get(a.get("result", "").lower())
        if outcome is Outcome.FAILED and a.get("label", "").lower() in _ERROR_LABELS:
            return Outcome.ERROR
        if outcome is not None:
            return outcome
        if a.get("executed", "").lower() == "false":
            return Outcome.SKIPPED
        if a.get("runstate", "").lower() in ("skipped", "ignored", "notrunnable", "explicit"):
            return Outcome.SKIPPED
        failed = a.get("success", "").lower() == "false" or self.has_failure
        return Outcome.FAILED if failed else Outcome.PASSED

    def _emit(self, a: dict[str, str]) -> None:
        suite = self.suites[-1][1] if self.suites else None
        name = a.get("name") or ""
        classname = a.get("classname") or None
        if classname is None:
            classname, name = split_dotted(a.get("fullname") or name)
        if classname is None:
            fixture = next((s for t, s in reversed(self.suites) if t in (None, "TestFixture")), None)
            classname = fixture.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if fixture else None
        duration = to_float(a.get("duration") or a.get("time"))
        outcome = self._outcome(a)
        b = self.buffers
        message = b.get("failure-message") or b.get("reason-message")
        self.ctx.collector.add(
            suite, classname, name, None, None, outcome, duration,
            message.value() if message else None, None,
            b["stack"].value() if "stack" in b else None,
            b["stdout"].value() if "stdout" in b else None, None, self.props,
        )

    def finish(self) -> ParsedReport:
        fmt = ReportFormat.NUNIT3 if self.version == 3 else ReportFormat.NUNIT2
        return self.ctx.collector.report(fmt, self.timestamp)
