"""The wheel alone installs and runs: build it, install it into a fresh venv, run the real commands.

The fresh venv gets its third-party dependencies from this venv's site-packages through a plain
path line in a ``.pth`` file (path lines do not run the ``.pth`` files found there, so the editable
install of this checkout stays invisible); Argus itself comes only from the wheel (``--no-deps``).
Commands run from an empty directory, so no source tree is on ``sys.path``. The wheel is built
without isolation, with the setuptools (>= 77, dev extra) of this venv: no network.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="shop.CartTest" tests="2" failures="1" time="0.3">
  <testcase classname="shop.CartTest" name="adds_item" time="0.1"/>
  <testcase classname="shop.CartTest" name="applies_discount" time="0.2"><failure message="expected 90">boom</failure></testcase>
</testsuite>
"""

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode in ok, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    log = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
               cwd=ROOT)
    assert "deprecat" not in log.lower(), log  # e.g. setuptools' "project.license as a TOML table"
    wheels = list(out.glob("argus_quality-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_holds_package_data_and_spdx_licence(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "argus/store/migrations/script.py.mako" in names
    assert any(n.startswith("argus/store/migrations/versions/0001") for n in names)
    assert "argus/py.typed" in names
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in meta and "Name: argus-quality" in meta
    assert any(n.endswith("licenses/LICENSE") for n in names)


def test_wheel_alone_installs_and_runs(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path).strip())
    (site / "argus-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    out = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(wheel)],
               cwd=tmp_path)
    assert "deprecat" not in out.lower(), out
    work = tmp_path / "work"
    work.mkdir()
    (work / "TEST-cart.xml").write_text(REPORT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "PYTHON", "GITHUB_", "CI"))}
    env |= {"ARGUS_DATABASE_URL": f"sqlite:///{work}/argus.db", "ARGUS_HOME": str(work / "home")}
    argus = str(venv / "bin" / "argus")
    origin = _run([str(py), "-c", "import argus; print(argus.__file__)"], cwd=work, env=env)
    assert origin.strip().startswith(str(venv)), origin
    assert _run([argus, "--version"], cwd=work, env=env).strip() == "argus 0.1.0"
    assert "0001" in _run([argus, "db", "upgrade"], cwd=work, env=env)
    out = _run([argus, "ingest", "tests", str(work / "TEST-cart.xml"), "--commit", "c" * 40, "--branch", "main",
                "--run-id", "1"], cwd=work, env=env)
    assert "1 ingested (2 results)" in out, out
    _run([argus, "flaky", "analyze"], cwd=work, env=env)
    _run([argus, "gate", "--commit", "c" * 40, "--markdown", str(work / "gate.md"), "--no-github"],
         cwd=work, env=env, ok=(0, 1))
    assert (work / "gate.md").read_text().strip()
