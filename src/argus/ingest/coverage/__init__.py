"""Coverage reports: coverage.py JSON, Cobertura XML, LCOV and JaCoCo XML → one typed report.

Public API for other layers: the parsers, and the codec of the stored line ranges
(``CoverageFile.covered_lines`` / ``missing_lines`` hold :func:`encode_ranges` text; readers such as
the quality gate decode them with :func:`decode_ranges` and report runs with :func:`ranges_of`).
"""

from argus.ingest.coverage.parse import CoverageFormat, detect_format, parse_coverage
from argus.ingest.coverage.schemas import (
    CoverageParseError,
    CoverageReportData,
    FileCoverage,
    decode_ranges,
    encode_ranges,
    ranges_of,
)

__all__ = [
    "CoverageFormat",
    "CoverageParseError",
    "CoverageReportData",
    "FileCoverage",
    "decode_ranges",
    "detect_format",
    "encode_ranges",
    "parse_coverage",
    "ranges_of",
]
