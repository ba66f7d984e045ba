"""Shared helpers for reliability probes: a fresh database per probe and the real ``argus`` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

#: A probe's command is killed after this many seconds (a hang is a failure, never a stuck run).
COMMAND_TIMEOUT_S = 120.0


def sha(name: str) -> str:
    """A commit SHA (40 hex digits) standing for the build ``name`` ("m0", "pr"): --commit takes hex only."""
    return name.encode().hex().ljust(40, "0")


@dataclass(frozen=True)
class Result:
    """What one ``argus`` process did."""

    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        """One paragraph for a failure message (the command, its exit code and its output tail)."""
        return (
            f"argus {' '.join(self.argv)} -> exit {self.code}\n"
            f"stdout: {self.stdout[-800:]}\nstderr: {self.stderr[-800:]}"
        )


@dataclass
class ProbeEnv:
    """One probe's world: an empty database (URL), a scratch folder and the environment to run in."""

    kind: str  # "sqlite" | "postgresql"
    database_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def argus_cmd(self, *argv: str) -> list[str]:
        """The command line that runs the installed ``argus`` CLI of this interpreter."""
        return [sys.executable, "-c", "from argus.cli.app import run; run()", *argv]

    def run(self, *argv: str, timeout: float = COMMAND_TIMEOUT_S, stdin: str | None = None) -> Result:
        """Run ``argus argv…`` to completion (killed on timeout, which raises)."""
        proc = subprocess.run(
            self.argus_cmd(*argv), cwd=self.workdir, env=self.env, capture_output=True, text=True,
            timeout=timeout, input=stdin,
        )
        return Result(tuple(argv), proc.returncode, proc.stdout, proc.stderr)

    def start(self, *argv: str) -> subprocess.Popen[str]:
        """Start ``argus argv…`` without waiting (for concurrent probes); the caller waits."""
        return subprocess.Popen(
            self.argus_cmd(*argv), cwd=self.workdir, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )

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
        with self.engine() as eng, eng.connect() as conn:
            return conn.execute(text(sql), params).scalar()


def wait_all(procs: Sequence[subprocess.Popen[str]], argv: Sequence[str] = ()) -> list[Result]:
    """Wait for every process (killing any past the timeout) and return their results."""
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += "\n[killed: timeout]"
        results.append(Result(tuple(argv), p.returncode, out, err))
    return results


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def probe_env(kind: str, root: Path, pg_base: str | None) -> Iterator[ProbeEnv]:
    """A fresh ProbeEnv: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    work = root / f"p_{uuid.uuid4().hex[:10]}"
    work.mkdir(parents=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    base_env["ARGUS_HOME"] = str(work / "home")
    base_env["COLUMNS"] = "80"
    if kind == "sqlite":
        url = f"sqlite:///{work / 'argus.db'}"
        yield ProbeEnv(kind, url, work, {**base_env, "ARGUS_DATABASE_URL": url})
        return
    assert pg_base is not None
    schema = f"rp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(pg_base, schema)
    try:
        yield ProbeEnv(kind, url, work, {**base_env, "ARGUS_DATABASE_URL": url})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
