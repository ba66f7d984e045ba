"""A small simulated world, generated once per test session (≈ 0.5 s)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from argus.sim import scale_config, simulate

# Set these to check the invariants on other worlds (e.g. ARGUS_SIM_TEST_SEED=7 ARGUS_SIM_TEST_SCALE=default).
SEED = int(os.environ.get("ARGUS_SIM_TEST_SEED", "42"))
SCALE = os.environ.get("ARGUS_SIM_TEST_SCALE", "small")


@pytest.fixture(scope="session")
def sim_seed() -> int:
    return SEED


@pytest.fixture(scope="session")
def sim_scale() -> str:
    return SCALE


@pytest.fixture(scope="session")
def small_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim-small")
    simulate(scale_config(SCALE, seed=SEED, projects=1), out, scale=SCALE)
    return out


@pytest.fixture(scope="session")
def small_project(small_out: Path) -> Path:
    manifest = json.loads((small_out / "manifest.json").read_text())
    return small_out / manifest["projects"][0]["path"]


def _pytest_id(classname: str, name: str) -> str:
    return classname.replace(".", "/") + ".py::" + name


def parse_run(run_dir: Path) -> dict[str, str]:
    """test id → outcome (passed | failed | error | skipped | flaky) from a run's JUnit files (stdlib parser)."""
    import xml.etree.ElementTree as ET

    meta = json.loads((run_dir / "run.json").read_text())
    out: dict[str, str] = {}
    for rel in meta["reports"]["junit"]:
        root = ET.parse(run_dir / rel).getroot()
        pytest_dialect = root.get("name") == "pytest tests"
        for case in root.iter("testcase"):
            cls, name = case.get("classname", ""), case.get("name", "")
            tid = _pytest_id(cls, name) if pytest_dialect else f"{cls}.{name}"
            tags = {child.tag for child in case}
            if "skipped" in tags:
                outcome = "skipped"
            elif "failure" in tags:
                outcome = "failed"
            elif "error" in tags:
                outcome = "error"
            elif tags & {"flakyFailure", "flakyError"}:
                outcome = "flaky"
            else:
                outcome = "passed"
            assert tid not in out, f"duplicate test id {tid} in {run_dir}"
            out[tid] = outcome
    return out


@pytest.fixture(scope="session")
def run_parser() -> Callable[[Path], dict[str, str]]:
    return parse_run


@pytest.fixture(scope="session")
def parsed_runs(small_project: Path) -> dict[str, dict[str, str]]:
    truth = json.loads((small_project / "ground_truth.json").read_text())
    return {r["key"]: parse_run(small_project / r["path"]) for r in truth["runs"]}


@pytest.fixture(scope="session")
def truth(small_project: Path) -> dict:
    return json.loads((small_project / "ground_truth.json").read_text())


@pytest.fixture(scope="session")
def ancestry(small_project: Path) -> dict[str, set[str]]:
    """commit sha → its ancestors including itself, from ``git rev-list --all --parents``."""
    import subprocess

    text = subprocess.run(["git", "-C", str(small_project / "repo"), "rev-list", "--all", "--parents", "--topo-order",
                           "--reverse"], capture_output=True, text=True, check=True).stdout
    anc: dict[str, set[str]] = {}
    for line in text.splitlines():
        sha, *parents = line.split()
        s = {sha}
        for p in parents:
            s |= anc[p]
        anc[sha] = s
    return anc
