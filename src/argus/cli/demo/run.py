"""The demo from start to end: simulate, ingest with the normal commands, analyse, score, write the tour."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from argus.app.demo import ProjectFindings, Score, score_project
from argus.cli.context import CliState
from argus.cli.demo.analyse import analyse_project
from argus.cli.demo.steps import CommandLog, DemoPaths, ingest_run, load_runs, run_command
from argus.cli.demo.tour import document
from argus.cli.output import console
from argus.sim import Scale, scale_config, simulate


@dataclass(frozen=True)
class DemoResult:
    """What one demo did: where it wrote, how long each stage took, what it found."""

    paths: DemoPaths
    database_url: str
    seconds: dict[str, float]
    log: CommandLog
    findings: list[ProjectFindings]
    scores: dict[str, Score]

    def summary(self) -> dict[str, Any]:
        """The ``--json`` summary."""
        return {
            "out": self.paths.root,
            "database_url": self.database_url,
            "report": self.paths.report,
            "seconds": self.seconds,
            "commands": self.log.ran,
            "failed_commands": self.log.failed,
            "projects": [
                {
                    "project": f.project,
                    "counts": f.counts,
                    "flaky": len(f.flaky),
                    "broken": len(f.broken),
                    "clusters": len(f.clusters),
                    "novel_clusters": len(f.novel),
                    "gates": f.gates,
                    "score": self.scores[f.project],
                }
                for f in self.findings
            ],
        }


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=False,
    )


def run_demo(base: CliState, out: Path, preset: Scale, seed: int | None) -> tuple[DemoResult, str]:
    """Run the whole demo into ``out`` on a database of its own; return what it did and the tour (Markdown,
    also written to ``out/report.md``)."""
    paths = DemoPaths(out.resolve())
    paths.prepare()
    db_url = f"sqlite:///{paths.database}"
    settings = base.settings.model_copy(update={"database_url": SecretStr(db_url), "home": paths.root})
    demo_state = CliState.with_settings(settings, debug=base.debug)
    log = CommandLog()
    seconds: dict[str, float] = {}

    t0 = time.perf_counter()
    run_command(demo_state, ["db", "upgrade"], log)
    cfg = scale_config(preset, seed=seed)
    with _progress() as bar:
        task = bar.add_task("simulate", total=None)

        def on_sim(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"simulate: {stage}", completed=done, total=max(total, 1))

        simulate(cfg, paths.sim, scale=preset.value, force=True, progress=on_sim)
    seconds["simulate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    manifest: dict[str, Any] = json.loads((paths.sim / "manifest.json").read_text())
    projects = manifest["projects"]
    runs = load_runs(manifest, paths.sim)
    with _progress() as bar:
        task = bar.add_task("ingest git", total=len(projects))
        for p in projects:
            run_command(demo_state, ["ingest", "git", "--repo", str(paths.sim / p["repo"]), "-p", p["name"]], log)
            bar.advance(task)
        task = bar.add_task("ingest CI runs", total=len(runs))
        for run in runs:
            ingest_run(demo_state, run, log)
            bar.advance(task)
    seconds["ingest"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    findings = []
    with _progress() as bar:
        task = bar.add_task("analyse", total=len(projects))
        for p in projects:
            findings.append(analyse_project(demo_state, p["name"], log))
            bar.advance(task)
    seconds["analyse"] = time.perf_counter() - t0
    scores = {p["name"]: score_project(f, paths.sim / p["ground_truth"]) for p, f in zip(projects, findings, strict=True)}
    demo_state.close()

    text = document(findings, scores, seconds, db_url, log.failed)
    paths.report.write_text(text)
    return DemoResult(paths, db_url, seconds, log, findings, scores), text
