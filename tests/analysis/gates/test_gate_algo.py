"""Rule boundaries, baseline aggregation, first-run defaults and the small-change skip (pure algo)."""

from __future__ import annotations

import pytest

from argus.analysis.gates.algo import aggregate, evaluate
from argus.analysis.gates.schemas import (
    BuildMetrics,
    ChangedLineCoverage,
    GateInput,
    GateParams,
    Rule,
    RuleMode,
    RuleStatus,
    TestFailure,
    Verdict,
    VulnItem,
)


def build(key: str, cov: float | None = None, high: int = 0, critical: int = 0, ids: tuple[str, ...] = (),
          tests: int | None = None, duration: float | None = None, scanned: bool = True) -> BuildMetrics:
    return BuildMetrics(
        key=key,
        run_ids=(hash(key) % 1000,),
        coverage_pct=cov,
        coverage_report_id=1 if cov is not None else None,
        vuln_counts={"critical": critical, "high": high} if scanned else None,
        vuln_identities=frozenset(ids),
        tests=tests,
        test_duration_s=duration,
    )


def vulns(sev: str, n: int, prefix: str = "new") -> tuple[VulnItem, ...]:
    return tuple(VulnItem(f"{prefix}-{sev}-{i}", f"CVE-{prefix}-{i}", "pkg", sev) for i in range(n))


BASE = tuple(build(f"b{i}", cov=90.0, high=2, critical=0, ids=("known-1", "known-2")) for i in range(3))


def status(result, rule: Rule) -> RuleStatus:
    r = result.of(rule)
    assert r is not None
    return r.status


@pytest.mark.parametrize(("current", "expected"), [(85.0, RuleStatus.PASS), (84.9, RuleStatus.FAIL),
                                                   (88.0, RuleStatus.PASS), (95.0, RuleStatus.PASS)])
def test_coverage_drop_boundary(current: float, expected: RuleStatus) -> None:
    res = evaluate(GateInput(current=build("c", cov=current, scanned=False), baseline=BASE), GateParams())
    assert status(res, Rule.COVERAGE_DROP) is expected
    assert res.verdict is (Verdict.FAIL if expected is RuleStatus.FAIL else res.verdict)


def test_coverage_drop_of_exactly_five_points_in_float_arithmetic_passes() -> None:
    # 100*10/60 − 100*7/60 evaluates to 5.000000000000002: float noise must not flip the boundary
    base = tuple(build(f"b{i}", cov=100 * 10 / 60) for i in range(3))
    res = evaluate(GateInput(current=build("c", cov=100 * 7 / 60), baseline=base), GateParams())
    assert -res.of(Rule.COVERAGE_DROP).delta > 5.0
    assert status(res, Rule.COVERAGE_DROP) is RuleStatus.PASS


@pytest.mark.parametrize(("n_new", "expected"), [(3, RuleStatus.PASS), (4, RuleStatus.FAIL), (0, RuleStatus.PASS)])
def test_new_high_boundary(n_new: int, expected: RuleStatus) -> None:
    cur_vulns = (*vulns("high", n_new), VulnItem("known-1", "CVE-old", "pkg", "high"))
    cur = build("c", high=n_new + 1, ids=tuple(v.identity for v in cur_vulns))
    res = evaluate(GateInput(current=cur, baseline=BASE, current_vulns=cur_vulns), GateParams())
    assert status(res, Rule.NEW_HIGH) is expected
    assert res.of(Rule.NEW_HIGH).current == n_new
    if expected is RuleStatus.FAIL:
        assert "regression exceeds delta threshold" in res.of(Rule.NEW_HIGH).message


@pytest.mark.parametrize(("n_new", "expected"), [(1, RuleStatus.PASS), (2, RuleStatus.FAIL)])
def test_new_critical_boundary(n_new: int, expected: RuleStatus) -> None:
    cur_vulns = vulns("critical", n_new)
    res = evaluate(GateInput(current=build("c", critical=n_new), baseline=BASE, current_vulns=cur_vulns), GateParams())
    assert status(res, Rule.NEW_CRITICAL) is expected


def test_new_is_by_identity_not_by_count() -> None:
    # two known HIGH fixed, four new HIGH appear: the count goes 2 → 4 (+2) but 4 are new → FAIL
    cur_vulns = vulns("high", 4)
    res = evaluate(GateInput(current=build("c", high=4), baseline=BASE, current_vulns=cur_vulns), GateParams())
    assert res.of(Rule.NEW_HIGH).delta == 2
    assert status(res, Rule.NEW_HIGH) is RuleStatus.FAIL
    assert len(res.new_vulns) == 4


def test_seed_example_high_15_vs_10_fails() -> None:
    base = tuple(build(f"b{i}", high=10, ids=tuple(f"k{j}" for j in range(10))) for i in range(2))
    cur_vulns = tuple(VulnItem(f"k{j}", f"K{j}", "p", "high") for j in range(10)) + vulns("high", 5)
    res = evaluate(GateInput(current=build("c", high=15), baseline=base, current_vulns=cur_vulns), GateParams())
    assert status(res, Rule.NEW_HIGH) is RuleStatus.FAIL and res.verdict is Verdict.FAIL


