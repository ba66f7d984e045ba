"""Pure gate logic: aggregate the baseline, evaluate every rule, decide the verdict.

Seed 004 (S4-08…S4-13) and checklist §7.29–31: comparisons are strict ("> delta" fails, so a drop
of exactly 5.0 points or exactly +3 HIGH passes); the baseline comes from green default-branch builds
only, each metric from the newest ``baseline_runs`` of them that measured it. With no history there
is no regression: the coverage-drop rule is skipped (unless ``default_coverage`` is set) and, with no
earlier scan, so are the new-vulnerability rules; the result says so. "New" vulnerabilities are
identities absent from every baseline build's scan. Failing tests that already fail on the default
branch are not new failures: they have their own rule (``already_failing``, warn by default).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime

from argus.analysis.gates.schemas import (
    BaseFailure,
    Baseline,
    BuildMetrics,
    GateInput,
    GateParams,
    GateResult,
    Rule,
    RuleMode,
    RuleResult,
    RuleStatus,
    Verdict,
    VulnItem,
)

#: Float noise tolerance for threshold comparisons (percentage points / counts).
EPS = 1e-9


def aggregate(values: Sequence[float], method: str) -> float:
    """Combine baseline values given newest first: median (default), mean, last (newest), min, max."""
    if not values:
        raise ValueError("aggregate of no values")
    if method == "median":
        return float(statistics.median(values))
    if method == "mean":
        return float(statistics.fmean(values))
    if method == "last":
        return float(values[0])
    if method == "min":
        return float(min(values))
    if method == "max":
        return float(max(values))
    raise ValueError(f"unknown aggregate {method!r}: use median, mean, last, min or max")


def build_baseline(builds: Sequence[BuildMetrics], p: GateParams) -> tuple[Baseline, tuple[str, ...]]:
    """Aggregate the baseline builds (newest first, already limited to green default-branch builds)."""
    notes: list[str] = []
    n = p.baseline_runs
    covs = [b.coverage_pct for b in builds if b.coverage_pct is not None][:n]
    scans = [b for b in builds if b.vuln_counts is not None][:n]
    durations = [b.test_duration_s for b in builds if b.test_duration_s is not None][:n]
    coverage: float | None
    if covs:
        coverage, cov_source = aggregate(covs, p.aggregate), "history"
    elif p.default_coverage is not None:
        coverage, cov_source = p.default_coverage, "defaults"
        notes.append(f"no baseline coverage yet: using the configured default {p.default_coverage:g} %")
    else:
        coverage, cov_source = None, "none"
        notes.append("no baseline coverage yet: no regression to measure (the first coverage report sets it)")
    if scans:
        high = aggregate([float((b.vuln_counts or {}).get("high", 0)) for b in scans], p.aggregate)
        critical = aggregate([float((b.vuln_counts or {}).get("critical", 0)) for b in scans], p.aggregate)
        known = frozenset().union(*(b.vuln_identities for b in scans))
        vuln_source = "history"
    else:
        high, critical, known, vuln_source = float(p.default_high), float(p.default_critical), frozenset(), "defaults"
        notes.append(
            "no baseline vulnerability scan yet: no finding can be called new (the first scan sets the "
            "baseline; absolute limits apply with vuln_gating)"
        )
    if not builds:
        notes.insert(0, "first run: no green build on the default branch yet")
    base = Baseline(
        builds=tuple(b.key for b in builds),
        run_ids=tuple(r for b in builds for r in b.run_ids),
        aggregate=p.aggregate,
        coverage_pct=coverage,
        coverage_source=cov_source,
        high=high,
        critical=critical,
        vuln_source=vuln_source,
        known_vulns=known,
        test_duration_s=aggregate(durations, p.aggregate) if durations else None,
    )
    return base, tuple(notes)


def _judge(rule: Rule, p: GateParams, triggered: bool, message: str, **values: float | None) -> RuleResult:
    mode = p.mode(rule)
    if not triggered:
        status = RuleStatus.PASS
    else:
        status = RuleStatus.FAIL if mode is RuleMode.BLOCK else RuleStatus.WARN
    return RuleResult(rule, mode, status, message, **values)


def _skip(rule: Rule, p: GateParams, why: str) -> RuleResult:
    return RuleResult(rule, p.mode(rule), RuleStatus.SKIPPED, why)


def _coverage_rules(inp: GateInput, base: Baseline, p: GateParams, small: bool) -> list[RuleResult]:
    cur = inp.current.coverage_pct
    out: list[RuleResult] = []
    small_why = f"small change ({inp.changed_lines} changed lines < {p.small_change_lines}): coverage rules skipped"
    for rule in (Rule.COVERAGE_DROP, Rule.MIN_COVERAGE):
        if cur is None:
            out.append(_skip(rule, p, "no coverage report for this build"))
        elif small:
            out.append(_skip(rule, p, small_why))
        elif rule is Rule.COVERAGE_DROP and base.coverage_pct is None:
            out.append(_skip(rule, p, f"coverage {cur:.2f} %: no baseline coverage yet, so no regression to measure"))
        elif rule is Rule.MIN_COVERAGE and p.min_coverage is None:
            out.append(_skip(rule, p, "no absolute coverage floor set (gate.min_coverage)"))
        elif rule is Rule.COVERAGE_DROP:
            assert base.coverage_pct is not None
            delta = cur - base.coverage_pct
            bad = -delta - p.delta_coverage > EPS
            verdict = "regression exceeds delta threshold" if bad else "within threshold"
            out.append(_judge(
                rule, p, bad,
                f"coverage {cur:.2f} % vs baseline {base.coverage_pct:.2f} % ({delta:+.2f} pts; "
                f"max drop {p.delta_coverage:g}): {verdict}",
                current=cur, baseline=base.coverage_pct, delta=delta, threshold=p.delta_coverage,
            ))
        else:
            assert p.min_coverage is not None
            bad = p.min_coverage - cur > EPS
            out.append(_judge(
                rule, p, bad,
                f"coverage {cur:.2f} % {'below' if bad else 'at or above'} the absolute floor {p.min_coverage:g} %",
                current=cur, threshold=p.min_coverage,
            ))
    rule = Rule.CHANGED_LINES
    cc = inp.changed_coverage
    if inp.changed_lines is None or cc is None:
        out.append(_skip(rule, p, "no diff given (use --base REF) or no coverage report"))
    elif small:
        out.append(_skip(rule, p, small_why))
    elif cc.pct is None:
        out.append(_skip(rule, p, "the diff adds no executable line the coverage report knows"))
    else:
        bad = p.changed_lines_min_pct - cc.pct > EPS
        out.append(_judge(
            rule, p, bad,
            f"{cc.covered}/{cc.executable} changed executable lines covered ({cc.pct:.1f} %; "
            f"minimum {p.changed_lines_min_pct:g} %)",
            current=cc.pct, threshold=p.changed_lines_min_pct,
        ))
    return out


def _vuln_rules(
    inp: GateInput, base: Baseline, p: GateParams
) -> tuple[list[RuleResult], tuple[VulnItem, ...]]:
    counts = inp.current.vuln_counts
    out: list[RuleResult] = []
    if counts is None:
        for rule in (Rule.NEW_HIGH, Rule.NEW_CRITICAL, Rule.MAX_HIGH, Rule.MAX_CRITICAL):
            out.append(_skip(rule, p, "no vulnerability report for this build"))
        return out, ()
    first_scan = base.vuln_source != "history"
    new = () if first_scan else tuple(v for v in inp.current_vulns if v.identity not in base.known_vulns)
    for rule, sev, delta_max, base_count in (
        (Rule.NEW_HIGH, "high", p.delta_vuln_high, base.high),
        (Rule.NEW_CRITICAL, "critical", p.delta_vuln_critical, base.critical),
    ):
        if first_scan:
            out.append(_skip(rule, p, f"{counts.get(sev, 0)} {sev.upper()} in the first scan: no earlier scan "
                                      "on the default branch to compare"))
            continue
        n_new = sum(1 for v in new if v.severity == sev)
        cur = counts.get(sev, 0)
        bad = n_new > delta_max
        verdict = "regression exceeds delta threshold" if bad else "within threshold"
        out.append(_judge(
            rule, p, bad,
            f"{n_new} new {sev.upper()} (now {cur}, baseline {base_count:g}; max {delta_max} new): {verdict}",
            current=float(n_new), baseline=base_count, delta=cur - base_count, threshold=float(delta_max),
        ))
    for rule, sev, limit in ((Rule.MAX_HIGH, "high", p.max_high), (Rule.MAX_CRITICAL, "critical", p.max_critical)):
        if not p.vuln_gating:
            out.append(_skip(rule, p, "absolute vulnerability gating is off (VULN_GATING)"))
            continue
        cur = counts.get(sev, 0)
        out.append(_judge(
            rule, p, cur > limit, f"{cur} {sev.upper()} in total (absolute limit {limit})",
            current=float(cur), threshold=float(limit),
        ))
    return out, new


def _test_rules(inp: GateInput, base: Baseline, p: GateParams) -> list[RuleResult]:
    out: list[RuleResult] = []
    if inp.current.tests is None:
        out.append(_skip(Rule.NEW_FAILURES, p, "no test results for this build"))
        out.append(_skip(Rule.ALREADY_FAILING, p, "no test results for this build"))
    else:
        real = [f for f in inp.failures if f.known_flaky is not True]
        flaky = len(inp.failures) - len(real)
        old = [f for f in real if f.already_failing is not None]
        new = [f for f in real if f.already_failing is None]
        note = "" if inp.flaky_status_known else " (flaky status unknown)"
        extra = f"; {flaky} known-flaky failure(s) ignored" if flaky else ""
        extra += f"; {len(old)} already failing on the default branch (rule already_failing)" if old else ""
        out.append(_judge(
            Rule.NEW_FAILURES, p, bool(new),
            f"{len(new)} new failing test(s) not known to be flaky{note}{extra}",
            current=float(len(new)), threshold=0.0,
        ))
        out.append(_judge(
            Rule.ALREADY_FAILING, p, bool(old),
            f"{len(old)} failing test(s) already failing on the default branch before this change",
            current=float(len(old)), threshold=0.0,
        ))
    names = sorted({*inp.retried_tests, *inp.newly_flaky})
    if inp.current.tests is None:
        out.append(_skip(Rule.NEWLY_FLAKY, p, "no test results for this build"))
    else:
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        out.append(_judge(
            Rule.NEWLY_FLAKY, p, bool(names),
            f"{len(names)} test(s) newly flaky (failed, then passed on retry)" + (f": {shown}" if names else ""),
            current=float(len(names)), threshold=0.0,
        ))
    cur, ref = inp.current.test_duration_s, base.test_duration_s
    if cur is None or ref is None:
        out.append(_skip(Rule.DURATION, p, "no test durations for this build or its baseline"))
    elif ref < p.duration_min_s:
        out.append(_skip(Rule.DURATION, p, f"baseline test time {ref:.1f} s is below {p.duration_min_s:g} s"))
    else:
        pct = 100.0 * (cur - ref) / ref
        out.append(_judge(
            Rule.DURATION, p, pct - p.duration_regression_pct > EPS,
            f"test time {cur:.1f} s vs baseline {ref:.1f} s ({pct:+.1f} %; max +{p.duration_regression_pct:g} %)",
            current=cur, baseline=ref, delta=cur - ref, threshold=p.duration_regression_pct,
        ))
    return out


def evaluate(inp: GateInput, p: GateParams) -> GateResult:
    """Evaluate every rule and combine: any FAIL → FAIL, else any WARN → WARN, else PASS."""
    base, notes = build_baseline(inp.baseline, p)
    small = inp.changed_lines is not None and inp.changed_lines < p.small_change_lines
    rules = _coverage_rules(inp, base, p, small)
    vuln_rules, new = _vuln_rules(inp, base, p)
    rules += vuln_rules
    rules += _test_rules(inp, base, p)
    rules = [
        r if r.mode is not RuleMode.OFF else RuleResult(r.rule, r.mode, RuleStatus.SKIPPED, "rule is off")
        for r in rules
    ]
    order = list(Rule)
    rules.sort(key=lambda r: order.index(r.rule))
    statuses = {r.status for r in rules}
    verdict = (
        Verdict.FAIL if RuleStatus.FAIL in statuses else Verdict.WARN if RuleStatus.WARN in statuses else Verdict.PASS
    )
    if not inp.flaky_status_known and inp.failures:
        notes = (*notes, "flaky status unknown: every failing test counts as a new failure")
    return GateResult(verdict, tuple(rules), base, notes, new, small)


def baseline_complete(green: Sequence[BuildMetrics], n: int) -> bool:
    """Whether the green builds read so far (newest first) give every metric its ``n`` values (or
    ``3·n`` builds were read): the baseline query stops there."""
    if len(green) >= 3 * n:
        return True
    covs = sum(1 for b in green if b.coverage_pct is not None)
    scans = sum(1 for b in green if b.vuln_counts is not None)
    return len(green) >= n and covs >= n and scans >= n


def trim_baseline(green: Sequence[BuildMetrics], n: int) -> list[BuildMetrics]:
    """The newest ``n`` builds, plus older ones only when they give a metric one of its ``n`` values."""
    covs = {id(b) for b in [b for b in green if b.coverage_pct is not None][:n]}
    scans = {id(b) for b in [b for b in green if b.vuln_counts is not None][:n]}
    return [b for i, b in enumerate(green) if i < n or id(b) in covs or id(b) in scans]


def fold_base_failures(history: Mapping[int, Sequence[tuple[datetime, str, bool]]]) -> dict[int, BaseFailure]:
    """Test id → how it was already failing on the default branch (only tests that were).

    ``history`` holds, per test, its default-branch builds as (first start, commit, failed in every
    attempt). The test is already failing when the newest build fails it; "since" is the oldest
    build of that unbroken failing streak, "since at least" when the streak reaches the first build
    Argus has of the test (it may have failed before Argus saw it).
    """
    out: dict[int, BaseFailure] = {}
    for tid, rows in history.items():
        builds = sorted(rows, reverse=True)  # newest first
        streak = 0
        for _, _, failing in builds:
            if not failing:
                break
            streak += 1
        if streak == 0:
            continue
        since_at, since, _ = builds[streak - 1]
        out[tid] = BaseFailure(since, since_at, streak == len(builds), streak, builds[0][1])
    return out
