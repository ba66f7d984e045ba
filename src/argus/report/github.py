"""GitHub: upsert the PR comment through the REST API, write the job summary, emit annotations.

REST endpoints used (API version 2022-11-28): ``GET /repos/{owner}/{repo}/issues/{n}/comments``
(paginated: ``per_page`` ≤ 100, next page from the ``Link`` header), ``POST`` to the same path, and
``PATCH /repos/{owner}/{repo}/issues/comments/{id}``. A pull request is an issue for comments.
Annotations use the workflow commands ``::error``/``::warning`` written to stdout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from argus.analysis.gates.schemas import RuleStatus
from argus.analysis.gates.service import GateOutcome
from argus.core.errors import ArgusError, InputError

API_VERSION = "2022-11-28"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_PR_REF = re.compile(r"^refs/pull/(\d+)/")


class GitHubError(ArgusError):
    """The GitHub API refused or failed a request (status and GitHub's message included)."""

    exit_code = 7


@dataclass(frozen=True)
class PullRequestRef:
    repo: str  # owner/name
    number: int


def pull_request_from_env(environ: Mapping[str, str]) -> PullRequestRef | None:
    """The PR of a GitHub Actions run: ``GITHUB_REPOSITORY`` + the event payload's PR number, or
    ``refs/pull/N/merge`` in ``GITHUB_REF``; ``None`` outside a pull-request event."""
    repo = environ.get("GITHUB_REPOSITORY")
    if not repo:
        return None
    event_path = environ.get("GITHUB_EVENT_PATH")
    if event_path and Path(event_path).is_file():
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            event = {}
        pr = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(pr, dict) and isinstance(pr.get("number"), int):
            return PullRequestRef(repo, pr["number"])
    m = _PR_REF.match(environ.get("GITHUB_REF", ""))
    return PullRequestRef(repo, int(m.group(1))) if m else None


class GitHubClient:
    """A minimal GitHub REST client (issue comments) over httpx; ``transport`` is for tests only."""

    def __init__(
        self, token: str, api_url: str = "https://api.github.com", *, timeout_s: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise InputError("no GitHub token: set GITHUB_TOKEN or ARGUS_GITHUB_TOKEN")
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            timeout=timeout_s,
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "argus-quality-gate",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            raise GitHubError(f"GitHub {method} {url}: {exc}") from None
        if resp.status_code >= 400:
            try:
                message = resp.json().get("message", resp.text)
            except ValueError:
                message = resp.text
            raise GitHubError(f"GitHub {method} {resp.request.url.path}: HTTP {resp.status_code} {message}")
        return resp

    def list_issue_comments(self, repo: str, number: int, *, max_pages: int = 50) -> list[dict[str, Any]]:
        """Every comment of issue/PR ``number`` (oldest first), following ``Link: rel="next"``."""
        url: str | None = f"/repos/{repo}/issues/{number}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        out: list[dict[str, Any]] = []
        for _ in range(max_pages):
            if url is None:
                break
            resp = self._send("GET", url, params=params)
            out.extend(resp.json())
            m = _NEXT.search(resp.headers.get("link", ""))
            url, params = (m.group(1), None) if m else (None, None)
        return out

    def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send("POST", f"/repos/{repo}/issues/{number}/comments", json={"body": body}).json()
        return result

    def update_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", json={"body": body}
        ).json()
        return result


def upsert_comment(client: GitHubClient, pr: PullRequestRef, body: str, marker: str) -> tuple[str, dict[str, Any]]:
    """Edit the first comment containing ``marker``, else create one; returns ("updated"|"created", comment)."""
    if marker not in body:
        body = f"{marker}\n{body}"
    for comment in client.list_issue_comments(pr.repo, pr.number):
        if marker in (comment.get("body") or ""):
            return "updated", client.update_comment(pr.repo, int(comment["id"]), body)
    return "created", client.create_comment(pr.repo, pr.number, body)


def write_job_summary(markdown: str, environ: Mapping[str, str]) -> Path | None:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY`` when set; returns the file written."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, *, title: str | None = None, file: str | None = None,
                     line: int | None = None, end_line: int | None = None) -> str:
    """One ``::error``/``::warning``/``::notice`` command line, escaped as the runner expects."""
    props = []
    if file:
        props.append(f"file={_prop(file)}")
    if line is not None:
        props.append(f"line={line}")
    if end_line is not None:
        props.append(f"endLine={end_line}")
    if title:
        props.append(f"title={_prop(title)}")
    return f"::{level} {','.join(props)}::{_data(message)}" if props else f"::{level}::{_data(message)}"


def gate_annotations(o: GateOutcome, max_lines: int = 20) -> Iterable[str]:
    """Annotations for failed/warned rules and for uncovered changed line ranges."""
    for r in o.result.rules:
        if r.status is RuleStatus.FAIL:
            yield workflow_command("error", r.message, title=f"Argus gate: {r.rule.value}")
        elif r.status is RuleStatus.WARN:
            yield workflow_command("warning", r.message, title=f"Argus gate: {r.rule.value}")
    n = 0
    for lc in o.low_coverage:
        if not lc.changed:
            continue
        for a, b in lc.ranges:
            if n >= max_lines:
                return
            n += 1
            yield workflow_command("warning", "Changed lines not covered by tests", title="Argus: uncovered change",
                                   file=lc.path, line=a, end_line=b)
