"""Machine-readable forms of ingestion outcomes (``argus parse|ingest … --json``, ``argus changes``,
``argus dead-letters``): one place, so every front door renders the same JSON.

Each function returns JSON-ready values (:func:`argus.report.jsonable.to_jsonable`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argus.report.jsonable import to_jsonable

if TYPE_CHECKING:
    from argus.ingest.coverage.service import CoverageIngestResult
    from argus.ingest.testreports.model import ParsedReport
    from argus.ingest.testreports.service import FileOutcome
    from argus.ingest.vulns.service import VulnIngestResult


def parsed_report_json(path: Path, report: ParsedReport | None, *, error: str | None = None,
                       skipped: str | None = None) -> dict[str, Any]:
    """``argus parse tests --json``: one file, its every case (or why it was rejected or skipped)."""
    if skipped is not None:
        return {"file": str(path), "skipped": skipped}
    if report is None:
        return {"file": str(path), "error": error}
    return {
        "file": str(path), "format": report.format.value, "summary": to_jsonable(report.summary()),
        "timestamp": to_jsonable(report.timestamp), "warnings": list(report.warnings),
        "cases": [case.as_dict() for case in report.cases],
    }


def ingested_reports_json(outcomes: Iterable[FileOutcome]) -> list[Any]:
    """``argus ingest tests --json``: every file's outcome (status, format, counts, run)."""
    return [to_jsonable(o) for o in outcomes]


def artifact_json(file: str, status: Enum, report: CoverageIngestResult | VulnIngestResult | None,
                  reason: str | None = None) -> dict[str, Any]:
    """``argus ingest coverage|vulns --json``: file, status, then the stored report's fields (or the reason)."""
    if report is None:
        return {"file": file, "status": status.value, "reason": reason}
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.name != "duplicate"}
    return to_jsonable({"file": file, "status": status.value, **fields})


def record_json(value: Any) -> Any:
    """A read model of ingestion (git history or SZZ run, change, dead letter, retry outcome) as JSON."""
    return to_jsonable(value)


def records_json(values: Iterable[Any]) -> list[Any]:
    """Rows of a list (changes, dead letters) as JSON."""
    return [to_jsonable(v) for v in values]
