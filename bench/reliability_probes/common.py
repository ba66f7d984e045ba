"""Shared helpers for reliability probes: a fresh database per probe and the real ``argus`` CLI
(both from :mod:`argus.testing`, which the test suite shares)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine

from argus.testing import processes
from argus.testing.databases import fresh_database, scalar
from argus.testing.processes import COMMAND_TIMEOUT_S, Result, argus_environment, wait_all

__all__ = ["COMMAND_TIMEOUT_S", "ProbeEnv", "Result", "probe_env", "sha", "wait_all"]


def sha(name: str) -> str:
    """A commit SHA (40 hex digits) standing for the build ``name`` ("m0", "pr"): --commit takes hex only."""
    return name.encode().hex().ljust(40, "0")


@dataclass
class ProbeEnv:
    """One probe's world: an empty database (URL), a scratch folder and the environment to run in."""

    kind: str  # "sqlite" | "postgresql"
    database_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def argus_cmd(self, *argv: str) -> list[str]:
        """The command line that runs the installed ``argus`` CLI of this interpreter."""
        return processes.argus_argv(*argv)

    def run(self, *argv: str, timeout: float = COMMAND_TIMEOUT_S, stdin: str | None = None) -> Result:
        """Run ``argus argv…`` to completion (killed on timeout, which raises)."""
        return processes.run(self.env, self.workdir, *argv, timeout=timeout, stdin=stdin)

    def start(self, *argv: str) -> subprocess.Popen[str]:
        """Start ``argus argv…`` without waiting (for concurrent probes); the caller waits (:func:`wait_all`)."""
        return processes.start(self.env, self.workdir, *argv)

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """A SQLAlchemy engine on the probe's database, for checking what was stored."""
        eng = create_engine(self.database_url)
        try:
            yield eng
        finally:
            eng.dispose()

    def scalar(self, sql: str, **params: object) -> object:
        """One value from the probe's database."""
        return scalar(self.database_url, sql, **params)


@contextmanager
def probe_env(kind: str, root: Path, pg_base: str | None) -> Iterator[ProbeEnv]:
    """A fresh ProbeEnv: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    work = root / f"p_{uuid.uuid4().hex[:10]}"
    work.mkdir(parents=True)
    assert kind == "sqlite" or pg_base is not None
    with fresh_database(work, pg_base if kind != "sqlite" else None, prefix="rp_") as url:
        yield ProbeEnv(kind, url, work, argus_environment(url, work / "home", columns=80))
