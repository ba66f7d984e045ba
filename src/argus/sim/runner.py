"""Run the simulation and write every artifact: repos, per-run reports, ground truth, manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from argus.sim.config import SimConfig
from argus.sim.gitwrite import write_repo
from argus.sim.history import History, Simulation, play
from argus.sim.junit import durations, merge_surefire, pytest_xml, split, surefire_files
from argus.sim.layout import MANIFEST_SCHEMA, RUN_SCHEMA
from argus.sim.outdir import resolve_out, staged_output
from argus.sim.reports import CoverageWriter, trivy_json
from argus.sim.rng import stream
from argus.sim.truth import build_truth, failure_label
from argus.sim.world import build_world

Progress = Callable[[str, int, int], None]  # (stage text, done, total)


@dataclass(frozen=True)
class ProjectSummary:
    name: str
    path: Path
    commits: int
    runs: int
    tests: int
    flaky: int
    regressions: int
    outages: int


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _write_runs(sim: Simulation, h: History, shas: dict[int, str], pdir: Path,
                progress: Progress | None) -> tuple[dict[str, str], list[str]]:
    cfg, world = sim.cfg, sim.world
    cov = CoverageWriter(f"/home/runner/work/{world.name}/{world.name}", cfg.coverage_lines)
    vulns = {v.id: v for v in sim.vulns}
    slow = {uid: spec.category for uid, spec in world.flaky.items()}
    targets = {"pip": "requirements.txt", "maven": "java/pom.xml"}
    run_dirs: dict[str, str] = {}
    labels: list[str] = []
    for i, run in enumerate(h.runs):
        rel = f"runs/{run.key}"
        rdir = pdir / rel
        rdir.mkdir(parents=True)
        rng = stream(cfg.seed, "render", world.name, run.key)
        fails = h.failures[run.key]
        secs = durations(rng, run.tests, fails, slow)
        py, java = split(run.tests)
        host = f"gh-runner-{rng.randint(1, 40):02d}"
        junit = ["junit-pytest.xml"]
        _write(rdir / "junit-pytest.xml", pytest_xml(py, fails, secs, run.started_at, host))
        sure = surefire_files(java, fails, secs, run.environment, cfg.surefire_reruns)
        if cfg.surefire_merged:
            _write(rdir / "junit-surefire.xml", merge_surefire(sure))
            junit.append("junit-surefire.xml")
        else:
            (rdir / "surefire-reports").mkdir()
            for name, text in sure.items():
                _write(rdir / "surefire-reports" / name, text)
                junit.append(f"surefire-reports/{name}")
        coverage = None
        if run.outage is None:  # the job died: no coverage upload
            coverage = "coverage.xml"
            _write(rdir / coverage, cov.render(run.coverage, run.started_at + timedelta(minutes=3)))
        trivy = None
        if run.attempt == 1:  # "re-run failed jobs" repeats only the test job
            trivy = "trivy.json"
            _write(rdir / trivy, trivy_json([vulns[v] for v in run.vulns], run.started_at, targets))
        finished = run.started_at + timedelta(seconds=round(sum(secs.values()) / 4 + 45))
        meta = {
            "schema": RUN_SCHEMA, "project": world.name, "key": run.key, "ci_provider": "github", "job": "test",
            "run_id": run.run_id, "attempt": run.attempt, "commit": shas[run.commit_mark], "branch": run.branch,
            "environment": run.environment, "started_at": run.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "ci_url": f"https://github.example/acme/{world.name}/actions/runs/{run.run_id}/attempts/{run.attempt}",
            "reports": {"junit": junit, "coverage": coverage, "vulnerabilities": trivy},
        }
        _write(rdir / "run.json", _dump(meta))
        run_dirs[run.key] = rel
        by_uid = {t.uid: t.test_id for t in run.tests}
        labels.append(json.dumps({"run": run.key, "failures": [failure_label(by_uid[u], f)
                                                                for u, f in sorted(fails.items())]}))
        if progress is not None and (i % 10 == 9 or i == len(h.runs) - 1):
            progress(f"{world.name}: writing runs", i + 1, len(h.runs))
    return run_dirs, labels


def _head_map(sim: Simulation) -> dict[str, Any]:
    """The per-test coverage map (coverage.py JSON with contexts) of main's head (:mod:`argus.sim.covmap`)."""
    from argus.sim.covmap import MapTest, coverage_map
    from argus.sim.model import Dialect

    m = sim.main
    sources = {p: "\n".join(lines) for p, lines in m.files.items() if p.endswith(".py") and p.startswith("src/")}
    tests = [MapTest(t.test_id, t.modules) for t in m.tests if t.dialect is Dialect.PYTEST and t.skip_reason is None]
    return coverage_map(sources, tests, seed=sim.cfg.seed)


