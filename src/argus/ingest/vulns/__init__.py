"""Vulnerability reports: Trivy, Grype, pip-audit, npm audit and OSV-Scanner JSON → typed findings."""

from argus.ingest.vulns.parse import VulnFormat, detect_format, parse_vulns
from argus.ingest.vulns.schemas import Finding, Severity, VulnParseError, VulnReportData

__all__ = [
    "Finding",
    "Severity",
    "VulnFormat",
    "VulnParseError",
    "VulnReportData",
    "detect_format",
    "parse_vulns",
]
