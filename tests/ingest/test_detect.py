"""The content detector of uploads: every report kind Argus reads, by content (never by file name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.ingest.detect import SNIFF_BYTES, ReportKind, detect_report_kind
from argus.testing.reports import junit, lcov, trivy, vulnerability
from argus.testing.uploads import BILLION_LAUGHS, XXE

T, C, V = ReportKind.TESTS, ReportKind.COVERAGE, ReportKind.VULNERABILITIES

CASES: list[tuple[str, str | bytes, ReportKind]] = [
    ("junit", junit("S", 2), T),
    ("junit-bom-utf16", junit("S", 1).replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
     .encode("utf-16"), T),
    ("nunit3", '<test-run id="1"><test-suite/></test-run>', T),
    ("nunit2", "<test-results total='1'/>", T),
    ("xunit", "<assemblies><assembly/></assemblies>", T),
    ("trx", '<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"/>', T),
    ("mocha", json.dumps({"stats": {}, "tests": []}), T),
    ("rspec", json.dumps({"version": "3", "examples": []}), T),
    ("go-test", '{"Time":"2024-01-01T00:00:00Z","Action":"run","Package":"p","Test":"T"}\n{"Action":"pass"}', T),
    ("dart", '{"type":"start","protocolVersion":"0.1.1"}\n{"type":"done"}', T),
    ("cobertura", '<?xml version="1.0"?>\n<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/'
                  'coverage-04.dtd">\n<coverage line-rate="1"/>', C),
    ("jacoco", '<report name="x"/>', C),
    ("lcov", lcov(1, 2), C),
    ("lcov-with-test-name", "TN:\n" + lcov(1, 2), C),
    ("coveragepy", json.dumps({"meta": {}, "files": {"a.py": {}}}), C),
    ("trivy", trivy([vulnerability("CVE-1", "x")]), V),
    ("grype", json.dumps({"matches": []}), V),
    ("pip-audit", json.dumps({"dependencies": []}), V),
    ("pip-audit-old", json.dumps([]), V),
    ("npm-audit", json.dumps({"auditReportVersion": 2, "vulnerabilities": {}}), V),
    ("osv", json.dumps({"results": []}), V),
]


@pytest.mark.parametrize(("content", "kind"), [(c, k) for _, c, k in CASES], ids=[n for n, _, _ in CASES])
def test_every_kind_is_detected_by_content(tmp_path: Path, content: str | bytes, kind: ReportKind) -> None:
    path = tmp_path / "report.bin"  # the name says nothing
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert detect_report_kind(path).kind is kind


@pytest.mark.parametrize(("content", "reason"), [
    ("", "file is empty"),
    ("hello\n", "neither XML, JSON nor LCOV"),
    ("<html/>", "root <html>"),
    ("<unclosed", "not well-formed XML"),
    ("<=>", "not well-formed XML"),
    ('{"foo": 1}', "keys foo"),
    ('{"foo": ', "not valid JSON"),
    ("42", "neither XML, JSON nor LCOV"),
    (BILLION_LAUGHS, "entity declarations"),
    (XXE, "entity declarations"),
    (b"\xff\xd8\xff\xe0 binary", "neither XML, JSON nor LCOV"),
])
def test_what_is_no_report_says_why(tmp_path: Path, content: str | bytes, reason: str) -> None:
    path = tmp_path / "x"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    found = detect_report_kind(path)
    assert found.kind is None and found.reason is not None and reason in found.reason, found


def test_a_long_prolog_before_the_root_is_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text("<?xml version='1.0'?>\n" + "<!-- padding -->\n" * 20_000 + junit("S", 1, xml_declaration=False))
    assert path.stat().st_size < SNIFF_BYTES * 2
    found = detect_report_kind(path)
    assert found.kind is T or "no XML root element" in (found.reason or "")
