"""Radon complexity of a change's functions, read from a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytest.importorskip("radon", reason="radon (the ml extra) is not installed")

from argus.analysis.risk.complexity import changed_complexity, commit_complexity

SIMPLE = "def f(x):\n    return x\n\n\ndef g(y):\n    return y\n"
BRANCHY = ("def f(x):\n    if x > 1:\n        return 1\n    elif x < 0:\n        return 2\n    return x\n\n\n"
           "def g(y):\n    return y\n")


def test_only_the_functions_holding_a_changed_line_count() -> None:
    assert changed_complexity(BRANCHY, {3}) == 3.0  # f: two branches + 1
    assert changed_complexity(BRANCHY, {10}) == 1.0  # g
    assert changed_complexity(BRANCHY, {3, 10}) == 4.0
    assert changed_complexity(BRANCHY, set()) == 0.0
    assert changed_complexity("def broken(:\n", {1}) == 0.0  # not parseable: left out


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
                               "GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin"}).stdout.strip()


def test_commit_complexity_is_after_and_delta_of_the_changed_functions(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "m.py").write_text(SIMPLE)
    (repo / "README").write_text("x\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    (repo / "m.py").write_text(BRANCHY)
    _git(repo, "commit", "-q", "-am", "branchy f")
    (repo / "README").write_text("y\n")
    _git(repo, "commit", "-q", "-am", "docs only")
    shas = _git(repo, "rev-list", "--reverse", "HEAD").split()
    cx = commit_complexity(repo, shas)
    first, second, third = (cx[s] for s in shas)
    assert first == (2.0, 2.0)  # a new file: f and g, nothing before
    assert second == (3.0, 2.0)  # f went from 1 to 3
    assert third == (0.0, 0.0)  # no Python change
    assert commit_complexity(repo, shas) == cx  # cached: the same answer