def simulate_project(cfg: SimConfig, index: int, out: Path, progress: Progress | None = None) -> tuple[
        ProjectSummary, list[dict[str, Any]]]:
    """Generate project ``index`` under ``out/<name>``; return its summary and manifest run entries."""
    world = build_world(cfg, index)
    if progress is not None:
        progress(f"{world.name}: simulating history", 0, 1)
    h, sim = play(cfg, world, index)
    pdir = out / world.name
    if progress is not None:
        progress(f"{world.name}: writing git repository ({len(h.commits)} commits)", 0, 1)
    merged = [b.name for b in sim.branches.values() if b.merged]
    shas = write_repo(pdir / "repo", h.commits, sorted(merged))
    run_dirs, labels = _write_runs(sim, h, shas, pdir, progress)
    _write(pdir / "coverage_map.json", json.dumps(_head_map(sim), separators=(",", ":")) + "\n")
    truth = build_truth(sim, h, shas, run_dirs)
    _write(pdir / "ground_truth.json", _dump(truth))
    _write(pdir / "ground_truth_failures.jsonl", "\n".join(labels) + "\n")
    entries = [{"project": world.name, "key": r.key, "path": f"{world.name}/{run_dirs[r.key]}",
                "started_at": r.started_at.isoformat(), "commit": shas[r.commit_mark], "branch": r.branch,
                "attempt": r.attempt} for r in h.runs]
    summary = ProjectSummary(world.name, pdir, len(h.commits), len(h.runs), len(world.tests), len(world.flaky),
                             len(h.regressions), sum(r.outage is not None for r in h.runs))
    return summary, entries


def simulate(cfg: SimConfig, out: Path, *, scale: str | None = None, force: bool = False,
             progress: Progress | None = None) -> list[ProjectSummary]:
    """Generate ``cfg.projects`` projects into ``out`` and write ``out/manifest.json``.

    ``out`` may be relative; everything is written to a hidden sibling first and moved into ``out`` only
    when complete (see :mod:`argus.sim.outdir`), so a failure leaves ``out`` as it was.
    """
    out = resolve_out(out, force)
    with staged_output(out) as work:
        summaries = _simulate_into(cfg, work, scale, progress)
    return [replace(s, path=out / s.name) for s in summaries]


def _simulate_into(cfg: SimConfig, out: Path, scale: str | None, progress: Progress | None) -> list[ProjectSummary]:
    summaries: list[ProjectSummary] = []
    runs: list[dict[str, Any]] = []
    for i in range(cfg.projects):
        s, entries = simulate_project(cfg, i, out, progress)
        summaries.append(s)
        runs += entries
    runs.sort(key=lambda r: (r["started_at"], r["project"], r["key"]))
    manifest = {
        "schema": MANIFEST_SCHEMA, "generator": "argus simulate", "seed": cfg.seed, "scale": scale,
        "config": cfg.as_dict(),
        "projects": [{"name": s.name, "path": s.name, "repo": f"{s.name}/repo", "default_branch": "main",
                      "ground_truth": f"{s.name}/ground_truth.json",
                      "failure_labels": f"{s.name}/ground_truth_failures.jsonl", "commits": s.commits,
                      "runs": s.runs, "tests": s.tests} for s in summaries],
        "runs": runs,
    }
    _write(out / "manifest.json", _dump(manifest))
    return summaries
