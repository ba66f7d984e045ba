"""``argus sync gitlab`` (delivery) against a fake GitLab REST v4 server on 127.0.0.1: X-Next-Page
pagination (no Link header), a 429 with RateLimit-Reset waited out, merge requests / notes / deployments
/ pipelines / jobs / incidents / commits stored in the delivery tables and linked by the DORA rules, an
incremental second sync (updated_after), and deployments derived from pipelines when GitLab has no
deployment rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from argus.cli.app import main
from argus.testing.cli import CliJson
from argus.testing.http import FakeAnswer, FakeRequest, serve_json

PATH = "acme/shop"
P = "/api/v4/projects/acme%2Fshop"


def _mr(iid: int, state: str, author: int, created: str, updated: str, merged: str | None,
        sha: str | None) -> dict[str, Any]:
    return {"iid": iid, "id": 1000 + iid, "state": state, "title": f"mr {iid}", "author": {"id": author},
            "target_branch": "main", "source_branch": f"feature-{iid}", "created_at": created, "updated_at": updated,
            "merged_at": merged, "closed_at": None, "merge_commit_sha": None, "squash_commit_sha": sha,
            "description": ""}


class FakeGitLab:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.tokens: set[str] = set()
        self.limited = False
        self.mrs = [
            _mr(3, "merged", 1, "2024-02-20T09:00:00Z", "2024-02-28T09:00:00Z", "2024-02-28T09:00:00Z", "c1"),
            _mr(2, "opened", 2, "2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", None, None),
            _mr(1, "merged", 1, "2024-03-01T10:00:00.000+01:00", "2024-03-02T12:00:00Z", "2024-03-01T12:00:00Z",
                "c2"),
        ]
        self.deployments: list[dict[str, Any]] = [
            {"id": 10, "iid": 1, "sha": "c1", "status": "success", "created_at": "2024-02-28T10:00:00Z",
             "updated_at": "2024-02-28T10:30:00Z", "finished_at": "2024-02-28T10:30:00Z",
             "environment": {"name": "prod-eu", "tier": "production"},
             "deployable": {"name": "deploy-prod", "started_at": "2024-02-28T10:00:00Z", "pipeline": {"id": 99}}},
            {"id": 12, "iid": 3, "sha": "c2", "status": "failed", "created_at": "2024-03-01T20:00:00Z",
             "updated_at": "2024-03-01T20:10:00Z", "finished_at": "2024-03-01T20:10:00Z",
             "environment": {"name": "production"}, "deployable": None},
            {"id": 11, "iid": 2, "sha": "c3", "status": "success", "created_at": "2024-03-02T08:50:00Z",
             "updated_at": "2024-03-02T10:00:00Z", "finished_at": "2024-03-02T10:00:00Z",
             "environment": {"name": "live", "tier": "production"},
             "deployable": {"name": "deploy-prod", "started_at": "2024-03-02T09:00:00Z", "pipeline": {"id": 101}}},
        ]
        self.pipelines = [
            {"id": 100, "sha": "c1", "ref": "main", "status": "success", "created_at": "2024-02-28T09:50:00Z",
             "started_at": "2024-02-28T10:00:00Z", "finished_at": "2024-02-28T10:30:00Z", "duration": 1800,
             "updated_at": "2024-02-28T10:30:00Z"},
            {"id": 101, "sha": "c3", "ref": "main", "status": "success", "created_at": "2024-03-02T08:50:00Z",
             "started_at": None, "finished_at": "2024-03-02T10:00:00Z", "duration": 3600,
             "updated_at": "2024-03-02T10:00:00Z"},
        ]
        self.jobs = {100: [{"id": 1, "name": "build", "status": "success"},
                           {"id": 2, "name": "deploy-prod", "status": "success"}],
                     101: [{"id": 3, "name": "build", "status": "success"},
                           {"id": 4, "name": "deploy-prod", "status": "success"},
                           {"id": 5, "name": "deploy-staging", "status": "skipped"}]}
        self.commits = [
            {"id": "c3", "parent_ids": ["c2"], "authored_date": "2024-03-02T08:00:00Z",
             "committed_date": "2024-03-02T08:00:00Z"},
            {"id": "c2", "parent_ids": ["c1"], "authored_date": "2024-03-01T08:00:00Z",
             "committed_date": "2024-03-01T12:00:00Z"},
            {"id": "c1", "parent_ids": [], "authored_date": "2024-02-27T08:00:00Z",
             "committed_date": "2024-02-28T09:00:00Z"},
        ]

    def handle(self, req: FakeRequest) -> FakeAnswer:
        with self.lock:
            self.requests.append((req.path, req.query))
            self.tokens.add(req.headers.get("PRIVATE-TOKEN") or "")
            return self.answer(req.path, req.query)

    def answer(self, path: str, q: dict[str, list[str]]) -> FakeAnswer:
        after = q.get("updated_after", [""])[0]
        if path == P:
            return 200, {}, {"id": 7, "path_with_namespace": PATH, "default_branch": "main"}
        if path == f"{P}/merge_requests":
            if not self.limited:
                self.limited = True
                return 429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()))}, {}
            assert q.get("state") == ["all"] and q.get("order_by") == ["updated_at"]
            rows = sorted((m for m in self.mrs if m["updated_at"] > after), key=lambda m: m["updated_at"])
            return self.page(rows, q)
        if path == f"{P}/merge_requests/1/commits":
            return 200, {}, [{"id": "b1", "authored_date": "2024-03-01T07:00:00Z"}]
        if path == f"{P}/merge_requests/1/notes":
            return self.page([
                {"id": 70, "system": True, "author": {"id": 2, "username": "cid"}, "created_at": "2024-03-01T09:05:00Z"},
                {"id": 71, "system": False, "author": {"id": 1, "username": "ann"}, "created_at": "2024-03-01T09:10:00Z"},
                {"id": 72, "system": False, "author": {"id": 2, "username": "cid"}, "created_at": "2024-03-01T10:00:00Z"},
            ], q)
        if path.startswith(f"{P}/merge_requests/"):
            return 200, {}, []
        if path == f"{P}/deployments":
            return self.page([d for d in self.deployments if d["updated_at"] > after], q)
        if path == f"{P}/pipelines":
            return self.page([p for p in self.pipelines if p["updated_at"] > after], q)
        for p in self.pipelines:
            if path == f"{P}/pipelines/{p['id']}":
                return 200, {}, p
            if path == f"{P}/pipelines/{p['id']}/jobs":
                return self.page(self.jobs[p["id"]], q)
        if path == f"{P}/repository/commits":
            assert q.get("ref_name") == ["main"]
            since = q.get("since", [""])[0]
            return self.page([c for c in self.commits if c["committed_date"] > since], q)
        if path == f"{P}/issues":
            assert q.get("issue_type") == ["incident"]
            return 200, {}, [{"iid": 50, "title": "outage", "state": "closed", "created_at": "2024-03-02T11:00:00Z",
                              "closed_at": "2024-03-02T12:00:00Z", "updated_at": "2024-03-02T12:00:00Z"}]
        return 404, {}, {"message": "404 Not Found"}

    @staticmethod
    def page(items: list[Any], q: dict[str, list[str]]) -> FakeAnswer:
        n = int(q.get("page", ["1"])[0])
        size = 2  # small pages whatever per_page asks, to exercise X-Next-Page
        more = n * size < len(items)
        return 200, {"X-Next-Page": str(n + 1) if more else "", "X-Page": str(n)}, items[(n - 1) * size:n * size]


@pytest.fixture
def gitlab() -> Iterator[tuple[FakeGitLab, str]]:
    fake = FakeGitLab()
    with serve_json(fake.handle) as url:
        yield fake, url + "/api/v4"


SYNC = ["sync", "gitlab", "--gitlab-project", PATH, "-p", "shop", "--no-issues"]


def test_sync_then_incremental_sync(gitlab: tuple[FakeGitLab, str], cli_env: dict[str, str],
                                    cli_json: CliJson, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = gitlab
    monkeypatch.setenv("ARGUS_ISSUES__GITLAB_TOKEN", "glpat")
    assert main(["db", "upgrade"]) == 0
    first = cli_json([*SYNC, "--url", url])
    assert first["incremental"] is False and fake.tokens == {"glpat"}
    rows = dict(first["rows"])
    assert rows["pull_requests.csv"] == 3 and rows["deployments.csv"] == 3 and rows["ci_pipelines.csv"] == 2
    assert rows["ci_tasks.csv"] == 5 and rows["commits.csv"] == 3 and rows["incidents.csv"] == 1
    assert rows["pr_comments.csv"] == 2  # the system note is not a comment
    mr_reads = [r for r in fake.requests if r[0] == f"{P}/merge_requests"]
    assert len(mr_reads) == 3  # the 429, then two pages of two
    assert [r[1].get("page") for r in mr_reads[1:]] == [None, ["2"]]

    detail = cli_json(["dora", "-p", "shop", "--detail"])
    assert detail["pull_requests"][f"{PATH}!1"] == {
        "coding_time_min": 120, "pickup_time_min": 60, "review_time_min": 120, "deploy_time_min": 1320,
        "cycle_time_min": 120 + 180 + 1320, "deployment_id": f"gitlab:{PATH}:11"}
    assert detail["pull_requests"][f"{PATH}!3"]["deployment_id"] is None  # the first deployment ships nothing
    assert f"{PATH}!2" not in detail["pull_requests"]  # not merged
    # an incident belongs to the deployment (DevLake: cicd_deployment), i.e. the group: the pipeline
    assert detail["incidents"] == {f"{PATH}#50": {"deployment_id": f"gitlab:{PATH}:pipeline-101"}}
    # the failed deployment 12 is skipped without breaking the chain
    assert detail["deployments"][f"gitlab:{PATH}:11"] == {"previous_deployment_id": f"gitlab:{PATH}:10"}
    report = cli_json(["dora", "-p", "shop", "--no-save"])
    assert report["coverage"]["deployment_source"] == "deployments.csv"

    fake.requests.clear()
    fake.mrs[1].update(state="merged", merged_at="2024-03-05T10:00:00Z", updated_at="2099-03-05T10:00:00Z",
                       squash_commit_sha="c3")
    second = cli_json([*SYNC, "--url", url])
    assert second["incremental"] is True
    mr_query = next(q for p, q in fake.requests if p == f"{P}/merge_requests")
    assert mr_query["updated_after"] == ["2024-03-02T12:00:00Z"]  # the newest updated_at of the first sync
    assert f"{P}/merge_requests/2/commits" in [p for p, _ in fake.requests]
    assert f"{P}/merge_requests/3/commits" not in [p for p, _ in fake.requests]
    assert all("updated_after" in q for p, q in fake.requests if p in (f"{P}/deployments", f"{P}/pipelines"))
    assert dict(second["rows"]).get("commits.csv", 0) == 0
    prs = cli_json(["prs", "list", "-p", "shop"])
    assert prs["merged_total"] == 3


def test_deployments_from_pipelines_when_gitlab_has_none(gitlab: tuple[FakeGitLab, str], cli_env: dict[str, str],
                                                         cli_json: CliJson) -> None:
    fake, url = gitlab
    fake.deployments = []
    assert main(["db", "upgrade"]) == 0
    cli_json([*SYNC, "--url", url])
    detail = cli_json(["dora", "-p", "shop", "--detail"])
    key = f"gitlab:{PATH}:101:{PATH}"
    d = detail["deployments"][key]
    assert d["previous_deployment_id"] == f"gitlab:{PATH}:100:{PATH}"
    assert d["environment"] == "PRODUCTION" and d["result"] == "SUCCESS" and d["commit_sha"] == "c3"
    assert d["started_at"].startswith("2024-03-02T09:00:00")  # no start time: finish minus duration
    assert detail["pull_requests"][f"{PATH}!1"]["deployment_id"] == key


def test_bad_pattern_is_a_config_error(gitlab: tuple[FakeGitLab, str], cli_env: dict[str, str],
                                       capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_DELIVERY__DEPLOYMENT_PATTERN", "(unclosed")
    assert main([*SYNC, "--url", gitlab[1]]) == 2
    assert "regular expression" in capsys.readouterr().err
