"""End to end through the CLI: a fixture of our own exercising every rule (expected values worked out
by hand in the comments of fixtures/pipelines/*.csv's design, see docs/delivery.md), deployments.csv
input, re-ingest, all-or-nothing on bad rows, the PR breakdown commands."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from argus.cli.app import main
from argus.testing.cli import CliJson

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()


def _pr(coding: int | None, pickup: int | None, review: int | None, deploy: int | None, cycle: int,
        deployment: str | None) -> dict[str, Any]:
    return {"coding_time_min": coding, "pickup_time_min": pickup, "review_time_min": review,
            "deploy_time_min": deploy, "cycle_time_min": cycle, "deployment_id": deployment}


def _dep(prev: str | None, sha: str, repo: str, scope: str, group: str, result: str, env: str, started: str,
         finished: str) -> dict[str, Any]:
    return {"previous_deployment_id": prev, "commit_sha": sha, "repo": repo, "scope": scope, "deployment_group": group,
            "result": result, "environment": env, "started_at": f"2024-03-{started}+00:00",
            "finished_at": f"2024-03-{finished}+00:00"}


EXPECTED_DETAIL = {
    "pull_requests": {
        # earliest commit 08:30:30Z (given +01:00) → created 09:00 next day: 1469.5 → 1470; first non-author
        # comment 10:00:20 → pickup 61, review 3000; shipped by P2:api (c2,c3 new since P1) at 11:00 next day
        "PR-1": _pr(1470, 61, 3000, 1380, 1470 + 3060 + 1380, "P2:api"),
        "PR-2": _pr(1440, 60, 1440, 1500, 1440 + 1500 + 1500, "P5:api"),  # PR columns; failed P4 skipped
        "PR-3": _pr(None, None, None, None, 2042, "P5:api"),  # deployed 2 min before the merge: link kept
        "PR-4": _pr(None, 0, 61, 0, 60, "P5:api"),  # commit after creation; -30 s spans round to 0
        "PR-5": _pr(None, None, None, 2820, 2880, "P10:api"),  # P9 (other scope) is the first of its chain
        "PR-6": _pr(None, None, None, 1320, 1440, "P11:web"),
        "PR-7": _pr(None, None, None, None, 60, None),  # only the first deployment of its chain has it
        "PR-8": _pr(None, None, None, None, 30, None),  # merge sha in no history
        "PR-10": _pr(None, None, None, None, 120, None),  # not deployed yet
    },
    "incidents": {"INC-1": {"deployment_id": None}, "INC-2": {"deployment_id": "P1"},
                  "INC-3": {"deployment_id": "P2"}, "INC-4": {"deployment_id": "P9"},
                  "INC-5": {"deployment_id": "P10"}},
    "deployments": {
        "P1:api": _dep(None, "c1", "api", "ci/api", "P1", "SUCCESS", "PRODUCTION", "01T09:50:00", "01T10:00:00"),
        "P2:api": _dep("P1:api", "c3", "api", "ci/api", "P2", "SUCCESS", "PRODUCTION", "02T09:30:00", "02T11:00:00"),
        "P2:web": _dep(None, "w1", "web", "ci/api", "P2", "SUCCESS", "PRODUCTION", "02T09:30:00", "02T11:00:00"),
        "P4:api": _dep(None, "c5", "api", "ci/api", "P4", "FAILURE", "PRODUCTION", "03T09:30:00", "03T10:00:00"),
        "P5:api": _dep("P2:api", "c6", "api", "ci/api", "P5", "SUCCESS", "PRODUCTION", "04T09:00:00", "04T10:00:00"),
        "P6:api": _dep(None, "c7", "api", "ci/api", "P6", "SUCCESS", "STAGING", "04T07:30:00", "04T08:00:00"),
        "P8:api": _dep("P6:api", "c7", "api", "ci/api", "P8", "SUCCESS", "STAGING", "05T06:00:00", "05T07:00:00"),
        "P9:api": _dep(None, "c7", "api", "ci/other", "P9", "SUCCESS", "PRODUCTION", "06T09:00:00", "06T10:00:00"),
        "P10:api": _dep("P5:api", "c7", "api", "ci/api", "P10", "SUCCESS", "PRODUCTION", "07T09:00:00", "07T10:00:00"),
        "P11:web": _dep("P2:web", "w3", "web", "ci/api", "P11", "SUCCESS", "PRODUCTION", "05T09:30:00", "05T10:00:00"),
        "P12:api": _dep(None, "c7", "api", "ci/api", "P12", "FAILURE", "PRODUCTION", "06T11:00:00", "06T12:00:00"),
    },
}


def test_fixture_detail_is_exactly_the_hand_worked_result(db: None, cli_json: CliJson) -> None:
    assert main(["ingest", "delivery", str(FIXTURES / "pipelines"), "-p", "fx"]) == 0
    assert cli_json(["dora", "-p", "fx", "--detail"]) == EXPECTED_DETAIL


def test_fixture_four_keys_and_how_each_bucket_was_decided(db: None, cli_json: CliJson) -> None:
    assert main(["ingest", "delivery", str(FIXTURES / "pipelines"), "-p", "fx"]) == 0
    doc = cli_json(["dora", "-p", "fx", "--from", "2024-03-01", "--to", "2024-03-31"])
    m = {x["key"]: x for x in doc["metrics"]}
    buckets = {k: {b["report"]: b["bucket"] for b in v["benchmarks"]} for k, v in m.items()}
    # 6 deployments (P1 P2 P5 P9 P10 P11) on 6 days; weeks of March: [2, 4, 0, 0, 0] → median 0
    assert m["deployment_frequency"]["inputs"]["deployments"] == 6
    assert m["deployment_frequency"]["value"] == 0 and m["deployment_frequency"]["inputs"]["median_days_per_month"] == 6
    assert buckets["deployment_frequency"] == {"2021": "high", "2023": "medium"}
    assert m["lead_time"]["value"] == 2042 and buckets["lead_time"] == {"2021": "high", "2023": "high"}
    assert m["change_failure_rate"]["value"] == pytest.approx(4 / 6)
    assert buckets["change_failure_rate"] == {"2021": "low", "2023": "low"}
    assert m["failed_deployment_recovery_time"]["value"] == 1620  # [90, 1620, 2970]
    assert buckets["failed_deployment_recovery_time"]["2023"] == "medium"
    assert m["time_to_restore"]["value"] == 120 and buckets["time_to_restore"]["2021"] == "high"
    rule = next(b["rule"] for b in m["lead_time"]["benchmarks"] if b["report"] == "2023")
    assert rule == "2042 min < 10080 min"
    assert [x["month"] for x in doc["months"]] == ["2024-03"]
    assert doc["coverage"]["merged_prs"] == 9 and doc["coverage"]["merged_prs_deployed"] == 6
    insight = cli_json(["insights", "show", str(doc["insight_id"]), "-p", "fx"])
    assert insight["kind"] == "dora_report"
    refs = {(e["ref_type"], e["ref_id"]) for e in insight["evidence"]}
    assert insight["grounding"] == "grounded"
    assert ("pull_request", "PR-3") in refs and ("incident", "INC-2") in refs and ("deployment", "P10:api") in refs


def test_deployments_csv_rows_and_pipelines_ignored(db: None, cli_json: CliJson) -> None:
    assert main(["ingest", "delivery", str(FIXTURES / "csv"), "-p", "shop"]) == 0
    detail = cli_json(["dora", "-p", "shop", "--detail"])
    assert detail == {
        "pull_requests": {"7": _pr(60, 30, 30, 2760, 60 + 60 + 2760, "d3")},
        "incidents": {"i1": {"deployment_id": "g3"}},  # d4 finished at the incident's instant: not before
        "deployments": {"d1": {"previous_deployment_id": None}, "d2": {"previous_deployment_id": None},
                        "d3": {"previous_deployment_id": "d1"}, "d4": {"previous_deployment_id": None},
                        "d5": {"previous_deployment_id": None}},
    }


def test_reingest_updates_by_id(db: None, cli_json: CliJson, tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(FIXTURES / "csv", src)
    assert main(["ingest", "delivery", str(src), "-p", "shop"]) == 0
    (src / "pull_requests.csv").write_text(
        "id,repo,number,title,status,base_branch,created_at,merged_at,closed_at,merge_commit_sha\n"
        "7,shop,7,fix,MERGED,main,2024-04-01T11:00:00Z,2024-04-01T13:00:00Z,,s2\n")
    for f in ("deployments.csv", "deployment_commits.csv", "commits.csv", "pr_commits.csv", "pr_comments.csv",
              "incidents.csv"):
        (src / f).unlink()
    summary = cli_json(["ingest", "delivery", str(src), "-p", "shop"])
    assert summary["stored"]["delivery_pull_request"] == 1 and summary["stored"]["delivery_deployment"] == 5
    detail = cli_json(["dora", "-p", "shop", "--detail"])
    assert detail["pull_requests"]["7"]["deploy_time_min"] == 2760 - 60


def test_bad_rows_are_reported_with_file_and_line_and_nothing_is_stored(
        db: None, capsys: pytest.CaptureFixture[str], cli_json: CliJson, tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(FIXTURES / "csv", src)
    (src / "incidents.csv").write_text("id,title,status,created_at,resolved_at\n"
                                       "i1,ok,DONE,2024-04-03T10:30:00Z,\n"
                                       "i2,naive,DONE,2024-04-03 10:30:00,\n"
                                       "i1,dup,DONE,2024-04-03T10:30:00Z,\n")
    (src / "ci_pipelines.csv").write_text("id,duration_sec\np1,soon\n")
    assert main(["projects", "create", "shop"]) == 0
    capsys.readouterr()
    code = main(["ingest", "delivery", str(src), "-p", "shop"])
    err = capsys.readouterr().err
    assert code == 6
    assert f"{src / 'incidents.csv'}:3: created_at '2024-04-03 10:30:00' has no UTC offset" in err
    assert f"{src / 'incidents.csv'}:4: duplicate ext_id i1 (first on line 2)" in err
    assert f"{src / 'ci_pipelines.csv'}:2: duration_sec 'soon' is not a number" in err
    assert cli_json(["prs", "list", "-p", "shop"]) == {"items": [], "merged_total": 0}


def test_missing_required_column_and_empty_directory(db: None, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["ingest", "delivery", str(tmp_path / "empty"), "-p", "x"]) == 6
    assert "none of the delivery files found" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "pr_commits.csv").write_text("pr_id,sha\n1,abc\n")
    assert main(["ingest", "delivery", str(tmp_path / "bad"), "-p", "x"]) == 6
    assert "pr_commits.csv:1: header lacks required column(s) commit_sha" in capsys.readouterr().err


def test_prs_list_and_show(db: None, capsys: pytest.CaptureFixture[str], cli_json: CliJson) -> None:
    assert main(["ingest", "delivery", str(FIXTURES / "pipelines"), "-p", "fx"]) == 0
    listed = cli_json(["prs", "list", "-p", "fx", "--deployed", "--repo", "api"])
    assert [r["pr_id"] for r in listed["items"]] == ["PR-5", "PR-3", "PR-4", "PR-2", "PR-1"]
    shown = cli_json(["prs", "show", "PR-3", "-p", "fx"])
    assert shown["deployment"]["id"] == "P5:api" and shown["deployment"]["previous_deployment_id"] == "P2:api"
    assert any("finished before the merge" in line for line in shown["explanation"])
    assert main(["prs", "show", "PR-9", "-p", "fx"]) == 5  # open: no breakdown
    capsys.readouterr()
    assert main(["dora", "-p", "fx", "--from", "2024-03-01", "--to", "2024-03-31", "--no-save"]) == 0
    text = capsys.readouterr().out
    assert "how each bucket was decided" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_ancestry_from_the_ingested_git_history(db: None, cli_json: CliJson, tmp_path: Path) -> None:
    """No commits.csv: the ancestry comes from `argus ingest git` (merge commit of a feature branch)."""
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
               "GIT_COMMITTER_EMAIL": "a@x", "GIT_AUTHOR_DATE": "2024-04-01T10:00:00Z",
               "GIT_COMMITTER_DATE": "2024-04-01T10:00:00Z", "PATH": "/usr/bin:/bin"}
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                               text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    (repo / "a.txt").write_text("1\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "base")
    base = git("rev-parse", "HEAD")
    git("checkout", "-q", "-b", "feature")
    (repo / "b.txt").write_text("2\n")
    git("add", "b.txt")
    git("commit", "-q", "-m", "feature work")
    git("checkout", "-q", "main")
    git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    merge = git("rev-parse", "HEAD")
    assert main(["ingest", "git", "--repo", str(repo), "-p", "gitp", "--no-szz"]) == 0
    src = tmp_path / "in"
    src.mkdir()
    (src / "deployments.csv").write_text("id,environment,result,started_at,finished_at,scope\n"
                                         "d1,PRODUCTION,SUCCESS,2024-04-01T11:00:00Z,2024-04-01T11:10:00Z,ci\n"
                                         "d2,PRODUCTION,SUCCESS,2024-04-02T11:00:00Z,2024-04-02T11:10:00Z,ci\n")
    (src / "deployment_commits.csv").write_text(f"deployment_id,repo,commit_sha\nd1,app,{base}\nd2,app,{merge}\n")
    (src / "pull_requests.csv").write_text("id,repo,status,created_at,merged_at,merge_commit_sha\n"
                                           f"pr1,app,MERGED,2024-04-01T09:00:00Z,2024-04-01T12:00:00Z,{merge}\n")
    assert main(["ingest", "delivery", str(src), "-p", "gitp"]) == 0
    detail = cli_json(["dora", "-p", "gitp", "--detail"])
    assert detail["pull_requests"]["pr1"]["deployment_id"] == "d2"
    assert detail["pull_requests"]["pr1"]["deploy_time_min"] == 23 * 60 + 10
