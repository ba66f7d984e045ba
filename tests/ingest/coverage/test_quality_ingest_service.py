"""Coverage and vulnerability ingestion against a real database: run attachment via CI metadata,
idempotency, dead-lettering of rejected files, per-file rows and findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage import CoverageParseError
from argus.ingest.coverage.schemas import decode_ranges
from argus.ingest.coverage.service import ingest_coverage
from argus.ingest.vulns import VulnParseError
from argus.ingest.vulns.service import ingest_vulns
from argus.store.models import CoverageFile, CoverageReport, DeadLetter, TestRun, VulnFinding, VulnReport

COV = Path(__file__).parent / "data"
VULN = Path(__file__).parents[1] / "vulns" / "data"
CI = CiMetadata(provider="github", run_id="101", job="test", attempt=1, commit_sha="a" * 40, branch="main")


def count(s: Session, model: type) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_coverage_is_stored_with_files_and_attached_to_the_ci_run(project_session: Session) -> None:
    s = project_session
    res = ingest_coverage(s, (COV / "cobertura.xml").read_bytes(), "coverage.xml", CI)
    assert not res.duplicate and res.files == 3 and res.line_pct == pytest.approx(63.1579, abs=1e-3)
    run = s.get(TestRun, res.run_id)
    assert run is not None and (run.ci_run_id, run.commit_sha, run.branch) == ("101", "a" * 40, "main")
    calc = s.scalars(select(CoverageFile).where(CoverageFile.path == "pkg/calc.py")).one()
    assert decode_ranges(calc.missing_lines) == {9, 14, 15, 16, 17}
    # the vulnerability scan of the same CI job lands on the same run
    v = ingest_vulns(s, (VULN / "grype.json").read_bytes(), "grype.json", CI)
    assert v.run_id == res.run_id and v.counts["critical"] == 1 and v.counts["total"] == 3
    assert count(s, VulnFinding) == 3


def test_same_content_same_run_is_stored_once_but_a_new_run_gets_its_own(project_session: Session) -> None:
    s = project_session
    data = (COV / "coveragepy.lcov").read_bytes()  # LCOV has no timestamp: identical across builds
    first = ingest_coverage(s, data, "lcov.info", CI)
    again = ingest_coverage(s, data, "lcov.info", CI)
    assert again.duplicate and again.report_id == first.report_id
    other = ingest_coverage(s, data, "lcov.info", CiMetadata(provider="github", run_id="102", commit_sha="b" * 40))
    assert not other.duplicate and other.run_id != first.run_id
    local = CiMetadata(commit_sha="c" * 40, branch="dev")
    one = ingest_coverage(s, data, "lcov.info", local)
    assert ingest_coverage(s, data, "lcov.info", local).report_id == one.report_id  # no CI id: same commit
    assert count(s, CoverageReport) == 3


def test_rejected_files_leave_only_a_dead_letter(project_session: Session) -> None:
    s = project_session
    bad = b'<!DOCTYPE x [<!ENTITY a "b">]><coverage>&a;</coverage>'
    with pytest.raises(CoverageParseError):
        ingest_coverage(s, bad, "evil.xml", CI)
    with pytest.raises(VulnParseError):
        ingest_vulns(s, b'{"matches": [{}]}', "scan.json", CI)
    letters = s.scalars(select(DeadLetter).order_by(DeadLetter.id)).all()
    assert [(d.source, d.source_name) for d in letters] == [("coverage", "evil.xml"), ("vulnerabilities", "scan.json")]
    assert "refused XML" in letters[0].reason and letters[0].excerpt and "ENTITY" in letters[0].excerpt
    assert count(s, TestRun) == 0 and count(s, CoverageReport) == 0 and count(s, VulnReport) == 0
