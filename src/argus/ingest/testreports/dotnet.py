"""xUnit.net v2 (``<assemblies>``) and TRX (MSTest/VSTest ``<TestRun>``) reports, streamed.

xUnit.net v2 ``result``: Pass → passed, Fail → failed, Skip and NotRun → skipped. The class is the
``type`` attribute; the name is the display name without the ``type.`` prefix (theory rows keep their
arguments, so each row is its own test).

TRX ``outcome``: Passed, PassedButRunAborted, Warning, Completed → passed; Failed → failed; Error,
Timeout, Aborted and a missing outcome → error; NotExecuted, Inconclusive, NotRunnable, Pending,
Disconnected, InProgress → skipped. Results may precede their ``<TestDefinitions>`` (``dotnet test``
writes them first), so classes are joined by ``testId`` when the document ends. A data-driven parent
result with ``<InnerResults>`` is replaced by its inner results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from argus.core.enums import Outcome
from argus.ingest.testreports.model import ParsedReport, ReportFormat
from argus.ingest.testreports.xmlstream import TextBuffer, XmlContext, to_datetime, to_float, to_int

_XUNIT = {"pass": Outcome.PASSED, "fail": Outcome.FAILED, "skip": Outcome.SKIPPED, "notrun": Outcome.SKIPPED}
_TRX = {
    "passed": Outcome.PASSED,
    "passedbutrunaborted": Outcome.PASSED,
    "warning": Outcome.PASSED,
    "completed": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "error": Outcome.ERROR,
    "timeout": Outcome.ERROR,
    "aborted": Outcome.ERROR,
}


class XUnitHandler:
    """Handler for xUnit.net v2 ``<assemblies>``/``<assembly>`` roots."""

    def __init__(self, context: XmlContext) -> None:
        self.ctx = context
        self.out = context.limits.max_output_chars
        self.collection: str | None = None
        self.test: dict[str, str] | None = None
        self.failure_type: str | None = None
        self.buffers: dict[str, TextBuffer] = {}
        self.capturing: str | None = None
        self.props: dict[str, str] | None = None
        self.timestamp = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.test is None:
            if tag == "test":
                self.test, self.buffers, self.props, self.failure_type = attrs, {}, None, None
            elif tag == "collection":
                self.collection = attrs.get("name")
            elif tag == "assembly" and self.timestamp is None and attrs.get("run-date"):
                self.timestamp = to_datetime(f"{attrs['run-date']}T{attrs.get('run-time', '00:00:00')}")  # type: ignore[assignment]
            return
        if self.capturing is not None:
            return
        if tag == "failure":
            self.failure_type = attrs.get("exception-type")
        elif tag in ("message", "stack-trace", "reason", "output"):
            self.capturing = tag
            self.buffers[tag] = self.ctx.capture(self.out)
        elif tag == "trait" and "name" in attrs:
            if self.props is None:
                self.props = {}
            self.props[attrs["name"]] = attrs.get("value", "")

    def end(self, tag: str) -> None:
        if self.test is None:
            return
        if self.capturing == tag:
            self.ctx.stop()
            self.capturing = None
        elif tag == "test":
            self._emit(self.test)
            self.test = None

    def _emit(self, a: dict[str, str]) -> None:
        classname = a.get("type") or None
        name = a.get("name") or a.get("method") or ""
        if classname and name.startswith(classname + "."):
            name = name[len(classname) + 1 :]
        b = self.buffers
        message = b.get("message") or b.get("reason")
        self.ctx.collector.add(
            self.collection, classname, name, a.get("source-file"), to_int(a.get("source-line")),
            _XUNIT.get(a.get("result", "").lower(), Outcome.ERROR), to_float(a.get("time")),
            message.value() if message else None, self.failure_type,
            b["stack-trace"].value() if "stack-trace" in b else None,
            b["output"].value() if "output" in b else None, None, self.props,
        )

    def finish(self) -> ParsedReport:
        return self.ctx.collector.report(ReportFormat.XUNIT2, self.timestamp)


@dataclass
class _TrxResult:
    attrs: dict[str, str]
    buffers: dict[str, TextBuffer]
    has_inner: bool = False


def trx_duration(value: str | None) -> float | None:
    """``hh:mm:ss.fffffff`` (optionally ``d.hh:mm:ss``) to seconds."""
    if not value:
        return None
    days = 0
    if "." in value.split(":", 1)[0]:
        day_part, value = value.split(".", 1)
        days = int(day_part) if day_part.isdigit() else 0
    parts = value.split(":")
    if len(parts) != 3:
        return None
    hours, minutes, seconds = to_float(parts[0]), to_float(parts[1]), to_float(parts[2])
    if hours is None or minutes is None or seconds is None:
        return None
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


class TrxHandler:
    """Handler for TRX ``<TestRun>`` roots (both the 2006 and 2010 namespaces)."""

    _CAPTURE: ClassVar[dict[str, str]] = {"StdOut": "stdout", "StdErr": "stderr", "Message": "message", "StackTrace": "stack"}

    def __init__(self, context: XmlContext) -> None:
        self.ctx = context
        self.out = context.limits.max_output_chars
        self.results: list[_TrxResult] = []
        self.open: list[_TrxResult] = []
        self.classes: dict[str, str] = {}
        self.storage: dict[str, str] = {}
        self.unit_test: str | None = None
        self.capturing: str | None = None
        self.timestamp = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.capturing is not None:
            return
        if tag == "UnitTestResult":
            if self.open:
                self.open[-1].has_inner = True
            result = _TrxResult(attrs, {})
            self.open.append(result)
            self.results.append(result)
        elif self.open and tag in self._CAPTURE:
            self.capturing = tag
            self.open[-1].buffers[self._CAPTURE[tag]] = self.ctx.capture(self.out)
        elif tag == "UnitTest":
            self.unit_test = attrs.get("id")
            if self.unit_test and attrs.get("storage"):
                self.storage[self.unit_test] = attrs["storage"]
        elif tag == "TestMethod" and self.unit_test and attrs.get("className"):
            self.classes[self.unit_test] = attrs["className"].split(",", 1)[0].strip()
        elif tag == "Times" and self.timestamp is None:
            self.timestamp = to_datetime(attrs.get("start") or attrs.get("creation"))  # type: ignore[assignment]

    def end(self, tag: str) -> None:
        if self.capturing == tag:
            self.ctx.stop()
            self.capturing = None
        elif tag == "UnitTestResult" and self.open:
            self.open.pop()
        elif tag == "UnitTest":
            self.unit_test = None

    def finish(self) -> ParsedReport:
        add = self.ctx.collector.add
        for result in self.results:
            if result.has_inner:
                continue
            a, b = result.attrs, result.buffers
            test_id = a.get("testId", "")
            outcome_text = a.get("outcome")
            if outcome_text is None:
                outcome = Outcome.ERROR
            else:
                outcome = _TRX.get(outcome_text.lower(), Outcome.SKIPPED)
            classname = self.classes.get(test_id)
            name = a.get("testName") or ""
            if classname and name.startswith(classname + "."):
                name = name[len(classname) + 1 :]
            add(
                self.storage.get(test_id), classname, name, None, None, outcome, trx_duration(a.get("duration")),
                b["message"].value() if "message" in b else None, None,
                b["stack"].value() if "stack" in b else None,
                b["stdout"].value() if "stdout" in b else None,
                b["stderr"].value() if "stderr" in b else None,
            )
        return self.ctx.collector.report(ReportFormat.TRX, self.timestamp)
