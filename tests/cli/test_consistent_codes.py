"""The same bad input gets the same answer from every command."""

from __future__ import annotations

import json

import pytest

from argus.cli.app import main


def test_baseline_checks_commit_and_run_id_like_the_gate(cli_env: dict[str, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    for args in (["gate", "--commit", "zz"], ["baseline", "--commit", "zz"], ["baseline", "--run-id", "x" * 300]):
        capsys.readouterr()
        assert main(args) == 6, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("error:"), (args, err)


def test_analyses_never_create_an_unknown_project(cli_env: dict[str, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    for args in (["flaky", "analyze", "-p", "ghost"], ["failures", "analyze", "-p", "ghost"]):
        capsys.readouterr()
        assert main(args) == 5, args
    capsys.readouterr()
    assert main(["projects", "list", "--json"]) == 0
    assert "ghost" not in {p["slug"] for p in json.loads(capsys.readouterr().out)}
