"""Coverage and vulnerability ingestion called directly: per-file outcomes, SAVEPOINTs, dead letters."""

from __future__ import annotations

from pathlib import Path

from argus.app.deadletters import ListDeadLetters, list_dead_letters
from argus.app.ingest_artifacts import ArtifactKind, IngestArtifactsRequest, IngestStatus, ingest_artifacts
from argus.app.runtime import Runtime
from argus.core.enums import DeadLetterSource
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.service import CoverageIngestResult
from argus.ingest.vulns.service import VulnIngestResult

DATA = Path(__file__).parents[1] / "ingest"
META = CiMetadata(provider="github", run_id="77", commit_sha="b" * 40, branch="main")


def test_status_values_are_the_json_strings() -> None:
    assert [s.value for s in IngestStatus] == ["ingested", "duplicate", "rejected"]


def test_coverage_refused_file_costs_no_other_and_same_content_is_a_duplicate(runtime: Runtime,
                                                                               tmp_path: Path) -> None:
    junk = tmp_path / "broken.xml"
    junk.write_text("<coverage")
    files = (DATA / "coverage" / "data" / "cobertura.xml", junk, DATA / "coverage" / "data" / "jacoco.xml")
    result = ingest_artifacts(runtime, IngestArtifactsRequest(ArtifactKind.COVERAGE, files, META, "shop"))
    assert [o.status for o in result.files] == [IngestStatus.INGESTED, IngestStatus.REJECTED, IngestStatus.INGESTED]
    assert result.any_rejected and result.files[1].reason and result.files[1].report is None
    stored = result.files[0].report
    assert isinstance(stored, CoverageIngestResult) and stored.format == "cobertura"
    letters = list_dead_letters(runtime, ListDeadLetters("shop", DeadLetterSource.COVERAGE))
    assert [v.source_name for v in letters] == [str(junk)]  # committed with the stored files

    again = ingest_artifacts(runtime, IngestArtifactsRequest(ArtifactKind.COVERAGE, files[:1], META, "shop"))
    assert [o.status for o in again.files] == [IngestStatus.DUPLICATE] and not again.any_rejected
    assert again.files[0].report is not None and again.files[0].report.run_id == stored.run_id


def test_vulnerability_scan_with_explicit_format(runtime: Runtime) -> None:
    request = IngestArtifactsRequest(ArtifactKind.VULNERABILITIES, (DATA / "vulns" / "data" / "trivy.json",), META,
                                     "shop", format="trivy")
    (outcome,) = ingest_artifacts(runtime, request).files
    assert outcome.status is IngestStatus.INGESTED
    assert isinstance(outcome.report, VulnIngestResult) and outcome.report.format == "trivy"
    assert outcome.report.counts["total"] == sum(v for k, v in outcome.report.counts.items() if k != "total")
