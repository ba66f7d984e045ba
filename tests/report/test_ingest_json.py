"""The JSON of ingestion outcomes is built in argus.report.ingest, the same for every front door."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from argus.ingest.testreports.service import FileOutcome, FileStatus
from argus.report.ingest import artifact_json, ingested_reports_json, parsed_report_json, record_json


def test_parsed_file_that_was_skipped_or_rejected() -> None:
    assert parsed_report_json(Path("r/coverage.xml"), None, skipped="not a test report") == {
        "file": "r/coverage.xml", "skipped": "not a test report"}
    assert parsed_report_json(Path("bad.xml"), None, error="not XML") == {"file": "bad.xml", "error": "not XML"}


def test_ingested_reports_are_plain_json() -> None:
    rows = ingested_reports_json([FileOutcome("a.xml", FileStatus.DUPLICATE, reason="same as report 3", run_id=7)])
    assert rows == [{"source": "a.xml", "status": "duplicate", "format": None, "summary": None, "report_id": None,
                     "run_id": 7, "reason": "same as report 3", "warnings": []}]
    json.dumps(rows)


def test_rejected_artifact_names_its_reason() -> None:
    assert artifact_json("cov.xml", FileStatus.REJECTED, None, "no coverage format") == {
        "file": "cov.xml", "status": "rejected", "reason": "no coverage format"}


def test_records_convert_times_and_enums() -> None:
    assert record_json({"at": datetime(2026, 1, 2, tzinfo=UTC), "status": FileStatus.INGESTED}) == {
        "at": "2026-01-02T00:00:00+00:00", "status": "ingested"}
