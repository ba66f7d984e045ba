"""A faithful fake of the GitHub REST issue-comment endpoints and a recording Pushgateway, both real HTTP
servers on 127.0.0.1 (ephemeral ports), so no request leaves the machine.

GitHub semantics reproduced (REST API 2022-11-28): token auth (401 "Bad credentials"), 404 for unknown
repositories, issues and comments, ``per_page`` (default 30, max 100) and ``page`` pagination with an RFC
8288 ``Link`` header (first/prev/next/last), 201 + ``Location`` on create, 422 when ``body`` is missing,
comment objects with id, node_id, url, html_url, issue_url, body, user, timestamps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from argus.testing.http import serve

from .fakehttp import JsonHandler

TOKEN = "ghs_testtoken123"


@dataclass
class FakeGitHub:
    repos: dict[str, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)  # repo → issue → comments
    requests: list[tuple[str, str]] = field(default_factory=list)
    base_url: str = ""
    next_id: int = 1000
    token: str = TOKEN
    # misbehaviour on demand (what a proxy, a hostile or a broken API may answer)
    next_link: str | None = None  # absolute URL put in every listing's Link rel="next"
    fault: str | None = None  # "html" | "object" | "redirect" | "500" | "list_error" | "hang" | "forbid_writes"
    redirect_to: str = ""  # Location of the "redirect" fault
    hang: threading.Event = field(default_factory=threading.Event)  # released when the fixture ends

    def add_comment(self, repo: str, issue: int, body: str, login: str = "someone") -> dict[str, Any]:
        self.next_id += 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        c = {
            "id": self.next_id,
            "node_id": f"IC_kwDO{self.next_id}",
            "url": f"{self.base_url}/repos/{repo}/issues/comments/{self.next_id}",
            "html_url": f"https://github.com/{repo}/pull/{issue}#issuecomment-{self.next_id}",
            "issue_url": f"{self.base_url}/repos/{repo}/issues/{issue}",
            "body": body,
            "user": {"login": login, "id": 41898282, "type": "Bot" if login.endswith("[bot]") else "User"},
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE",
        }
        self.repos.setdefault(repo, {}).setdefault(issue, []).append(c)
        return c

    def comments(self, repo: str, issue: int) -> list[dict[str, Any]]:
        return self.repos.get(repo, {}).get(issue, [])


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        content_type = "application/json; charset=utf-8"

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"message": message, "documentation_url": "https://docs.github.com/rest",
                                "status": str(status)})

        def _authorised(self) -> bool:
            auth = self.headers.get("Authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() not in ("bearer", "token") or token != TOKEN:
                self._error(401, "Bad credentials")
                return False
            return True

        def _body(self) -> dict[str, Any] | None:
            n = int(self.headers.get("Content-Length") or 0)
            try:
                doc = json.loads(self.rfile.read(n) or b"null")
            except ValueError:
                self._error(400, "Problems parsing JSON")
                return None
            if not isinstance(doc, dict) or not isinstance(doc.get("body"), str):
                self._error(422, 'Invalid request.\n\n"body" wasn\'t supplied.')
                return None
            return doc

        def _route(self) -> tuple[str, list[str], dict[str, list[str]]]:
            parts = urlsplit(self.path)
            state.requests.append((self.command, self.path))
            return parts.path, parts.path.strip("/").split("/"), parse_qs(parts.query)

        def _fault(self) -> bool:
            """Answer with the configured misbehaviour; False when there is none for this request."""
            fault = state.fault
            if fault == "forbid_writes" and self.command in ("POST", "PATCH"):
                self._error(403, "Resource not accessible by integration")
            elif fault == "html":
                data = b"<html><body>Proxy login</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif fault == "object":
                self._send(200, {"message": "not a list", "items": []})
            elif fault == "redirect" and not state.redirect_to.endswith(self.path):
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif fault == "500":
                self._error(500, "Server Error")
            elif fault == "list_error":  # an error body that is not GitHub's {"message": ...} object
                self._send(422, [{"message": "weird"}])
            elif fault == "hang":
                state.hang.wait()
            else:
                return False
            return True

        def do_GET(self) -> None:
            path, seg, query = self._route()
            if not self._authorised() or self._fault():
                return
            if len(seg) == 6 and seg[0] == "repos" and seg[3] == "issues" and seg[5] == "comments":
                repo, issue = f"{seg[1]}/{seg[2]}", int(seg[4])
                if repo not in state.repos or issue not in state.repos[repo]:
                    return self._error(404, "Not Found")
                per_page = max(1, min(100, int(query.get("per_page", ["30"])[0])))
                page = max(1, int(query.get("page", ["1"])[0]))
                items = state.comments(repo, issue)
                last = max(1, -(-len(items) // per_page))
                links = []

                def url(p: int) -> str:
                    return f"{state.base_url}{path}?{urlencode({'per_page': per_page, 'page': p})}"

                if page > 1:
                    links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
                if page < last:
                    links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
                if state.next_link:
                    links = [f'<{state.next_link}>; rel="next"']
                headers = {"Link": ", ".join(links)} if links else {}
                return self._send(200, items[(page - 1) * per_page : page * per_page], headers)
            self._error(404, "Not Found")

        def do_POST(self) -> None:
            _, seg, _ = self._route()
            if not self._authorised() or self._fault():
                return
            if len(seg) == 6 and seg[0] == "repos" and seg[3] == "issues" and seg[5] == "comments":
                repo, issue = f"{seg[1]}/{seg[2]}", int(seg[4])
                if repo not in state.repos or issue not in state.repos[repo]:
                    return self._error(404, "Not Found")
                doc = self._body()
                if doc is None:
                    return
                c = state.add_comment(repo, issue, doc["body"], login="github-actions[bot]")
                return self._send(201, c, {"Location": c["url"]})
            self._error(404, "Not Found")

        def do_PATCH(self) -> None:
            _, seg, _ = self._route()
            if not self._authorised() or self._fault():
                return
            if len(seg) == 6 and seg[0] == "repos" and seg[3] == "issues" and seg[4] == "comments":
                repo, cid = f"{seg[1]}/{seg[2]}", int(seg[5])
                for comments in state.repos.get(repo, {}).values():
                    for c in comments:
                        if c["id"] == cid:
                            doc = self._body()
                            if doc is None:
                                return
                            c["body"] = doc["body"]
                            c["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                            return self._send(200, c)
            self._error(404, "Not Found")

    return Handler


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    with serve(_handler(state), on_stop=state.hang.set) as url:
        state.base_url = url
        yield state


@dataclass
class Stranger:
    """Another origin (127.0.0.1, another port): records every request and the Authorization it carried."""

    url: str = ""
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Authorization


@pytest.fixture
def stranger() -> Iterator[Stranger]:
    state = Stranger()

    class Handler(JsonHandler):
        def _answer(self) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization")))
            self._send(200, [], {"Link": f'<{state.url}/next?page={len(state.requests) + 1}>; rel="next"'})

        do_GET = do_POST = do_PATCH = _answer

    with serve(Handler) as url:
        state.url = url
        yield state


@dataclass
class Pushgateway:
    url: str = ""
    pushes: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, path, content-type, body


@pytest.fixture
def pushgateway() -> Iterator[Pushgateway]:
    state = Pushgateway()

    class Handler(JsonHandler):  # quiet; answers without a body
        def do_PUT(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode()
            state.pushes.append(("PUT", self.path, self.headers.get("Content-Type", ""), body))
            ok = self.path.startswith("/metrics/job")
            self.send_response(200 if ok else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serve(Handler) as url:
        state.url = url
        yield state
