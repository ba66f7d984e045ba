"""Fake issue trackers (GitHub, GitLab, Jira REST) served over real HTTP on 127.0.0.1 for
``argus sync`` tests: their pagination (Link header; GitLab's X-Next-Page; Jira's startAt/total and
nextPageToken/isLast), their rate-limit answers and their incremental filters (``since``,
``updated_after``, JQL ``updated >=``), on issues a test puts in :attr:`FakeTracker.issues`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from argus.testing.http import FakeAnswer, FakeRequest, serve_json


@dataclass
class FakeIssue:
    number: int
    title: str
    labels: list[str] = field(default_factory=list)
    issue_type: str = "Task"  # Jira issue type / GitLab issue_type
    created: str = "2024-01-01T00:00:00Z"
    updated: str = "2024-01-01T00:00:00Z"
    closed: str | None = None
    pull_request: bool = False  # GitHub lists PRs among issues
    points: float | None = None  # Jira's story points custom field; GitLab's weight (GitHub: use a label)
    parent: int | None = None  # Jira parent (an Epic), GitHub sub-issue parent, GitLab epic iid
    milestone: str | None = None  # GitHub/GitLab milestone title
    sprints: list[str] = field(default_factory=list)  # Jira Sprint field


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeTracker:
    """State and behaviour of the fake; ``rate_limit_first`` answers the first request of each path with
    the tracker's rate-limit response waiting ``rate_limit_wait_s``."""

    jira_key: str = "ABC"
    jira_points_field: str = "customfield_10016"  # the site's story points field (ids vary per site)
    jira_sprint_field: str = "customfield_10020"
    issues: list[FakeIssue] = field(default_factory=list)
    page_size: int = 2
    rate_limit_first: bool = False
    rate_limit_wait_s: int = 0
    requests: list[str] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    limited: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- answers -------------------------------------------------------------------------------
    def answer(self, kind: str, path: str, query: dict[str, str], base: str) -> tuple[int, dict[str, str], Any]:
        if self.rate_limit_first and path not in self.limited:
            self.limited.add(path)
            return self._limit(kind)
        if kind == "github":
            return self._github(path, query, base)
        if kind == "gitlab":
            return self._gitlab(path, query)
        return self._jira(path, query)

    def _limit(self, kind: str) -> tuple[int, dict[str, str], Any]:
        reset = str(int(time.time()) + self.rate_limit_wait_s)
        if kind == "github":
            return 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, {"message": "API rate limit"}
        if kind == "gitlab":
            return 429, {"RateLimit-Remaining": "0", "RateLimit-Reset": reset}, {"message": "Retry later"}
        return 429, {"Retry-After": str(self.rate_limit_wait_s)}, {"errorMessages": ["Rate limit exceeded"]}

    def _sorted(self, since: str | None) -> list[FakeIssue]:
        items = sorted(self.issues, key=lambda i: (i.updated, i.number))
        return [i for i in items if since is None or _t(i.updated) >= _t(since)]

    def _github(self, path: str, query: dict[str, str], base: str) -> tuple[int, dict[str, str], Any]:
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues", path)
        if not m:
            return 404, {}, {"message": "Not Found"}
        items = self._sorted(query.get("since"))
        per = min(int(query.get("per_page", "30")), self.page_size)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * per : page * per]
        headers = {}
        if page * per < len(items):
            headers["Link"] = f'<{base}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        repo = m.group(1)
        body = [{"number": i.number, "title": i.title, "state": "closed" if i.closed else "open",
                 "labels": [{"name": n} for n in i.labels], "created_at": i.created, "updated_at": i.updated,
                 "closed_at": i.closed, **({"pull_request": {"url": "x"}} if i.pull_request else {}),
                 "milestone": _milestone(i), "type": {"id": 1, "name": i.issue_type} if i.issue_type == "Epic" else None,
                 # GitHub's REST issue carries its sub-issue parent as a URL (null when it has none)
                 "parent_issue_url": f"{base}/repos/{repo}/issues/{i.parent}" if i.parent else None,
                 "sub_issues_summary": {"total": sum(1 for x in self.issues if x.parent == i.number),
                                        "completed": 0, "percent_completed": 0}}
                for i in chunk]
        return 200, headers, body

    def _gitlab(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if not re.fullmatch(r"/api/v4/projects/[^/]+/issues", path):
            return 404, {}, {"message": "404 Project Not Found"}
        items = [i for i in self._sorted(query.get("updated_after")) if not i.pull_request]
        per = min(int(query.get("per_page", "20")), self.page_size)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * per : page * per]
        headers = {"X-Page": str(page), "X-Per-Page": str(per), "X-Next-Page": ""}
        if page * per < len(items):
            headers["X-Next-Page"] = str(page + 1)  # no Link header: keyset-less, X-Next-Page only
        body = [{"iid": i.number, "id": 1000 + i.number, "title": i.title, "state": "closed" if i.closed else "opened",
                 "labels": i.labels, "issue_type": i.issue_type.lower(), "type": i.issue_type.upper(),
                 "created_at": i.created, "updated_at": i.updated, "closed_at": i.closed,
                 "weight": int(i.points) if i.points is not None else None, "milestone": _milestone(i),
                 "epic_iid": i.parent,  # deprecated but still sent beside `epic`
                 "epic": {"id": 5000 + i.parent, "iid": i.parent, "title": f"epic {i.parent}", "group_id": 9,
                          "url": f"/groups/acme/-/epics/{i.parent}"} if i.parent else None} for i in chunk]
        return 200, headers, body

    def _jira_fields(self, i: FakeIssue) -> dict[str, Any]:
        """Every field of the issue as Jira's REST API shapes it; the answer keeps those asked for."""
        parent = next((p for p in self.issues if p.number == i.parent), None) if i.parent else None
        return {
            "summary": i.title, "issuetype": {"name": i.issue_type, "subtask": False},
            "status": {"name": "Done" if i.closed else "Open"}, "priority": {"name": "Major"}, "labels": i.labels,
            "created": _jira_time(i.created), "updated": _jira_time(i.updated),
            "resolutiondate": _jira_time(i.closed) if i.closed else None, "components": [],
            "parent": {"id": str(10000 + parent.number), "key": f"{self.jira_key}-{parent.number}",
                       "fields": {"summary": parent.title, "issuetype": {"name": parent.issue_type}}}
            if parent else None,
            self.jira_points_field: i.points,
            self.jira_sprint_field: [{"id": n + 1, "name": s, "state": "closed", "boardId": 1}
                                     for n, s in enumerate(i.sprints)] or None,
        }

    def _jira(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if path not in ("/rest/api/2/search", "/rest/api/3/search/jql"):
            return 404, {}, {"errorMessages": ["not found"]}
        jql = query.get("jql", "")
        m = re.match(r'project = "([^"]+)"(?: AND updated >= "([^"]+)")? ORDER BY updated ASC$', jql)
        if not m:
            return 400, {}, {"errorMessages": [f"bad JQL: {jql}"]}
        if m.group(1) != self.jira_key:
            return 400, {}, {"errorMessages": [f"project {m.group(1)} does not exist"]}
        since = m.group(2).replace(" ", "T") + ":00Z" if m.group(2) else None
        items = self._sorted(since)
        per = min(int(query.get("maxResults", "50")), self.page_size)
        start = int(query.get("nextPageToken") or query.get("startAt") or 0)
        chunk = items[start : start + per]
        wanted = set(query.get("fields", "*all").split(","))
        issues = [{"key": f"{self.jira_key}-{i.number}", "id": str(10000 + i.number), "fields": {
            k: v for k, v in self._jira_fields(i).items() if "*all" in wanted or k in wanted}} for i in chunk]
        if path.endswith("/jql"):
            more = start + per < len(items)
            body: dict[str, Any] = {"issues": issues, "isLast": not more}
            if more:
                body["nextPageToken"] = str(start + per)
            return 200, {}, body
        return 200, {}, {"startAt": start, "maxResults": per, "total": len(items), "issues": issues}


def _milestone(i: FakeIssue) -> dict[str, Any] | None:
    if i.milestone is None:
        return None
    return {"id": 700 + len(i.milestone), "iid": 1, "number": 1, "title": i.milestone, "state": "active"}


def _jira_time(text: str) -> str:
    return _t(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@contextmanager
def running_tracker(kind: str, tracker: FakeTracker) -> Iterator[str]:
    """Serve ``tracker`` as ``kind`` (github | gitlab | jira); yield the API base URL to give Argus."""

    def get(req: FakeRequest) -> FakeAnswer:
        query = {k: v[-1] for k, v in req.query.items()}
        with tracker.lock:
            tracker.requests.append(req.target)
            tracker.auth.append(req.headers.get("Authorization") or req.headers.get("PRIVATE-TOKEN") or "")
            return tracker.answer(kind, req.path, query, req.base)

    with serve_json(get) as url:
        yield url + ("/api/v4" if kind == "gitlab" else "")
