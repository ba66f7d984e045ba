"""The gate report: Markdown (PR comment / job summary), JSON (``argus.gate/v1``, the baseline file
``argus.quality-baseline/v1``), and a terminal view.

The Markdown follows seed 004's comment format (S4-20): "## 🤖 CI Feedback", the build status,
a summary of metrics with deltas against the baseline, new failures with their cluster, flaky tests,
new vulnerabilities, action items (uncovered line ranges, vulnerable dependencies) and next steps.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from argus.analysis.gates.readmodels import BaselineReadModel, GateOutcome
from argus.analysis.gates.schemas import (
    BaseFailure,
    Baseline,
    BuildMetrics,
    Rule,
    RuleMode,
    RuleResult,
    RuleStatus,
    TestFailure,
    Verdict,
)
from argus.report.markdown import cell, code, table, truncate

#: Hidden marker that identifies Argus's own PR comment (for upserts).
MARKER = "<!-- argus:quality-gate -->"
_MAX_ROWS = 20

_ICON = {RuleStatus.PASS: "✅", RuleStatus.WARN: "⚠️", RuleStatus.FAIL: "❌", RuleStatus.SKIPPED: "➖"}
_STATUS = {
    Verdict.PASS: "✅ **Passed**",
    Verdict.WARN: "⚠️ **Passed with warnings**",
    Verdict.FAIL: "❌ **Failed**: regression against the baseline",
}
_LABEL = {
    Rule.COVERAGE_DROP: "Coverage",
    Rule.MIN_COVERAGE: "Coverage floor",
    Rule.CHANGED_LINES: "Changed-line coverage",
    Rule.NEW_HIGH: "New HIGH vulnerabilities",
    Rule.NEW_CRITICAL: "New CRITICAL vulnerabilities",
    Rule.MAX_HIGH: "HIGH vulnerabilities (absolute)",
    Rule.MAX_CRITICAL: "CRITICAL vulnerabilities (absolute)",
    Rule.NEW_FAILURES: "New failing tests",
    Rule.ALREADY_FAILING: "Already failing on the default branch",
    Rule.NEWLY_FLAKY: "Newly flaky tests",
    Rule.DURATION: "Test duration",
}


SCHEMA = "argus.gate/v1"
BASELINE_SCHEMA = "argus.quality-baseline/v1"


def _build(b: BuildMetrics) -> dict[str, Any]:
    return {
        "key": b.key,
        "commit": b.commit_sha,
        "branch": b.branch,
        "started_at": b.started_at.isoformat() if b.started_at else None,
        "run_ids": list(b.run_ids),
        "coverage_pct": b.coverage_pct,
        "vulnerabilities": dict(b.vuln_counts) if b.vuln_counts is not None else None,
        "tests": b.tests,
        "failed_tests": b.failed_tests,
        "test_duration_s": b.test_duration_s,
    }


def _base_failure(f: BaseFailure | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"since_commit": f.since_commit, "since_at": f.since_at.isoformat() if f.since_at else None,
            "since_at_least": f.since_first_seen, "builds": f.builds, "last_commit": f.last_commit}


def _baseline_values(base: Baseline) -> dict[str, Any]:
    """The baseline's aggregated values, as both JSON forms (gate outcome, ``gate baseline``) have them."""
    return {
        "coverage_pct": base.coverage_pct,
        "coverage_source": base.coverage_source,
        "high": base.high,
        "critical": base.critical,
        "vulnerability_source": base.vuln_source,
        "test_duration_s": base.test_duration_s,
    }


