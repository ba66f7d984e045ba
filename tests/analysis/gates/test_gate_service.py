"""Gate service on a real database: baseline selection (only green default-branch builds, last N, before the
build), first-run defaults, identities of new vulnerabilities, failures with clusters, the stored insight."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.gates.schemas import Rule, RuleStatus, Verdict
from argus.analysis.gates.service import collect_ci_metrics, record_gate, run_gate
from argus.core.enums import InsightKind
from argus.core.settings import GateSettings
from argus.store.models import EvidenceRow, InsightRow, Project

PASS = {"t::a": ["passed"], "t::b": ["passed"]}


def project(s: Session) -> Project:
    return s.scalars(select(Project)).one()


def gs(**kw: object) -> GateSettings:
    return GateSettings.model_validate(kw)


def test_baseline_uses_only_green_default_branch_builds(builds, project_session: Session) -> None:
    builds.run("m1", PASS, coverage=(90, 100))
    builds.run("m2", {"t::a": ["failed"], "t::b": ["passed"]}, coverage=(50, 100))  # red: excluded
    builds.run("f1", PASS, branch="feature", coverage=(10, 100))  # other branch: excluded
    builds.run("m3", {"t::a": ["failed", "passed"], "t::b": ["passed"]}, coverage=(92, 100))  # retry-pass: green
    builds.run("pr", PASS, branch="feature", coverage=(86, 100))
    out = run_gate(project_session, project(project_session), gs(), commit="pr")
    assert [b.key for b in out.baseline_builds] == ["m3", "m1"]
    assert out.result.baseline.coverage_pct == 91.0  # median of 92 and 90
    assert out.result.of(Rule.COVERAGE_DROP).status is RuleStatus.PASS  # −5.0 exactly
    assert out.result.verdict is Verdict.PASS  # no absolute floor unless configured (gate.min_coverage)


def test_baseline_is_last_n_and_only_builds_before_the_current_one(builds, project_session: Session) -> None:
    for i in range(5):
        builds.run(f"m{i}", PASS, coverage=(80 + i, 100))
    builds.run("pr", PASS, branch="feature", coverage=(80, 100))
    builds.run("later", PASS, coverage=(99, 100))  # after the PR build: not its baseline
    out = run_gate(project_session, project(project_session), gs(baseline_runs=3), commit="pr")
    assert [b.key for b in out.baseline_builds] == ["m4", "m3", "m2"]
    assert out.result.baseline.coverage_pct == 83.0


def test_first_run_has_no_coverage_or_vulnerability_regression(builds, project_session: Session) -> None:
    builds.run("pr", PASS, branch="feature", coverage=(84, 100), vulns=[("CVE-1", "a", "HIGH")])
    out = run_gate(project_session, project(project_session), gs(), commit="pr")
    assert out.baseline_builds == ()
    assert out.result.baseline.coverage_source == "none"
    assert out.result.of(Rule.COVERAGE_DROP).status is RuleStatus.SKIPPED
    assert out.result.of(Rule.NEW_HIGH).status is RuleStatus.SKIPPED
    assert any("first run" in n for n in out.result.notes)
    assert out.result.verdict is Verdict.PASS


def test_new_vulnerabilities_are_told_from_known_by_identity(builds, project_session: Session) -> None:
    known = [("CVE-2020-1", "a", "HIGH"), ("CVE-2020-2", "b", "HIGH")]
    builds.run("m1", PASS, vulns=known)
    new4 = [(f"CVE-2024-{i}", "c", "HIGH") for i in range(4)]
    builds.run("pr3", PASS, branch="f", vulns=known + new4[:3])
    builds.run("pr4", PASS, branch="f", vulns=new4)  # known ones fixed: count 2 → 4 but 4 new
    p = project(project_session)
    assert run_gate(project_session, p, gs(), commit="pr3").result.of(Rule.NEW_HIGH).status is RuleStatus.PASS
    out = run_gate(project_session, p, gs(), commit="pr4")
    assert out.result.of(Rule.NEW_HIGH).status is RuleStatus.FAIL
    assert out.result.verdict is Verdict.FAIL
    assert {v.vuln_id for v in out.result.new_vulns} == {f"CVE-2024-{i}" for i in range(4)}


def test_failures_and_retries_and_recorded_insight(builds, project_session: Session) -> None:
    builds.run("m1", PASS, coverage=(90, 100), duration_s=100.0)
    builds.run("pr", {"t::a": ["failed", "failed"], "t::b": ["failed", "passed"]}, branch="f", coverage=(90, 100), duration_s=140.0)
    p = project(project_session)
    out = run_gate(project_session, p, gs(), commit="pr")
    assert [f.name for f in out.failures] == ["t::a"]
    assert out.failures[0].known_flaky is None  # flaky analysis never ran here
    assert out.retried == ("t::b",)
    r = out.result
    assert r.of(Rule.NEW_FAILURES).status is RuleStatus.FAIL
    assert "flaky status unknown" in r.of(Rule.NEW_FAILURES).message
    assert r.of(Rule.NEWLY_FLAKY).status is RuleStatus.WARN
    assert r.of(Rule.DURATION).status is RuleStatus.WARN  # +40 % > 25 %
    out = record_gate(project_session, out)
    row = project_session.get(InsightRow, out.insight_id)
    assert row is not None and row.kind == InsightKind.GATE_VERDICT.value and row.subject_id == "pr"
    assert row.data["verdict"] == "fail"
    refs = {(e.ref_type, e.ref_id) for e in project_session.scalars(
        select(EvidenceRow).where(EvidenceRow.insight_id == row.id))}
    assert ("test_run", str(out.build.run_ids[0])) in refs  # cites the current run
    assert ("test_run", str(out.baseline_builds[0].run_ids[0])) in refs  # and the baseline run
    assert ("test_result", str(out.failures[0].result_id)) in refs
    metrics = collect_ci_metrics(project_session, p.slug, commit="pr")
    assert metrics.rerun_count == 2 and metrics.has_flaky_tests and metrics.job_statuses["gate"] == "fail"
    assert metrics.job_statuses["test"] == "failure"


def test_changed_line_coverage_and_small_change_skip(builds, project_session: Session) -> None:
    builds.run("m1", PASS, coverage=(95, 100))
    builds.run("pr", PASS, branch="f", coverage=(50, 100))  # lines 51-100 uncovered
    diff_big = "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n@@ -40,0 +41,20 @@\n" + \
        "".join(f"+line{i}\n" for i in range(20))
    p = project(project_session)
    out = run_gate(project_session, p, gs(), commit="pr", diff_text=diff_big)
    cc = out.changed_coverage
    assert cc is not None and (cc.executable, cc.covered) == (20, 10)  # 41-50 covered, 51-60 not
    assert out.result.of(Rule.CHANGED_LINES).status is RuleStatus.WARN
    assert out.result.of(Rule.COVERAGE_DROP).status is RuleStatus.FAIL
    assert out.low_coverage[0].ranges == ((51, 60),) and out.low_coverage[0].changed
    diff_small = diff_big.replace("+41,20", "+41,19").rsplit("+line19\n", 1)[0]
    out = run_gate(project_session, p, gs(), commit="pr", diff_text=diff_small)
    assert out.changed_lines == 19 and out.result.small_change
    assert out.result.of(Rule.COVERAGE_DROP).status is RuleStatus.SKIPPED
    assert out.result.verdict is Verdict.PASS


def test_known_flaky_failures_do_not_fail_the_gate(builds, project_session: Session) -> None:
    from argus.analysis.insights.service import save_insights
    from argus.core.enums import Support
    from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
    from argus.store.models import FlakyTestState, TestCase

    s = project_session
    builds.run("m1", PASS)
    builds.run("pr", {"t::a": ["failed"], "t::b": ["failed"], "t::c": ["failed"]}, branch="f")
    ev = (Claim("x", 0.9, (Evidence("test_run", "1", Support.STRONG, "retry pass"),)),)

    def insight(kind: InsightKind, test: str, verdict: str) -> Insight:
        return Insight(kind, Subject("test", test), "t", "s", ev, Confidence(0.9), Provenance("flaky", "1"),
                       data={"verdict": verdict})

    save_insights(s, [insight(InsightKind.FLAKY_TEST, "t::a", "flaky"),
                      insight(InsightKind.FLAKY_TEST, "t::b", "stable"),  # failed before, not judged flaky
                      insight(InsightKind.FLAKY_TEST, "t::c", "flaky"),
                      insight(InsightKind.BROKEN_TEST, "t::c", "broken")])  # broken wins
    out = run_gate(s, project(s), gs(), commit="pr")
    assert out.flaky_status_known
    assert {f.name: f.known_flaky for f in out.failures} == {"t::a": True, "t::b": False, "t::c": False}
    assert out.result.of(Rule.NEW_FAILURES).status is RuleStatus.FAIL
    assert out.result.of(Rule.NEW_FAILURES).current == 2
    # a quarantined lifecycle state (set by the analysis or by hand) also counts as known flaky
    b = s.scalars(select(TestCase).where(TestCase.identity == "t::b")).one()
    s.add(FlakyTestState(project_id=b.project_id, test_case_id=b.id, state="quarantined"))
    s.flush()
    out = run_gate(s, project(s), gs(), commit="pr")
    assert {f.name: f.known_flaky for f in out.failures} == {"t::a": True, "t::b": True, "t::c": False}


def test_each_metric_reads_the_newest_green_builds_that_measured_it(builds, project_session: Session) -> None:
    """Builds with only some artefacts: the newest three have no coverage report, older ones fill in."""
    for i, cov in enumerate((70, 72, 74, 76)):
        builds.run(f"m{i}", PASS, coverage=(cov, 100))
    for i in range(4, 7):
        builds.run(f"m{i}", PASS)  # coverage job skipped
    builds.run("pr", PASS, branch="feature", coverage=(60, 100))
    out = run_gate(project_session, project(project_session), gs(baseline_runs=3), commit="pr")
    assert out.result.baseline.coverage_source == "history"
    assert out.result.baseline.coverage_pct == 74.0  # median of m3, m2, m1
    assert [b.key for b in out.baseline_builds] == ["m6", "m5", "m4", "m3", "m2", "m1"]
    assert out.result.of(Rule.COVERAGE_DROP).status is RuleStatus.FAIL  # 74 → 60
