"""``argus simulate`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli.app import main


def test_simulate_json_summary_and_refusal_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim"
    args = ["simulate", "--out", str(out), "--scale", "small", "--days", "2", "--tests", "30", "--seed", "5"]
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["seed"] == 5 and data["projects"][0]["tests"] == 30
    assert "writing runs" in captured.err  # progress goes to stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["days"] == 2 and manifest["scale"] == "small"

    assert main(args) == 6  # not empty: refuses
    assert "not empty" in capsys.readouterr().err
    (out / "notes.txt").write_text("mine")
    assert main([*args, "--force"]) == 0
    assert (out / "notes.txt").read_text() == "mine"  # --force removes only earlier simulator output


def test_simulate_rejects_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--out", str(tmp_path / "x"), "--scale", "huge"]) == 6
    assert "--scale" in capsys.readouterr().err
    assert main(["simulate", "--out", str(tmp_path / "y"), "--base-date", "yesterday"]) == 6
    assert "--base-date" in capsys.readouterr().err
