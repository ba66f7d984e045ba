"""Story-point estimator and epic forecaster through the CLI on synthetic work items with a known
mechanism: registered versions, time-ordered holdout beside in-sample, better than the baselines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from argus.analysis.delivery.schemas import WorkItem
from argus.analysis.delivery.workitems import simulate, state_at
from argus.cli.app import main
from argus.testing.cli import CliJson
from argus.testing.delivery_history import write_work_items

T = datetime(2024, 1, 1, tzinfo=UTC)


def test_simulation_of_a_steady_epic() -> None:
    p50, p85 = simulate(10, [1, 1, 1, 1], np.random.default_rng(1))
    assert p50 == p85 == 10
    assert simulate(0, [1], np.random.default_rng(1)) == (0.0, 0.0)
    assert simulate(3, [0, 0], np.random.default_rng(1))[0] == float("inf")  # nothing ever resolved


def test_state_knows_only_the_past() -> None:
    items = [WorkItem("a", "STORY", "x", None, "E", 1, None, T, T + timedelta(days=1)),
             WorkItem("b", "STORY", "y", None, "E", 1, None, T, T + timedelta(days=5)),
             WorkItem("c", "STORY", "z", None, "E", 1, None, T + timedelta(days=4), None)]
    st = state_at("E", items, T + timedelta(days=2))
    assert st is not None and (st.total, st.done) == (2, 1)  # c not created yet, b not resolved yet


def test_points_and_epics_end_to_end(tmp_path: Path, cli_env: dict[str, str],
                                     cli_json: CliJson) -> None:
    write_work_items(tmp_path / "w", 60, seed=2)
    assert main(["db", "upgrade"]) == 0
    assert main(["ingest", "delivery", str(tmp_path / "w"), "-p", "shop"]) == 0
    assert main(["work", "points", "-p", "shop"]) == 5  # no model yet
    pts = cli_json(["work", "points", "-p", "shop", "--train"])
    assert pts["version"] == 1 and pts["promoted"] is True
    assert pts["holdout"]["mae"] < pts["baseline"]["mae"]  # the size words are learnt and hold later
    assert pts["holdout"]["within_one_step"] > 0.8
    est = cli_json(["work", "points", "-p", "shop", "--item", "WI-1"])
    assert est[0]["item_id"] == "WI-1" and est[0]["estimate"] in (1, 2, 3, 5, 8, 13) and est[0]["insight_id"]
    shown = cli_json(["insights", "show", str(est[0]["insight_id"]), "-p", "shop"])
    assert shown["kind"] == "story_points"
    ep = cli_json(["work", "epics", "-p", "shop", "--train"])
    assert ep["version"] == 1 and ep["holdout"]["rows"] >= 5 and ep["holdout"]["p85_coverage"] is not None
    forecasts = cli_json(["work", "epics", "-p", "shop"])
    assert {f["epic_id"] for f in forecasts} == {"EP-58", "EP-59", "EP-60"}
    assert all(f["p50_days"] <= f["p85_days"] for f in forecasts if f["p85_days"] is not None)
    assert all(f["insight_id"] for f in forecasts)
    again = cli_json(["work", "points", "-p", "shop", "--train"])
    assert again["version"] == 2 and "mae" in again["reason"]
