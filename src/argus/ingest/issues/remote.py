"""Read issues from a live tracker (``argus sync jira|github|gitlab``) through the shared
:class:`~argus.ingest.restclient.RestClient` (auth, rate limits, Link/X-Next-Page pagination).

* GitHub: ``GET /repos/{owner}/{name}/issues?state=all&sort=updated&direction=asc&since=`` (pull
  requests in that list are skipped); keys ``#<number>``.
* GitLab: ``GET /projects/{id}/issues?scope=all&order_by=updated_at&sort=asc&updated_after=``
  (``PRIVATE-TOKEN`` header); keys ``#<iid>``.
* Jira: the search endpoint with JQL ``project = "KEY" AND updated >= "yyyy-MM-dd HH:mm" ORDER BY
  updated ASC``: Cloud's ``/rest/api/3/search/jql`` pages with ``nextPageToken``/``isLast``, Server's
  ``/rest/api/2/search`` with ``startAt``/``maxResults``/``total`` — whichever the answer carries.

Work-item fields (:mod:`argus.ingest.issues.workitems`): GitHub's ``type``, ``milestone`` and sub-issue
``parent_issue_url``; GitLab's ``weight``, ``epic`` and ``milestone``; Jira's ``parent`` (else the Epic
Link field), ``components`` and the configurable story points / Epic Link / Sprint custom fields
(``issues.jira_story_points_field`` …), asked for by name in ``fields``.

Incremental: the cursor is the newest ``updated`` time seen; the next sync asks for issues updated
since the cursor minus ``issues.sync_overlap_s`` (re-read issues are upserted by key).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from argus.core.errors import InputError
from argus.ingest.issues.parsers import IssueRecord, gitlab_epic, gitlab_weight, milestone_title
from argus.ingest.restclient import RestClient, SyncError

SOURCES = ("jira", "github", "gitlab")
_JIRA_PROJECT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,49}$")
_GITLAB_PROJECT = re.compile(r"^([0-9]{1,12}|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+)$")
_JIRA_FIELDS = "summary,issuetype,status,priority,labels,created,resolutiondate,updated,parent,components"
_PARENT_URL = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)$")
_MAX_ISSUES = 1_000_000


@dataclass
class Fetched:
    records: list[IssueRecord]
    cursor: datetime | None  # newest `updated` seen (the previous cursor when nothing was new)
    requests: int = 0
    waited_s: float = 0.0


def check_target(source: str, target: str) -> str:
    """The tracker's project: ``owner/name`` (GitHub), id or ``group/name`` (GitLab), key (Jira)."""
    ok = {"github": re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"), "gitlab": _GITLAB_PROJECT,
          "jira": _JIRA_PROJECT}[source]
    if not ok.match(target) or ".." in target:
        expected = {"github": "owner/name", "gitlab": "a project id or group/name", "jira": "a project key (ABC)"}
        raise InputError(f"{target!r}: expected {expected[source]}")
    return target


