"""``argus ingest coverage|vulns``, ``argus gate`` (exit codes, --json, --markdown, --comment, GitHub job
summary and annotations) and ``argus ci-metrics`` end to end on a real database, with the fake GitHub
and Pushgateway servers on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from argus.cli.app import main
from argus.core.db import create_db_engine
from argus.store.models import DeadLetter

GH_VARS = ("GITHUB_ACTIONS", "GITHUB_RUN_ID", "GITHUB_SHA", "GITHUB_REF", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH",
           "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GITLAB_CI", "JENKINS_URL", "CIRCLECI", "BUILDKITE", "TF_BUILD",
           "DELTA_COVERAGE", "DELTA_VULN_HIGH", "DELTA_VULN_CRITICAL", "VULN_GATING", "MAX_HIGH", "MAX_CRITICAL")


@pytest.fixture
def env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for var in GH_VARS:
        monkeypatch.delenv(var, raising=False)
    return cli_env


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def lcov(tmp: Path, name: str, covered: int, total: int = 100) -> str:
    path = tmp / name
    path.write_text("SF:src/app.py\n" + "".join(f"DA:{i},{int(i <= covered)}\n" for i in range(1, total + 1))
                    + "end_of_record\n")
    return str(path)


def trivy(tmp: Path, name: str, highs: int) -> str:
    path = tmp / name
    vulns = [{"VulnerabilityID": f"CVE-2024-{i}", "PkgName": f"p{i}", "Severity": "HIGH"} for i in range(highs)]
    path.write_text(json.dumps({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": vulns}]}))
    return str(path)


def seed(capsys: pytest.CaptureFixture[str], tmp: Path) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    for i, cov in enumerate((90, 91, 89)):
        meta = ("--commit", f"aaa{i}", "--branch", "main", "--run-id", f"r{i}")
        assert run(capsys, "ingest", "coverage", lcov(tmp, f"m{i}.info", cov), *meta)[0] == 0
        assert run(capsys, "ingest", "vulns", trivy(tmp, f"m{i}.json", 1), *meta)[0] == 0


def test_gate_exit_codes_and_json(capsys, env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(capsys, tmp_path)
    pr = ("--commit", "bbb1", "--branch", "feature", "--run-id", "r9")
    code, out, _ = run(capsys, "ingest", "coverage", lcov(tmp_path, "pr.info", 84), *pr, "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "ingested"
    assert json.loads(run(capsys, "ingest", "coverage", lcov(tmp_path, "pr.info", 84), *pr, "--json")[1])[0][
        "status"] == "duplicate"
    code, out, _ = run(capsys, "gate", "--commit", "bbb1", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "fail"  # 90 → 84: −6 points
    assert [b["commit"] for b in doc["baseline"]["builds"]] == ["aaa2", "aaa1", "aaa0"]
    monkeypatch.setenv("DELTA_COVERAGE", "7")  # the seed's env name is honoured
    code, out, _ = run(capsys, "gate", "--commit", "bbb1", "--json", "--no-record")
    assert code == 0 and json.loads(out)["verdict"] == "pass"  # no absolute floor by default
    monkeypatch.setenv("ARGUS_GATE__MIN_COVERAGE", "90")  # opt in to the seed's absolute floor
    code, out, _ = run(capsys, "gate", "--commit", "bbb1", "--json", "--no-record")
    assert code == 0 and json.loads(out)["verdict"] == "warn"  # coverage floor (warn-only)
    code, _, _ = run(capsys, "gate", "--run-id", "r9", "--fail-on", "warn")
    assert code == 1
    code, out, _ = run(capsys, "gate", "--commit", "bbb1")
    assert code == 0 and "Quality gate: WARN" in out


def test_rejected_report_is_dead_lettered(capsys, env, tmp_path: Path) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    bad = tmp_path / "bad.xml"
    bad.write_text('<!DOCTYPE x [<!ENTITY a "b">]><coverage>&a;</coverage>')
    code, _, err = run(capsys, "ingest", "coverage", str(bad), "--commit", "ccc1")
    assert code == 6 and "refused XML" in err
    engine = create_db_engine(env["ARGUS_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(select(DeadLetter.source, DeadLetter.source_name)).all()
    engine.dispose()
    assert rows == [("coverage", str(bad))]
    code, _, err = run(capsys, "gate", "--commit", "dddd")
    assert code == 5 and "no ingested run" in err


def test_gate_in_github_actions_comments_summarises_and_annotates(
    capsys, env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_github, pushgateway
) -> None:
    seed(capsys, tmp_path)
    pr = ("--commit", "bbb2", "--branch", "feature", "--run-id", "r10")
    run(capsys, "ingest", "coverage", lcov(tmp_path, "pr2.info", 84), *pr)
    run(capsys, "ingest", "vulns", trivy(tmp_path, "pr2.json", 5), *pr)
    fake_github.add_comment("acme/shop", 12, "LGTM")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    summary = tmp_path / "summary.md"
    for k, v in {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_EVENT_PATH": str(event),
                 "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_TOKEN": fake_github.token, "GITHUB_RUN_ID": "r10",
                 "ARGUS_GITHUB_API_URL": fake_github.base_url}.items():
        monkeypatch.setenv(k, v)
    md = tmp_path / "comment.md"
    code, out, _ = run(capsys, "gate", "--commit", "bbb2", "--comment", "--markdown", str(md))
    assert code == 1
    assert "::error title=Argus gate%3A coverage_drop::" in out
    assert "::error title=Argus gate%3A new_high::4 new HIGH" in out  # 5 now, 1 known → 4 new > 3
    assert "PR comment created" in out
    assert summary.read_text().startswith("<!-- argus:quality-gate -->\n## 🤖 CI Feedback")
    assert md.read_text() == summary.read_text()
    run(capsys, "gate", "--commit", "bbb2", "--comment")
    ours = [c for c in fake_github.comments("acme/shop", 12) if "argus:quality-gate" in c["body"]]
    assert len(ours) == 1 and len(fake_github.comments("acme/shop", 12)) == 2
    out_file = tmp_path / "metrics.json"
    code, out, _ = run(capsys, "ci-metrics", "--commit", "bbb2", "--out", str(out_file), "--push-gateway",
                       pushgateway.url, "--json")
    assert code == 0
    doc = json.loads(out_file.read_text())
    assert doc == json.loads(out)
    assert doc["metrics"]["coverage_pct"] == 84.0 and doc["metrics"]["vulnerabilities_high"] == 5
    assert doc["workflow_run_id"] == "r10" and doc["job_statuses"]["gate"] == "fail"
    assert pushgateway.pushes and "argus_ci_coverage_pct 84" in pushgateway.pushes[0][3]


def _pr_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api_url: str, token: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    for k, v in {"GITHUB_REPOSITORY": "acme/shop", "GITHUB_EVENT_PATH": str(event), "GITHUB_TOKEN": token,
                 "ARGUS_GITHUB_API_URL": api_url}.items():
        monkeypatch.setenv(k, v)


def test_a_failed_comment_never_changes_the_gate_exit_code(
    capsys, env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_github, stranger
) -> None:
    seed(capsys, tmp_path)
    pr = ("--commit", "b003", "--branch", "feature", "--run-id", "r11")
    run(capsys, "ingest", "coverage", lcov(tmp_path, "pr3.info", 91), *pr)
    fake_github.add_comment("acme/shop", 12, "LGTM")
    fake_github.fault = "forbid_writes"  # a fork PR: GITHUB_TOKEN is read-only
    _pr_env(monkeypatch, tmp_path, fake_github.base_url, fake_github.token)
    code, out, err = run(capsys, "gate", "--commit", "b003", "--comment", "--no-record")
    assert code == 0 and "Quality gate: PASS" in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: PR comment not posted")
    assert "HTTP 403" in err and "pull-requests: write" in err and "fork" in err
    # the API is down (nothing listens), the token is wrong, the API answers HTML: warnings, exit 0
    for api, token, fault in ((stranger.url.rsplit(":", 1)[0] + ":9", fake_github.token, None),
                              (fake_github.base_url, "wrong", None), (fake_github.base_url, fake_github.token, "html")):
        fake_github.fault = fault
        _pr_env(monkeypatch, tmp_path, api, token)
        code, _, err = run(capsys, "gate", "--commit", "b003", "--comment", "--no-record")
        assert code == 0 and err.startswith("warning: PR comment not posted") and len(err.strip().splitlines()) == 1
    # the token never went anywhere else, and a failing gate still exits 1 when the comment fails
    fake_github.fault, fake_github.next_link = None, f"{stranger.url}/repos/acme/shop/issues/12/comments?page=2"
    _pr_env(monkeypatch, tmp_path, fake_github.base_url, fake_github.token)
    run(capsys, "ingest", "coverage", lcov(tmp_path, "pr4.info", 80), "--commit", "b004", "--branch", "feature")
    code, _, err = run(capsys, "gate", "--commit", "b004", "--comment", "--no-record")
    assert code == 1 and "another origin" in err
    assert stranger.requests == []
    monkeypatch.delenv("GITHUB_EVENT_PATH")  # no pull request at all: a warning, not a usage error
    code, _, err = run(capsys, "gate", "--commit", "b003", "--comment", "--no-record")
    assert code == 0 and "no pull request" in err


def test_build_and_base_come_from_the_ci_environment(capsys, env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(capsys, tmp_path)
    for k, v in {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "555", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "test",
                 "GITHUB_SHA": "f" * 40, "GITHUB_HEAD_REF": "feature", "GITHUB_BASE_REF": "main",
                 "GITHUB_REPOSITORY": "acme/shop"}.items():
        monkeypatch.setenv(k, v)
    assert run(capsys, "ingest", "coverage", lcov(tmp_path, "ci.info", 95))[0] == 0
    code, out, err = run(capsys, "gate", "--json", "--no-github", "--repo", str(tmp_path))
    doc = json.loads(out)
    assert code == 0 and doc["build"]["commit"] == "f" * 40 and doc["build"]["branch"] == "feature"
    assert "no diff" in err  # origin/main is not there: changed-line checks skipped, gate still runs
    assert doc["changed_lines"] is None


def test_baseline_command_exports_the_seed_baseline_file(capsys, env, tmp_path: Path) -> None:
    seed(capsys, tmp_path)
    out = tmp_path / "ci_metrics" / "quality_metrics.json"
    code, stdout, _ = run(capsys, "baseline", "--out", str(out), "--json")
    doc = json.loads(out.read_text())
    assert code == 0 and doc == json.loads(stdout)
    assert doc["schema"] == "argus.quality-baseline/v1" and doc["aggregate"] == "median"
    assert [r["commit"] for r in doc["runs"]] == ["aaa2", "aaa1", "aaa0"]
    assert doc["baseline"]["coverage_pct"] == 90.0 and doc["baseline"]["high"] == 1.0
    code, stdout, _ = run(capsys, "baseline")
    assert code == 0 and "median of 3 green build(s)" in stdout


def test_oversized_report_is_refused_without_reading_it_all(capsys, env, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    monkeypatch.setenv("ARGUS_INGEST__MAX_FILE_BYTES", "1000")
    code, _, err = run(capsys, "ingest", "vulns", trivy(tmp_path, "big.json", 50), "--commit", "ccc1")
    assert code == 6 and "above the limit of 1000 bytes" in err
    code, out, _ = run(capsys, "ingest", "vulns", trivy(tmp_path, "small.json", 1), "--commit", "ccc1", "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "ingested"
