"""Tracker issues become delivery work items (story points, epic, sprint) through one mapping: a Jira
CSV export with its real column names (``argus ingest issues``) and ``argus sync jira|github|gitlab``
against the fakes over real HTTP, so ``argus work points|epics`` train and forecast from trackers."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest

from argus.cli.app import main
from argus.core.errors import InputError
from argus.core.settings import IssueSettings
from argus.ingest.issues.parsers import IssueRecord, parse_file
from argus.ingest.issues.workitems import label_points, work_item
from argus.testing.cli import CliJson
from argus.testing.delivery_history import write_work_items
from argus.testing.trackers import FakeIssue, FakeTracker, running_tracker

# --- the mapping ---------------------------------------------------------------------------------


def test_mapping_points_from_field_then_label_then_size() -> None:
    s = IssueSettings()
    assert work_item(IssueRecord("A-1", "jira", "Story", story_points=5, labels=["points:8"]), s)["story_points"] == 5
    assert work_item(IssueRecord("#1", "github", labels=["Points: 3"]), s)["story_points"] == 3
    assert work_item(IssueRecord("#2", "github", labels=["size/M"]), s)["story_points"] == 3
    assert work_item(IssueRecord("#3", "github", labels=["SP/0.5", "size/XL"]), s)["story_points"] == 0.5
    assert work_item(IssueRecord("#4", "github", labels=["bug", "sized"]), s)["story_points"] is None
    assert label_points(["estimate=13"], s) == 13
    custom = IssueSettings(size_labels={"t-shirt: large": 8}, points_label_pattern=r"^pts-(\d+)$")
    assert label_points(["T-Shirt: Large"], custom) == 8 and label_points(["pts-2"], custom) == 2
    assert label_points(["points:3"], custom) is None


def test_mapping_epic_type_and_status() -> None:
    s = IssueSettings()
    row = work_item(IssueRecord("ABC-2", "jira", "Epic", "the epic", "In Progress"), s)
    assert (row["type"], row["status"], row["epic_id"]) == ("EPIC", "IN PROGRESS", None)
    child = work_item(IssueRecord("#5", "github", None, milestone="v1.2"), s)
    assert (child["type"], child["epic_id"]) == ("ISSUE", "milestone:v1.2")
    assert work_item(IssueRecord("#5", "github", milestone="v1.2", parent_key="#1"), s)["epic_id"] == "#1"
    assert work_item(IssueRecord("#5", "github", milestone="v1.2"), IssueSettings(milestone_as_epic=False))["epic_id"] is None


# --- Jira CSV export -----------------------------------------------------------------------------

JIRA_HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Created", "Resolved",
               "Labels", "Labels", "Sprint", "Sprint", "Custom field (Story Points)", "Parent", "Parent summary",
               "Component/s"]


def _jira_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(JIRA_HEADER)
        w.writerows(rows)
    return path


def test_jira_export_columns(tmp_path: Path) -> None:
    f = _jira_csv(tmp_path / "jira.csv", [
        ["Checkout epic", "SHOP-1", "10001", "Epic", "In Progress", "Major", "02/Jan/24 9:00 AM", "", "", "", "", "",
         "", "", "", ""],
        ["Pay by card", "SHOP-2", "10002", "Story", "Done", "Major", "03/Jan/24 9:00 AM", "05/Jan/24 5:30 PM",
         "payments", "", "Sprint 1", "Sprint 2", "5", "10001", "Checkout epic", "api"],
        ["Fix rounding", "SHOP-3", "10003", "Bug", "Open", "High", "2024-01-04 10:00", "", "", "", "", "", "2,5",
         "SHOP-1", "Checkout epic", ""],
    ])
    fmt, records = parse_file(f)
    by = {r.key: r for r in records}
    assert fmt == "jira-csv"
    assert (by["SHOP-2"].story_points, by["SHOP-2"].parent_key, by["SHOP-2"].sprint) == (5.0, "SHOP-1", "Sprint 2")
    assert by["SHOP-2"].component == "api" and by["SHOP-2"].resolved_at == datetime.fromisoformat("2024-01-05T17:30+00:00")
    assert (by["SHOP-3"].story_points, by["SHOP-3"].parent_key) == (2.5, "SHOP-1")
    assert by["SHOP-1"].issue_type == "Epic" and by["SHOP-1"].parent_key is None


@pytest.mark.parametrize("column", ["Story Points", "Story point estimate", "Custom field (Story point estimate)"])
def test_jira_points_column_names(tmp_path: Path, column: str) -> None:
    f = tmp_path / "j.csv"
    f.write_text(f"Issue key,Issue Type,{column},Epic Link\nAB-1,Story,8,AB-9\n", encoding="utf-8")
    (_, [r]) = parse_file(f)
    assert (r.story_points, r.parent_key) == (8.0, "AB-9")


def test_jira_bad_points_names_row_and_column(tmp_path: Path) -> None:
    f = tmp_path / "j.csv"
    f.write_text("Issue key,Story Points\nAB-1,3\nAB-2,large\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column 'Story Points': 'large' is not a number"):
        parse_file(f)


def test_github_and_gitlab_exports(tmp_path: Path) -> None:
    gl = tmp_path / "gl.json"
    gl.write_text(json.dumps([{"iid": 3, "title": "t", "state": "opened", "labels": [], "created_at": None,
                               "weight": 5, "epic": {"id": 77, "iid": 2, "group_id": 9}, "milestone": {"title": "M1"}},
                              {"iid": 4, "title": "u", "state": "closed", "weight": None, "epic_iid": 6,
                               "milestone": None}]), encoding="utf-8")
    _, [a, b] = parse_file(gl)
    assert (a.story_points, a.parent_key, a.milestone) == (5.0, "&2", "M1")
    assert (b.story_points, b.parent_key) == (None, "&6")
    gh = tmp_path / "gh.json"
    gh.write_text(json.dumps([{"number": 8, "title": "x", "labels": [{"name": "size/L"}], "state": "OPEN",
                               "milestone": {"number": 1, "title": "v2"}}]), encoding="utf-8")
    _, [c] = parse_file(gh)
    row = work_item(c, IssueSettings())
    assert (row["story_points"], row["epic_id"]) == (5.0, "milestone:v2")


# --- end to end: synthetic work items through every tracker -------------------------------------


def _synthetic(tmp_path: Path) -> list[dict[str, str]]:
    write_work_items(tmp_path / "w", 24, seed=3)
    with (tmp_path / "w" / "work_items.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _num(ext: str) -> int:
    n = int(ext.split("-")[1])
    return n + 1000 if ext.startswith("EP-") else n


def _fake(items: list[dict[str, str]], kind: str) -> FakeTracker:
    issues = []
    for it in items:
        epic = it["type"] == "EPIC"
        pts = float(it["story_points"]) if it["story_points"] else None
        labels = []
        if kind == "github" and pts is not None:  # GitHub has no points field: the label schemes
            labels = [f"points:{int(pts)}"] if _num(it["id"]) % 2 else [{1: "size/XS", 2: "size/S", 3: "size/M",
                                                                        5: "size/L", 8: "size/XL"}.get(int(pts),
                                                                                                      f"sp/{int(pts)}")]
        issues.append(FakeIssue(
            _num(it["id"]), it["title"], labels, "Epic" if epic else it["type"].title(), it["created_at"],
            it["resolved_at"] or it["created_at"], it["resolved_at"] or None,
            points=None if kind == "github" else pts, parent=_num(it["epic_id"]) if it["epic_id"] else None,
            sprints=["Sprint 1", "Sprint 2"] if kind == "jira" and not epic else []))
    return FakeTracker(issues=issues, page_size=100, jira_key="SHOP", jira_points_field="customfield_10002")


SYNC = {"github": ["sync", "github", "--repo", "acme/shop", "--no-delivery", "--api-url"],
        "gitlab": ["sync", "gitlab", "--gitlab-project", "acme/shop", "--no-delivery", "--url"],
        "jira": ["sync", "jira", "--jira-project", "SHOP", "--url"]}


@pytest.mark.parametrize("kind", sorted(SYNC))
def test_work_items_from_tracker_sync(kind: str, tmp_path: Path, cli_env: dict[str, str],
                                      cli_json: CliJson, monkeypatch: pytest.MonkeyPatch) -> None:
    items = _synthetic(tmp_path)
    monkeypatch.setenv("ARGUS_ISSUES__JIRA_STORY_POINTS_FIELD", "customfield_10002")  # this site's field id
    fake = _fake(items, kind)
    assert main(["db", "upgrade"]) == 0
    with running_tracker(kind, fake) as url:
        out = cli_json([*SYNC[kind], url, "-p", "shop"])
    res = out["result"] if "result" in out else out["issues"]["result"]
    assert res["work_items"] == len(items)
    if kind == "jira":
        asked = [r for r in fake.requests if "fields=" in r]
        assert asked and all("customfield_10002" in r for r in asked)
    pts = cli_json(["work", "points", "-p", "shop", "--train"])
    assert pts["version"] == 1 and pts["holdout"]["mae"] < pts["baseline"]["mae"]
    ep = cli_json(["work", "epics", "-p", "shop", "--train"])
    assert ep["version"] == 1 and ep["holdout"]["rows"] >= 3
    forecasts = cli_json(["work", "epics", "-p", "shop"])
    prefix = {"github": "#", "gitlab": "&", "jira": "SHOP-"}[kind]
    assert forecasts and all(f["epic_id"].startswith(prefix) for f in forecasts)
    assert len(forecasts) == 3  # the three unfinished epics of the synthetic history


def test_jira_export_feeds_work_points(tmp_path: Path, cli_env: dict[str, str],
                                       cli_json: CliJson) -> None:
    items = _synthetic(tmp_path)
    rows = []
    for it in items:
        epic = it["type"] == "EPIC"
        key = f"SHOP-{_num(it['id'])}"
        parent_id = str(20000 + _num(it["epic_id"])) if it["epic_id"] else ""  # Cloud exports: the parent's id
        rows.append([it["title"], key, str(20000 + _num(it["id"])), "Epic" if epic else it["type"].title(),
                     it["status"].title(), "Medium", it["created_at"], it["resolved_at"], "", "", "Sprint 4", "",
                     it["story_points"], parent_id, "", it["component"]])
    f = _jira_csv(tmp_path / "export.csv", rows)
    assert main(["db", "upgrade"]) == 0
    out = cli_json(["ingest", "issues", str(f), "-p", "shop"])
    assert out["work_items"] == len(items)
    pts = cli_json(["work", "points", "-p", "shop", "--train"])
    assert pts["holdout"]["mae"] < pts["baseline"]["mae"]
    assert cli_json(["work", "epics", "-p", "shop", "--train"])["version"] == 1
    forecasts = cli_json(["work", "epics", "-p", "shop"])
    assert {f["epic_id"] for f in forecasts} <= {f"SHOP-{1000 + e}" for e in range(1, 25)} and len(forecasts) == 3


def test_remote_field_shapes() -> None:
    from argus.ingest.issues.remote import _jira_parent, _jira_sprint, github_parent

    server = ["com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=3,rapidViewId=1,state=CLOSED,name=Sprint 3,"
              "startDate=2024-01-01T00:00:00.000Z]", "com.atlassian.greenhopper.service.sprint.Sprint@9f[id=4,"
              "rapidViewId=1,state=ACTIVE,name=Sprint 4,startDate=2024-01-15T00:00:00.000Z]"]
    assert _jira_sprint(server) == "Sprint 4"
    assert _jira_sprint([{"id": 1, "name": "S1", "state": "closed"}]) == "S1" and _jira_sprint(None) is None
    assert _jira_parent({"id": "10001", "key": "abc-1"}, "ABC-9") == "ABC-1"
    assert _jira_parent(None, "ABC-9") == "ABC-9" and _jira_parent(None, None) is None
    url = "https://api.github.com/repos/acme/shop/issues/12"
    assert github_parent("acme/shop", url) == "#12"
    assert github_parent("acme/web", url) == "acme/shop#12" and github_parent("acme/shop", None) is None
