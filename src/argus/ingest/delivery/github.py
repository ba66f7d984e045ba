"""``argus sync github``: pull requests (commits, reviews, comments), deployments (with their statuses),
workflow runs and jobs (:mod:`github_actions`), incident issues and the default branch's commits of one
repository, through the REST API (httpx); pull requests through GraphQL with ``--graphql``
(:mod:`github_graphql`).

Endpoints (API version 2022-11-28), all paginated with ``per_page=100`` and the ``Link`` header's
``rel="next"`` URL: ``/repos/{r}/pulls?state=all&sort=updated&direction=desc``,
``/repos/{r}/pulls/{n}/commits``, ``/repos/{r}/pulls/{n}/reviews``, ``/repos/{r}/issues/{n}/comments``,
``/repos/{r}/deployments``, ``/repos/{r}/deployments/{id}/statuses``, ``/repos/{r}/commits?since=``,
``/repos/{r}/issues?labels=<incident label>&state=all&since=``, ``/repos/{r}/actions/runs``,
``/repos/{r}/actions/runs/{id}/jobs``.

Incremental: pull requests are read newest-updated first and the walk stops at the last sync's
newest ``updated_at``; commits and incident issues use ``since``; deployments are re-read each time
(their statuses change). Rate limits: a 429, or a 403 with ``X-RateLimit-Remaining: 0``, waits for
``Retry-After`` / ``X-RateLimit-Reset`` (at most ``max_wait_s``, else the sync stops with a clear error
and nothing of this sync is stored); 5xx answers are retried with backoff.

Rows come out in the shape of the delivery CSV files (:mod:`csvfiles`), so they are stored by the
same upsert and the same rules apply.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argus.core.errors import InputError
from argus.ingest.delivery.csvfiles import SPECS, ParsedDir, ParsedFile, parse_time
from argus.ingest.delivery.github_actions import Patterns, fetch_runs
from argus.ingest.restclient import RestClient, SyncError

API_VERSION = "2022-11-28"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubSyncError(SyncError):
    """GitHub refused or failed a request (or the rate limit outlasts the allowed wait)."""


def check_repo(repo: str) -> str:
    if not _REPO.match(repo) or ".." in repo:
        raise InputError(f"--repo {repo!r}: expected owner/name")
    return repo


def github_client(api_url: str, token: str | None = None, max_wait_s: float = 60.0,
                  sleep: Callable[[float], None] = time.sleep) -> RestClient:
    """The shared REST client set up for GitHub (API version, bearer token)."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return RestClient("GitHub", api_url, headers, max_wait_s, sleep, GitHubSyncError)


