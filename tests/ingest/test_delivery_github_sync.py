"""``argus sync github`` against a fake GitHub REST server on 127.0.0.1: pagination through the Link
header, rate-limit answers (429 Retry-After, 403 with X-RateLimit-Remaining 0) waited out, the rows
stored and linked by the DORA rules, and an incremental second sync."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from argus.cli.app import main
from argus.testing.cli import CliJson
from argus.testing.http import FakeAnswer, FakeRequest, serve_json

REPO = "acme/shop"

#: The part of GitHub's public GraphQL schema (schema.docs.graphql) the sync reads, with the same
#: names, types, nullability and arguments, so a query that GitHub would refuse is refused here too.
GITHUB_SDL = """
scalar DateTime
scalar GitObjectID
enum PullRequestState { OPEN CLOSED MERGED }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum OrderDirection { ASC DESC }
input IssueOrder { field: IssueOrderField! direction: OrderDirection! }
type RateLimit { cost: Int! limit: Int! remaining: Int! resetAt: DateTime! used: Int! }
type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }
interface Actor { login: String! }
type User implements Actor { login: String! }
type Bot implements Actor { login: String! }
type Commit { oid: GitObjectID! authoredDate: DateTime! committedDate: DateTime! }
type PullRequestCommit { commit: Commit! }
type PullRequestCommitConnection { nodes: [PullRequestCommit] pageInfo: PageInfo! totalCount: Int! }
type PullRequestReview { databaseId: Int author: Actor submittedAt: DateTime state: String! }
type PullRequestReviewConnection { nodes: [PullRequestReview] pageInfo: PageInfo! totalCount: Int! }
type IssueComment { databaseId: Int author: Actor createdAt: DateTime! }
type IssueCommentConnection { nodes: [IssueComment] pageInfo: PageInfo! totalCount: Int! }
type PullRequest {
  number: Int! title: String! body: String! state: PullRequestState! createdAt: DateTime! updatedAt: DateTime!
  mergedAt: DateTime closedAt: DateTime baseRefName: String! headRefName: String! author: Actor
  mergeCommit: Commit
  commits(after: String, before: String, first: Int, last: Int): PullRequestCommitConnection!
  reviews(after: String, before: String, first: Int, last: Int, author: String): PullRequestReviewConnection
  comments(after: String, before: String, first: Int, last: Int): IssueCommentConnection!
}
type PullRequestConnection { nodes: [PullRequest] pageInfo: PageInfo! totalCount: Int! }
type Repository {
  pullRequests(after: String, before: String, first: Int, last: Int, states: [PullRequestState!],
               orderBy: IssueOrder, baseRefName: String, headRefName: String): PullRequestConnection!
}
type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}
"""


def _connection(items: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
    """GitHub's cursor pagination: ``first`` is required and at most 100; cursors are opaque."""
    import base64

    if first is None:
        raise ValueError("You must provide a `first` or `last` value to properly paginate the connection.")
    if not 1 <= first <= 100:
        raise ValueError(f"Requesting {first} records on the connection exceeds the `first` limit of 100 records.")
    start = int(base64.b64decode(after).decode().split(":")[-1]) if after else 0
    chunk = items[start:start + first]
    end = start + len(chunk)
    return {"nodes": chunk, "totalCount": len(items),
            "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                         "startCursor": base64.b64encode(f"cursor:v2:{start}".encode()).decode(),
                         "endCursor": base64.b64encode(f"cursor:v2:{end}".encode()).decode()}}


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

    def handle_get(self, req: FakeRequest) -> FakeAnswer:
        with self.lock:
            self.requests.append(req.path)
            self.auth.add(req.headers.get("Authorization") or "")
            return self.answer(req.path, req.query, req.base)

    def handle_post(self, req: FakeRequest) -> FakeAnswer:
        body = json.loads(req.body or b"{}")
        with self.lock:
            self.requests.append(req.path)
            self.auth.add(req.headers.get("Authorization") or "")
            limited = "/graphql" not in self.limited
            self.limited.add("/graphql")
        if req.path != "/graphql":
            return 404, {}, {"message": "Not Found"}
        if limited:  # the primary rate limit, once
            return 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()))}, {}
        return 200, {}, self.graphql(body)

    def answer(self, path: str, query: dict[str, list[str]], base: str) -> FakeAnswer:
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

    def graphql(self, body: dict[str, Any]) -> dict[str, Any]:
        """Execute the query against GITHUB_SDL over this fake's data (what GitHub's answer would hold)."""
        import graphql

        schema = graphql.build_schema(GITHUB_SDL)
        schema.type_map["Actor"].resolve_type = lambda obj, info, t: "User"  # type: ignore[attr-defined]
        fields = {name: schema.type_map[name].fields for name in  # type: ignore[attr-defined]
                  ("Query", "Repository", "PullRequest")}

        def repository(_: Any, info: Any, owner: str, name: str, **kw: Any) -> Any:
            return {} if f"{owner}/{name}" == REPO else None

        def pull_requests(_: Any, info: Any, first: int | None = None, after: str | None = None,
                          orderBy: dict[str, str] | None = None, **kw: Any) -> Any:
            key = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at"}[(orderBy or {}).get("field", "CREATED_AT")]
            ordered = sorted(self.pulls, key=lambda x: x[key], reverse=(orderBy or {}).get("direction") == "DESC")
            return _connection([self.pr_node(p) for p in ordered], first, after)

        def nested(key: str) -> Any:
            def resolve(pr: dict[str, Any], info: Any, first: int | None = None, after: str | None = None,
                        **kw: Any) -> Any:
                return _connection(pr["_" + key], first, after)
            return resolve

        fields["Query"]["repository"].resolve = repository
        fields["Query"]["rateLimit"].resolve = lambda *a, **k: {
            "cost": 1, "limit": 5000, "remaining": 4999, "resetAt": "2030-01-01T00:00:00Z", "used": 1}
        fields["Repository"]["pullRequests"].resolve = pull_requests
        for key in ("commits", "reviews", "comments"):
            fields["PullRequest"][key].resolve = nested(key)
        result = graphql.graphql_sync(schema, body.get("query") or "", variable_values=body.get("variables"))
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [{"message": e.message, "type": "INVALID"} for e in result.errors]
        return out

    def pr_node(self, p: dict[str, Any]) -> dict[str, Any]:
        n = p["number"]
        state = "MERGED" if p["merged_at"] else p["state"].upper()
        return {
            "number": n, "title": p["title"], "body": p.get("body") or "", "state": state,
            "createdAt": p["created_at"], "updatedAt": p["updated_at"], "mergedAt": p["merged_at"],
            "closedAt": p["closed_at"], "baseRefName": p["base"]["ref"], "headRefName": f"feature-{n}",
            "author": {"login": p["user"]["login"]},
            "mergeCommit": {"oid": p["merge_commit_sha"], "authoredDate": p["created_at"],
                            "committedDate": p["created_at"]} if p["merged_at"] else None,
            "_commits": [{"commit": {"oid": c["sha"], "authoredDate": c["commit"]["author"]["date"],
                                     "committedDate": c["commit"]["author"]["date"]}}
                         for c in self.pr_commits.get(n, [])],
            "_reviews": [{"databaseId": r["id"], "author": {"login": r["user"]["login"]},
                          "submittedAt": r["submitted_at"], "state": "COMMENTED"} for r in self.reviews.get(n, [])],
            "_comments": [{"databaseId": c["id"], "author": {"login": c["user"]["login"]},
                           "createdAt": c["created_at"]} for c in self.comments.get(n, [])],
        }

    @staticmethod
    def page(items: list[Any], query: dict[str, list[str]], url: str,
             keep: dict[str, str]) -> FakeAnswer:
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
    with serve_json(fake.handle_get, fake.handle_post) as url:
        yield fake, url


