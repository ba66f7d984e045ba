"""Turn assessments into Insights: claims with evidence rows, the probability and its range, the action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argus.analysis.flaky.schemas import Assessment, FlakyParams, Verdict
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.analysis.flaky"
VERSION = "1"
_MAX_EVIDENCE = 10


def _provenance(p: FlakyParams) -> Provenance:
    return Provenance(ANALYZER, VERSION, {k: getattr(p, k) for k in p.__dataclass_fields__})


def _run_ev(run_id: int, strength: Support, detail: str, runs: Mapping[int, Any]) -> Evidence:
    meta = runs.get(run_id)
    return Evidence(EvidenceType.TEST_RUN, str(run_id), strength, detail, getattr(meta, "started_at", None))


def _pct(p: float) -> str:
    """A probability from finite runs in words: never "100 %" or "0 %"."""
    return "> 99 %" if p > 0.99 else "< 1 %" if p < 0.01 else f"{100 * p:.0f} %"


def _short(sha: str | None) -> str:
    return sha[:10] if sha else "?"


def data_of(a: Assessment, state: str | None) -> dict[str, Any]:
    """The machine-readable part of an insight (also the ``--json`` output of ``argus flaky show``)."""
    d = a.dimensions
    return {
        "test_case_id": a.test_case_id,
        "verdict": a.verdict.value,
        "probability": a.probability,
        "probability_low": a.low,
        "probability_high": a.high,
        "clean_runs": a.clean_runs,
        "failing_runs": a.failing_runs,
        "retry_pass_runs": len(a.retry_pass_runs),
        "same_code_runs": len(a.same_code_runs),
        "flips": len(a.flip_runs),
        "outage_runs_excluded": len(a.outage_runs),
        "window": {
            "runs": a.window_runs,
            "failures": a.window_failures,
            "failure_rate": a.window_rate,
            "rate_low": a.window_rate_low,
            "rate_high": a.window_rate_high,
        },
        "dimensions": None
        if d is None
        else {
            "score": d.score,
            "temporal_variance": d.temporal_variance,
            "alternation_rate": d.alternation_rate,
            "environmental_consistency": d.environmental_consistency,
            "duration_variance": d.duration_variance,
        },
        "category": {
            "name": a.category.category.value,
            "score": a.category.score,
            "reasons": list(a.category.reasons),
            "result_ids": list(a.category.result_ids),
        },
        "action": a.action.value,
        "wasted_s": round(a.wasted_s, 3),
        "wasted_runs": a.wasted_runs,
        "consecutive_default_passes": a.consecutive_default_passes,
        "lifecycle": state,
        "broken": None
        if a.broken is None
        else {
            "first_run_id": a.broken.first_run_id,
            "first_commit": a.broken.first_commit,
            "runs": a.broken.runs,
            "probability": a.broken.probability,
            "last_pass_run_id": a.broken.last_pass_run_id,
            "last_pass_commit": a.broken.last_pass_commit,
        },
        "past_regressions": [
            {"first_run_id": s.first_run_id, "first_commit": s.first_commit, "runs": s.runs,
             "fixed_run_id": s.fixed_run_id, "fixed_commit": s.fixed_commit}
            for s in a.past_regressions
        ],
    }


def flaky_insight(
    a: Assessment, label: str, p: FlakyParams, runs: Mapping[int, Any], state: str | None
) -> Insight:
    """A FLAKY_TEST insight, evidence strongest first."""
    claims: list[Claim] = []
    confirmed: list[Evidence] = []
    for rid in a.retry_pass_runs[:_MAX_EVIDENCE]:
        confirmed.append(_run_ev(rid, Support.STRONG, "failed, then passed on retry in the same run", runs))
    for fail_id, pass_id, same_env in a.same_code_runs[: _MAX_EVIDENCE - len(confirmed)]:
        code = _short(getattr(runs.get(fail_id), "commit", None))
        env = "same environment" if same_env else "another environment"
        strength = Support.STRONG if same_env else Support.MODERATE
        confirmed.append(
            _run_ev(fail_id, strength, f"failed on {code}; run {pass_id} passed on the same code ({env})", runs)
        )
    n_conf = len(a.retry_pass_runs) + len(a.same_code_runs)
    if confirmed:
        claims.append(
            Claim(
                f"Failed and passed on the same code {n_conf} time(s) (retry passes and same-commit reruns)",
                a.probability,
                tuple(confirmed),
            )
        )
    if a.flip_runs:
        claims.append(
            Claim(
                f"{len(a.flip_runs)} isolated failure(s) on the default branch between passing runs",
                a.probability,
                tuple(
                    _run_ev(r, Support.MODERATE, "failed between two passing default-branch runs", runs)
                    for r in a.flip_runs[:_MAX_EVIDENCE]
                ),
            )
        )
    if a.window_rate is not None:
        lo, hi = a.window_rate_low or 0.0, a.window_rate_high or 1.0
        failing = list(reversed(a.window_failing_runs))
        claims.append(
            Claim(
                f"Failure rate {a.window_rate:.1%} over the last {a.window_runs} runs (95% CI {lo:.1%}–{hi:.1%})",
                a.probability,
                tuple(_run_ev(r, Support.MODERATE, "failing run in the window", runs) for r in failing[:_MAX_EVIDENCE]),
            )
        )
    if a.outage_runs:
        claims.append(
            Claim(
                f"{len(a.outage_runs)} failure(s) during infrastructure outages were not counted "
                f"(≥ {p.outage_share:.0%} of the run's tests failed at once)",
                1.0,
                tuple(
                    _run_ev(r, Support.STRONG, "outage run: excluded from the evidence", runs)
                    for r in a.outage_runs[:_MAX_EVIDENCE]
                ),
            )
        )
    cat = a.category.category.value.replace("_", " ")
    summary = (
        f"P(flaky) {_pct(a.probability)} (likely {_pct(a.low)} to {_pct(a.high)}) from {a.clean_runs} runs: "
        f"{len(a.retry_pass_runs)} pass(es) on retry, {len(a.same_code_runs)} same-code pass/fail, "
        f"{len(a.flip_runs)} flip(s); likely cause: {cat}; wasted {a.wasted_s / 60:.1f} min of CI; "
        f"recommended: {a.action.value.replace('_', ' ')}."
    )
    return Insight(
        kind=InsightKind.FLAKY_TEST,
        subject=Subject(SubjectType.TEST, a.identity, label),
        title=f"{'Flaky' if a.verdict is Verdict.FLAKY else 'Possibly flaky'} test: {label}",
        summary=summary,
        claims=tuple(claims),
        confidence=Confidence(a.probability, a.low, a.high, a.probability),
        provenance=_provenance(p),
        action=a.action.value,
        uncertainty=a.uncertainty,
        data=data_of(a, state),
    )


def broken_insight(
    a: Assessment, label: str, p: FlakyParams, runs: Mapping[int, Any], state: str | None
) -> Insight:
    """A BROKEN_TEST insight naming the first failing run and commit."""
    s = a.broken
    assert s is not None
    ev: list[Evidence] = [
        _run_ev(s.first_run_id, Support.STRONG, f"first failing run (commit {_short(s.first_commit)})", runs)
    ]
    if s.first_commit:
        ev.append(Evidence(EvidenceType.COMMIT, s.first_commit, Support.STRONG, "first commit on which the test fails", s.started_at))
    if s.last_pass_run_id is not None:
        ev.append(
            _run_ev(s.last_pass_run_id, Support.MODERATE, f"last pass before it (commit {_short(s.last_pass_commit)})", runs)
        )
    # with no pass stored before it, the first failing run is only where Argus's history begins
    since = (f"since commit {_short(s.first_commit)}" if s.last_pass_run_id is not None
             else f"since at least commit {_short(s.first_commit)} (the first run Argus has of it)")
    claims = [
        Claim(
            f"Fails on every run {since}: "
            f"{s.runs} runs, {s.failed_attempts} failed attempts, no pass on that code",
            s.probability,
            tuple(ev),
        ),
        Claim(
            "A regression, not flakiness: the code it fails on never passed, including retries",
            s.probability,
            (_run_ev(s.last_run_id, Support.MODERATE, "latest run: still failing", runs),),
        ),
    ]
    return Insight(
        kind=InsightKind.BROKEN_TEST,
        subject=Subject(SubjectType.TEST, a.identity, label),
        title=f"Broken test: {label}",
        summary=(
            f"Fails consistently {since} ({s.runs} runs, "
            f"confidence {_pct(s.probability)} that it is broken); not flaky. Fix the regression rather than quarantining."
        ),
        claims=tuple(claims),
        confidence=Confidence(s.probability, raw=s.probability),
        provenance=_provenance(p),
        action=a.action.value,
        uncertainty=a.uncertainty,
        data=data_of(a, state),
    )
