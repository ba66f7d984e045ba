"""PR comment upsert against the fake GitHub REST server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.report.gate import MARKER
from argus.report.github import (
    GitHubClient,
    GitHubError,
    PullRequestRef,
    pull_request_from_env,
    upsert_comment,
)

REPO = "acme/shop"


def test_creates_then_updates_the_same_comment_across_pages(fake_github) -> None:
    for i in range(150):  # two pages of 100: the marker comment, once created, sits on page 2
        fake_github.add_comment(REPO, 7, f"review comment {i}")
    pr = PullRequestRef(REPO, 7)
    with GitHubClient(fake_github.token, fake_github.base_url) as gh:
        action, created = upsert_comment(gh, pr, f"{MARKER}\nfirst", MARKER)
        assert action == "created" and created["user"]["login"] == "github-actions[bot]"
        action, updated = upsert_comment(gh, pr, f"{MARKER}\nsecond", MARKER)
        assert action == "updated" and updated["id"] == created["id"]
        assert len(gh.list_issue_comments(REPO, 7)) == 151
    bodies = [c["body"] for c in fake_github.comments(REPO, 7) if MARKER in c["body"]]
    assert bodies == [f"{MARKER}\nsecond"]
    gets = [p for m, p in fake_github.requests if m == "GET"]
    assert any("page=2" in p for p in gets)  # followed the Link header
    assert ("PATCH", f"/repos/{REPO}/issues/comments/{created['id']}") in fake_github.requests


def test_marker_is_added_when_missing(fake_github) -> None:
    fake_github.add_comment(REPO, 8, "hello")
    with GitHubClient(fake_github.token, fake_github.base_url) as gh:
        upsert_comment(gh, PullRequestRef(REPO, 8), "body without marker", MARKER)
        action, _ = upsert_comment(gh, PullRequestRef(REPO, 8), "again", MARKER)
    assert action == "updated" and len(fake_github.comments(REPO, 8)) == 2


def test_errors_carry_status_and_message(fake_github) -> None:
    fake_github.add_comment(REPO, 9, "x")
    with GitHubClient("wrong", fake_github.base_url) as gh, pytest.raises(GitHubError, match="401 Bad credentials"):
        gh.list_issue_comments(REPO, 9)
    with GitHubClient(fake_github.token, fake_github.base_url) as gh:
        with pytest.raises(GitHubError, match="404 Not Found"):
            gh.create_comment(REPO, 404, "x")
        with pytest.raises(GitHubError, match="404"):
            gh.update_comment(REPO, 1, "x")
    with pytest.raises(Exception, match="no GitHub token"):
        GitHubClient("", fake_github.base_url)


def test_pull_request_from_env(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(event)}
    assert pull_request_from_env(env) == PullRequestRef(REPO, 42)
    assert pull_request_from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_REF": "refs/pull/5/merge"}) == PullRequestRef(REPO, 5)
    assert pull_request_from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_REF": "refs/heads/main"}) is None
    assert pull_request_from_env({}) is None
