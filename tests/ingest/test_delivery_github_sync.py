"""``argus sync github`` against a fake GitHub REST server on 127.0.0.1: pagination through the Link
header, rate-limit answers (429 Retry-After, 403 with X-RateLimit-Remaining 0) waited out, the rows
stored and linked by the DORA rules, and an incremental second sync."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from argus.cli.app import main
from argus.testing.http import serve

REPO = "acme/shop"


class FakeGitHub:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.auth: set[str] = set()
        self.limited: set[str] = set()  # paths already answered with a rate limit once
        self.pulls = [
            {"number": 1, "state": "closed", "title": "feature", "user": {"login": "ann"}, "base": {"ref": "main"},
             "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-02T12:00:00Z",
             "merged_at": "2024-03-01T12:00:00Z", "closed_at": "2024-03-01T12:00:00Z", "merge_commit_sha": "c2"},
            {"number": 2, "state": "open", "title": "wip", "user": {"login": "bob"}, "base": {"ref": "main"},
             "created_at": "2024-03-01T10:00:00Z", "updated_at": "2024-03-01T11:00:00Z", "merged_at": None,
             "closed_at": None, "merge_commit_sha": "zz"},
            {"number": 3, "state": "closed", "title": "old", "user": {"login": "ann"}, "base": {"ref": "main"},
             "created_at": "2024-02-20T09:00:00Z", "updated_at": "2024-02-28T09:00:00Z",
             "merged_at": "2024-02-28T09:00:00Z", "closed_at": "2024-02-28T09:00:00Z", "merge_commit_sha": "c1"},
        ]
        self.reviews: dict[int, list[dict[str, Any]]] = {
            1: [{"id": 7, "user": {"login": "ann"}, "submitted_at": "2024-03-01T09:10:00Z"},
                {"id": 8, "user": {"login": "cid"}, "submitted_at": "2024-03-01T10:00:00Z"},
                {"id": 9, "user": {"login": "cid"}, "submitted_at": None}]}  # pending: no time yet
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.pr_commits = {1: [{"sha": "b1", "commit": {"author": {"date": "2024-03-01T07:00:00Z"}}}]}
        self.runs = [
            {"id": 900, "name": "Deploy production", "status": "completed", "conclusion": "success",
             "head_sha": "c3", "head_branch": "main", "created_at": "2024-03-02T08:55:00Z",
             "run_started_at": "2024-03-02T08:56:00Z", "updated_at": "2024-03-02T10:00:00Z"},
            {"id": 901, "name": "CI", "status": "in_progress", "conclusion": None, "head_sha": "c3",
             "head_branch": "main", "created_at": "2024-03-02T11:00:00Z", "run_started_at": "2024-03-02T11:00:00Z",
             "updated_at": "2024-03-02T11:05:00Z"},
            {"id": 902, "name": "CI", "status": "completed", "conclusion": "cancelled", "head_sha": "c2",
             "head_branch": "main", "created_at": "2024-03-01T12:00:00Z", "run_started_at": "2024-03-01T12:00:00Z",
             "updated_at": "2024-03-01T12:30:00Z"},
        ]
        self.jobs = {900: [{"id": 1, "name": "build", "status": "completed", "conclusion": "success"},
                           {"id": 2, "name": "deploy-prod", "status": "completed", "conclusion": "success"}],
                     902: [{"id": 3, "name": "deploy-prod", "status": "completed", "conclusion": "cancelled"}]}
        self.commits = [  # newest first, as GitHub lists them
            {"sha": "c3", "parents": [{"sha": "c2"}], "commit": {"author": {"date": "2024-03-02T08:00:00Z"},
                                                                 "committer": {"date": "2024-03-02T08:00:00Z"}}},
            {"sha": "c2", "parents": [{"sha": "c1"}], "commit": {"author": {"date": "2024-03-01T08:00:00Z"},
                                                                 "committer": {"date": "2024-03-01T12:00:00Z"}}},
            {"sha": "c1", "parents": [], "commit": {"author": {"date": "2024-02-27T08:00:00Z"},
                                                    "committer": {"date": "2024-02-28T09:00:00Z"}}},
        ]

    def answer(self, path: str, query: dict[str, list[str]], base: str) -> tuple[int, dict[str, str], Any]:
        p = f"/repos/{REPO}"
        if path == f"{p}/pulls":
            if path not in self.limited:
                self.limited.add(path)
                return 429, {"Retry-After": "0"}, {"message": "secondary rate limit"}
            ordered = sorted(self.pulls, key=lambda x: x["updated_at"], reverse=True)
            return self.page(ordered, query, base + path, {"state": "all"})
        parts = path.split("/")
        if path.startswith(f"{p}/pulls/") and path.endswith("/commits"):
            return 200, {}, self.pr_commits.get(int(parts[5]), [])
        if path.startswith(f"{p}/pulls/") and path.endswith("/reviews"):
            return 200, {}, self.reviews.get(int(parts[5]), [])
        if path.startswith(f"{p}/issues/") and path.endswith("/comments"):
            return self.page(self.comments.get(int(parts[5]), []), query, base + path, {})
        if path == f"{p}/actions/runs":
            since = (query.get("created", [">="])[0])[2:]
            runs = [r for r in self.runs if r["created_at"][:10] >= since]
            status, headers, items = self.page(runs, query, base + path, {})
            return status, headers, {"total_count": len(runs), "workflow_runs": items}
        if path.startswith(f"{p}/actions/runs/") and path.endswith("/jobs"):
            jobs = self.jobs.get(int(parts[6]), [])
            return 200, {}, {"total_count": len(jobs), "jobs": jobs}
        if path == f"{p}/deployments":
            if path not in self.limited:
                self.limited.add(path)
                return 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()))}, {}
            return 200, {}, [
                {"id": 11, "sha": "c3", "environment": "production", "task": "deploy",
                 "created_at": "2024-03-02T09:00:00Z"},
                {"id": 10, "sha": "c1", "environment": "production", "task": "deploy",
                 "created_at": "2024-02-28T10:00:00Z"}]
        if path == f"{p}/deployments/11/statuses":
            return 200, {}, [{"state": "success", "created_at": "2024-03-02T10:00:00Z"},
                             {"state": "in_progress", "created_at": "2024-03-02T09:05:00Z"}]
        if path == f"{p}/deployments/10/statuses":
            return 200, {}, [{"state": "success", "created_at": "2024-02-28T10:30:00Z"}]
        if path == f"{p}/commits":
            since = query.get("since", [None])[0]
            rows = [c for c in self.commits if since is None or c["commit"]["committer"]["date"] > since]
            return self.page(rows, query, base + path, {})
        if path == f"{p}/issues":
            assert query.get("labels") == ["incident"]
            return 200, {}, [{"number": 50, "title": "outage", "state": "closed", "created_at": "2024-03-02T11:00:00Z",
                              "closed_at": "2024-03-02T12:00:00Z"},
                             {"number": 1, "title": "a PR", "pull_request": {}, "state": "closed",
                              "created_at": "2024-03-01T09:00:00Z", "closed_at": None}]
        return 404, {}, {"message": "Not Found"}

    @staticmethod
    def page(items: list[Any], query: dict[str, list[str]], url: str,
             keep: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        n = int(query.get("page", ["1"])[0])
        size = 2  # small pages, whatever per_page asks, to exercise the Link header
        headers = {}
        if n * size < len(items):
            extra = "".join(f"&{k}={v}" for k, v in keep.items())
            headers["Link"] = f'<{url}?page={n + 1}{extra}>; rel="next", <{url}?page=9>; rel="last"'
        return 200, headers, items[(n - 1) * size:n * size]


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with fake.lock:
                fake.requests.append(parts.path)
                fake.auth.add(self.headers.get("Authorization") or "")
                base = f"http://{self.headers['Host']}"
                status, headers, body = fake.answer(parts.path, parse_qs(parts.query), base)
            data = json.dumps(body).encode()
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", **headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with serve(Handler) as url:
        yield fake, url


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Any:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_sync_then_incremental_sync(github: tuple[FakeGitHub, str], cli_env: dict[str, str],
                                    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = github
    monkeypatch.setenv("ARGUS_GITHUB_TOKEN", "t0ken")
    assert main(["db", "upgrade"]) == 0
    first = _json(capsys, ["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"])
    assert first["incremental"] is False and fake.auth == {"Bearer t0ken"}
    assert dict(first["rows"])["pull_requests.csv"] == 3 and dict(first["rows"])["commits.csv"] == 3
    assert fake.requests.count(f"/repos/{REPO}/pulls") == 3  # 429 then two pages
    assert fake.requests.count(f"/repos/{REPO}/deployments") == 2  # 403 rate limit, then the answer
    assert dict(first["rows"])["ci_pipelines.csv"] == 3 and dict(first["rows"])["ci_tasks.csv"] == 3
    assert dict(first["rows"])["pr_comments.csv"] == 2  # the pending review has no time: not a comment
    detail = _json(capsys, ["dora", "-p", "shop", "--detail"])
    assert detail["pull_requests"][f"{REPO}#1"] == {
        "coding_time_min": 120, "pickup_time_min": 60, "review_time_min": 120, "deploy_time_min": 1320,
        "cycle_time_min": 120 + 180 + 1320, "deployment_id": f"github:{REPO}:11"}
    assert detail["pull_requests"][f"{REPO}#3"]["deployment_id"] is None  # shipped by the first deployment
    assert detail["incidents"] == {f"{REPO}#50": {"deployment_id": f"github:{REPO}:11"}}
    assert detail["deployments"][f"github:{REPO}:11"] == {"previous_deployment_id": f"github:{REPO}:10"}

    fake.requests.clear()
    fake.pulls[1].update(state="closed", merged_at="2024-03-05T10:00:00Z", updated_at="2024-03-05T10:00:00Z",
                         merge_commit_sha="c3")
    second = _json(capsys, ["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"])
    assert second["incremental"] is True
    assert f"/repos/{REPO}/pulls/2/commits" in fake.requests
    assert f"/repos/{REPO}/pulls/3/commits" not in fake.requests  # older than the last sync: not re-read
    assert dict(second["rows"]).get("commits.csv", 0) == 0  # since= the last sync: nothing new
    prs = _json(capsys, ["prs", "list", "-p", "shop"])
    assert prs["merged_total"] == 3
    assert "ci_pipelines.csv" not in dict(second["rows"])  # only runs created since the day before the last sync


def test_workflow_runs_are_deployments_without_deployment_rows(
        github: tuple[FakeGitHub, str], cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """DevLake's rules on runs: the deploy run (name matches deployment_pattern and production_pattern)
    is a PRODUCTION deployment; a cancelled run with a deploy-prod job counts as a failed one."""
    fake, url = github
    fake.limited.update({f"/repos/{REPO}/pulls", f"/repos/{REPO}/deployments"})
    real = fake.answer
    fake.answer = lambda path, q, base: (200, {}, []) if path == f"/repos/{REPO}/deployments" \
        else real(path, q, base)  # type: ignore[method-assign]
    assert main(["db", "upgrade"]) == 0
    _json(capsys, ["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"])
    detail = _json(capsys, ["dora", "-p", "shop", "--detail"])
    runs = {k: v for k, v in detail["deployments"].items() if v.get("scope") == f"github:{REPO}"}
    assert set(runs) == {f"github:{REPO}:run-900:{REPO}", f"github:{REPO}:run-902:{REPO}"}
    assert runs[f"github:{REPO}:run-900:{REPO}"]["result"] == "SUCCESS"
    assert runs[f"github:{REPO}:run-902:{REPO}"]["result"] == "FAILURE"
    assert runs[f"github:{REPO}:run-900:{REPO}"]["environment"] == "PRODUCTION"
    report = _json(capsys, ["dora", "-p", "shop", "--no-save"])
    assert report["coverage"]["deployment_source"] == "ci_pipelines.csv"


def test_rate_limit_longer_than_allowed_stores_nothing(github: tuple[FakeGitHub, str], cli_env: dict[str, str],
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = github
    monkeypatch.setenv("ARGUS_GITHUB_TOKEN", "t0ken")
    monkeypatch.setenv("ARGUS_DELIVERY__SYNC_MAX_WAIT_S", "0")
    fake.limited.clear()
    real = fake.answer
    fake.answer = lambda path, q, base: (429, {"Retry-After": "3600"}, {})  # type: ignore[method-assign]
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"]) == 7
    assert "rate limit" in capsys.readouterr().err
    fake.answer = real  # type: ignore[method-assign]
    assert _json(capsys, ["prs", "list", "-p", "shop"])["merged_total"] == 0
