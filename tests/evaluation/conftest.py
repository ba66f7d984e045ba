"""A small simulated world for loader and scoring tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.sim import scale_config, simulate


@pytest.fixture(scope="session")
def truth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim-eval")
    simulate(scale_config("small", seed=3), out, scale="small")
    return out / "acme-billing"