def to_json(o: GateOutcome) -> dict[str, Any]:
    """The gate outcome as plain JSON data (schema ``argus.gate/v1``, documented in docs/analysis/gate.md)."""
    r = o.result
    base = r.baseline
    return {
        "schema": SCHEMA,
        "project": o.project,
        "verdict": r.verdict.value,
        "insight_id": o.insight_id,
        "build": _build(o.build),
        "baseline": {
            "default_branch": o.default_branch,
            "aggregate": base.aggregate,
            "builds": [_build(b) for b in o.baseline_builds],
            **_baseline_values(base),
        },
        "rules": [
            {
                "rule": x.rule.value,
                "mode": x.mode.value,
                "status": x.status.value,
                "message": x.message,
                "current": x.current,
                "baseline": x.baseline,
                "delta": x.delta,
                "threshold": x.threshold,
            }
            for x in r.rules
        ],
        "notes": list(r.notes),
        "small_change": r.small_change,
        "changed_lines": o.changed_lines,
        "changed_line_coverage": None if o.changed_coverage is None else {
            "executable": o.changed_coverage.executable,
            "covered": o.changed_coverage.covered,
            "pct": o.changed_coverage.pct,
        },
        "new_vulnerabilities": [
            {"id": v.vuln_id, "package": v.package, "severity": v.severity, "installed": v.installed_version,
             "fixed": v.fixed_version, "title": v.title}
            for v in r.new_vulns
        ],
        "failures": [
            {"test": f.name, "result_id": f.result_id, "message": f.message, "cluster_id": f.cluster_id,
             "cluster": f.cluster_label, "known_flaky": f.known_flaky,
             "already_failing": _base_failure(f.already_failing)}
            for f in o.failures
        ],
        "quarantined_passed": [
            {"test": q.name, "result_id": q.result_id, "consecutive_passes": q.consecutive_passes,
             "quarantined_at": q.quarantined_at.isoformat() if q.quarantined_at else None}
            for q in o.quarantined_passed
        ],
        "vulnerabilities_in_baseline": o.vulns_in_baseline,
        "tests_needed": None if o.tests_needed is None else {
            "selected": [{"test": t.test, "score": round(t.score, 6), "reason": t.reason} for t in o.tests_needed.tests],
            "total": o.tests_needed.total, "mode": o.tests_needed.mode,
            "estimated_miss": round(o.tests_needed.estimated_miss, 6), "uncovered": list(o.tests_needed.uncovered),
            "insight_id": o.tests_needed.insight_id},
        "flaky_status_known": o.flaky_status_known,
        "newly_flaky": list(o.retried),
        "low_coverage": [
            {"path": lc.path, "ranges": [list(x) for x in lc.ranges], "changed_lines": lc.changed}
            for lc in o.low_coverage
        ],
    }


def baseline_file(bm: BaselineReadModel) -> dict[str, Any]:
    """The rolling baseline as seed 004's ``ci_metrics/quality_metrics.json`` (S4-08), schema
    ``argus.quality-baseline/v1``: the last N green default-branch builds and their aggregate."""
    base = bm.result.baseline
    return {
        "schema": BASELINE_SCHEMA,
        "project": bm.project,
        "default_branch": bm.default_branch,
        "aggregate": base.aggregate,
        "baseline": {
            **_baseline_values(base),
        },
        "runs": [
            {
                "commit": b.commit_sha,
                "timestamp": b.started_at.isoformat() if b.started_at else None,
                "coverage_pct": b.coverage_pct,
                "high": (b.vuln_counts or {}).get("high") if b.vuln_counts is not None else None,
                "critical": (b.vuln_counts or {}).get("critical") if b.vuln_counts is not None else None,
            }
            for b in bm.builds
        ],
        "notes": list(bm.result.notes),
    }


def _num(x: float | None, unit: str = "", digits: int = 2) -> str:
    if x is None:
        return "—"
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"
    return f"{text}{unit}"


def _delta(r: RuleResult) -> str:
    if r.delta is None:
        return ""
    if r.rule is Rule.COVERAGE_DROP:
        return f"{r.delta:+.2f} pts"
    if r.rule is Rule.DURATION:
        return f"{r.delta:+.1f} s"
    return f"{r.delta:+g}"


