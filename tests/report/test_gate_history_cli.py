"""``argus gate`` and ``argus baseline`` on small real histories made through the CLI (issue 10 §2, 12 §4–5).

Every test ingests JUnit, LCOV and Trivy files it writes itself with ``argus ingest …`` into the
test's database, then runs ``argus gate`` / ``argus baseline`` and reads their JSON or text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli.app import main

GH_VARS = ("GITHUB_ACTIONS", "GITHUB_RUN_ID", "GITHUB_SHA", "GITHUB_REF", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH",
           "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GITLAB_CI", "JENKINS_URL", "CIRCLECI", "BUILDKITE", "TF_BUILD",
           "DELTA_COVERAGE", "DELTA_VULN_HIGH", "DELTA_VULN_CRITICAL", "VULN_GATING", "MAX_HIGH", "MAX_CRITICAL")


@pytest.fixture
def env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    for var in GH_VARS:
        monkeypatch.delenv(var, raising=False)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    return Path(cli_env["ARGUS_HOME"]).parent


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


def junit(tmp: Path, name: str, cases: dict[str, str], day: int) -> str:
    """A JUnit file: ``cases`` maps test name → P (passed) or F (failed); timestamp 2026-01-<day>."""
    body = "".join(
        f'<testcase classname="tests.test_app" name="{n}" time="0.5">'
        + ('<failure message="AssertionError: boom">boom</failure>' if o == "F" else "") + "</testcase>"
        for n, o in cases.items()
    )
    fails = sum(1 for o in cases.values() if o == "F")
    path = tmp / name
    path.write_text(f'<testsuite name="tests.test_app" tests="{len(cases)}" failures="{fails}" '
                    f'timestamp="2026-01-{day:02d}T10:00:00">{body}</testsuite>')
    return str(path)


def lcov(tmp: Path, name: str, covered: int, total: int = 100) -> str:
    path = tmp / name
    path.write_text("SF:src/app.py\n" + "".join(f"DA:{i},{int(i <= covered)}\n" for i in range(1, total + 1))
                    + "end_of_record\n")
    return str(path)


def trivy(tmp: Path, name: str, ids: list[str]) -> str:
    path = tmp / name
    vulns = [{"VulnerabilityID": v, "PkgName": f"pkg-{v}", "InstalledVersion": "1.0", "Severity": "HIGH"} for v in ids]
    path.write_text(json.dumps({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": vulns}]}))
    return str(path)


def build(capsys: pytest.CaptureFixture[str], tmp: Path, commit: str, branch: str, day: int, *,
          cases: dict[str, str] | None = None, cov: int | None = None, vulns: list[str] | None = None) -> None:
    """One CI run as a user's workflow ingests it: tests with --job, coverage and scan without."""
    meta = ("--commit", commit, "--branch", branch, "--run-id", f"ci-{commit}")
    if cases is not None:
        code, out = run(capsys, "ingest", "tests", junit(tmp, f"{commit}.xml", cases, day), *meta, "--job", "test")
        assert code == 0, out
    if cov is not None:
        code, out = run(capsys, "ingest", "coverage", lcov(tmp, f"{commit}.info", cov), *meta)
        assert code == 0, out
    if vulns is not None:
        code, out = run(capsys, "ingest", "vulns", trivy(tmp, f"{commit}.json", vulns), *meta)
        assert code == 0, out


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, out = run(capsys, "gate", "--json", "--no-record", *args)
    return code, json.loads(out)


OK = {"test_a": "P", "test_b": "P", "test_c": "P"}


def test_gate_and_baseline_read_the_same_baseline(capsys, env: Path) -> None:
    """Coverage and scans ingested after the tests (own runs, later start) still count in the gate's baseline."""
    for i, cov in enumerate((76, 75, 77)):
        build(capsys, env, f"a00{i}", "main", 1 + i, cases=OK, cov=cov, vulns=["CVE-2024-1"])
    build(capsys, env, "b001", "feature", 10, cases=OK, cov=74, vulns=["CVE-2024-1"])
    code, out = run(capsys, "baseline", "--json")
    base = json.loads(out)
    assert code == 0 and base["baseline"]["coverage_source"] == "history"
    code, doc = gate(capsys, "--commit", "b001")
    assert doc["baseline"]["coverage_pct"] == pytest.approx(base["baseline"]["coverage_pct"]) == 76.0
    assert doc["baseline"]["coverage_source"] == "history"
    assert [b["commit"] for b in doc["baseline"]["builds"]] == [r["commit"] for r in base["runs"]]
    assert not any("no baseline coverage" in n for n in doc["notes"])
    rules = {r["rule"]: r for r in doc["rules"]}
    assert rules["new_high"]["current"] == 0  # the HIGH present in every build is not new
    assert code == 0 and doc["verdict"] == "pass"
    code, out = run(capsys, "baseline", "--commit", "b001", "--json")  # the baseline this build is judged against
    assert code == 0 and json.loads(out)["baseline"]["coverage_pct"] == doc["baseline"]["coverage_pct"]


