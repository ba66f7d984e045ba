"""Automatic retraining of the change-risk model through real jobs (run in-process on SQLite, by a real
procrastinate worker on PostgreSQL): no model → the first one; no trigger fired → nothing trained; a
trigger fired → a challenger, made active only by the champion/challenger rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lightgbm", reason="the ml extra (LightGBM, scikit-learn) is not installed")

from sqlalchemy import Engine, select

from argus.app.runtime import Runtime
from argus.cli.context import CliState
from argus.cli.demo.steps import CommandLog, ingest_run, load_runs, run_command
from argus.core.settings import RiskLabel, Settings
from argus.jobs import tasks
from argus.jobs.dispatch import uses_queue
from argus.jobs.service import ListJobsRequest, list_jobs, retrain_risk
from argus.sim import Scale, scale_config, simulate
from argus.store.models import ModelVersion

PROJECT = "shop"


def _settings(base: Settings, **risk: Any) -> Settings:
    return base.model_copy(update={"risk": base.risk.model_copy(update={"label": RiskLabel.EITHER, **risk})})


@pytest.fixture
def history(tmp_path: Path, job_settings: Settings, engine: Engine) -> Iterator[Settings]:
    sim = tmp_path / "sim"
    simulate(replace(scale_config(Scale.SMALL, seed=5), days=14), sim, scale="small", force=True)
    manifest: dict[str, Any] = json.loads((sim / "manifest.json").read_text())
    (project,) = manifest["projects"]
    st = CliState.with_settings(_settings(job_settings))
    log = CommandLog()
    run_command(st, ["ingest", "git", "--repo", str(sim / project["repo"]), "-p", PROJECT], log)
    for run in load_runs(manifest, sim):
        ingest_run(st, replace(run, project=PROJECT), log)
    assert log.failed == []
    st.close()
    yield job_settings


def _run(settings: Settings, key: str) -> dict[str, Any]:
    """Start the retraining job (SQLite: here; PostgreSQL: a real worker runs it) and return its result."""
    rt = Runtime(settings)
    try:
        started = retrain_risk(rt, PROJECT, key)
        if uses_queue(rt):
            from argus.jobs.queue import ensure_schema, run_worker

            ensure_schema(rt)
            run_worker(rt, wait=False, schedules=False)
        else:
            assert started.ran_here
        (job,) = [j for j in list_jobs(rt, ListJobsRequest(PROJECT)) if j.key == key]
        assert job.kind == tasks.RISK_RETRAIN and job.status == "succeeded", job.last_error
        return dict(job.result or {})
    finally:
        rt.close()


def _versions(settings: Settings) -> dict[int, str]:
    rt = Runtime(settings)
    try:
        return rt.in_project(PROJECT, lambda sc: {m.version: m.status for m in sc.session.scalars(
            select(ModelVersion))})
    finally:
        rt.close()


def test_triggers_train_a_challenger_through_a_job(history: Settings) -> None:
    quiet = _settings(history, retrain_drift_psi=1e6, retrain_new_labels=10**6, retrain_days=365.0)
    first = _run(quiet, "k1")
    assert first["trained"] and first["fired"] == ["no_model"] and first["promoted"] and first["version"] == 1
    assert _versions(quiet) == {1: "active"}

    nothing = _run(quiet, "k2")  # no trigger fired: nothing trained
    assert nothing == {"trained": False, "fired": [], "skipped": None, "version": None, "promoted": None,
                       "reason": None}
    assert _versions(quiet) == {1: "active"}

    stale = _settings(history, retrain_drift_psi=1e6, retrain_new_labels=10**6, retrain_days=1e-9)
    second = _run(stale, "k3")  # the age trigger fired: a challenger, judged on the same holdout
    assert second["trained"] and second["fired"] == ["age"] and second["version"] == 2 and second["reason"]
    # the rule decides: active only if it beat the champion on the holdout, else a candidate with the reason
    expected = {1: "retired", 2: "active"} if second["promoted"] else {1: "active", 2: "candidate"}
    assert _versions(stale) == expected


def test_a_project_without_history_is_skipped(job_settings: Settings, engine: Engine) -> None:
    rt = Runtime(job_settings)
    try:
        rt.in_project(PROJECT, lambda sc: None, create=True)
    finally:
        rt.close()
    out = _run(job_settings, "empty")
    assert not out["trained"] and out["skipped"] and "labelled change" in out["skipped"]


def test_the_reanalysis_schedule_runs_the_retraining_check() -> None:
    assert tasks.RISK_RETRAIN in tasks.REANALYZE and tasks.KINDS[tasks.RISK_RETRAIN] is tasks.risk_retrain


