"""Use cases of the quality gate (argus.app.gate) called directly, on a real database: the build from the
request or the CI environment, the diff from a real checkout, the recorded verdict, metrics, baseline."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from argus.analysis.gates.schemas import Rule, RuleStatus, Verdict
from argus.app.gate import BuildRequest, GateRequest, ci_metrics, evaluate_gate, gate_baseline
from argus.app.runtime import ProjectScope, Runtime
from argus.core.enums import InsightKind
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import Settings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.service import ingest_coverage
from argus.ingest.vulns.service import ingest_vulns
from argus.report.gate import baseline_file
from argus.store.models import InsightRow

GITHUB_PR = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "555", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "test",
             "GITHUB_SHA": "f" * 40, "GITHUB_HEAD_REF": "feature", "GITHUB_BASE_REF": "main",
             "GITHUB_REPOSITORY": "acme/shop"}


@pytest.fixture
def runtime(engine: Engine, settings: Settings) -> Iterator[Runtime]:  # engine: the database is migrated
    rt = Runtime(settings)
    yield rt
    rt.close()


def lcov(lines: dict[int, bool], path: str = "src/app.py") -> bytes:
    return ("\n".join([f"SF:{path}", *(f"DA:{n},{int(hit)}" for n, hit in sorted(lines.items())),
                       "end_of_record", ""])).encode()


def cov(pct: int) -> bytes:
    return lcov({n: n <= pct for n in range(1, 101)})


def trivy(highs: int) -> bytes:
    vulns = [{"VulnerabilityID": f"CVE-2024-{i}", "PkgName": f"p{i}", "Severity": "HIGH"} for i in range(highs)]
    return json.dumps({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": vulns}]}).encode()


def ingest(rt: Runtime, meta: CiMetadata, coverage: bytes | None = None, highs: int | None = None) -> None:
    def work(scope: ProjectScope) -> None:
        if coverage is not None:
            ingest_coverage(scope.session, coverage, f"cov-{meta.run_id}.info", meta)
        if highs is not None:
            ingest_vulns(scope.session, trivy(highs), f"trivy-{meta.run_id}.json", meta)

    rt.in_project("shop", work, create=True)


def seed(rt: Runtime) -> None:
    """Three green builds on main: coverage 90, 91, 89 %, one HIGH each."""
    for i, pct in enumerate((90, 91, 89)):
        ingest(rt, CiMetadata(run_id=f"r{i}", commit_sha=f"aaa{i}", branch="main"), cov(pct), highs=1)


def build(rt: Runtime, commit: str, pct: int, highs: int = 1, run_id: str = "pr-1") -> None:
    ingest(rt, CiMetadata(run_id=run_id, commit_sha=commit, branch="feature"), cov(pct), highs=highs)


def gate_insights(rt: Runtime) -> list[InsightRow]:
    return rt.in_project("shop", lambda scope: list(scope.session.scalars(
        select(InsightRow).where(InsightRow.kind == InsightKind.GATE_VERDICT.value))))


def test_a_regression_fails_and_the_verdict_is_recorded_with_the_metrics(runtime: Runtime) -> None:
    seed(runtime)
    build(runtime, "bbb1", 70, highs=3)
    view = evaluate_gate(runtime, GateRequest(project="shop", commit="bbb1", with_metrics=True))
    out = view.outcome
    assert out.result.verdict is Verdict.FAIL and view.blocks("fail") and view.blocks("warn")
    assert out.result.of(Rule.COVERAGE_DROP).status is RuleStatus.FAIL
    assert [b.key for b in out.baseline_builds] == ["aaa2", "aaa1", "aaa0"]
    assert out.insight_id is not None and [r.id for r in gate_insights(runtime)] == [out.insight_id]
    assert view.metrics is not None and view.metrics.build == "bbb1" and view.metrics.coverage_pct == 70.0
    assert view.metrics.job_statuses["gate"] == "fail"  # collected after the verdict was recorded
    assert view.notes == ()


def test_no_record_writes_nothing_and_a_pass_does_not_block(runtime: Runtime) -> None:
    seed(runtime)
    build(runtime, "bbb2", 90)
    view = evaluate_gate(runtime, GateRequest(project="shop", commit="bbb2", record=False))
    assert view.outcome.result.verdict is Verdict.PASS and not view.blocks("warn")
    assert view.outcome.insight_id is None and view.metrics is None and gate_insights(runtime) == []


def test_already_failing_mode_is_checked_and_unknown_builds_are_not_found(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="--already-failing 'never'"):
        GateRequest(already_failing="never")
    seed(runtime)
    with pytest.raises(NotFoundError, match="no-such"):
        evaluate_gate(runtime, GateRequest(project="shop", commit="no-such"))
    with pytest.raises(NotFoundError):
        ci_metrics(runtime, BuildRequest(project="shop", ci_run_id="no-such-run"))


def test_build_and_base_come_from_the_ci_environment(runtime: Runtime, tmp_path: Path) -> None:
    seed(runtime)
    ingest(runtime, CiMetadata(provider="github", run_id="555", job="test", commit_sha="f" * 40, branch="feature"),
           cov(95))
    heard: list[str] = []
    view = evaluate_gate(runtime, GateRequest(project="shop", repo=tmp_path, environ=GITHUB_PR, cwd=tmp_path),
                         on_note=heard.append)
    assert view.outcome.build.commit_sha == "f" * 40 and view.outcome.build.branch == "feature"
    # origin/main is not in tmp_path: changed-line checks skipped, heard before the gate ran, and kept
    assert len(heard) == 1 and heard[0].startswith("no diff (") and view.notes == tuple(heard)
    assert view.outcome.changed_lines is None
    metrics = ci_metrics(runtime, BuildRequest(project="shop", environ=GITHUB_PR, cwd=tmp_path))
    assert metrics.workflow_run_id == "555" and metrics.coverage_pct == 95.0


def test_changed_lines_come_from_the_checkout_diff(runtime: Runtime, tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com",
                               *args], check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    (tmp_path / "app.py").write_text("a = 1\nb = 2\n")
    git("add", "app.py")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "feature")
    (tmp_path / "app.py").write_text("a = 1\nx = 9\nb = 2\ny = 8\n")
    git("commit", "-q", "-am", "change")
    head = git("rev-parse", "HEAD")
    seed(runtime)
    ingest(runtime, CiMetadata(run_id="pr-2", commit_sha=head, branch="feature"),
           lcov({1: True, 2: True, 3: True, 4: False}, path="app.py"))
    view = evaluate_gate(runtime, GateRequest(project="shop", commit=head, base="main", repo=tmp_path, record=False))
    out = view.outcome
    assert out.changed_lines == 2 and [f.path for f in out.changed_files] == ["app.py"]
    assert out.changed_coverage is not None and (out.changed_coverage.executable, out.changed_coverage.covered) == (2, 1)
    assert [(lc.path, lc.ranges, lc.changed) for lc in out.low_coverage] == [("app.py", ((4, 4),), True)]
    with pytest.raises(InputError, match="no-such-ref"):
        evaluate_gate(runtime, GateRequest(project="shop", commit=head, base="no-such-ref", repo=tmp_path))


def test_baseline_of_a_build_starting_now_and_of_a_named_build(runtime: Runtime) -> None:
    seed(runtime)
    now = gate_baseline(runtime, BuildRequest(project="shop"))
    assert (now.project, now.default_branch) == ("shop", "main")
    assert [b.key for b in now.builds] == ["aaa2", "aaa1", "aaa0"] and now.result.baseline.coverage_pct == 90.0
    doc = baseline_file(now)
    assert doc["schema"] == "argus.quality-baseline/v1" and [r["commit"] for r in doc["runs"]] == ["aaa2", "aaa1", "aaa0"]
    first = gate_baseline(runtime, BuildRequest(project="shop", commit="aaa0"))
    assert first.builds == () and any("first run" in n for n in first.result.notes)
