"""Dead-letter use cases called directly: list, show, retry after the file was repaired."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.app.deadletters import (
    ListDeadLetters,
    RetryDeadLetter,
    RetryStatus,
    list_dead_letters,
    retry_dead_letter,
    show_dead_letter,
)
from argus.app.ingest_artifacts import ArtifactKind, IngestArtifactsRequest, ingest_artifacts
from argus.app.runtime import Runtime
from argus.core.errors import NotFoundError
from argus.ingest.ci_env import CiMetadata

COBERTURA = Path(__file__).parents[1] / "ingest" / "coverage" / "data" / "cobertura.xml"
META = CiMetadata(provider="github", run_id="9", commit_sha="c" * 40, branch="main")


def test_list_show_retry(runtime: Runtime, tmp_path: Path) -> None:
    report = tmp_path / "coverage.xml"
    report.write_text("<coverage")
    ingest_artifacts(runtime, IngestArtifactsRequest(ArtifactKind.COVERAGE, (report,), META, "shop"))
    (letter,) = list_dead_letters(runtime, ListDeadLetters("shop"))
    shown = show_dead_letter(runtime, letter.id, "shop")
    assert shown == letter and shown.source_name == str(report) and shown.count == 1

    again = retry_dead_letter(runtime, RetryDeadLetter(letter.id, META, "shop"))
    assert again.status is RetryStatus.REJECTED
    assert show_dead_letter(runtime, letter.id, "shop").count == 2

    report.write_bytes(COBERTURA.read_bytes())
    done = retry_dead_letter(runtime, RetryDeadLetter(letter.id, META, "shop"))
    assert done.status is RetryStatus.INGESTED and done.dead_letter_id == letter.id
    assert list_dead_letters(runtime, ListDeadLetters("shop")) == ()
    with pytest.raises(NotFoundError):
        show_dead_letter(runtime, letter.id, "shop")
