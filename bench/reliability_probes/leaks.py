"""Leaks and half-written output: the GitHub token stays on the API origin, a failed PR comment never changes
the gate's exit code, and ``argus simulate`` output appears only when complete.

The GitHub API is a small fake on 127.0.0.1 (a port chosen by the OS); a second server on another port
plays "another host" and records every request it receives and the ``Authorization`` header it carried.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from argus.testing.http import serve
from argus.testing.reports import lcov
from reliability_probes.common import COMMAND_TIMEOUT_S, ProbeEnv, sha

TOKEN = "ghs_probe_token_0123456789"
REPO, PR = "acme/shop", 12


@dataclass
class Server:
    """A recording HTTP server; ``behave(handler)`` answers each request."""

    url: str = ""
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Authorization
    fault: str | None = None
    next_link: str | None = None
    redirect_to: str = ""
    comments: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _json(h: BaseHTTPRequestHandler, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(doc).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(data)


def _github(state: Server, h: BaseHTTPRequestHandler) -> None:
    """Issue-comment endpoints of GitHub's REST API, with the configured misbehaviour."""
    fault = state.fault
    if h.headers.get("Authorization") != f"Bearer {TOKEN}":
        return _json(h, 401, {"message": "Bad credentials"})
    if h.command in ("POST", "PATCH"):
        n = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(n) or b"{}")
    if fault == "forbid_writes" and h.command != "GET":
        return _json(h, 403, {"message": "Resource not accessible by integration"})
    if fault == "html":
        data = b"<html>proxy login</html>"
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        return None
    if fault == "object":
        return _json(h, 200, {"items": []})
    if fault == "redirect":
        h.send_response(302)
        h.send_header("Location", state.redirect_to)
        h.send_header("Content-Length", "0")
        h.end_headers()
        return None
    if fault == "500":
        return _json(h, 500, {"message": "Server Error"})
    if fault == "hang":
        state.release.wait(60)
        return None
    if h.command == "GET":
        headers = {"Link": f'<{state.next_link}>; rel="next"'} if state.next_link else {}
        return _json(h, 200, state.comments, headers)
    comment = {"id": 5000 + len(state.comments), "body": body.get("body"), "html_url": "https://github/x"}
    state.comments.append(comment)
    return _json(h, 201 if h.command == "POST" else 200, comment)


def _stranger(state: Server, h: BaseHTTPRequestHandler) -> None:
    _json(h, 200, [], {"Link": f'<{state.url}/steal?n={len(state.requests)}>; rel="next"'})


@contextmanager
def _serve(kind: str) -> Iterator[Server]:
    state = Server()
    answer = _github if kind == "github" else _stranger

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization")))
            answer(state, self)

        do_GET = do_POST = do_PATCH = _any

    with serve(Handler, on_stop=state.release.set) as url:
        state.url = url
        yield state


def _lcov(env: ProbeEnv, name: str, covered: int) -> str:
    path = env.workdir / name
    path.write_text(lcov(covered))
    return str(path)


def _passing_build(env: ProbeEnv) -> None:
    assert env.run("db", "upgrade").code == 0
    for i, cov in enumerate((90, 91, 89)):
        r = env.run("ingest", "coverage", _lcov(env, f"m{i}.info", cov), "--commit", sha(f"m{i}"), "--branch", "main",
                    "--run-id", f"r{i}")
        assert r.code == 0, r.explain()
    r = env.run("ingest", "coverage", _lcov(env, "pr.info", 91), "--commit", sha("pr"), "--branch", "feature")
    assert r.code == 0, r.explain()


def _gate_with_comment(env: ProbeEnv, api: str) -> Any:
    env.env.update({"ARGUS_GITHUB_API_URL": api, "GITHUB_TOKEN": TOKEN})
    return env.run("gate", "--commit", sha("pr"), "--comment", "--pr", str(PR), "--github-repo", REPO, "--no-record")


def _no_token_elsewhere(stranger: Server) -> None:
    leaked = [r for r in stranger.requests if r[2]]
    assert not stranger.requests, f"{len(stranger.requests)} request(s) to another origin, {len(leaked)} with a token"


