"""Decide, per test, flaky vs broken vs stable from its folded run history (pure functions).

Order of reasoning:
1. drop outage runs (a share ≥ ``outage_share`` of the run's tests failed at once) and skip-only runs;
2. find regressions: streaks of runs where every attempt failed (≥ ``broken_min_consecutive``
   failed attempts, retries included), that start at a code change, whose code never passed
   anywhere, and that a flaky test would rarely produce (:func:`streak_probability_broken` ≥
   ``broken_min_probability``); an open one on the default branch makes the test BROKEN, closed
   ones are removed from the flaky evidence;
3. collect flaky evidence on the rest, strongest first: pass on retry within a run, pass and fail on
   the same code, isolated default-branch flips, the failure rate over the last ``window_runs`` runs;
4. the flaky probability (:mod:`probability`), the seed's dimension score, category, action.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from argus.analysis.flaky.categorise import categorise
from argus.analysis.flaky.probability import flaky_probability, streak_probability_broken
from argus.analysis.flaky.schemas import (
    Action,
    Assessment,
    BrokenSegment,
    Dimensions,
    FailureSample,
    FlakyParams,
    RunObs,
    RunStatus,
    TestHistory,
    Verdict,
)
from argus.reasoning import wilson_interval

FAILING = (RunStatus.FAIL, RunStatus.RETRY_PASS)
PASSING = (RunStatus.PASS, RunStatus.RETRY_PASS)


def outage_runs(failing: Mapping[int, int], totals: Mapping[int, int], share: float, min_tests: int = 5) -> set[int]:
    """Runs where at least ``share`` of the tests failed on their first attempt (infrastructure outages).

    ``failing`` and ``totals`` map run id → distinct tests failing / run. Runs with fewer than
    ``min_tests`` tests are never outages: one failure in a 2-test run says nothing about infrastructure.
    """
    out: set[int] = set()
    for run_id, n_fail in failing.items():
        total = totals.get(run_id, 0)
        if total >= min_tests and n_fail >= share * total:
            out.add(run_id)
    return out


def action_for(probability: float, p: FlakyParams) -> Action:
    if probability > p.quarantine_threshold:
        return Action.QUARANTINE
    if probability > p.investigate_threshold:
        return Action.INVESTIGATE
    return Action.MONITOR


def _lines(runs: Sequence[RunObs]) -> dict[str | None, list[RunObs]]:
    lines: dict[str | None, list[RunObs]] = defaultdict(list)
    for r in runs:
        lines[r.branch].append(r)
    return lines


def find_regressions(runs: Sequence[RunObs], p: FlakyParams) -> list[BrokenSegment]:
    """Failure streaks that are regressions (see module docstring, step 2); ``runs`` are clean, oldest first.

    A streak is a maximal run of FAIL runs on one branch whose code never passed anywhere and which
    starts at a code change. Its support adds FAIL runs of other branches during it (branches cut
    after the breaking commit fail too) on code that never passed. It qualifies when the support holds
    ≥ ``broken_min_consecutive`` failed attempts (retries count: three failed attempts in one run are
    as telling as three failing runs) and a flaky test would rarely fail that often in a row.
    """
    passing_code = {r.code_key for r in runs if r.status in PASSING and r.code_key is not None}

    def never_passed(r: RunObs) -> bool:
        return r.code_key is not None and r.code_key not in passing_code

    streaks: list[tuple[str | None, list[RunObs], RunObs | None, RunObs | None]] = []
    for branch, line in _lines(runs).items():
        prev_pass: RunObs | None = None
        streak: list[RunObs] = []
        for r in [*line, None]:
            if r is not None and r.status is RunStatus.FAIL:
                streak.append(r)
                continue
            changed = bool(streak) and (prev_pass is None or prev_pass.code_key != streak[0].code_key)
            if streak and changed and all(never_passed(x) for x in streak):
                streaks.append((branch, streak, prev_pass, r))
            streak = []
            if r is not None and r.status in PASSING:
                prev_pass = r
    deterministic_fails = [r for r in runs if r.status is RunStatus.FAIL and never_passed(r)]
    supports: list[list[RunObs]] = []
    for branch, streak, _, nxt in streaks:
        start, end = streak[0].started_at, nxt.started_at if nxt else None
        extra = [
            r for r in deterministic_fails
            if r.branch != branch and r.started_at >= start and (end is None or r.started_at < end)
        ]
        supports.append(streak + extra)
    qualified = [
        (st, sup) for st, sup in zip(streaks, supports, strict=True)
        if sum(x.failed_attempts for x in sup) >= p.broken_min_consecutive
    ]
    if not qualified:
        return []
    in_support = {x.run_id for _, sup in qualified for x in sup}
    outside = [r for r in runs if r.run_id not in in_support]
    f_out = sum(1 for r in outside if r.status in FAILING)
    found: list[BrokenSegment] = []
    for (branch, streak, prev_pass, nxt), sup in qualified:
        attempts = sum(x.failed_attempts for x in sup)
        prob = streak_probability_broken(attempts, len(outside), f_out, p)
        if prob < p.broken_min_probability:
            continue
        found.append(
            BrokenSegment(
                branch=branch,
                first_run_id=streak[0].run_id,
                first_commit=streak[0].commit,
                last_run_id=streak[-1].run_id,
                runs=len(sup),
                failed_attempts=attempts,
                probability=prob,
                open=nxt is None,
                last_pass_run_id=prev_pass.run_id if prev_pass else None,
                last_pass_commit=prev_pass.commit if prev_pass else None,
                fixed_run_id=nxt.run_id if nxt else None,
                fixed_commit=nxt.commit if nxt else None,
                started_at=streak[0].started_at,
                fixed_at=nxt.started_at if nxt else None,
            )
        )
    return found


def dimensions(window: Sequence[RunObs], min_runs: int) -> Dimensions | None:
    """The seed score 0.3·TV + 0.3·ALT + 0.2·(1-ENV) + 0.2·DUR over ``window`` (None below ``min_runs``).

    TV = 4·q(1-q) with q the failing share (variance of the pass/fail outcome scaled by its maximum
    0.25); ALT = pass↔fail changes / (n-1); ENV = 1 - (max - min) of per-environment failure rates over
    environments with ≥ 2 runs (1 with fewer than two such environments); DUR = CV/(1+CV) of the
    first-attempt durations (CV = standard deviation / mean).
    """
    n = len(window)
    if n < max(min_runs, 2):
        return None
    xs = [1 if r.status in FAILING else 0 for r in window]
    q = sum(xs) / n
    tv = 4 * q * (1 - q)
    alt = sum(1 for a, b in itertools.pairwise(xs) if a != b) / (n - 1)
    per_env: dict[str, list[int]] = defaultdict(list)
    for r, x in zip(window, xs, strict=True):
        per_env[r.env_key].append(x)
    rates = [sum(v) / len(v) for v in per_env.values() if len(v) >= 2]
    env = 1.0 - (max(rates) - min(rates)) if len(rates) >= 2 else 1.0
    durs = [r.duration_s for r in window if r.duration_s is not None and r.duration_s > 0]
    dur = 0.0
    if len(durs) >= 2:
        mean = sum(durs) / len(durs)
        sd = math.sqrt(sum((d - mean) ** 2 for d in durs) / (len(durs) - 1))
        cv = sd / mean if mean > 0 else 0.0
        dur = cv / (1 + cv)
    score = 0.3 * tv + 0.3 * alt + 0.2 * (1 - env) + 0.2 * dur
    return Dimensions(tv, alt, env, dur, score)


def _same_code_pairs(runs: Sequence[RunObs]) -> list[tuple[int, int, bool]]:
    """(failing run, passing run of the same code, same environment?) for each FAIL run."""
    passes: dict[str, list[RunObs]] = defaultdict(list)
    for r in runs:
        if r.status in PASSING and r.code_key is not None:
            passes[r.code_key].append(r)
    pairs = []
    for r in runs:
        if r.status is RunStatus.FAIL and r.code_key in passes:
            cands = [o for o in passes[r.code_key] if o.run_id != r.run_id]
            if not cands:
                continue
            same_env = [o for o in cands if o.env_key == r.env_key]
            pick = (same_env or cands)[0]
            pairs.append((r.run_id, pick.run_id, bool(same_env)))
    return pairs


def _flips(default_line: Sequence[RunObs], exclude: set[int]) -> list[int]:
    """Isolated default-branch failures: a FAIL run with passing runs just before and after it."""
    out = []
    for prev, cur, nxt in zip(default_line, default_line[1:], default_line[2:], strict=False):
        isolated = cur.status is RunStatus.FAIL and prev.status in PASSING and nxt.status in PASSING
        if isolated and cur.run_id not in exclude:
            out.append(cur.run_id)
    return out


def _tail_passes(line: Iterable[RunObs]) -> int:
    n = 0
    for r in reversed(list(line)):
        if r.status is not RunStatus.PASS:
            break
        n += 1
    return n


def assess(
    h: TestHistory, p: FlakyParams, load_failures: Callable[[int], Sequence[FailureSample]] | None = None
) -> Assessment:
    """The verdict on one test (``h.runs`` oldest first, outage flags already set).

    ``load_failures`` (test id → failure samples) is called only for a test that will be reported
    (broken, or P(flaky) ≥ ``report_threshold``); otherwise ``h.failures`` are categorised.
    """
    outages = tuple(r.run_id for r in h.runs if r.outage and r.status in FAILING)
    clean_all = [r for r in h.runs if not r.outage and r.status is not RunStatus.SKIP]
    has_default = any(r.on_default_branch for r in clean_all)
    regressions = find_regressions(clean_all, p)
    open_default = [
        s
        for s in regressions
        if s.open and (not has_default or any(r.run_id == s.first_run_id and r.on_default_branch for r in clean_all))
    ]
    seg_runs = _explained_runs(clean_all, regressions)
    clean = [r for r in clean_all if r.run_id not in seg_runs]
    retry = tuple(r.run_id for r in clean if r.status is RunStatus.RETRY_PASS)
    pairs = tuple(_same_code_pairs(clean))
    default_line = [r for r in clean if r.on_default_branch] if has_default else clean
    paired = {a for a, _, _ in pairs}
    flips = tuple(_flips(default_line, paired))
    failing = [r for r in clean if r.status in FAILING]
    f_conf = len(retry) + sum(1 for _, _, same in pairs if same)
    f_unconf = len(failing) - f_conf
    per_env: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in clean:  # per environment value (os=windows, python=3.12 ...), not per combination
        for pair in r.env_key.split(",") if r.env_key else ():
            per_env[pair][0] += 1
            per_env[pair][1] += r.status in FAILING
    env_counts = [(ne, fe) for ne, fe in per_env.values()]
    prob, low, high = flaky_probability(len(clean), f_conf, f_unconf, p, env_counts, range_from=p.report_threshold)
    window = clean[-p.window_runs :]
    wf = sum(1 for r in window if r.status in FAILING)
    rate = rate_lo = rate_hi = None
    if len(window) >= p.min_runs:
        rate = wf / len(window)
        rate_lo, rate_hi = wilson_interval(wf, len(window))
    dims = dimensions(window, p.min_runs)
    seg_ids = seg_runs | set(outages)
    failures: Sequence[FailureSample] = h.failures
    if load_failures is not None and (open_default or prob >= min(p.report_threshold, p.investigate_threshold)):
        failures = load_failures(h.test_case_id)
    # a broken test's failures all lie in its regression segment: categorise those (not nothing)
    cat_ids = set(outages) if open_default else seg_ids
    cat = categorise([f for f in failures if f.run_id not in cat_ids], clean, failing)
    uncertainty: list[str] = []
    if len(clean) < p.min_runs:
        uncertainty.append(f"only {len(clean)} clean runs (fewer than {p.min_runs})")
    if f_conf == 0 and failing:
        uncertainty.append("no failure was confirmed by a pass of the same code")
    if outages:
        uncertainty.append(f"{len(outages)} outage runs excluded")
    default_all = [r for r in clean_all if r.on_default_branch] if has_default else clean_all
    if open_default:
        verdict, action = Verdict.BROKEN, Action.FIX_REGRESSION
    else:
        verdict = Verdict.FLAKY if prob > p.investigate_threshold else Verdict.STABLE
        action = action_for(prob, p)
    return Assessment(
        test_case_id=h.test_case_id,
        identity=h.identity,
        verdict=verdict,
        probability=prob,
        low=low,
        high=high,
        clean_runs=len(clean),
        failing_runs=len(failing),
        retry_pass_runs=retry,
        same_code_runs=pairs,
        flip_runs=flips,
        outage_runs=outages,
        window_runs=len(window),
        window_failures=wf,
        window_rate=rate,
        window_rate_low=rate_lo,
        window_rate_high=rate_hi,
        window_failing_runs=tuple(r.run_id for r in window if r.status in FAILING),
        dimensions=dims,
        category=cat,
        action=action,
        wasted_s=sum(r.wasted_s + r.job_rerun_wasted_s for r in failing),
        wasted_runs=len(failing),
        broken=open_default[-1] if open_default else None,
        past_regressions=tuple(s for s in regressions if not s.open),
        consecutive_default_passes=_tail_passes(default_all),
        all_failing=bool(window) and wf == len(window),
        last_failure_at=max((r.started_at for r in failing), default=None),
        last_run_at=h.runs[-1].started_at if h.runs else None,
        uncertainty=tuple(uncertainty),
    )


def _explained_runs(runs: Sequence[RunObs], segments: Sequence[BrokenSegment]) -> set[int]:
    """Runs a regression explains: its streak, plus FAIL runs on any branch during it whose code never passed.

    Branches cut after the breaking commit fail too without forming a streak of their own.
    """
    passing_code = {r.code_key for r in runs if r.status in PASSING and r.code_key is not None}
    ids: set[int] = set()
    for s in segments:
        inside = False
        for r in runs:
            if r.branch == s.branch and r.run_id == s.first_run_id:
                inside = True
            if inside and r.branch == s.branch:
                ids.add(r.run_id)
                if r.run_id == s.last_run_id:
                    inside = False
            elif (
                r.status is RunStatus.FAIL
                and r.code_key not in passing_code
                and s.started_at is not None
                and r.started_at >= s.started_at
                and (s.fixed_at is None or r.started_at < s.fixed_at)
            ):
                ids.add(r.run_id)
    return ids
