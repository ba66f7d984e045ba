"""Streaming, hostile-input-safe XML driver shared by the XML report parsers.

The bytes are fed in chunks to pyexpat (constant memory: no tree is built). Following defusedxml's
policy, any DTD (``<!DOCTYPE``), entity declaration or external entity reference aborts the parse, so
entity expansion (billion laughs) and external entities (XXE) are impossible; an undefined entity is
a well-formedness error. defusedxml's own exception types are raised inside the handlers and turned
into :class:`ReportParseError` here. pyexpat is used directly (not ``defusedxml.ElementTree``, which
runs the pure-Python ElementTree) because it is several times faster.

Character data is only collected while a handler asks for it (:meth:`XmlContext.capture`), into a
:class:`TextBuffer` that keeps at most its limit of characters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol
from xml.parsers import expat

from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from argus.core.enums import Outcome
from argus.core.values import MAX_DURATION_S, MAX_TIMESTAMP, MIN_TIMESTAMP, bounded_timestamp
from argus.ingest.testreports.identity import bounded, make_identity
from argus.ingest.testreports.model import (
    Limits,
    NotATestReportError,
    ParsedCase,
    ParsedReport,
    ReportFormat,
    ReportParseError,
)

_MAX_INT = 2**31 - 1
_new_tuple = tuple.__new__
_INF = float("inf")
_FAILING = frozenset((Outcome.FAILED, Outcome.ERROR))
#: Longest plausible duration of one test case, seconds (a day); longer ones are a unit error.
MAX_PLAUSIBLE_S = 86_400.0


class TextBuffer:
    """Collect text up to ``limit`` characters; remember how much was cut."""

    __slots__ = ("dropped", "limit", "parts", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def append(self, text: str) -> None:
        room = self.limit - self.size
        if room >= len(text):
            self.parts.append(text)
            self.size += len(text)
        else:
            if room > 0:
                self.parts.append(text[:room])
                self.size = self.limit
            self.dropped += len(text) - max(room, 0)

    def value(self) -> str | None:
        """The text, ``None`` when blank; a cut text ends with ``…[truncated N chars]``."""
        text = "".join(self.parts)
        if not text.strip():
            return None
        text = text.strip("\r\n")
        if self.dropped:
            text += f"\n…[truncated {self.dropped} chars]"
        return text


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters with the same marker as :class:`TextBuffer`."""
    if text is None or len(text) <= limit:
        return text or None
    return f"{text[:limit]}\n…[truncated {len(text) - limit} chars]"


