"""`argus demo` end to end at the small scale: simulate → real ingest commands → analyses → report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli.app import main


def test_demo_small(
    capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo"
    code = main(["demo", "--scale", "small", "--out", str(out), "--seed", "3", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert data["failed_commands"] == []
    (project,) = data["projects"]
    assert project["counts"]["runs"] > 20 and project["counts"]["results"] > 1000
    assert project["counts"]["commits"] > 20
    assert project["flaky"] >= 1 and project["clusters"] >= 1
    score = project["score"]
    assert score["true_flaky"] >= 1 and score["true_flaky"] <= score["found_flaky"]
    assert project["gates"] and project["gates"][0]["verdict"] in ("pass", "warn", "fail")
    report = (out / "report.md").read_text()
    assert "## Project" in report and "Flaky tests" in report
    # plain words: no P(flaky) of 100 % from finite runs, no review-tier codes, no database row ids
    assert "| 100%" not in report and "async_review" not in report and "test_run " not in report
    # every command the report suggests runs as shown (database URL and project included)
    import re
    import shlex

    suggested = re.findall(r"`ARGUS_DATABASE_URL=(\S+) argus ([^`]+)`", report)
    explore = report.split("## Explore", 1)[1]
    db_url = re.search(r"export ARGUS_DATABASE_URL=(\S+)", explore)
    assert db_url is not None
    suggested += [
        (db_url.group(1), line.split("#")[0].strip()[len("argus "):])
        for line in explore.splitlines()
        if line.startswith("argus ") and "feedback" not in line
    ]
    assert len(suggested) >= 5
    for url, command in suggested:
        assert " -p " in f" {command} ", command
        capsys.readouterr()
        monkeypatch.setenv("ARGUS_DATABASE_URL", url)
        code = main([*shlex.split(command), "--json"])
        assert code == 0, (command, capsys.readouterr().err)
    monkeypatch.setenv("ARGUS_DATABASE_URL", cli_env["ARGUS_DATABASE_URL"])
    # the demo never writes to the user's own database
    assert not (Path(cli_env["ARGUS_HOME"]) / "argus.db").exists()


def test_demo_refuses_a_foreign_folder(
    capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    code = main(["demo", "--scale", "small", "--out", str(precious)])
    assert code != 0 and "not an earlier demo folder" in capsys.readouterr().err
    assert (precious / "thesis.tex").exists()
