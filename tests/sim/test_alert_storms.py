"""The alert-storm simulator: deterministic by seed, truth for every event; the grouping scored
end to end on a small storm (compression above 1, pairwise precision/recall well above chance)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from argus.app import incidents as uc
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource
from argus.core.settings import Settings
from argus.evaluation.incidents import score_storm
from argus.evaluation.metrics import pairwise_agreement
from argus.sim.alerts import StormConfig, generate, write

SMALL = StormConfig(storms=6, noise=4, seed=5, mean_gap_min=240.0)


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Iterator[Runtime]:
    rt = Runtime(settings)
    yield rt
    rt.close()


def test_same_seed_same_storm_and_truth_for_every_event() -> None:
    a, b = generate(SMALL), generate(SMALL)
    assert a == b
    assert {e["id"] for e in a["events"]} == set(a["truth"])
    assert generate(StormConfig(storms=6, noise=4, seed=6))["events"] != a["events"]
    assert len({s["id"] for s in a["storms"]}) == 6


def test_pairwise_agreement() -> None:
    truth = {1: "a", 2: "a", 3: "b", 4: "b"}
    assert pairwise_agreement(truth, {1: 1, 2: 1, 3: 2, 4: 2}).precision == 1.0
    merged = pairwise_agreement(truth, {1: 1, 2: 1, 3: 1, 4: 1})
    assert (merged.precision, merged.recall) == (2 / 6, 1.0)
    split = pairwise_agreement(truth, {})
    assert (split.precision, split.recall) == (1.0, 0.0)


def test_storm_scored_end_to_end(runtime: Runtime, tmp_path: Path) -> None:
    info = write(tmp_path, SMALL)
    folder = tmp_path / "alerts"
    assert json.loads((folder / "truth.json").read_text())["seed"] == 5
    uc.load_services(runtime, folder / "services.yaml", "storm")
    uc.ingest(runtime, uc.IngestRequest(AlertSource.GENERIC, (folder / "deployments.json").read_bytes(), "d", "storm"))
    for line in (folder / "storm.jsonl").read_bytes().splitlines():
        uc.ingest(runtime, uc.IngestRequest(AlertSource.GENERIC, line, "storm", "storm"))
    s = runtime.in_project("storm", lambda scope: score_storm(scope.session, folder, scope.settings.incidents))
    assert s.events == info["events"] and s.true_incidents == info["incidents"]
    assert s.compression > 5 and s.pairwise_precision > 0.8 and s.pairwise_recall > 0.8
    root = json.loads((folder / "truth.json").read_text())["storms"][0]
    if root["cause"]:
        incs = uc.list_incidents(runtime, uc.ListRequest("storm", service=root["root"], limit=500))
        changes = [c for i in incs for c in uc.show_incident(runtime, i.id, "storm").changes]
        assert any(c.kind == "deployment" and c.service == root["root"] for c in changes)