def probe_comment_next_link_to_another_host(env: ProbeEnv) -> None:
    """Issue 11 item 9: a Link rel="next" to another port got the token 49 times."""
    _passing_build(env)
    with _serve("github") as gh, _serve("stranger") as other:
        gh.comments = [{"id": 1, "body": "LGTM"}]
        gh.next_link = f"{other.url}/repos/{REPO}/issues/{PR}/comments?page=2"
        r = _gate_with_comment(env, gh.url)
        _no_token_elsewhere(other)
        assert r.code == 0, r.explain()  # the gate passed; the comment failing does not change that
        assert "another origin" in r.stderr and "Traceback" not in r.stderr, r.explain()
        assert [m for m, _, _ in gh.requests] == ["GET"], gh.requests  # nothing posted from a partial listing


def probe_comment_faults_are_warnings(env: ProbeEnv) -> None:
    """Non-JSON 200, an object instead of a list, a 302 to another host, 5xx, 403 (fork PR), a dead port:
    each one warning line, no traceback, exit code of the gate (0 here)."""
    _passing_build(env)
    with _serve("github") as gh, _serve("stranger") as other:
        gh.redirect_to = f"{other.url}/steal"
        for fault, expected in (("html", "not JSON"), ("object", "expected a JSON list"), ("redirect", "HTTP 302"),
                                ("500", "HTTP 500"), ("forbid_writes", "pull-requests: write")):
            gh.fault = fault
            r = _gate_with_comment(env, gh.url)
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            assert r.code == 0 and len(lines) == 1 and expected in r.stderr, f"{fault}: {r.explain()}"
            assert lines[0].startswith("warning: PR comment not posted"), f"{fault}: {r.explain()}"
        _no_token_elsewhere(other)
        dead = other.url.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
        r = _gate_with_comment(env, dead)
        assert r.code == 0 and r.stderr.startswith("warning:") and "Traceback" not in r.stderr, r.explain()
        gh.fault = None
        r = _gate_with_comment(env, gh.url)
        assert r.code == 0 and "PR comment created" in r.stdout, r.explain()


def probe_comment_timeout(env: ProbeEnv) -> None:
    """A GitHub API that accepts the connection and never answers: a warning after the client timeout."""
    _passing_build(env)
    with _serve("github") as gh:
        gh.fault = "hang"
        r = _gate_with_comment(env, gh.url)
        assert r.code == 0 and "timed out" in r.stderr and "Traceback" not in r.stderr, r.explain()


def _count_commits(repo: Path) -> int:
    out = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "--all"], capture_output=True, text=True)
    return int(out.stdout.strip())


SIM = ("--scale", "small", "--days", "2", "--tests", "30")


def probe_simulate_relative_out_force_and_ingest(env: ProbeEnv) -> None:
    """Issue 10 §6: ``simulate --out sim`` crashed, ``--force`` then failed in fast-import."""
    r = env.run("simulate", "--out", "sim", *SIM, "--seed", "3")
    assert r.code == 0, r.explain()
    r = env.run("simulate", "--out", "sim", *SIM, "--seed", "4", "--force", "--json")
    assert r.code == 0, r.explain()
    project = json.loads(r.stdout)["projects"][0]
    manifest = json.loads((env.workdir / "sim" / "manifest.json").read_text())
    assert manifest["seed"] == 4
    repo = Path("sim") / project["name"] / "repo"
    assert _count_commits(env.workdir / repo) == project["commits"]
    assert env.run("db", "upgrade").code == 0
    r = env.run("ingest", "git", "--repo", str(repo), "-p", "p", "--no-szz")
    assert r.code == 0, r.explain()
    head = subprocess.run(["git", "-C", str(env.workdir / repo), "rev-list", "--count", "HEAD"], capture_output=True,
                          text=True).stdout
    assert env.scalar('SELECT count(*) FROM "commit"') == int(head), r.explain()


def probe_simulate_killed_midway_leaves_nothing_readable(env: ProbeEnv) -> None:
    """kill -9 while runs are written: ``--out`` never holds a half-written tree; the next run succeeds."""
    proc = env.start("simulate", "--out", "sim", *SIM, "--seed", "3")
    assert proc.stderr is not None
    try:
        for line in proc.stderr:  # progress lines: wait for the writing stage, then kill
            if "writing runs" in line:
                proc.kill()
                break
    finally:
        proc.kill()
        proc.wait(COMMAND_TIMEOUT_S)
    out = env.workdir / "sim"
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())
    assert env.run("db", "upgrade").code == 0
    r = env.run("ingest", "git", "--repo", "sim/acme-billing/repo", "-p", "p")
    assert r.code != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.explain()
    r = env.run("simulate", "--out", "sim", *SIM, "--seed", "3")
    assert r.code == 0 and (out / "manifest.json").is_file(), r.explain()
