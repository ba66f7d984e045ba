"""GitHub: upsert the PR comment through the REST API, write the job summary, emit annotations.

REST endpoints used (API version 2022-11-28): ``GET /repos/{owner}/{repo}/issues/{n}/comments``
(paginated: ``per_page`` ≤ 100, next page from the ``Link`` header), ``POST`` to the same path, and
``PATCH /repos/{owner}/{repo}/issues/comments/{id}``. A pull request is an issue for comments.
Annotations use the workflow commands ``::error``/``::warning`` written to stdout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from argus.analysis.gates.readmodels import GateOutcome
from argus.analysis.gates.schemas import RuleStatus
from argus.core.errors import ArgusError, InputError

API_VERSION = "2022-11-28"
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL_NEXT = re.compile(r'\brel\s*=\s*"?[^";,]*\bnext\b', re.IGNORECASE)
_PR_REF = re.compile(r"^refs/pull/(\d+)/")
_MAX_REDIRECTS = 3


class GitHubError(ArgusError):
    """The GitHub API refused or failed a request (status and GitHub's message included, on one line)."""

    exit_code = 7

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(_one_line(message, 400))
        self.status = status


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


def run_url(environ: Mapping[str, str]) -> str | None:
    """The Actions run page of the current workflow run (the report's "details" link), if in Actions."""
    if environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
    return None


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """RFC 6454 origin: scheme, host and effective port (``https://h`` and ``https://h:443`` are one)."""
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


def next_link(header: str) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 ``Link`` header, if any."""
    for m in _LINK.finditer(header):
        if _REL_NEXT.search(m.group(2)):
            return m.group(1).strip()
    return None


class _OriginBoundToken(httpx.Auth):
    """Add the bearer token only to requests for the configured API origin (defence in depth: the client
    also refuses to build such requests)."""

    def __init__(self, token: str, origin: tuple[str, str, int | None]) -> None:
        self._header = f"Bearer {token}"
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _origin(request.url) == self._origin:
            request.headers["Authorization"] = self._header
        else:
            request.headers.pop("Authorization", None)
        yield request


class GitHubClient:
    """A minimal GitHub REST client (issue comments) over httpx; ``transport`` is for tests only.

    The token is sent only to the origin (scheme, host, port) of ``api_url``, and only under its path:
    pagination links and redirects that point elsewhere are refused, not followed. Redirects on the API
    origin (GitHub answers 301/307 for renamed repositories) are followed, at most three in a row.
    Listing stops with an error after ``max_pages`` pages rather than posting from a partial listing.
    """

    def __init__(
        self, token: str, api_url: str = "https://api.github.com", *, timeout_s: float = 15.0,
        max_pages: int = 50, per_page: int = 100, transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise InputError("no GitHub token: set GITHUB_TOKEN or ARGUS_GITHUB_TOKEN")
        if not token.isascii() or not token.isprintable() or any(ch.isspace() for ch in token):
            raise InputError("GitHub token: contains spaces, control or non-ASCII characters (check the secret)")
        bad_url = InputError(f"GitHub API URL {api_url!r}: expected http(s)://host[:port][/path]")
        try:
            base = httpx.URL(api_url.strip().rstrip("/"))
        except (httpx.InvalidURL, TypeError, ValueError):
            raise bad_url from None
        if base.scheme not in ("http", "https") or not base.host:
            raise bad_url
        self._base = base
        self._prefix = base.path.rstrip("/")
        self._origin = _origin(base)
        self._max_pages = max_pages
        self._per_page = per_page
        self._http = httpx.Client(
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,  # redirects are checked and followed by _send, on the API origin only
            auth=_OriginBoundToken(token, self._origin),
            headers={
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

    def _path(self, path: str) -> httpx.URL:
        """The URL of API ``path`` (``/repos/...``) under the configured base (GitHub Enterprise: ``/api/v3``)."""
        return self._base.copy_with(raw_path=(self._prefix + path).encode())

    def _checked(self, ref: str, base: httpx.URL, what: str) -> httpx.URL:
        """Resolve ``ref`` (a Link or Location target) against ``base``; refuse anything off the API."""
        url = base.join(ref)
        if _origin(url) != self._origin:
            raise GitHubError(f"GitHub {what} points to another origin ({url.scheme}://{url.netloc.decode()}); "
                              f"not followed: the token is only sent to {self._base.scheme}://{self._base.netloc.decode()}")
        if self._prefix and not (url.path == self._prefix or url.path.startswith(self._prefix + "/")):
            raise GitHubError(f"GitHub {what} {url.path} is outside the API path {self._prefix}; not followed")
        return url

    def _send(self, method: str, url: httpx.URL, **kw: Any) -> tuple[httpx.Response, Any]:
        """Send one request (following redirects on the API origin only); return the response and its JSON."""
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                resp = self._http.request(method, url, **kw)
            except httpx.TimeoutException:
                raise GitHubError(f"GitHub {method} {url.path}: timed out") from None
            except httpx.HTTPError as exc:
                raise GitHubError(f"GitHub {method} {url.path}: {type(exc).__name__}: {exc}") from None
            if not resp.is_redirect:
                return resp, self._decode(method, resp)
            where = f"GitHub {method} {url.path}: HTTP {resp.status_code}"
            try:
                url = self._checked(resp.headers.get("location", ""), url, "redirect")
            except GitHubError as exc:
                raise GitHubError(f"{where}, {exc}", resp.status_code) from None
            if resp.status_code in (301, 302, 303) and method != "GET":  # would turn into a GET
                raise GitHubError(f"{where} redirect to {url.path}; not followed for {method}", resp.status_code)
        raise GitHubError(f"GitHub {method} {url.path}: more than {_MAX_REDIRECTS} redirects; not followed")

    @staticmethod
    def _decode(method: str, resp: httpx.Response) -> Any:
        where = f"GitHub {method} {resp.request.url.path}"
        try:
            doc = resp.json()
        except ValueError:
            doc = None
            if resp.is_success:
                kind = resp.headers.get("content-type", "no content type").split(";")[0]
                raise GitHubError(f"{where}: HTTP {resp.status_code} but the body is not JSON ({kind})",
                                  resp.status_code) from None
        if not resp.is_success:
            message = doc.get("message") if isinstance(doc, dict) else None
            text = str(message) if message is not None else resp.text
            raise GitHubError(f"{where}: HTTP {resp.status_code} {_one_line(text)}", resp.status_code)
        return doc

    def list_issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """Every comment of issue/PR ``number`` (oldest first), following ``Link: rel="next"`` on the API only."""
        url = self._path(f"/repos/{repo}/issues/{number}/comments").copy_merge_params({"per_page": self._per_page})
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for _ in range(self._max_pages):
            seen.add(str(url))
            resp, doc = self._send("GET", url)
            if not isinstance(doc, list) or not all(isinstance(c, dict) for c in doc):
                raise GitHubError(f"GitHub GET {url.path}: expected a JSON list of comments, got {type(doc).__name__}")
            out.extend(doc)
            link = next_link(resp.headers.get("link", ""))
            if link is None:
                return out
            url = self._checked(link, resp.request.url, "pagination link")
            if str(url) in seen:
                raise GitHubError(f"GitHub pagination loops back to {url.path}?{url.query.decode()}; stopped")
        raise GitHubError(f"GitHub listing of {repo}#{number} comments has more than {self._max_pages} pages; stopped")

    def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        return self._comment("POST", f"/repos/{repo}/issues/{number}/comments", body)

    def update_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        return self._comment("PATCH", f"/repos/{repo}/issues/comments/{comment_id}", body)

    def _comment(self, method: str, path: str, body: str) -> dict[str, Any]:
        _, doc = self._send(method, self._path(path), json={"body": body})
        if not isinstance(doc, dict):
            raise GitHubError(f"GitHub {method} {path}: expected a JSON comment object, got {type(doc).__name__}")
        return doc


def comment_failure_hint(status: int | None) -> str:
    """What to do when the PR comment could not be posted, by the HTTP status GitHub answered."""
    if status in (403, 404):
        return ("the token cannot write PR comments: give the job `permissions: pull-requests: write`; on pull "
                "requests from forks GITHUB_TOKEN is read-only whatever the workflow asks, so post the comment "
                "from a `workflow_run` workflow or rely on the job summary")
    if status == 401:
        return "the token was rejected: check GITHUB_TOKEN or ARGUS_GITHUB_TOKEN"
    return "the gate's verdict is unaffected; re-run the job to post it"


def upsert_comment(client: GitHubClient, pr: PullRequestRef, body: str, marker: str) -> tuple[str, dict[str, Any]]:
    """Edit the first comment containing ``marker``, else create one; returns ("updated"|"created", comment)."""
    if marker not in body:
        body = f"{marker}\n{body}"
    for comment in client.list_issue_comments(pr.repo, pr.number):
        if marker in str(comment.get("body") or "") and isinstance(comment.get("id"), int):
            return "updated", client.update_comment(pr.repo, comment["id"], body)
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
