"""Report files as a CI job uploads them: JUnit XML, LCOV coverage, Trivy JSON scans."""

from __future__ import annotations

import json
from collections.abc import Sequence


def lcov(covered: int, total: int = 100, path: str = "src/app.py") -> str:
    """An LCOV record of ``path`` with ``total`` executable lines of which the first ``covered`` were hit."""
    return f"SF:{path}\n" + "".join(f"DA:{i},{int(i <= covered)}\n" for i in range(1, total + 1)) + "end_of_record\n"


def vulnerability(cve: str, package: str, severity: str = "HIGH", *, installed: str | None = None,
                  fixed: str | None = None) -> dict[str, str]:
    """One Trivy finding (fields in Trivy's order; a version left ``None`` is left out)."""
    found = {"VulnerabilityID": cve, "PkgName": package}
    if installed is not None:
        found["InstalledVersion"] = installed
    if fixed is not None:
        found["FixedVersion"] = fixed
    found["Severity"] = severity
    return found


def trivy(findings: Sequence[dict[str, str]], target: str = "x") -> str:
    """A Trivy JSON report (schema 2) with ``findings`` (see :func:`vulnerability`) in one target."""
    return json.dumps({"SchemaVersion": 2, "Results": [{"Target": target, "Vulnerabilities": list(findings)}]})


def junit(suite: str, tests: int, failures: int = 0, *, name: str = "test_{i}", time: str = "0.01",
          failure: str = '<failure message="boom" type="AssertionError">trace</failure>',
          xml_declaration: bool = True) -> str:
    """A JUnit XML suite of ``tests`` distinct cases (``name`` formatted with their index ``i``) in class
    ``suite``; the first ``failures`` fail with ``failure``."""
    cases = "".join(
        f'<testcase classname="{suite}" name="{name.format(i=i)}" time="{time}">'
        + (failure if i < failures else "") + "</testcase>"
        for i in range(tests)
    )
    head = '<?xml version="1.0"?>\n' if xml_declaration else ""
    tail = "\n" if xml_declaration else ""
    return f'{head}<testsuite name="{suite}" tests="{tests}" failures="{failures}">{cases}</testsuite>{tail}'
