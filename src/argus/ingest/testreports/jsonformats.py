"""JSON reports: detection, mocha's ``json`` reporter and ``dart test --reporter json``.

Detection by content: a first line that is a dart ``start`` event → dart; a test2json event → ``go test
-json`` (:mod:`.gotest`); else the whole document: ``stats`` + ``tests`` → mocha, ``examples`` (+
``summary``/``version``) → RSpec (:mod:`.rspec`). Well-formed JSON of any other shape is an
*unsupported format* (its top-level keys are named); only JSON that does not parse is *corrupt*.

Mocha: a test listed in ``pending`` (or flagged ``pending``) is skipped; a test whose ``err`` is not
empty failed — mocha itself has no failure/error distinction, so every failure is *failed*; the
describe path (``fullTitle`` minus ``title``) is the class, the file the suite. ``currentRetry`` (the
retries mocha made before the final result) is kept as property ``retries``.

Dart: events, one JSON object per line. ``testDone.result`` success/failure/error → passed/failed/
error, ``skipped: true`` → skipped; hidden tests (the synthetic "loading ..." ones) are ignored unless
they did not succeed; ``error`` events give message and stack, ``print`` events stdout. The class is
the suite path (the test file).
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import Outcome
from argus.core.values import loads_json
from argus.ingest.testreports.gotest import is_go_event, parse_go_test_lines
from argus.ingest.testreports.model import (
    Limits,
    NotATestReportError,
    ParsedReport,
    ReportFormat,
    ReportParseError,
)
from argus.ingest.testreports.rspec import is_rspec, parse_rspec
from argus.ingest.testreports.xmlstream import CaseCollector, clip, to_datetime, to_float, to_int

_DART = {"success": Outcome.PASSED, "failure": Outcome.FAILED, "error": Outcome.ERROR}


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _key(value: Any) -> str | int | float | None:
    """An event id usable as a dict key (ids of other JSON types are treated as absent)."""
    return value if isinstance(value, str | int | float) else None


def is_mocha(doc: Any) -> bool:
    """Whether a decoded JSON document is mocha's ``json`` reporter output."""
    return isinstance(doc, dict) and isinstance(doc.get("stats"), dict) and isinstance(doc.get("tests"), list)


def describe_json(doc: Any, lines: bool = False) -> str:
    """A short description of a JSON value's shape for an "unsupported format" error."""
    what = "JSON lines, the first" if lines else "JSON"
    if isinstance(doc, dict):
        keys = sorted(str(k) for k in doc)
        shown = ", ".join(keys[:8]) + (", …" if len(keys) > 8 else "")
        return f"{what} object with keys {shown}" if keys else f"{what} empty object"
    if isinstance(doc, list):
        return f"{what} array" if not lines else f"{what} an array"
    return f"{what} {type(doc).__name__}"


def parse_mocha(doc: Any, source: str, limits: Limits) -> ParsedReport:
    """Parse a loaded mocha JSON document."""
    if not is_mocha(doc):
        raise NotATestReportError(source, f"unsupported format ({describe_json(doc)})")
    pending = {
        _str(t.get("fullTitle")) for t in doc.get("pending") or [] if isinstance(t, dict)
    } if isinstance(doc.get("pending"), list) else set()
    collector = CaseCollector(limits)
    out = limits.max_output_chars
    for test in doc["tests"]:
        if not isinstance(test, dict):
            raise ReportParseError(source, "mocha 'tests' entries must be objects")
        full = _str(test.get("fullTitle")) or _str(test.get("title")) or ""
        title = _str(test.get("title")) or full
        describe = full[: -len(title)].strip() if title and full.endswith(title) and full != title else None
        err = test.get("err")
        message = stack = failure_type = None
        if isinstance(err, dict) and err:
            outcome = Outcome.FAILED
            message, stack, failure_type = _str(err.get("message")), _str(err.get("stack")), _str(err.get("name"))
        elif test.get("pending") is True or full in pending:
            outcome = Outcome.SKIPPED
        else:
            outcome = Outcome.PASSED
        duration = test.get("duration")
        retries = test.get("currentRetry")
        collector.add(
            _str(test.get("file")), describe or None, title, _str(test.get("file")), None, outcome,
            duration / 1000.0 if isinstance(duration, int | float) and duration >= 0 else None,
            message, failure_type, clip(stack, out), None, None,
            {"retries": str(retries)} if isinstance(retries, int) and retries > 0 else None,
        )
    stats = doc["stats"]
    return collector.report(ReportFormat.MOCHA_JSON, to_datetime(_str(stats.get("start"))))


