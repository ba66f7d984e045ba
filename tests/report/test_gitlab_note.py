"""Merge-request note upsert against a fake GitLab REST API (v4) on 127.0.0.1, and `argus gate --comment`.

GitLab semantics reproduced: ``PRIVATE-TOKEN`` auth (401 ``{"message": "401 Unauthorized"}``), 404
``{"message": "404 Project Not Found"}``, project given by id or URL-encoded path, ``per_page`` (default
20, max 100) / ``page`` pagination with ``X-Page``, ``X-Next-Page``, ``X-Total`` and ``Link`` headers,
201 on create, 400 when ``body`` is missing, note objects with id, body, author, system, noteable_iid.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from argus.cli.app import main
from argus.report.gate import MARKER
from argus.report.gitlab import (
    GitLabClient,
    GitLabError,
    MergeRequestRef,
    merge_request_from_env,
    upsert_note,
)

from .fakehttp import JsonHandler

TOKEN = "glpat-testtoken123"
PROJECT = "acme/shop"


@dataclass
class FakeGitLab:
    notes: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, token
    base_url: str = ""
    next_id: int = 500
    link_to: str | None = None  # paginate with a Link header to this base instead of X-Next-Page

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v4"

    def add_note(self, project: str, iid: int, body: str, *, system: bool = False) -> dict[str, Any]:
        self.next_id += 1
        note = {"id": self.next_id, "body": body, "system": system, "noteable_iid": iid, "noteable_type":
                "MergeRequest", "author": {"username": "project_1_bot" if not system else "alice"}}
        self.notes.setdefault((project, iid), []).append(note)
        return note


def _serve(state: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):

        def _resolve(self) -> tuple[list[dict[str, Any]], list[str], dict[str, list[str]]] | None:
            parts = urlsplit(self.path)
            state.requests.append((self.command, self.path, self.headers.get("PRIVATE-TOKEN", "")))
            if self.headers.get("PRIVATE-TOKEN") != TOKEN:
                self._send(401, {"message": "401 Unauthorized"})
                return None
            seg = parts.path.split("/")  # '', api, v4, projects, <id>, merge_requests, <iid>, notes[, id]
            if len(seg) < 8 or seg[1:4] != ["api", "v4", "projects"] or seg[5] != "merge_requests" \
                    or seg[7] != "notes" or not seg[6].isdigit():
                self._send(404, {"error": "404 Not Found"})
                return None
            key = (unquote(seg[4]), int(seg[6]))
            if key not in state.notes:
                self._send(404, {"message": "404 Project Not Found"})
                return None
            return state.notes[key], seg[8:], parse_qs(parts.query)

        def _body(self) -> str | None:
            doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            if not isinstance(doc, dict) or not isinstance(doc.get("body"), str):
                self._send(400, {"error": "body is missing"})
                return None
            return str(doc["body"])

        def do_GET(self) -> None:
            found = self._resolve()
            if found is None:
                return
            notes, _, query = found
            per_page = max(1, min(100, int(query.get("per_page", ["20"])[0])))
            page = max(1, int(query.get("page", ["1"])[0]))
            last = max(1, -(-len(notes) // per_page))
            headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(notes))}
            if page < last:
                nxt = f"{state.link_to or state.base_url}{urlsplit(self.path).path}?" \
                      f"{urlencode({'per_page': per_page, 'page': page + 1})}"
                headers["Link"] = f'<{nxt}>; rel="next"'
                if state.link_to is None:
                    headers["X-Next-Page"] = str(page + 1)
            self._send(200, notes[(page - 1) * per_page: page * per_page], headers)

        def do_POST(self) -> None:
            found = self._resolve()
            if found is None:
                return
            body = self._body()
            if body is not None:
                key = next(k for k, v in state.notes.items() if v is found[0])
                self._send(201, state.add_note(key[0], key[1], body))

        def do_PUT(self) -> None:
            found = self._resolve()
            if found is None:
                return
            notes, rest, _ = found
            note = next((n for n in notes if rest and str(n["id"]) == rest[0]), None)
            if note is None:
                return self._send(404, {"message": "404 Note Not Found"})
            body = self._body()
            if body is not None:
                note["body"] = body
                self._send(200, note)

    return Handler


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    state = FakeGitLab()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _serve(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


fake_gitlab_other = fake_gitlab  # a second, independent server (another origin: other port)


def test_creates_then_updates_the_one_marked_note_across_pages(fake_gitlab: FakeGitLab) -> None:
    for i in range(130):
        fake_gitlab.add_note(PROJECT, 4, f"review {i}")
    fake_gitlab.add_note(PROJECT, 4, f"mentioned {MARKER} in a system note", system=True)
    mr = MergeRequestRef(fake_gitlab.api, PROJECT, 4)
    with GitLabClient(TOKEN, fake_gitlab.api) as gl:
        action, created = upsert_note(gl, mr, "first", MARKER)
        assert action == "created" and created["body"] == f"{MARKER}\nfirst"
        action, updated = upsert_note(gl, mr, f"{MARKER}\nsecond", MARKER)
        assert action == "updated" and updated["id"] == created["id"]
    ours = [n for n in fake_gitlab.notes[(PROJECT, 4)] if not n["system"] and MARKER in n["body"]]
    assert [n["body"] for n in ours] == [f"{MARKER}\nsecond"]
    assert any(m == "GET" and "page=2" in p for m, p, _ in fake_gitlab.requests)
    assert any(m == "GET" and p.startswith("/api/v4/projects/acme%2Fshop/") for m, p, _ in fake_gitlab.requests)
    assert ("PUT", f"/api/v4/projects/acme%2Fshop/merge_requests/4/notes/{created['id']}", TOKEN) in \
        fake_gitlab.requests


def test_token_is_never_sent_to_another_origin(fake_gitlab: FakeGitLab, fake_gitlab_other: FakeGitLab) -> None:
    assert fake_gitlab is not fake_gitlab_other
    for i in range(120):
        fake_gitlab.add_note(PROJECT, 5, f"n{i}")
    fake_gitlab.link_to = fake_gitlab_other.base_url  # page 2 "lives" on another host
    with GitLabClient(TOKEN, fake_gitlab.api) as gl, pytest.raises(GitLabError, match="refusing to send the token"):
        gl.list_notes(MergeRequestRef(fake_gitlab.api, PROJECT, 5))
    assert fake_gitlab_other.requests == []


def test_errors_carry_status_and_message(fake_gitlab: FakeGitLab) -> None:
    with GitLabClient("wrong", fake_gitlab.api) as gl, pytest.raises(GitLabError, match="HTTP 401 401 Unauthorized"):
        gl.list_notes(MergeRequestRef(fake_gitlab.api, PROJECT, 1))
    with GitLabClient(TOKEN, fake_gitlab.api) as gl, pytest.raises(GitLabError, match="404 Project Not Found"):
        gl.create_note(MergeRequestRef(fake_gitlab.api, "nope/nope", 1), "x")


def test_merge_request_from_env() -> None:
    env = {"CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7"}
    assert merge_request_from_env(env) == MergeRequestRef("https://gitlab.example.com/api/v4", "42", 7)
    assert merge_request_from_env({**env, "CI_MERGE_REQUEST_IID": ""}) is None


def _seed(tmp: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    report = tmp / "TEST-a.xml"
    report.write_text('<testsuite name="a" tests="1"><testcase classname="a.ATest" name="ok"/></testsuite>')
    for i, (commit, branch) in enumerate((("a001", "main"), ("f001", "feature"))):
        assert main(["ingest", "tests", str(report), "--commit", commit, "--branch", branch, "--run-id",
                     f"r{i}", "--job", "test"]) == 0
        report.write_text(report.read_text() + " ")


GL_ENV = ("GITHUB_ACTIONS", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_STEP_SUMMARY",
          "GITLAB_TOKEN", "ARGUS_GITLAB_TOKEN", "CI_MERGE_REQUEST_IID", "CI_API_V4_URL", "CI_PROJECT_ID", "GITLAB_CI")


def test_gate_comment_posts_the_mr_note_in_gitlab_and_warns_on_failure(
    cli_env: dict[str, str], fake_gitlab: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for var in GL_ENV:
        monkeypatch.delenv(var, raising=False)
    _seed(tmp_path)
    fake_gitlab.notes[(PROJECT, 9)] = []
    for k, v in {"GITLAB_CI": "true", "CI_API_V4_URL": fake_gitlab.api, "CI_PROJECT_ID": PROJECT,
                 "CI_MERGE_REQUEST_IID": "9", "ARGUS_GITLAB_TOKEN": TOKEN}.items():
        monkeypatch.setenv(k, v)
    capsys.readouterr()
    code = main(["gate", "--commit", "f001", "--comment", "--no-record"])
    out = capsys.readouterr().out
    assert "MR note created" in out
    assert main(["gate", "--commit", "f001", "--comment", "--no-record"]) == code
    assert len(fake_gitlab.notes[(PROJECT, 9)]) == 1 and "MR note updated" in capsys.readouterr().out
    # a refused token: a warning with the fix, and the gate's own exit code
    monkeypatch.setenv("ARGUS_GITLAB_TOKEN", "read-only")
    assert main(["gate", "--commit", "f001", "--comment", "--no-record"]) == code
    err = capsys.readouterr().err
    assert "warning: comment not posted" in err and "401" in err and "api scope" in err


def test_comment_command_posts_a_markdown_file(
    cli_env: dict[str, str], fake_gitlab: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for var in GL_ENV:
        monkeypatch.delenv(var, raising=False)
    fake_gitlab.notes[(PROJECT, 3)] = []
    for k, v in {"CI_API_V4_URL": fake_gitlab.api, "CI_PROJECT_ID": PROJECT, "CI_MERGE_REQUEST_IID": "3",
                 "GITLAB_TOKEN": TOKEN}.items():
        monkeypatch.setenv(k, v)
    md = tmp_path / "gate.md"
    md.write_text("## gate\nPASS\n")
    assert main(["comment", str(md)]) == 0
    assert main(["comment", str(md)]) == 0
    assert [n["body"] for n in fake_gitlab.notes[(PROJECT, 3)]] == [f"{MARKER}\n## gate\nPASS\n"]
    assert main(["comment", str(tmp_path / "missing.md")]) == 6
