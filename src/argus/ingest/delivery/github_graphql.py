"""Pull requests of a GitHub repository through the GraphQL API (``argus sync github --graphql``):
one query returns 50 pull requests with their commits, reviews and comments, where REST needs one
request per page of pull requests plus three per merged pull request.

The query walks ``repository.pullRequests(orderBy: UPDATED_AT DESC)`` with cursor pagination
(``pageInfo.endCursor`` → ``after``) and stops at the previous sync's newest ``updatedAt``. A merged
pull request with more than 100 commits, reviews or comments (``totalCount`` above what one page
holds) gets those lists from REST (:func:`argus.ingest.delivery.github.pull_children`), so nothing is
cut. Rate limits: HTTP 403/429 answers are the shared client's; a 200 answer whose ``errors`` say
``RATE_LIMITED`` stops the sync with a clear error (nothing stored). The endpoint is ``/graphql`` on
github.com (``https://api.github.com/graphql``) and ``/api/graphql`` on GitHub Enterprise Server
(REST at ``/api/v3``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from argus.ingest.delivery.csvfiles import parse_time
from argus.ingest.restclient import RestClient

PAGE = 50
NESTED = 100

PULLS_QUERY = """
query Pulls($owner: String!, $name: String!, $first: Int!, $cursor: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(first: $first, after: $cursor, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number title body state createdAt updatedAt mergedAt closedAt baseRefName headRefName
        author { login }
        mergeCommit { oid }
        commits(first: 100) { totalCount nodes { commit { oid authoredDate } } }
        reviews(first: 100) { totalCount nodes { databaseId author { login } submittedAt } }
        comments(first: 100) { totalCount nodes { databaseId author { login } createdAt } }
      }
    }
  }
}
"""


def graphql_url(api_url: str) -> str:
    """``https://api.github.com`` → ``.../graphql``; GitHub Enterprise ``https://h/api/v3`` → ``https://h/api/graphql``."""
    base = api_url.rstrip("/")
    return base[: -len("/v3")] + "/graphql" if base.endswith("/api/v3") else base + "/graphql"


def _t(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


def _login(node: Any) -> str | None:
    author = node.get("author") if isinstance(node, dict) else None
    return author.get("login") if isinstance(author, dict) else None


def query(client: RestClient, url: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = client.post_json(url, {"query": PULLS_QUERY, "variables": variables})
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        kinds = {e.get("type") for e in errors if isinstance(e, dict)}
        first = errors[0].get("message", "") if isinstance(errors[0], dict) else str(errors[0])
        if "RATE_LIMITED" in kinds:
            raise client.error("GitHub GraphQL rate limit spent; nothing of this sync was stored")
        raise client.error(f"GitHub GraphQL: {str(first)[:200]}")
    data = body.get("data") if isinstance(body, dict) else None
    repo = data.get("repository") if isinstance(data, dict) else None
    if not isinstance(repo, dict):
        raise client.error("GitHub GraphQL: no repository in the answer (name, or token scope?)")
    conn = repo.get("pullRequests")
    return conn if isinstance(conn, dict) else {}


def fetch_pulls(client: RestClient, api_url: str, repo: str, since: datetime | None,
                rows: dict[str, list[dict[str, Any]]],
                rest_children: Callable[[int, str, str | None, set[str]], None]) -> datetime | None:
    """Append the pull request rows updated since ``since``; returns the newest ``updatedAt`` seen.
    ``rest_children(number, pr_id, author, lists)`` reads the named lists of one PR from REST."""
    owner, name = repo.split("/", 1)
    url = graphql_url(api_url)
    newest = since
    cursor: str | None = None
    while True:
        conn = query(client, url, {"owner": owner, "name": name, "first": PAGE, "cursor": cursor})
        done = False
        for p in conn.get("nodes") or []:
            if not isinstance(p, dict) or not isinstance(p.get("number"), int):
                continue
            updated = _t(p.get("updatedAt"))
            if since is not None and updated is not None and updated < since:
                done = True
                break
            if updated is not None and (newest is None or updated > newest):
                newest = updated
            _pull(repo, p, rows, rest_children)
        info = conn.get("pageInfo") or {}
        nxt = info.get("endCursor")
        if done or not info.get("hasNextPage") or not nxt or nxt == cursor:
            return newest
        cursor = nxt


def _pull(repo: str, p: dict[str, Any], rows: dict[str, list[dict[str, Any]]],
          rest_children: Callable[[int, str, str | None, set[str]], None]) -> None:
    number = p["number"]
    pr_id = f"{repo}#{number}"
    merged = _t(p.get("mergedAt"))
    state = str(p.get("state") or "").upper()
    status = "MERGED" if merged or state == "MERGED" else ("CLOSED" if state == "CLOSED" else "OPEN")
    merge_commit = (p.get("mergeCommit") or {}).get("oid")
    rows["pull_requests.csv"].append({
        "ext_id": pr_id, "repo": repo, "number": number, "title": p.get("title"), "status": status,
        "base_branch": p.get("baseRefName"), "created_at": _t(p.get("createdAt")), "merged_at": merged,
        "closed_at": _t(p.get("closedAt")), "merge_commit_sha": merge_commit if status == "MERGED" else None,
        "first_commit_at": None, "first_review_at": None, "head_branch": (p.get("headRefName") or "")[:255] or None,
        "body": p.get("body")})
    if status != "MERGED":
        return
    author = _login(p)
    too_long: set[str] = set()
    commits, reviews, comments = (p.get(k) or {} for k in ("commits", "reviews", "comments"))
    for key, conn in (("commits", commits), ("reviews", reviews), ("comments", comments)):
        if (conn.get("totalCount") or 0) > len(conn.get("nodes") or []):
            too_long.add(key)
    if too_long:
        rest_children(number, pr_id, author, too_long)
    if "commits" not in too_long:
        for n in commits.get("nodes") or []:
            c = (n or {}).get("commit") or {}
            if c.get("oid"):
                rows["pr_commits.csv"].append({"pr_id": pr_id, "commit_sha": c["oid"],
                                               "authored_at": _t(c.get("authoredDate"))})
    if "reviews" not in too_long:
        for rv in reviews.get("nodes") or []:
            if rv and rv.get("databaseId") is not None and rv.get("submittedAt"):
                rows["pr_comments.csv"].append({
                    "pr_id": pr_id, "ext_id": f"review-{rv['databaseId']}", "account_id": _login(rv),
                    "created_at": _t(rv.get("submittedAt")), "by_pr_author": _login(rv) == author})
    if "comments" not in too_long:
        for cm in comments.get("nodes") or []:
            if cm and cm.get("databaseId") is not None:
                rows["pr_comments.csv"].append({
                    "pr_id": pr_id, "ext_id": f"comment-{cm['databaseId']}", "account_id": _login(cm),
                    "created_at": _t(cm.get("createdAt")), "by_pr_author": _login(cm) == author})
