"""Test-report ingestion: parse every common format (pure) and store results in bulk (service).

Parsing: :func:`parse_report_file` / :func:`parse_report_bytes` → :class:`ParsedReport`; the only
error raised is :class:`ReportParseError`. Storing: :mod:`argus.ingest.testreports.service`.
"""

from argus.ingest.testreports.model import (
    Limits,
    NotATestReportError,
    ParsedCase,
    ParsedReport,
    ReportFormat,
    ReportParseError,
    ReportSummary,
)
from argus.ingest.testreports.parse import parse_report_bytes, parse_report_file

__all__ = [
    "Limits",
    "NotATestReportError",
    "ParsedCase",
    "ParsedReport",
    "ReportFormat",
    "ReportParseError",
    "ReportSummary",
    "parse_report_bytes",
    "parse_report_file",
]
