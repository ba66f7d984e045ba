"""Delivery rows from webhooks, so DORA follows deployments without a sync (pure: no database).

GitHub (``X-GitHub-Event``):

* ``deployment_status``: the deployment ``github:{repository.full_name}:{deployment.id}`` — the id
  ``argus sync github`` gives it, so a later sync updates the same row. success/inactive → SUCCESS,
  failure/error → FAILURE with ``deployment_status.created_at`` as its finish; other states (queued,
  in_progress, pending) record the deployment without a result or finish yet. Start is
  ``deployment.created_at``; the commit ``deployment.sha``.
* ``workflow_run``: the run as a CI pipeline (:func:`argus.ingest.delivery.github_actions.run_rows`,
  DevLake's deployment/production patterns on the workflow name; the hook carries no jobs).

GitLab (``X-Gitlab-Event`` / ``object_kind``):

* ``Deployment Hook``: the deployment ``gitlab:{project.path_with_namespace}:{deployment_id}`` (the
  sync's id). ``status`` running → started at ``status_changed_at``; success / failed / canceled →
  SUCCESS / FAILURE / ABORTED finished at ``status_changed_at`` (a start already stored is kept; with
  none, the start is the finish). Environment: ``environment_tier``, else the environment's name. The
  commit is the last segment of ``commit_url``; the group is the deployable job's pipeline when known.
* ``Issue Hook`` (also ``Confidential Issue Hook``) of an **incident** — ``object_attributes.issue_type``
  (or ``type``) ``incident``, or a label titled ``incident`` (case-insensitive): the incident
  ``{path}#{iid}`` (the id ``argus sync gitlab`` gives it), status the issue's state upper-cased
  (OPENED / CLOSED), created at ``object_attributes.created_at``, resolved at ``closed_at`` (else, for
  a ``close`` action or a closed state, ``updated_at``; reopened: none), service the project path.
  Other issues are acknowledged and ignored. (GitLab's alert webhooks are not read: an alert that
  becomes an incident arrives as an Issue Hook of type incident.)
* ``Pipeline Hook``: the pipeline ``gitlab:{path}:{object_attributes.id}`` with its ``builds`` as
  tasks (type DEPLOYMENT by the deployment pattern, or when the build has an environment; environment
  from the build's ``environment.deployment_tier``, else PRODUCTION by the production pattern).

Times: ISO 8601, or GitLab's ``2021-04-28 21:50:00 +0200`` / ``2016-08-12 15:23:28 UTC``.
Other events are acknowledged and ignored. Rows are in the delivery CSV shape; storing keeps a stored
value where the hook has none (:func:`argus.ingest.delivery.service.store` with ``keep_known``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argus.core.errors import InputError
from argus.ingest.delivery.csvfiles import SPECS, ParsedDir, ParsedFile
from argus.ingest.delivery.github import environment_of
from argus.ingest.delivery.github_actions import Patterns, run_rows
from argus.ingest.delivery.gitlab import deployment_environment, result_of, status_of

SOURCES = ("github", "gitlab")
_GH_STATE = {"success": "SUCCESS", "inactive": "SUCCESS", "failure": "FAILURE", "error": "FAILURE"}
_TIER = {"production": "PRODUCTION", "staging": "STAGING", "testing": "TESTING", "development": "TESTING"}


@dataclass(frozen=True)
class HookRows:
    """What one webhook delivered: delivery rows, or why nothing (a ping, another event)."""

    parsed: ParsedDir
    ignored: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {f.spec.file: len(f.rows) for f in self.parsed.files}


def _bad(source: str, what: str) -> InputError:
    return InputError(f"{source} webhook: {what}")


def hook_time(source: str, value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _bad(source, f"{where}: expected a time, not {type(value).__name__}")
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            t = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            raise _bad(source, f"{where}: {value[:40]!r} is not a time") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _obj(source: str, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(source, f"{where}: expected a JSON object")
    return value


def _rows(found: dict[str, list[dict[str, Any]]]) -> ParsedDir:
    return ParsedDir(tuple(ParsedFile(s, f"webhook:{s.file}", found[s.file]) for s in SPECS if found.get(s.file)))


def parse(source: str, event: str | None, data: bytes, patterns: Patterns) -> HookRows:
    """The delivery rows of one webhook body; :class:`InputError` names what is wrong."""
    if source not in SOURCES:
        raise InputError(f"{source!r}: expected one of {', '.join(SOURCES)}")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _bad(source, "the body is not JSON") from None
    body = _obj(source, body, "body")
    found: dict[str, list[dict[str, Any]]] = {s.file: [] for s in SPECS}
    if source == "github":
        kind = event or ("deployment_status" if "deployment_status" in body else
                         "workflow_run" if "workflow_run" in body else None)
        if kind == "deployment_status":
            _github_deployment(body, found)
        elif kind == "workflow_run":
            repo = _obj(source, body.get("repository"), "repository").get("full_name")
            run = _obj(source, body.get("workflow_run"), "workflow_run")
            if not isinstance(repo, str) or not isinstance(run.get("id"), int):
                raise _bad(source, "workflow_run: repository.full_name and workflow_run.id are required")
            run_rows(repo, run, [], patterns, found)
        else:
            return HookRows(ParsedDir(()), f"event {kind!r} is not read (deployment_status and workflow_run are)")
    else:
        kind = event or body.get("object_kind")
        kind = {"deployment": "Deployment Hook", "pipeline": "Pipeline Hook", "issue": "Issue Hook",
                "Confidential Issue Hook": "Issue Hook"}.get(str(kind), kind)
        if kind == "Deployment Hook":
            _gitlab_deployment(body, found)
        elif kind == "Pipeline Hook":
            _gitlab_pipeline(body, found, patterns)
        elif kind == "Issue Hook":
            if not _gitlab_incident(body, found):
                return HookRows(ParsedDir(()), "issue event: not an incident (issue_type incident or an "
                                "`incident` label is read)")
        else:
            return HookRows(ParsedDir(()), f"event {kind!r} is not read (Deployment Hook, Pipeline Hook and "
                            "Issue Hook of incidents are)")
    return HookRows(_rows(found))


def _github_deployment(body: dict[str, Any], found: dict[str, list[dict[str, Any]]]) -> None:
    s = "github"
    status = _obj(s, body.get("deployment_status"), "deployment_status")
    dep = _obj(s, body.get("deployment"), "deployment")
    repo = _obj(s, body.get("repository"), "repository").get("full_name")
    if not isinstance(repo, str) or not isinstance(dep.get("id"), int):
        raise _bad(s, "deployment_status: repository.full_name and deployment.id are required")
    state = str(status.get("state") or "").lower()
    result = _GH_STATE.get(state)
    dep_id = f"github:{repo}:{dep['id']}"
    env = status.get("environment") or dep.get("environment")
    found["deployments.csv"].append({
        "ext_id": dep_id, "name": dep.get("task") or "deploy", "environment": environment_of(env),
        "result": result, "started_at": hook_time(s, dep.get("created_at"), "deployment.created_at"),
        "finished_at": hook_time(s, status.get("created_at"), "deployment_status.created_at") if result else None,
        "scope": f"github:{repo}", "deployment_group": dep_id})
    found["deployment_commits.csv"].append({"deployment_id": dep_id, "repo": repo, "commit_sha": dep.get("sha"),
                                            "previous_commit_sha": None})


def _gitlab_path(body: dict[str, Any]) -> str:
    path = _obj("gitlab", body.get("project"), "project").get("path_with_namespace")
    if not isinstance(path, str) or not path:
        raise _bad("gitlab", "project.path_with_namespace is required")
    return path


def _gitlab_deployment(body: dict[str, Any], found: dict[str, list[dict[str, Any]]]) -> None:
    s = "gitlab"
    path = _gitlab_path(body)
    dep = body.get("deployment_id")
    if not isinstance(dep, int):
        raise _bad(s, "deployment_id is required")
    status = str(body.get("status") or "").lower()
    at = hook_time(s, body.get("status_changed_at"), "status_changed_at")
    done = status in ("success", "failed", "canceled")
    dep_id = f"gitlab:{path}:{dep}"
    env = _TIER.get(str(body.get("environment_tier") or "").lower()) or deployment_environment(body.get("environment"))
    sha = str(body.get("commit_url") or "").rstrip("/").rsplit("/", 1)[-1] or None
    found["deployments.csv"].append({
        "ext_id": dep_id, "name": f"deployment {dep}", "environment": env,
        "result": result_of(status) if done else None, "started_at": None if done else at,
        "finished_at": at if done else None, "scope": f"gitlab:{path}", "deployment_group": None})
    found["deployment_commits.csv"].append({"deployment_id": dep_id, "repo": path, "commit_sha": sha,
                                            "previous_commit_sha": None})


def _gitlab_pipeline(body: dict[str, Any], found: dict[str, list[dict[str, Any]]], patterns: Patterns) -> None:
    s = "gitlab"
    path = _gitlab_path(body)
    attrs = _obj(s, body.get("object_attributes"), "object_attributes")
    pid = attrs.get("id")
    if not isinstance(pid, int):
        raise _bad(s, "object_attributes.id is required")
    deploy_re, prod_re = patterns.compiled()
    ext = f"gitlab:{path}:{pid}"
    status = attrs.get("status")
    found["ci_pipelines.csv"].append({
        "ext_id": ext, "name": attrs.get("ref"), "scope": f"gitlab:{path}", "type": None,
        "result": result_of(status), "status": status_of(status), "environment": None,
        "created_at": hook_time(s, attrs.get("created_at"), "object_attributes.created_at"), "started_at": None,
        "finished_at": hook_time(s, attrs.get("finished_at"), "object_attributes.finished_at"),
        "duration_sec": attrs.get("duration") if isinstance(attrs.get("duration"), int | float) else None})
    for b in body.get("builds") or []:
        if not isinstance(b, dict) or not isinstance(b.get("id"), int):
            continue
        name = str(b.get("name") or "")
        env = b.get("environment") if isinstance(b.get("environment"), dict) else None
        tier = _TIER.get(str((env or {}).get("deployment_tier") or "").lower())
        deploys = bool(deploy_re.search(name)) or (env is not None and env.get("action") in (None, "start"))
        found["ci_tasks.csv"].append({
            "ext_id": f"gitlab:{path}:job-{b['id']}", "pipeline_id": ext, "name": name or None,
            "type": "DEPLOYMENT" if deploys else None, "result": result_of(b.get("status")),
            "status": status_of(b.get("status")),
            "environment": tier or ("PRODUCTION" if prod_re.search(name) else None)})
    found["ci_pipeline_commits.csv"].append({"pipeline_id": ext, "repo": path, "commit_sha": attrs.get("sha"),
                                             "branch": attrs.get("ref")})


def _gitlab_incident(body: dict[str, Any], found: dict[str, list[dict[str, Any]]]) -> bool:
    """Record the incident of an Issue Hook; False when the issue is not an incident."""
    s = "gitlab"
    path = _gitlab_path(body)
    attrs = _obj(s, body.get("object_attributes"), "object_attributes")
    labels = [lab.get("title") if isinstance(lab, dict) else lab
              for lab in (body.get("labels") or attrs.get("labels") or [])]
    kind = str(attrs.get("issue_type") or attrs.get("type") or "").lower()
    if kind != "incident" and not any(isinstance(x, str) and x.strip().lower() == "incident" for x in labels):
        return False
    iid = attrs.get("iid")
    if not isinstance(iid, int) or isinstance(iid, bool):
        raise _bad(s, "object_attributes.iid is required")
    state = str(attrs.get("state") or "").lower()
    closed = hook_time(s, attrs.get("closed_at"), "object_attributes.closed_at")
    if closed is None and state == "closed":
        closed = hook_time(s, attrs.get("updated_at"), "object_attributes.updated_at")
    found["incidents.csv"].append({
        "ext_id": f"{path}#{iid}", "title": attrs.get("title") if isinstance(attrs.get("title"), str) else None,
        "status": state.upper() or None,
        "created_at": hook_time(s, attrs.get("created_at"), "object_attributes.created_at"),
        "resolved_at": closed if state == "closed" else None, "repo_or_service": path})
    return True
