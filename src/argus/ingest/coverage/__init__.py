"""Coverage reports: coverage.py JSON, Cobertura XML, LCOV and JaCoCo XML → one typed report."""

from argus.ingest.coverage.parse import CoverageFormat, detect_format, parse_coverage
from argus.ingest.coverage.schemas import CoverageParseError, CoverageReportData, FileCoverage

__all__ = [
    "CoverageFormat",
    "CoverageParseError",
    "CoverageReportData",
    "FileCoverage",
    "detect_format",
    "parse_coverage",
]