def _time(source: str, value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SyncError(f"{source}: {value[:40]!r} is not a date") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _names(labels: Any) -> list[str]:
    out = []
    for lab in labels or []:
        name = lab.get("name") if isinstance(lab, dict) else lab
        if isinstance(name, str):
            out.append(name.strip()[:200])
    return out


def _since(cursor: datetime | None, overlap_s: int) -> datetime | None:
    return None if cursor is None else cursor - timedelta(seconds=overlap_s)


class _Newest:
    def __init__(self, cursor: datetime | None) -> None:
        self.value = cursor

    def see(self, t: datetime | None) -> None:
        if t is not None and (self.value is None or t > self.value):
            self.value = t


def _guard(records: list[IssueRecord], source: str) -> None:
    if len(records) > _MAX_ISSUES:
        raise SyncError(f"{source}: more than {_MAX_ISSUES:,} issues in one sync; nothing was stored")


def fetch_github(client: RestClient, repo: str, cursor: datetime | None, overlap_s: int = 0) -> Fetched:
    params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc"}
    since = _since(cursor, overlap_s)
    if since is not None:
        params["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    records: list[IssueRecord] = []
    newest = _Newest(cursor)
    for page in client.pages(f"/repos/{repo}/issues", params):
        for i in page:
            if "pull_request" in i or not isinstance(i.get("number"), int):
                continue
            newest.see(_time("GitHub", i.get("updated_at")))
            records.append(IssueRecord(
                key=f"#{i['number']}", tracker="github", title=i.get("title"), status=(i.get("state") or None),
                labels=_names(i.get("labels")), created_at=_time("GitHub", i.get("created_at")),
                resolved_at=_time("GitHub", i.get("closed_at")), issue_type=_field_name(i.get("type")),
                parent_key=github_parent(repo, i.get("parent_issue_url")), milestone=milestone_title(i.get("milestone"))))
        _guard(records, "GitHub")
    return Fetched(records, newest.value, client.requests, client.waited_s)


def fetch_gitlab(client: RestClient, project: str, cursor: datetime | None, overlap_s: int = 0) -> Fetched:
    params: dict[str, Any] = {"scope": "all", "order_by": "updated_at", "sort": "asc"}
    since = _since(cursor, overlap_s)
    if since is not None:
        params["updated_after"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    records: list[IssueRecord] = []
    newest = _Newest(cursor)
    for page in client.pages(f"/projects/{quote(project, safe='')}/issues", params):
        for i in page:
            if not isinstance(i.get("iid"), int):
                continue
            newest.see(_time("GitLab", i.get("updated_at")))
            records.append(IssueRecord(
                key=f"#{i['iid']}", tracker="gitlab", issue_type=(i.get("issue_type") or i.get("type") or None),
                title=i.get("title"), status=(i.get("state") or None), labels=_names(i.get("labels")),
                created_at=_time("GitLab", i.get("created_at")), resolved_at=_time("GitLab", i.get("closed_at")),
                story_points=gitlab_weight(i.get("weight")), parent_key=gitlab_epic(i),
                milestone=milestone_title(i.get("milestone"))))
        _guard(records, "GitLab")
    return Fetched(records, newest.value, client.requests, client.waited_s)


def jira_jql(project: str, since: datetime | None) -> str:
    jql = f'project = "{project}"'
    if since is not None:
        jql += f' AND updated >= "{since.strftime("%Y-%m-%d %H:%M")}"'
    return jql + " ORDER BY updated ASC"


def github_parent(repo: str, url: Any) -> str | None:
    """A sub-issue's parent from ``parent_issue_url``: ``#N`` in the same repository, ``owner/name#N`` else."""
    m = _PARENT_URL.search(url) if isinstance(url, str) else None
    if m is None:
        return None
    return f"#{m.group(2)}" if m.group(1).casefold() == repo.casefold() else f"{m.group(1)}#{m.group(2)}"[:200]


@dataclass(frozen=True)
class JiraFields:
    """The site's custom field ids (they vary by site: ``/rest/api/2/field`` lists them)."""

    story_points: str = "customfield_10016"
    epic_link: str = "customfield_10014"
    sprint: str = "customfield_10020"


def fetch_jira(client: RestClient, project: str, cursor: datetime | None, overlap_s: int = 0, *,
               search_path: str = "/rest/api/3/search/jql", page_size: int = 100,
               custom: JiraFields | None = None) -> Fetched:
    custom = custom or JiraFields()
    fields = ",".join((_JIRA_FIELDS, custom.story_points, custom.epic_link, custom.sprint))
    jql = jira_jql(project, _since(cursor, overlap_s))
    records: list[IssueRecord] = []
    newest = _Newest(cursor)
    start = 0
    token: str | None = None
    while True:
        params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": page_size}
        if token is not None:
            params["nextPageToken"] = token
        elif start:
            params["startAt"] = start
        body = client.json(search_path, params)
        issues = body.get("issues") if isinstance(body, dict) else None
        if not isinstance(issues, list):
            raise SyncError(f"Jira: {search_path} answered without an `issues` list")
        for i in issues:
            key, f = i.get("key"), i.get("fields") or {}
            if not isinstance(key, str) or not re.match(r"^[A-Za-z][A-Za-z0-9_]*-\d+$", key) or len(key) > 64:
                continue
            newest.see(_time("Jira", f.get("updated")))
            records.append(IssueRecord(
                key=key.upper(), tracker="jira", issue_type=_field_name(f.get("issuetype")), title=f.get("summary"),
                status=_field_name(f.get("status")), priority=_field_name(f.get("priority")),
                labels=_names(f.get("labels")), created_at=_time("Jira", f.get("created")),
                resolved_at=_time("Jira", f.get("resolutiondate")), story_points=_jira_points(f.get(custom.story_points)),
                parent_key=_jira_parent(f.get("parent"), f.get(custom.epic_link)), sprint=_jira_sprint(f.get(custom.sprint)),
                component=_jira_component(f.get("components"))))
        _guard(records, "Jira")
        if "nextPageToken" in body or "isLast" in body:  # Cloud's enhanced search
            previous, token = token, body.get("nextPageToken")
            if body.get("isLast", token is None) or not token or not issues or token == previous:
                break
            continue
        start += len(issues)
        total = body.get("total")
        if not issues or (isinstance(total, int) and start >= total):
            break
    return Fetched(records, newest.value, client.requests, client.waited_s)


def _jira_points(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 10_000:
        return None
    return float(value)


def _jira_parent(parent: Any, epic_link: Any) -> str | None:
    """``parent: {key}`` (Cloud, and Server's sub-tasks), else the legacy Epic Link field (a key)."""
    key = parent.get("key") if isinstance(parent, dict) else epic_link
    if isinstance(key, str) and re.match(r"^[A-Za-z][A-Za-z0-9_]*-\d+$", key) and len(key) <= 64:
        return key.upper()
    return None


def _jira_sprint(value: Any) -> str | None:
    """The last sprint of the Sprint field: Cloud's ``[{id, name, state}]``; Server's
    ``["com.atlassian.greenhopper.service.sprint.Sprint@…[id=1,…,name=Sprint 1,…]"]``."""
    if not isinstance(value, list) or not value:
        return None
    last = value[-1]
    if isinstance(last, dict) and isinstance(last.get("name"), str):
        return last["name"][:200]
    if isinstance(last, str):
        m = re.search(r"name=([^,\]]*)", last)
        return (m.group(1) if m else last)[:200] or None
    return None


def _jira_component(value: Any) -> str | None:
    if isinstance(value, list) and value:
        return _field_name(value[0])
    return None


def _field_name(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"][:100]
    return None


def gitlab_client(api_url: str, token: str | None, max_wait_s: float,
                  sleep: Callable[[float], None] | None = None) -> RestClient:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return RestClient("GitLab", api_url, headers, max_wait_s, *(() if sleep is None else (sleep,)))


def jira_client(url: str, email: str | None, token: str | None, max_wait_s: float,
                sleep: Callable[[float], None] | None = None) -> RestClient:
    import base64

    headers = {"Accept": "application/json"}
    if token and email:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    return RestClient("Jira", url, headers, max_wait_s, *(() if sleep is None else (sleep,)))