@pytest.mark.parametrize(("high", "critical", "exp_high", "exp_crit"), [
    (10, 2, RuleStatus.PASS, RuleStatus.PASS), (11, 3, RuleStatus.FAIL, RuleStatus.FAIL),
])
def test_absolute_limits_only_with_vuln_gating(high: int, critical: int, exp_high: RuleStatus, exp_crit: RuleStatus) -> None:
    known = tuple(f"k{i}" for i in range(high + critical))
    base = (build("b", high=high, critical=critical, ids=known),)
    items = tuple(VulnItem(k, k, "p", "high" if i < high else "critical") for i, k in enumerate(known))
    cur = build("c", high=high, critical=critical, ids=known)
    off = evaluate(GateInput(current=cur, baseline=base, current_vulns=items), GateParams())
    assert status(off, Rule.MAX_HIGH) is RuleStatus.SKIPPED
    on = evaluate(GateInput(current=cur, baseline=base, current_vulns=items), GateParams(vuln_gating=True))
    assert status(on, Rule.MAX_HIGH) is exp_high
    assert status(on, Rule.MAX_CRITICAL) is exp_crit


def test_first_run_has_no_regression_to_measure() -> None:
    res = evaluate(GateInput(current=build("c", cov=61.0, high=1, ids=("x",)), baseline=(),
                             current_vulns=vulns("high", 5)), GateParams())
    assert res.baseline.coverage_source == "none" and res.baseline.coverage_pct is None
    assert res.baseline.vuln_source == "defaults" and res.baseline.high == 0
    assert any("first run" in n for n in res.notes)
    assert any("no baseline coverage yet: no regression" in n for n in res.notes)
    assert status(res, Rule.COVERAGE_DROP) is RuleStatus.SKIPPED
    assert status(res, Rule.NEW_HIGH) is RuleStatus.SKIPPED and res.new_vulns == ()
    assert res.verdict is Verdict.PASS


def test_first_run_against_a_configured_default_coverage() -> None:
    res = evaluate(GateInput(current=build("c", cov=91.0), baseline=()), GateParams(default_coverage=90.0))
    assert res.baseline.coverage_source == "defaults" and res.baseline.coverage_pct == 90.0
    assert any("configured default 90 %" in n for n in res.notes)
    assert status(res, Rule.COVERAGE_DROP) is RuleStatus.PASS
    res2 = evaluate(GateInput(current=build("c", cov=84.0), baseline=()), GateParams(default_coverage=90.0))
    assert status(res2, Rule.COVERAGE_DROP) is RuleStatus.FAIL  # 90 default − 84 = 6 > 5


def test_absolute_coverage_floor_is_opt_in() -> None:
    base = (build("b", cov=70.0),)
    off = evaluate(GateInput(current=build("c", cov=70.0), baseline=base), GateParams())
    assert status(off, Rule.MIN_COVERAGE) is RuleStatus.SKIPPED and off.verdict is Verdict.PASS
    on = evaluate(GateInput(current=build("c", cov=70.0), baseline=base), GateParams(min_coverage=90.0))
    assert status(on, Rule.MIN_COVERAGE) is RuleStatus.WARN and on.verdict is Verdict.WARN


def test_aggregate_median_default_and_alternatives() -> None:
    covs = [95.0, 80.0, 90.0]  # newest first
    base = tuple(build(f"b{i}", cov=c) for i, c in enumerate(covs))
    assert evaluate(GateInput(current=build("c", cov=85.0), baseline=base), GateParams()).baseline.coverage_pct == 90.0
    assert aggregate(covs, "mean") == pytest.approx(88.333333)
    assert aggregate(covs, "last") == 95.0
    res = evaluate(GateInput(current=build("c", cov=89.0), baseline=base), GateParams(aggregate="last"))
    assert status(res, Rule.COVERAGE_DROP) is RuleStatus.FAIL  # 95 − 89 = 6
    with pytest.raises(ValueError):
        aggregate([1.0], "mode")


def test_small_change_skips_coverage_rules() -> None:
    cc = ChangedLineCoverage(executable=10, covered=1)
    small = evaluate(GateInput(current=build("c", cov=50.0), baseline=BASE, changed_lines=19, changed_coverage=cc),
                     GateParams())
    for rule in (Rule.COVERAGE_DROP, Rule.MIN_COVERAGE, Rule.CHANGED_LINES):
        assert status(small, rule) is RuleStatus.SKIPPED
    assert small.small_change
    big = evaluate(GateInput(current=build("c", cov=50.0), baseline=BASE, changed_lines=20, changed_coverage=cc),
                   GateParams())
    assert status(big, Rule.COVERAGE_DROP) is RuleStatus.FAIL
    assert status(big, Rule.CHANGED_LINES) is RuleStatus.WARN  # 10 % < 80 %, warn-only by default


