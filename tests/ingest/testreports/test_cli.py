"""``argus parse tests`` and ``argus ingest tests`` end to end (real CLI, real database)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from argus.cli.app import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_parse_tests_json_and_rejection(cli_env: dict[str, str], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite>")
    code = main(["parse", "tests", "--json", str(FIXTURES / "gradle_retry.xml"), str(bad)])
    assert code == 6
    data = json.loads(capsys.readouterr().out)
    assert data[0]["summary"]["tests"] == 2 and data[0]["summary"]["attempts"] == 3
    assert [c["attempt"] for c in data[0]["cases"]] == [0, 1, 0] and data[0]["cases"][0]["outcome"] == "failed"
    assert data[1] == {"file": str(bad), "error": "corrupt or truncated XML: no element found at line 1, column 11"}
    assert main(["parse", "tests", str(FIXTURES / "nunit3.xml")]) == 0
    assert "nunit3" in capsys.readouterr().out


def test_ingest_tests_idempotent_with_flags(cli_env: dict[str, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("pytest_xunit1.xml", "surefire_flaky.xml"):
        shutil.copy(FIXTURES / name, reports / name)
    capsys.readouterr()
    args = ["ingest", "tests", str(reports), "--project", "shop", "--commit", "b" * 40, "--branch", "dev",
            "--run-id", "7", "--env", "python=3.12", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert [o["status"] for o in first] == ["ingested", "ingested"]
    assert main([*args[:-1]]) == 0
    out = capsys.readouterr().out
    assert "already ingested" in out and "stored once" in out and "0 ingested" in out
    (tmp_path / "junk.xml").write_text("nope")
    assert main(["ingest", "tests", str(tmp_path / "*.xml"), "--project", "shop"]) == 6
    assert "rejected" in capsys.readouterr().err


def test_bad_env_flag(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["ingest", "tests", str(FIXTURES / "dart.json"), "--env", "novalue"]) == 6
    assert "--env 'novalue': expected KEY=VALUE" in capsys.readouterr().err


def test_ingest_in_batches_keeps_one_run(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from argus.app import ingest_tests

    monkeypatch.setattr(ingest_tests, "BATCH_FILES", 1)  # one transaction per file
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    names = ["go_junit.xml", "jest_junit.xml", "nunit3.xml"]
    assert main(["ingest", "tests", "--json", *(str(FIXTURES / n) for n in names)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["status"] for o in out] == ["ingested"] * 3 and len({o["run_id"] for o in out}) == 1
