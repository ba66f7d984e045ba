"""One small REST client for every live sync (GitHub, GitLab, Jira): auth headers, pagination,
rate-limit waits within a bound, retries of 5xx and connection errors (httpx).

Rate limits: a 429, or a 403 that says the limit is spent, waits for ``Retry-After`` (seconds;
Jira, GitHub secondary limits), ``X-RateLimit-Reset`` (GitHub, epoch seconds) or ``RateLimit-Reset``
(GitLab, epoch seconds) — at most ``max_wait_s``, else :class:`SyncError` says when to retry, and the
caller stores nothing of the sync. Pagination: :meth:`RestClient.pages` follows the ``Link`` header's
``rel="next"`` (GitHub, GitLab), or GitLab's ``X-Next-Page`` when no Link header is sent; Jira's
offset/token pagination is its caller's (it is in the body, not the headers).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from argus.core.errors import ArgusError

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_ATTEMPTS = 5


class SyncError(ArgusError):
    """A live source refused or failed a request (or its rate limit outlasts the allowed wait)."""

    exit_code = 7


def _seconds(value: str, *, epoch: bool) -> float:
    try:
        v = float(value)
    except ValueError:
        return 60.0
    return max(0.0, v - time.time()) if epoch else max(0.0, v)


@dataclass
class RestClient:
    """GET with auth, rate-limit waits and retries; ``name`` is the source shown in errors."""

    name: str
    api_url: str
    headers: dict[str, str] = field(default_factory=dict)
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    error: type[SyncError] = SyncError
    requests: int = 0
    waited_s: float = 0.0
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(headers={"User-Agent": "argus-sync", **self.headers}, timeout=30.0,
                                  follow_redirects=False)
        self._host = urlsplit(self.api_url).netloc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_for(self, r: httpx.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited answer, or None when it is not one."""
        if r.status_code not in (403, 429):
            return None
        h = r.headers
        if "retry-after" in h:
            return _seconds(h["retry-after"], epoch=False)
        if h.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in h:
            return _seconds(h["x-ratelimit-reset"], epoch=True)
        if h.get("ratelimit-remaining") == "0" and "ratelimit-reset" in h:
            return _seconds(h["ratelimit-reset"], epoch=True)
        if r.status_code == 429:
            return _seconds(h["ratelimit-reset"], epoch=True) if "ratelimit-reset" in h else 60.0
        return None

    def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return self.send("GET", url, params)

    def post_json(self, url: str, body: dict[str, Any]) -> Any:
        """POST a JSON body (GraphQL) with the same waits and retries; the answer's JSON."""
        r = self.send("POST", url, None, body)
        try:
            return r.json()
        except ValueError:
            raise self.error(f"{self.name}: {r.request.url.path} answered something that is not "
                             "JSON") from None

    def send(self, method: str, url: str, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None) -> httpx.Response:
        if not url.startswith("http"):
            url = self.api_url.rstrip("/") + url
        if urlsplit(url).netloc != self._host:
            raise self.error(f"refusing to follow a link to another host: {urlsplit(url).netloc}")
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                r = self._http.request(method, url, params=params, json=body)
            except httpx.HTTPError as exc:
                if attempt == _ATTEMPTS:
                    raise self.error(f"{self.name} unreachable at {self.api_url}: {exc}") from None
                self.sleep(min(2.0 ** attempt, 30.0))
                continue
            self.requests += 1
            wait = self.wait_for(r)
            if wait is not None:
                if wait > self.max_wait_s or attempt == _ATTEMPTS:
                    raise self.error(f"{self.name} rate limit: retry in {wait:.0f} s (more than the allowed "
                                     f"{self.max_wait_s:.0f} s); nothing of this sync was stored")
                self.waited_s += wait
                self.sleep(wait)
                continue
            if r.status_code >= 500 and attempt < _ATTEMPTS:
                self.sleep(min(2.0 ** attempt, 30.0))
                continue
            if r.status_code in (401, 403):
                raise self.error(f"{self.name}: {r.status_code} for {urlsplit(url).path} (token missing, "
                                 "wrong or without the scope?)")
            if r.status_code == 404:
                raise self.error(f"{self.name}: {urlsplit(url).path} not found (repository/project name, or "
                                 "token scope?)")
            if r.status_code >= 400:
                raise self.error(f"{self.name} answered {r.status_code} for {urlsplit(url).path}: {r.text[:200]}")
            return r
        raise self.error(f"{self.name}: too many attempts")

    def json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        r = self.get(url, params)
        try:
            return r.json()
        except ValueError:
            raise self.error(f"{self.name}: {urlsplit(url).path} answered something that is not JSON") from None

    def pages(self, path: str, params: dict[str, Any] | None = None, *, per_page: int = 100,
              key: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint: the ``Link`` header's next URL, else GitLab's ``X-Next-Page``;
        ``key``: the list is that member of an object body (GitHub's ``workflow_runs``, ``jobs``)."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": per_page, **(params or {})}
        while url:
            r = self.get(url, query)
            try:
                body = r.json()
            except ValueError:
                raise self.error(f"{self.name}: {urlsplit(url).path} answered something that is not JSON") from None
            if key is not None and isinstance(body, dict):
                body = body.get(key)
            yield body if isinstance(body, list) else []
            m = _NEXT.search(r.headers.get("link", ""))
            if m:
                nxt: str | None = m.group(1)
                query = None  # the next link carries the query (params={} would strip it)
            elif r.headers.get("x-next-page", "").isdigit():
                nxt = str(r.request.url.copy_with(query=None))
                query = {**dict(r.request.url.params), "page": r.headers["x-next-page"]}
                if query.get("page") == dict(r.request.url.params).get("page"):
                    nxt = None
            else:
                nxt = None
            url = nxt if nxt != str(r.request.url) else None  # a link to itself would never end
