"""Tracker exports: Jira CSV, GitHub and GitLab JSON; hostile input gives errors naming file, row, column."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from argus.core.errors import InputError
from argus.core.settings import IssueSettings
from argus.ingest.issues.parsers import parse_file
from argus.ingest.issues.rules import BugRule

JIRA = (
    "Summary,Issue key,Issue id,Issue Type,Status,Priority,Created,Resolved,Labels,Labels,Custom field (x)\n"
    "NPE in parser,HDFS-101,1,Bug,Resolved,Major,12/Mar/21 3:45 PM,14/Mar/21 9:00 AM,crash,,x\n"
    "Add metrics,HDFS-102,2,Improvement,Open,Minor,2021-03-15 10:00,,,,y\n"
    "\"Multi\nline, summary\",hdfs-103,3,Task,Open,Minor,2021-03-16T10:00:00+02:00,,bug,regression,z\n"
)


def test_jira_csv(tmp_path):
    f = tmp_path / "jira.csv"
    f.write_text(JIRA, encoding="utf-8-sig")
    fmt, issues = parse_file(f)
    assert fmt == "jira-csv"
    by = {i.key: i for i in issues}
    assert sorted(by) == ["HDFS-101", "HDFS-102", "HDFS-103"]
    assert by["HDFS-101"].issue_type == "Bug" and by["HDFS-101"].created_at == datetime(2021, 3, 12, 15, 45, tzinfo=UTC)
    assert by["HDFS-101"].resolved_at == datetime(2021, 3, 14, 9, 0, tzinfo=UTC) and by["HDFS-101"].labels == ["crash"]
    assert by["HDFS-102"].resolved_at is None
    assert by["HDFS-103"].labels == ["bug", "regression"] and by["HDFS-103"].created_at == datetime(2021, 3, 16, 8, tzinfo=UTC)
    rule = BugRule(IssueSettings())
    assert [rule.is_bug(by[k]) for k in sorted(by)] == [True, False, True]  # type Bug; label bug
    assert not BugRule(IssueSettings(bug_labels=[])).is_bug(by["HDFS-103"])


GITHUB = [
    {"number": 12, "title": "Crash on empty cart", "labels": [{"id": "x", "name": "bug", "color": "d73a4a"}],
     "state": "CLOSED", "createdAt": "2024-01-03T10:00:00Z", "closedAt": "2024-01-05T10:00:00Z"},
    {"number": 13, "title": "Dark mode", "labels": [{"name": "enhancement"}], "state": "OPEN",
     "createdAt": "2024-01-04T10:00:00Z", "closedAt": None},
    {"number": 14, "title": "Wrong total", "labels": [{"name": "Type: Bug"}], "state": "OPEN",
     "createdAt": "2024-01-04T10:00:00Z", "closedAt": None},
]
GITLAB = [
    {"id": 901, "iid": 7, "title": "Login fails", "labels": ["bug", "backend"], "state": "closed",
     "created_at": "2024-02-01T08:00:00.000Z", "closed_at": "2024-02-02T08:00:00.000Z", "issue_type": "issue"},
    {"id": 902, "iid": 8, "title": "Docs", "labels": [], "state": "opened", "created_at": "2024-02-01T08:00:00.000Z",
     "closed_at": None, "issue_type": "issue"},
]


def test_github_and_gitlab_json(tmp_path):
    gh, gl = tmp_path / "gh.json", tmp_path / "gl.json"
    gh.write_text(json.dumps(GITHUB))
    gl.write_text(json.dumps(GITLAB))
    fmt, issues = parse_file(gh)
    rule = BugRule(IssueSettings())
    assert fmt == "github-json" and [(i.key, rule.is_bug(i)) for i in issues] == [("#12", True), ("#13", False),
                                                                                  ("#14", True)]
    assert issues[0].created_at == datetime(2024, 1, 3, 10, tzinfo=UTC) and issues[1].resolved_at is None
    fmt, issues = parse_file(gl)
    assert fmt == "gitlab-json" and [(i.key, rule.is_bug(i), i.tracker) for i in issues] == [
        ("#7", True, "gitlab"), ("#8", False, "gitlab")]


@pytest.mark.parametrize(
    ("name", "content", "fmt", "expected"),
    [
        ("empty.csv", "", None, "empty file"),
        ("nokey.csv", "Summary,Type\nx,Bug\n", None, "row 0: no `Issue key` column"),
        ("badkey.csv", "Issue key,Issue Type\nnot a key,Bug\n", None, "row 1, column 'Issue key'"),
        ("nokeyval.csv", "Issue key,Issue Type\nABC-1,Bug\n,Bug\n", None, "row 2, column 'Issue key': empty"),
        ("baddate.csv", "Issue key,Created\nABC-1,yesterday\n", None, "row 1, column 'Created'"),
        ("year.csv", "Issue key,Created\nABC-1,9999-01-01\n", None, "row 1, column 'Created': year 9999"),
        ("quote.csv", 'Issue key,Summary\nABC-1,"unterminated\n', None, "malformed CSV"),
        ("bin.csv", "Issue key\x00\n", None, "binary content"),
        ("gh.json", "[{\"number\": 1", None, "not valid JSON (line 1"),
        ("gh2.json", "[1, 2]", "github-json", "row 0: expected an issue object"),
        ("gh3.json", '[{"number": "x1"}]', "github-json", "row 0, field 'number'"),
        ("gh4.json", '[{"number": 1, "createdAt": "soon"}]', None, "row 0, field 'createdAt'"),
        ("gh5.json", '[{"number": 1, "labels": "bug"}]', None, "row 0, field 'labels'"),
        ("gh6.json", '[{"number": 1}, {"number": true}]', None, "row 1, field 'number'"),
        ("gl.json", '[{"iid": 1, "title": 5}]', None, "row 0, field 'title'"),
        ("odd.json", '[{"key": 1}]', None, "neither a GitHub issue"),
        ("deep.json", "[" * 100_000, None, "JSON"),
        ("missing.csv", None, None, "no such file"),
    ],
)
def test_hostile_input_names_file_row_and_column(tmp_path, name, content, fmt, expected):
    f = tmp_path / name
    if content is not None:
        f.write_text(content)
    with pytest.raises(InputError) as err:
        parse_file(f, fmt)
    assert str(f) in str(err.value) and expected in str(err.value), str(err.value)


def test_not_utf8_is_refused(tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes("Issue key,Summary\nABC-1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        parse_file(f)
