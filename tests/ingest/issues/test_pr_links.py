"""Commit ↔ issue links from pull requests: a key named only by a PR's title, body or head branch
links every commit of the PR (``pr_commits``) and its merge commit, with the PR source kept, and
decides the fix with the tracker — whether the PRs come before or after the history."""

from __future__ import annotations

import pytest
from git_repo_builder import DAY, T0

from argus.cli.app import main
from argus.core.settings import IssueSettings
from argus.ingest.issues.links import PR_BODY, PR_BRANCH, PR_TITLE, IssueRefs

ISSUES = ("Issue key,Issue Type,Status,Created\n"
          "ABC-3,Bug,Resolved,2024-01-02T00:00:00Z\n"
          "ABC-4,Story,Done,2024-01-02T00:00:00Z\n"
          "ABC-5,Bug,Done,2024-01-02T00:00:00Z\n")


def test_pull_request_refs_keep_the_strongest_pr_source():
    refs = IssueRefs(IssueSettings())
    got = dict(refs.pull_request("ABC-3: restore totals", "Also see ABC-4 and ABC-3. Fixes #12",
                                 "bugfix/ABC-5-npe"))
    assert got == {"ABC-3": PR_TITLE, "ABC-4": PR_BODY, "#12": PR_BODY, "ABC-5": PR_BRANCH}
    assert refs.pull_request(None, None, None) == ()


@pytest.mark.parametrize("order", ["prs-first", "history-first"])
def test_pr_title_body_and_branch_link_commits(make_repo, tmp_path, cli_env, cli_json, order):
    r = make_repo()
    r.write("app.py", "a = 1\nb = 2\n")
    base = r.commit("Add app", when=T0)
    r.write("app.py", "a = 10\nb = 2\n")
    titled = r.commit("Restore the value", when=T0 + DAY)  # says nothing: its PR title names ABC-3
    r.write("app.py", "a = 10\nb = 20\n")
    branched = r.commit("Tweak b", when=T0 + 2 * DAY)  # its PR's head branch names ABC-5, body ABC-4
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    (delivery / "pull_requests.csv").write_text(
        "id,repo,number,title,status,created_at,merged_at,head_branch,body\n"
        "acme#1,acme,1,ABC-3 restore,MERGED,2024-01-02T00:00:00Z,2024-01-03T00:00:00Z,feature/x,\n"
        'acme#2,acme,2,tweak,MERGED,2024-01-03T00:00:00Z,2024-01-04T00:00:00Z,bug/ABC-5-b,"Story ABC-4"\n')
    (delivery / "pr_commits.csv").write_text(f"pr_id,commit_sha\nacme#1,{titled}\nacme#2,{branched}\n")
    export = tmp_path / "jira.csv"
    export.write_text(ISSUES)
    assert main(["db", "upgrade"]) == 0
    cli_json(["ingest", "issues", str(export), "-p", "shop"])
    if order == "prs-first":
        cli_json(["ingest", "delivery", str(delivery), "-p", "shop"])
        cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
    else:
        cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
        cli_json(["ingest", "delivery", str(delivery), "-p", "shop"])
    rows = {x["sha"]: x for x in cli_json(["changes", "list", "-p", "shop", "--all"])}
    assert rows[titled]["issues"] == [{"key": "ABC-3", "source": PR_TITLE, "stored": True, "is_bug": True}]
    assert (rows[titled]["is_fix"], rows[titled]["fix_source"]) == (True, "tracker")
    assert sorted((x["key"], x["source"]) for x in rows[branched]["issues"]) == [
        ("ABC-4", PR_BODY), ("ABC-5", PR_BRANCH)]
    assert (rows[branched]["is_fix"], rows[branched]["fix_source"]) == (True, "tracker")
    assert rows[base]["issues"] == [] and rows[base]["is_fix"] is False
