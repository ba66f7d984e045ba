"""PR comment upsert against the fake GitHub REST server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.core.errors import InputError
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
    with GitHubClient(fake_github.token, fake_github.base_url) as gh, pytest.raises(GitHubError, match="404 Not Found"):
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


# --- the token never leaves the configured API origin; odd answers are one-line errors ---------------------


def test_next_link_to_another_origin_is_refused_and_gets_no_token(fake_github, stranger) -> None:
    fake_github.add_comment(REPO, 3, "x")
    fake_github.next_link = f"{stranger.url}/repos/{REPO}/issues/3/comments?page=2"
    with GitHubClient(fake_github.token, fake_github.base_url) as gh, pytest.raises(GitHubError, match="another origin"):
        upsert_comment(gh, PullRequestRef(REPO, 3), f"{MARKER}\nbody", MARKER)
    assert stranger.requests == []  # not even a request without the token
    assert [m for m, _ in fake_github.requests] == ["GET"]  # nothing posted on a partial listing


@pytest.mark.parametrize("scheme_host", ["https://127.0.0.1:{port}", "http://localhost:{port}", "http://127.0.0.1:{other}"])
def test_same_host_but_other_scheme_or_port_is_another_origin(fake_github, stranger, scheme_host: str) -> None:
    fake_github.add_comment(REPO, 3, "x")
    port = fake_github.base_url.rsplit(":", 1)[1]
    other = stranger.url.rsplit(":", 1)[1]
    fake_github.next_link = scheme_host.format(port=port, other=other) + f"/repos/{REPO}/issues/3/comments?page=2"
    with GitHubClient(fake_github.token, fake_github.base_url) as gh, pytest.raises(GitHubError, match="another origin"):
        gh.list_issue_comments(REPO, 3)
    assert stranger.requests == []


def test_next_link_outside_the_api_path_is_refused(fake_github) -> None:
    fake_github.add_comment(REPO, 3, "x")
    fake_github.next_link = f"{fake_github.base_url}/elsewhere?page=2"
    with GitHubClient(fake_github.token, fake_github.base_url + "/api/v3") as gh, pytest.raises(GitHubError) as info:
        gh.list_issue_comments(REPO, 3)
    assert "/elsewhere" not in [p for _, p in fake_github.requests]
    assert "\n" not in str(info.value)


def test_pagination_is_bounded_and_a_loop_is_detected(fake_github) -> None:
    for i in range(12):
        fake_github.add_comment(REPO, 4, f"c{i}")
    with GitHubClient(fake_github.token, fake_github.base_url, per_page=2, max_pages=3) as gh, pytest.raises(GitHubError, match="more than 3 pages"):
        gh.list_issue_comments(REPO, 4)
    assert len(fake_github.requests) == 3
    fake_github.requests.clear()
    fake_github.next_link = f"{fake_github.base_url}/repos/{REPO}/issues/4/comments?per_page=2&page=1"
    with GitHubClient(fake_github.token, fake_github.base_url, per_page=2) as gh, pytest.raises(GitHubError, match="loop"):
        gh.list_issue_comments(REPO, 4)
    assert len(fake_github.requests) == 2


def test_redirect_to_another_origin_is_not_followed(fake_github, stranger) -> None:
    fake_github.add_comment(REPO, 5, "x")
    fake_github.fault, fake_github.redirect_to = "redirect", f"{stranger.url}/steal"
    with GitHubClient(fake_github.token, fake_github.base_url) as gh, pytest.raises(GitHubError, match=r"HTTP 302.*not followed"):
        gh.list_issue_comments(REPO, 5)
        with pytest.raises(GitHubError, match="HTTP 302"):
            gh.create_comment(REPO, 5, "x")
    assert stranger.requests == []


def test_redirect_on_the_same_origin_is_followed_with_the_token(fake_github) -> None:
    # GitHub answers 301 for a renamed repository; the new location is on the same API origin
    fake_github.add_comment("acme/renamed", 5, "x")
    fake_github.fault, fake_github.redirect_to = "redirect", f"{fake_github.base_url}/repos/acme/renamed/issues/5/comments"
    with GitHubClient(fake_github.token, fake_github.base_url) as gh:
        assert [c["body"] for c in gh.list_issue_comments(REPO, 5)] == ["x"]
    assert [p.split("?")[0] for _, p in fake_github.requests] == [
        f"/repos/{REPO}/issues/5/comments", "/repos/acme/renamed/issues/5/comments"]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("html", "not JSON"), ("object", "expected a JSON list"), ("500", "HTTP 500 Server Error")],
)
def test_odd_answers_are_one_line_errors(fake_github, fault: str, expected: str) -> None:
    fake_github.add_comment(REPO, 6, "x")
    fake_github.fault = fault
    with GitHubClient(fake_github.token, fake_github.base_url) as gh, pytest.raises(GitHubError, match=expected) as info:
        upsert_comment(gh, PullRequestRef(REPO, 6), f"{MARKER}\nbody", MARKER)
    assert "\n" not in str(info.value) and fake_github.token not in str(info.value)


def test_a_hanging_api_times_out(fake_github) -> None:
    fake_github.add_comment(REPO, 6, "x")
    fake_github.fault = "hang"
    with GitHubClient(fake_github.token, fake_github.base_url, timeout_s=0.2) as gh, pytest.raises(GitHubError, match="timed out"):
        gh.list_issue_comments(REPO, 6)


def test_an_error_body_that_is_a_list_is_still_one_line(fake_github) -> None:
    fake_github.add_comment(REPO, 6, "x")
    fake_github.fault = "list_error"
    with GitHubClient(fake_github.token, fake_github.base_url) as gh, pytest.raises(GitHubError, match="HTTP 422"):
        gh.create_comment(REPO, 6, "x")


def test_api_url_and_token_are_checked() -> None:
    for url in ("ftp://example.test", "http://host:port/api", "not a url"):
        with pytest.raises(InputError, match="GitHub API URL"):
            GitHubClient("t", url)
    for token in ("ghs_x\nInjected: 1", "tök", "a b"):
        with pytest.raises(InputError, match="GitHub token"):
            GitHubClient(token, "https://api.github.com")
