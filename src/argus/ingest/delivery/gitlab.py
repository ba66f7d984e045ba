"""``argus sync gitlab`` (delivery part): merge requests (commits, notes), deployments, pipelines (with
their jobs), incidents and the default branch's commits of one GitLab project, through REST API v4.

Endpoints, all paginated with ``per_page=100`` and the ``X-Next-Page`` header (or ``Link``):
``/projects/{id}`` (path and default branch), ``/projects/{id}/merge_requests?state=all&order_by=updated_at
&sort=asc&updated_after=``, ``.../merge_requests/{iid}/commits``, ``.../merge_requests/{iid}/notes``,
``/projects/{id}/deployments?order_by=updated_at&sort=asc&updated_after=``,
``/projects/{id}/pipelines?order_by=updated_at&sort=asc&updated_after=``, ``/projects/{id}/pipelines/{pid}``,
``.../pipelines/{pid}/jobs``, ``/projects/{id}/repository/commits?ref_name=&since=``,
``/projects/{id}/issues?issue_type=incident&scope=all&updated_after=``.

Mapping, as Apache DevLake's GitLab plugin does it: a merge request is a pull request
(``path!iid``; merge commit = ``merge_commit_sha``, else ``squash_commit_sha``); its non-system notes are
its comments (the author's own notes flagged); a deployment is a deployment row (``gitlab:path:id``)
whose environment is the environment's ``tier`` (production/staging/testing), else its name; a pipeline
is a CI pipeline and its jobs are tasks — a job whose name matches ``delivery.deployment_pattern``
is a DEPLOYMENT task, and one whose name matches ``delivery.production_pattern`` runs in
PRODUCTION (DevLake's ``deploymentPattern`` / ``productionPattern``). When the project has deployment
rows they are the deployments (the rules' ``deployments.csv``); pipelines count only without them.

Incremental: merge requests use the newest ``updated_at`` seen; deployments, pipelines, incidents and
commits use the time of the previous sync (``updated_after`` / ``since``). Rate limits and 5xx are the
shared :class:`~argus.ingest.restclient.RestClient`'s (``RateLimit-Reset``, ``Retry-After``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from argus.ingest.delivery.csvfiles import SPECS
from argus.ingest.delivery.github import Cursors, Fetched, _dedupe, _t, environment_of
from argus.ingest.delivery.github_actions import Patterns
from argus.ingest.restclient import RestClient

_RESULT = {"success": "SUCCESS", "failed": "FAILURE", "canceled": "ABORTED", "skipped": "SKIPPED"}
_DONE = {"success", "failed", "canceled", "skipped"}
_TIER = {"production": "PRODUCTION", "staging": "STAGING", "testing": "TESTING", "development": "TESTING"}


def result_of(status: str | None) -> str | None:
    """GitLab status → DevLake result (success/failed/canceled/skipped; running and the like: none)."""
    return _RESULT.get(status or "")


def status_of(status: str | None) -> str:
    return "DONE" if (status or "") in _DONE else "IN_PROGRESS"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch(client: RestClient, project: str, cursors: Cursors, *, patterns: Patterns | None = None,
          now: datetime | None = None) -> Fetched:
    """Everything new since ``cursors`` (all of it on the first sync); rows in the delivery CSV shape."""
    now = now or datetime.now(UTC)
    deploy_re, prod_re = (patterns or Patterns()).compiled()
    rows: dict[str, list[dict[str, Any]]] = {s.file: [] for s in SPECS}
    base = f"/projects/{quote(project, safe='')}"
    info = client.json(base)
    path = str(info.get("path_with_namespace") or project) if isinstance(info, dict) else project
    default_branch = info.get("default_branch") if isinstance(info, dict) else None
    since = cursors.commits_since
    after = {"updated_after": _iso(since)} if since else {}

    newest = cursors.pulls_updated_at
    mr_after = {"updated_after": _iso(cursors.pulls_updated_at)} if cursors.pulls_updated_at else {}
    for page in client.pages(f"{base}/merge_requests", {"state": "all", "order_by": "updated_at", "sort": "asc",
                                                         **mr_after}):
        for mr in page:
            if not isinstance(mr.get("iid"), int):
                continue
            updated = _t(mr.get("updated_at"))
            if updated is not None and (newest is None or updated > newest):
                newest = updated
            _merge_request(client, base, path, mr, rows)

    for page in client.pages(f"{base}/deployments", {"order_by": "updated_at", "sort": "asc", **after}):
        for d in page:
            _deployment(path, d, rows)

    for page in client.pages(f"{base}/pipelines", {"order_by": "updated_at", "sort": "asc", **after}):
        for p in page:
            _pipeline(client, base, path, p, rows, deploy_re, prod_re)

    params: dict[str, Any] = {"since": _iso(since)} if since else {}
    if default_branch:
        params["ref_name"] = default_branch
    for page in client.pages(f"{base}/repository/commits", params):
        for c in page:
            rows["commits.csv"].append({
                "repo": path, "sha": c["id"], "parent_shas": " ".join(c.get("parent_ids") or []),
                "authored_at": _t(c.get("authored_date")), "committed_at": _t(c.get("committed_date"))})

    for page in client.pages(f"{base}/issues", {"issue_type": "incident", "scope": "all", **after}):
        for i in page:
            if not isinstance(i.get("iid"), int):
                continue
            rows["incidents.csv"].append({
                "ext_id": f"{path}#{i['iid']}", "title": i.get("title"),
                "status": (i.get("state") or "").upper() or None,
                "created_at": _t(i.get("created_at")), "resolved_at": _t(i.get("closed_at")),
                "repo_or_service": path})
    rows = {k: _dedupe(k, v) for k, v in rows.items() if v}
    return Fetched(rows, Cursors(newest, now, now), client.requests, client.waited_s)


def _merge_request(client: RestClient, base: str, path: str, mr: dict[str, Any],
                   rows: dict[str, list[dict[str, Any]]]) -> None:
    iid = mr["iid"]
    pr_id = f"{path}!{iid}"
    merged = _t(mr.get("merged_at"))
    state = mr.get("state")
    status = "MERGED" if state == "merged" or merged else ("CLOSED" if state == "closed" else "OPEN")
    sha = mr.get("merge_commit_sha") or mr.get("squash_commit_sha")
    rows["pull_requests.csv"].append({
        "ext_id": pr_id, "repo": path, "number": iid, "title": mr.get("title"), "status": status,
        "base_branch": mr.get("target_branch"), "created_at": _t(mr.get("created_at")), "merged_at": merged,
        "closed_at": _t(mr.get("closed_at")) or merged, "merge_commit_sha": sha if status == "MERGED" else None,
        "first_commit_at": None, "first_review_at": None,
        "head_branch": (mr.get("source_branch") or "")[:255] or None, "body": mr.get("description")})
    if status != "MERGED":
        return
    author = (mr.get("author") or {}).get("id")
    for page in client.pages(f"{base}/merge_requests/{iid}/commits"):
        for c in page:
            rows["pr_commits.csv"].append({"pr_id": pr_id, "commit_sha": c["id"],
                                           "authored_at": _t(c.get("authored_date"))})
    for page in client.pages(f"{base}/merge_requests/{iid}/notes", {"sort": "asc", "order_by": "created_at"}):
        for n in page:
            if n.get("system"):
                continue  # "added 1 commit", "approved this merge request"... are not reviews
            who = (n.get("author") or {})
            rows["pr_comments.csv"].append({
                "pr_id": pr_id, "ext_id": f"gitlab:{path}:note-{n['id']}", "account_id": who.get("username"),
                "created_at": _t(n.get("created_at")), "by_pr_author": who.get("id") == author})


def deployment_environment(env: Any) -> str | None:
    if not isinstance(env, dict):
        return environment_of(env if isinstance(env, str) else None)
    tier = _TIER.get(str(env.get("tier") or "").lower())
    return tier or environment_of(env.get("name"))


def _deployment(path: str, d: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    dep_id = f"gitlab:{path}:{d['id']}"
    job = d.get("deployable") or {}
    pipeline = (job.get("pipeline") or {}).get("id")
    status = d.get("status")
    rows["deployments.csv"].append({
        "ext_id": dep_id, "name": job.get("name") or f"deployment {d.get('iid') or d['id']}",
        "environment": deployment_environment(d.get("environment")),
        "result": result_of(status) or (status or "").upper() or None,
        "started_at": _t(job.get("started_at")) or _t(d.get("created_at")),
        "finished_at": (_t(d.get("finished_at")) or _t(job.get("finished_at")) or _t(d.get("updated_at")))
        if status in _DONE else None,
        "scope": f"gitlab:{path}",
        "deployment_group": f"gitlab:{path}:pipeline-{pipeline}" if pipeline else dep_id})
    rows["deployment_commits.csv"].append({"deployment_id": dep_id, "repo": path, "commit_sha": d.get("sha"),
                                           "previous_commit_sha": None})


def _pipeline(client: RestClient, base: str, path: str, p: dict[str, Any], rows: dict[str, list[dict[str, Any]]],
              deploy_re: re.Pattern[str], prod_re: re.Pattern[str]) -> None:
    pid = p["id"]
    full = client.json(f"{base}/pipelines/{pid}")
    full = full if isinstance(full, dict) else p
    ext = f"gitlab:{path}:{pid}"
    status = full.get("status") or p.get("status")
    rows["ci_pipelines.csv"].append({
        "ext_id": ext, "name": full.get("ref") or p.get("ref"), "scope": f"gitlab:{path}", "type": None,
        "result": result_of(status), "status": status_of(status), "environment": None,
        "created_at": _t(full.get("created_at")), "started_at": _t(full.get("started_at")),
        "finished_at": _t(full.get("finished_at")), "duration_sec": full.get("duration")})
    for page in client.pages(f"{base}/pipelines/{pid}/jobs"):
        for j in page:
            name = str(j.get("name") or "")
            rows["ci_tasks.csv"].append({
                "ext_id": f"gitlab:{path}:job-{j['id']}", "pipeline_id": ext, "name": name,
                "type": "DEPLOYMENT" if deploy_re.search(name) else None, "result": result_of(j.get("status")),
                "status": status_of(j.get("status")), "environment": "PRODUCTION" if prod_re.search(name) else None})
    rows["ci_pipeline_commits.csv"].append({"pipeline_id": ext, "repo": path,
                                            "commit_sha": full.get("sha") or p.get("sha"),
                                            "branch": full.get("ref") or p.get("ref")})
