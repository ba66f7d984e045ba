"""``make demo`` (``argus demo``) ends by telling the user how to open the dashboard on the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.cli.app import main


def test_the_demo_ends_with_how_to_open_the_dashboard(
    capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    code = main(["demo", "--scale", "small", "--out", str(out), "--seed", "3"])
    err = capsys.readouterr().err
    assert code == 0, err
    tail = err[err.index("Open the web dashboard"):]
    assert f"export ARGUS_DATABASE_URL=sqlite:///{out.resolve() / 'argus.db'}" in tail
    assert "argus tokens create me --role maintainer" in tail and "argus serve" in tail
    assert all(len(line) <= 80 for line in tail.splitlines() if "ARGUS_DATABASE_URL" not in line)
