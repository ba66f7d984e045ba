"""GitLab: create or update the one marked merge-request note through the REST API (v4).

Endpoints: ``GET /projects/:id/merge_requests/:iid/notes`` (``per_page`` ≤ 100, ``page``; the next page
from the ``X-Next-Page`` header, or a ``Link: rel="next"`` URL), ``POST`` to the same path, and
``PUT /projects/:id/merge_requests/:iid/notes/:note_id``. Authentication: ``PRIVATE-TOKEN`` (a project
or personal access token with the ``api`` scope; ``CI_JOB_TOKEN`` cannot write notes).

The token goes only to the origin (scheme, host, port) of the configured API URL: a ``Link`` URL on
another origin ends the listing with an error instead of being followed, redirects are not followed,
and listing stops after ``max_pages`` pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from argus.core.errors import ArgusError, InputError

_NEXT = "rel=\"next\""


class GitLabError(ArgusError):
    """The GitLab API refused or failed a request (status and GitLab's message included)."""

    exit_code = 7


@dataclass(frozen=True)
class MergeRequestRef:
    """A merge request: API base URL, project (numeric id or ``group/name`` path) and its IID."""

    api_url: str
    project: str
    iid: int


def merge_request_from_env(environ: Mapping[str, str]) -> MergeRequestRef | None:
    """The MR of a GitLab CI merge-request pipeline (``CI_API_V4_URL``, ``CI_PROJECT_ID``,
    ``CI_MERGE_REQUEST_IID``); ``None`` in any other pipeline."""
    api, project, iid = (environ.get(k, "") for k in ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID"))
    if not (api and project and iid.isdigit()):
        return None
    return MergeRequestRef(api, project, int(iid))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class GitLabClient:
    """A minimal GitLab REST client (merge-request notes) over httpx; ``transport`` is for tests only."""

    def __init__(self, token: str, api_url: str, *, timeout_s: float = 15.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not token:
            raise InputError("no GitLab token: set ARGUS_GITLAB_TOKEN (or GITLAB_TOKEN) to a token with api scope")
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise InputError(f"GitLab API URL {api_url!r}: expected http(s)://host/api/v4")
        self.api_url = api_url.rstrip("/")
        self._origin = _origin(self.api_url)
        self._http = httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False,
                                  headers={"PRIVATE-TOKEN": token, "User-Agent": "argus-quality-gate"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitLabClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        if _origin(url) != self._origin:  # never hand the token to another host
            raise GitLabError(f"GitLab {method}: refusing to send the token to {urlsplit(url).netloc} "
                              f"(the API is {urlsplit(self.api_url).netloc})")
        try:
            resp = self._http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            raise GitLabError(f"GitLab {method} {urlsplit(url).path}: {exc}") from None
        if resp.status_code >= 300:
            try:
                doc = resp.json()
                message = doc.get("message") or doc.get("error") if isinstance(doc, dict) else resp.text
            except ValueError:
                message = resp.text
            raise GitLabError(f"GitLab {method} {urlsplit(url).path}: HTTP {resp.status_code} {message}")
        return resp

    def _notes_url(self, mr: MergeRequestRef) -> str:
        return f"{self.api_url}/projects/{quote(mr.project, safe='')}/merge_requests/{mr.iid}/notes"

    def list_notes(self, mr: MergeRequestRef, *, max_pages: int = 50) -> list[dict[str, Any]]:
        """Notes of the MR, following ``X-Next-Page`` (or ``Link: rel="next"`` on the same origin)."""
        url: str | None = self._notes_url(mr)
        params: dict[str, Any] | None = {"per_page": 100, "page": 1, "sort": "asc"}
        out: list[dict[str, Any]] = []
        for _ in range(max_pages):
            if url is None:
                break
            resp = self._send("GET", url, params=params)
            page = resp.json()
            if not isinstance(page, list):
                raise GitLabError(f"GitLab GET {urlsplit(url).path}: expected a list of notes")
            out.extend(n for n in page if isinstance(n, dict))
            following = resp.headers.get("x-next-page", "").strip()
            link = next((p.split(";")[0].strip(" <>") for p in resp.headers.get("link", "").split(",")
                         if _NEXT in p), None)
            if following.isdigit():
                url, params = self._notes_url(mr), {"per_page": 100, "page": int(following), "sort": "asc"}
            elif link:
                url, params = link, None
            else:
                url = None
        return out

    def create_note(self, mr: MergeRequestRef, body: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send("POST", self._notes_url(mr), json={"body": body}).json()
        return result

    def update_note(self, mr: MergeRequestRef, note_id: int, body: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send("PUT", f"{self._notes_url(mr)}/{note_id}", json={"body": body}).json()
        return result


def upsert_note(client: GitLabClient, mr: MergeRequestRef, body: str, marker: str) -> tuple[str, dict[str, Any]]:
    """Edit the first note containing ``marker``, else create one; returns ("updated"|"created", note)."""
    if marker not in body:
        body = f"{marker}\n{body}"
    for note in client.list_notes(mr):
        if marker in (note.get("body") or "") and not note.get("system"):
            return "updated", client.update_note(mr, int(note["id"]), body)
    return "created", client.create_note(mr, body)
