"""``argus sync jira|github|gitlab`` against fake trackers over real HTTP on 127.0.0.1: every page read
(Link header, X-Next-Page, startAt/total, nextPageToken), rate limits waited out or refused with
nothing stored, tokens sent, the cursor stored and used, and commits relinked to the synced bugs."""

from __future__ import annotations

import pytest
from git_repo_builder import DAY, T0

from argus.cli.app import main
from argus.testing.trackers import FakeIssue, FakeTracker, running_tracker


def tracker() -> FakeTracker:
    return FakeTracker(issues=[
        FakeIssue(1, "crash on save", ["bug"], "Bug", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z",
                  "2024-01-03T00:00:00Z"),
        FakeIssue(2, "dark mode", ["enhancement"], "Story", "2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z"),
        FakeIssue(3, "a PR", [], "Task", "2024-01-02T00:00:00Z", "2024-01-05T00:00:00Z", pull_request=True),
        FakeIssue(4, "wrong total", ["type: bug"], "Bug", "2024-01-03T00:00:00Z", "2024-01-06T00:00:00Z"),
        FakeIssue(5, "docs", [], "Task", "2024-01-03T00:00:00Z", "2024-01-07T00:00:00Z"),
    ])


CASES = {
    "github": (["sync", "github", "--repo", "acme/shop", "--no-delivery"], "--api-url", "ARGUS_GITHUB_TOKEN",
               "Bearer s3cret", {"#1", "#2", "#4", "#5"}),
    "gitlab": (["sync", "gitlab", "--gitlab-project", "acme/shop", "--no-delivery"], "--url", "ARGUS_ISSUES__GITLAB_TOKEN",
               "s3cret", {"#1", "#2", "#4", "#5"}),
    "jira": (["sync", "jira", "--jira-project", "ABC"], "--url", "ARGUS_ISSUES__JIRA_TOKEN", "Bearer s3cret",
             {"ABC-1", "ABC-2", "ABC-3", "ABC-4", "ABC-5"}),
}


def _issues(out):
    return out["issues"] if "result" not in out else out


@pytest.mark.parametrize("kind", sorted(CASES))
def test_sync_pages_rate_limits_and_incremental(kind, cli_env, cli_json, monkeypatch):
    argv, url_flag, token_env, auth, keys = CASES[kind]
    monkeypatch.setenv(token_env, "s3cret")
    fake = tracker()
    fake.rate_limit_first = True  # each path answers once with the tracker's rate limit (reset now)
    assert main(["db", "upgrade"]) == 0
    with running_tracker(kind, fake) as url:
        first = _issues(cli_json([*argv, url_flag, url, "-p", "shop"]))
        assert first["incremental"] is False
        assert first["result"]["issues"] == len(keys) and first["result"]["new"] == len(keys)
        assert first["result"]["bugs"] == 2
        listed = 4 if kind == "gitlab" else 5  # GitLab does not list merge requests among issues
        assert first["requests"] == 1 + (listed + 1) // 2  # a rate-limit answer, then every page of 2
        assert set(fake.auth) == {auth}
        assert first["cursor"].startswith("2024-01-07")
        fake.requests.clear()
        fake.issues[1].updated = "2024-01-08T00:00:00Z"
        fake.issues[1].labels = ["bug"]
        fake.issues[1].issue_type = "Bug"
        second = _issues(cli_json([*argv, url_flag, url, "-p", "shop"]))
    assert second["incremental"] is True
    assert second["result"]["issues"] <= 2 and second["result"]["updated"] >= 1  # only what changed (+overlap)
    assert second["cursor"].startswith("2024-01-08")
    assert any(("since=" in r) or ("updated_after=" in r) or ("updated" in r and "%3E%3D" in r)
               for r in fake.requests)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_rate_limit_longer_than_allowed_stores_nothing(kind, cli_env, capsys, cli_json, monkeypatch):
    argv, url_flag, *_ = CASES[kind]
    monkeypatch.setenv("ARGUS_ISSUES__SYNC_MAX_WAIT_S", "5")
    fake = tracker()
    fake.rate_limit_first, fake.rate_limit_wait_s = True, 3600
    assert main(["db", "upgrade"]) == 0
    with running_tracker(kind, fake) as url:
        capsys.readouterr()
        assert main([*argv, url_flag, url, "-p", "shop"]) == 7
        err = capsys.readouterr().err
    assert "rate limit" in err and "nothing of this sync was stored" in err
    assert len(err.strip().splitlines()) == 1
    with running_tracker(kind, tracker()) as url:
        again = _issues(cli_json([*argv, url_flag, url, "-p", "shop"]))
    assert again["incremental"] is False  # no cursor was stored by the failed sync


def test_jira_server_offset_pagination_and_commit_relink(make_repo, cli_env, cli_json, monkeypatch):
    r = make_repo()
    r.write("app.py", "a = 1\n")
    r.commit("Add app", when=T0)
    r.write("app.py", "a = 2\n")
    fix = r.commit("ABC-1. Restore the value", when=T0 + DAY)
    monkeypatch.setenv("ARGUS_ISSUES__JIRA_SEARCH_PATH", "/rest/api/2/search")
    monkeypatch.setenv("ARGUS_ISSUES__JIRA_EMAIL", "me@example.com")
    monkeypatch.setenv("ARGUS_ISSUES__JIRA_TOKEN", "tok")
    assert main(["db", "upgrade"]) == 0
    cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
    fake = tracker()
    with running_tracker("jira", fake) as url:
        monkeypatch.setenv("ARGUS_ISSUES__JIRA_URL", url)
        out = cli_json(["sync", "jira", "--jira-project", "ABC", "-p", "shop"])
    assert out["result"]["issues"] == 5
    assert any("startAt=4" in q for q in fake.requests)  # offsets 0, 2, 4
    assert fake.auth[0].startswith("Basic ")
    assert out["result"]["relink"]["became_fix"] == 1
    rows = cli_json(["changes", "list", "-p", "shop", "--all"])
    assert next(x for x in rows if x["sha"] == fix)["fix_source"] == "tracker"


def test_jira_without_url_is_a_config_error(cli_env, capsys):
    assert main(["db", "upgrade"]) == 0
    assert main(["sync", "jira", "--jira-project", "ABC", "-p", "shop"]) == 2
