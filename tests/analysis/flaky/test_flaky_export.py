"""Quarantine list renderings."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.analysis.flaky.nodeid import pytest_node_id
from argus.analysis.flaky.readmodels import QuarantinedTest
from argus.core.errors import InputError
from argus.report.quarantine import render

NOW = datetime(2026, 2, 1, tzinfo=UTC)
TESTS = [
    QuarantinedTest("tests/test_a.py::test_one", "tests/test_a.py::test_one", "quarantined", 0.93, "network", NOW),
    QuarantinedTest("pkg.CalcTest.testAdd", "pkg/CalcTest.py::CalcTest::testAdd", "quarantined", 0.8, None, None),
]


def test_node_ids() -> None:
    assert pytest_node_id("tests/test_a.py::test_x", None, None, "test_x") == "tests/test_a.py::test_x"
    assert pytest_node_id("tests.test_a.TestC.test_x", None, "tests.test_a.TestC", "test_x") == "tests/test_a.py::TestC::test_x"
    assert pytest_node_id("x", "tests/test_b.py", "tests.test_b", "test_y[1]") == "tests/test_b.py::test_y[1]"
    # the identity ingestion stores: <dotted scope>::<name>
    assert pytest_node_id("tests.api.test_c.TestK::test_z", None, None, "test_z") == "tests/api/test_c.py::TestK::test_z"


def test_text_and_json() -> None:
    assert render(TESTS, "text", project="p", now=NOW) == "tests/test_a.py::test_one\npkg.CalcTest.testAdd\n"
    doc = json.loads(render(TESTS, "json", project="p", now=NOW))
    assert doc["project"] == "p" and [t["id"] for t in doc["tests"]] == [t.identity for t in TESTS]
    assert doc["tests"][0]["category"] == "network"


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown format"):
        render(TESTS, "xml", project="p", now=NOW)


def _pytest(tmp_path: Path, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    return out.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "test_x.py").write_text("def test_one():\n    assert False\n\ndef test_two():\n    pass\n")
    return tmp_path


def test_pytest_args_file_deselects(project: Path) -> None:
    q = [QuarantinedTest("test_x.py::test_one", "test_x.py::test_one", "quarantined", 0.9, None, None)]
    (project / "q.args").write_text(render(q, "pytest", project="p", now=NOW))
    assert "1 passed, 1 deselected" in _pytest(project, "@q.args", "test_x.py")


def test_conftest_plugin_keeps_running_as_xfail(project: Path) -> None:
    q = [QuarantinedTest("test_x.py::test_one", "test_x.py::test_one", "quarantined", 0.9, None, None)]
    (project / "conftest.py").write_text(render(q, "conftest", project="p", now=NOW))
    assert "1 passed, 1 xfailed" in _pytest(project, "test_x.py")
