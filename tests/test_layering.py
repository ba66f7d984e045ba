"""The import direction of ARCHITECTURE.md holds (import-linter contract in pyproject.toml)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "argus"
LEVEL = {
    "core": 1,
    "reasoning": 2,
    "store": 2,
    "ingest": 3,
    "ml": 3,
    "sim": 3,
    "analysis": 4,
    "evaluation": 5,
    "incidents": 5,
    "ask": 5,
    "report": 5,
    "testing": 5,
    "jobs": 6,
    "api": 6,
    "web": 6,
    "cli": 6,
}


def test_import_linter_contract() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    res = subprocess.run(
        [exe, "--config", str(SRC.parents[1] / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=SRC.parents[1],
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_no_upward_imports_by_ast() -> None:
    """Belt and braces: every `argus.X` import in package P points to a level <= P's level."""
    bad = []
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        if len(parts) < 2 or parts[0] not in LEVEL:
            continue
        own = LEVEL[parts[0]]
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                bits = name.split(".")
                if bits[0] == "argus" and len(bits) > 1 and bits[1] in LEVEL:
                    target = LEVEL[bits[1]]
                    if target > own or (target == own and bits[1] != parts[0] and own in (2, 3)):
                        bad.append(f"{path.relative_to(SRC)} imports {name}")
    assert not bad, "\n".join(bad)
