"""``argus metrics ingest`` and ``argus anomalies analyze|list|show`` through the CLI, read at 80 columns."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from argus.cli.app import main

T0 = datetime(2026, 1, 1)
LONG = "ci.build_duration_s_of_the_nightly_cross_platform_integration_suite_on_every_runner_pool"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _write(path: Path, n: int = 288, spike: int = 280) -> Path:
    rows = ["timestamp,value"] + [
        f"{(T0 + timedelta(hours=i)).isoformat()},{60 + 3 * math.sin(i * 0.7) + (300 if i == spike else 0):.3f}"
        for i in range(n)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_ingest_analyze_list_show_read_at_80_columns(cli_env: dict[str, str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("ARGUS_ANOMALY__LIMITS", json.dumps({LONG: 58}))
    assert cli(capsys, "db", "upgrade")[0] == 0
    code, out, err = cli(capsys, "metrics", "ingest", str(_write(tmp_path / "q.csv")), "--series", LONG, "-p", "shop",
                         "--no-score")  # scored below by `anomalies analyze`
    assert code == 0, err
    assert f"  {LONG}\n    288 point(s) read, 288 new\n" in out
    code, out, err = cli(capsys, "metrics", "ingest", str(tmp_path / "q.csv"), "--series", LONG, "-p", "shop",
                         "--json")
    assert code == 0 and json.loads(out)["series"] == [[LONG, 288, 0]]
    code, analysed, err = cli(capsys, "anomalies", "analyze", "-p", "shop")
    assert code == 0, err
    assert "288 new point(s) scored" in analysed
    code, listed, _ = cli(capsys, "anomalies", "list", "-p", "shop")
    assert code == 0 and f"\n  {LONG}\n" in listed and "gates pass" in listed
    rows = json.loads(cli(capsys, "anomalies", "list", "-p", "shop", "--json")[1])
    kinds = {r["kind"]: r["id"] for r in rows}
    assert set(kinds) == {"anomaly", "forecast_breach"}
    code, shown, _ = cli(capsys, "anomalies", "show", str(kinds["anomaly"]), "-p", "shop")
    assert code == 0 and "metric baseline" in shown and "gate 3" in shown
    code, fc, _ = cli(capsys, "anomalies", "show", str(kinds["forecast_breach"]), "-p", "shop")
    assert code == 0 and "forecast 24 h" in fc and "80 %" in fc
    for text in (analysed, listed, shown, fc):
        for ln in text.splitlines():
            assert len(ln) <= 80 or any(LONG in w and len(w) <= len(LONG) + 1 for w in ln.split()), ln
    assert f"\n    {LONG}\n" in shown  # the series key is whole on its own line


def test_empty_list_says_why(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli(capsys, "db", "upgrade")[0] == 0
    assert cli(capsys, "projects", "create", "shop")[0] == 0
    capsys.readouterr()
    assert "no metric series yet" in cli(capsys, "anomalies", "list", "-p", "shop")[1]
    cli(capsys, "metrics", "ingest", str(_write(tmp_path / "q.csv", n=20, spike=-1)), "--series", "q", "-p", "shop")
    assert "no anomaly found yet" in cli(capsys, "anomalies", "list", "-p", "shop")[1]


def test_show_of_another_kind_of_insight_is_not_found(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    assert cli(capsys, "db", "upgrade")[0] == 0
    code, _, err = cli(capsys, "anomalies", "show", "1", "-p", "default")
    assert code == 5 and err.count("\n") == 1
