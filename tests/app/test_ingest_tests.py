"""The test-report use cases called directly: batching into one run, outcomes, progress, parsing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from argus.app.deadletters import ListDeadLetters, list_dead_letters
from argus.app.ingest_tests import (
    FileOutcome,
    FileStatus,
    IngestReportsRequest,
    ingest_test_reports,
    parse_test_reports,
)
from argus.app.runtime import Runtime
from argus.core.enums import DeadLetterSource
from argus.core.settings import Settings
from argus.ingest.ci_env import CiMetadata

FIXTURES = Path(__file__).parents[1] / "ingest" / "testreports" / "fixtures"
NAMES = ["go_junit.xml", "jest_junit.xml", "nunit3.xml"]
META = CiMetadata(provider="github", run_id="4711", commit_sha="a" * 40, branch="main")


def test_batches_go_into_one_run_and_progress_sees_each_file_once(runtime: Runtime) -> None:
    files = tuple(FIXTURES / n for n in NAMES)
    seen: list[FileOutcome] = []
    result = ingest_test_reports(runtime, IngestReportsRequest(files, META, "shop", batch_files=2), seen.append)
    assert [o.status for o in result.files] == [FileStatus.INGESTED] * 3
    assert [o.source for o in result.files] == [str(f) for f in files]
    assert seen == list(result.files)
    assert len({o.run_id for o in result.files}) == 1 and result.run_id == result.files[0].run_id
    assert result.ci_run_id == "4711" and not result.any_rejected
    assert result.results == sum(o.summary.attempts for o in result.files if o.summary) > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.files = ()  # type: ignore[misc]

    again = ingest_test_reports(runtime, IngestReportsRequest(files, META, "shop", batch_files=1))
    assert [o.status for o in again.files] == [FileStatus.DUPLICATE] * 3
    assert again.run_id == result.run_id and again.results == 0


def test_rejected_file_is_a_dead_letter_and_a_found_non_report_is_skipped(runtime: Runtime, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xml"
    junk.write_text("nope")
    other = tmp_path / "pom.xml"
    other.write_text("<project><modelVersion>4.0.0</modelVersion></project>")
    good = FIXTURES / "go_junit.xml"
    result = ingest_test_reports(runtime, IngestReportsRequest((good, junk, other), META, "shop",
                                                               optional=frozenset({other})))
    assert [o.status for o in result.files] == [FileStatus.INGESTED, FileStatus.REJECTED, FileStatus.SKIPPED]
    assert result.any_rejected and result.files[1].reason
    letters = list_dead_letters(runtime, ListDeadLetters("shop", DeadLetterSource.TEST_REPORT))
    assert [v.source_name for v in letters] == [str(junk)]


def test_parse_stores_nothing_and_says_why_a_file_was_refused(runtime: Runtime, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xml"
    junk.write_text("nope")
    other = tmp_path / "pom.xml"
    other.write_text("<project><modelVersion>4.0.0</modelVersion></project>")
    parsed = parse_test_reports(runtime.settings.ingest, (FIXTURES / "nunit3.xml", junk, other), frozenset({other}))
    assert parsed[0].report is not None and parsed[0].report.cases and parsed[0].error is None
    assert parsed[1].report is None and parsed[1].error and str(junk) in (parsed[1].message or "")
    assert parsed[2].skipped and parsed[2].error is None


def test_asynchronous_commit_opt_in_stores_the_same(settings: Settings, engine: Engine) -> None:
    """``ingest.synchronous_commit = false`` changes when the commit returns, not what is stored; the
    setting is for those transactions only (the connection goes back to the pool as it was)."""
    relaxed = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"synchronous_commit": False})})
    rt = Runtime(relaxed)
    try:
        files = tuple(FIXTURES / n for n in NAMES)
        result = ingest_test_reports(rt, IngestReportsRequest(files, META, "shop"))
        assert [o.status for o in result.files] == [FileStatus.INGESTED] * 3
        with rt.engine().connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM test_result")).scalar_one()
            if conn.dialect.name == "postgresql":
                assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
        assert stored == result.results > 0
    finally:
        rt.close()