def to_float(value: str | None) -> float | None:
    """Seconds from a report attribute; a decimal comma is accepted; nonsense and negatives give None."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            number = float(value.replace(",", ".").strip())
        except ValueError:
            return None
    return number if 0 <= number < _INF else None  # NaN fails both comparisons


def to_int(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 10:  # "²".isdigit() is True
        return None
    number = int(value)
    return number if number <= _MAX_INT else None


def to_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


class CaseCollector:
    """Turn raw case fields into :class:`ParsedCase`s: identity, invocation, attempt index, truncation.

    A test name seen again in the same report is a new *invocation* (jest ``test.each``, TestNG data
    providers): its identity and name get `` [#n]`` (n = 2, 3 … in document order), so each is counted
    and keeps its outcome. It is a *retry* (same identity, next ``attempt``) only when the parser says
    so: ``continues=True`` (rerun elements inside one ``<testcase>``, pytest's teardown error written as
    a second element), or ``retry_after_failure=True`` and every earlier attempt of the test's latest
    invocation failed (Gradle's own rule for grouping test-retry executions).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.message_limit = limits.max_message_chars
        self.cases: list[ParsedCase] = []
        self.latest: dict[str, str] = {}  # key -> identity of its latest invocation
        self.attempts: dict[str, int] = {}  # identity -> next attempt index (only for repeated tests)
        self.invocations: dict[str, int] = {}  # key -> invocations so far (only for repeated tests)
        self.failing: set[str] = set()  # identities whose attempts all failed so far (retry_after_failure)
        self.warnings: list[str] = []
        self.skipped_unnamed = 0

    def add(
        self,
        suite: str | None,
        classname: str | None,
        name: str | None,
        file: str | None,
        line: int | None,
        outcome: Outcome,
        duration_s: float | None,
        message: str | None = None,
        failure_type: str | None = None,
        stack: str | None = None,
        stdout: str | None = None,
        stderr: str | None = None,
        properties: dict[str, str] | None = None,
        continues: bool = False,
        retry_after_failure: bool = False,
    ) -> None:
        if not name:
            if not classname:
                self.skipped_unnamed += 1
                return
            name = ""
        key = make_identity(suite, classname, name, file)
        latest = self.latest
        identity = latest.get(key)
        if identity is None:  # the common case: first sight of the test
            identity = latest[key] = key
            attempt = 0
            if retry_after_failure and outcome in _FAILING:
                self.failing.add(key)
        else:
            if continues or (retry_after_failure and identity in self.failing):
                attempt = self.attempts.get(identity, 1)
            else:
                number = self.invocations.get(key, 1) + 1
                self.invocations[key] = number
                identity = latest[key] = bounded(f"{key} [#{number}]")
                name = f"{name} [#{number}]"
                attempt = 0
            if retry_after_failure and outcome not in _FAILING:
                self.failing.discard(identity)
            elif retry_after_failure and attempt == 0:
                self.failing.add(identity)
            self.attempts[identity] = attempt + 1
        if message is not None and len(message) > self.message_limit:
            message = clip(message, self.message_limit)
        # tuple.__new__ skips NamedTuple's Python-level __new__ (one call less per result)
        self.cases.append(_new_tuple(ParsedCase, (
            identity, suite or None, classname or None, name, file or None, line, outcome, duration_s,
            message or None, failure_type or None, stack, stdout, stderr, properties or None, attempt,
        )))

    def add_plain(self, suite: str | None, classname: str | None, name: str | None, file: str | None,
                  line: int | None, outcome: Outcome, duration_s: float | None) -> None:
        """:meth:`add` of a result without message, texts or properties, not a retry: the hot path
        (most results). A name seen before (another invocation) goes the general way."""
        if name:
            key = make_identity(suite, classname, name, file)
            latest = self.latest
            if key not in latest:
                latest[key] = key
                self.cases.append(_new_tuple(ParsedCase, (
                    key, suite or None, classname or None, name, file or None, line, outcome, duration_s,
                    None, None, None, None, None, None, 0,
                )))
                return
        self.add(suite, classname, name, file, line, outcome, duration_s)

    def report(self, fmt: ReportFormat, timestamp: datetime | None = None) -> ParsedReport:
        """The parsed report; durations over :data:`MAX_PLAUSIBLE_S` are dropped with a warning."""
        warnings = list(self.warnings)
        if self.skipped_unnamed:
            warnings.append(f"{self.skipped_unnamed} test case(s) without name or class were ignored")
        cases, implausible, longest, invalid = clear_bad_durations(self.cases)
        if implausible:
            warnings.append(
                f"{implausible} test case(s) with an implausible duration (up to {longest:,.0f} s, over "
                f"{MAX_PLAUSIBLE_S:,.0f} s) stored without a duration: wrong unit in the report?")
        if invalid:
            warnings.append(f"{invalid} duration(s) outside 0 to {MAX_DURATION_S:.0f} s were ignored")
        if timestamp is not None and bounded_timestamp(timestamp) is None:
            warnings.append(f"report timestamp {timestamp.isoformat()} is out of range "
                            f"({MIN_TIMESTAMP:%Y-%m-%d} to {MAX_TIMESTAMP:%Y-%m-%d}) and was ignored")
            timestamp = None
        return ParsedReport(fmt, tuple(cases), timestamp, tuple(warnings))


def clear_bad_durations(cases: list[ParsedCase]) -> tuple[list[ParsedCase], int, float, int]:
    """``cases`` with unusable durations set to ``None``, in one pass: finite ones over
    ``MAX_PLAUSIBLE_S`` (most often a wrong unit, e.g. nanoseconds) and negative, infinite or NaN ones.

    Returns the cases, how many were implausible, the longest of those, and how many were invalid.
    Every bounded duration (``MAX_DURATION_S``) is therefore also plausible.
    """
    out = cases
    implausible = invalid = 0
    longest = 0.0
    for i, case in enumerate(cases):
        d = case[7]
        if d is None or 0.0 <= d <= MAX_PLAUSIBLE_S:
            continue
        if out is cases:
            out = list(cases)
        if d > 0.0 and math.isfinite(d):
            implausible += 1
            longest = max(longest, d)
        else:
            invalid += 1
        out[i] = case._replace(duration_s=None)
    return out, implausible, longest, invalid


class XmlHandler(Protocol):
    """A format handler: receives element events after the root picked it."""

    def start(self, tag: str, attrs: dict[str, str]) -> None: ...

    def end(self, tag: str) -> None: ...

    def finish(self) -> ParsedReport: ...


class XmlContext:
    """What handlers share: the limits, the collector, and text capture on the expat parser."""

    def __init__(self, parser: Any, limits: Limits) -> None:
        self._parser = parser
        self.limits = limits
        self.collector = CaseCollector(limits)

    def capture(self, limit: int) -> TextBuffer:
        """Start collecting character data into a new buffer (until :meth:`stop`)."""
        buffer = TextBuffer(limit)
        self._parser.CharacterDataHandler = buffer.append
        return buffer

    def stop(self) -> None:
        self._parser.CharacterDataHandler = None


def _forbid_dtd(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name: str, *args: Any) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


RootDispatch = Callable[[str, dict[str, str], XmlContext], XmlHandler | None]


def parse_xml_chunks(
    chunks: Iterable[bytes], source: str, limits: Limits, pick_handler: RootDispatch
) -> ParsedReport:
    """Parse XML fed as ``chunks``; ``pick_handler`` chooses the format from the root element.

    Raises :class:`ReportParseError` for malformed/truncated XML, DTDs and entities, an unknown root,
    or more than ``limits.max_file_bytes`` bytes.
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    context = XmlContext(parser, limits)
    state: dict[str, XmlHandler] = {}

    def root(tag: str, attrs: dict[str, str]) -> None:
        handler = pick_handler(tag.rsplit(":", 1)[-1], attrs, context)
        if handler is None:
            raise NotATestReportError(source, f"unsupported format (XML with root element <{tag}>)")
        state["handler"] = handler
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        handler.start(tag.rsplit(":", 1)[-1], attrs)

    parser.StartElementHandler = root
    total = 0
    try:
        for chunk in chunks:
            total += len(chunk)
            if total > limits.max_file_bytes:
                raise ReportParseError(source, f"larger than the limit of {limits.max_file_bytes} bytes")
            parser.Parse(chunk, False)
        if total == 0:
            raise ReportParseError(source, "file is empty")
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        what = expat.ErrorString(exc.code)
        raise ReportParseError(
            source, f"corrupt or truncated XML: {what} at line {exc.lineno}, column {exc.offset}"
        ) from None
    except DTDForbidden:
        raise ReportParseError(source, "XML with a DTD (<!DOCTYPE>) is refused (entity expansion risk)") from None
    except (EntitiesForbidden, ExternalReferenceForbidden, DefusedXmlException):
        raise ReportParseError(source, "XML entity declarations and external references are refused") from None
    except RecursionError:
        raise ReportParseError(source, "XML nested too deeply") from None
    except LookupError as exc:  # encoding="..." that Python does not know
        raise ReportParseError(source, f"unsupported XML encoding: {exc}") from None
    except ValueError as exc:
        if "encoding" not in str(exc):  # pyexpat: "multi-byte encodings are not supported"
            raise
        raise ReportParseError(source, f"unsupported XML encoding: {exc}") from None
    handler = state.get("handler")
    if handler is None:  # pragma: no cover - expat reports "no element found" first
        raise ReportParseError(source, "no XML element found")
    return handler.finish()
