"""The real ``argus`` CLI run as a process (reliability tests and probes: crashes, kills, concurrency)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: A command is killed after this many seconds (a hang is a failure, never a stuck run).
COMMAND_TIMEOUT_S = 120.0


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
            f"stdout: {self.stdout[-800:]}\nstderr: {self.stderr[-1200:]}"
        )


def argus_argv(*args: str) -> list[str]:
    """The command line that runs this interpreter's ``argus`` CLI with ``args``."""
    return [sys.executable, "-c", "from argus.cli.app import run; run()", *args]


def argus_environment(database_url: str, home: Path, columns: int = 200) -> dict[str, str]:
    """This process's environment without any ``ARGUS_*`` of the caller, on ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env.update(ARGUS_DATABASE_URL=database_url, ARGUS_HOME=str(home), COLUMNS=str(columns))
    return env


def start(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``argus args…`` without waiting (for concurrent runs); see :func:`wait_all`."""
    return subprocess.Popen(argus_argv(*args), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_all(procs: Sequence[subprocess.Popen[str]], argv: Sequence[str] = (),
             timeout: float = COMMAND_TIMEOUT_S) -> list[Result]:
    """Wait for every process (killing any past ``timeout``) and return their results."""
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += "\n[killed: timeout]"
        results.append(Result(tuple(argv), p.returncode, out, err))
    return results


def run(env: dict[str, str], cwd: Path, *args: str, timeout: float = COMMAND_TIMEOUT_S,
        stdin: str | None = None) -> Result:
    """Run ``argus args…`` to completion (killed on timeout, which raises)."""
    proc = subprocess.run(argus_argv(*args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          input=stdin)
    return Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)


def parallel(env: dict[str, str], cwd: Path, commands: Sequence[Sequence[str]],
             timeout: float = COMMAND_TIMEOUT_S) -> list[Result]:
    """Start every command at once, then wait for all."""
    return [wait_all([p], c, timeout)[0] for p, c in zip([start(env, cwd, *c) for c in commands], commands,
                                                           strict=True)]
