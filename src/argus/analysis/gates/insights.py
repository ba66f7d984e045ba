"""Turn a gate outcome into a GATE_VERDICT :class:`Insight` whose claims cite current and baseline runs.

Confidence (that the verdict reflects a real regression or its absence) is a documented heuristic,
not a fitted model: 0.97 with ≥ 3 baseline builds, 0.85 with 1–2, 0.75 on the first-run defaults —
a verdict is only as sure as the baseline it compares against. Feedback calibrates it on save.
"""

from __future__ import annotations

from argus.analysis.gates.readmodels import GateOutcome
from argus.analysis.gates.schemas import Rule, RuleStatus, Verdict
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "gate"
VERSION = "1"
_MAX_EVIDENCE = 12


def _confidence(n_baseline: int) -> float:
    return 0.97 if n_baseline >= 3 else 0.85 if n_baseline >= 1 else 0.75


def gate_insight(o: GateOutcome) -> Insight:
    r = o.result
    b = o.build
    conf = _confidence(len(o.baseline_builds))
    current_ev = tuple(
        Evidence(EvidenceType.TEST_RUN, str(rid), Support.STRONG, f"current build {b.key[:12]}", b.started_at)
        for rid in b.run_ids[:_MAX_EVIDENCE]
    )
    baseline_ev = tuple(
        Evidence(EvidenceType.TEST_RUN, str(bb.run_ids[0]), Support.MODERATE, f"baseline build {bb.key[:12]}", bb.started_at)
        for bb in o.baseline_builds[:_MAX_EVIDENCE]
        if bb.run_ids
    )
    claims: list[Claim] = []
    if o.baseline_builds:
        claims.append(Claim(
            f"Baseline: {r.baseline.aggregate} of the last {len(o.baseline_builds)} green build(s) on "
            f"{o.default_branch}", conf, baseline_ev,
        ))
    else:
        claims.append(Claim(
            "No green build on the default branch yet: documented defaults used as baseline", conf, current_ev[:1],
        ))
    for rule in r.rules:
        if rule.status is RuleStatus.SKIPPED:
            continue
        ev: list[Evidence] = []
        if rule.rule in (Rule.COVERAGE_DROP, Rule.MIN_COVERAGE, Rule.CHANGED_LINES) and b.coverage_report_id:
            ev.append(Evidence(EvidenceType.COVERAGE_REPORT, str(b.coverage_report_id), Support.STRONG, rule.message))
        elif rule.rule in (Rule.NEW_HIGH, Rule.NEW_CRITICAL, Rule.MAX_HIGH, Rule.MAX_CRITICAL) and b.vuln_report_id:
            ev.append(Evidence(EvidenceType.VULN_REPORT, str(b.vuln_report_id), Support.STRONG, rule.message))
        elif rule.rule is Rule.NEW_FAILURES:
            ev.extend(
                Evidence(EvidenceType.TEST_RESULT, str(f.result_id), Support.STRONG, f"{f.name} failed in every attempt")
                for f in [x for x in o.failures if x.already_failing is None][:_MAX_EVIDENCE]
            )
        elif rule.rule is Rule.ALREADY_FAILING:
            ev.extend(
                Evidence(EvidenceType.TEST_RESULT, str(f.result_id), Support.STRONG,
                         f"{f.name} failed in every attempt; failing on {o.default_branch} since "
                         f"{'at least ' if f.already_failing.since_first_seen else ''}"
                         f"{(f.already_failing.since_commit or '?')[:12]}")
                for f in o.failures[:_MAX_EVIDENCE] if f.already_failing is not None
            )
        ev.extend(current_ev[:2])
        if rule.baseline is not None:
            ev.extend(baseline_ev[:3])
        claims.append(Claim(f"[{rule.status.value.upper()}] {rule.message}", conf, tuple(ev)))
    failing = [x for x in r.rules if x.status is RuleStatus.FAIL]
    warning = [x for x in r.rules if x.status is RuleStatus.WARN]
    if r.verdict is Verdict.FAIL:
        summary = "Regression against the baseline: " + "; ".join(x.rule.value for x in failing)
        action = "block merge: fix the regressions listed"
    elif r.verdict is Verdict.WARN:
        summary = "Passed with warnings: " + "; ".join(x.rule.value for x in warning)
        action = "review the warnings"
    else:
        summary = "No regression against the baseline"
        action = None
    uncertainty = list(r.notes)
    if len(o.baseline_builds) < 3:
        uncertainty.append(f"baseline has only {len(o.baseline_builds)} green build(s)")
    label = f"{(b.commit_sha or b.key)[:12]}" + (f" on {b.branch}" if b.branch else "")
    return Insight(
        kind=InsightKind.GATE_VERDICT,
        subject=Subject(SubjectType.BUILD, b.key, label),
        title=f"Quality gate {r.verdict.value.upper()} for {label}",
        summary=summary,
        claims=tuple(claims),
        confidence=Confidence(conf),
        provenance=Provenance(ANALYZER, VERSION, {
            k: v for k, v in vars(o.params).items() if k != "modes"
        } | {"modes": {k: str(v) for k, v in o.params.modes.items()}}),
        action=action,
        uncertainty=tuple(uncertainty),
        data={"verdict": r.verdict.value, "rules": {x.rule.value: x.status.value for x in r.rules}},
    )
