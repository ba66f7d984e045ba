"""``argus simulate``: generate a realistic CI history (git repo + reports) with ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.output import console, print_json, table
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def _base_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        d = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"--base-date {value!r}: expected an ISO date such as 2026-01-05") from exc
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def _progress_printer(started: float) -> Callable[[str, int, int], None]:
    """A progress callback printing each stage on stderr (at most twice a second per stage)."""
    err = console(stderr=True)
    last: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - last.get(stage, 0.0) < 0.5 and done != 0:
            return
        last[stage] = now
        suffix = f" {done}/{total}" if total > 1 else ""
        err.print(f"[{now - started:5.1f}s] {stage}{suffix}", highlight=False)

    return progress


def simulate_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write into (must be empty unless --force)."),
    scale: str = typer.Option("default", "--scale", help="Preset: small | default | large."),
    projects: int | None = typer.Option(None, "--projects", min=1, help="Number of projects (overrides the scale)."),
    tests: int | None = typer.Option(None, "--tests", min=10, help="Tests per project."),
    days: int | None = typer.Option(None, "--days", min=1, help="Days of history."),
    runs_per_day: int | None = typer.Option(None, "--runs-per-day", min=1, help="CI runs per weekday."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (same seed → same bytes)."),
    base_date: str | None = typer.Option(None, "--base-date", help="First day (UTC), default 2026-01-05."),
    surefire_merged: bool = typer.Option(
        False, "--surefire-merged", help="One junit-surefire.xml per run instead of one TEST-<class>.xml per class."
    ),
    force: bool = typer.Option(False, "--force", help="Replace earlier simulator output in --out."),
    alert_storms: int = typer.Option(0, "--alert-storms", min=0, max=100_000,
                                     help="Also write alert storms with known root incidents (alerts/)."),
    alerts_only: bool = typer.Option(False, "--alerts-only", help="Write only the alert storms (no CI history)."),
    incident_causes: int = typer.Option(0, "--incident-causes", min=0, max=100_000,
                                        help="Write only incidents with planted causes (causes/): deploy, config, "
                                        "upstream, flaky dependency, capacity, unobservable."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate synthetic projects: git repos, JUnit/Cobertura/Trivy reports per CI run, ground truth."""
    from argus.sim import Scale, scale_config, simulate

    if incident_causes:
        from argus.sim.causes import CauseConfig
        from argus.sim.causes import write as write_causes

        done = write_causes(out.expanduser().resolve(),
                            CauseConfig(incidents=incident_causes, seed=seed if seed is not None else 21,
                                        history=min(60, incident_causes // 3)))
        if json_out:
            print_json({"causes": done})
        else:
            console().print(f"incidents with planted causes: {done['incidents']} ({done['kinds']}), "
                            f"{done['payloads']} payloads in {done['folder']}", soft_wrap=True)
        return
    if alerts_only or alert_storms:
        from argus.sim.alerts import StormConfig, write

        storm_cfg = StormConfig(storms=alert_storms or 40, seed=seed if seed is not None else 11)
        storm = write(out.expanduser().resolve(), storm_cfg)
        if alerts_only:
            if json_out:
                print_json({"alerts": storm})
            else:
                console().print(f"alert storms: {storm['events']} events, {storm['incidents']} true incidents, "
                                f"{storm['services']} services, {storm['deployments']} deployments in "
                                f"{storm['folder']}", soft_wrap=True)
            return

    try:
        preset = Scale(scale)
    except ValueError as exc:
        raise InputError(f"--scale {scale!r}: expected one of small, default, large") from exc
    try:
        cfg = scale_config(preset, projects=projects, tests=tests, days=days, runs_per_day=runs_per_day,
                           seed=seed, base_date=_base_date(base_date), surefire_merged=surefire_merged or None)
    except ValueError as exc:
        raise InputError(f"argus simulate: {exc}") from exc
    out = out.expanduser().resolve()
    started = time.perf_counter()
    summaries = simulate(cfg, out, scale=preset.value, force=force, progress=_progress_printer(started))
    elapsed = time.perf_counter() - started
    if json_out:
        print_json({"out": str(out), "scale": preset.value, "seed": cfg.seed, "seconds": round(elapsed, 2),
                    "manifest": str(out / "manifest.json"),
                    "projects": [{"name": s.name, "path": str(s.path), "commits": s.commits, "runs": s.runs,
                                  "tests": s.tests, "flaky": s.flaky, "regressions": s.regressions,
                                  "outages": s.outages} for s in summaries]})
        return
    rows: list[list[object]] = [[s.name, s.commits, s.runs, s.tests, s.flaky, s.regressions, s.outages]
                                for s in summaries]
    console().print(table(f"Simulated into {out} in {elapsed:.1f}s (seed {cfg.seed})",
                          ["project", "commits", "runs", "tests", "flaky", "regressions", "outages"], rows))
    console().print(f"manifest: {out / 'manifest.json'}  (ground truth per project: ground_truth.json)")


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("simulate")(simulate_cmd)