def test_sync_then_incremental_sync(github: tuple[FakeGitHub, str], cli_env: dict[str, str],
                                    cli_json: CliJson, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = github
    monkeypatch.setenv("ARGUS_GITHUB_TOKEN", "t0ken")
    assert main(["db", "upgrade"]) == 0
    first = cli_json(["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"])
    assert first["incremental"] is False and fake.auth == {"Bearer t0ken"}
    assert dict(first["rows"])["pull_requests.csv"] == 3 and dict(first["rows"])["commits.csv"] == 3
    assert fake.requests.count(f"/repos/{REPO}/pulls") == 3  # 429 then two pages
    assert fake.requests.count(f"/repos/{REPO}/deployments") == 2  # 403 rate limit, then the answer
    assert dict(first["rows"])["ci_pipelines.csv"] == 3 and dict(first["rows"])["ci_tasks.csv"] == 3
    assert dict(first["rows"])["pr_comments.csv"] == 2  # the pending review has no time: not a comment
    detail = cli_json(["dora", "-p", "shop", "--detail"])
    assert detail["pull_requests"][f"{REPO}#1"] == {
        "coding_time_min": 120, "pickup_time_min": 60, "review_time_min": 120, "deploy_time_min": 1320,
        "cycle_time_min": 120 + 180 + 1320, "deployment_id": f"github:{REPO}:11"}
    assert detail["pull_requests"][f"{REPO}#3"]["deployment_id"] is None  # shipped by the first deployment
    assert detail["incidents"] == {f"{REPO}#50": {"deployment_id": f"github:{REPO}:11"}}
    assert detail["deployments"][f"github:{REPO}:11"] == {"previous_deployment_id": f"github:{REPO}:10"}

    fake.requests.clear()
    fake.pulls[1].update(state="closed", merged_at="2024-03-05T10:00:00Z", updated_at="2024-03-05T10:00:00Z",
                         merge_commit_sha="c3")
    second = cli_json(["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"])
    assert second["incremental"] is True
    assert f"/repos/{REPO}/pulls/2/commits" in fake.requests
    assert f"/repos/{REPO}/pulls/3/commits" not in fake.requests  # older than the last sync: not re-read
    assert dict(second["rows"]).get("commits.csv", 0) == 0  # since= the last sync: nothing new
    prs = cli_json(["prs", "list", "-p", "shop"])
    assert prs["merged_total"] == 3
    assert "ci_pipelines.csv" not in dict(second["rows"])  # only runs created since the day before the last sync


def test_workflow_runs_are_deployments_without_deployment_rows(
        github: tuple[FakeGitHub, str], cli_env: dict[str, str], cli_json: CliJson) -> None:
    """DevLake's rules on runs: the deploy run (name matches deployment_pattern and production_pattern)
    is a PRODUCTION deployment; a cancelled run with a deploy-prod job counts as a failed one."""
    fake, url = github
    fake.limited.update({f"/repos/{REPO}/pulls", f"/repos/{REPO}/deployments"})
    real = fake.answer
    fake.answer = lambda path, q, base: (200, {}, []) if path == f"/repos/{REPO}/deployments" \
        else real(path, q, base)  # type: ignore[method-assign]
    assert main(["db", "upgrade"]) == 0
    cli_json(["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues"])
    detail = cli_json(["dora", "-p", "shop", "--detail"])
    runs = {k: v for k, v in detail["deployments"].items() if v.get("scope") == f"github:{REPO}"}
    assert set(runs) == {f"github:{REPO}:run-900:{REPO}", f"github:{REPO}:run-902:{REPO}"}
    assert runs[f"github:{REPO}:run-900:{REPO}"]["result"] == "SUCCESS"
    assert runs[f"github:{REPO}:run-902:{REPO}"]["result"] == "FAILURE"
    assert runs[f"github:{REPO}:run-900:{REPO}"]["environment"] == "PRODUCTION"
    report = cli_json(["dora", "-p", "shop", "--no-save"])
    assert report["coverage"]["deployment_source"] == "ci_pipelines.csv"


def test_rate_limit_longer_than_allowed_stores_nothing(github: tuple[FakeGitHub, str], cli_env: dict[str, str],
                                                        capsys: pytest.CaptureFixture[str], cli_json: CliJson,
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
    assert cli_json(["prs", "list", "-p", "shop"])["merged_total"] == 0


def test_graphql_sync_matches_rest(github: tuple[FakeGitHub, str], cli_env: dict[str, str],
                                   cli_json: CliJson, monkeypatch: pytest.MonkeyPatch) -> None:
    """--graphql: the same rows as REST in far fewer requests; cursor pagination over 63 PRs (pages of
    50); a merged PR with more than 100 comments gets its comments from REST, none cut."""
    fake, url = github
    monkeypatch.setenv("ARGUS_GITHUB_TOKEN", "t0ken")
    fake.limited.update({f"/repos/{REPO}/pulls", f"/repos/{REPO}/deployments"})
    for n in range(100, 160):  # open PRs, updated long before the others
        fake.pulls.append({"number": n, "state": "open", "title": f"open {n}", "user": {"login": "dan"},
                           "base": {"ref": "main"}, "created_at": "2023-01-01T00:00:00Z",
                           "updated_at": f"2023-01-01T00:{n - 100:02d}:00Z", "merged_at": None, "closed_at": None,
                           "merge_commit_sha": None})
    fake.comments[3] = [{"id": 5000 + i, "user": {"login": "eve"}, "created_at": "2024-02-21T09:00:00Z"}
                        for i in range(101)]
    assert main(["db", "upgrade"]) == 0
    first = cli_json(["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues",
                           "--graphql"])
    rows = dict(first["rows"])
    assert rows["pull_requests.csv"] == 63 and rows["pr_comments.csv"] == 2 + 101
    assert fake.requests.count("/graphql") == 3  # a 403 rate limit, then two pages (50 + 13)
    assert not any(r.startswith(f"/repos/{REPO}/pulls") for r in fake.requests)
    assert fake.requests.count(f"/repos/{REPO}/issues/3/comments") == 51  # REST fallback, pages of two
    assert f"/repos/{REPO}/pulls/3/reviews" not in fake.requests  # only the list that was too long
    detail = cli_json(["dora", "-p", "shop", "--detail"])
    assert detail["pull_requests"][f"{REPO}#1"] == {
        "coding_time_min": 120, "pickup_time_min": 60, "review_time_min": 120, "deploy_time_min": 1320,
        "cycle_time_min": 120 + 180 + 1320, "deployment_id": f"github:{REPO}:11"}

    fake.requests.clear()
    fake.pulls[1].update(state="closed", merged_at="2024-03-05T10:00:00Z", updated_at="2024-03-05T10:00:00Z",
                         merge_commit_sha="c3")
    second = cli_json(["sync", "github", "--repo", REPO, "--api-url", url, "-p", "shop", "--no-issues",
                            "--graphql"])
    assert second["incremental"] is True and fake.requests.count("/graphql") == 1  # stops at the cursor
    assert dict(second["rows"])["pull_requests.csv"] == 2  # the changed PR, and the one at the cursor itself


def test_graphql_query_is_valid_against_the_schema() -> None:
    """The query the sync sends validates against the schema subset (same names and types as GitHub's)."""
    import graphql

    from argus.ingest.delivery.github_graphql import PULLS_QUERY

    errors = graphql.validate(graphql.build_schema(GITHUB_SDL), graphql.parse(PULLS_QUERY))
    assert errors == []
