"""Tell what kind of report a file is from its content: a test report, a coverage report or a
vulnerability scan (or none Argus reads, with the reason).

Used where files arrive without saying what they are (server uploads). Only the head is read for XML
(the root element's name, through the same hardened expat as the parsers: a DTD declaring entities or
an external reference is refused here already) and for LCOV; a JSON document is decoded whole (its
top-level keys decide; every JSON parser decodes it whole anyway, within ``ingest.max_file_bytes``),
JSON lines only by their first line. The format parsers then decide whether the content is valid.

XML roots: ``testsuites``/``testsuite``/``test-run``/``test-results``/``test-suite``/``assemblies``/
``assembly``/``TestRun`` → tests (JUnit, NUnit, xUnit.net, TRX); ``coverage`` → Cobertura, ``report`` →
JaCoCo. JSON: mocha, RSpec, ``go test -json`` and dart events → tests; Trivy, Grype, pip-audit, npm
audit and OSV-Scanner keys → vulnerabilities; an object with a ``files`` object → coverage.py. Text with
``SF:`` records → LCOV.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from xml.parsers import expat

from argus.core.values import loads_json

#: Bytes read to find an XML root element or LCOV records (a DTD or comments before the root may be long).
SNIFF_BYTES = 1 << 20
_SKIP = b"\xef\xbb\xbf \t\r\n"
_TEST_ROOTS = frozenset({"testsuites", "testsuite", "test-run", "test-results", "test-suite", "assemblies",
                         "assembly", "TestRun"})
_COVERAGE_ROOTS = frozenset({"coverage", "report"})
_VULN_KEYS = frozenset({"SchemaVersion", "Results", "ArtifactName", "matches", "auditReportVersion", "advisories",
                        "vulnerabilities"})
_EXPECTED = ("expected a test report (JUnit, NUnit, xUnit.net, TRX, mocha, RSpec, go test, dart), "
             "a coverage report (Cobertura, JaCoCo, LCOV, coverage.py) or a vulnerability scan "
             "(Trivy, Grype, pip-audit, npm audit, OSV-Scanner)")


class ReportKind(StrEnum):
    TESTS = "tests"
    COVERAGE = "coverage"
    VULNERABILITIES = "vulns"


@dataclass(frozen=True)
class Detected:
    """The kind of report, or ``None`` with the reason it is none Argus reads."""

    kind: ReportKind | None
    reason: str | None = None


def _unknown(reason: str) -> Detected:
    return Detected(None, reason)


class _Root(Exception):
    def __init__(self, tag: str) -> None:
        self.tag = tag


class _Hostile(Exception):
    pass


def _xml_root(path: Path) -> str | Detected:
    """The root element's name, fed to expat in chunks until it is found (hostile XML refused)."""

    def start(tag: str, _attrs: dict[str, str]) -> None:
        raise _Root(tag)

    def entity(*_args: Any) -> None:
        raise _Hostile

    def external(*_args: Any) -> int:
        raise _Hostile

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    parser.StartElementHandler = start
    read = 0
    try:
        with path.open("rb") as fh:
            while read < SNIFF_BYTES:
                chunk = fh.read(64 * 1024)
                read += len(chunk)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    break
    except _Root as found:
        return found.tag
    except _Hostile:
        return _unknown("refused XML: entity declarations and external references are not allowed")
    except expat.ExpatError as exc:
        return _unknown(f"not well-formed XML: {expat.ErrorString(exc.code)}: line {exc.lineno}, column {exc.offset}")
    except (LookupError, ValueError) as exc:
        return _unknown(f"unsupported XML encoding: {exc}")
    return _unknown(f"no XML root element in the first {SNIFF_BYTES} bytes")


def _json_kind(path: Path, head: bytes) -> Detected:
    text = head.lstrip(_SKIP)
    first_line = text.split(b"\n", 1)[0]
    try:
        first = loads_json(first_line)
    except (ValueError, RecursionError):
        first = None
    if isinstance(first, dict) and (
        (first.get("type") == "start" and "protocolVersion" in first)  # dart events
        or (isinstance(first.get("Action"), str) and ("Package" in first or "ImportPath" in first or "Time" in first))
    ):  # go test -json events
        return Detected(ReportKind.TESTS)
    try:
        doc = loads_json(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return _unknown(f"not UTF-8 text: {exc.reason} at byte {exc.start}")
    except json.JSONDecodeError as exc:
        return _unknown(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return _unknown("JSON nested too deeply")
    except ValueError as exc:
        return _unknown(f"not valid JSON: {exc}")
    if isinstance(doc, list):
        return Detected(ReportKind.VULNERABILITIES)  # pip-audit < 2.5: a bare list of dependencies
    if not isinstance(doc, dict):
        return _unknown(f"JSON {type(doc).__name__}: {_EXPECTED}")
    if isinstance(doc.get("stats"), dict) and isinstance(doc.get("tests"), list):
        return Detected(ReportKind.TESTS)  # mocha
    if isinstance(doc.get("examples"), list) and ("summary" in doc or "version" in doc or "summary_line" in doc):
        return Detected(ReportKind.TESTS)  # RSpec
    if _VULN_KEYS & doc.keys() or isinstance(doc.get("dependencies"), list) or "results" in doc:
        return Detected(ReportKind.VULNERABILITIES)
    if isinstance(doc.get("files"), dict):
        return Detected(ReportKind.COVERAGE)  # coverage.py
    keys = sorted(str(k) for k in doc)
    shown = ", ".join(keys[:8]) + (", …" if len(keys) > 8 else "")
    return _unknown(f"unknown JSON report (keys {shown or 'none'}): {_EXPECTED}")


def detect_report_kind(path: Path) -> Detected:
    """What kind of report the file at ``path`` is (see the module doc); never raises for bad content."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        return _unknown(f"cannot read: {exc.strerror or exc}")
    stripped = head.lstrip(_SKIP)
    if not stripped:
        return _unknown("file is empty")
    if stripped.startswith(b"<") or stripped[:2] in (b"\xff\xfe", b"\xfe\xff"):
        root = _xml_root(path)
        if isinstance(root, Detected):
            return root
        if root in _TEST_ROOTS:
            return Detected(ReportKind.TESTS)
        if root in _COVERAGE_ROOTS:
            return Detected(ReportKind.COVERAGE)
        return _unknown(f"unknown XML report (root <{root}>): {_EXPECTED}")
    if stripped.startswith((b"{", b"[")):
        return _json_kind(path, head)
    if stripped.startswith((b"TN:", b"SF:")) or b"\nSF:" in stripped[:65536]:
        return Detected(ReportKind.COVERAGE)  # LCOV tracefile
    return _unknown(f"unknown content (neither XML, JSON nor LCOV): {_EXPECTED}")
