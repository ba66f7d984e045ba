"""The issue tests build real git repositories with the git tests' builder."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "git"))

from git_repo_builder import Repo


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    def make(name: str = "repo") -> Repo:
        return Repo(tmp_path / name)

    return make