def _values(r: RuleResult, o: GateOutcome | None = None) -> tuple[str, str]:
    if r.rule in (Rule.NEW_HIGH, Rule.NEW_CRITICAL) and o is not None and o.build.vuln_counts is not None:
        sev = "high" if r.rule is Rule.NEW_HIGH else "critical"
        return f"{o.build.vuln_counts.get(sev, 0)} ({_num(r.current, '', 0)} new)", _num(r.baseline, "", 1)
    pct = r.rule in (Rule.COVERAGE_DROP, Rule.MIN_COVERAGE, Rule.CHANGED_LINES)
    unit = " %" if pct else " s" if r.rule is Rule.DURATION else ""
    return _num(r.current, unit, 2 if pct or unit else 0), _num(r.baseline, unit, 2 if pct or unit else 0)


def _status_text(r: RuleResult) -> str:
    if r.status is RuleStatus.SKIPPED:
        return f"{_ICON[r.status]} skipped"
    word = {RuleStatus.PASS: "within threshold", RuleStatus.WARN: "warning", RuleStatus.FAIL: "regression"}
    mode = "" if r.mode is RuleMode.BLOCK or r.status is RuleStatus.PASS else " (warn-only)"
    return f"{_ICON[r.status]} {word[r.status]}{mode}"


def already_failing_text(f: TestFailure, branch: str, md: bool) -> str:
    """"already failing on main (since [at least] <commit>, <date>)" for a failure seen on the default branch."""
    b = f.already_failing
    if b is None:
        return ""
    commit = (b.since_commit or "?")[:12]
    since = f"since at least {code(commit) if md else commit}" if b.since_first_seen else (
        f"since {code(commit) if md else commit}")
    when = f", {b.since_at:%Y-%m-%d}" if b.since_at else ""
    return f"already failing on {code(branch) if md else branch} ({since}{when}; {b.builds} build(s))"


def _action_items(o: GateOutcome) -> list[str]:
    items: list[str] = []
    for f in [f for f in o.failures if f.known_flaky is not True and f.already_failing is None][:10]:
        where = f" (cluster: {cell(f.cluster_label, 80)})" if f.cluster_label else ""
        items.append(f"- [ ] Fix failing test {code(f.name, 120)}{where}")
    for lc in o.low_coverage:
        ranges = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in lc.ranges[:5])
        what = "changed lines not covered" if lc.changed else "largest uncovered ranges"
        items.append(f"- [ ] Add tests for {code(f'{lc.path}:{ranges}', 160)} ({what})")
    for v in o.result.new_vulns[:10]:
        fix = f" → {cell(v.fixed_version, 40)}" if v.fixed_version else " (no fixed version yet)"
        items.append(
            f"- [ ] Review vulnerable dependency {code(v.package, 60)} {cell(v.installed_version or '', 40)}{fix}: "
            f"{cell(v.vuln_id, 40)} ({v.severity.upper()})"
        )
    for name in o.retried[:5]:
        items.append(f"- [ ] Investigate flaky test {code(name, 120)} (failed, then passed on retry)")
    return items


def _tests_needed(o: GateOutcome) -> list[str]:
    """The "Tests this change needs" section (test selection for the build's diff)."""
    tn = o.tests_needed
    if tn is None:
        return []
    out = ["", "### Tests this change needs", "",
           f"{len(tn.tests)} of {tn.total} tests ({tn.mode}); estimated chance a skipped test fails: "
           f"{100 * tn.estimated_miss:.2g} %.", ""]
    if tn.tests:
        out += table(["Test", "P(fail)", "Why"], [[code(t.test, 120), f"{t.score:.2f}", cell(t.reason, 160)]
                                                  for t in tn.tests[:_MAX_ROWS]])
        if len(tn.tests) > _MAX_ROWS:
            out.append(f"\n_… and {len(tn.tests) - _MAX_ROWS} more (`argus select`)._")
    if tn.uncovered:
        out += ["", f"Changed lines no test covers: {cell(', '.join(tn.uncovered[:10]), 300)}"]
    return out


