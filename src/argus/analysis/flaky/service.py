"""Load test history from the store, judge every test that ever failed, emit Insights, track lifecycle.

Also the manual lifecycle change (:func:`set_state`), one test's detail (:func:`show_test`) and what
another capability may ask (:func:`flaky_status`, :func:`quarantined_passes`): this is the only module
of the flaky analysis another capability imports. The caller owns the transaction (services never
commit). See :mod:`queries` for what runs in SQL.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from argus.analysis.flaky import queries as q
from argus.analysis.flaky.algo import assess, outage_runs
from argus.analysis.flaky.insights import broken_insight, flaky_insight
from argus.analysis.flaky.lifecycle import LifecycleState, next_state
from argus.analysis.flaky.readmodels import FlakyStatus, QuarantinedResult, StateChange, TestDetail
from argus.analysis.flaky.schemas import (
    Assessment,
    FailureSample,
    FlakyParams,
    RunObs,
    RunStatus,
    TestHistory,
    Verdict,
)
from argus.analysis.flaky.screen import MAX_FAILURES, screen
from argus.analysis.insights.service import get_insight, save_insights
from argus.core.clock import utcnow
from argus.core.errors import NotFoundError
from argus.core.settings import FlakySettings
from argus.reasoning import Insight
from argus.store.models import FlakyTestState, Project
from argus.store.session import current_project_id

__all__ = ["AnalysisResult", "FlakyStatus", "QuarantinedResult", "analyze", "find_case", "flaky_status",
           "load_histories", "params_from", "quarantined_passes", "set_state", "show_test"]


def params_from(s: FlakySettings) -> FlakyParams:
    from argus.core.settings import derive

    return derive(FlakyParams, s)


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
    states = q.states(session)
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


def find_case(session: Session, test: str) -> q.CaseInfo:
    """A test of the scoped project by full id, unique id suffix or unique name (:class:`NotFoundError`)."""
    info = q.find_case(session, current_project_id(session), test)
    if info is None:
        raise NotFoundError(f"test {test!r} not found in this project (give its full id or a unique name)")
    return info


def show_test(session: Session, test: str) -> TestDetail:
    """The current flaky/broken insights of one test with evidence, and its lifecycle state."""
    info = find_case(session, test)
    st = q.state_of(session, info.id)
    return TestDetail(
        info.identity,
        info.name,
        st.state if st else None,
        st.note if st else None,
        bool(st.manual) if st else False,
        tuple(get_insight(session, i) for i in q.current_insight_ids(session, info.identity)),
        q.recent_messages(session, info.id),
    )


def set_state(
    session: Session, test: str, state: LifecycleState, note: str | None = None, now: datetime | None = None
) -> str:
    """Set a test's lifecycle state by hand (e.g. quarantine before Argus would, or record a fix).

    Returns the test's full id. The analysis moves the state on from there (:mod:`lifecycle`).
    """
    target = LifecycleState(state)
    info = find_case(session, test)
    now = now or utcnow()
    row = q.state_of(session, info.id)
    if row is None:
        row = FlakyTestState(project_id=current_project_id(session), test_case_id=info.id, detected_at=now)
        session.add(row)
    row.state = target.value
    row.manual = True
    row.note = note
    row.updated_at = now
    if target is LifecycleState.QUARANTINED:
        row.quarantined_at = now
    if target is LifecycleState.FIXED:
        row.fixed_at = now
    session.flush()
    return info.identity


def flaky_status(session: Session, identities: Sequence[str]) -> dict[str, FlakyStatus] | None:
    """What the flaky analysis knows of each test in ``identities``; ``None`` when it never ran here.

    FLAKY = a current flaky verdict or an ACTIVE/QUARANTINED state (by the analysis or a person),
    unless a current broken verdict says the test is broken by a regression (BROKEN: a real failure
    must not hide behind an old flaky label); otherwise NOT_FLAKY.
    """
    if not q.ever_analysed(session):
        return None
    flaky, broken = q.flagged(session, identities)
    return {
        i: FlakyStatus.BROKEN if i in broken else FlakyStatus.FLAKY if i in flaky else FlakyStatus.NOT_FLAKY
        for i in identities
    }


def quarantined_passes(session: Session, run_ids: Sequence[int], limit: int = 200) -> list[QuarantinedResult]:
    """Quarantined tests that passed in the runs ``run_ids`` and failed in none of them (release
    candidates). A quarantine that skips the test at run time leaves no pass to see: only tests the
    build still ran (and whose result was ignored) can appear."""
    if not run_ids:
        return []
    return q.quarantined_results(session, run_ids, limit)