def _t(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


_DEPLOY_STATE = {"success": "SUCCESS", "inactive": "SUCCESS", "failure": "FAILURE", "error": "FAILURE"}


def environment_of(name: str | None) -> str | None:
    if not name:
        return None
    low = name.lower()
    if low in ("production", "prod", "live") or low.startswith("prod"):
        return "PRODUCTION"
    if low in ("staging", "stage", "preprod", "pre-production"):
        return "STAGING"
    if low in ("testing", "test", "qa", "dev", "development"):
        return "TESTING"
    return name.upper()


@dataclass(frozen=True)
class Cursors:
    pulls_updated_at: datetime | None = None
    commits_since: datetime | None = None
    issues_since: datetime | None = None


@dataclass
class Fetched:
    rows: dict[str, list[dict[str, Any]]]
    cursors: Cursors
    requests: int = 0
    waited_s: float = 0.0

    def parsed(self) -> ParsedDir:
        files = []
        for spec in SPECS:
            if spec.file in self.rows:
                files.append(ParsedFile(spec, f"github:{spec.file}", self.rows[spec.file]))
        return ParsedDir(tuple(files))


def fetch(client: RestClient, repo: str, cursors: Cursors, *, incident_label: str = "incident",
          now: datetime | None = None, graphql: bool = False, runs: bool = True,
          patterns: Patterns | None = None) -> Fetched:
    """Everything new since ``cursors`` (all of it on the first sync); pull requests through GraphQL
    when ``graphql``; workflow runs and jobs (as CI pipelines and tasks) when ``runs``."""
    now = now or datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {s.file: [] for s in SPECS}
    base = f"/repos/{repo}"
    if graphql:
        from argus.ingest.delivery import github_graphql

        def rest_children(number: int, pr_id: str, author: str | None, lists: set[str]) -> None:
            pull_children(client, base, repo, number, pr_id, author, rows, lists)

        newest = github_graphql.fetch_pulls(client, client.api_url, repo, cursors.pulls_updated_at, rows,
                                            rest_children)
    else:
        newest = _rest_pulls(client, base, repo, cursors.pulls_updated_at, rows)
    if runs:
        fetch_runs(client, repo, cursors.commits_since, patterns or Patterns(), rows)
    for page in client.pages(f"{base}/deployments"):
        for d in page:
            _deployment(client, base, repo, d, rows)
    params: dict[str, Any] = {"since": cursors.commits_since.isoformat()} if cursors.commits_since else {}
    for page in client.pages(f"{base}/commits", params):
        for c in page:
            commit = c.get("commit") or {}
            rows["commits.csv"].append({
                "repo": repo, "sha": c["sha"], "parent_shas": " ".join(x["sha"] for x in c.get("parents") or []),
                "authored_at": _t((commit.get("author") or {}).get("date")),
                "committed_at": _t((commit.get("committer") or {}).get("date"))})
    params = {"labels": incident_label, "state": "all"}
    if cursors.issues_since:
        params["since"] = cursors.issues_since.isoformat()
    for page in client.pages(f"{base}/issues", params):
        for i in page:
            if "pull_request" in i:
                continue
            rows["incidents.csv"].append({
                "ext_id": f"{repo}#{i['number']}", "title": i.get("title"), "status": (i.get("state") or "").upper(),
                "created_at": _t(i.get("created_at")), "resolved_at": _t(i.get("closed_at")), "repo_or_service": repo})
    rows = {k: _dedupe(k, v) for k, v in rows.items() if v}
    return Fetched(rows, Cursors(newest, now, now), client.requests, client.waited_s)


def _dedupe(file: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = next(s for s in SPECS if s.file == file)
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in items:
        seen[tuple(row.get(k) for k in spec.identity)] = row
    return list(seen.values())


def _rest_pulls(client: RestClient, base: str, repo: str, since: datetime | None,
                rows: dict[str, list[dict[str, Any]]]) -> datetime | None:
    newest = since
    for page in client.pages(f"{base}/pulls", {"state": "all", "sort": "updated", "direction": "desc"}):
        for p in page:
            updated = _t(p.get("updated_at"))
            if since is not None and updated is not None and updated < since:
                return newest
            if updated is not None and (newest is None or updated > newest):
                newest = updated
            _pull(client, base, repo, p, rows)
    return newest


def _pull(client: RestClient, base: str, repo: str, p: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    number = p["number"]
    pr_id = f"{repo}#{number}"
    merged = _t(p.get("merged_at"))
    status = "MERGED" if merged else ("CLOSED" if p.get("state") == "closed" else "OPEN")
    rows["pull_requests.csv"].append({
        "ext_id": pr_id, "repo": repo, "number": number, "title": p.get("title"), "status": status,
        "base_branch": (p.get("base") or {}).get("ref"), "created_at": _t(p.get("created_at")),
        "merged_at": merged, "closed_at": _t(p.get("closed_at")),
        "merge_commit_sha": p.get("merge_commit_sha") if merged else None,
        "first_commit_at": None, "first_review_at": None, "head_branch": ((p.get("head") or {}).get("ref") or "")[:255] or None,
        "body": p.get("body")})
    if not merged:
        return
    pull_children(client, base, repo, number, pr_id, (p.get("user") or {}).get("login"), rows)


def pull_children(client: RestClient, base: str, repo: str, number: int, pr_id: str, author: str | None,
                  rows: dict[str, list[dict[str, Any]]],
                  lists: set[str] | frozenset[str] = frozenset({"commits", "reviews", "comments"})) -> None:
    """A merged pull request's commits, reviews and (issue) comments from REST."""
    if "commits" in lists:
        for page in client.pages(f"{base}/pulls/{number}/commits"):
            for c in page:
                rows["pr_commits.csv"].append({
                    "pr_id": pr_id, "commit_sha": c["sha"],
                    "authored_at": _t(((c.get("commit") or {}).get("author") or {}).get("date"))})
    if "reviews" in lists:
        for page in client.pages(f"{base}/pulls/{number}/reviews"):
            for rv in page:
                login = (rv.get("user") or {}).get("login")
                if not rv.get("submitted_at"):
                    continue  # a pending review has no time yet
                rows["pr_comments.csv"].append({"pr_id": pr_id, "ext_id": f"review-{rv['id']}", "account_id": login,
                                                "created_at": _t(rv.get("submitted_at")),
                                                "by_pr_author": login == author})
    if "comments" not in lists:
        return
    for page in client.pages(f"/repos/{repo}/issues/{number}/comments"):
        for cm in page:
            login = (cm.get("user") or {}).get("login")
            rows["pr_comments.csv"].append({"pr_id": pr_id, "ext_id": f"comment-{cm['id']}", "account_id": login,
                                            "created_at": _t(cm.get("created_at")), "by_pr_author": login == author})


def _deployment(client: RestClient, base: str, repo: str, d: dict[str, Any],
                rows: dict[str, list[dict[str, Any]]]) -> None:
    statuses = [s for page in client.pages(f"{base}/deployments/{d['id']}/statuses") for s in page]
    final = next((s for s in statuses if s.get("state") in _DEPLOY_STATE), None)  # newest first
    latest = statuses[0] if statuses else None
    result = _DEPLOY_STATE[final["state"]] if final else ((latest or {}).get("state") or "PENDING").upper()
    dep_id = f"github:{repo}:{d['id']}"
    rows["deployments.csv"].append({
        "ext_id": dep_id, "name": d.get("task") or "deploy", "environment": environment_of(d.get("environment")),
        "result": result, "started_at": _t(d.get("created_at")),
        "finished_at": _t(final.get("created_at")) if final else None, "scope": f"github:{repo}",
        "deployment_group": dep_id})
    rows["deployment_commits.csv"].append({"deployment_id": dep_id, "repo": repo, "commit_sha": d.get("sha"),
                                           "previous_commit_sha": None})