def test_first_build_is_not_a_regression(capsys, env: Path) -> None:
    build(capsys, env, "f1a5", "main", 1, cases=OK, cov=60, vulns=["CVE-2024-1", "CVE-2024-2"])
    code, doc = gate(capsys, "--commit", "f1a5")
    rules = {r["rule"]: r for r in doc["rules"]}
    assert code == 0 and doc["verdict"] == "pass", doc
    assert rules["coverage_drop"]["status"] == "skipped"
    assert "no baseline" in rules["coverage_drop"]["message"]
    assert rules["new_high"]["status"] == "skipped"
    code, out = run(capsys, "gate", "--commit", "f1a5", "--no-record")
    assert code == 0 and "f1a5" in out and "no regression" in out


def test_min_coverage_floor_is_opt_in(capsys, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        build(capsys, env, f"a00{i}", "main", 1 + i, cases=OK, cov=70)
    build(capsys, env, "b001", "feature", 10, cases=OK, cov=70)
    code, doc = gate(capsys, "--commit", "b001")
    rules = {r["rule"]: r for r in doc["rules"]}
    assert code == 0 and doc["verdict"] == "pass" and rules["min_coverage"]["status"] == "skipped"
    monkeypatch.setenv("ARGUS_GATE__MIN_COVERAGE", "80")
    code, doc = gate(capsys, "--commit", "b001")
    assert code == 0 and doc["verdict"] == "warn"
    assert {r["rule"]: r["status"] for r in doc["rules"]}["min_coverage"] == "warn"


def test_failures_already_failing_on_main_do_not_block(capsys, env: Path) -> None:
    broken = {"test_a": "P", "test_b": "F", "test_c": "P"}
    for i in range(3):
        build(capsys, env, f"a00{i}", "main", 1 + i, cases=broken, cov=80)
    build(capsys, env, "b001", "feature", 10, cases=broken, cov=80)
    code, doc = gate(capsys, "--commit", "b001")
    rules = {r["rule"]: r for r in doc["rules"]}
    assert rules["new_failures"]["status"] == "pass", rules["new_failures"]
    assert rules["already_failing"]["status"] == "warn"
    (fail,) = doc["failures"]
    assert fail["already_failing"]["since_commit"] == "a000" and fail["already_failing"]["since_at_least"] is True
    assert code == 0 and doc["verdict"] == "warn"
    code, _out = run(capsys, "gate", "--commit", "b001", "--no-record", "--markdown", str(env / "c.md"))
    md = (env / "c.md").read_text()
    assert "already failing on `main` (since at least `a000`" in md
    assert "new failures" not in md.lower() or "0 new" in md
    code, out = run(capsys, "gate", "--commit", "b001", "--json")  # recorded as an insight, citing the failure
    assert code == 0 and json.loads(out)["insight_id"] is not None
    # configurable: block on them too (CLI flag), or by setting
    code, doc = gate(capsys, "--commit", "b001", "--already-failing", "block")
    assert code == 1 and doc["verdict"] == "fail"
    (env / "argus.toml").write_text('[gate.rules]\nalready_failing = "block"\n')
    code, doc = gate(capsys, "--commit", "b001")
    assert code == 1 and doc["verdict"] == "fail"
    code, doc = gate(capsys, "--commit", "b001", "--already-failing", "off")  # the flag wins over the file
    assert code == 0 and doc["verdict"] == "pass" and doc["failures"][0]["already_failing"] is not None
    (env / "argus.toml").unlink()
    # a new failure of this change still blocks
    build(capsys, env, "b002", "feature", 11, cases={"test_a": "F", "test_b": "F", "test_c": "P"}, cov=80)
    code, doc = gate(capsys, "--commit", "b002")
    assert code == 1 and {r["rule"]: r["status"] for r in doc["rules"]}["new_failures"] == "fail"
    assert [f["test"].endswith("test_a") for f in doc["failures"] if f["already_failing"] is None] == [True]


def test_already_failing_since_the_breaking_commit(capsys, env: Path) -> None:
    build(capsys, env, "a000", "main", 1, cases=OK, cov=80)
    build(capsys, env, "a001", "main", 2, cases={"test_a": "P", "test_b": "F", "test_c": "P"}, cov=80)
    build(capsys, env, "a002", "main", 3, cases={"test_a": "P", "test_b": "F", "test_c": "P"}, cov=80)
    build(capsys, env, "b001", "feature", 10, cases={"test_a": "P", "test_b": "F", "test_c": "P"}, cov=80)
    _code, doc = gate(capsys, "--commit", "b001")
    (fail,) = doc["failures"]
    assert fail["already_failing"]["since_commit"] == "a001" and fail["already_failing"]["since_at_least"] is False
    _code, out = run(capsys, "gate", "--commit", "b001", "--no-record")
    assert "already failing on main (since a001" in " ".join(out.split())


def test_quarantined_tests_that_passed_again_are_listed(capsys, env: Path) -> None:
    for i in range(3):
        build(capsys, env, f"a00{i}", "main", 1 + i, cases=OK, cov=80)
    code, out = run(capsys, "flaky", "set-state", "test_c", "quarantined")
    assert code == 0, out
    build(capsys, env, "b001", "feature", 10, cases=OK, cov=80)
    code, doc = gate(capsys, "--commit", "b001")
    assert [q["test"].endswith("test_c") for q in doc["quarantined_passed"]] == [True]
    code, out = run(capsys, "gate", "--commit", "b001", "--no-record", "--markdown", str(env / "c.md"))
    md = (env / "c.md").read_text()
    assert "Quarantined tests that passed" in md and "test_c" in md
    assert "candidates for release" in " ".join(out.split())
