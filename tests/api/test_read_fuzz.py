"""Schemathesis against the API's own OpenAPI schema (bench/api_fuzz.py, few examples): no 5xx.

Skipped when schemathesis is not installed (it is not in the dev extra: ``pip install schemathesis``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from argus.testing.databases import fresh_database

pytest.importorskip("schemathesis")
BENCH = Path(__file__).resolve().parents[2] / "bench" / "api_fuzz.py"


@pytest.mark.slow
def test_no_server_error_for_generated_requests(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("api_fuzz", BENCH)
    assert spec is not None and spec.loader is not None
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    with fresh_database(tmp_path, os.environ.get("ARGUS_TEST_DATABASE_URL") or None, prefix="fuzz_") as url:
        app, token = fuzz.seed(url, tmp_path / "home")
        try:
            assert fuzz.fuzz(app, token, examples=8) == []
        finally:
            app.state.runtime.close()
