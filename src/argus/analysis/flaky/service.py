"""Load test history from the store, judge every test that ever failed, emit Insights, track lifecycle.

The caller owns the transaction (services never commit). See :mod:`queries` for what runs in SQL.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.flaky import queries as q
from argus.analysis.flaky.algo import assess, outage_runs
from argus.analysis.flaky.insights import broken_insight, flaky_insight
from argus.analysis.flaky.lifecycle import next_state
from argus.analysis.flaky.schemas import (
    Assessment,
    FailureSample,
    FlakyParams,
    LifecycleState,
    RunObs,
    RunStatus,
    TestHistory,
    Verdict,
)
from argus.analysis.flaky.screen import MAX_FAILURES, screen
from argus.analysis.insights.service import save_insights
from argus.core.clock import utcnow
from argus.core.settings import FlakySettings
from argus.reasoning import Insight
from argus.store.models import FlakyTestState, Project
from argus.store.session import current_project_id


def params_from(s: FlakySettings) -> FlakyParams:
    from argus.core.settings import derive

    return derive(FlakyParams, s)


@dataclass(frozen=True)
class StateChange:
    identity: str
    before: str | None
    after: str | None
    reason: str


@dataclass
class AnalysisResult:
    """What one ``analyze`` call found and stored."""

    runs: int = 0
    candidates: int = 0
    outage_runs: int = 0
    assessments: list[Assessment] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    insight_ids: list[int] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)

    @property
    def flaky(self) -> list[Assessment]:
        return [a for a in self.assessments if a.verdict is Verdict.FLAKY]

    @property
    def broken(self) -> list[Assessment]:
        return [a for a in self.assessments if a.verdict is Verdict.BROKEN]


def _job_rerun_waste(runs: Mapping[int, q.RunMeta], failing_tests: Mapping[int, int], outages: set[int]) -> dict[int, float]:
    """Run id → seconds of the job rerun it caused, per failing test (the next attempt's duration / failures)."""
    groups: dict[tuple[str, str, str], list[q.RunMeta]] = defaultdict(list)
    for r in runs.values():
        if r.ci_key is not None:
            groups[r.ci_key].append(r)
    out: dict[int, float] = {}
    for attempts in groups.values():
        attempts.sort(key=lambda r: r.ci_attempt)
        for cur, nxt in itertools.pairwise(attempts):
            n = failing_tests.get(cur.id, 0)
            if n and cur.id not in outages and nxt.duration_s > 0:
                out[cur.id] = nxt.duration_s / n
    return out


def _run_order(r: RunObs) -> tuple[datetime, int]:
    return r.started_at, r.run_id


def load_histories(
    session: Session,
    p: FlakyParams,
    *,
    default_branch: str,
    since: datetime | None,
    extra_tests: set[int],
    screening: bool = True,
) -> tuple[list[TestHistory], dict[int, q.RunMeta], set[int], dict[int, q.CaseInfo]]:
    """Histories of every test that failed outside outages (plus ``extra_tests``), minus :mod:`screen`'s skips."""
    pid = current_project_id(session)
    runs = q.load_runs(session, pid, since)
    failing_rows = q.load_failing_attempts(session, pid, since)
    per_run: Counter[int] = Counter(rid for rid, _, attempt in failing_rows if attempt == 0)
    missing = [rid for rid in per_run if runs.get(rid) is not None and runs[rid].tests <= 0]
    totals = {rid: runs[rid].tests for rid in per_run if rid in runs}
    totals.update(q.load_run_totals(session, pid, missing))
    outages = outage_runs(per_run, totals, p.outage_share)
    fails: dict[int, Counter[int]] = defaultdict(Counter)
    for rid, tid, _ in failing_rows:
        if rid not in outages:
            fails[tid][rid] += 1
    maybe_skip = [t for t, per in fails.items() if t not in extra_tests and len(per) <= MAX_FAILURES]
    skipped = screen(fails, q.count_rows(session, maybe_skip), runs, p) if screening and maybe_skip else set()
    candidates = (set(fails) - skipped) | extra_tests
    folded = q.load_folded(session, pid, sorted(candidates), since)
    rerun_waste = _job_rerun_waste(runs, {r: n for r, n in per_run.items()}, outages)
    cases = q.load_cases(session, pid, candidates)
    histories: list[TestHistory] = []
    for tid in sorted(candidates):
        obs: list[RunObs] = []
        for rid, status, attempts, failed, dur, wasted in folded.get(tid, ()):
            meta = runs.get(rid)
            if meta is None:
                continue
            failing = status is RunStatus.FAIL or status is RunStatus.RETRY_PASS
            obs.append(
                RunObs(
                    rid, meta.started_at, status, meta.tree or meta.commit, meta.commit, meta.branch,
                    meta.env_key, meta.branch == default_branch, attempts, failed, dur, wasted,
                    rid in outages, rerun_waste.get(rid, 0.0) if failing else 0.0,
                )
            )
        obs.sort(key=_run_order)
        info = cases.get(tid)
        histories.append(TestHistory(tid, info.identity if info else str(tid), tuple(obs)))
    return histories, runs, outages, cases


def analyze(
    session: Session,
    settings: FlakySettings,
    *,
    persist: bool = True,
    now: datetime | None = None,
) -> AnalysisResult:
    """Judge every test that failed, store FLAKY_TEST / BROKEN_TEST insights and lifecycle states."""
    p = params_from(settings)
    now = now or utcnow()
    pid = current_project_id(session)
    project = session.get(Project, pid)
    default_branch = project.default_branch if project else "main"
    since = now - timedelta(days=settings.history_days) if settings.history_days else None
    states = {s.test_case_id: s for s in session.scalars(select(FlakyTestState))}
    tracked = {t for t, s in states.items() if s.state != LifecycleState.FIXED.value}
    histories, runs, outages, cases = load_histories(
        session, p, default_branch=default_branch, since=since, extra_tests=tracked
    )
    result = AnalysisResult(runs=len(runs), candidates=len(histories), outage_runs=len(outages))
    def samples(tid: int) -> list[FailureSample]:
        return q.load_failure_samples(session, pid, [tid], settings.samples_per_test).get(tid, [])

    result.assessments = [assess(h, p, samples) for h in histories]
    insight_for: dict[int, int] = {}
    for a in result.assessments:
        cur = states.get(a.test_case_id)
        before = LifecycleState(cur.state) if cur else None
        t = next_state(
            before, a, passes_needed=p.fixed_after_passes, auto_quarantine=settings.auto_quarantine,
            fixed_at=cur.fixed_at if cur else None, quarantine_threshold=p.quarantine_threshold,
        )
        after = t.state.value if t.state else None
        if t.changed:
            result.changes.append(StateChange(a.identity, before.value if before else None, after, t.reason))
        if persist and t.state is not None:
            row = cur or FlakyTestState(project_id=pid, test_case_id=a.test_case_id, detected_at=now)
            _update_state(row, a, t.state, t.changed, now)
            if cur is None:
                session.add(row)
                states[a.test_case_id] = row
        if not _reportable(a, p):
            continue
        info = cases.get(a.test_case_id)
        label = info.name if info else a.identity
        maker = broken_insight if a.verdict is Verdict.BROKEN else flaky_insight
        result.insights.append(maker(a, label, p, runs, after))
        insight_for[a.test_case_id] = len(result.insights) - 1
    if persist:
        result.insight_ids = save_insights(session, result.insights)
        for tid, idx in insight_for.items():
            if tid in states:
                states[tid].insight_id = result.insight_ids[idx]
        session.flush()
    return result


def _reportable(a: Assessment, p: FlakyParams) -> bool:
    return a.verdict is Verdict.BROKEN or a.probability >= p.report_threshold


def _update_state(row: FlakyTestState, a: Assessment, state: LifecycleState, changed: bool, now: datetime) -> None:
    row.state = state.value
    row.probability = a.probability
    row.category = a.category.category.value
    row.action = a.action.value
    row.consecutive_passes = a.consecutive_default_passes
    row.wasted_s = a.wasted_s
    row.updated_at = now
    if changed and state is LifecycleState.QUARANTINED:
        row.quarantined_at = now
    if changed and state is LifecycleState.FIXED:
        row.fixed_at = now
    if changed:
        row.manual = False
