"""Where artefacts land: one run per CI identity, idempotency per run + content, all-or-nothing commands.

Covers issue 10 §2 (same bytes for another run; coverage/scans without ``--job`` meet the tests' run)
and issue 11 item 4 (a failing command rolls back all of its files on SQLite too).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from argus.cli.app import main
from argus.core.db import unit_of_work
from argus.core.settings import IngestSettings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.testreports.service import FileStatus, ingest_test_reports
from argus.store.models import CoverageReport, TestReport, TestResult, TestRun, VulnReport
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to

HERE = Path(__file__).parent
JUNIT = HERE / "testreports" / "fixtures" / "pytest_xunit1.xml"
OTHER = HERE / "testreports" / "fixtures" / "surefire_flaky.xml"
COV = HERE / "coverage" / "data" / "coveragepy.lcov"
VULN = HERE / "vulns" / "data" / "grype.json"
C1, C2 = "1" * 40, "2" * 40


def _json(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.fixture
def cli(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return cli_env


@pytest.mark.parametrize("kind,path", [("tests", JUNIT), ("coverage", COV), ("vulns", VULN)])
def test_same_bytes_for_another_ci_run_are_stored_for_that_run(
    cli: dict[str, str], capsys: pytest.CaptureFixture[str], kind: str, path: Path,
) -> None:
    first = ["ingest", kind, str(path), "-p", "p", "--commit", C1, "--branch", "main", "--run-id", "R1", "--json"]
    assert main(first) == 0
    assert _json(capsys)[0]["status"] == "ingested"
    second = ["ingest", kind, str(path), "-p", "p", "--commit", C2, "--branch", "feat", "--run-id", "R2", "--json"]
    assert main(second) == 0
    assert _json(capsys)[0]["status"] == "ingested"
    # the same bytes for the same run again: stored once, and said so, exit 0
    assert main(second) == 0
    assert _json(capsys)[0]["status"] == "duplicate"
    assert main(["gate", "-p", "p", "--commit", C2, "--no-record", "--json"]) in (0, 1)
    out = capsys.readouterr()
    assert json.loads(out.out)["build"]["commit"] == C2, out


def test_same_bytes_for_another_local_commit_are_stored(cli: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    for commit, status in ((C1, "ingested"), (C2, "ingested"), (C2, "duplicate")):
        assert main(["ingest", "tests", str(JUNIT), "-p", "p", "--commit", commit, "--branch", "main", "--json"]) == 0
        assert _json(capsys)[0]["status"] == status


@pytest.mark.parametrize("tests_first", [True, False], ids=["tests-first", "artefacts-first"])
def test_artefacts_without_job_meet_the_tests_of_their_ci_run(
    cli: dict[str, str], capsys: pytest.CaptureFixture[str], engine: Engine, tests_first: bool,
) -> None:
    ci = ["-p", "p", "--commit", C1, "--branch", "main", "--run-id", "R7"]
    tests = ["ingest", "tests", str(JUNIT), *ci, "--job", "unit", "--attempt", "1"]
    others = [["ingest", "coverage", str(COV), *ci], ["ingest", "vulns", str(VULN), *ci]]
    for argv in ([tests, *others] if tests_first else [*others, tests]):
        assert main(argv) == 0, capsys.readouterr()
    with Session(engine) as s:
        runs = s.scalars(select(TestRun)).all()
        assert [(r.ci_run_id, r.ci_job, r.ci_attempt) for r in runs] == [("R7", "unit", 1)]
        run_ids = {s.scalar(select(m.run_id)) for m in (TestReport, CoverageReport, VulnReport)}
        assert run_ids == {runs[0].id}


def test_artefact_without_job_with_several_jobs_lands_on_the_ci_run_not_a_job(
    cli: dict[str, str], capsys: pytest.CaptureFixture[str], engine: Engine,
) -> None:
    ci = ["-p", "p", "--commit", C1, "--branch", "main", "--run-id", "R8"]
    assert main(["ingest", "tests", str(JUNIT), *ci, "--job", "unit"]) == 0
    assert main(["ingest", "tests", str(OTHER), *ci, "--job", "integration"]) == 0
    assert main(["ingest", "coverage", str(COV), *ci]) == 0
    assert main(["ingest", "coverage", str(COV), *ci]) == 0  # idempotent on the same CI run
    with Session(engine) as s:
        jobs = sorted((r.ci_job or "") for r in s.scalars(select(TestRun)))
        assert jobs == ["", "integration", "unit"]
        assert s.scalar(select(func.count()).select_from(CoverageReport)) == 1
    capsys.readouterr()
    assert main(["gate", "-p", "p", "--run-id", "R8", "--no-record", "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["build"]["coverage_pct"] is not None


def test_a_failing_command_rolls_back_every_file_of_its_transaction(engine: Engine, tmp_path: Path) -> None:
    """Issue 11 item 4: attaching to an existing run, then failing, must leave nothing of the command."""
    factory = make_session_factory(engine)
    meta = CiMetadata(provider="cli", run_id="R", job="unit", commit_sha=C1)
    with unit_of_work(factory) as s:  # type: ignore[arg-type]
        scoped_to(s, get_or_create_project(s, "p"))
        first = ingest_test_reports(s, [JUNIT], meta, IngestSettings())
    assert first[0].status is FileStatus.INGESTED
    second = tmp_path / "second.xml"
    shutil.copy(OTHER, second)
    with pytest.raises(RuntimeError), unit_of_work(factory) as s:  # type: ignore[arg-type]
        scoped_to(s, get_or_create_project(s, "p"))
        out = ingest_test_reports(s, [second], meta, IngestSettings())
        assert out[0].status is FileStatus.INGESTED
        raise RuntimeError("the command fails after the file was stored")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TestReport)) == 1
        run = s.scalars(select(TestRun)).one()
        assert run.tests == first[0].summary.tests  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(TestResult)) == first[0].summary.attempts  # type: ignore[union-attr]