def test_changed_lines_threshold_and_blocking_mode() -> None:
    at = ChangedLineCoverage(executable=10, covered=8)
    res = evaluate(GateInput(current=build("c", cov=90.0), baseline=BASE, changed_lines=40, changed_coverage=at),
                   GateParams())
    assert status(res, Rule.CHANGED_LINES) is RuleStatus.PASS
    below = ChangedLineCoverage(executable=10, covered=7)
    p = GateParams(modes={"changed_lines": RuleMode.BLOCK})
    res = evaluate(GateInput(current=build("c", cov=90.0), baseline=BASE, changed_lines=40, changed_coverage=below), p)
    assert status(res, Rule.CHANGED_LINES) is RuleStatus.FAIL and res.verdict is Verdict.FAIL


def test_new_failures_ignore_known_flaky_and_say_when_status_unknown() -> None:
    cur = build("c", tests=10)
    flaky = TestFailure(1, "t::flaky", 11, known_flaky=True)
    real = TestFailure(2, "t::real", 12, known_flaky=False)
    res = evaluate(GateInput(current=cur, baseline=BASE, failures=(flaky,), flaky_status_known=True), GateParams())
    assert status(res, Rule.NEW_FAILURES) is RuleStatus.PASS
    res = evaluate(GateInput(current=cur, baseline=BASE, failures=(flaky, real), flaky_status_known=True), GateParams())
    assert status(res, Rule.NEW_FAILURES) is RuleStatus.FAIL
    unknown = TestFailure(3, "t::x", 13, known_flaky=None)
    res = evaluate(GateInput(current=cur, baseline=BASE, failures=(unknown,)), GateParams())
    assert status(res, Rule.NEW_FAILURES) is RuleStatus.FAIL
    assert "flaky status unknown" in res.of(Rule.NEW_FAILURES).message


def test_newly_flaky_warns_and_duration_regression_warns() -> None:
    base = tuple(build(f"b{i}", tests=10, duration=100.0) for i in range(3))
    res = evaluate(GateInput(current=build("c", tests=10, duration=125.0), baseline=base, retried_tests=("t::a",)),
                   GateParams())
    assert status(res, Rule.NEWLY_FLAKY) is RuleStatus.WARN
    assert status(res, Rule.DURATION) is RuleStatus.PASS  # +25 % exactly passes
    assert res.verdict is Verdict.WARN
    res = evaluate(GateInput(current=build("c", tests=10, duration=126.0), baseline=base), GateParams())
    assert status(res, Rule.DURATION) is RuleStatus.WARN


def test_rule_off_and_warn_only_modes() -> None:
    cur = build("c", cov=70.0, scanned=False)
    p = GateParams(modes={"coverage_drop": RuleMode.WARN, "min_coverage": RuleMode.OFF})
    res = evaluate(GateInput(current=cur, baseline=BASE), p)
    assert status(res, Rule.COVERAGE_DROP) is RuleStatus.WARN
    assert status(res, Rule.MIN_COVERAGE) is RuleStatus.SKIPPED
    assert res.verdict is Verdict.WARN


def test_missing_inputs_skip_their_rules_and_pass() -> None:
    res = evaluate(GateInput(current=build("c", scanned=False), baseline=BASE), GateParams())
    assert res.verdict is Verdict.PASS
    assert all(r.status is RuleStatus.SKIPPED for r in res.rules)


def test_fold_base_failures_reads_the_newest_unbroken_failing_streak() -> None:
    from datetime import UTC, datetime

    from argus.analysis.gates.algo import fold_base_failures

    def at(h: int) -> datetime:
        return datetime(2026, 1, 1, h, tzinfo=UTC)

    folded = fold_base_failures({
        1: [(at(1), "c1", False), (at(3), "c3", True), (at(2), "c2", True)],  # passed in c1, fails since c2
        2: [(at(1), "c1", True), (at(2), "c2", True)],  # failing in every build Argus has: "since at least"
        3: [(at(1), "c1", True), (at(2), "c2", False)],  # fixed on the default branch: not already failing
    })
    assert set(folded) == {1, 2}
    f1, f2 = folded[1], folded[2]
    assert (f1.since_commit, f1.since_at, f1.since_first_seen, f1.builds, f1.last_commit) == ("c2", at(2), False, 2, "c3")
    assert (f2.since_commit, f2.since_first_seen, f2.builds) == ("c1", True, 2)


def test_trim_baseline_keeps_older_builds_only_for_a_metric_they_give() -> None:
    from argus.analysis.gates.algo import baseline_complete, trim_baseline

    no_cov = [BuildMetrics(key=f"n{i}", run_ids=(i,), vuln_counts={"high": 0}) for i in range(2)]
    with_cov = BuildMetrics(key="old", run_ids=(9,), coverage_pct=80.0, vuln_counts={"high": 0})
    older = BuildMetrics(key="older", run_ids=(10,), coverage_pct=81.0)
    green = [*no_cov, with_cov, older]
    assert not baseline_complete(no_cov, 2) and baseline_complete(green[:3], 1)
    assert [b.key for b in trim_baseline(green, 2)] == ["n0", "n1", "old", "older"]
    assert [b.key for b in trim_baseline(green, 1)] == ["n0", "old"]
