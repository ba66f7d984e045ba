"""The reliability tests' world: an empty database, a scratch folder and real ``argus`` processes
(:mod:`argus.testing.processes`), JUnit files from :func:`argus.testing.reports.junit`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from argus.testing import processes
from argus.testing.databases import scalar
from argus.testing.databases import upgrade_database as upgrade_in_process
from argus.testing.processes import Result, argus_environment
from argus.testing.reports import junit

__all__ = ["Store", "upgrade_in_process", "write_junit"]

TIMEOUT_S = 180.0


def write_junit(path: Path, suite: str, tests: int, failures: int = 0) -> Path:
    """A JUnit XML file of ``tests`` distinct cases (the first ``failures`` fail) in suite ``suite``."""
    path.write_text(junit(suite, tests, failures), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Store:
    """One test's database, scratch folder and process environment."""

    url: str
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str) -> Result:
        return processes.wait_all([processes.start(self.env, self.cwd, *args)], args, TIMEOUT_S)[0]

    def parallel(self, commands: Sequence[Sequence[str]]) -> list[Result]:
        return processes.parallel(self.env, self.cwd, commands, TIMEOUT_S)

    def scalar(self, sql: str, **params: object) -> object:
        return scalar(self.url, sql, **params)

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}") or 0)  # type: ignore[call-overload]


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Store:
    """An empty database (no schema yet) and an environment for ``argus`` subprocesses."""
    return Store(database_url, tmp_path, argus_environment(database_url, tmp_path / "home"))
