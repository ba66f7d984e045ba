"""Entry points: detect a report's format from its content and parse it (pure: no database).

XML reports are streamed in 1 MiB chunks; the format is the root element's name (``testsuites``/
``testsuite`` → JUnit, ``test-run`` → NUnit 3, ``test-results`` → NUnit 2, ``assemblies``/``assembly``
→ xUnit.net v2, ``TestRun`` → TRX). Content starting with ``{`` or ``[`` is JSON (mocha, dart, ``go test
-json``, RSpec: see :mod:`.jsonformats`). Well-formed input of another shape is rejected as
"unsupported format (…)", input that does not parse as "corrupt". Every failure is a
:class:`ReportParseError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from argus.ingest.testreports.dotnet import TrxHandler, XUnitHandler
from argus.ingest.testreports.jsonformats import parse_json_bytes
from argus.ingest.testreports.junit import JUnitHandler
from argus.ingest.testreports.model import Limits, ParsedReport, ReportParseError
from argus.ingest.testreports.nunit import NUnitHandler
from argus.ingest.testreports.xmlstream import XmlContext, XmlHandler, parse_xml_chunks

CHUNK_BYTES = 1 << 20
_SNIFF_SKIP = b"\xef\xbb\xbf \t\r\n"


def pick_xml_handler(root: str, attrs: dict[str, str], context: XmlContext) -> XmlHandler | None:
    """The handler for a root element name, or ``None`` when it is no report format Argus knows."""
    if root in ("testsuites", "testsuite"):
        return JUnitHandler(context)
    if root == "test-run":
        return NUnitHandler(context, 3)
    if root == "test-results":
        return NUnitHandler(context, 2)
    if root == "test-suite":
        return NUnitHandler(context, 3 if "fullname" in attrs or "id" in attrs else 2)
    if root in ("assemblies", "assembly"):
        return XUnitHandler(context)
    if root == "TestRun":
        return TrxHandler(context)
    return None


def _kind(head: bytes) -> str:
    """``xml``, ``json`` or ``unknown`` from the first bytes (BOM and whitespace skipped)."""
    stripped = head.lstrip(_SNIFF_SKIP)
    if stripped.startswith(b"<"):
        return "xml"
    if stripped.startswith((b"{", b"[")):
        return "json"
    if stripped[:4] in (b"\xff\xfe<\x00", b"\xfe\xff\x00<") or stripped[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "xml"  # UTF-16 XML (expat reads the BOM)
    return "unknown"


def parse_report_bytes(data: bytes, source: str = "<bytes>", limits: Limits | None = None) -> ParsedReport:
    """Parse a whole report held in memory."""
    limits = limits or Limits()
    if not data:
        raise ReportParseError(source, "file is empty")
    if len(data) > limits.max_file_bytes:
        raise ReportParseError(source, f"larger than the limit of {limits.max_file_bytes} bytes")
    kind = _kind(data[:4096])
    if kind == "json":
        return parse_json_bytes(data, source, limits)
    if kind == "xml":
        chunks = (data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES))
        return parse_xml_chunks(chunks, source, limits, pick_xml_handler)
    raise ReportParseError(source, "unsupported format (content is neither XML nor JSON)")


def _file_chunks(path: Path, first: bytes) -> Iterator[bytes]:
    yield first
    with path.open("rb") as fh:
        fh.seek(len(first))
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk


def parse_report_file(path: Path, limits: Limits | None = None, source: str | None = None) -> ParsedReport:
    """Parse the report at ``path``, streaming XML; ``source`` names it in errors (default: the path)."""
    limits = limits or Limits()
    name = source or str(path)
    try:
        if not path.is_file():
            raise ReportParseError(name, "file does not exist" if not path.exists() else "not a regular file")
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise ReportParseError(name, f"larger than the limit of {limits.max_file_bytes} bytes ({size} bytes)")
        with path.open("rb") as fh:
            first = fh.read(CHUNK_BYTES)
    except OSError as exc:
        raise ReportParseError(name, f"cannot read: {exc.strerror or exc}") from None
    if not first:
        raise ReportParseError(name, "file is empty")
    kind = _kind(first[:4096])
    if kind == "json":
        if len(first) == CHUNK_BYTES:
            try:
                first = path.read_bytes()
            except OSError as exc:
                raise ReportParseError(name, f"cannot read: {exc.strerror or exc}") from None
        return parse_report_bytes(first, name, limits)
    if kind == "unknown":
        raise ReportParseError(name, "unsupported format (content is neither XML nor JSON)")
    try:
        return parse_xml_chunks(_file_chunks(path, first), name, limits, pick_xml_handler)
    except OSError as exc:
        raise ReportParseError(name, f"cannot read: {exc.strerror or exc}") from None
