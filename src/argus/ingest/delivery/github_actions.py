"""GitHub Actions workflow runs and their jobs as CI pipelines and tasks, the way Apache DevLake's
GitHub plugin maps them (``cicd_pipelines`` / ``cicd_tasks``), for ``argus sync github`` and the
``workflow_run`` webhook.

* A run is a pipeline ``github:{repo}:run-{id}`` (scope ``github:{repo}``), its ``head_sha`` /
  ``head_branch`` the pipeline commit. Result from ``conclusion``: success → SUCCESS; failure,
  cancelled, timed_out, startup_failure → FAILURE (DevLake counts a cancelled run as failed); skipped
  → SKIPPED; anything else none. Status: DONE once ``status`` is completed, else IN_PROGRESS.
* The run's type is DEPLOYMENT when its workflow name matches ``delivery.deployment_pattern``
  (DevLake's ``deploymentPattern``), its environment PRODUCTION when the name matches
  ``delivery.production_pattern`` (``productionPattern``); each job is a task with the same two
  rules applied to the job's name, so a run named "CI" with a job "deploy-prod" is a deployment too.
* Start is ``run_started_at``; finish is ``updated_at`` of a completed run (the API has no finish
  field; a run is not updated after it completes, re-runs start a new attempt that moves it).

Endpoints: ``/repos/{r}/actions/runs?created=>=YYYY-MM-DD`` (list under ``workflow_runs``) and
``/repos/{r}/actions/runs/{id}/jobs`` (list under ``jobs``). Incremental: runs created since the day
before the previous sync (a run that was still going then is read again and updated by id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argus.ingest.delivery.csvfiles import parse_time
from argus.ingest.restclient import RestClient

_FAILED = frozenset({"failure", "cancelled", "timed_out", "startup_failure"})


@dataclass(frozen=True)
class Patterns:
    """DevLake's transformation rules: which run/job deploys, which runs in production."""

    deployment: str = r"(?i)deploy"
    production: str = r"(?i)prod"

    def compiled(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        return re.compile(self.deployment), re.compile(self.production)


def _t(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


def run_result(conclusion: str | None) -> str | None:
    c = (conclusion or "").lower()
    if c == "success":
        return "SUCCESS"
    if c in _FAILED:
        return "FAILURE"
    return "SKIPPED" if c == "skipped" else None


def run_rows(repo: str, run: dict[str, Any], jobs: list[dict[str, Any]], patterns: Patterns,
             rows: dict[str, list[dict[str, Any]]]) -> None:
    """Append the pipeline, task and pipeline-commit rows of one workflow run (delivery CSV shape)."""
    deploy_re, prod_re = patterns.compiled()
    ext = f"github:{repo}:run-{run['id']}"
    name = str(run.get("name") or "")
    done = run.get("status") == "completed"
    started = _t(run.get("run_started_at")) or _t(run.get("created_at"))
    finished = _t(run.get("updated_at")) if done else None
    rows["ci_pipelines.csv"].append({
        "ext_id": ext, "name": name or None, "scope": f"github:{repo}",
        "type": "DEPLOYMENT" if deploy_re.search(name) else None, "result": run_result(run.get("conclusion")),
        "status": "DONE" if done else "IN_PROGRESS", "environment": "PRODUCTION" if prod_re.search(name) else None,
        "created_at": _t(run.get("created_at")), "started_at": started, "finished_at": finished,
        "duration_sec": (finished - started).total_seconds() if finished and started else None})
    for j in jobs:
        jname = str(j.get("name") or "")
        rows["ci_tasks.csv"].append({
            "ext_id": f"github:{repo}:job-{j['id']}", "pipeline_id": ext, "name": jname or None,
            "type": "DEPLOYMENT" if deploy_re.search(jname) else None, "result": run_result(j.get("conclusion")),
            "status": "DONE" if j.get("status") == "completed" else "IN_PROGRESS",
            "environment": "PRODUCTION" if prod_re.search(jname) else None})
    rows["ci_pipeline_commits.csv"].append({"pipeline_id": ext, "repo": repo, "commit_sha": run.get("head_sha"),
                                            "branch": run.get("head_branch")})


def fetch_runs(client: RestClient, repo: str, since: datetime | None, patterns: Patterns,
               rows: dict[str, list[dict[str, Any]]]) -> None:
    """Every workflow run created since the day before ``since`` (all on a first sync), with its jobs."""
    params: dict[str, Any] = {}
    if since is not None:
        params["created"] = f">={(since - timedelta(days=1)).date().isoformat()}"
    for page in client.pages(f"/repos/{repo}/actions/runs", params, key="workflow_runs"):
        for run in page:
            if not isinstance(run.get("id"), int):
                continue
            jobs = [j for p in client.pages(f"/repos/{repo}/actions/runs/{run['id']}/jobs", key="jobs") for j in p
                    if isinstance(j.get("id"), int)]
            run_rows(repo, run, jobs, patterns, rows)
