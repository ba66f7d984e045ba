"""The demo's steps: each runs real Argus commands or services against the demo's own database."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argus.cli.context import CliState
from argus.core.errors import ArgusError

MARKER = ".argus-demo"


@dataclass
class DemoPaths:
    """Where the demo writes: everything stays under ``root``."""

    root: Path

    @property
    def sim(self) -> Path:
        return self.root / "sim"

    @property
    def database(self) -> Path:
        return self.root / "argus.db"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    def prepare(self) -> None:
        """Create ``root``; remove an earlier demo there (only a folder marked as a demo's)."""
        if self.root.exists() and any(self.root.iterdir()):
            if not (self.root / MARKER).exists():
                raise ArgusError(
                    f"{self.root} exists and is not an earlier demo folder: choose another --out"
                )
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / MARKER).write_text("made by argus demo; safe to delete\n")


@dataclass
class CommandLog:
    """Every command the demo ran, with its exit code (failures are reported, not hidden)."""

    ran: int = 0
    failed: list[tuple[str, int, str]] = field(default_factory=list)


def run_command(state: CliState, args: Sequence[str], log: CommandLog) -> str:
    """Run ``argus ARGS`` in-process on the demo's settings; return its stdout."""
    from argus.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args), cli_state=state)
    log.ran += 1
    if code != 0:
        log.failed.append((" ".join(args), code, (err.getvalue() or out.getvalue()).strip()[-300:]))
    return out.getvalue()


@dataclass(frozen=True)
class RunRef:
    project: str
    path: Path
    meta: dict[str, Any]


def load_runs(manifest: dict[str, Any], sim_root: Path) -> list[RunRef]:
    """Every simulated CI run in chronological order, with its run.json."""
    refs = []
    for r in manifest["runs"]:
        path = sim_root / r["path"]
        refs.append(RunRef(r["project"], path, json.loads((path / "run.json").read_text())))
    return refs


def ingest_run(state: CliState, run: RunRef, log: CommandLog) -> None:
    """Feed one CI run to `argus ingest tests|coverage|vulns` with its CI metadata."""
    m = run.meta
    ci = [
        "-p",
        run.project,
        "--commit",
        m["commit"],
        "--branch",
        m["branch"],
        "--run-id",
        str(m["run_id"]),
        "--attempt",
        str(m["attempt"]),
        "--job",
        m["job"],
    ]
    env: list[str] = []
    for k, v in sorted(m.get("environment", {}).items()):
        env += ["--env", f"{k}={v}"]
    reports = m["reports"]
    junit = [str(run.path / p) for p in reports["junit"]]
    run_command(state, ["ingest", "tests", *junit, *ci, *env, "--json"], log)
    if reports.get("coverage"):
        run_command(state, ["ingest", "coverage", str(run.path / reports["coverage"]), *ci, "--json"], log)
    if reports.get("vulnerabilities"):
        run_command(
            state, ["ingest", "vulns", str(run.path / reports["vulnerabilities"]), *ci, "--json"], log
        )
