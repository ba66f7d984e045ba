"""Detect a coverage report's format and parse it (size-limited, hostile XML refused)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from argus.core.values import MAX_INT32
from argus.ingest.coverage._xml import check_size, root_tag
from argus.ingest.coverage.formats import parse_cobertura, parse_coveragepy_json, parse_jacoco, parse_lcov
from argus.ingest.coverage.schemas import CoverageParseError, CoverageReportData

#: Default size limit; callers pass ``Settings.ingest.max_file_bytes``.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class CoverageFormat(StrEnum):
    COVERAGEPY = "coveragepy"
    COBERTURA = "cobertura"
    LCOV = "lcov"
    JACOCO = "jacoco"


_PARSERS: dict[CoverageFormat, Callable[[bytes, str], CoverageReportData]] = {
    CoverageFormat.COVERAGEPY: parse_coveragepy_json,
    CoverageFormat.COBERTURA: parse_cobertura,
    CoverageFormat.LCOV: parse_lcov,
    CoverageFormat.JACOCO: parse_jacoco,
}


def detect_format(data: bytes, source: str) -> CoverageFormat:
    """Tell the format from the content: JSON object → coverage.py; XML root ``coverage`` → Cobertura,
    ``report`` → JaCoCo; text with ``SF:`` records → LCOV."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith(b"{"):
        return CoverageFormat.COVERAGEPY
    if head.startswith(b"<"):
        tag = root_tag(data, source, CoverageParseError)
        if tag == "coverage":
            return CoverageFormat.COBERTURA
        if tag == "report":
            return CoverageFormat.JACOCO
        raise CoverageParseError(source, f"unknown XML coverage format (root <{tag}>); expected Cobertura or JaCoCo")
    if b"SF:" in head:
        return CoverageFormat.LCOV
    raise CoverageParseError(
        source, "unknown coverage format: expected coverage.py JSON, Cobertura XML, JaCoCo XML or LCOV"
    )


def parse_coverage(
    data: bytes, source: str, fmt: CoverageFormat | str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> CoverageReportData:
    """Parse ``data`` (format detected unless given); raises :class:`CoverageParseError` naming ``source``."""
    check_size(data, source, max_bytes, CoverageParseError)
    if fmt is None:
        chosen = detect_format(data, source)
    else:
        try:
            chosen = CoverageFormat(fmt)
        except ValueError:
            names = ", ".join(f.value for f in CoverageFormat)
            raise CoverageParseError(source, f"unknown format {fmt!r}: use one of {names}") from None
    report = _PARSERS[chosen](data, source)
    if not report.files:
        raise CoverageParseError(source, "the report lists no source files")
    _check_totals(report, source)
    return report


def _check_totals(report: CoverageReportData, source: str) -> None:
    """Refuse counts that no ``Integer`` column holds (sums of per-file counts can exceed it)."""
    for name in ("lines_valid", "lines_covered", "branches_valid", "branches_covered"):
        if getattr(report, name) > MAX_INT32:
            raise CoverageParseError(source, f"total {name} is above {MAX_INT32}: not a plausible coverage report")
    for f in report.files:
        if max(f.branches_valid, f.branches_covered, f.declared_valid, f.declared_covered) > MAX_INT32:
            raise CoverageParseError(source, f"{f.path[:200]}: branch or line counts above {MAX_INT32}")
