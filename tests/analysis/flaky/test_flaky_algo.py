"""Golden tests of the pure flaky/broken analysis on hand-built histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from argus.analysis.flaky.algo import assess, dimensions, find_regressions, outage_runs
from argus.analysis.flaky.probability import flaky_probability, streak_probability_broken
from argus.analysis.flaky.schemas import (
    Action,
    Category,
    FlakyParams,
    RunObs,
    RunStatus,
    TestHistory,
    Verdict,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def replace(r: RunObs, **changes: object) -> RunObs:
    return r._replace(**changes)

P = FlakyParams()
_S = {"P": RunStatus.PASS, "R": RunStatus.RETRY_PASS, "F": RunStatus.FAIL, "S": RunStatus.SKIP}


def runs(
    seq: str,
    *,
    commits: list[str] | None = None,
    branch: str = "main",
    env: str = "os=linux",
    outage: set[int] | None = None,
    start: int = 0,
    default: str = "main",
) -> list[RunObs]:
    """``seq`` like "PPFRP": one run per letter, each on its own commit unless ``commits`` is given."""
    out = []
    for i, ch in enumerate(seq.replace(" ", "")):
        n = start + i
        commit = commits[i] if commits else f"c{n:04d}"
        status = _S[ch]
        failed = {"P": 0, "R": 1, "F": 1, "S": 0}[ch]
        out.append(
            RunObs(
                run_id=n + 1,
                started_at=T0 + timedelta(hours=n),
                status=status,
                code_key=commit,
                commit=commit,
                branch=branch,
                env_key=env,
                on_default_branch=branch == default,
                attempts=2 if ch == "R" else 1,
                failed_attempts=failed,
                duration_s=1.0,
                wasted_s=2.0 if ch == "R" else (1.0 if ch == "F" else 0.0),
                outage=bool(outage and (n + 1) in outage),
            )
        )
    return out


def hist(rs: list[RunObs]) -> TestHistory:
    return TestHistory(1, "tests/test_x.py::test_a", tuple(rs))


def test_retry_pass_is_strong_flaky_evidence() -> None:
    a = assess(hist(runs("PPPPRPPPPPRPPPPPPRPP")), P)
    assert a.verdict is Verdict.FLAKY
    assert a.retry_pass_runs == (5, 11, 18)
    assert a.probability > 0.95
    assert a.action is Action.QUARANTINE
    assert a.wasted_runs == 3 and a.wasted_s == pytest.approx(6.0)


def test_same_commit_pass_and_fail_is_flaky() -> None:
    seq = "PPPPFPPPPFPPPP"
    commits = [f"c{i}" for i in range(len(seq))]
    commits[5] = commits[4]  # a rerun of the failing commit passed
    commits[10] = commits[9]
    a = assess(hist(runs(seq, commits=commits)), P)
    assert a.verdict is Verdict.FLAKY
    assert [(f, p, same) for f, p, same in a.same_code_runs] == [(5, 6, True), (10, 11, True)]


def test_same_commit_pass_in_other_environment_is_weaker() -> None:
    seq = "PPPPFPPPPP"
    commits = [f"c{i}" for i in range(len(seq))]
    commits[5] = commits[4]
    rs = runs(seq, commits=commits)
    rs[5] = replace(rs[5], env_key="os=windows")
    a = assess(hist(rs), P)
    assert a.same_code_runs == ((5, 6, False),)
    same_env = assess(hist(runs(seq, commits=commits)), P)
    assert a.probability < same_env.probability


def test_broken_from_a_commit_names_first_failing_run_and_commit() -> None:
    a = assess(hist(runs("P" * 20 + "FFFFF")), P)
    assert a.verdict is Verdict.BROKEN
    assert a.action is Action.FIX_REGRESSION
    assert a.broken is not None
    assert (a.broken.first_run_id, a.broken.first_commit) == (21, "c0020")
    assert (a.broken.last_pass_run_id, a.broken.last_pass_commit) == (20, "c0019")
    assert a.broken.probability > 0.99
    assert a.failing_runs == 0  # the regression's failures are not flaky evidence


def test_regression_that_was_fixed_is_not_flaky() -> None:
    a = assess(hist(runs("P" * 20 + "FFFF" + "P" * 20)), P)
    assert a.verdict is Verdict.STABLE
    assert a.broken is None
    assert len(a.past_regressions) == 1
    seg = a.past_regressions[0]
    assert (seg.first_commit, seg.fixed_commit, seg.runs) == ("c0020", "c0024", 4)
    assert a.probability < P.report_threshold


def test_streak_on_code_that_also_passed_is_not_a_regression() -> None:
    seq = "PPPPPFFFFPPPP"
    commits = [f"c{i}" for i in range(len(seq))]
    commits[9] = commits[8]  # the last failing commit later passed: same code, both outcomes
    a = assess(hist(runs(seq, commits=commits)), P)
    assert a.verdict is Verdict.FLAKY
    assert not a.past_regressions


def test_short_streak_of_a_high_rate_flaky_test_is_not_broken() -> None:
    # a test failing ~40% of the time (retry passes) ends with three plain failures
    body = "RPRPPRRPRPPRPRPPRPRP"
    a = assess(hist(runs(body + "FFF")), P)
    assert a.verdict is Verdict.FLAKY
    assert a.broken is None


def test_outage_runs_are_excluded_and_said_so() -> None:
    rs = runs("PPPPPFPPPPFPPPP", outage={6, 11})
    a = assess(hist(rs), P)
    assert a.outage_runs == (6, 11)
    assert a.failing_runs == 0
    assert a.verdict is Verdict.STABLE
    assert any("outage" in u for u in a.uncertainty)


def test_outage_detection_by_share_of_failing_tests() -> None:
    failing = {1: 6, 2: 1, 3: 2}
    totals = {1: 10, 2: 10, 3: 3}
    assert outage_runs(failing, totals, 0.5) == {1}  # run 3 has too few tests to call it an outage


def test_few_runs_give_a_wide_interval_many_runs_a_narrow_one() -> None:
    few = flaky_probability(3, 0, 1, P)
    many = flaky_probability(300, 30, 0, P)
    assert few[2] - few[1] > 0.4
    assert many[2] - many[1] < 0.01
    assert many[0] > 0.99
    assert few[1] <= few[0] <= few[2]


def test_probability_grows_with_failures_and_confirmation() -> None:
    n = 100
    p_vals = [flaky_probability(n, 0, f, P)[0] for f in range(6)]
    assert p_vals == sorted(p_vals)
    assert flaky_probability(n, 2, 0, P)[0] > flaky_probability(n, 0, 2, P)[0]
    assert flaky_probability(100, 0, 0, P)[0] < P.prior_flaky  # many clean passes lower the prior


def test_broken_probability_depends_on_rate_outside_the_streak() -> None:
    clean = streak_probability_broken(3, 50, 0, P)
    noisy = streak_probability_broken(3, 50, 20, P)
    assert clean > 0.999
    assert noisy < P.broken_min_probability


def test_find_regressions_needs_a_code_change_at_the_start() -> None:
    seq = "PPPPFFFF"
    commits = ["a", "b", "c", "d", "d", "e", "f", "g"]  # first failure on the commit that just passed
    assert find_regressions(runs(seq, commits=commits), P) == []


def test_dimensions_golden_values() -> None:
    rs = runs("PFPFPFPF")
    d = dimensions(rs, 5)
    assert d is not None
    assert d.temporal_variance == pytest.approx(1.0)
    assert d.alternation_rate == pytest.approx(1.0)
    assert d.environmental_consistency == pytest.approx(1.0)
    assert d.duration_variance == pytest.approx(0.0)
    assert d.score == pytest.approx(0.6)
    assert dimensions(rs[:4], 5) is None  # fewer than 5 runs: not computed


def test_environmental_consistency_drops_when_failures_sit_in_one_environment() -> None:
    linux = runs("PPPP", env="os=linux")
    win = runs("FFPF", env="os=windows", start=4)
    d = dimensions(linux + win, 5)
    assert d is not None
    assert d.environmental_consistency == pytest.approx(0.25)


def test_skipped_runs_carry_no_information() -> None:
    a = assess(hist(runs("SSSSS")), P)
    assert a.clean_runs == 0 and a.verdict is Verdict.STABLE
    assert a.category.category is Category.UNKNOWN


def test_flips_on_default_branch_are_counted() -> None:
    a = assess(hist(runs("PPPPFPPPPPFPPPPPPPPFPPP")), P)
    assert a.flip_runs == (5, 11, 20)
    assert a.same_code_runs == ()
    assert a.verdict is Verdict.FLAKY


def test_feature_branch_failures_during_a_regression_are_explained() -> None:
    main = runs("P" * 10 + "FFFF" + "P" * 10)
    branch = [replace(runs("F", branch="feature", start=12, commits=["x1"])[0], run_id=999)]
    rs = sorted(main[:12] + branch + main[12:], key=lambda r: r.started_at)
    a = assess(hist(rs), P)
    assert a.failing_runs == 0


def test_one_run_whose_retries_all_failed_is_a_regression() -> None:
    rs = runs("P" * 20 + "F" + "P" * 10)
    rs[20] = replace(rs[20], attempts=3, failed_attempts=3)  # surefire reran it twice: three failures
    a = assess(hist(rs), P)
    assert [s.first_commit for s in a.past_regressions] == ["c0020"]
    assert a.failing_runs == 0


def test_single_failure_without_retries_is_not_called_a_regression() -> None:
    a = assess(hist(runs("P" * 20 + "F" + "P" * 10)), P)
    assert a.past_regressions == ()
    assert a.failing_runs == 1


def test_failures_on_other_branches_support_a_short_main_streak() -> None:
    main = runs("P" * 10 + "F" + "P" * 5)
    side = [replace(r, run_id=100 + i, branch="feature", on_default_branch=False)
            for i, r in enumerate(runs("F", start=10, commits=["x9"]))]
    rs = sorted(main + side, key=lambda r: (r.started_at, r.run_id))
    a = assess(hist(rs), P)
    assert len(a.past_regressions) >= 1 and a.past_regressions[0].failed_attempts == 2
    assert a.failing_runs == 0


def test_flaky_in_one_environment_only_is_recognised() -> None:
    # 40 runs: one in four on windows, where it fails half the time (confirmed by nothing)
    seq = []
    for i in range(40):
        win = i % 4 == 3
        seq.append(("F" if win and i % 8 == 7 else "P", "os=windows" if win else "os=linux"))
    rs = [replace(r, env_key=env) for r, (_, env) in zip(runs("".join(c for c, _ in seq)), seq, strict=True)]
    a = assess(hist(rs), P)
    spread = assess(hist(runs("".join(c for c, _ in seq))), P)  # same failures, single environment
    assert a.probability > spread.probability
    assert a.verdict is Verdict.FLAKY
    assert "os=windows" in " ".join(a.category.reasons)


def test_screen_skips_stray_failures_but_keeps_possible_streaks_and_retries() -> None:
    from argus.analysis.flaky.queries import RunMeta
    from argus.analysis.flaky.screen import screen

    metas = {
        i: RunMeta(i, f"c{i}", None, "main", "os=linux", T0 + timedelta(hours=i), 10, None, 1, 60.0)
        for i in range(1, 301)
    }
    fails = {
        1: {50: 1},  # one stray failure in 300 runs: skipped
        2: {50: 1, 51: 1},  # two adjacent failing runs: could be a regression, kept
        3: {50: 3},  # every retry failed: could be a regression, kept
        4: {10: 1, 90: 1, 200: 1},  # three failing runs: kept
        5: {50: 1},  # one failure in few runs: kept (could be flaky)
    }
    counts = {1: 300, 2: 300, 3: 302, 4: 300, 5: 4}
    assert screen(fails, counts, metas, P) == {1}
