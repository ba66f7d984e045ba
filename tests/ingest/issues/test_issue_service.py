"""Issues and history in either order give the same fixes and SZZ labels; SZZ honours the bug report date
and distrusts very large commits; ``changes list --json`` shows links and what decided each fix."""

from __future__ import annotations

import json

import pytest
from git_repo_builder import DAY, T0, lines

from argus.cli.app import main

ISSUES = (
    "Issue key,Issue Type,Status,Created,Resolved,Priority,Labels\n"
    "ABC-1,Improvement,Closed,2024-01-01T12:00:00Z,,Minor,\n"
    "ABC-2,Task,Closed,2024-01-01T13:00:00Z,,Minor,\n"
    "ABC-3,Bug,Resolved,2024-01-02T12:00:00Z,2024-01-06T00:00:00Z,Major,\n"
)


def build(make_repo, fix_message: str = "ABC-3. Restore values"):
    r = make_repo()
    body = [f"value_{n} = {n}" for n in range(10)]

    def save() -> None:
        r.write("app.py", "".join(f"{line}\n" for line in body))

    save()
    r.write("bulk/__init__.py", "")
    shas = {"base": r.commit("Add app", when=T0)}
    body[2] = "value_2 = 20"
    save()
    shas["bug"] = r.commit("ABC-1. Change value 2", when=T0 + DAY)  # before the report: the cause
    body[4] = "value_4 = 40"
    save()
    shas["late"] = r.commit("ABC-2. Change value 4", when=T0 + 2 * DAY)  # after the report of ABC-3
    body[2], body[4] = "value_2 = 2", "value_4 = 4"
    save()
    shas["fix"] = r.commit(fix_message, when=T0 + 5 * DAY)  # by default says nothing of a fix
    shas["docs"] = r.commit("Fix typo in comment", when=T0 + 6 * DAY, allow_empty=True)
    return r, shas


def labels(cli_json):
    rows = cli_json(["changes", "list", "-p", "shop", "--all", "--limit", "100"])
    return {r["sha"]: (r["is_fix"], r["fix_source"], r["bug_inducing"]) for r in rows}, rows


@pytest.mark.parametrize("order", ["issues-first", "history-first"])
def test_either_order_same_labels(make_repo, tmp_path, cli_json, cli_env, order):
    r, shas = build(make_repo)
    export = tmp_path / "jira.csv"
    export.write_text(ISSUES)
    assert main(["db", "upgrade"]) == 0
    if order == "issues-first":
        cli_json(["ingest", "issues", str(export), "-p", "shop"])
        cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
    else:
        first = cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
        assert first["fixes"] == 0  # no tracker: "ABC-3. Restore values" gives no signal
        result = cli_json(["ingest", "issues", str(export), "-p", "shop"])
        assert result["relink"]["became_fix"] == 1 and result["relink"]["szz_pending"] == 1
        assert result["relink"]["fixes_by_source"] == {"tracker": 1}
        cli_json(["ingest", "szz", "--repo", str(r.path), "-p", "shop"])
    got, rows = labels(cli_json)
    assert got[shas["fix"]] == (True, "tracker", False)
    assert got[shas["bug"]] == (False, "tracker", True)  # linked to an Improvement: the tracker says no fix
    assert got[shas["late"]] == (False, "tracker", False)  # blamed, but made after the bug report: dropped
    assert got[shas["docs"]] == (False, "message", False)
    assert got[shas["base"]][1] == "none"
    fix_row = next(x for x in rows if x["sha"] == shas["fix"])
    assert fix_row["issues"] == [{"key": "ABC-3", "source": "message-key", "stored": True, "is_bug": True}]
    detail = cli_json(["changes", "show", shas["fix"], "-p", "shop"])
    assert [(x["sha"], x["lines"]) for x in detail["induced_by"]] == [(shas["bug"], [3])]  # the blamed line kept


def test_report_date_rule_can_be_turned_off_and_large_commits_are_distrusted(make_repo, tmp_path, cli_json, cli_env,
                                                                              monkeypatch):
    r, shas = build(make_repo)
    export = tmp_path / "jira.csv"
    export.write_text(ISSUES)
    monkeypatch.setenv("ARGUS_GIT__SZZ_BEFORE_REPORT", "false")
    monkeypatch.setenv("ARGUS_GIT__SZZ_PICK", "all")  # both candidates kept, not only the most recent
    assert main(["db", "upgrade"]) == 0
    cli_json(["ingest", "issues", str(export), "-p", "shop"])
    cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
    got, _ = labels(cli_json)
    assert got[shas["late"]][2] is True and got[shas["bug"]][2] is True

    big = make_repo("big")
    for n in range(5):
        big.write(f"m{n}.py", lines(4))
    big.commit("Import modules", when=T0)
    big.write("m0.py", lines(4).replace("line 2", "line two"))
    fix = big.commit("Fix crash in m0", when=T0 + DAY)
    monkeypatch.setenv("ARGUS_GIT__SZZ_MAX_INDUCING_FILES", "3")
    result = cli_json(["ingest", "git", "--repo", str(big.path), "-p", "big"])
    assert result["links"] == 0 and result["links_too_large"] == 1
    assert cli_json(["changes", "show", fix, "-p", "big"])["induced_by"] == []


def test_ingest_issues_cli_text_and_bad_format(tmp_path, capsys, cli_env):
    export = tmp_path / "gh.json"
    export.write_text(json.dumps([{"number": 1, "title": "x", "labels": [{"name": "bug"}], "state": "OPEN",
                                   "createdAt": "2024-01-01T00:00:00Z", "closedAt": None}]))
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["ingest", "issues", str(export), "-p", "shop"]) == 0
    out = capsys.readouterr().out
    assert "(github-json): 1 issues, 1 new, 0 updated, 1 bugs" in out
    assert main(["ingest", "issues", str(export), "-p", "shop", "--format", "cobol"]) == 6
    assert "expected one of jira-csv, github-json, gitlab-json" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("Issue key,Created\nABC-1,someday\n")
    assert main(["ingest", "issues", str(bad), "-p", "shop"]) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "row 1, column 'Created'" in err and str(bad) in err


@pytest.mark.parametrize("order", ["issues-first", "history-first"])
def test_picked_candidates_do_not_depend_on_the_order(make_repo, tmp_path, cli_json, cli_env, monkeypatch, order):
    """R-SZZ (`git.szz_pick = latest`) keeps the most recent *plausible* candidate: a fix labelled before the
    tracker came is queued again when the report date rules its pick out, and relabelled by `ingest szz`."""
    r, shas = build(make_repo, "ABC-3. Fix values")  # a fix by its message too
    export = tmp_path / "jira.csv"
    export.write_text(ISSUES)
    monkeypatch.setenv("ARGUS_GIT__SZZ_PICK", "latest")
    assert main(["db", "upgrade"]) == 0
    if order == "issues-first":
        cli_json(["ingest", "issues", str(export), "-p", "shop"])
        cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
    else:
        first = cli_json(["ingest", "git", "--repo", str(r.path), "-p", "shop"])
        assert first["fixes"] == 1
        result = cli_json(["ingest", "issues", str(export), "-p", "shop"])
        assert result["relink"]["became_fix"] == 0 and result["relink"]["szz_pending"] == 1
        cli_json(["ingest", "szz", "--repo", str(r.path), "-p", "shop"])
    detail = cli_json(["changes", "show", shas["fix"], "-p", "shop"])
    assert [x["sha"] for x in detail["induced_by"]] == [shas["bug"]]
