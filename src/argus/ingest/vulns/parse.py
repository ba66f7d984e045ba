"""Detect a vulnerability report's scanner and parse it (size-limited)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

from argus.ingest.coverage._xml import check_size, load_json
from argus.ingest.vulns.formats import parse_grype, parse_npm_audit, parse_osv, parse_pip_audit, parse_trivy
from argus.ingest.vulns.schemas import Finding, VulnParseError, VulnReportData, dedupe

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class VulnFormat(StrEnum):
    TRIVY = "trivy"
    GRYPE = "grype"
    PIP_AUDIT = "pip-audit"
    NPM_AUDIT = "npm-audit"
    OSV = "osv-scanner"


_PARSERS: dict[VulnFormat, Callable[[Any, str], Iterator[Finding]]] = {
    VulnFormat.TRIVY: parse_trivy,
    VulnFormat.GRYPE: parse_grype,
    VulnFormat.PIP_AUDIT: parse_pip_audit,
    VulnFormat.NPM_AUDIT: parse_npm_audit,
    VulnFormat.OSV: parse_osv,
}


def detect_format(doc: Any, source: str) -> VulnFormat:
    """Tell the scanner from the document's top-level keys."""
    if isinstance(doc, list):
        return VulnFormat.PIP_AUDIT  # pip-audit < 2.5 wrote a bare list of dependencies
    if isinstance(doc, dict):
        if "SchemaVersion" in doc or "Results" in doc or "ArtifactName" in doc:
            return VulnFormat.TRIVY
        if "matches" in doc:
            return VulnFormat.GRYPE
        if "dependencies" in doc and isinstance(doc.get("dependencies"), list):
            return VulnFormat.PIP_AUDIT
        if "auditReportVersion" in doc or "advisories" in doc or "vulnerabilities" in doc:
            return VulnFormat.NPM_AUDIT
        if "results" in doc:
            return VulnFormat.OSV
    raise VulnParseError(
        source, "unknown vulnerability report: expected Trivy, Grype, pip-audit, npm audit or OSV-Scanner JSON"
    )


def parse_vulns(
    data: bytes, source: str, fmt: VulnFormat | str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> VulnReportData:
    """Parse ``data`` (scanner detected unless given); raises :class:`VulnParseError` naming ``source``.

    An empty findings list is valid (a clean scan).
    """
    check_size(data, source, max_bytes, VulnParseError)
    doc = load_json(data, source, VulnParseError)
    if fmt is None:
        chosen = detect_format(doc, source)
    else:
        try:
            chosen = VulnFormat(fmt)
        except ValueError:
            names = ", ".join(f.value for f in VulnFormat)
            raise VulnParseError(source, f"unknown format {fmt!r}: use one of {names}") from None
    return VulnReportData(chosen.value, dedupe(_PARSERS[chosen](doc, source)))
