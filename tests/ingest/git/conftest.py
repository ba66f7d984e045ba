"""Fixtures of the git-ingestion tests: real repositories built with ``git`` in a temp dir."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the test modules import git_repo_builder too

from git_repo_builder import Repo


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    """Factory of fresh repositories under the test's temp dir."""

    def make(name: str = "repo") -> Repo:
        return Repo(tmp_path / name)

    return make
