"""``argus demo``: the guided tour a newcomer starts with."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import SecretStr
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from argus.cli.context import CliState, state
from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=False,
    )


def register(root: typer.Typer, groups: CommandGroups) -> None:
    @root.command("demo")
    def demo(
        ctx: typer.Context,
        out: Path = typer.Option(
            Path("argus-demo"), "--out", help="Folder for the demo (replaced if it holds an earlier demo)."
        ),
        scale: str = typer.Option("default", "--scale", help="Simulator preset: small | default | large."),
        seed: int | None = typer.Option(None, "--seed", help="Simulator seed (same seed, same history)."),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of the tour."),
    ) -> None:
        """Simulate a CI history, ingest it with the normal commands, run every analysis, show what was found."""
        from argus.cli.demo.analyse import analyse_project
        from argus.cli.demo.score import score_project
        from argus.cli.demo.steps import CommandLog, DemoPaths, ingest_run, load_runs, run_command
        from argus.cli.demo.tour import document
        from argus.sim import Scale, scale_config, simulate

        try:
            preset = Scale(scale)
        except ValueError:
            raise InputError(f"--scale {scale!r}: expected one of small, default, large") from None
        paths = DemoPaths(out.resolve())
        paths.prepare()
        db_url = f"sqlite:///{paths.database}"
        base = state(ctx)
        settings = base.settings.model_copy(update={"database_url": SecretStr(db_url), "home": paths.root})
        demo_state = CliState.with_settings(settings, debug=base.debug)
        log = CommandLog()
        err = console(stderr=True)
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
                run_command(
                    demo_state, ["ingest", "git", "--repo", str(paths.sim / p["repo"]), "-p", p["name"]], log
                )
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
                findings.append(analyse_project(demo_state, p["name"], log, str(paths.sim / p["repo"])))
                bar.advance(task)
        seconds["analyse"] = time.perf_counter() - t0
        scores = {
            p["name"]: score_project(f, paths.sim / p["ground_truth"])
            for p, f in zip(projects, findings, strict=True)
        }
        demo_state.close()

        text = document(findings, scores, seconds, db_url, log.failed)
        paths.report.write_text(text)
        if json_out:
            print_json(
                {
                    "out": paths.root,
                    "database_url": db_url,
                    "report": paths.report,
                    "seconds": seconds,
                    "commands": log.ran,
                    "failed_commands": log.failed,
                    "projects": [
                        {
                            "project": f.project,
                            "counts": f.counts,
                            "flaky": len(f.flaky),
                            "broken": len(f.broken),
                            "clusters": len(f.clusters),
                            "novel_clusters": len(f.novel),
                            "gates": f.gates,
                            "score": scores[f.project],
                        }
                        for f in findings
                    ],
                }
            )
        else:
            console().print(Markdown(text))
            err.print(
                f"\nreport written to {paths.report}; database {paths.database} "
                f"({log.ran} argus commands run, {len(log.failed)} failed)"
            )
        if log.failed:
            raise typer.Exit(1)