def to_markdown(o: GateOutcome, *, details_url: str | None = None) -> str:
    """The PR comment / job summary (starts with the hidden :data:`MARKER`; ≤ 65536 characters)."""
    r = o.result
    b = o.build
    lines = [MARKER, "## 🤖 CI Feedback", "", f"**Build status:** {_STATUS[r.verdict]}", ""]
    lines.append(f"Build {code((b.commit_sha or b.key)[:12])}" + (f" on {code(b.branch)}" if b.branch else "")
                 + f" · project {code(o.project)}")
    lines += ["", "### Summary", ""]
    rows = []
    for rule in r.rules:
        if rule.status is RuleStatus.SKIPPED and rule.rule in (Rule.MAX_HIGH, Rule.MAX_CRITICAL):
            continue
        cur, base = _values(rule, o)
        rows.append([_LABEL[rule.rule], cur, base, _delta(rule), _status_text(rule)])
    lines += table(["Check", "Current", "Baseline", "Δ", "Status"], rows)
    tests = b.tests
    n_flaky = sum(1 for f in o.failures if f.known_flaky is True)
    n_old = sum(1 for f in o.failures if f.known_flaky is not True and f.already_failing is not None)
    n_new = len(o.failures) - n_flaky - n_old
    lines.append("")
    if tests is not None:
        flaky_note = "" if o.flaky_status_known else " (flaky status unknown)"
        lines.append(f"- **Tests:** {tests} run, {len(o.failures)} failing ({n_new} new, {n_old} already failing "
                     f"on {code(o.default_branch)}, {n_flaky} known flaky){flaky_note}, {len(o.retried)} newly flaky")
    if b.vuln_counts is not None:
        nh = sum(1 for v in r.new_vulns if v.severity == "high")
        nc = sum(1 for v in r.new_vulns if v.severity == "critical")
        hi = r.of(Rule.NEW_HIGH)
        within = "within threshold" if hi is None or hi.status is not RuleStatus.FAIL else "exceeds threshold"
        known = "" if o.vulns_in_baseline is None else f" ({o.vulns_in_baseline} already on {code(o.default_branch)})"
        lines.append(f"- **Vulnerabilities:** {nh} new HIGH ({within}), {nc} new CRITICAL; total "
                     f"{b.vuln_counts.get('critical', 0)} CRITICAL, {b.vuln_counts.get('high', 0)} HIGH, "
                     f"{b.vuln_counts.get('medium', 0)} MEDIUM, {b.vuln_counts.get('low', 0)} LOW{known}")
    if o.changed_lines is not None:
        small = " (small change: coverage checks skipped)" if r.small_change else ""
        lines.append(f"- **Diff:** {len(o.changed_files)} file(s), {o.changed_lines} changed line(s){small}")
    failing = list(o.failures[:_MAX_ROWS])
    if failing:
        lines += ["", "### Failing tests", ""]
        lines += table(["Test", "Cluster", "Message", "Flaky?", "New?"], [
            [code(f.name, 120), cell(f.cluster_label or "—", 80), cell(f.message or "—", 160),
             "unknown" if f.known_flaky is None else "known flaky" if f.known_flaky else "no",
             already_failing_text(f, o.default_branch, True)
             or ("⚠️ known flaky: not blocking" if f.known_flaky else "❌ new in this build")]
            for f in failing
        ])
        if len(o.failures) > _MAX_ROWS:
            lines.append(f"\n_… and {len(o.failures) - _MAX_ROWS} more._")
    if o.retried:
        lines += ["", "### Flaky tests", ""]
        lines += [f"- {code(t, 160)}: failed, then passed on retry" for t in o.retried[:_MAX_ROWS]]
    if o.quarantined_passed:
        lines += ["", "### Quarantined tests that passed (candidates for release)", ""]
        lines += [f"- {code(q.name, 160)}: passed in this build; {q.consecutive_passes} consecutive pass(es) on "
                  f"{code(o.default_branch)} at the last flaky analysis" for q in o.quarantined_passed[:_MAX_ROWS]]
    if r.new_vulns:
        lines += ["", "### New vulnerabilities", ""]
        lines += table(["ID", "Package", "Severity", "Installed", "Fixed in"], [
            [cell(v.vuln_id, 40), code(v.package, 60), v.severity.upper(), cell(v.installed_version or "—", 40),
             cell(v.fixed_version or "—", 40)]
            for v in r.new_vulns[:_MAX_ROWS]
        ])
    lines += _tests_needed(o)
    items = _action_items(o)
    lines += ["", "### Action items", ""]
    lines += items or ["- Nothing to do. 🎉"]
    lines += ["", "### Next steps", ""]
    if r.verdict is Verdict.FAIL:
        lines.append("Fix the regressions above and push again; the gate re-runs on every push.")
    elif r.verdict is Verdict.WARN:
        lines.append("Mergeable. Consider the warnings before merging.")
    else:
        lines.append("Ready to merge as far as quality checks go.")
    bl = r.baseline
    src = (f"{bl.aggregate} of the last {len(o.baseline_builds)} green build(s) on {code(o.default_branch)}"
           if o.baseline_builds else "documented defaults (no green build on the default branch yet)")
    foot = ["", "<details><summary>Baseline and notes</summary>", "", f"- Baseline: {src}"]
    foot += [f"- {cell(n, 300)}" for n in r.notes]
    foot += ["", "</details>", ""]
    link = f" · [details]({details_url})" if details_url else ""
    ref = f" · insight #{o.insight_id}" if o.insight_id else ""
    footer = "\n".join(foot) + f"\n<sub>Argus quality gate{ref}{link}</sub>\n"
    return truncate("\n".join(lines) + "\n", footer=footer)


