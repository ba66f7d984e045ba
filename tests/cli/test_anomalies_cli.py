"""``argus anomalies score`` and ``evaluate-nab`` end to end (no database; a tiny NAB-shaped folder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from argus.cli.app import main


def write_series(path: Path, n: int = 1200, spike: int | None = 900, seed: int = 3) -> list[str]:
    rng = np.random.default_rng(seed)
    ts = (np.arange(n) * 300 + 1_396_310_400).astype("datetime64[s]")  # 2014-04-01, five-minute points
    v = 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 288) + rng.normal(0, 1, n)
    if spike is not None:
        v[spike] += 60
    stamps = [str(t).replace("T", " ") for t in ts]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("timestamp,value\n" + "".join(f"{t},{x:.3f}\n" for t, x in zip(stamps, v, strict=True)))
    return stamps


def test_score_prints_one_row_per_input_row(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                            tmp_path: Path) -> None:
    stamps = write_series(tmp_path / "m.csv")
    assert main(["anomalies", "score", "m.csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "timestamp,value,anomaly_score,alert"
    rows = [ln.split(",") for ln in lines[1:]]
    assert [r[0] for r in rows] == stamps
    scores = [float(r[2]) for r in rows]
    assert all(0.0 <= s <= 1.0 for s in scores)
    alerts = [i for i, r in enumerate(rows) if r[3] == "1"]
    assert 900 in alerts and len(alerts) <= 3


def test_score_json_and_a_prefix_scores_the_same(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    write_series(tmp_path / "m.csv")
    assert main(["anomalies", "score", "m.csv", "--format", "json", "--detector", "likelihood"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "argus.anomaly-scores/v1" and doc["detector"] == "likelihood"
    assert len(doc["rows"]) == 1200 and doc["rows"][0]["timestamp"] == "2014-04-01T00:00:00Z"
    head = (tmp_path / "m.csv").read_text().splitlines()[:701]
    (tmp_path / "h.csv").write_text("\n".join(head) + "\n")
    assert main(["anomalies", "score", "h.csv", "--format", "json", "--detector", "likelihood"]) == 0
    part = json.loads(capsys.readouterr().out)
    assert part["rows"] == doc["rows"][:700]


def test_evaluate_nab_on_a_small_labelled_folder(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    root = tmp_path / "nab"
    windows = {}
    for cat, seed in (("artificialWithAnomaly", 1), ("realAdExchange", 2), ("realTraffic", 3), ("realTweets", 4)):
        stamps = write_series(root / "data" / cat / f"s{seed}.csv", seed=seed)
        windows[f"{cat}/s{seed}.csv"] = [[stamps[860] + ".000000", stamps[940] + ".000000"]]
    (root / "combined_windows.json").write_text(json.dumps(windows))
    assert main(["anomalies", "evaluate-nab", "--data", str(root), "-d", "ensemble", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["series"] == 4 and doc["windows"] == 4
    (ens,) = doc["detectors"]
    std = ens["results"][0]
    assert ens["detector"] == "ensemble" and std["profile"] == "standard"
    assert std["tp"] == 4 and std["fn"] == 0
    assert 80.0 < std["argus_score"] <= 100.0
    held = doc["ensemble_parameters_held_out"]
    assert len(held["grid"]) == 18 and [p["profile"] for p in held["profiles"]] == [
        "standard", "reward_low_FP_rate", "reward_low_FN_rate"]
    assert [f["tuned_on"] for f in held["profiles"][0]["folds"]] == [1, 2]
    assert held["plateau_width"] == 0.1 and len(held["plateau_profiles"]) == 3
    assert "plateau_held_out_score" in std
    assert main(["anomalies", "evaluate-nab", "--data", str(root), "-d", "ensemble"]) == 0
    out = capsys.readouterr().out
    assert "parameters held out too" in out
    assert max(len(line) for line in out.splitlines() if line != str(root)) <= 80
    assert main(["anomalies", "evaluate-nab", "--data", str(root), "-d", "extreme"]) == 0
    out = capsys.readouterr().out
    assert "NAB: 4 series, 4 labelled windows" in out and "held-out" in out
    assert max(len(line) for line in out.splitlines() if line != str(root)) <= 80
