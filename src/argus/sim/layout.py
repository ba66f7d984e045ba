"""Read a simulator output folder: the manifest and each run's ``run.json``, as typed values.

This is what a consumer (``argus demo``, benchmarks) needs to feed the runs to the normal ingestion
commands in chronological order; it never reads the ground truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from argus.core.errors import InputError

MANIFEST_SCHEMA = "argus-sim/1"
RUN_SCHEMA = "argus-sim-run/1"


@dataclass(frozen=True)
class RunArtifacts:
    """One CI job attempt: its metadata and the absolute paths of its reports."""

    project: str
    key: str
    dir: Path
    ci_provider: str
    job: str
    run_id: str
    attempt: int
    commit: str
    branch: str
    environment: dict[str, str]
    started_at: datetime
    finished_at: datetime
    junit: tuple[Path, ...]  # pytest first: its timestamp is the run's start
    coverage: Path | None  # None when the job died (outage)
    vulnerabilities: Path | None  # None on reruns (only the test job is repeated)

    def ingest_args(self) -> list[str]:
        """``--project/--commit/--branch/--run-id/--attempt/--job/--env`` for ``argus ingest tests``."""
        args = ["--project", self.project, "--commit", self.commit, "--branch", self.branch,
                "--run-id", self.run_id, "--attempt", str(self.attempt), "--job", self.job]
        for k, v in self.environment.items():
            args += ["--env", f"{k}={v}"]
        return args


@dataclass(frozen=True)
class ProjectEntry:
    name: str
    dir: Path
    repo: Path
    ground_truth: Path
    failure_labels: Path
    commits: int
    runs: int
    tests: int


@dataclass(frozen=True)
class Manifest:
    root: Path
    seed: int
    scale: str | None
    projects: tuple[ProjectEntry, ...]
    runs: tuple[RunArtifacts, ...]  # every project's runs, by start time


def _load(path: Path, schema: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc}); is this an `argus simulate` folder?") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(doc, dict) or doc.get("schema") != schema:
        raise InputError(f"{path}: expected schema '{schema}'")
    return doc


def read_run(run_dir: Path) -> RunArtifacts:
    """Read ``run_dir/run.json``."""
    path = run_dir / "run.json"
    d = _load(path, RUN_SCHEMA)
    try:
        reports = d["reports"]
        return RunArtifacts(
            project=d["project"], key=d["key"], dir=run_dir, ci_provider=d["ci_provider"], job=d["job"],
            run_id=str(d["run_id"]), attempt=int(d["attempt"]), commit=d["commit"], branch=d["branch"],
            environment={str(k): str(v) for k, v in d["environment"].items()},
            started_at=datetime.fromisoformat(d["started_at"]), finished_at=datetime.fromisoformat(d["finished_at"]),
            junit=tuple(run_dir / p for p in reports["junit"]),
            coverage=run_dir / reports["coverage"] if reports["coverage"] else None,
            vulnerabilities=run_dir / reports["vulnerabilities"] if reports["vulnerabilities"] else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: missing or malformed field ({type(exc).__name__}: {exc})") from exc


def read_manifest(out: Path) -> Manifest:
    """Read ``out/manifest.json`` and every run it lists."""
    path = out / "manifest.json"
    d = _load(path, MANIFEST_SCHEMA)
    try:
        projects = tuple(ProjectEntry(p["name"], out / p["path"], out / p["repo"], out / p["ground_truth"],
                                      out / p["failure_labels"], int(p["commits"]), int(p["runs"]), int(p["tests"]))
                         for p in d["projects"])
        runs = tuple(read_run(out / r["path"]) for r in d["runs"])
        return Manifest(out, int(d["seed"]), d.get("scale"), projects, runs)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: missing or malformed field ({type(exc).__name__}: {exc})") from exc