def to_terminal(o: GateOutcome) -> Group:
    """A Rich renderable: verdict line, rule table, notes."""
    r = o.result
    style = {Verdict.PASS: "bold green", Verdict.WARN: "bold yellow", Verdict.FAIL: "bold red"}[r.verdict]
    head = Text(f"Quality gate: {r.verdict.value.upper()}", style=style)
    head.append(f"  build {(o.build.commit_sha or o.build.key)[:12]}", style="default")
    t = Table(show_lines=False, header_style="bold")
    for col in ("rule", "status", "current", "baseline", "Δ"):
        t.add_column(col, no_wrap=True)
    for x in r.rules:
        cur, base = _values(x, o)
        mode = " (warn-only)" if x.mode is RuleMode.WARN and x.status is not RuleStatus.SKIPPED else ""
        t.add_row(x.rule.value, f"{_ICON[x.status]} {x.status.value}{mode}", cur, base, _delta(x))
    parts: list[Any] = [head, t]
    src = (f"baseline: {r.baseline.aggregate} of {len(o.baseline_builds)} green build(s) on {o.default_branch}"
           if o.baseline_builds else "baseline: documented defaults (no green build on the default branch yet)")
    for x in r.rules:
        if x.status in (RuleStatus.FAIL, RuleStatus.WARN):
            parts.append(Text(f"{_ICON[x.status]} {x.rule.value}: {x.message}"))
    for f in o.failures[:_MAX_ROWS]:
        if f.known_flaky is not True:
            parts.append(Text(f"  {f.name}: {already_failing_text(f, o.default_branch, False) or 'new failure'}"))
    if o.quarantined_passed:
        parts.append(Text(f"{len(o.quarantined_passed)} quarantined test(s) passed in this build (candidates for "
                          "release from quarantine):"))
        parts += [Text(f"  {q.name}") for q in o.quarantined_passed[:_MAX_ROWS]]
    parts.append(Text(src, style="dim"))
    parts += [Text(f"note: {n}", style="dim") for n in r.notes]
    return Group(*parts)