class _DartTest:
    __slots__ = ("error", "hidden", "line", "name", "outcome", "stack", "stdout", "suite", "time")

    def __init__(self, name: str, suite: str | None, line: int | None) -> None:
        self.name, self.suite, self.line = name, suite, line
        self.outcome: Outcome | None = None
        self.hidden = False
        self.error: list[str] = []
        self.stack: list[str] = []
        self.stdout: list[str] = []
        self.time: float | None = None


def parse_dart_lines(lines: list[bytes], source: str, limits: Limits) -> ParsedReport:
    """Parse the event lines of a dart JSON report."""
    suites: dict[Any, str | None] = {}
    tests: dict[Any, _DartTest] = {}
    order: list[_DartTest] = []
    starts: dict[Any, float] = {}
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            event = loads_json(raw)
        except (ValueError, RecursionError) as exc:
            raise ReportParseError(source, f"line {number} is not JSON: {exc}") from None
        if not isinstance(event, dict):
            raise ReportParseError(source, f"line {number}: expected a JSON object")
        kind = event.get("type")
        if kind == "suite" and isinstance(event.get("suite"), dict):
            suites[_key(event["suite"].get("id"))] = _str(event["suite"].get("path"))
        elif kind == "testStart" and isinstance(event.get("test"), dict):
            t = event["test"]
            test_id = _key(t.get("id"))
            test = _DartTest(_str(t.get("name")) or "", suites.get(_key(t.get("suiteID"))), to_int(_str(t.get("line"))))
            tests[test_id] = test
            order.append(test)
            time = to_float(_str(event.get("time")))
            if time is not None:
                starts[test_id] = time
        elif kind in ("testDone", "error", "print") and _key(event.get("testID")) in tests:
            test_id = _key(event.get("testID"))
            test = tests[test_id]
            if kind == "testDone":
                test.hidden = event.get("hidden") is True
                result = _DART.get(_str(event.get("result")) or "", Outcome.ERROR)
                test.outcome = Outcome.SKIPPED if event.get("skipped") is True and result is Outcome.PASSED else result
                end = to_float(_str(event.get("time")))
                begin = starts.get(test_id)
                if end is not None and begin is not None and end >= begin:
                    test.time = (end - begin) / 1000.0
            elif kind == "error":
                test.error.append(_str(event.get("error")) or "")
                test.stack.append(_str(event.get("stackTrace")) or "")
            else:
                test.stdout.append(_str(event.get("message")) or "")
    collector = CaseCollector(limits)
    out = limits.max_output_chars
    for test in order:
        outcome = test.outcome or Outcome.ERROR  # started but never finished: the run died
        if test.hidden and outcome is Outcome.PASSED:
            continue
        collector.add(
            test.suite, test.suite, test.name, test.suite, test.line, outcome, test.time,
            "\n".join(test.error) or None, None, clip("\n".join(test.stack), out) or None,
            clip("\n".join(test.stdout), out) or None, None, None,
        )
    return collector.report(ReportFormat.DART_JSON)


def parse_json_bytes(data: bytes, source: str, limits: Limits) -> ParsedReport:
    """Detect mocha or dart JSON from content and parse it."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    first_line = text.split(b"\n", 1)[0]
    try:
        first = loads_json(first_line)
    except (ValueError, RecursionError):
        first = None
    if isinstance(first, dict) and first.get("type") == "start" and "protocolVersion" in first:
        return parse_dart_lines(text.split(b"\n"), source, limits)
    if is_go_event(first):
        return parse_go_test_lines(text.split(b"\n"), source, limits)
    try:
        doc = loads_json(text)
    except UnicodeDecodeError:
        raise ReportParseError(source, "JSON is not valid UTF-8") from None
    except ValueError as exc:
        if isinstance(first, dict | list) and first_line.strip() != text.strip():  # well-formed JSON lines
            raise ReportParseError(source, f"unsupported format ({describe_json(first, lines=True)})") from None
        raise ReportParseError(source, f"corrupt JSON: {exc}") from None
    except RecursionError:
        raise ReportParseError(source, "JSON nested too deeply") from None
    if is_rspec(doc):
        return parse_rspec(doc, source, limits)
    return parse_mocha(doc, source, limits)
