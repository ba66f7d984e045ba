"""GitHub ``deployment_status`` and ``workflow_run`` webhook events (``X-Hub-Signature-256`` signed).

``deployment_status`` (documented fields: ``deployment_status.state`` — success, failure, error,
inactive, in_progress, queued, pending —, ``deployment_status.environment``, ``target_url``,
``created_at``, ``updated_at``; ``deployment.id``, ``sha``, ``environment``, ``created_at``;
``repository.name``): a final state is a deployment (status success or failure); failure / error is
also a firing ``DeploymentFailed`` alert of the repository's service, and a later success of the same
environment resolves it.

``workflow_run`` (``action`` completed; ``workflow_run.name``, ``head_branch``, ``head_sha``,
``conclusion``, ``html_url``, ``run_started_at``, ``updated_at``): a failed run of the default branch
is a firing ``WorkflowFailed`` alert keyed by repository + workflow + branch, a successful one resolves
it; a successful run whose workflow name matches a deploy word (``deploy``, ``release``) is also a
deployment. Everything else (``ping``, pending states, requested runs) is acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import AlertSource
from argus.ingest.alerts.model import AlertIn, AlertStatus, DeploymentIn, Parsed, obj, reject, text, timestamp

S = AlertSource.GITHUB
FINAL_OK = frozenset({"success"})
FINAL_BAD = frozenset({"failure", "error"})
RUN_BAD = frozenset({"failure", "timed_out", "startup_failure"})
DEPLOY_WORDS = ("deploy", "release")


def parse(doc: Any, event: str | None, delivery: str | None = None) -> Parsed:
    body = obj(S, doc, "body")
    kind = event or ("deployment_status" if "deployment_status" in body else
                     "workflow_run" if "workflow_run" in body else None)
    if kind == "ping":
        return Parsed(ignored="ping")
    if kind == "deployment_status":
        return _deployment_status(body, delivery)
    if kind == "workflow_run":
        return _workflow_run(body, delivery)
    if kind is None:
        raise reject(S, "no X-GitHub-Event header and the body is neither deployment_status nor workflow_run")
    return Parsed(ignored=f"event {kind!r} is not read (deployment_status and workflow_run are)")


def _repo(body: dict[str, Any]) -> str:
    repo = obj(S, body.get("repository"), "repository")
    name = text(S, repo, "name", "repository", required=True)
    assert name is not None
    return name


def _deployment_status(body: dict[str, Any], delivery: str | None) -> Parsed:
    status = obj(S, body.get("deployment_status"), "deployment_status")
    deployment = obj(S, body.get("deployment"), "deployment")
    state = (text(S, status, "state", "deployment_status", required=True) or "").lower()
    if state not in FINAL_OK | FINAL_BAD:
        return Parsed(ignored=f"deployment state {state!r} is not final")
    service = _repo(body)
    env = text(S, status, "environment", "deployment_status") or text(S, deployment, "environment", "deployment") \
        or "production"
    started = timestamp(S, deployment.get("created_at"), "deployment.created_at")
    finished = timestamp(S, status.get("updated_at") or status.get("created_at"), "deployment_status.updated_at")
    if started is None:
        raise reject(S, "deployment.created_at: required, missing")
    url = text(S, status, "target_url", "deployment_status") or text(S, status, "log_url", "deployment_status")
    dep = DeploymentIn(environment=env, started_at=started, service=service,
                       commit_sha=text(S, deployment, "sha", "deployment", max_len=64),
                       status="success" if state in FINAL_OK else "failure", finished_at=finished,
                       external_id=str(deployment.get("id")) if deployment.get("id") is not None else None, url=url)
    alert = AlertIn(
        source=S, name="DeploymentFailed", status=AlertStatus.FIRING if state in FINAL_BAD else AlertStatus.RESOLVED,
        source_key=f"deployment:{service}:{env}", service=service, environment=env, severity="warning",
        summary=f"deployment of {service} to {env} ended in {state}", labels={"state": state},
        starts_at=finished, ends_at=finished if state in FINAL_OK else None, at=finished,
        links=(url,) if url else (), delivery_id=delivery, closes_only=state in FINAL_OK,
    )
    return Parsed(alerts=(alert,), deployments=(dep,))


def _workflow_run(body: dict[str, Any], delivery: str | None) -> Parsed:
    run = obj(S, body.get("workflow_run"), "workflow_run")
    if body.get("action") not in (None, "completed") or run.get("status") not in (None, "completed"):
        return Parsed(ignored=f"workflow run action {body.get('action')!r} is not completed")
    conclusion = (text(S, run, "conclusion", "workflow_run") or "").lower()
    name = text(S, run, "name", "workflow_run", required=True) or ""
    branch = text(S, run, "head_branch", "workflow_run") or ""
    service = _repo(body)
    at = timestamp(S, run.get("updated_at"), "workflow_run.updated_at")
    started = timestamp(S, run.get("run_started_at") or run.get("created_at"), "workflow_run.run_started_at") or at
    url = text(S, run, "html_url", "workflow_run")
    deployments: tuple[DeploymentIn, ...] = ()
    if conclusion == "success" and any(w in name.lower() for w in DEPLOY_WORDS) and started is not None:
        deployments = (DeploymentIn(environment="production", started_at=started, service=service,
                                    commit_sha=text(S, run, "head_sha", "workflow_run", max_len=64),
                                    finished_at=at, external_id=f"run:{run.get('id')}", url=url),)
    if conclusion not in RUN_BAD and conclusion != "success":
        return Parsed(deployments=deployments, ignored=f"workflow conclusion {conclusion!r} is not read")
    failed = conclusion in RUN_BAD
    alert = AlertIn(
        source=S, name="WorkflowFailed", status=AlertStatus.FIRING if failed else AlertStatus.RESOLVED,
        source_key=f"workflow:{service}:{name}:{branch}", service=service, severity="warning",
        summary=f"workflow {name!r} on {branch or '?'}: {conclusion}",
        labels={"workflow": name, "branch": branch, "conclusion": conclusion}, starts_at=started if failed else None,
        ends_at=None if failed else at, at=at, links=(url,) if url else (), delivery_id=delivery,
        closes_only=not failed,
    )
    return Parsed(alerts=(alert,), deployments=deployments)
