"""Report writers and a process runner for the reliability tests (real ``argus`` processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from argus.core.db import create_db_engine
from argus.store.migrate import upgrade

TIMEOUT_S = 180.0


def write_junit(path: Path, suite: str, tests: int, failures: int = 0) -> Path:
    """A JUnit XML file of ``tests`` distinct cases (the first ``failures`` fail) in suite ``suite``."""
    cases = []
    for i in range(tests):
        body = '<failure message="boom" type="AssertionError">trace</failure>' if i < failures else ""
        cases.append(f'<testcase classname="{suite}" name="test_{i}" time="0.01">{body}</testcase>')
    path.write_text(
        f'<?xml version="1.0"?>\n<testsuite name="{suite}" tests="{tests}" failures="{failures}">'
        + "".join(cases) + "</testsuite>\n",
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Done:
    code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return f"exit {self.code}\nstdout: {self.stdout[-600:]}\nstderr: {self.stderr[-1200:]}"


def argv(*args: str) -> list[str]:
    return [sys.executable, "-c", "from argus.cli.app import run; run()", *args]


def environment(database_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env.update(ARGUS_DATABASE_URL=database_url, ARGUS_HOME=str(home), COLUMNS="200")
    return env


def start(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(argv(*args), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait(procs: Sequence[subprocess.Popen[str]]) -> list[Done]:
    out = []
    for p in procs:
        try:
            so, se = p.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            so, se = p.communicate()
        out.append(Done(p.returncode, so, se))
    return out


def run(env: dict[str, str], cwd: Path, *args: str) -> Done:
    return wait([start(env, cwd, *args)])[0]


def parallel(env: dict[str, str], cwd: Path, commands: Sequence[Sequence[str]]) -> list[Done]:
    """Start every command at once, then wait for all."""
    return wait([start(env, cwd, *c) for c in commands])


def upgrade_in_process(database_url: str) -> None:
    """Create the schema (cheaper than one more ``argus db upgrade`` process on a busy machine)."""
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def scalar(database_url: str, sql: str, **params: object) -> object:
    eng = create_engine(database_url)
    try:
        with eng.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        eng.dispose()


@dataclass(frozen=True)
class Store:
    """One test's database, scratch folder and process environment."""

    url: str
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str) -> Done:
        return run(self.env, self.cwd, *args)

    def parallel(self, commands: Sequence[Sequence[str]]) -> list[Done]:
        return parallel(self.env, self.cwd, commands)

    def scalar(self, sql: str, **params: object) -> object:
        return scalar(self.url, sql, **params)

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}") or 0)  # type: ignore[call-overload]


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Store:
    """An empty database (no schema yet) and an environment for ``argus`` subprocesses."""
    return Store(database_url, tmp_path, environment(database_url, tmp_path / "home"))
